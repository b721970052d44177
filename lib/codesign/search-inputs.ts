/**
 * What a candidate's evaluation reads, built from a run's config by one function for everyone:
 * the local `evolve()` and every queue worker (`nax-native worker`) derive the same training
 * subset (BatchNorm calibration, DAC input ranges), the same held-out validation images, the same
 * network and the same CandidateEvaluator from the same config, so a candidate scored on a worker
 * is scored by exactly the code and inputs of a local run.
 */
import { createHash } from 'crypto';
import { loadDataset, subset, validationSplit, type Dataset } from '../data';
import { buildNetwork, type ImageSet, type NetworkSpec, type TrainModel } from '../train';
import { Rng } from '../search/random';
import { CandidateEvaluator, networkSearchSpace, type GenomeLayout } from './candidate';
import type { EvolveConfig } from './evolve-options';

/** The training split's derived sets of a run. */
export interface SearchSplits {
  /** Supernet training images (also the calibration images of every candidate). */
  trainSet: ImageSet;
  /** Fine-tuning images of the final models. */
  finetuneSet: ImageSet;
  /** Held-out images every candidate is scored on. */
  validationSet: ImageSet;
}

/** The first `count` of `indices` after a seeded shuffle (a random subset that repeats per seed). */
function seededPick(indices: Uint32Array, count: number, seed: number): Uint32Array {
  const shuffled = new Rng(seed).shuffle(Uint32Array.from(indices));
  return shuffled.subarray(0, Math.min(count, shuffled.length)).slice().sort();
}

export function imageSet(d: Dataset): ImageSet {
  return { images: d.images, labels: d.labels, count: d.count };
}

/** The run's training split as evolve() reads it (`dataPath` overrides where it lives on this machine). */
export function loadTrainSplit(config: EvolveConfig, dataPath: string | undefined = config.dataPath): Promise<Dataset> {
  return loadDataset({ name: config.dataset, split: 'train', path: dataPath });
}

/** Training, fine-tuning and validation sets: a stratified seeded hold-out, then seeded subsets. */
export function searchSplits(config: EvolveConfig, train: Dataset): SearchSplits {
  const validationImages = Math.min(config.evaluation.validationImages, Math.floor(train.count / 2));
  const split = validationSplit(train, { fraction: validationImages / train.count, seed: config.seed, stratify: true });
  return {
    trainSet: imageSet(subset(train, seededPick(split.train, config.supernet.images, config.seed + 1))),
    finetuneSet: imageSet(subset(train, seededPick(split.train, config.finetune.images, config.seed + 2))),
    validationSet: imageSet(subset(train, split.validation)),
  };
}

/** The supernet of a run (ResNet-20 for 32x32 inputs unless the config names an arch). */
export function searchNetwork(config: EvolveConfig, data: Pick<Dataset, 'shape' | 'classes'>): NetworkSpec {
  const arch = config.network.arch ?? (data.shape[1] >= 32 ? 'resnet20' : 'resnet-mnist');
  return buildNetwork(arch, {
    inputShape: data.shape,
    classes: data.classes,
    kernels: config.kernels,
    width: config.network.width,
    blocks: arch === 'resnet20' && config.network.arch === undefined ? 3 : config.network.blocks,
  });
}

/**
 * The candidates' calibration images: the first of the supernet's training images, as many as
 * BatchNorm recalibration (calibrationBatches x calibrationBatchSize, read from the start) and the
 * activation scales (the first scaleImages) read, copied, so the evaluator does not keep the
 * whole training set alive (about 185 MB at the defaults' 59,200 images). Both read prefixes only, so
 * every result is the same as with the whole set.
 */
export function calibrationImages(set: ImageSet, config: EvolveConfig): ImageSet {
  const e = config.evaluation;
  const count = Math.min(set.count, Math.max(e.scaleImages, e.calibrationBatches * e.calibrationBatchSize));
  const perImage = set.count > 0 ? set.images.length / set.count : 0;
  return { images: set.images.slice(0, count * perImage), labels: set.labels.slice(0, count), count };
}

/** The search space and the candidate evaluator of a trained supernet (threads: this machine's). */
export function searchEvaluator(config: EvolveConfig, supernet: TrainModel, splits: SearchSplits, threads = config.threads): { layout: GenomeLayout; evaluator: CandidateEvaluator } {
  const layout = networkSearchSpace(supernet.spec, config.crossbars, { colSizes: config.cols, adcBits: config.adcBitsGene });
  const evaluator = new CandidateEvaluator(supernet, {
    layout,
    device: config.device,
    hardware: config.hardware,
    calibration: calibrationImages(splits.trainSet, config),
    calibrationBatches: config.evaluation.calibrationBatches,
    calibrationBatchSize: config.evaluation.calibrationBatchSize,
    scaleImages: config.evaluation.scaleImages,
    validation: splits.validationSet,
    batchSize: config.evaluation.batchSize,
    threads,
  });
  return { layout, evaluator };
}

/** sha256 of an image set's pixels and labels (workers check they read the coordinator's images). */
export function imageSetHash(set: ImageSet): string {
  return createHash('sha256')
    .update(`${set.count}:`)
    .update(new Uint8Array(set.images.buffer, set.images.byteOffset, set.images.byteLength))
    .update(new Uint8Array(set.labels.buffer, set.labels.byteOffset, set.labels.byteLength))
    .digest('hex');
}
