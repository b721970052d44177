/** Native training: network descriptions, trainer loop, supernet subnets, checkpoints, ONNX export. */
export { buildNetwork, searchableConvs, NetworkBuilder, ARCHS, MAX_KERNEL_SIZE, KERNEL_SIZE_RULE, isKernelSize } from './network';
export type { ArchName, ArchOptions, NetworkSpec } from './network';
export { TrainModel } from './model';
export type { ModelOptions, ModelState, EvalResult, ImageSet } from './model';
export { trainModel, epochOrder, sampleEpochKernels, modelFromCheckpoint, TRAIN_DEFAULTS } from './trainer';
export type { TrainOptions, TrainProgress, TrainResult, EpochRecord, TrainCheckpointMeta } from './trainer';
export { allowedKernels, cosineLr } from './schedule';
export type { CosineSchedule, KernelSchedule } from './schedule';
export { extractSubnet, subnetSpec, centreKernel } from './supernet';
export type { ExtractOptions } from './supernet';
export { toOnnxGraph, exportOnnx } from './export';
export { saveCheckpoint, loadCheckpoint, encodeCheckpoint, decodeCheckpoint, writeFileAtomic } from './checkpoint';
export type { Checkpoint } from './checkpoint';
