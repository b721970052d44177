/**
 * The fast solver against the banded baseline (a second, independent
 * factorisation of the full nodal system), plus properties that do not need
 * an oracle: exact shorts, linearity, thread determinism, physics.
 */
import { solveCircuit, transferMatrix, TransferMatrixOptions } from '../../lib/circuit';
import { maxRelError, randomConductances, randomVoltages, rng } from './helpers';

type Spec = Omit<TransferMatrixOptions, 'method' | 'threads'>;

function randomSpec(seed: number, rows: number, cols: number, zeroChance = 0.3): Spec {
  const r = rng(seed);
  const pick = (hi: number) => (r() < zeroChance ? 0 : hi * r());
  return {
    rows,
    cols,
    conductances: randomConductances(r, rows * cols),
    rWordLine: pick(10),
    rBitLine: pick(10),
    rSource: pick(1000),
    rSink: pick(1000),
  };
}

describe('transferMatrix: fast vs banded', () => {
  it('agrees to 1e-9 relative on 60 random small arrays (random zero resistances)', async () => {
    const r = rng(99);
    let worst = 0;
    for (let t = 0; t < 60; t++) {
      const rows = 1 + Math.floor(r() * 24);
      const cols = 1 + Math.floor(r() * 24);
      const spec = randomSpec(1000 + t, rows, cols);
      const fast = await transferMatrix(spec);
      const banded = await transferMatrix({ ...spec, method: 'banded' });
      const err = maxRelError(fast, banded);
      worst = Math.max(worst, err);
      if (err >= 1e-9) throw new Error(`case ${t} ${JSON.stringify({ ...spec, conductances: undefined })}: ${err}`);
    }
    expect(worst).toBeLessThan(1e-9);
  });

  it.each([
    [48, 40],
    [40, 72],
    [80, 24],
    [64, 64],
  ])('agrees to 1e-9 relative at %ix%i', async (rows, cols) => {
    const spec = randomSpec(rows * 7 + cols, rows, cols, 0);
    const fast = await transferMatrix(spec);
    const banded = await transferMatrix({ ...spec, method: 'banded' });
    expect(maxRelError(fast, banded)).toBeLessThan(1e-9);
  });

  it('agrees for every pattern of zero resistances', async () => {
    for (let mask = 0; mask < 16; mask++) {
      const base = randomSpec(500 + mask, 13, 11, 0);
      const spec = {
        ...base,
        rWordLine: mask & 1 ? 0 : base.rWordLine,
        rBitLine: mask & 2 ? 0 : base.rBitLine,
        rSource: mask & 4 ? 0 : base.rSource,
        rSink: mask & 8 ? 0 : base.rSink,
      };
      const fast = await transferMatrix(spec);
      const banded = await transferMatrix({ ...spec, method: 'banded' });
      expect(maxRelError(fast, banded)).toBeLessThan(1e-9);
    }
  });
});

describe('transferMatrix: exact shorts', () => {
  it('all resistances 0 gives M == G exactly (both methods)', async () => {
    const spec = { ...randomSpec(7, 19, 23), rWordLine: 0, rBitLine: 0, rSource: 0, rSink: 0 };
    for (const method of ['fast', 'banded'] as const) {
      const m = await transferMatrix({ ...spec, method });
      expect(Array.from(m)).toEqual(Array.from(spec.conductances));
    }
  });

  it('each zero resistance is the limit of tiny resistances', async () => {
    const base = randomSpec(11, 20, 17, 0);
    for (const key of ['rWordLine', 'rBitLine', 'rSource', 'rSink'] as const) {
      const exact = await transferMatrix({ ...base, [key]: 0 });
      const tiny = await transferMatrix({ ...base, [key]: 1e-9 });
      const err = maxRelError(tiny, exact);
      expect(err).toBeLessThan(1e-7);
      expect(err).toBeGreaterThan(0); // the short really is different from 1 nano-ohm, only barely
    }
  });

  it('keeps relative accuracy under extreme conductance ratios (micro-ohm wires, 1 Mohm devices)', async () => {
    const rows = 24;
    const cols = 24;
    const g = new Float64Array(rows * cols).fill(1e-6);
    const spec = { rows, cols, conductances: g, rWordLine: 1e-6, rBitLine: 1e-6, rSource: 1e-6, rSink: 1e-6 };
    const m = await transferMatrix(spec);
    // Wires ~1e12 x stronger than devices: M is G to ~1e-9 (the IR drop is ~ 1e-12 relative).
    expect(maxRelError(m, g)).toBeLessThan(1e-9);
    for (let k = 0; k < m.length; k++) expect(m[k]).toBeLessThan(1e-6);
  });
});

describe('transferMatrix: properties', () => {
  it('is bit-identical for any thread count', async () => {
    const spec = randomSpec(3, 160, 144, 0);
    const ref = await transferMatrix({ ...spec, threads: 1 });
    for (const threads of [2, 3, 4, 7]) {
      const m = await transferMatrix({ ...spec, threads });
      expect(Buffer.from(m.buffer).equals(Buffer.from(ref.buffer))).toBe(true);
    }
  });

  it('loss grows with distance from the driver and from the sense end (uniform devices)', async () => {
    const rows = 32;
    const cols = 24;
    const m = await transferMatrix({
      rows,
      cols,
      conductances: new Float64Array(rows * cols).fill(1e-4),
      rWordLine: 5,
      rBitLine: 5,
      rSource: 100,
      rSink: 100,
    });
    for (let i = 0; i < rows; i++)
      for (let j = 0; j < cols; j++) {
        const x = m[i * cols + j];
        expect(x).toBeGreaterThan(0);
        expect(x).toBeLessThan(1e-4);
        if (j + 1 < cols) expect(m[i * cols + j + 1]).toBeLessThan(x); // farther from the driver
        if (i + 1 < rows) expect(m[(i + 1) * cols + j]).toBeGreaterThan(x); // closer to the sense amplifier
      }
  });

  it('loss grows with array size', async () => {
    let previous = Infinity;
    for (const n of [8, 16, 32, 64]) {
      const m = await transferMatrix({
        rows: n,
        cols: n,
        conductances: new Float64Array(n * n).fill(1e-4),
        rWordLine: 2,
        rBitLine: 2,
        rSource: 50,
        rSink: 50,
      });
      const worstCell = m[0 * n + (n - 1)] / 1e-4; // far corner, relative to ideal
      expect(worstCell).toBeLessThan(previous);
      previous = worstCell;
    }
  });
});

describe('solveCircuit', () => {
  it('is linear: I = V . M for a batch', async () => {
    const spec = randomSpec(17, 37, 29, 0.2);
    const batch = 5;
    const voltages = randomVoltages(rng(18), batch * spec.rows);
    voltages[3] = -0.2; // signed inputs are fine
    const currents = await solveCircuit({ ...spec, voltages });
    const m = await transferMatrix(spec);
    expect(currents.length).toBe(batch * spec.cols);
    const expected = new Float64Array(batch * spec.cols);
    for (let b = 0; b < batch; b++)
      for (let i = 0; i < spec.rows; i++)
        for (let j = 0; j < spec.cols; j++) expected[b * spec.cols + j] += voltages[b * spec.rows + i] * m[i * spec.cols + j];
    for (let k = 0; k < expected.length; k++) expect(currents[k]).toBeCloseTo(expected[k], 15);
    expect(maxRelError(currents, expected)).toBeLessThan(1e-12);
  });

  it('scales with the input and superposes', async () => {
    const spec = randomSpec(19, 12, 9, 0);
    const r = rng(20);
    const a = randomVoltages(r, spec.rows);
    const b = randomVoltages(r, spec.rows);
    const ab = a.map((x, k) => 2 * x + b[k]);
    const [ia, ib, iab] = await Promise.all([a, b, ab].map((voltages) => solveCircuit({ ...spec, voltages })));
    const expected = ia.map((x, k) => 2 * x + ib[k]);
    expect(maxRelError(iab, expected)).toBeLessThan(1e-12);
  });

  it('accepts an empty batch', async () => {
    const spec = randomSpec(21, 4, 3);
    expect((await solveCircuit({ ...spec, voltages: new Float64Array(0) })).length).toBe(0);
  });
});
