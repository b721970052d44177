/**
 * The executor's TypeScript kernels: elementwise ops with numpy broadcasting,
 * shape/layout ops and the small integer ops PyTorch's exporter emits. They
 * run on whole batches in tight typed-array loops. Conv, Gemm, MatMul and
 * pooling run natively (ideal-kernels.ts).
 *
 * Runtime values carry int64 as Float64Array (exact up to 2^53): enough for
 * shapes and indices, and every kernel stays on plain numbers.
 */
import { NaxError, ErrorCodes } from '../errors';
import { DataType, Node, attrFloat, attrInt, attrInts, shapeSize } from '../onnx/ir';
import { reshapeDims } from './dims';
import { NumArray, Value, allocValue, broadcastBinary, fromTensor, stridesOf } from './values';
import { nnOps, runNnOp } from './ops-nn';
import { runTensorOp, tensorOps } from './ops-tensor';

export type { NumArray, Value } from './values';
export { allocValue, broadcastBinary, fromTensor, stridesOf, toTensor } from './values';

function unsupported(nd: Node, what: string): NaxError {
  return new NaxError(ErrorCodes.onnxUnsupported, `node ${nd.name} (${nd.opType}): unsupported ${what}`);
}

const onnxTypeCodes: Record<number, DataType> = { 1: 'float32', 2: 'uint8', 3: 'int8', 4: 'uint16', 5: 'int16', 6: 'int32', 7: 'int64', 9: 'bool', 11: 'float64' };

function normAxis(axis: number, rank: number, nd: Node): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= Math.max(rank, 1)) throw unsupported(nd, `axis ${axis} for rank ${rank}`);
  return a;
}

/** Monomorphic loops for the common same-shape float32 case (residual adds): no closure call per element. */
function sameShapeFloat(a: Value, b: Value, op: 0 | 1 | 2): Value | undefined {
  if (a.dataType !== 'float32' || b.dataType !== 'float32' || a.dims.length !== b.dims.length) return undefined;
  for (let i = 0; i < a.dims.length; i++) if (a.dims[i] !== b.dims[i]) return undefined;
  const x = a.data as Float32Array, y = b.data as Float32Array;
  const o = new Float32Array(x.length);
  const n = x.length;
  if (op === 0) for (let i = 0; i < n; i++) o[i] = x[i] + y[i];
  else if (op === 1) for (let i = 0; i < n; i++) o[i] = x[i] - y[i];
  else for (let i = 0; i < n; i++) o[i] = x[i] * y[i];
  return { dims: a.dims, dataType: 'float32', data: o };
}

function unary(x: Value, f: (v: number) => number): Value {
  const out = allocValue(x.dataType, x.dims);
  const o = out.data, s = x.data;
  for (let i = 0; i < s.length; i++) o[i] = f(s[i]);
  return out;
}

const isInt = (t: DataType) => t !== 'float32' && t !== 'float64';

function scalarOf(v: Value | undefined): number | undefined {
  return v && v.data.length > 0 ? v.data[0] : undefined;
}

function valuesOf(v: Value | undefined): number[] | undefined {
  return v ? Array.from(v.data as ArrayLike<number>) : undefined;
}

/** Ops cheap enough to evaluate at shape-inference time on known small inputs. */
export const smallOps = new Set([
  'Shape', 'Gather', 'Unsqueeze', 'Squeeze', 'Concat', 'Cast', 'Constant', 'Identity', 'Add', 'Sub', 'Mul', 'Div',
  'Reshape', 'Flatten', 'ConstantOfShape', 'Slice',
]);

/** Ops implemented here (all run on the main thread). */
export const tsOps = new Set([
  ...smallOps,
  'Relu', 'LeakyRelu', 'Sigmoid', 'Tanh', 'Clip', 'Dropout', 'Softmax', 'BatchNormalization', 'Pad', 'Transpose',
  'Neg', 'Exp', 'Sqrt', 'Abs', ...tensorOps, ...nnOps,
]);

/** Runs a TS kernel. `opset` selects attribute vs input forms. */
export function runSmallOp(nd: Node, ins: Value[], opset: number): Value[] {
  try {
    return runSmallOpUnchecked(nd, ins, opset);
  } catch (err) {
    throw asNodeError(nd, err);
  }
}

/**
 * A malformed node (missing inputs, wrong-typed values) surfaces as a JS TypeError/RangeError deep
 * in a kernel: such errors become the model's fault, by node and op; others pass unchanged.
 */
export function asNodeError(nd: Node, err: unknown): unknown {
  if (err instanceof TypeError || err instanceof RangeError)
    return new NaxError(ErrorCodes.onnxUnsupported, `node ${nd.name} (${nd.opType}): malformed inputs or attributes for this op (${err.message})`, { cause: err });
  return err;
}

function runSmallOpUnchecked(nd: Node, ins: Value[], opset: number): Value[] {
  const x = ins[0];
  switch (nd.opType) {
    case 'Identity':
      return [x];
    case 'Add':
      return [sameShapeFloat(x, ins[1], 0) ?? broadcastBinary(x, ins[1], x.dataType, (a, b) => a + b, nd)];
    case 'Sub':
      return [sameShapeFloat(x, ins[1], 1) ?? broadcastBinary(x, ins[1], x.dataType, (a, b) => a - b, nd)];
    case 'Mul':
      return [sameShapeFloat(x, ins[1], 2) ?? broadcastBinary(x, ins[1], x.dataType, (a, b) => a * b, nd)];
    case 'Div':
      return [broadcastBinary(x, ins[1], x.dataType, isInt(x.dataType) ? (a, b) => Math.trunc(a / b) : (a, b) => a / b, nd)];
    case 'Relu':
      return [unary(x, (v) => (v < 0 ? 0 : v))]; // NaN stays NaN, as in onnxruntime
    case 'Neg':
      return [unary(x, (v) => -v)];
    case 'Abs':
      return [unary(x, Math.abs)];
    case 'Exp':
      return [unary(x, Math.exp)];
    case 'Sqrt':
      return [unary(x, Math.sqrt)];
    case 'LeakyRelu': {
      const alpha = attrFloat(nd, 'alpha', 0.01);
      return [unary(x, (v) => (v >= 0 ? v : alpha * v))];
    }
    case 'Sigmoid':
      return [unary(x, (v) => (v >= 0 ? 1 / (1 + Math.exp(-v)) : Math.exp(v) / (1 + Math.exp(v))))];
    case 'Tanh':
      return [unary(x, Math.tanh)];
    case 'Clip': {
      let lo = -Infinity, hi = Infinity;
      if (opset < 11) {
        lo = attrFloat(nd, 'min', -Infinity);
        hi = attrFloat(nd, 'max', Infinity);
      } else {
        lo = scalarOf(ins[1]) ?? -Infinity;
        hi = scalarOf(ins[2]) ?? Infinity;
      }
      return [unary(x, (v) => (v < lo ? lo : v > hi ? hi : v))];
    }
    case 'Dropout': {
      if (opset >= 12 && ins[2] && ins[2].data[0]) throw unsupported(nd, 'training_mode (inference only)');
      // Inference: identity; the optional mask is all true.
      const outs: Value[] = [x];
      if (nd.outputs[1]) outs.push({ dims: x.dims, dataType: 'bool', data: new Uint8Array(x.data.length).fill(1) });
      return outs;
    }
    case 'Softmax':
      return [softmax(nd, x, opset)];
    case 'BatchNormalization':
      return [batchNorm(nd, ins)];
    case 'Flatten': {
      let axis = attrInt(nd, 'axis', 1);
      if (axis < 0) axis += x.dims.length;
      const a = shapeSize(x.dims.slice(0, axis));
      return [{ ...x, dims: [a, shapeSize(x.dims.slice(axis))] }];
    }
    case 'Reshape': {
      const target = opset >= 5 ? valuesOf(ins[1])! : attrInts(nd, 'shape', []);
      return [{ ...x, dims: reshapeDims(x.dims, target, attrInt(nd, 'allowzero', 0) !== 0, nd) }];
    }
    case 'Shape': {
      const r = x.dims.length;
      let start = attrInt(nd, 'start', 0), end = attrInt(nd, 'end', r);
      if (start < 0) start += r;
      if (end < 0) end += r;
      start = Math.min(Math.max(start, 0), r);
      end = Math.min(Math.max(end, 0), r);
      const dims = x.dims.slice(start, Math.max(start, end));
      return [{ dims: [dims.length], dataType: 'int64', data: Float64Array.from(dims) }];
    }
    case 'Constant':
      return [constantValue(nd)];
    case 'ConstantOfShape': {
      const dims = valuesOf(x)!;
      const a = nd.attributes.value;
      const fill = a && a.type === 'tensor' ? fromTensor(a.value) : { dims: [1], dataType: 'float32' as DataType, data: new Float32Array([0]) };
      const out = allocValue(fill.dataType, dims);
      out.data.fill(fill.data[0] ?? 0);
      return [out];
    }
    case 'Cast': {
      const to = onnxTypeCodes[attrInt(nd, 'to', 1)];
      if (!to) throw unsupported(nd, `Cast target type ${attrInt(nd, 'to', 1)}`);
      const out = allocValue(to, x.dims);
      const s = x.data, o = out.data;
      if (to === 'bool') for (let i = 0; i < s.length; i++) o[i] = s[i] !== 0 ? 1 : 0;
      else if (isInt(to) && !isInt(x.dataType)) for (let i = 0; i < s.length; i++) o[i] = Math.trunc(s[i]);
      else for (let i = 0; i < s.length; i++) o[i] = s[i];
      return [out];
    }
    case 'Gather':
      return [gather(nd, x, ins[1])];
    case 'Unsqueeze': {
      const axes = opset >= 13 ? valuesOf(ins[1])! : attrInts(nd, 'axes', []);
      const r = x.dims.length + axes.length;
      const norm = axes.map((a) => (a < 0 ? a + r : a)).sort((p, q) => p - q);
      const dims = [...x.dims];
      for (const a of norm) dims.splice(a, 0, 1);
      return [{ ...x, dims }];
    }
    case 'Squeeze': {
      const axesIn = opset >= 13 ? valuesOf(ins[1]) : attrInts(nd, 'axes');
      const r = x.dims.length;
      const axes = axesIn ? axesIn.map((a) => (a < 0 ? a + r : a)) : x.dims.map((d, i) => (d === 1 ? i : -1)).filter((i) => i >= 0);
      return [{ ...x, dims: x.dims.filter((_, i) => !axes.includes(i)) }];
    }
    case 'Concat':
      return [concat(nd, ins.filter((v) => v))];
    case 'Transpose':
      return [transpose(x, attrInts(nd, 'perm', x.dims.map((_, i) => x.dims.length - 1 - i)))];
    case 'Pad':
      return [pad(nd, ins, opset)];
    case 'Slice':
      return [slice(nd, ins, opset)];
    default: {
      const outs = runTensorOp(nd, ins, opset) ?? runNnOp(nd, ins, opset);
      if (outs) return outs;
      throw new NaxError(ErrorCodes.onnxUnsupported, `node ${nd.name}: no kernel for op ${nd.opType}`);
    }
  }
}

function constantValue(nd: Node): Value {
  const a = Object.entries(nd.attributes)[0];
  if (!a) throw unsupported(nd, 'Constant without a value');
  const [key, v] = a;
  if (v.type === 'tensor') return fromTensor(v.value);
  if (key === 'value_float' && v.type === 'float') return { dims: [], dataType: 'float32', data: new Float32Array([v.value]) };
  if (key === 'value_floats' && v.type === 'floats') return { dims: [v.value.length], dataType: 'float32', data: Float32Array.from(v.value) };
  if (key === 'value_int' && v.type === 'int') return { dims: [], dataType: 'int64', data: new Float64Array([v.value]) };
  if (key === 'value_ints' && v.type === 'ints') return { dims: [v.value.length], dataType: 'int64', data: Float64Array.from(v.value) };
  throw unsupported(nd, `Constant attribute ${key}`);
}

function softmax(nd: Node, x: Value, opset: number): Value {
  const r = x.dims.length;
  const out = allocValue(x.dataType, x.dims);
  const s = x.data, o = out.data;
  if (opset < 13) {
    // Opset < 13: coerce to 2-D at `axis` (default 1), softmax over the flattened tail.
    const axis = normAxis(attrInt(nd, 'axis', 1), r, nd);
    const inner = shapeSize(x.dims.slice(axis));
    softmaxRows(s, o, s.length / Math.max(inner, 1), inner, 1);
    return out;
  }
  const axis = normAxis(attrInt(nd, 'axis', -1), r, nd);
  const len = x.dims[axis];
  const stride = shapeSize(x.dims.slice(axis + 1));
  const outer = shapeSize(x.dims.slice(0, axis));
  for (let b = 0; b < outer; b++) softmaxStrided(s, o, b * len * stride, len, stride);
  return out;
}

function softmaxRows(s: NumArray, o: NumArray, rows: number, len: number, _stride: number): void {
  for (let r = 0; r < rows; r++) {
    const base = r * len;
    let m = -Infinity;
    for (let i = 0; i < len; i++) if (s[base + i] > m) m = s[base + i];
    let sum = 0;
    for (let i = 0; i < len; i++) {
      const e = Math.exp(s[base + i] - m);
      o[base + i] = e;
      sum += e;
    }
    for (let i = 0; i < len; i++) o[base + i] /= sum;
  }
}

function softmaxStrided(s: NumArray, o: NumArray, base: number, len: number, stride: number): void {
  for (let j = 0; j < stride; j++) {
    let m = -Infinity;
    for (let i = 0; i < len; i++) {
      const v = s[base + i * stride + j];
      if (v > m) m = v;
    }
    let sum = 0;
    const tmp = new Float64Array(len);
    for (let i = 0; i < len; i++) {
      tmp[i] = Math.exp(s[base + i * stride + j] - m);
      sum += tmp[i];
    }
    for (let i = 0; i < len; i++) o[base + i * stride + j] = tmp[i] / sum;
  }
}

function batchNorm(nd: Node, ins: Value[]): Value {
  if (attrInt(nd, 'training_mode', 0)) throw unsupported(nd, 'training_mode (inference only)');
  const [x, scale, bias, mean, variance] = ins;
  const eps = attrFloat(nd, 'epsilon', 1e-5);
  const c = x.dims[1] ?? 1;
  const inner = shapeSize(x.dims.slice(2));
  const out = allocValue(x.dataType, x.dims);
  const s = x.data, o = out.data;
  const batch = x.dims[0] ?? 1;
  for (let ch = 0; ch < c; ch++) {
    // y = (x - mean) * scale / sqrt(var + eps) + bias, as one multiply-add.
    const k = scale.data[ch] / Math.sqrt(variance.data[ch] + eps);
    const b0 = bias.data[ch] - mean.data[ch] * k;
    for (let n = 0; n < batch; n++) {
      const base = (n * c + ch) * inner;
      for (let i = 0; i < inner; i++) o[base + i] = s[base + i] * k + b0;
    }
  }
  return out;
}

function gather(nd: Node, x: Value, indices: Value): Value {
  if (!x || !indices) throw unsupported(nd, 'Gather needs inputs data and indices');
  // ONNX: indices are int32 or int64 (onnxruntime rejects float indices at load).
  if (indices.dataType !== 'int64' && indices.dataType !== 'int32')
    throw unsupported(nd, `Gather indices must be int64 or int32, got ${indices.dataType}`);
  const r = x.dims.length;
  const axis = normAxis(attrInt(nd, 'axis', 0), r, nd);
  const outer = shapeSize(x.dims.slice(0, axis));
  const axisLen = x.dims[axis];
  const inner = shapeSize(x.dims.slice(axis + 1));
  const dims = [...x.dims.slice(0, axis), ...indices.dims, ...x.dims.slice(axis + 1)];
  const out = allocValue(x.dataType, dims);
  const ni = indices.data.length;
  for (let o = 0; o < outer; o++)
    for (let t = 0; t < ni; t++) {
      let idx = indices.data[t];
      if (idx < 0) idx += axisLen;
      if (idx < 0 || idx >= axisLen) throw unsupported(nd, `index ${indices.data[t]} out of range for axis of ${axisLen}`);
      const src = (o * axisLen + idx) * inner;
      const dst = (o * ni + t) * inner;
      for (let i = 0; i < inner; i++) out.data[dst + i] = x.data[src + i];
    }
  return out;
}

function concat(nd: Node, ins: Value[]): Value {
  const r = ins[0].dims.length;
  const axis = normAxis(attrInt(nd, 'axis', 0), r, nd);
  const dims = [...ins[0].dims];
  dims[axis] = ins.reduce((s, v) => s + v.dims[axis], 0);
  const out = allocValue(ins[0].dataType, dims);
  const outer = shapeSize(dims.slice(0, axis));
  const inner = shapeSize(dims.slice(axis + 1));
  let offset = 0;
  for (const v of ins) {
    const chunk = v.dims[axis] * inner;
    for (let o = 0; o < outer; o++) out.data.set(v.data.subarray(o * chunk, (o + 1) * chunk), o * dims[axis] * inner + offset);
    offset += chunk;
  }
  return out;
}

export function transpose(x: Value, perm: number[]): Value {
  const r = x.dims.length;
  const dims = perm.map((p) => x.dims[p]);
  const out = allocValue(x.dataType, dims);
  const inStrides = stridesOf(x.dims);
  const st = perm.map((p) => inStrides[p]);
  const idx = new Array<number>(r).fill(0);
  let src = 0;
  const n = out.data.length;
  for (let i = 0; i < n; i++) {
    out.data[i] = x.data[src];
    for (let d = r - 1; d >= 0; d--) {
      idx[d]++;
      src += st[d];
      if (idx[d] < dims[d]) break;
      src -= st[d] * dims[d];
      idx[d] = 0;
    }
  }
  return out;
}

function pad(nd: Node, ins: Value[], opset: number): Value {
  const x = ins[0];
  const r = x.dims.length;
  const mode = nd.attributes.mode?.type === 'string' ? nd.attributes.mode.value : 'constant';
  let pads: number[];
  let value = 0;
  if (opset < 11) {
    pads = attrInts(nd, 'pads', []);
    value = attrFloat(nd, 'value', 0);
  } else {
    pads = valuesOf(ins[1])!;
    value = scalarOf(ins[2]) ?? 0;
    const axesIn = valuesOf(ins[3]);
    if (axesIn) {
      // Opset 18: pads given only for `axes`.
      const full = new Array(2 * r).fill(0);
      axesIn.forEach((a, i) => {
        const ax = a < 0 ? a + r : a;
        full[ax] = pads[i];
        full[ax + r] = pads[i + axesIn.length];
      });
      pads = full;
    }
  }
  if (pads.length !== 2 * r) throw unsupported(nd, `pads of length ${pads.length} for rank ${r}`);
  if (mode !== 'constant' && mode !== 'reflect' && mode !== 'edge') throw unsupported(nd, `Pad mode ${mode}`);
  const dims = x.dims.map((d, i) => d + pads[i] + pads[i + r]);
  const out = allocValue(x.dataType, dims);
  const inStrides = stridesOf(x.dims);
  const idx = new Array<number>(r).fill(0);
  const n = out.data.length;
  for (let i = 0; i < n; i++) {
    let src = 0;
    let inside = true;
    for (let d = 0; d < r; d++) {
      let c = idx[d] - pads[d];
      const len = x.dims[d];
      if (c < 0 || c >= len) {
        if (mode === 'constant') {
          inside = false;
          break;
        }
        if (mode === 'edge') c = c < 0 ? 0 : len - 1;
        else {
          // reflect without repeating the edge
          const period = 2 * (len - 1);
          c = period === 0 ? 0 : ((c % period) + period) % period;
          if (c >= len) c = period - c;
        }
      }
      src += c * inStrides[d];
    }
    out.data[i] = inside ? x.data[src] : value;
    for (let d = r - 1; d >= 0; d--) {
      if (++idx[d] < dims[d]) break;
      idx[d] = 0;
    }
  }
  return out;
}

function slice(nd: Node, ins: Value[], opset: number): Value {
  const x = ins[0];
  const r = x.dims.length;
  let starts: number[], ends: number[], axes: number[] | undefined, steps: number[] | undefined;
  if (opset < 10) {
    starts = attrInts(nd, 'starts', []);
    ends = attrInts(nd, 'ends', []);
    axes = attrInts(nd, 'axes');
  } else {
    starts = valuesOf(ins[1])!;
    ends = valuesOf(ins[2])!;
    axes = valuesOf(ins[3]);
    steps = valuesOf(ins[4]);
  }
  const st = new Array(r).fill(0), en = [...x.dims], sp = new Array(r).fill(1);
  (axes ?? starts.map((_, i) => i)).forEach((a, i) => {
    const ax = a < 0 ? a + r : a;
    const len = x.dims[ax];
    const step = steps?.[i] ?? 1;
    const clampS = (v: number) => (v < 0 ? v + len : v);
    let s = clampS(starts[i]), e = ends[i] >= 2 ** 53 ? len : ends[i] <= -(2 ** 53) ? -1 : clampS(ends[i]);
    if (step > 0) {
      s = Math.min(Math.max(s, 0), len);
      e = Math.min(Math.max(e, 0), len);
    } else {
      s = Math.min(Math.max(s, -1), len - 1);
      e = Math.min(Math.max(e, -1), len - 1);
    }
    st[ax] = s;
    en[ax] = e;
    sp[ax] = step;
  });
  const dims = x.dims.map((_, d) => Math.max(0, Math.ceil((en[d] - st[d]) / sp[d])));
  const out = allocValue(x.dataType, dims);
  const inStrides = stridesOf(x.dims);
  const idx = new Array<number>(r).fill(0);
  for (let i = 0; i < out.data.length; i++) {
    let src = 0;
    for (let d = 0; d < r; d++) src += (st[d] + idx[d] * sp[d]) * inStrides[d];
    out.data[i] = x.data[src];
    for (let d = r - 1; d >= 0; d--) {
      if (++idx[d] < dims[d]) break;
      idx[d] = 0;
    }
  }
  return out;
}
