/**
 * IDX files (LeCun's MNIST format, also Fashion-MNIST): big-endian header
 * [0, 0, type, ndim] + ndim uint32 sizes, then the elements. Gzip-compressed files are detected
 * by their magic bytes, not their name. Plain files are read only as far as `limit` needs.
 */
import * as fs from 'fs';
import * as zlib from 'zlib';
import { promisify } from 'util';
import { NaxError, ErrorCodes } from '../errors';

const gunzip = promisify(zlib.gunzip);

const IDX_TYPES: Record<number, string> = {
  0x08: 'unsigned byte',
  0x09: 'signed byte',
  0x0b: 'int16',
  0x0c: 'int32',
  0x0d: 'float32',
  0x0e: 'float64',
};

export interface IdxArray {
  /** Sizes from the header: dims[0] is the record count in the file. */
  dims: number[];
  /** Records actually read (min(limit, dims[0])). */
  count: number;
  /** count * prod(dims[1..]) bytes. */
  bytes: Uint8Array;
  file: string;
  gzip: boolean;
}

function malformed(file: string, what: string): NaxError {
  return new NaxError(ErrorCodes.dataset, `malformed IDX file ${file}: ${what}`);
}

/** Parses and checks the header; returns dims and the header length in bytes. */
function parseHeader(file: string, head: Uint8Array, available: number): { dims: number[]; headerBytes: number } {
  if (available < 4) throw malformed(file, `expected at least a 4-byte header, file has ${available} bytes`);
  if (head[0] !== 0 || head[1] !== 0)
    throw malformed(file, `bad magic: expected the first two bytes to be 0x00 0x00, got 0x${hex(head[0])} 0x${hex(head[1])}`);
  const type = head[2];
  if (type !== 0x08)
    throw malformed(
      file,
      `expected element type 0x08 (unsigned byte), got 0x${hex(type)}${IDX_TYPES[type] ? ` (${IDX_TYPES[type]})` : ' (not an IDX type)'}`,
    );
  const ndim = head[3];
  if (ndim < 1 || ndim > 4) throw malformed(file, `expected 1 to 4 dimensions, header says ${ndim}`);
  const headerBytes = 4 + 4 * ndim;
  if (available < headerBytes) throw malformed(file, `truncated header: expected ${headerBytes} bytes, file has ${available}`);
  const view = new DataView(head.buffer, head.byteOffset, headerBytes);
  const dims: number[] = [];
  for (let d = 0; d < ndim; d++) dims.push(view.getUint32(4 + 4 * d, false));
  return { dims, headerBytes };
}

function hex(b: number): string {
  return b.toString(16).padStart(2, '0');
}

function checkLength(file: string, dims: number[], headerBytes: number, actual: number): void {
  const expected = headerBytes + dims.reduce((a, b) => a * b, 1);
  if (actual < expected)
    throw malformed(file, `truncated: header [${dims.join(' x ')}] needs ${expected} bytes, file has ${actual}`);
  if (actual > expected)
    throw malformed(file, `header [${dims.join(' x ')}] needs ${expected} bytes, file has ${actual - expected} extra bytes`);
}

/** Reads an IDX file of unsigned bytes, gzip or plain; `limit` caps the records read. */
export async function readIdx(file: string, limit?: number): Promise<IdxArray> {
  let handle: fs.promises.FileHandle;
  try {
    handle = await fs.promises.open(file, 'r');
  } catch (err) {
    throw new NaxError(ErrorCodes.dataset, `cannot open IDX file ${file}: ${(err as Error).message}`, { cause: err });
  }
  try {
    const size = (await handle.stat()).size;
    const probe = new Uint8Array(Math.min(size, 4 + 4 * 4));
    await handle.read(probe, 0, probe.length, 0);
    if (probe.length >= 2 && probe[0] === 0x1f && probe[1] === 0x8b) {
      const compressed = await handle.readFile();
      let plain: Buffer;
      try {
        plain = await gunzip(compressed);
      } catch (err) {
        throw malformed(file, `looks gzip-compressed but does not decompress (${(err as Error).message})`);
      }
      const bytes = new Uint8Array(plain.buffer, plain.byteOffset, plain.byteLength);
      const { dims, headerBytes } = parseHeader(file, bytes, bytes.length);
      checkLength(file, dims, headerBytes, bytes.length);
      const count = limit === undefined ? dims[0] : Math.min(limit, dims[0]);
      const recordBytes = dims.slice(1).reduce((a, b) => a * b, 1);
      return { dims, count, bytes: bytes.subarray(headerBytes, headerBytes + count * recordBytes), file, gzip: true };
    }
    const { dims, headerBytes } = parseHeader(file, probe, size);
    checkLength(file, dims, headerBytes, size);
    const count = limit === undefined ? dims[0] : Math.min(limit, dims[0]);
    const recordBytes = dims.slice(1).reduce((a, b) => a * b, 1);
    const bytes = new Uint8Array(count * recordBytes);
    let done = 0;
    while (done < bytes.length) {
      const { bytesRead } = await handle.read(bytes, done, bytes.length - done, headerBytes + done);
      if (bytesRead === 0) throw malformed(file, `file shrank while reading (got ${done} of ${bytes.length} bytes)`);
      done += bytesRead;
    }
    return { dims, count, bytes, file, gzip: false };
  } finally {
    await handle.close();
  }
}

export interface IdxPair {
  images: IdxArray;
  labels: IdxArray;
  /** [1, rows, cols] */
  shape: [number, number, number];
}

/** Reads an image file ([N, rows, cols]) and its label file ([N]) and checks they agree. */
export async function readIdxPair(imagesFile: string, labelsFile: string, limit?: number): Promise<IdxPair> {
  const [images, labels] = await Promise.all([readIdx(imagesFile, limit), readIdx(labelsFile, limit)]);
  if (images.dims.length !== 3)
    throw malformed(imagesFile, `expected an image file with 3 dimensions [count, rows, cols], header has [${images.dims.join(' x ')}]`);
  if (labels.dims.length !== 1)
    throw malformed(labelsFile, `expected a label file with 1 dimension [count], header has [${labels.dims.join(' x ')}]`);
  if (images.dims[0] !== labels.dims[0])
    throw new NaxError(
      ErrorCodes.dataset,
      `image/label count mismatch: ${imagesFile} holds ${images.dims[0]} images but ${labelsFile} holds ${labels.dims[0]} labels`,
    );
  return { images, labels, shape: [1, images.dims[1], images.dims[2]] };
}
