/** Writes small IDX and CIFAR-10 files for the loader tests. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';

export function tempDir(tag: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `nax-data-${tag}-`));
}

/** IDX bytes: [0, 0, type, ndim] + big-endian dims + payload. */
export function idxBytes(dims: number[], payload: Uint8Array, type = 0x08): Buffer {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header[2] = type;
  header[3] = dims.length;
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, Buffer.from(payload)]);
}

/** Writes `<prefix>-images-idx3-ubyte` and `<prefix>-labels-idx1-ubyte` (gzip adds .gz). */
export function writeIdxPair(
  dir: string,
  prefix: string,
  images: Uint8Array,
  labels: Uint8Array,
  rows: number,
  cols: number,
  gzip = false,
): { imagesFile: string; labelsFile: string } {
  const ext = gzip ? '.gz' : '';
  const imagesFile = path.join(dir, `${prefix}-images-idx3-ubyte${ext}`);
  const labelsFile = path.join(dir, `${prefix}-labels-idx1-ubyte${ext}`);
  const img = idxBytes([labels.length, rows, cols], images);
  const lab = idxBytes([labels.length], labels);
  fs.writeFileSync(imagesFile, gzip ? zlib.gzipSync(img) : img);
  fs.writeFileSync(labelsFile, gzip ? zlib.gzipSync(lab) : lab);
  return { imagesFile, labelsFile };
}

/** One CIFAR-10 record: label byte, then R, G, B planes of 1024 bytes each. */
export function cifarRecord(label: number, r: (p: number) => number, g: (p: number) => number, b: (p: number) => number): Buffer {
  const rec = Buffer.alloc(3073);
  rec[0] = label;
  for (let p = 0; p < 1024; p++) {
    rec[1 + p] = r(p);
    rec[1 + 1024 + p] = g(p);
    rec[1 + 2048 + p] = b(p);
  }
  return rec;
}
