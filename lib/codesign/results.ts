/**
 * What `evolve()` returns and writes: results.json (every candidate, the front, the baselines,
 * the final models on the test split, the configs, seed and timings), the exported models
 * (ONNX + mapping JSON) and report.html (./outputs.ts writes them).
 */
import type { NetworkCost } from '../hardware';
import type { NetworkSpec, EpochRecord } from '../train';
import type { Genome } from '../search/genome';
import type { Candidate, EvolutionResult } from '../search/evolution';
import type { ChosenModel } from './choose';
import type { CandidateResult, GenomeLayout } from './candidate';
import type { CrossbarMapping, CrossbarPlan } from '../plan';
import type { EvolveConfig } from './evolve-options';

export const RESULTS_FORMAT = 'nax-evolve-results';
export const RESULTS_VERSION = 1;

/** Accuracy (fractions) and EDAP of a finalised model on the test split. */
export interface TestScores {
  /** Float accuracy of the exported ONNX (executor, ideal mode). */
  idealAccuracy: number;
  /** Crossbar-mode accuracy under the mapping, non-idealities on. */
  accuracy: number;
  edap: number;
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
  cost: NetworkCost;
  onnx: Uint8Array;
}

/** One layer of a model, for tables: kernel and crossbar choice. */
export interface LayerChoice {
  layer: string;
  kernel: number;
  crossbar: number;
  searchableKernel: boolean;
}

export interface ResultModel {
  role: string;
  name: string;
  key: string;
  genome: Genome;
  layers: LayerChoice[];
  /** Distinct crossbar sizes the model uses. */
  crossbarSizes: number[];
  validation: CandidateResult;
  test: TestScores;
  /** Per-layer cost on the test-time mapping (energy J, latency s, area mm^2, arrays). */
  costLayers: Array<{ layer: string; arrays: number; utilization: number; adcBits: number; energyJoules: number; latencySeconds: number; areaMm2: number }>;
  /** Per-layer resolved plan of the test run (the single source the executor and the cost model read). */
  plan: Array<{ layer: string; rows: number; cols: number; adcBits: number; arrays: number; groupSeeds: number[]; signedInput: boolean; inputScale: number | null }>;
  files: { onnx: string; mapping: string };
}

/** The bar of issue 6, computed on the test split (honest: reported whether it holds or not). */
export interface EvolveClaims {
  /** The baseline with the highest test non-ideal accuracy (ties: lower EDAP). */
  bestBaseline: string;
  chosenAccuracy: number;
  bestBaselineAccuracy: number;
  /** chosen test accuracy >= best baseline's. */
  accuracyAtLeastBaseline: boolean;
  /** 1 - chosen EDAP / best baseline EDAP. */
  edapReduction: number;
  edapReductionAtLeast17Percent: boolean;
  /** Final-front members (validation) that some homogeneous baseline dominates (should be none). */
  frontDominatedByBaseline: string[];
  /** Finalised Pareto models that some baseline dominates on the test split. */
  finalDominatedByBaseline: string[];
  chosenUsesMixedCrossbars: boolean;
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
  };
  baselines: ResultModel[];
  chosen: { key: string; rule: ChosenModel<Candidate<CandidateResult>>['rule']; validationEdapReduction?: number; score: number; edapReference: number };
  scalarized: { key: string; score: number; lambda: number };
  /** The fine-tuned finalists and baselines the choice was made from (validation split). */
  finalists: {
    rule: string;
    baselines: Array<{ key: string; validationAccuracy: number; idealAccuracy: number; edap: number }>;
    models: Array<{ key: string; validationAccuracy: number; idealAccuracy: number; edap: number }>;
  };
  finals: ResultModel[];
  claims: EvolveClaims;
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
    layers: layout.space.layers.map((l, i) => ({ layer: l.name, kernel: m.genome.kernels[i], crossbar: m.genome.crossbars[i], searchableKernel: layout.layers[i].searchable })),
    crossbarSizes: [...new Set(m.genome.crossbars)].sort((a, b) => a - b),
    validation: m.validation,
    test: m.test,
    costLayers: m.cost.layers.map((l) => ({
      layer: l.name, arrays: l.arrays, utilization: l.utilization, adcBits: l.crossbar.adcBits,
      energyJoules: l.energyJoules.total, latencySeconds: l.latencySeconds, areaMm2: l.areaMm2.total,
    })),
    plan: m.plan.layers.map((l) => ({
      layer: l.name, rows: l.config.rows, cols: l.config.cols, adcBits: l.config.adcBits, arrays: l.arrays,
      groupSeeds: l.groupSeeds, signedInput: l.signedInput, inputScale: l.config.inputScale ?? null,
    })),
    files: m.role === 'baseline' ? { onnx: 'models/baseline.onnx', mapping: `models/${m.name}.mapping.json` } : { onnx: `models/${m.name}.onnx`, mapping: `models/${m.name}.mapping.json` },
  };
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
}

export function buildResults(input: BuildResultsInput): EvolveResults {
  const { config, spec, layout, evolution, baselines, chosen, finals, baselineFinals } = input;
  const front = evolution.front;
  const baselineModels = baselineFinals.map((m) => resultModel(m, layout));
  const finalModels = finals.map((m) => resultModel(m, layout));
  const best = baselineModels.slice().sort((a, b) => b.test.accuracy - a.test.accuracy || a.test.edap - b.test.edap)[0];
  const chosenModel = finalModels[0];
  const edapReduction = 1 - chosenModel.test.edap / best.test.edap;
  const frontDominated = front
    .filter((c) => baselines.some((b) => b.key !== c.key && dominates(b.result, c.result)))
    .map((c) => c.key);
  const finalDominated = finalModels
    .filter((m) => baselineModels.some((b) => b.key !== m.key && dominates(b.test, m.test)))
    .map((m) => m.name);
  const claims: EvolveClaims = {
    bestBaseline: best.name,
    chosenAccuracy: chosenModel.test.accuracy,
    bestBaselineAccuracy: best.test.accuracy,
    accuracyAtLeastBaseline: chosenModel.test.accuracy >= best.test.accuracy,
    edapReduction,
    edapReductionAtLeast17Percent: edapReduction >= 0.17,
    frontDominatedByBaseline: frontDominated,
    finalDominatedByBaseline: finalDominated,
    chosenUsesMixedCrossbars: chosenModel.crossbarSizes.length > 1,
    all: false,
  };
  claims.all = claims.accuracyAtLeastBaseline && claims.edapReductionAtLeast17Percent && frontDominated.length === 0 && claims.chosenUsesMixedCrossbars;
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
    },
    baselines: baselineModels,
    chosen: { key: chosen.candidate.key, rule: chosen.rule, validationEdapReduction: chosen.edapReduction, score: chosen.score, edapReference: chosen.edapReference },
    scalarized: { key: input.scalarized.candidate.key, score: input.scalarized.score, lambda: config.lambda },
    finalists: {
      rule: 'the chosen model is picked among these Pareto models after fine-tuning, by their validation scores against the fine-tuned baselines',
      baselines: input.finalists.baselines.map((c) => ({ key: c.key, validationAccuracy: c.result.accuracy, idealAccuracy: c.result.idealAccuracy, edap: c.result.edap })),
      models: input.finalists.finalists.map((c) => ({ key: c.key, validationAccuracy: c.result.accuracy, idealAccuracy: c.result.idealAccuracy, edap: c.result.edap })),
    },
    finals: finalModels,
    claims,
    timings: input.timings,
    resumed: input.resumed,
  };
}
