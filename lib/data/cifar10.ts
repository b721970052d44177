/**
 * CIFAR-10 binary version (cifar-10-batches-bin): each record is 1 label byte followed by 3072
 * pixel bytes, the 1024-byte red plane, then green, then blue, each row-major 32x32, so a record
 * is already CHW. Train: data_batch_1.bin .. data_batch_5.bin; test: test_batch.bin.
 */
import * as fs from 'fs';
import * as path from 'path';
import { NaxError, ErrorCodes } from '../errors';
import type { DatasetSplit } from './types';

export const CIFAR10_RECORD_BYTES = 1 + 3 * 32 * 32;
export const CIFAR10_SHAPE: [number, number, number] = [3, 32, 32];
export const CIFAR10_CLASS_NAMES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];

export function cifar10Files(split: DatasetSplit): string[] {
  return split === 'train' ? [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`) : ['test_batch.bin'];
}

export interface CifarRecords {
  /** count * 3072 pixel bytes, CHW per image. */
  pixels: Uint8Array;
  labels: Uint8Array;
  count: number;
  files: string[];
}

/** Reads the split's files in order from `dir`, stopping after `limit` records. */
export async function readCifar10(dir: string, split: DatasetSplit, limit?: number): Promise<CifarRecords> {
  const files = cifar10Files(split).map((f) => path.join(dir, f));
  const sizes: number[] = [];
  for (const file of files) {
    let size: number;
    try {
      size = (await fs.promises.stat(file)).size;
    } catch (err) {
      throw new NaxError(ErrorCodes.dataset, `cannot read CIFAR-10 file ${file}: ${(err as Error).message}`, { cause: err });
    }
    if (size === 0 || size % CIFAR10_RECORD_BYTES !== 0)
      throw new NaxError(
        ErrorCodes.dataset,
        `malformed CIFAR-10 file ${file}: expected a whole number of ${CIFAR10_RECORD_BYTES}-byte records ` +
          `(1 label byte + 3072 pixel bytes), file has ${size} bytes` +
          (size > 0 ? ` (${Math.floor(size / CIFAR10_RECORD_BYTES)} records + ${size % CIFAR10_RECORD_BYTES} bytes)` : ''),
      );
    sizes.push(size / CIFAR10_RECORD_BYTES);
  }
  const available = sizes.reduce((a, b) => a + b, 0);
  const count = limit === undefined ? available : Math.min(limit, available);
  const pixels = new Uint8Array(count * (CIFAR10_RECORD_BYTES - 1));
  const labels = new Uint8Array(count);
  const used: string[] = [];
  let filled = 0;
  for (let f = 0; f < files.length && filled < count; f++) {
    const take = Math.min(sizes[f], count - filled);
    const handle = await fs.promises.open(files[f], 'r');
    try {
      const raw = new Uint8Array(take * CIFAR10_RECORD_BYTES);
      let done = 0;
      while (done < raw.length) {
        const { bytesRead } = await handle.read(raw, done, raw.length - done, done);
        if (bytesRead === 0) throw new NaxError(ErrorCodes.dataset, `CIFAR-10 file ${files[f]} shrank while reading`);
        done += bytesRead;
      }
      for (let r = 0; r < take; r++) {
        const base = r * CIFAR10_RECORD_BYTES;
        const label = raw[base];
        if (label > 9)
          throw new NaxError(
            ErrorCodes.dataset,
            `malformed CIFAR-10 file ${files[f]}: record ${r} has label ${label}, expected 0..9 (wrong format, e.g. CIFAR-100?)`,
          );
        labels[filled + r] = label;
        pixels.set(raw.subarray(base + 1, base + CIFAR10_RECORD_BYTES), (filled + r) * (CIFAR10_RECORD_BYTES - 1));
      }
    } finally {
      await handle.close();
    }
    used.push(files[f]);
    filled += take;
  }
  return { pixels, labels, count, files: used };
}
