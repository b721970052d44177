/**
 * Training checkpoints: a small binary file (magic, JSON header, raw
 * little-endian tensors), written atomically (temp file + rename) so an
 * interrupted write never leaves a truncated checkpoint behind.
 */
import * as fs from 'fs';
import * as path from 'path';
import { NaxError, ErrorCodes } from '../errors';
import type { ModelState } from './model';

const MAGIC = 'NAXTRN01';

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
  return Buffer.concat([Buffer.from(MAGIC), len, header, ...blobs]);
}

export function decodeCheckpoint<Meta = unknown>(bytes: Buffer, source = 'checkpoint'): Checkpoint<Meta> {
  const fail = (why: string) => new NaxError(ErrorCodes.io, `expected a nax-native training checkpoint for ${source}, got ${why}`);
  if (bytes.length < 12 || bytes.toString('latin1', 0, 8) !== MAGIC) throw fail('a file without the checkpoint magic');
  const headerLength = bytes.readUInt32LE(8);
  if (12 + headerLength > bytes.length) throw fail('a truncated header');
  let header: { epoch: number; kernels: number[]; meta: Meta; tensors: TensorEntry[] };
  try {
    header = JSON.parse(bytes.toString('utf8', 12, 12 + headerLength));
  } catch {
    throw fail('an unreadable header');
  }
  const base = 12 + headerLength;
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
    fs.writeFileSync(tmp, bytes);
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
