/**
 * Statistics over device instances ("chips"): the mean, sample standard deviation and Student-t
 * 95% confidence interval of per-chip accuracies, and the paired comparisons of two models scored
 * on the same images and the same chips (the paired t-test over per-chip accuracy differences,
 * McNemar's exact test over all (chip, image) pairs). No dependencies: the t quantile is exact,
 * from the regularized incomplete beta function (Lentz continued fraction, Numerical Recipes
 * 3rd ed. section 6.4) inverted by bisection.
 */
import { ErrorCodes, NaxError } from './errors';

/** Summary of a sample (e.g. one model's accuracy on each chip). */
export interface SampleSummary {
  n: number;
  mean: number;
  /** Sample standard deviation (n - 1 in the denominator); null for n < 2. */
  std: number | null;
  /** 95% confidence interval of the mean from Student's t with n - 1 degrees of freedom; null for n < 2. */
  ci95: [number, number] | null;
}

function checkSample(name: string, values: ArrayLike<number>): void {
  if (values.length === 0) throw new NaxError(ErrorCodes.invalidArgument, `expected at least one value for ${name}, got none`);
  for (let i = 0; i < values.length; i++)
    if (!Number.isFinite(values[i])) throw new NaxError(ErrorCodes.invalidArgument, `expected finite numbers for ${name}, got ${values[i]} at ${i}`);
}

export function mean(values: ArrayLike<number>): number {
  checkSample('values', values);
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i];
  return s / values.length;
}

/** Sample standard deviation (Bessel's n - 1); null for fewer than two values. */
export function sampleStd(values: ArrayLike<number>): number | null {
  const m = mean(values);
  if (values.length < 2) return null;
  let ss = 0;
  for (let i = 0; i < values.length; i++) ss += (values[i] - m) ** 2;
  return Math.sqrt(ss / (values.length - 1));
}

/** ln Gamma(x) for x > 0 (Lanczos, g = 7, 9 terms; about 1e-15 relative). */
export function logGamma(x: number): number {
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905,
    -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
  x -= 1;
  let a = c[0];
  const t = x + 7.5;
  for (let i = 1; i < 9; i++) a += c[i] / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Continued fraction of the incomplete beta function (modified Lentz). */
function betaContinuedFraction(a: number, b: number, x: number): number {
  const tiny = 1e-300;
  const qab = a + b, qap = a + 1, qam = a - 1;
  let c = 1;
  let d = 1 - (qab * x) / qap;
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 10000; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-15) break;
  }
  return h;
}

/** The regularized incomplete beta function I_x(a, b), a, b > 0, x in [0, 1]. */
export function regularizedIncompleteBeta(x: number, a: number, b: number): number {
  if (!(a > 0 && b > 0) || !(x >= 0 && x <= 1)) throw new NaxError(ErrorCodes.invalidArgument, `expected a, b > 0 and x in [0, 1] for the incomplete beta, got a=${a}, b=${b}, x=${x}`);
  if (x === 0 || x === 1) return x;
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log1p(-x));
  // The continued fraction converges fast for x < (a + 1) / (a + b + 2); use the symmetry otherwise.
  return x < (a + 1) / (a + b + 2) ? (front * betaContinuedFraction(a, b, x)) / a : 1 - (front * betaContinuedFraction(b, a, 1 - x)) / b;
}

/**
 * Standard normal CDF: Phi(z) = (1 + P(1/2, z^2 / 2)) / 2 for z >= 0, with the regularized lower
 * incomplete gamma P by its series (x < 1.5) or its continued fraction (Numerical Recipes 6.2).
 */
export function normalCdf(z: number): number {
  const x = (z * z) / 2;
  let p: number;
  if (x === 0) p = 0;
  else if (x < 1.5) {
    // Series: P(a, x) = x^a e^-x / Gamma(a + 1) * sum x^n / ((a + 1)...(a + n)).
    let term = 1 / 0.5, sum = term;
    for (let n = 1; n < 500; n++) {
      term *= x / (0.5 + n);
      sum += term;
      if (term < sum * 1e-17) break;
    }
    p = sum * Math.exp(-x + 0.5 * Math.log(x) - logGamma(0.5));
  } else {
    // Continued fraction for Q(a, x) (Numerical Recipes gcf, modified Lentz).
    const a = 0.5, tiny = 1e-300;
    let b = x + 1 - a, c = 1 / tiny, d = 1 / b, h = d;
    for (let i = 1; i < 500; i++) {
      const an = -i * (i - a);
      b += 2;
      d = an * d + b;
      if (Math.abs(d) < tiny) d = tiny;
      c = b + an / c;
      if (Math.abs(c) < tiny) c = tiny;
      d = 1 / d;
      const del = d * c;
      h *= del;
      if (Math.abs(del - 1) < 1e-16) break;
    }
    p = 1 - Math.exp(-x + a * Math.log(x) - logGamma(a)) * h;
  }
  return z >= 0 ? 0.5 + 0.5 * p : 0.5 - 0.5 * p;
}

/** CDF of Student's t with `df` degrees of freedom (df = Infinity: the standard normal). */
export function studentTCdf(t: number, df: number): number {
  if (!(df > 0)) throw new NaxError(ErrorCodes.invalidArgument, `expected degrees of freedom > 0, got ${df}`);
  if (Number.isNaN(t)) return NaN;
  if (t === Infinity) return 1;
  if (t === -Infinity) return 0;
  if (df === Infinity) return normalCdf(t);
  // P(|T| > |t|) = I_{df / (df + t^2)}(df / 2, 1 / 2).
  const tail = 0.5 * regularizedIncompleteBeta(df / (df + t * t), df / 2, 0.5);
  return t >= 0 ? 1 - tail : tail;
}

/** The p-quantile of Student's t (df = Infinity: the standard normal), by bisection on the exact CDF. */
export function studentTQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1)) throw new NaxError(ErrorCodes.invalidArgument, `expected a probability in (0, 1) for the t quantile, got ${p}`);
  if (!(df > 0)) throw new NaxError(ErrorCodes.invalidArgument, `expected degrees of freedom > 0, got ${df}`);
  if (p === 0.5) return 0;
  if (p < 0.5) return -studentTQuantile(1 - p, df);
  let lo = 0, hi = 1;
  while (studentTCdf(hi, df) < p) {
    lo = hi;
    hi *= 2;
    if (hi > 1e300) return Infinity;
  }
  // Bisection to the resolution of a double.
  for (let i = 0; i < 200 && hi - lo > 1e-15 * hi; i++) {
    const mid = 0.5 * (lo + hi);
    if (studentTCdf(mid, df) < p) lo = mid;
    else hi = mid;
  }
  return 0.5 * (lo + hi);
}

/**
 * Mean, sample standard deviation and the Student-t 95% interval of the mean (none from one
 * value). `bounds`: the range the quantity cannot leave (an accuracy's [0, 1]); the interval is
 * clipped to it, as a t interval of few, spread values can otherwise claim 103%.
 */
export function summarize(values: ArrayLike<number>, bounds?: readonly [number, number]): SampleSummary {
  const m = mean(values);
  const n = values.length;
  const std = sampleStd(values);
  if (std === null) return { n, mean: m, std: null, ci95: null };
  const half = (studentTQuantile(0.975, n - 1) * std) / Math.sqrt(n);
  const lo = bounds ? Math.max(bounds[0], m - half) : m - half, hi = bounds ? Math.min(bounds[1], m + half) : m + half;
  return { n, mean: m, std, ci95: [lo, hi] };
}

/** Paired t-test of a - b (e.g. two models' accuracies on the same chips). */
export interface PairedTTest {
  n: number;
  /** Mean of a_i - b_i. */
  meanDifference: number;
  /** Sample standard deviation of the differences; null for n < 2. */
  stdDifference: number | null;
  /** t = mean / (std / sqrt n); null for n < 2 (no test from one pair). */
  t: number | null;
  df: number;
  /** Two-sided p-value; null for n < 2. */
  p: number | null;
  /** 95% confidence interval of the mean difference; null for n < 2. */
  ci95: [number, number] | null;
}

export function pairedTTest(a: ArrayLike<number>, b: ArrayLike<number>): PairedTTest {
  if (a.length !== b.length) throw new NaxError(ErrorCodes.sizeMismatch, `expected paired samples of equal length, got ${a.length} and ${b.length}`);
  checkSample('a', a);
  checkSample('b', b);
  const d = Array.from({ length: a.length }, (_, i) => a[i] - b[i]);
  const n = d.length;
  const s = summarize(d);
  if (s.std === null) return { n, meanDifference: s.mean, stdDifference: null, t: null, df: 0, p: null, ci95: null };
  const df = n - 1;
  if (s.std === 0) {
    // Every chip shows the same difference: no spread to test against.
    return { n, meanDifference: s.mean, stdDifference: 0, t: s.mean === 0 ? 0 : Math.sign(s.mean) * Infinity, df, p: s.mean === 0 ? 1 : 0, ci95: [s.mean, s.mean] };
  }
  const t = s.mean / (s.std / Math.sqrt(n));
  const p = Math.min(1, 2 * studentTCdf(-Math.abs(t), df));
  return { n, meanDifference: s.mean, stdDifference: s.std, t, df, p, ci95: s.ci95 };
}

/** McNemar's exact test on paired binary outcomes (e.g. correct / wrong per (chip, image)). */
export interface McNemarTest {
  /** Pairs compared. */
  pairs: number;
  /** Discordant pairs: a right, b wrong. */
  b: number;
  /** Discordant pairs: a wrong, b right. */
  c: number;
  /** Exact two-sided p: 2 * P(X <= min(b, c)) for X ~ Binomial(b + c, 1/2), capped at 1. */
  p: number;
}

/** Exact two-sided McNemar p-value from the discordant counts. */
export function mcnemarExactP(b: number, c: number): number {
  for (const [name, v] of [['b', b], ['c', c]] as const)
    if (!Number.isInteger(v) || v < 0) throw new NaxError(ErrorCodes.invalidArgument, `expected a non-negative integer count for ${name}, got ${v}`);
  const n = b + c;
  if (n === 0) return 1;
  const k = Math.min(b, c);
  // Sum of C(n, i) / 2^n for i <= k, in log space (n can be chips x test images).
  const logTerms: number[] = [];
  const lgn = logGamma(n + 1);
  for (let i = 0; i <= k; i++) logTerms.push(lgn - logGamma(i + 1) - logGamma(n - i + 1) - n * Math.LN2);
  const top = Math.max(...logTerms);
  let sum = 0;
  for (const lt of logTerms) sum += Math.exp(lt - top);
  return Math.min(1, 2 * Math.exp(top + Math.log(sum)));
}

/**
 * McNemar's exact test between two correctness records of equal length (1 = correct, 0 = wrong),
 * entry i of each being the same (chip, image).
 */
export function mcnemarExact(a: ArrayLike<number>, b: ArrayLike<number>): McNemarTest {
  if (a.length !== b.length) throw new NaxError(ErrorCodes.sizeMismatch, `expected correctness records of equal length, got ${a.length} and ${b.length}`);
  let onlyA = 0, onlyB = 0;
  for (let i = 0; i < a.length; i++) {
    if (a[i] && !b[i]) onlyA++;
    else if (!a[i] && b[i]) onlyB++;
  }
  return { pairs: a.length, b: onlyA, c: onlyB, p: mcnemarExactP(onlyA, onlyB) };
}
