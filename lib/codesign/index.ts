/** The co-design pipeline (`nax-native evolve`): options, candidates, the model-choice rule, results. */
export { scalarizedScore, scalarizedPick, chooseModel, DEFAULT_LAMBDA } from './choose';
export type { ChooseOptions, ChosenModel } from './choose';
export { evolve } from './evolve';
export type { EvolveOptions, EvolveProgress, EvolvePhase } from './evolve';
export { resolveEvolveOptions, EVOLVE_DEFAULTS, EVOLVE_QUICK, EVOLVE_DEVICE_DEFAULTS } from './evolve-options';
export type { EvolveConfig, EvolveOptionsInput } from './evolve-options';
export { networkSearchSpace, subnetKernels, genomeMapping, homogeneousGenome, CandidateEvaluator } from './candidate';
export type { CandidateResult, GenomeLayout, GeneLayer } from './candidate';
export type { EvolveResults, ResultModel, EvolveClaims, TestScores } from './results';
export { runWorker, publishRunInputs, runInputs, runInputsHash } from './worker';
export type { WorkerOptions, CandidatePayload, RunInputs, RunConfig } from './worker';
