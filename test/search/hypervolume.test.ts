import { hypervolume } from '../../lib/search/hypervolume';
import { Rng } from '../../lib/search/random';
import { errorOf } from '../errors-helper';

describe('exact 2-D hypervolume', () => {
  test('hand-computed fronts (union of rectangles against the reference point)', () => {
    // Reference (0.5, 10). (0.8, 1) covers 0.3 x 9 = 2.7; (0.9, 2) adds 0.1 x 8 = 0.8; (0.7, 5)
    // and (0.6, 6) are dominated and add nothing: 3.5.
    const ref = { accuracy: 0.5, edap: 10 };
    expect(hypervolume([{ accuracy: 0.9, edap: 2 }, { accuracy: 0.8, edap: 1 }, { accuracy: 0.7, edap: 5 }, { accuracy: 0.6, edap: 6 }], ref)).toBeCloseTo(3.5, 12);
    // One point: its rectangle; order does not matter; duplicates count once.
    expect(hypervolume([{ accuracy: 0.75, edap: 6 }], ref)).toBeCloseTo(0.25 * 4, 12);
    expect(hypervolume([{ accuracy: 0.75, edap: 6 }, { accuracy: 0.75, edap: 6 }], ref)).toBeCloseTo(1, 12);
    // On or beyond the reference: nothing.
    expect(hypervolume([{ accuracy: 0.5, edap: 1 }, { accuracy: 0.9, edap: 10 }, { accuracy: 0.9, edap: 20 }], ref)).toBe(0);
    expect(hypervolume([], ref)).toBe(0);
    // Log10 EDAP axis, reference EDAP 100: (0.9, 1) spans decades 0..1 at 0.4, (0.95, 10) decade 1..2 at 0.45: 0.85.
    expect(hypervolume([{ accuracy: 0.9, edap: 1 }, { accuracy: 0.95, edap: 10 }], { accuracy: 0.5, edap: 100 }, { logEdap: true })).toBeCloseTo(0.85, 12);
  });

  test('agrees with a brute-force grid count on random point sets', () => {
    const rng = new Rng(4);
    for (let t = 0; t < 5; t++) {
      // Points on a 1/20 grid so the grid count is exact.
      const points = Array.from({ length: 8 }, () => ({ accuracy: rng.int(21) / 20, edap: rng.int(21) / 20 }));
      const ref = { accuracy: 0, edap: 1 };
      let cells = 0;
      for (let a = 0; a < 20; a++)
        for (let e = 0; e < 20; e++) {
          // Cell [a/20, (a+1)/20] x [e/20, (e+1)/20] is covered when a point is at least as accurate as its top and at least as cheap as its left edge.
          if (points.some((p) => p.accuracy >= (a + 1) / 20 && p.edap <= e / 20 && p.accuracy > 0 && p.edap < 1)) cells++;
        }
      expect(hypervolume(points, ref)).toBeCloseTo(cells / 400, 12);
    }
  });

  test('bad input is a NaxError naming the field', () => {
    expect(errorOf(() => hypervolume([{ accuracy: NaN, edap: 1 }], { accuracy: 0, edap: 1 })).message).toContain('points[0]');
    expect(errorOf(() => hypervolume([], { accuracy: 0, edap: Infinity })).message).toContain('reference');
    expect(errorOf(() => hypervolume([{ accuracy: 0.5, edap: 0 }], { accuracy: 0, edap: 1 }, { logEdap: true })).message).toContain('points[0]');
  });
});
