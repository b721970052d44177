/**
 * Training checkpoints: a small binary file (magic, JSON header, raw
 * little-endian tensors), written atomically (temp file, fsync, rename) so an
 * interrupted write never leaves a truncated checkpoint behind, and checked on
 * load against the SHA-256 stored after the magic, so a damaged file is
 * reported by name instead of resuming from garbage. Format NAXTRN02:
 *   "NAXTRN02" | u32 LE header length | 32-byte SHA-256 of (header + tensors) | JSON header | tensors
 * (NAXTRN01, the same without the digest, is still read.)
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { NaxError, ErrorCodes } from '../errors';
import type { ModelState } from './model';

const MAGIC = 'NAXTRN02';
const MAGIC_V1 = 'NAXTRN01';
const DIGEST_BYTES = 32;

export interface Checkpoint<Meta = unknown> {
  state: ModelState;
  /** Epochs completed. */
  epoch: number;
  meta: Meta;
}

interface TensorEntry {
  name: string;
  kind: 'param' | 'velocity';
  dtype: 'float32' | 'float64';
  length: number;
  offset: number;
}

export function encodeCheckpoint(c: Checkpoint): Buffer {
  const tensors: TensorEntry[] = [];
  const blobs: Buffer[] = [];
  let offset = 0;
  const add = (name: string, kind: TensorEntry['kind'], a: Float32Array | Float64Array) => {
    const dtype = a instanceof Float64Array ? 'float64' : 'float32';
    tensors.push({ name, kind, dtype, length: a.length, offset });
    const b = Buffer.from(a.buffer, a.byteOffset, a.byteLength);
    blobs.push(b);
    offset += b.length;
  };
  for (const [name, a] of Object.entries(c.state.params)) add(name, 'param', a);
  for (const [name, a] of Object.entries(c.state.velocity)) add(name, 'velocity', a);
  const header = Buffer.from(JSON.stringify({ epoch: c.epoch, kernels: c.state.kernels, meta: c.meta, tensors }));
  const len = Buffer.alloc(4);
  len.writeUInt32LE(header.length);
  const digest = crypto.createHash('sha256').update(header);
  for (const b of blobs) digest.update(b);
  return Buffer.concat([Buffer.from(MAGIC), len, digest.digest(), header, ...blobs]);
}

export function decodeCheckpoint<Meta = unknown>(bytes: Buffer, source = 'checkpoint'): Checkpoint<Meta> {
  const fail = (why: string) => new NaxError(ErrorCodes.io, `expected a nax-native training checkpoint for ${source}, got ${why}`);
  const magic = bytes.length >= 12 ? bytes.toString('latin1', 0, 8) : '';
  if (magic !== MAGIC && magic !== MAGIC_V1) throw fail('a file without the checkpoint magic');
  const headerLength = bytes.readUInt32LE(8);
  const headerStart = 12 + (magic === MAGIC ? DIGEST_BYTES : 0);
  if (headerStart + headerLength > bytes.length) throw fail('a truncated header');
  if (magic === MAGIC) {
    const stored = bytes.subarray(12, 12 + DIGEST_BYTES);
    const actual = crypto.createHash('sha256').update(bytes.subarray(headerStart)).digest();
    if (!actual.equals(stored))
      throw new NaxError(
        ErrorCodes.io,
        `checkpoint ${source} is corrupt (its SHA-256 does not match its contents: truncated or damaged); delete it to start that training over`,
      );
  }
  let header: { epoch: number; kernels: number[]; meta: Meta; tensors: TensorEntry[] };
  try {
    header = JSON.parse(bytes.toString('utf8', headerStart, headerStart + headerLength));
  } catch {
    throw fail('an unreadable header');
  }
  const base = headerStart + headerLength;
  const state: ModelState = { params: {}, velocity: {}, kernels: header.kernels };
  for (const t of header.tensors) {
    const width = t.dtype === 'float64' ? 8 : 4;
    const start = base + t.offset;
    if (start + t.length * width > bytes.length) throw fail(`a truncated tensor ${t.name}`);
    // Copy into an aligned buffer.
    const raw = bytes.subarray(start, start + t.length * width);
    const aligned = new Uint8Array(raw.length);
    aligned.set(raw);
    const a = t.dtype === 'float64' ? new Float64Array(aligned.buffer) : new Float32Array(aligned.buffer);
    (t.kind === 'param' ? state.params : state.velocity)[t.name] = a;
  }
  return { state, epoch: header.epoch, meta: header.meta };
}

/** Writes `bytes` to `file` atomically (temp file in the same folder + rename). */
export function writeFileAtomic(file: string, bytes: Uint8Array): void {
  const dir = path.dirname(path.resolve(file));
  fs.mkdirSync(dir, { recursive: true });
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${Date.now()}.tmp`);
  try {
    const fd = fs.openSync(tmp, 'w');
    try {
      fs.writeSync(fd, bytes);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw new NaxError(ErrorCodes.io, `could not write ${file}: ${(err as Error).message}`, { cause: err });
  }
}

export function saveCheckpoint(file: string, c: Checkpoint): void {
  writeFileAtomic(file, encodeCheckpoint(c));
}

export function loadCheckpoint<Meta = unknown>(file: string): Checkpoint<Meta> {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (err) {
    throw new NaxError(ErrorCodes.io, `could not read checkpoint ${file}: ${(err as Error).message}`, { cause: err });
  }
  return decodeCheckpoint<Meta>(bytes, file);
}
