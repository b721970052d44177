/** lib/stats.ts against table and textbook values nobody here computed. */
import {
  logGamma, mcnemarExact, mcnemarExactP, mean, normalCdf, pairedTTest, regularizedIncompleteBeta, sampleStd, studentTCdf, studentTQuantile, summarize,
} from '../lib/stats';

describe('Student t quantile (exact, from the incomplete beta)', () => {
  test.each([
    // Table values (e.g. NIST/SEMATECH e-Handbook 1.3.6.7.2; R qt()).
    [0.975, 1, 12.7062047361747],
    [0.975, 2, 4.30265272974946],
    [0.975, 4, 2.77644510519779],
    [0.975, 9, 2.26215716279820],
    [0.975, 30, 2.04227245630124],
    [0.995, 10, 3.16927267261695],
    [0.95, 5, 2.01504837333302],
    [0.975, Infinity, 1.95996398454005],
  ])('t(%p, %p) = %p', (p, df, want) => {
    expect(studentTQuantile(p, df)).toBeCloseTo(want, 9);
    expect(studentTQuantile(1 - p, df)).toBeCloseTo(-want, 9);
  });

  test('large df approaches the normal limit; the CDF inverts the quantile', () => {
    expect(studentTQuantile(0.975, 1e6)).toBeCloseTo(1.959966, 6); // R: qt(0.975, 1e6)
    expect(studentTCdf(studentTQuantile(0.9, 7), 7)).toBeCloseTo(0.9, 12);
    expect(studentTCdf(0, 3)).toBe(0.5);
    // df = 1 is the Cauchy distribution: F(t) = 1/2 + atan(t)/pi.
    expect(studentTCdf(2.5, 1)).toBeCloseTo(0.5 + Math.atan(2.5) / Math.PI, 13);
  });

  test('building blocks: ln Gamma, I_x(a, b), Phi', () => {
    expect(logGamma(0.5)).toBeCloseTo(Math.log(Math.sqrt(Math.PI)), 13);
    expect(logGamma(10)).toBeCloseTo(Math.log(362880), 12);
    // I_x(a, 1) = x^a; I_x(1, b) = 1 - (1 - x)^b; I_0.5(a, a) = 1/2.
    expect(regularizedIncompleteBeta(0.3, 2.5, 1)).toBeCloseTo(0.3 ** 2.5, 13);
    expect(regularizedIncompleteBeta(0.3, 1, 4)).toBeCloseTo(1 - 0.7 ** 4, 13);
    expect(regularizedIncompleteBeta(0.5, 7.5, 7.5)).toBeCloseTo(0.5, 13);
    expect(normalCdf(1.959963984540054)).toBeCloseTo(0.975, 13);
    expect(normalCdf(-3)).toBeCloseTo(0.0013498980316301, 14);
    expect(normalCdf(0.5)).toBeCloseTo(0.691462461274013, 13);
  });

  test('bad arguments are NaxErrors', () => {
    expect(() => studentTQuantile(1, 3)).toThrow(expect.objectContaining({ name: 'NaxError', code: 'ERR_NAX_INVALID_ARGUMENT' }));
    expect(() => studentTQuantile(0.9, 0)).toThrow(expect.objectContaining({ code: 'ERR_NAX_INVALID_ARGUMENT' }));
    expect(() => mean([])).toThrow(expect.objectContaining({ code: 'ERR_NAX_INVALID_ARGUMENT' }));
  });
});

describe('summaries', () => {
  test('mean, sample std and the t interval by hand', () => {
    const v = [0.9, 0.92, 0.94, 0.96, 0.98];
    expect(mean(v)).toBeCloseTo(0.94, 14);
    // Deviations -0.04..0.04 step 0.02: sum of squares 0.004, / 4 = 0.001.
    expect(sampleStd(v)).toBeCloseTo(Math.sqrt(0.001), 14);
    const s = summarize(v);
    const half = (2.77644510519779 * Math.sqrt(0.001)) / Math.sqrt(5);
    expect(s.ci95![0]).toBeCloseTo(0.94 - half, 12);
    expect(s.ci95![1]).toBeCloseTo(0.94 + half, 12);
  });

  test('one value: a mean, no spread and no interval', () => {
    expect(summarize([0.5])).toEqual({ n: 1, mean: 0.5, std: null, ci95: null });
    // An accuracy's interval stays within [0, 1]: five chips at 0.98, 0.99, 1, 1, 0.5.
    const spread = [0.98, 0.99, 1, 1, 0.5];
    expect(summarize(spread).ci95![1]).toBeGreaterThan(1);
    const clipped = summarize(spread, [0, 1]);
    expect(clipped.ci95![1]).toBe(1);
    expect(clipped.ci95![0]).toBeCloseTo(summarize(spread).ci95![0], 15);
    expect(clipped.mean).toBe(summarize(spread).mean);
  });
});

describe('paired t-test', () => {
  // Student (1908) / Cushny & Peebles sleep data (R: datasets::sleep), extra hours of sleep of
  // the same 10 patients under two drugs. R: t.test(extra ~ group, data = sleep, paired = TRUE)
  // gives t = -4.0621, df = 9, p-value = 0.002833, 95% CI -2.4598858 -0.7001142, mean diff -1.58.
  const drug1 = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0];
  const drug2 = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4];

  test("Student's sleep data", () => {
    const r = pairedTTest(drug1, drug2);
    expect(r.df).toBe(9);
    expect(r.meanDifference).toBeCloseTo(-1.58, 12);
    expect(r.t!).toBeCloseTo(-4.0621, 4);
    expect(r.p!).toBeCloseTo(0.002833, 6);
    expect(r.ci95![0]).toBeCloseTo(-2.4598858, 7);
    expect(r.ci95![1]).toBeCloseTo(-0.7001142, 7);
    // Swapping the samples flips the sign, not the p-value.
    const s = pairedTTest(drug2, drug1);
    expect(s.t!).toBeCloseTo(4.0621, 4);
    expect(s.p!).toBeCloseTo(r.p!, 14);
  });

  test('degenerate cases: one pair, identical and constant differences', () => {
    expect(pairedTTest([0.9], [0.8])).toMatchObject({ n: 1, t: null, p: null, ci95: null });
    expect(pairedTTest([0.9, 0.8], [0.9, 0.8])).toMatchObject({ t: 0, p: 1, ci95: [0, 0] });
    const shifted = pairedTTest([0.75, 0.5], [0.5, 0.25]);
    expect(shifted.p).toBe(0);
    expect(shifted.ci95).toEqual([0.25, 0.25]);
    expect(() => pairedTTest([1, 2], [1])).toThrow(expect.objectContaining({ code: 'ERR_NAX_SIZE_MISMATCH' }));
  });
});

describe("McNemar's exact test", () => {
  test('hand-computed binomial tails', () => {
    // b = 1, c = 9: 2 * (C(10,0) + C(10,1)) / 2^10 = 22/1024.
    expect(mcnemarExactP(1, 9)).toBeCloseTo(22 / 1024, 15);
    expect(mcnemarExactP(9, 1)).toBeCloseTo(22 / 1024, 15);
    // b = 0, c = 5: 2 / 32.
    expect(mcnemarExactP(0, 5)).toBeCloseTo(1 / 16, 15);
    expect(mcnemarExactP(4, 4)).toBe(1);
    expect(mcnemarExactP(0, 0)).toBe(1);
    // Large counts stay finite (log space): b = 4900, c = 5100 is not significant, 4700/5300 is.
    expect(mcnemarExactP(4900, 5100)).toBeGreaterThan(0.04);
    expect(mcnemarExactP(4900, 5100)).toBeLessThan(0.06);
    expect(mcnemarExactP(4700, 5300)).toBeLessThan(1e-8);
  });

  test('textbook example: Agresti (2002) presidential approval, b = 150, c = 86', () => {
    // Agresti, Categorical Data Analysis, table 10.1: discordant 150 and 86; the chi-square
    // statistic (150-86)^2/236 = 17.36 gives p ~ 3.1e-5; the exact binomial p is of that order
    // (R: binom.test(86, 236)$p.value = 3.716e-05).
    expect(mcnemarExactP(150, 86)).toBeCloseTo(3.716e-5, 7);
  });

  test('counts discordant (chip, image) pairs from correctness records', () => {
    const a = Uint8Array.from([1, 1, 1, 0, 0, 1, 1, 1]);
    const b = Uint8Array.from([1, 0, 0, 0, 1, 1, 0, 1]);
    expect(mcnemarExact(a, b)).toEqual({ pairs: 8, b: 3, c: 1, p: mcnemarExactP(3, 1) });
    expect(mcnemarExactP(3, 1)).toBeCloseTo((2 * (1 + 4)) / 16, 14);
  });
});
