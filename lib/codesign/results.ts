/**
 * What `evolve()` returns and writes: results.json (every candidate, the front, the baselines,
 * the final models on the test split, the configs, seed and timings), the exported models
 * (ONNX + mapping JSON) and report.html (./outputs.ts writes them).
 */
import { type InputActivitySummary, type NetworkCost, inputActivitySummary } from '../hardware';
import type { NetworkSpec, EpochRecord } from '../train';
import { genomeCols, genomeKey, type AdcGeneValue, type Genome } from '../search/genome';
import type { Candidate, EvolutionResult, ScreeningStats } from '../search/evolution';
import type { LayerSensitivity } from './layer-sensitivity';
import type { CostSeed } from './cost-seed';
import type { ChosenModel } from './choose';
import type { CandidateResult, GenomeLayout } from './candidate';
import type { CrossbarMapping, CrossbarPlan } from '../plan';
import type { EvolveConfig } from './evolve-options';
import type { ChipAccuracies } from '../runtime/classify';
import { type McNemarTest, type PairedTTest, mcnemarExact, pairedTTest } from '../stats';

export const RESULTS_FORMAT = 'nax-evolve-results';
/**
 * 2: test scores over device instances (`test.chips`) and the paired-test accuracy claim.
 * 3: non-square arrays and ADC genes (`layers[].cols`, `adcBits`, `crossbarShapes`), the screen's
 * savings (`search.screening`), the headline checks (`claims.headline`) and the chosen model's
 * per-layer sensitivity (`sensitivity`).
 */
export const RESULTS_VERSION = 3;

/** Accuracy (fractions) and EDAP of a finalised model on the test split. */
export interface TestScores {
  /** Float accuracy of the exported ONNX (executor, ideal mode). */
  idealAccuracy: number;
  /** Crossbar-mode accuracy under the mapping, non-idealities on: the mean over `chips`. */
  accuracy: number;
  edap: number;
  /** Per-chip crossbar accuracies (chips 0 .. n - 1, the same chips for every model), mean, std, 95% CI. */
  chips: ChipAccuracies;
}

/** A model finalised after the search (fine-tuned, tested, exported). */
export interface FinalModel {
  role: string;
  /** File stem under models/. */
  name: string;
  key: string;
  genome: Genome;
  mapping: CrossbarMapping;
  /** The mapping resolved for the test split: what was programmed and what was costed. */
  plan: CrossbarPlan;
  /** The search's validation scores of its genome. */
  validation: CandidateResult;
  test: TestScores;
  /**
   * Correctness of every (chip, image) of the test run (chip * images + image; 1 = right), for
   * the paired tests against the baselines (not written to results.json).
   */
  testCorrect: Uint8Array;
  cost: NetworkCost;
  onnx: Uint8Array;
}

/** One layer of a model, for tables: kernel and crossbar choice. */
export interface LayerChoice {
  layer: string;
  kernel: number;
  /** Crossbar rows. */
  crossbar: number;
  /** Crossbar columns (= rows unless the search had a column gene). */
  cols: number;
  /** The layer's ADC gene, when the search had one. */
  adcBits?: AdcGeneValue;
  searchableKernel: boolean;
}

/** "64x32" (rows x columns) of a layer choice. */
export const shapeOf = (l: Pick<LayerChoice, 'crossbar' | 'cols'>): string => `${l.crossbar}x${l.cols}`;

export interface ResultModel {
  role: string;
  name: string;
  key: string;
  genome: Genome;
  layers: LayerChoice[];
  /** Distinct crossbar row counts the model uses. */
  crossbarSizes: number[];
  /** Distinct array shapes ("rows x cols") the model uses, e.g. ["32x32", "64x32"]. */
  crossbarShapes: string[];
  validation: CandidateResult;
  test: TestScores;
  /** Per-layer cost on the test-time mapping (energy J, latency s, area mm^2, arrays). */
  costLayers: Array<{
    layer: string; arrays: number; utilization: number; adcBits: number; energyJoules: number; latencySeconds: number; areaMm2: number;
    /** The layer's shape (added with the issue-12 cost model; absent in older results.json): what the report's sensitivity section re-costs. */
    k?: number; n?: number; outputPixels?: number; groups?: number; signedInput?: boolean;
    /** Where the read energy's input digit statistics came from, and the statistics (absent in older results.json). */
    inputActivity?: 'calibration' | 'default'; meanDigit?: number; meanSquareDigit?: number;
  }>;
  /** Which input activity the model's energy and EDAP used: measured on the scale images, or the default. */
  inputActivity?: InputActivitySummary;
  /**
   * Per-layer resolved plan of the test run (the single source the executor and the cost model
   * read), as chip `planChip` (0) has it; the other chips of `test.chips` differ only in their
   * group seeds (lib/plan chipGroupSeed).
   */
  planChip: number;
  plan: Array<{ layer: string; rows: number; cols: number; adcBits: number; arrays: number; groupSeeds: number[]; signedInput: boolean; inputScale: number | null }>;
  files: { onnx: string; mapping: string };
}

/**
 * The chosen model against the best baseline on the test split, paired over the same test images
 * and the same chips: the paired t-test over per-chip accuracy differences (chosen - baseline) and
 * McNemar's exact test over every (chip, image).
 */
export interface AccuracyComparison {
  chosen: string;
  baseline: string;
  chips: number;
  images: number;
  pairedT: PairedTTest;
  mcnemar: McNemarTest;
  /**
   * Which test decides the claims: the paired t-test with PAIRED_T_MIN_CHIPS or more chips
   * (chip-to-chip spread is the variance a user's chip sees), McNemar's test with one chip (no
   * spread to test against), and both with 2 to PAIRED_T_MIN_CHIPS - 1 chips, where the t-test has
   * 1-3 degrees of freedom (critical t 12.7 at df = 1) and on its own would call almost any deficit
   * "not significant": then a claim holds only when both tests grant it.
   */
  decidedBy: 'paired-t' | 'mcnemar' | 'both';
  rule: string;
}

/** The bar of issue 6, computed on the test split (honest: reported whether it holds or not). */
export interface EvolveClaims {
  /** The baseline with the highest mean test non-ideal accuracy over the chips (ties: lower EDAP). */
  bestBaseline: string;
  /** Mean test accuracies over the chips. */
  chosenAccuracy: number;
  bestBaselineAccuracy: number;
  /**
   * The chosen model is not significantly less accurate than the best baseline (comparison.rule):
   * the paired 95% CI of the mean per-chip difference reaches 0 or above; with one chip, McNemar's
   * exact test does not find it worse at p < 0.05; with 2-4 chips, both.
   */
  accuracyAtLeastBaseline: boolean;
  /** The chosen model is significantly more accurate: the paired 95% CI lies above 0 (one chip: McNemar p < 0.05, in its favour; 2-4 chips: both). */
  accuracySignificantlyHigher: boolean;
  /** The tests behind both accuracy claims, with their numbers. */
  accuracyComparison: AccuracyComparison;
  /** 1 - chosen EDAP / best baseline EDAP. */
  edapReduction: number;
  edapReductionAtLeast17Percent: boolean;
  /** Final-front members (validation) that some homogeneous baseline dominates (should be none). */
  frontDominatedByBaseline: string[];
  /** Finalised Pareto models that some baseline dominates on the test split. */
  finalDominatedByBaseline: string[];
  /** The chosen model uses more than one array shape (rows x columns). */
  chosenUsesMixedCrossbars: boolean;
  all: boolean;
  /** The issue-14 headline, each check an explicit boolean with the numbers behind it. */
  headline: HeadlineChecks;
}

/** Issue 14's headline: what NAX claims (Negi et al. 2021: +0.8% accuracy, -17% EDAP on CIFAR-10), decided by statistics. */
export interface HeadlineChecks {
  /** Chosen non-ideal test accuracy above the best homogeneous baseline's, significant at 95% by the paired test (same images, same chips). */
  accuracySignificantlyHigher: {
    holds: boolean; chosen: number; baseline: number; meanDifference: number;
    ci95: [number, number] | null; p: number | null; test: 'paired-t' | 'mcnemar' | 'both'; chips: number; images: number;
  };
  /** EDAP at least 17% below that baseline's. */
  edapAtLeast17PercentLower: { holds: boolean; reduction: number; chosenEdap: number; baselineEdap: number };
  /** The chosen model mixes array shapes. */
  mixedCrossbarSizes: { holds: boolean; shapes: string[] };
  /** No homogeneous baseline dominates a member of the search's front (validation) or a finalised model (test). */
  noBaselineDominatesFront: { holds: boolean; dominatedOnValidation: string[]; dominatedOnTest: string[] };
  /** All four. */
  all: boolean;
}

export interface EvolveResults {
  format: typeof RESULTS_FORMAT;
  version: number;
  seed: number;
  config: Omit<EvolveConfig, 'outDir'> & { outDir: string };
  network: { arch: string; inputShape: number[]; classes: number; layers: Array<{ name: string; searchable: boolean; kernelSizes: number[] }> };
  supernet: { epochs: EpochRecord[] };
  search: {
    generations: number;
    evaluations: number;
    /** Every evaluated candidate, in evaluation order (validation scores). */
    candidates: Array<Candidate<CandidateResult>>;
    /** Non-dominated candidates, EDAP ascending. */
    front: string[];
    finalPopulation: string[];
    /** Full simulations run, the ones the screen and the predictor saved, and the cost in full-simulation equivalents. */
    screening: ScreeningStats;
    /**
     * The cost-greedy seed placed in generation 0 beside the baselines: coordinate descent on EDAP
     * from the cheapest baseline (`inInitialPopulation` false when it ended on a baseline).
     */
    costSeed?: { key: string; edap: number; start: string; startEdap: number; probes: number; passes: number; inInitialPopulation: boolean };
  };
  baselines: ResultModel[];
  chosen: {
    key: string;
    rule: ChosenModel<Candidate<CandidateResult>>['rule'];
    validationEdapReduction?: number;
    score: number;
    edapReference: number;
    /** Validation accuracy margin below the best baseline that still counted as matching it (one binomial standard error). */
    validationTolerance: number;
  };
  scalarized: { key: string; score: number; lambda: number };
  /** The fine-tuned finalists and baselines the choice was made from (validation split). */
  finalists: {
    rule: string;
    baselines: Array<{ key: string; validationAccuracy: number; idealAccuracy: number; edap: number }>;
    models: Array<{ key: string; validationAccuracy: number; idealAccuracy: number; edap: number }>;
  };
  finals: ResultModel[];
  claims: EvolveClaims;
  /** The chosen model's per-layer accuracy sensitivity and cost shares (null when skipped). */
  sensitivity: LayerSensitivity | null;
  timings: Record<string, unknown>;
  resumed: boolean;
}

function dominates(a: { accuracy: number; edap: number }, b: { accuracy: number; edap: number }): boolean {
  return a.accuracy >= b.accuracy && a.edap <= b.edap && (a.accuracy > b.accuracy || a.edap < b.edap);
}

function resultModel(m: FinalModel, layout: GenomeLayout): ResultModel {
  return {
    role: m.role,
    name: m.name,
    key: m.key,
    genome: m.genome,
    layers: layout.space.layers.map((l, i) => ({
      layer: l.name, kernel: m.genome.kernels[i], crossbar: m.genome.crossbars[i], cols: genomeCols(m.genome, i),
      ...(m.genome.adcBits ? { adcBits: m.genome.adcBits[i] } : {}), searchableKernel: layout.layers[i].searchable,
    })),
    crossbarSizes: [...new Set(m.genome.crossbars)].sort((a, b) => a - b),
    crossbarShapes: [...new Set(m.genome.crossbars.map((r, i) => `${r}x${genomeCols(m.genome, i)}`))].sort((a, b) => parseInt(a) - parseInt(b) || a.localeCompare(b)),
    validation: m.validation,
    test: m.test,
    costLayers: m.cost.layers.map((l) => ({
      layer: l.name, arrays: l.arrays, utilization: l.utilization, adcBits: l.crossbar.adcBits,
      energyJoules: l.energyJoules.total, latencySeconds: l.latencySeconds, areaMm2: l.areaMm2.total,
      k: l.k, n: l.n, outputPixels: l.outputPixels, groups: l.groups, signedInput: l.counts.passes === 2,
      inputActivity: l.activity.source, meanDigit: l.activity.meanDigit, meanSquareDigit: l.activity.meanSquareDigit,
    })),
    inputActivity: inputActivitySummary(m.cost),
    planChip: m.plan.chip,
    plan: m.plan.layers.map((l) => ({
      layer: l.name, rows: l.config.rows, cols: l.config.cols, adcBits: l.config.adcBits, arrays: l.arrays,
      groupSeeds: l.groupSeeds, signedInput: l.signedInput, inputScale: l.config.inputScale ?? null,
    })),
    files: m.role === 'baseline' ? { onnx: 'models/baseline.onnx', mapping: `models/${m.name}.mapping.json` } : { onnx: `models/${m.name}.onnx`, mapping: `models/${m.name}.mapping.json` },
  };
}

/**
 * Chips from which the paired t-test alone decides (df >= 4, critical t 2.78); with fewer, McNemar's
 * test must agree (AccuracyComparison.decidedBy).
 */
export const PAIRED_T_MIN_CHIPS = 5;

/** The paired comparison of two final models scored on the same test images and chips. */
export function compareAccuracy(chosen: FinalModel, baseline: FinalModel): AccuracyComparison {
  const chips = chosen.test.chips.chips;
  const pairedT = pairedTTest(chosen.test.chips.accuracies, baseline.test.chips.accuracies);
  const mcnemar = mcnemarExact(chosen.testCorrect, baseline.testCorrect);
  const decidedBy = chips >= PAIRED_T_MIN_CHIPS ? 'paired-t' : chips >= 2 ? 'both' : 'mcnemar';
  const tRule = 'the 95% CI of the mean per-chip difference (chosen - baseline) has upper bound >= 0 (at least as accurate) or lower bound > 0 (significantly higher)';
  const mRule = 'at least as accurate unless the baseline is significantly better (p < 0.05 with c > b), significantly higher when p < 0.05 with b > c (b: (chip, image) pairs only the chosen model gets right, c: only the baseline)';
  const rule =
    decidedBy === 'paired-t'
      ? `paired t-test over ${chips} chips: ${tRule}; McNemar's exact test over ${mcnemar.pairs} (chip, image) pairs is reported alongside`
      : decidedBy === 'both'
        ? `${chips} chips (fewer than ${PAIRED_T_MIN_CHIPS}: the paired t-test has ${chips - 1} degree${chips === 2 ? '' : 's'} of freedom): each claim holds only when both tests grant it: paired t-test, ${tRule}; McNemar's exact test over ${mcnemar.pairs} (chip, image) pairs, ${mRule}`
        : `one chip: McNemar's exact test over the test images decides: ${mRule}`;
  return { chosen: chosen.name, baseline: baseline.name, chips, images: mcnemar.pairs / chips, pairedT, mcnemar, decidedBy, rule };
}

const signedPct = (x: number) => `${x >= 0 ? '+' : ''}${(100 * x).toFixed(2)}%`;
const pValue = (p: number) => (p >= 0.001 ? p.toFixed(3) : p.toExponential(1));

/** Both paired tests' numbers in one line, and which one decided (CLI table and report.html). */
export function describeAccuracyComparison(c: AccuracyComparison): string {
  const t = c.pairedT;
  const tText =
    t.t === null || t.ci95 === null || t.p === null
      ? `paired t-test: not defined for ${c.chips} chip`
      : `paired t over ${c.chips} chips: mean difference ${signedPct(t.meanDifference)} (95% CI ${signedPct(t.ci95[0])} to ${signedPct(t.ci95[1])}), t = ${t.t.toFixed(2)}, df = ${t.df}, p = ${pValue(t.p)}`;
  const m = c.mcnemar;
  return `${tText}; McNemar exact over ${m.pairs} (chip, image) pairs: b = ${m.b}, c = ${m.c}, p = ${pValue(m.p)}; decided by ${c.decidedBy === 'paired-t' ? 'the paired t-test' : c.decidedBy === 'both' ? 'both tests (each claim needs both)' : "McNemar's test"}`;
}

/** "97.10% ± 0.35%" (mean ± std over the chips), or the one chip's accuracy. */
export function formatTestAccuracy(t: TestScores, options: { ci?: boolean } = {}): string {
  const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
  const c = t.chips;
  if (c.std === null || c.ci95 === null) return pct(t.accuracy);
  return `${pct(c.mean)} ± ${pct(c.std)}${options.ci ? ` (95% CI ${pct(c.ci95[0])}-${pct(c.ci95[1])})` : ''}`;
}

/** The two accuracy claims under comparison.rule. */
export function accuracyClaims(c: AccuracyComparison): { atLeast: boolean; higher: boolean } {
  const significant = c.mcnemar.p < 0.05;
  const byMcnemar = { atLeast: !(significant && c.mcnemar.c > c.mcnemar.b), higher: significant && c.mcnemar.b > c.mcnemar.c };
  const ci = c.pairedT.ci95;
  // A t-test that is not defined (zero spread of the differences) grants nothing on its own.
  const byT = ci ? { atLeast: ci[1] >= 0, higher: ci[0] > 0 } : null;
  if (c.decidedBy === 'paired-t' && byT) return byT;
  if (c.decidedBy === 'both' && byT) return { atLeast: byT.atLeast && byMcnemar.atLeast, higher: byT.higher && byMcnemar.higher };
  return byMcnemar;
}

export interface BuildResultsInput {
  config: EvolveConfig;
  spec: NetworkSpec;
  layout: GenomeLayout;
  evolution: EvolutionResult<CandidateResult>;
  /** Search-time baseline scores (supernet weights). */
  baselines: Array<Candidate<CandidateResult>>;
  /** The choice: made among the finalists, re-scored on validation after fine-tuning. */
  chosen: ChosenModel<Candidate<CandidateResult>>;
  /** Fine-tuned finalists and baselines with their validation scores after fine-tuning. */
  finalists: { baselines: Array<Candidate<CandidateResult>>; finalists: Array<Candidate<CandidateResult>> };
  scalarized: { candidate: Candidate<CandidateResult>; score: number };
  finals: FinalModel[];
  baselineFinals: FinalModel[];
  supernetHistory: EpochRecord[];
  subnetKernels: (g: Genome) => number[];
  timings: Record<string, unknown>;
  resumed: boolean;
  sensitivity?: LayerSensitivity;
  /** The cost-greedy seed of generation 0 (cost-seed.ts). */
  costSeed?: CostSeed;
}

export function buildResults(input: BuildResultsInput): EvolveResults {
  const { config, spec, layout, evolution, baselines, chosen, finals, baselineFinals } = input;
  const front = evolution.front;
  const baselineModels = baselineFinals.map((m) => resultModel(m, layout));
  const finalModels = finals.map((m) => resultModel(m, layout));
  const bestIndex = baselineModels.map((_, i) => i).sort((a, b) => baselineModels[b].test.accuracy - baselineModels[a].test.accuracy || baselineModels[a].test.edap - baselineModels[b].test.edap)[0];
  const best = baselineModels[bestIndex];
  const chosenModel = finalModels[0];
  const accuracyComparison = compareAccuracy(finals[0], baselineFinals[bestIndex]);
  const decided = accuracyClaims(accuracyComparison);
  const edapReduction = 1 - chosenModel.test.edap / best.test.edap;
  const frontDominated = front
    .filter((c) => baselines.some((b) => b.key !== c.key && dominates(b.result, c.result)))
    .map((c) => c.key);
  const finalDominated = finalModels
    .filter((m) => baselineModels.some((b) => b.key !== m.key && dominates(b.test, m.test)))
    .map((m) => m.name);
  const partial: Omit<EvolveClaims, 'headline'> = {
    bestBaseline: best.name,
    chosenAccuracy: chosenModel.test.accuracy,
    bestBaselineAccuracy: best.test.accuracy,
    accuracyAtLeastBaseline: decided.atLeast,
    accuracySignificantlyHigher: decided.higher,
    accuracyComparison,
    edapReduction,
    edapReductionAtLeast17Percent: edapReduction >= 0.17,
    frontDominatedByBaseline: frontDominated,
    finalDominatedByBaseline: finalDominated,
    chosenUsesMixedCrossbars: chosenModel.crossbarShapes.length > 1,
    all: false,
  };
  partial.all = partial.accuracyAtLeastBaseline && partial.edapReductionAtLeast17Percent && frontDominated.length === 0 && partial.chosenUsesMixedCrossbars;
  const claims: EvolveClaims = { ...partial, headline: headlineChecks(partial, chosenModel, best) };
  const { hardware, ...configRest } = config;
  return {
    format: RESULTS_FORMAT,
    version: RESULTS_VERSION,
    seed: config.seed,
    config: { ...configRest, hardware, outDir: config.outDir },
    network: {
      arch: spec.arch,
      inputShape: [...spec.inputShape],
      classes: spec.classes,
      layers: layout.space.layers.map((l, i) => ({ name: l.name, searchable: layout.layers[i].searchable, kernelSizes: l.kernelSizes })),
    },
    supernet: { epochs: input.supernetHistory },
    search: {
      generations: evolution.generations,
      evaluations: evolution.evaluations,
      candidates: evolution.archive,
      front: front.map((c) => c.key),
      finalPopulation: evolution.population.map((c) => c.key),
      screening: evolution.screening,
      ...(input.costSeed
        ? {
            costSeed: {
              key: genomeKey(input.costSeed.genome), edap: input.costSeed.edap, start: genomeKey(input.costSeed.start), startEdap: input.costSeed.startEdap,
              probes: input.costSeed.probes, passes: input.costSeed.passes,
              inInitialPopulation: !baselines.some((b) => b.key === genomeKey(input.costSeed!.genome)),
            },
          }
        : {}),
    },
    baselines: baselineModels,
    chosen: {
      key: chosen.candidate.key, rule: chosen.rule, validationEdapReduction: chosen.edapReduction, score: chosen.score,
      edapReference: chosen.edapReference, validationTolerance: chosen.tolerance,
    },
    scalarized: { key: input.scalarized.candidate.key, score: input.scalarized.score, lambda: config.lambda },
    finalists: {
      rule: 'the chosen model is picked among these Pareto models after fine-tuning, by their validation scores against the fine-tuned baselines',
      baselines: input.finalists.baselines.map((c) => ({ key: c.key, validationAccuracy: c.result.accuracy, idealAccuracy: c.result.idealAccuracy, edap: c.result.edap })),
      models: input.finalists.finalists.map((c) => ({ key: c.key, validationAccuracy: c.result.accuracy, idealAccuracy: c.result.idealAccuracy, edap: c.result.edap })),
    },
    finals: finalModels,
    claims,
    sensitivity: input.sensitivity ?? null,
    timings: input.timings,
    resumed: input.resumed,
  };
}

/** The headline checks from the claims (the same tests and numbers, one boolean each). */
export function headlineChecks(claims: Omit<EvolveClaims, 'headline'>, chosen: ResultModel, baseline: ResultModel): HeadlineChecks {
  const c = claims.accuracyComparison;
  const significant = {
    holds: claims.accuracySignificantlyHigher,
    chosen: claims.chosenAccuracy,
    baseline: claims.bestBaselineAccuracy,
    meanDifference: claims.chosenAccuracy - claims.bestBaselineAccuracy,
    ci95: c.pairedT.ci95,
    // 'both': the larger p (the claim needs both tests).
    p: c.decidedBy === 'paired-t' ? c.pairedT.p : c.decidedBy === 'both' ? Math.max(c.pairedT.p ?? 1, c.mcnemar.p) : c.mcnemar.p,
    test: c.decidedBy,
    chips: c.chips,
    images: c.images,
  };
  const edap = { holds: claims.edapReductionAtLeast17Percent, reduction: claims.edapReduction, chosenEdap: chosen.test.edap, baselineEdap: baseline.test.edap };
  const mixed = { holds: chosen.crossbarShapes.length > 1, shapes: chosen.crossbarShapes };
  const front = {
    holds: claims.frontDominatedByBaseline.length === 0 && claims.finalDominatedByBaseline.length === 0,
    dominatedOnValidation: claims.frontDominatedByBaseline,
    dominatedOnTest: claims.finalDominatedByBaseline,
  };
  return {
    accuracySignificantlyHigher: significant,
    edapAtLeast17PercentLower: edap,
    mixedCrossbarSizes: mixed,
    noBaselineDominatesFront: front,
    all: significant.holds && edap.holds && mixed.holds && front.holds,
  };
}
