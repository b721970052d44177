/**
 * Search efficiency on a fixed budget: the hypervolume of the front that random search, plain
 * NSGA-II and NSGA-II with the successive-halving screen reach when each may spend the same
 * number of full-evaluation equivalents (a full evaluation costs 1, a screening rung at
 * fidelity f costs f). Used by bench/search-efficiency.ts on a cheap surrogate problem and on the
 * real supernet, and by the tests.
 *
 * Every method starts from the same initial genomes (the homogeneous baselines), and its front
 * is taken over the full evaluations finished within the budget (an evaluation that would pass
 * the budget is not started). Hypervolume: lib/search/hypervolume.ts, log10 EDAP axis, against
 * one reference point for all methods and seeds (stated by the caller, or: the caller's accuracy
 * floor and 1.01 x the largest EDAP any method evaluated).
 */
import { ErrorCodes, NaxError, expectNumber, invalid } from '../errors';
import { runEvolution, type PrescreenOptions, type ScreeningOptions } from './evolution';
import { type Genome, type SearchSpace, createSearchSpace, genomeKey, randomGenome, spaceSize } from './genome';
import { hypervolume, type HypervolumeReference } from './hypervolume';
import { type Objectives, paretoFront } from './pareto';
import { Rng } from './random';
import { mean, sampleStd } from '../stats';

/** A problem whose evaluation can run at reduced fidelity (a prefix of the validation images). */
export interface FidelityProblem<R extends Objectives = Objectives> {
  space: SearchSpace;
  /** Images of a full evaluation. */
  images: number;
  /** Genomes every method evaluates first (e.g. the homogeneous baselines). */
  initialGenomes?: Genome[];
  /** Scores genomes at `fidelity` (1: all images; f < 1: the first round(f * images)). */
  evaluate(genomes: Genome[], fidelity: number, signal?: AbortSignal): Promise<R[]>;
  /**
   * The objectives without measurement noise, where known (a surrogate): the hypervolume then
   * scores each method's measured front by what its designs are truly worth, so a method is not
   * rewarded for picking candidates whose finite-image score happened to be lucky.
   */
  trueObjectives?(genome: Genome): Objectives;
}

/** nsga2-screened: successive halving; nsga2-predictor: the predictor pre-screen; nsga2-both: both. */
export type SearchMethod = 'random' | 'nsga2' | 'nsga2-screened' | 'nsga2-predictor' | 'nsga2-both';
export const SEARCH_METHODS: readonly SearchMethod[] = ['random', 'nsga2', 'nsga2-screened', 'nsga2-predictor', 'nsga2-both'];

export interface BudgetRun {
  method: SearchMethod;
  seed: number;
  /** Full evaluations finished within the budget, in order. */
  evaluated: Array<{ key: string; genome: Genome; result: Objectives }>;
  /** Proxy (screening) evaluations within the budget. */
  proxyEvaluations: number;
  /** Candidates the screen ruled out (full evaluations saved). */
  savedFullEvaluations: number;
  /** Offspring the predictor passed over. */
  predictorRejected: number;
  /** Full-evaluation equivalents spent (<= budget). */
  cost: number;
}

export interface BudgetOptions {
  /** Full-evaluation equivalents each method may spend. */
  budget: number;
  seed: number;
  population: number;
  /** The screen of 'nsga2-screened' (`images` comes from the problem). */
  screening: Omit<ScreeningOptions, 'images'>;
  /** The pre-screen of 'nsga2-predictor' and 'nsga2-both' (default: its defaults). */
  prescreen?: PrescreenOptions;
}

/** Runs one method on the problem until the budget is spent. */
export async function runAtBudget<R extends Objectives>(problem: FidelityProblem<R>, method: SearchMethod, options: BudgetOptions): Promise<BudgetRun> {
  const budget = expectNumber('budget', options.budget, { above: 0 });
  if (!SEARCH_METHODS.includes(method)) throw invalid('method', `one of ${SEARCH_METHODS.join(', ')}`, method);
  const evaluated: Array<{ key: string; genome: Genome; result: Objectives }> = [];
  let predictorRejected = 0;
  const proxyKeys = new Set<string>();
  let proxies = 0;
  let cost = 0;
  const controller = new AbortController();
  const spend = async (genomes: Genome[], fidelity: number): Promise<R[]> => {
    const price = fidelity * genomes.length;
    // An evaluation that would pass the budget is not started: the run ends here.
    if (cost + price > budget + 1e-9) {
      controller.abort();
      throw new NaxError(ErrorCodes.cancelled, 'budget spent');
    }
    const results = await problem.evaluate(genomes, fidelity, controller.signal);
    cost += price;
    genomes.forEach((g, i) => {
      if (fidelity === 1) evaluated.push({ key: genomeKey(g), genome: g, result: { accuracy: results[i].accuracy, edap: results[i].edap } });
      else {
        proxies++;
        proxyKeys.add(genomeKey(g));
      }
    });
    return results;
  };
  const initial = problem.initialGenomes ?? [];
  try {
    if (method === 'random') {
      const rng = new Rng(options.seed);
      const seen = new Set<string>();
      const queue = [...initial];
      const total = spaceSize(problem.space);
      for (;;) {
        let g = queue.shift();
        if (!g) {
          if (seen.size >= total) break;
          g = randomGenome(problem.space, rng);
        }
        const key = genomeKey(g);
        if (seen.has(key)) continue;
        seen.add(key);
        await spend([g], 1);
      }
    } else {
      await runEvolution<R>({
        space: problem.space,
        population: options.population,
        // Generations are bounded by the budget, not by this count.
        generations: 10000,
        seed: options.seed,
        initialGenomes: initial,
        evaluationChunk: 1,
        signal: controller.signal,
        ...(method === 'nsga2-screened' || method === 'nsga2-both' ? { screening: { ...options.screening, images: problem.images } } : {}),
        ...(method === 'nsga2-predictor' || method === 'nsga2-both' ? { prescreen: options.prescreen ?? {} } : {}),
        evaluate: (genomes, ctx) => spend(genomes, ctx.fidelity),
        onGeneration: (e) => void (predictorRejected += e.prescreenedOut),
      });
    }
  } catch (err) {
    if ((err as NaxError).code !== ErrorCodes.cancelled || !controller.signal.aborted) throw err;
  }
  const full = new Set(evaluated.map((e) => e.key));
  return {
    method,
    seed: options.seed,
    evaluated,
    proxyEvaluations: proxies,
    savedFullEvaluations: [...proxyKeys].filter((k) => !full.has(k)).length,
    predictorRejected,
    cost,
  };
}

export interface EfficiencyRow {
  method: SearchMethod;
  seed: number;
  hypervolume: number;
  fullEvaluations: number;
  proxyEvaluations: number;
  savedFullEvaluations: number;
  predictorRejected: number;
  cost: number;
  frontSize: number;
}

export interface EfficiencySummary {
  method: SearchMethod;
  seeds: number;
  hypervolumeMean: number;
  /** Sample std over seeds (null for one seed). */
  hypervolumeStd: number | null;
  fullEvaluationsMean: number;
  savedFullEvaluationsMean: number;
}

export interface EfficiencyComparison {
  budget: number;
  reference: HypervolumeReference;
  /** EDAP axis of the hypervolume. */
  edapAxis: 'log10';
  /** What the hypervolume scores: the measured objectives, or (surrogates) the true ones of the measured front. */
  scoredOn: 'measured' | 'true';
  rows: EfficiencyRow[];
  summary: EfficiencySummary[];
}

/** Every method on every seed at the same budget; hypervolumes against one reference point. */
export async function compareSearchEfficiency<R extends Objectives>(
  problem: FidelityProblem<R>,
  options: Omit<BudgetOptions, 'seed'> & { seeds: number[]; methods?: SearchMethod[]; accuracyFloor: number; reference?: HypervolumeReference },
): Promise<EfficiencyComparison> {
  if (!Array.isArray(options.seeds) || options.seeds.length === 0) throw invalid('seeds', 'a non-empty list of integer seeds', options.seeds);
  const methods = options.methods ?? [...SEARCH_METHODS];
  const runs: BudgetRun[] = [];
  for (const seed of options.seeds) for (const method of methods) runs.push(await runAtBudget(problem, method, { ...options, seed }));
  const maxEdap = Math.max(...runs.flatMap((r) => r.evaluated.map((e) => e.result.edap)));
  const reference = options.reference ?? { accuracy: options.accuracyFloor, edap: 1.01 * maxEdap };
  const scored = (c: { genome: Genome; result: Objectives }) => (problem.trueObjectives ? problem.trueObjectives(c.genome) : c.result);
  const rows: EfficiencyRow[] = runs.map((r) => {
    const front = paretoFront(r.evaluated);
    return {
      method: r.method,
      seed: r.seed,
      hypervolume: hypervolume(front.map(scored), reference, { logEdap: true }),
      fullEvaluations: r.evaluated.length,
      proxyEvaluations: r.proxyEvaluations,
      savedFullEvaluations: r.savedFullEvaluations,
      predictorRejected: r.predictorRejected,
      cost: r.cost,
      frontSize: front.length,
    };
  });
  const summary = methods.map((method) => {
    const mine = rows.filter((r) => r.method === method);
    const hv = mine.map((r) => r.hypervolume);
    return {
      method,
      seeds: mine.length,
      hypervolumeMean: mean(hv),
      hypervolumeStd: sampleStd(hv),
      fullEvaluationsMean: mean(mine.map((r) => r.fullEvaluations)),
      savedFullEvaluationsMean: mean(mine.map((r) => r.savedFullEvaluations)),
    };
  });
  return { budget: options.budget, reference, edapAxis: 'log10', scoredOn: problem.trueObjectives ? 'true' : 'measured', rows, summary };
}

/**
 * The cheap surrogate co-design problem: the trade-off the real one has (larger kernels raise
 * accuracy and EDAP; larger arrays lower EDAP and accuracy, non-square arrays sit between), with
 * a per-layer sensitivity that differs between layers, and accuracy *measured* like the real one:
 * a genome has a true accuracy p, and its score at fidelity f is the fraction right of the first
 * round(f * images) images, each right with probability p (drawn from a stream seeded by the genome
 * key and the problem seed, so the prefixes are nested and every rerun is identical).
 */
export function surrogateProblem(options: { layers?: number; images?: number; seed?: number; cols?: boolean } = {}): FidelityProblem<Objectives> & { trueAccuracy(g: Genome): number; trueObjectives(g: Genome): Objectives } {
  const layers = expectNumber('layers', options.layers ?? 6, { integer: true, min: 1, max: 64 });
  const images = expectNumber('images', options.images ?? 400, { integer: true, min: 1 });
  const seed = expectNumber('seed', options.seed ?? 0, { integer: true });
  const sizes = [16, 32, 64, 128];
  const space = createSearchSpace({ layers, kernelSizes: [3, 5, 7], crossbarSizes: sizes, ...(options.cols ? { colSizes: sizes } : {}) });
  const coefficients = new Rng(seed);
  // Per layer: kernel benefit, array-size penalty, EDAP weight (a layer's MACs).
  const gain = Array.from({ length: layers }, () => 0.01 + 0.05 * coefficients.nextFloat());
  const penalty = Array.from({ length: layers }, () => 0.005 + 0.04 * coefficients.nextFloat());
  const weight = Array.from({ length: layers }, () => 1 + 4 * coefficients.nextFloat());
  const trueAccuracy = (g: Genome): number => {
    let p = 0.62;
    for (let i = 0; i < layers; i++) {
      const side = Math.sqrt(g.crossbars[i] * (g.cols ? g.cols[i] : g.crossbars[i]));
      p += (gain[i] * (g.kernels[i] - 3)) / 4 - (penalty[i] * Math.log2(side / 16)) / 3;
      if (i + 1 < layers && g.crossbars[i + 1] === g.crossbars[i]) p += 0.003;
    }
    return Math.min(0.99, Math.max(0.01, p));
  };
  const edap = (g: Genome): number => {
    let e = 0;
    for (let i = 0; i < layers; i++) {
      const rows = g.crossbars[i];
      const cols = g.cols ? g.cols[i] : rows;
      e += g.kernels[i] * g.kernels[i] * weight[i] * (1 + 32 / rows + 32 / cols);
    }
    return e;
  };
  const keySeed = (key: string): number => {
    // FNV-1a over the key: a per-genome stream independent of evaluation order.
    let h = 0x811c9dc5;
    for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193) >>> 0;
    return (h ^ Math.imul(seed, 0x9e3779b1)) >>> 0;
  };
  const initialGenomes = sizes.map((x) => ({ kernels: Array(layers).fill(3), crossbars: Array(layers).fill(x), ...(options.cols ? { cols: Array(layers).fill(x) } : {}) }));
  return {
    space,
    images,
    initialGenomes,
    trueAccuracy,
    trueObjectives: (g) => ({ accuracy: trueAccuracy(g), edap: edap(g) }),
    async evaluate(genomes, fidelity) {
      const n = Math.max(1, Math.round(fidelity * images));
      return genomes.map((g) => {
        const p = trueAccuracy(g);
        const rng = new Rng(keySeed(genomeKey(g)));
        let right = 0;
        for (let j = 0; j < n; j++) if (rng.nextFloat() < p) right++;
        return { accuracy: right / n, edap: edap(g) };
      });
    },
  };
}
