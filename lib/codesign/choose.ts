/**
 * Picking the answer from evaluated candidates: the scalarised score and the "chosen model"
 * (the front itself is lib/search/pareto.ts).
 *
 * Scalarised score (NAX's accuracy/EDAP trade-off as a single number):
 *   score = accuracy - lambda * edap / edapReference
 * accuracy is a fraction in [0, 1]; EDAP is normalised by `edapReference` so lambda has no units:
 * with lambda = 0.05, halving EDAP relative to the reference is worth 2.5 accuracy points.
 * edapReference defaults to the EDAP of the most accurate baseline when baselines are given
 * (NAX normalises against the homogeneous network), otherwise to the largest EDAP among the
 * candidates (so normalised EDAP lies in (0, 1]).
 *
 * Chosen model: the lowest-EDAP candidate whose accuracy is >= the most accurate baseline's
 * (NAX's claim: at least as accurate, cheaper); ties on EDAP go to the more accurate one, then
 * to the smaller key. If none reaches that accuracy, or no baselines are given, the candidate
 * with the highest scalarised score.
 * With `images` (how many images the accuracies were measured on) "reaches" allows one binomial
 * standard error of the best baseline's accuracy, sqrt(p (1 - p) / images): the one-standard-
 * error rule of model selection (Breiman et al. 1984, CART; Hastie, Tibshirani and Friedman,
 * The Elements of Statistical Learning, sec. 7.10). Without it a 250-image validation split
 * let a one-image difference pick a model with three times the EDAP. The claim itself is then
 * decided on the test split by a paired test over chips (evolve's results.claims).
 */
import { NaxError, ErrorCodes, expectNumber } from '../errors';
import { byEdapThenAccuracy, type Objectives, type Scored } from '../search/pareto';

export const DEFAULT_LAMBDA = 0.05;

export function scalarizedScore(result: Objectives, lambda: number, edapReference: number): number {
  return result.accuracy - (lambda * result.edap) / edapReference;
}

export interface ChooseOptions {
  baselines?: readonly Scored[];
  /** Weight of normalised EDAP (default DEFAULT_LAMBDA). */
  lambda?: number;
  /** EDAP that normalises the score (default: see the file comment). */
  edapReference?: number;
  /** Images the accuracies were measured on: enables the one-standard-error margin (file comment). */
  images?: number;
}

function resolveReference(candidates: readonly Scored[], options: ChooseOptions): number {
  if (options.edapReference !== undefined) return expectNumber('edapReference', options.edapReference, { above: 0 });
  const best = bestBaseline(options.baselines);
  const ref = best ? best.result.edap : Math.max(...candidates.map((c) => c.result.edap));
  if (!(ref > 0)) throw new NaxError(ErrorCodes.numerical, `expected a positive EDAP to normalise by, got ${ref}`);
  return ref;
}

function bestBaseline(baselines: readonly Scored[] | undefined): Scored | undefined {
  if (!baselines || baselines.length === 0) return undefined;
  return baselines.slice().sort((a, b) => b.result.accuracy - a.result.accuracy || a.result.edap - b.result.edap)[0];
}

/** The candidate with the highest scalarised score (ties: lower EDAP, then key). */
export function scalarizedPick<T extends Scored>(candidates: readonly T[], options: ChooseOptions = {}): { candidate: T; score: number; edapReference: number } {
  if (candidates.length === 0) throw new NaxError(ErrorCodes.invalidArgument, 'expected at least one candidate to pick from, got array(0)');
  const lambda = expectNumber('lambda', options.lambda ?? DEFAULT_LAMBDA, { min: 0 });
  const edapReference = resolveReference(candidates, options);
  let best = candidates[0];
  let bestScore = scalarizedScore(best.result, lambda, edapReference);
  for (const c of candidates.slice(1)) {
    const s = scalarizedScore(c.result, lambda, edapReference);
    if (s > bestScore || (s === bestScore && byEdapThenAccuracy(c, best) < 0)) {
      best = c;
      bestScore = s;
    }
  }
  return { candidate: best, score: bestScore, edapReference };
}

export interface ChosenModel<T extends Scored> {
  candidate: T;
  rule: 'matches-best-baseline' | 'scalarized';
  /** The most accurate baseline, when baselines were given. */
  baseline?: Scored;
  /** 1 - edap / baseline edap (e.g. 0.17 = 17% lower), when baselines were given. */
  edapReduction?: number;
  score: number;
  edapReference: number;
  /** Accuracy margin below the best baseline that still counted as matching it (0 without `images`). */
  tolerance: number;
}

export function chooseModel<T extends Scored>(candidates: readonly T[], options: ChooseOptions = {}): ChosenModel<T> {
  if (candidates.length === 0) throw new NaxError(ErrorCodes.invalidArgument, 'expected at least one candidate to choose from, got array(0)');
  const lambda = expectNumber('lambda', options.lambda ?? DEFAULT_LAMBDA, { min: 0 });
  const edapReference = resolveReference(candidates, options);
  const baseline = bestBaseline(options.baselines);
  const extra = (c: T) => (baseline ? { baseline, edapReduction: 1 - c.result.edap / baseline.result.edap } : {});
  let tolerance = 0;
  if (options.images !== undefined && baseline) {
    const n = expectNumber('images', options.images, { integer: true, min: 1 });
    const p = baseline.result.accuracy;
    tolerance = Math.sqrt(Math.max(0, p * (1 - p)) / n);
  }
  if (baseline) {
    // A hair of slack for accuracies that are counts / images in floating point.
    const threshold = baseline.result.accuracy - tolerance - 1e-12;
    const good = candidates.filter((c) => c.result.accuracy >= threshold).sort(byEdapThenAccuracy);
    if (good.length) {
      const c = good[0];
      return { candidate: c, rule: 'matches-best-baseline', score: scalarizedScore(c.result, lambda, edapReference), edapReference, tolerance, ...extra(c) };
    }
  }
  const pick = scalarizedPick(candidates, { ...options, lambda, edapReference });
  return { candidate: pick.candidate, rule: 'scalarized', score: pick.score, edapReference, tolerance, ...extra(pick.candidate) };
}
