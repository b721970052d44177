/** Public API of nax-native. Everything users import is re-exported here. */
export { NaxError, ErrorCodes } from './errors';
export type { ErrorCode } from './errors';
export { loadAddon } from './native';
export { loadDataset, batches, validationSplit, subset, channelStats, DEFAULT_NORMALIZATION } from './data';
export type { Dataset, DatasetName, DatasetSplit, Normalization, LoadDatasetOptions, Batch, IndexSplit } from './data';
export {
  buildNetwork,
  searchableConvs,
  NetworkBuilder,
  ARCHS,
  MAX_KERNEL_SIZE,
  KERNEL_SIZE_RULE,
  isKernelSize,
  TrainModel,
  trainModel,
  TRAIN_DEFAULTS,
  cosineLr,
  extractSubnet,
  subnetSpec,
  toOnnxGraph as trainedModelGraph,
  exportOnnx as exportTrainedModel,
  saveCheckpoint as saveTrainCheckpoint,
  loadCheckpoint as loadTrainCheckpoint,
} from './train';
export type { ArchName, ArchOptions, NetworkSpec, ModelOptions, ModelState, EvalResult, ImageSet, TrainOptions, TrainProgress, TrainResult, EpochRecord, ExtractOptions } from './train';
export {
  runEvolution,
  createSearchSpace,
  genomeKey,
  parseGenomeKey,
  encodeGenome,
  decodeGenome,
  paretoFront,
  fastNonDominatedSort,
  crowdingDistance,
  Rng,
  DEFAULT_KERNEL_SIZES,
  DEFAULT_CROSSBAR_SIZES,
} from './search';
export type { Genome, SearchSpace, Candidate, EvolutionOptions, EvolutionResult, GenerationEvent, Objectives } from './search';
// The co-design search pipeline (`nax-native evolve`)
export { chooseModel, scalarizedPick, scalarizedScore } from './codesign';
export type { ChosenModel } from './codesign';
export { evolve } from './codesign';
export { runWorker } from './codesign';
export type { WorkerOptions, CandidatePayload, RunInputs } from './codesign';
// The job queue candidate evaluation runs on across machines (`evolve --queue`, `nax-native worker`)
export { resolveQueueConnection, probeQueue, QueueCoordinator, serveQueue, codeVersion } from './queue';
export type { QueueOptions, QueueTlsOptions, QueueConnection, QueueRunStats, CoordinatorProgress, ServeSummary, JobEnvelope, JobOutcome, WorkerIdentity } from './queue';
export type { EvolveOptions, EvolveProgress, EvolvePhase } from './codesign';
export { resolveEvolveOptions, EVOLVE_DEFAULTS, EVOLVE_QUICK, EVOLVE_DEVICE_DEFAULTS } from './codesign';
export type { EvolveConfig, EvolveOptionsInput } from './codesign';
export { networkSearchSpace, subnetKernels, genomeMapping, homogeneousGenome, CandidateEvaluator } from './codesign';
export type { CandidateResult, GenomeLayout, GeneLayer } from './codesign';
export type { EvolveResults, ResultModel, EvolveClaims, TestScores } from './codesign';
export { transferMatrix, solveCircuit, idealCurrents, MAX_CROSSBAR_SIDE } from './circuit';
export type { CircuitOptions, TransferMatrixOptions, SolveCircuitOptions } from './circuit';
export {
  hardwareCost,
  layerCost,
  combineLayerCosts,
  costBySize,
  resolveHardware,
  validateHardware,
  defaultHardware,
  hardwareSources,
  hardwareSource,
  resnetCifarLayers,
  builtinNetworks,
  hardwareTemplates,
  TEMPLATE_NAMES,
  layerCounts,
  readoutOf,
  inputActivity,
  defaultInputActivity,
  weightLevelFraction,
  wirePowerWatts,
  calibrateInputActivity,
  templateInventory,
  costSensitivity,
  sensitivityVariants,
  sensitivitySvg,
  adcConversionJoules,
  adcConversionSeconds,
} from './hardware';
export type {
  HardwareConfig,
  HardwareOverrides,
  HardwareCostOptions,
  CostLayer,
  CostMapping,
  CrossbarCostSettings,
  LayerCost,
  NetworkCost,
  EnergyBreakdown,
  AreaBreakdown,
  SizeCost,
  TemplateName,
  LayerCounts,
  InputActivity,
  LayerDeviceData,
  Inventory,
  SensitivityResult,
  SensitivityVariant,
} from './hardware';
export { sweep, parseSweepSizes, sweepTableRows, sweepPlotPoints, sweepReportFiles, DEFAULT_SWEEP_SIZES, SWEEP_SIZE_RANGE } from './sweep';
export type { SweepOptions, SweepResult, SweepRow, SweepProgress, SweepReportFiles } from './sweep';
export { DEFAULT_NON_IDEAL, overNonIdealPreset } from './crossbar/presets';

// ONNX and the graph executor
export { readOnnx, readOnnxFile, readTensorProto, checkSupported, unsupportedNodes } from './onnx/reader';
export { writeOnnx, writeOnnxFile } from './onnx/writer';
export { supportedOps } from './onnx/supported';
export { GraphBuilder, buildResNet20, buildMobileNetV2 } from './onnx/builder';
export { tensor, int64Tensor, node, valueInfo, attr, createGraph, cloneGraph, shapeSize } from './onnx/ir';
export type { Graph, Node, Tensor, ValueInfo, AttributeValue, DataType } from './onnx/ir';
export { GraphExecutor } from './runtime/executor';
export type { ExecutorOptions, ExecutionMode, Feed } from './runtime/executor';
export { floatBackend } from './runtime/backend';
export type { MatmulBackend, ProgrammedMatrix } from './runtime/backend';
export { calibrateInputScales, calibrateInputRanges } from './runtime/calibrate';
export type { InputRange } from './runtime/calibrate';
export { lowerToCrossbarLayers, foldBatchNorm, prepareGraph, packGroups, groupsPerArray } from './runtime/lower';
export { foldConstants } from './runtime/graph-passes';
export { listOps, formatOpList } from './runtime/op-list';
export type { OpList, OpTypeSummary, OpPlacement } from './runtime/op-list';
export type { LoweredLayer, LowerOptions } from './runtime/lower';
export { crossbarBackend } from './runtime/crossbar-backend';
export type { CrossbarBackend } from './runtime/crossbar-backend';
export { classify, calibrate, classifyOnCrossbars, classifyOverChips, chipAccuracies, MAX_CHIPS } from './runtime/classify';
export type { LabelledImages, ClassifyOptions, ClassifyResult, CalibrateOptions, CrossbarClassifyOptions, CrossbarClassifyResult, ChipsClassifyOptions, ChipsClassifyResult, ChipAccuracies } from './runtime/classify';
// The resolved layer plan: mapping in, one resolved config + geometry per layer out
export { loadMapping, validateMapping, withCrossbarSize, planLayers, planGraph, layerPlanOf, groupConfig, groupSeed, chipGroupSeed, planForChip, MAX_CHIP, GROUP_PACKINGS, nonNegativeValues } from './plan';
export type { CrossbarMapping, CrossbarPlan, LayerPlan, PlanLayerInput, PlanInputRange, PlanOptions, GraphPlanOptions, InputSignSource, GroupPacking, GroupPackingPlan } from './plan';
export { evaluateModel } from './runtime/evaluate';
export type { EvaluateOptions, EvaluateResult, EvalLayerRow } from './runtime/evaluate';
export type { Value } from './runtime/ops';
export {
  CrossbarLayer,
  crossbarMatMul,
  resolveCrossbarConfig,
  DEFAULT_PARASITICS,
  CROSSBAR_DEFAULTS,
  DEFAULT_ADC_BITS_RULE,
  MAX_THREADS,
  mappingGeometry,
  magnitudeSlices,
  naxAdcBits,
  losslessAdcBits,
  resolveDeviceConfig,
  deviceConductances,
  DEVICE_PRESETS,
  DEVICE_PRESET_NAMES,
  maxColumnCode,
  physicalCols,
  conversionsPerArrayRead,
  bipolarReadout,
  READOUTS,
  defaultAccelerator,
} from './crossbar';
export type {
  CrossbarConfig,
  CrossbarConfigInput,
  ParasiticsConfig,
  VariationConfig,
  AdcRange,
  AdcRangeScope,
  AdcBitsRule,
  WeightScale,
  ReadNoiseModel,
  AdcNonIdealConfig,
  Accelerator,
  Readout,
  AdcReadoutSpec,
  ArrayPosition,
  ProgramOptions,
  CrossbarLayerState,
  MappingGeometry,
  MappingGeometryInput,
  DeviceConfig,
  DeviceConfigInput,
  DevicePresetName,
  ProgrammingErrorConfig,
  DriftConfig,
  ClampedLogLinearConfig,
  ReadNoise1fConfig,
  NonlinearityConfig,
  DeviceConductancesOptions,
} from './crossbar';
// Statistics over device instances (chips): summaries, paired t-test, McNemar's exact test
export { mean, sampleStd, summarize, studentTQuantile, studentTCdf, normalCdf, regularizedIncompleteBeta, pairedTTest, mcnemarExact, mcnemarExactP } from './stats';
export type { SampleSummary, PairedTTest, McNemarTest } from './stats';
