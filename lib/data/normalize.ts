/**
 * Byte pixels -> float32 exactly the way torchvision's `ToTensor()` then `Normalize(mean, std)`
 * do it: x = byte / 255 in float32, then (x - mean) / std in float32, per channel.
 */
import { NaxError, ErrorCodes } from '../errors';
import type { Dataset, DatasetName, Normalization } from './types';

/**
 * Documented defaults (the values PyTorch examples use; each is the statistic of the training
 * split's [0, 1] pixels, and the MNIST/Fashion ones are re-checked in test/data):
 * - MNIST:         mean 0.1307, std 0.3081
 * - Fashion-MNIST: mean 0.2860, std 0.3530
 * - CIFAR-10:      mean (0.4914, 0.4822, 0.4465), std (0.2470, 0.2435, 0.2616) per R, G, B
 *   (the population std of the training set; some code uses 0.2023/0.1994/0.2010, which is the
 *   mean of per-image stds, not the data set's std)
 * - idx (unknown data): mean 0, std 1, i.e. [0, 1] scaling only.
 */
export const DEFAULT_NORMALIZATION: Readonly<Record<DatasetName, Normalization>> = {
  mnist: { mean: [0.1307], std: [0.3081] },
  'fashion-mnist': { mean: [0.286], std: [0.353] },
  cifar10: { mean: [0.4914, 0.4822, 0.4465], std: [0.247, 0.2435, 0.2616] },
  idx: { mean: [0], std: [1] },
};

/** Resolves the `normalize` option into per-channel arrays of length `channels` (null: none). */
export function resolveNormalization(
  name: DatasetName,
  normalize: boolean | Partial<Normalization> | undefined,
  channels: number,
): Normalization | null {
  if (normalize === false) return null;
  const given = normalize === undefined || normalize === true ? DEFAULT_NORMALIZATION[name] : normalize;
  const widen = (field: 'mean' | 'std', value: unknown): number[] => {
    const list = typeof value === 'number' ? new Array<number>(channels).fill(value) : value;
    if (!Array.isArray(list) || list.length !== channels || !list.every((v) => typeof v === 'number' && Number.isFinite(v)))
      throw new NaxError(
        ErrorCodes.invalidArgument,
        `expected a number or ${channels} finite numbers (one per channel) for normalize.${field}, got ${JSON.stringify(value)}`,
      );
    return list.slice();
  };
  if (typeof given !== 'object' || given === null)
    throw new NaxError(ErrorCodes.invalidArgument, `expected true, false or {mean, std} for normalize, got ${JSON.stringify(normalize)}`);
  const mean = widen('mean', given.mean);
  const std = widen('std', given.std);
  if (std.some((s) => !(s > 0)))
    throw new NaxError(ErrorCodes.outOfRange, `expected positive values for normalize.std, got ${JSON.stringify(std)}`);
  return { mean, std };
}

/** 256-entry float32 lookup table per channel: byte -> normalised value. */
export function pixelTables(channels: number, normalization: Normalization | null): Float32Array[] {
  const tables: Float32Array[] = [];
  for (let c = 0; c < channels; c++) {
    const table = new Float32Array(256);
    const mean = normalization ? Math.fround(normalization.mean[c]) : 0;
    const std = normalization ? Math.fround(normalization.std[c]) : 1;
    for (let b = 0; b < 256; b++) {
      const scaled = Math.fround(b / 255);
      table[b] = normalization ? Math.fround(Math.fround(scaled - mean) / std) : scaled;
    }
    tables.push(table);
  }
  return tables;
}

/**
 * Converts `count` images of `pixelsPerChannel` bytes per channel, channel-planar (NCHW) in the
 * source, into `out` starting at image `outOffset`.
 */
export function bytesToFloat(
  bytes: Uint8Array,
  out: Float32Array,
  outOffset: number,
  count: number,
  channels: number,
  pixelsPerChannel: number,
  tables: Float32Array[],
): void {
  const perImage = channels * pixelsPerChannel;
  for (let n = 0; n < count; n++) {
    for (let c = 0; c < channels; c++) {
      const table = tables[c];
      const base = n * perImage + c * pixelsPerChannel;
      const outBase = (outOffset + n) * perImage + c * pixelsPerChannel;
      for (let p = 0; p < pixelsPerChannel; p++) out[outBase + p] = table[bytes[base + p]];
    }
  }
}

/**
 * Per-channel mean and (population) standard deviation of a data set's values, accumulated in
 * float64. On a data set loaded with `normalize: false` this gives the constants above.
 */
export function channelStats(dataset: Pick<Dataset, 'images' | 'count' | 'shape'>): Normalization {
  const [channels, height, width] = dataset.shape;
  const plane = height * width;
  const mean: number[] = [];
  const std: number[] = [];
  for (let c = 0; c < channels; c++) {
    let sum = 0;
    let sumSq = 0;
    for (let n = 0; n < dataset.count; n++) {
      const base = (n * channels + c) * plane;
      for (let p = 0; p < plane; p++) {
        const v = dataset.images[base + p];
        sum += v;
        sumSq += v * v;
      }
    }
    const total = dataset.count * plane;
    const m = sum / total;
    mean.push(m);
    std.push(Math.sqrt(Math.max(0, sumSq / total - m * m)));
  }
  return { mean, std };
}
