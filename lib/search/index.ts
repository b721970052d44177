/** Generic multi-objective search: genomes, NSGA-II, the Pareto front, the evolution loop with checkpoints. */
export { Rng } from './random';
export type { RngState } from './random';
export {
  createSearchSpace,
  spaceSize,
  validateGenome,
  encodeGenome,
  decodeGenome,
  genomeKey,
  parseGenomeKey,
  randomGenome,
  mutateGenome,
  uniformCrossover,
  cloneGenome,
  DEFAULT_KERNEL_SIZES,
  DEFAULT_CROSSBAR_SIZES,
  spaceGenes,
  geneCount,
  genomeCols,
} from './genome';
export type { Genome, SearchSpace, LayerSpace, SearchSpaceOptions, AdcGeneValue } from './genome';
export {
  dominates,
  fastNonDominatedSort,
  crowdingDistance,
  rankAndCrowd,
  crowdedCompare,
  binaryTournament,
  environmentalSelection,
} from './nsga2';
export type { FrontSorting, RankedPoints } from './nsga2';
export { paretoFront, objectiveVector } from './pareto';
export type { Objectives, Scored } from './pareto';
export { runEvolution, wilsonUpper, screeningStats } from './evolution';
export type { Candidate, EvaluationContext, EvaluationEvent, GenerationEvent, EvolutionOptions, EvolutionResult, ScreeningOptions, ScreeningStats, ProxyCandidate } from './evolution';
export { loadCheckpoint, saveCheckpoint, writeFileAtomic } from './checkpoint';
export type { EvolutionCheckpoint, EvolutionFingerprint } from './checkpoint';
export { hypervolume } from './hypervolume';
export type { HypervolumeReference } from './hypervolume';
export { compareSearchEfficiency, runAtBudget, surrogateProblem, SEARCH_METHODS } from './efficiency';
export type { FidelityProblem, SearchMethod, BudgetRun, BudgetOptions, EfficiencyRow, EfficiencySummary, EfficiencyComparison } from './efficiency';
