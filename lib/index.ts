/** Public API of nax-native. Everything users import is re-exported here. */
export { NaxError, ErrorCodes } from './errors';
export type { ErrorCode } from './errors';
export { loadAddon } from './native';
export { loadDataset, batches, validationSplit, subset, channelStats, DEFAULT_NORMALIZATION } from './data';
export type { Dataset, DatasetName, DatasetSplit, Normalization, LoadDatasetOptions, Batch, IndexSplit } from './data';
