/** Data sets: MNIST, Fashion-MNIST, any IDX pair, CIFAR-10; normalisation; splits; batches. */
export { loadDataset, DATASET_NAMES, FASHION_MNIST_DEBIAN_DIR, mnistPackageDir } from './load';
export { DEFAULT_NORMALIZATION, channelStats, resolveNormalization } from './normalize';
export { validationSplit, subset } from './split';
export type { ValidationSplitOptions, IndexSplit } from './split';
export { batches } from './batches';
export type { Batch, BatchOptions } from './batches';
export { readIdx, readIdxPair } from './idx';
export type { IdxArray, IdxPair } from './idx';
export { readCifar10, CIFAR10_CLASS_NAMES, CIFAR10_RECORD_BYTES } from './cifar10';
export type { Dataset, DatasetName, DatasetSplit, Normalization, LoadDatasetOptions } from './types';
