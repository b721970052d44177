/**
 * Runtime values of the graph executor and the helpers every op kernel shares: allocation,
 * conversion from/to IR tensors, strides and numpy-broadcast binary ops. Runtime values carry
 * int64 as Float64Array (exact up to 2^53): enough for shapes and indices.
 */
import { DataType, Node, Tensor, TensorData, shapeSize } from '../onnx/ir';
import { broadcastShapes } from './dims';
import { ErrorCodes, NaxError } from '../errors';
import { checkMemory } from '../memory';
import { loadAddon } from '../native';

export type NumArray = Float32Array | Float64Array | Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array;

/** A runtime tensor (no name). int64 data lives in a Float64Array. */
export interface Value {
  dims: number[];
  dataType: DataType;
  data: NumArray;
}

const runtimeCtor: Record<DataType, new (n: number) => NumArray> = {
  float32: Float32Array,
  float64: Float64Array,
  int8: Int8Array,
  uint8: Uint8Array,
  int16: Int16Array,
  uint16: Uint16Array,
  int32: Int32Array,
  int64: Float64Array,
  bool: Uint8Array,
};

/** Most elements one runtime tensor may have (typed arrays stop near 2^32; memory long before). */
export const MAX_TENSOR_ELEMENTS = 2 ** 31 - 1;

/** Elements of a new tensor of these dims, after the shape and memory checks. */
function checkedElements(dims: number[]): number {
  const n = shapeSize(dims);
  if (!Number.isSafeInteger(n) || n < 0 || n > MAX_TENSOR_ELEMENTS || dims.some((d) => !Number.isSafeInteger(d) || d < 0))
    throw new NaxError(ErrorCodes.outOfRange, `expected a tensor shape with non-negative integer dims and at most 2^31 - 1 elements, got [${dims.join(', ')}]`);
  checkMemory(n * 8, `a tensor of shape [${dims.join(', ')}]`, 'check the model\'s shapes or feed smaller inputs');
  return n;
}

export function allocValue(dataType: DataType, dims: number[]): Value {
  const n = checkedElements(dims);
  return { dims, dataType, data: dataType === 'float32' ? float32Zeros(n) : new runtimeCtor[dataType](n) };
}

/**
 * Float tensors of at least this many elements live in the addon's pinned memory, so the
 * native kernels read and write them in place; smaller ones are not worth a native call.
 */
const PINNED_MIN_ELEMENTS = 1 << 12;
let pinnedAllocator: ((bytes: number) => ArrayBuffer) | null | undefined;

/** n zeros as a Float32Array: pinned (addon-owned) memory from PINNED_MIN_ELEMENTS on. */
export function float32Zeros(n: number): Float32Array {
  if (n < PINNED_MIN_ELEMENTS) return new Float32Array(n);
  if (pinnedAllocator === undefined) {
    try {
      const runtime = loadAddon().runtime;
      pinnedAllocator = typeof runtime.allocPinned === 'function' ? (bytes) => runtime.allocPinned(bytes) : null;
    } catch {
      pinnedAllocator = null; // no addon: plain arrays (the kernels would not run either)
    }
  }
  return pinnedAllocator ? new Float32Array(pinnedAllocator(n * 4)) : new Float32Array(n);
}

/**
 * Reused float32 buffers of one GraphExecutor. A batch through ResNet-20 makes ~60 activation
 * tensors (4 MB each at batch 64); as fresh ArrayBuffers each is zeroed and page-faulted in, and
 * their external memory sets off V8 major GCs whose marking threads compete with the two kernel
 * threads (perf: V8 22% of the samples, memset and page faults another 8%). The executor hands a
 * tensor's buffer back when the last value viewing it is released (refcounted by ArrayBuffer, so
 * views such as Reshape's are safe), and kernels that overwrite every element take buffers from
 * here with float32Scratch while a step starts (GraphExecutor.run). Graph outputs and anything a
 * caller holds are never handed back.
 */
export class BufferArena {
  private readonly free = new Map<number, ArrayBuffer[]>();
  /** Every buffer take() made, with how many live values view it (0: free, or not yet held). */
  private readonly views = new WeakMap<ArrayBuffer, number>();
  private wanted = new Set<number>();

  /** A buffer of n float32s, contents unspecified: a freed one of that size, else a new pinned one. */
  take(n: number): Float32Array {
    const bytes = n * 4;
    this.wanted.add(bytes);
    const buf = this.free.get(bytes)?.pop();
    if (buf) return new Float32Array(buf);
    const a = float32Zeros(n);
    this.views.set(a.buffer as ArrayBuffer, 0);
    return a;
  }

  /** A value now views `buffer` (ignored unless take() made it). */
  retain(buffer: ArrayBufferLike): void {
    const n = this.views.get(buffer as ArrayBuffer);
    if (n !== undefined) this.views.set(buffer as ArrayBuffer, n + 1);
  }

  /** A value viewing `buffer` is gone; the last one hands the buffer back. */
  release(buffer: ArrayBufferLike): void {
    const b = buffer as ArrayBuffer;
    const n = this.views.get(b);
    if (!n) return;
    this.views.set(b, n - 1);
    if (n > 1) return;
    const list = this.free.get(b.byteLength);
    if (list) list.push(b);
    else this.free.set(b.byteLength, [b]);
  }

  /** After a run: drops free buffers of sizes the run did not ask for (another batch size's), so the arena holds one working set. */
  trim(): void {
    for (const bytes of [...this.free.keys()]) if (!this.wanted.has(bytes)) this.free.delete(bytes);
    this.wanted = new Set();
  }

  /** Free buffers held now (tests). */
  get freeBuffers(): number {
    let n = 0;
    for (const l of this.free.values()) n += l.length;
    return n;
  }
}

let activeArena: BufferArena | null = null;

/** Runs f with `arena` serving float32Scratch (synchronously: the executor wraps each step's start in it). */
export function withArena<T>(arena: BufferArena, f: () => T): T {
  const prev = activeArena;
  activeArena = arena;
  try {
    return f();
  } finally {
    activeArena = prev;
  }
}

/**
 * n float32 elements whose contents are unspecified, for kernels that write every element: from
 * the running executor's arena (BufferArena), else zeros as float32Zeros.
 */
export function float32Scratch(n: number): Float32Array {
  return activeArena && n >= PINNED_MIN_ELEMENTS ? activeArena.take(n) : float32Zeros(n);
}

/** allocValue for float32 outputs a kernel overwrites completely (float32Scratch). */
export function allocScratchValue(dims: number[]): Value {
  return { dims, dataType: 'float32', data: float32Scratch(checkedElements(dims)) };
}

export function fromTensor(t: Tensor): Value {
  if (t.dataType === 'int64') {
    const src = t.data as BigInt64Array;
    const out = new Float64Array(src.length);
    for (let i = 0; i < src.length; i++) out[i] = Number(src[i]);
    return { dims: t.dims, dataType: 'int64', data: out };
  }
  return { dims: t.dims, dataType: t.dataType, data: t.data as NumArray };
}

export function toTensor(name: string, v: Value): Tensor {
  let data: TensorData = v.data;
  if (v.dataType === 'int64') data = BigInt64Array.from(v.data as Float64Array, (x) => BigInt(Math.round(x)));
  return { name, dims: v.dims, dataType: v.dataType, data };
}

export function stridesOf(dims: readonly number[]): number[] {
  const s = new Array<number>(dims.length);
  let acc = 1;
  for (let i = dims.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= dims[i];
  }
  return s;
}

/** Elementwise binary op with numpy broadcasting; the inner loop runs along the last output dim. */
export function broadcastBinary(a: Value, b: Value, outType: DataType, f: (x: number, y: number) => number, nd?: Node): Value {
  const dims = broadcastShapes(a.dims, b.dims, nd ? `node ${nd.name}: ` : '');
  const out = allocValue(outType, dims);
  const o = out.data, x = a.data, y = b.data;
  const n = o.length;
  if (n === 0) return out;
  if (x.length === n && y.length === n) {
    for (let i = 0; i < n; i++) o[i] = f(x[i], y[i]);
    return out;
  }
  if (y.length === 1) {
    const yv = y[0];
    if (x.length === n) for (let i = 0; i < n; i++) o[i] = f(x[i], yv);
    else for (let i = 0; i < n; i++) o[i] = f(x[0], yv);
    return out;
  }
  if (x.length === 1) {
    const xv = x[0];
    for (let i = 0; i < n; i++) o[i] = f(xv, y[i]);
    return out;
  }
  const r = dims.length;
  const pad = (d: number[]) => [...new Array(r - d.length).fill(1), ...d];
  const ad = pad(a.dims), bd = pad(b.dims);
  const as = stridesOf(ad).map((s, i) => (ad[i] === 1 ? 0 : s));
  const bs = stridesOf(bd).map((s, i) => (bd[i] === 1 ? 0 : s));
  const inner = dims[r - 1];
  const ai = as[r - 1], bi = bs[r - 1];
  const outer = n / inner;
  const idx = new Array<number>(r - 1).fill(0);
  let ao = 0, bo = 0, oo = 0;
  for (let t = 0; t < outer; t++) {
    let pa = ao, pb = bo;
    for (let j = 0; j < inner; j++, pa += ai, pb += bi) o[oo++] = f(x[pa], y[pb]);
    // Odometer over the outer dims.
    for (let d = r - 2; d >= 0; d--) {
      idx[d]++;
      ao += as[d];
      bo += bs[d];
      if (idx[d] < dims[d]) break;
      ao -= as[d] * dims[d];
      bo -= bs[d] * dims[d];
      idx[d] = 0;
    }
  }
  return out;
}

