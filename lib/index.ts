/** Public API of nax-native. Everything users import is re-exported here. */
export { NaxError, ErrorCodes } from './errors';
export type { ErrorCode } from './errors';
export { loadAddon } from './native';
export { loadDataset, batches, validationSplit, subset, channelStats, DEFAULT_NORMALIZATION } from './data';
export type { Dataset, DatasetName, DatasetSplit, Normalization, LoadDatasetOptions, Batch, IndexSplit } from './data';
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
  defaultCostCrossbar,
  resnetCifarLayers,
  builtinNetworks,
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
} from './hardware';
