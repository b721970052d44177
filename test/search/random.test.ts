import { Rng } from '../../lib/search/random';
import { errorOf } from '../errors-helper';

describe('Rng (xoshiro128**)', () => {
  test('matches the C reference implementation (published test vectors)', () => {
    // Seed state and outputs from the xoshiro128** test data that edorfaus/xoshiro-6502 generated with
    // Blackman & Vigna's xoshiro128starstar.c.
    const r = Rng.fromState({ algorithm: 'xoshiro128**', words: [0x964d4a0c, 0xd40ab895, 0xad7fdecb, 0x3006f0f0] });
    expect([r.nextUint32(), r.nextUint32(), r.nextUint32(), r.nextUint32()]).toEqual([0xf1391922, 0x6fe53806, 0xa5be2840, 0xf510ee70]);
    expect(r.state().words).toEqual([0xfc65379c, 0x52006d70, 0x87487639, 0xf1908343]);
    // State {1, 2, 3, 4}: the sequence rand_xoshiro's Xoshiro128StarStar test pins.
    const q = Rng.fromState({ algorithm: 'xoshiro128**', words: [1, 2, 3, 4] });
    expect(Array.from({ length: 6 }, () => q.nextUint32())).toEqual([11520, 0, 5927040, 70819200, 2031721883, 1637235492]);
  });

  test('state survives JSON and resumes the identical stream', () => {
    const a = new Rng(12345);
    for (let i = 0; i < 17; i++) a.nextUint32();
    const saved = JSON.parse(JSON.stringify(a.state()));
    const b = Rng.fromState(saved);
    const xs = Array.from({ length: 50 }, () => a.nextFloat());
    const ys = Array.from({ length: 50 }, () => b.nextFloat());
    expect(ys).toEqual(xs);
  });

  test('seeding: same seed same stream; nearby and large seeds differ', () => {
    const draw = (seed: number) => {
      const r = new Rng(seed);
      return Array.from({ length: 8 }, () => r.nextUint32());
    };
    expect(draw(7)).toEqual(draw(7));
    expect(draw(7)).not.toEqual(draw(8));
    expect(draw(2 ** 40)).not.toEqual(draw(0));
    expect(draw(-1)).not.toEqual(draw(1));
  });

  test('int(n) is in range and unbiased (chi-square), nextFloat in [0, 1)', () => {
    const r = new Rng(99);
    const n = 7;
    const counts = new Array(n).fill(0);
    const draws = 70000;
    for (let i = 0; i < draws; i++) counts[r.int(n)]++;
    const expected = draws / n;
    const chi2 = counts.reduce((s, c) => s + (c - expected) ** 2 / expected, 0);
    expect(chi2).toBeLessThan(22.46); // p = 0.001, 6 degrees of freedom
    let lo = 1;
    let hi = 0;
    for (let i = 0; i < 10000; i++) {
      const f = r.nextFloat();
      lo = Math.min(lo, f);
      hi = Math.max(hi, f);
    }
    expect(lo).toBeGreaterThanOrEqual(0);
    expect(hi).toBeLessThan(1);
    expect(hi - lo).toBeGreaterThan(0.99);
  });

  test('shuffle is a permutation; bad states and arguments are NaxErrors', () => {
    const r = new Rng(1);
    const arr = Array.from({ length: 20 }, (_, i) => i);
    const s = r.shuffle(arr.slice());
    expect(s.slice().sort((a, b) => a - b)).toEqual(arr);
    expect(s).not.toEqual(arr);

    expect(errorOf(() => Rng.fromState({ algorithm: 'xoshiro128**', words: [0, 0, 0, 0] })).code).toBe('ERR_NAX_CONFIG');
    expect(errorOf(() => Rng.fromState({ algorithm: 'xoshiro128**', words: [1, 2, 3] } as never)).code).toBe('ERR_NAX_CONFIG');
    expect(errorOf(() => new Rng(0.5)).name).toBe('NaxError');
    expect(errorOf(() => r.int(0)).code).toBe('ERR_NAX_INVALID_ARGUMENT');
    expect(errorOf(() => r.pick([])).code).toBe('ERR_NAX_INVALID_ARGUMENT');
  });
});
