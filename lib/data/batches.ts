/** Streaming over a data set in fixed-size batches. */
import { expectNumber, invalid, ErrorCodes } from '../errors';
import type { Dataset } from './types';

export interface Batch {
  /** count*C*H*W values, NCHW. */
  images: Float32Array;
  labels: Uint8Array;
  count: number;
  /** Position of the batch's first record in the iteration order. */
  start: number;
  shape: [number, number, number];
}

export interface BatchOptions {
  /** Iterate these records (e.g. a validation split) instead of 0..count-1; batches are then gathered copies. */
  indices?: ArrayLike<number>;
  /** Skip a last batch smaller than batchSize. */
  dropLast?: boolean;
}

/**
 * Yields consecutive batches. Without `indices` every batch is a subarray view of the data set's
 * own buffers (no copies); with `indices` each batch is gathered into new arrays.
 */
export function* batches(dataset: Dataset, batchSize: number, options: BatchOptions = {}): Generator<Batch> {
  expectNumber('batchSize', batchSize, { integer: true, min: 1 });
  const perImage = dataset.shape[0] * dataset.shape[1] * dataset.shape[2];
  const shape = dataset.shape;
  const indices = options.indices;
  const total = indices ? indices.length : dataset.count;
  if (indices) {
    for (let i = 0; i < indices.length; i++) {
      const idx = indices[i];
      if (!Number.isInteger(idx) || idx < 0 || idx >= dataset.count)
        throw invalid(`indices[${i}]`, `an integer in [0, ${dataset.count - 1}]`, idx, ErrorCodes.outOfRange);
    }
  }
  for (let start = 0; start < total; start += batchSize) {
    const count = Math.min(batchSize, total - start);
    if (count < batchSize && options.dropLast) return;
    if (!indices) {
      yield {
        images: dataset.images.subarray(start * perImage, (start + count) * perImage),
        labels: dataset.labels.subarray(start, start + count),
        count,
        start,
        shape,
      };
      continue;
    }
    const images = new Float32Array(count * perImage);
    const labels = new Uint8Array(count);
    for (let i = 0; i < count; i++) {
      const idx = indices[start + i];
      images.set(dataset.images.subarray(idx * perImage, (idx + 1) * perImage), i * perImage);
      labels[i] = dataset.labels[idx];
    }
    yield { images, labels, count, start, shape };
  }
}
