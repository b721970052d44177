/**
 * Deterministic train/validation split and index subsets. The split shuffles 0..N-1 with the
 * seeded xoshiro128** generator (lib/search/random.ts), so the same seed and size always give the
 * same split on every machine; both index sets come back sorted ascending.
 */
import { NaxError, ErrorCodes, expectNumber, invalid } from '../errors';
import { Rng } from '../search/random';
import type { Dataset } from './types';

export interface ValidationSplitOptions {
  /** Share of the records held out for validation, in (0, 1). */
  fraction: number;
  seed: number;
  /**
   * Keep each class's share in the validation set equal to `fraction` (largest-remainder rounding,
   * total still round(fraction * N)). Needs labels, so a Dataset rather than a count.
   */
  stratify?: boolean;
}

export interface IndexSplit {
  train: Uint32Array;
  validation: Uint32Array;
}

export function validationSplit(source: Pick<Dataset, 'count' | 'labels'> | number, options: ValidationSplitOptions): IndexSplit {
  const count = typeof source === 'number' ? source : source?.count;
  expectNumber('count', count, { integer: true, min: 2 });
  const fraction = expectNumber('fraction', options?.fraction, { above: 0, max: 1 });
  const seed = expectNumber('seed', options.seed, { integer: true });
  const validationCount = Math.round(fraction * count);
  if (validationCount < 1 || validationCount >= count)
    throw new NaxError(
      ErrorCodes.outOfRange,
      `expected fraction to leave at least one record on each side, got fraction ${fraction} of ${count} records (${validationCount} for validation)`,
    );
  const rng = new Rng(seed);
  const isValidation = new Uint8Array(count);
  if (!options.stratify) {
    const order = new Uint32Array(count);
    for (let i = 0; i < count; i++) order[i] = i;
    rng.shuffle(order);
    for (let i = 0; i < validationCount; i++) isValidation[order[i]] = 1;
  } else {
    if (typeof source === 'number') throw invalid('source', 'a dataset with labels when stratify is true', source);
    const byClass = new Map<number, number[]>();
    for (let i = 0; i < count; i++) {
      const label = source.labels[i];
      let list = byClass.get(label);
      if (!list) byClass.set(label, (list = []));
      list.push(i);
    }
    const classes = [...byClass.keys()].sort((a, b) => a - b);
    const exact = classes.map((c) => byClass.get(c)!.length * fraction);
    const take = exact.map(Math.floor);
    let left = validationCount - take.reduce((a, b) => a + b, 0);
    const byRemainder = classes.map((_, k) => k).sort((a, b) => exact[b] - take[b] - (exact[a] - take[a]) || a - b);
    for (const k of byRemainder) {
      if (left <= 0) break;
      take[k]++;
      left--;
    }
    classes.forEach((c, k) => {
      const members = rng.shuffle(byClass.get(c)!.slice());
      for (let i = 0; i < take[k]; i++) isValidation[members[i]] = 1;
    });
  }
  const train = new Uint32Array(count - validationCount);
  const validation = new Uint32Array(validationCount);
  let t = 0;
  let v = 0;
  for (let i = 0; i < count; i++) {
    if (isValidation[i]) validation[v++] = i;
    else train[t++] = i;
  }
  return { train, validation };
}

/** A new Dataset holding copies of the records at `indices` (in that order). */
export function subset(dataset: Dataset, indices: ArrayLike<number>): Dataset {
  const perImage = dataset.shape[0] * dataset.shape[1] * dataset.shape[2];
  const images = new Float32Array(indices.length * perImage);
  const labels = new Uint8Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    const idx = indices[i];
    if (!Number.isInteger(idx) || idx < 0 || idx >= dataset.count) throw invalid(`indices[${i}]`, `an integer in [0, ${dataset.count - 1}]`, idx, ErrorCodes.outOfRange);
    images.set(dataset.images.subarray(idx * perImage, (idx + 1) * perImage), i * perImage);
    labels[i] = dataset.labels[idx];
  }
  return { ...dataset, images, labels, count: indices.length, files: dataset.files.slice(), shape: [...dataset.shape] };
}
