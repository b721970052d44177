/** Shapes shared by the data loaders, the executor and the search. */

export type DatasetName = 'mnist' | 'fashion-mnist' | 'cifar10' | 'idx';
export type DatasetSplit = 'train' | 'test';

/** Per-channel normalisation applied after scaling bytes to [0, 1] (torchvision ToTensor + Normalize). */
export interface Normalization {
  mean: number[];
  std: number[];
}

export interface Dataset {
  /** N*C*H*W float32 values, NCHW, normalised as `normalization` says. */
  images: Float32Array;
  labels: Uint8Array;
  count: number;
  /** [C, H, W] of one image. */
  shape: [number, number, number];
  /** Number of classes (labels are in [0, classes)). */
  classes: number;
  name: DatasetName;
  split: DatasetSplit;
  /** Directory (or file, for an explicit IDX pair) the data was read from. */
  source: string;
  /** Every file read, in order. */
  files: string[];
  /** What was applied to the [0, 1] pixels; null means none (plain ToTensor scaling). */
  normalization: Normalization | null;
  classNames?: string[];
}

export interface LoadDatasetOptions {
  name: DatasetName;
  /** Directory holding the files (for CIFAR-10 also its parent holding cifar-10-batches-bin). */
  path?: string;
  /** For name 'idx': explicit image and label files (gzip or plain) instead of a directory. */
  imagesPath?: string;
  labelsPath?: string;
  split: DatasetSplit;
  /** Read only the first `limit` records. */
  limit?: number;
  /**
   * true or omitted: the data set's documented mean/std (DEFAULT_NORMALIZATION);
   * false: pixels scaled to [0, 1] only; or an explicit per-channel {mean, std}.
   */
  normalize?: boolean | Normalization;
}
