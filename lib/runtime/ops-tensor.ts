/**
 * TS kernels for the tensor ops PyTorch's exporter emits around classification CNNs (torchvision
 * and timm families, opsets 11-18): comparisons and logic, variadic Max/Min/Sum/Mean, Pow, Where,
 * Expand, Tile, Range, Split, the Reduce* family and Einsum. Semantics follow the ONNX operator
 * specification (onnx/docs/Operators.md); the Debian libonnx-testdata node tests check each one
 * (test/onnx/conformance.test.ts). Dispatched from ./ops.ts runSmallOp.
 */
import { NaxError, ErrorCodes } from '../errors';
import { DataType, Node, attrInt, attrInts, attrString, shapeSize } from '../onnx/ir';
import { broadcastShapes } from './dims';
import { Value, allocValue, broadcastBinary, stridesOf } from './values';

function unsupported(nd: Node, what: string): NaxError {
  return new NaxError(ErrorCodes.onnxUnsupported, `node ${nd.name} (${nd.opType}): unsupported ${what}`);
}

const valuesOf = (v: Value | undefined): number[] | undefined => (v ? Array.from(v.data as ArrayLike<number>) : undefined);
const isIntType = (t: DataType) => t !== 'float32' && t !== 'float64';

/** Element offsets of `v` read at each element of `dims` (numpy broadcasting), for kernels with more than two inputs. */
export function broadcastOffsets(v: Value, dims: number[]): Int32Array {
  const r = dims.length;
  const padded = [...new Array(r - v.dims.length).fill(1), ...v.dims];
  const st = stridesOf(padded).map((s, i) => (padded[i] === 1 ? 0 : s));
  const n = shapeSize(dims);
  const out = new Int32Array(n);
  const idx = new Array<number>(r).fill(0);
  let off = 0;
  for (let i = 0; i < n; i++) {
    out[i] = off;
    for (let d = r - 1; d >= 0; d--) {
      idx[d]++;
      off += st[d];
      if (idx[d] < dims[d]) break;
      off -= st[d] * dims[d];
      idx[d] = 0;
    }
  }
  return out;
}

/** Copy of `v` broadcast to `dims`. */
export function expandTo(v: Value, dims: number[]): Value {
  const out = allocValue(v.dataType, dims);
  const offs = broadcastOffsets(v, dims);
  for (let i = 0; i < offs.length; i++) out.data[i] = v.data[offs[i]];
  return out;
}

const comparisons: Record<string, (a: number, b: number) => number> = {
  Equal: (a, b) => (a === b ? 1 : 0),
  Less: (a, b) => (a < b ? 1 : 0),
  LessOrEqual: (a, b) => (a <= b ? 1 : 0),
  Greater: (a, b) => (a > b ? 1 : 0),
  GreaterOrEqual: (a, b) => (a >= b ? 1 : 0),
  And: (a, b) => (a && b ? 1 : 0),
  Or: (a, b) => (a || b ? 1 : 0),
  Xor: (a, b) => ((a ? 1 : 0) ^ (b ? 1 : 0)),
};

/** Ops of this file (all run on the main thread; cheap enough for shape-time evaluation of small constants). */
export const tensorOps = new Set([
  ...Object.keys(comparisons), 'Not', 'Max', 'Min', 'Sum', 'Mean', 'Pow', 'Where', 'Expand', 'Tile', 'Range', 'Split',
  'ReduceSum', 'ReduceMax', 'ReduceMin', 'ReduceProd', 'ReduceSumSquare', 'ReduceL1', 'ReduceL2', 'ReduceLogSumExp', 'ReduceMean',
  'Einsum', 'Size',
]);

export function runTensorOp(nd: Node, ins: Value[], opset: number): Value[] | undefined {
  const x = ins[0];
  const cmp = comparisons[nd.opType];
  if (cmp) return [broadcastBinary(x, ins[1], 'bool', cmp, nd)];
  switch (nd.opType) {
    case 'Not': {
      const out = allocValue('bool', x.dims);
      for (let i = 0; i < x.data.length; i++) out.data[i] = x.data[i] ? 0 : 1;
      return [out];
    }
    case 'Max':
    case 'Min':
    case 'Sum':
    case 'Mean': {
      const list = ins.filter((v) => v);
      // Max/Min propagate NaN like numpy.maximum (the ONNX reference).
      const f =
        nd.opType === 'Max' ? (a: number, b: number) => (a !== a || b !== b ? NaN : a > b ? a : b)
        : nd.opType === 'Min' ? (a: number, b: number) => (a !== a || b !== b ? NaN : a < b ? a : b)
        : (a: number, b: number) => a + b;
      let acc = list[0];
      for (let i = 1; i < list.length; i++) acc = broadcastBinary(acc, list[i], x.dataType, f, nd);
      if (list.length === 1) acc = { ...acc, data: acc.data.slice() };
      if (nd.opType === 'Mean') for (let i = 0; i < acc.data.length; i++) acc.data[i] /= list.length;
      return [acc];
    }
    case 'Pow': {
      // Output takes X's type; integer results truncate (the ONNX reference casts numpy's result).
      const int = isIntType(x.dataType);
      return [broadcastBinary(x, ins[1], x.dataType, int ? (a, b) => Math.trunc(Math.pow(a, b)) : Math.pow, nd)];
    }
    case 'Where': {
      const [cond, a, b] = ins;
      const dims = broadcastShapes(broadcastShapes(cond.dims, a.dims, `node ${nd.name}: `), b.dims, `node ${nd.name}: `);
      const out = allocValue(a.dataType, dims);
      const oc = broadcastOffsets(cond, dims), oa = broadcastOffsets(a, dims), ob = broadcastOffsets(b, dims);
      for (let i = 0; i < out.data.length; i++) out.data[i] = cond.data[oc[i]] ? a.data[oa[i]] : b.data[ob[i]];
      return [out];
    }
    case 'Expand': {
      const shape = valuesOf(ins[1])!;
      return [expandTo(x, broadcastShapes(x.dims, shape, `node ${nd.name}: `))];
    }
    case 'Tile': {
      const reps = valuesOf(ins[1])!;
      if (reps.length !== x.dims.length) throw unsupported(nd, `repeats of length ${reps.length} for rank ${x.dims.length}`);
      const dims = x.dims.map((d, i) => d * reps[i]);
      const out = allocValue(x.dataType, dims);
      const st = stridesOf(x.dims);
      const idx = new Array<number>(dims.length).fill(0);
      for (let i = 0; i < out.data.length; i++) {
        let src = 0;
        for (let d = 0; d < dims.length; d++) src += (idx[d] % x.dims[d]) * st[d];
        out.data[i] = x.data[src];
        for (let d = dims.length - 1; d >= 0; d--) {
          if (++idx[d] < dims[d]) break;
          idx[d] = 0;
        }
      }
      return [out];
    }
    case 'Range': {
      const [start, limit, delta] = [x.data[0], ins[1].data[0], ins[2].data[0]];
      const n = Math.max(Math.ceil((limit - start) / delta), 0);
      const out = allocValue(x.dataType, [n]);
      for (let i = 0; i < n; i++) out.data[i] = start + i * delta;
      return [out];
    }
    case 'Size':
      return [{ dims: [], dataType: 'int64', data: new Float64Array([x.data.length]) }];
    case 'Split':
      return split(nd, ins, opset);
    case 'Einsum':
      return [einsum(nd, ins.filter((v) => v))];
    default:
      if (nd.opType.startsWith('Reduce')) return [reduce(nd, ins, opset)];
      return undefined;
  }
}

function split(nd: Node, ins: Value[], opset: number): Value[] {
  const x = ins[0];
  const r = x.dims.length;
  let axis = attrInt(nd, 'axis', 0);
  if (axis < 0) axis += r;
  if (axis < 0 || axis >= r) throw unsupported(nd, `axis ${attrInt(nd, 'axis', 0)} for rank ${r}`);
  const len = x.dims[axis];
  const count = nd.outputs.length;
  let sizes = opset >= 13 ? valuesOf(ins[1]) : attrInts(nd, 'split');
  if (!sizes || sizes.length === 0) {
    // Opset 18 num_outputs: ceil(len / n) each, the last one smaller; before: equal parts.
    const part = Math.ceil(len / count);
    if (opset < 18 && len % count !== 0) throw unsupported(nd, `equal split of ${len} into ${count} outputs`);
    sizes = Array.from({ length: count }, (_, i) => Math.max(0, Math.min(part, len - i * part)));
  }
  if (sizes.reduce((a, b) => a + b, 0) !== len)
    throw new NaxError(ErrorCodes.sizeMismatch, `node ${nd.name} (Split): split sizes [${sizes.join(', ')}] do not add up to axis length ${len}`);
  const outer = shapeSize(x.dims.slice(0, axis));
  const inner = shapeSize(x.dims.slice(axis + 1));
  let offset = 0;
  return sizes.map((s) => {
    const dims = [...x.dims];
    dims[axis] = s;
    const out = allocValue(x.dataType, dims);
    for (let o = 0; o < outer; o++)
      out.data.set(x.data.subarray((o * len + offset) * inner, (o * len + offset + s) * inner), o * s * inner);
    offset += s;
    return out;
  });
}

interface Reducer {
  init: number;
  step: (acc: number, v: number) => number;
  finish: (acc: number, count: number) => number;
}

const reducers: Record<string, Reducer> = {
  ReduceSum: { init: 0, step: (a, v) => a + v, finish: (a) => a },
  ReduceMean: { init: 0, step: (a, v) => a + v, finish: (a, n) => a / n },
  ReduceMax: { init: -Infinity, step: (a, v) => (v > a || v !== v ? v : a), finish: (a) => a },
  ReduceMin: { init: Infinity, step: (a, v) => (v < a || v !== v ? v : a), finish: (a) => a },
  ReduceProd: { init: 1, step: (a, v) => a * v, finish: (a) => a },
  ReduceSumSquare: { init: 0, step: (a, v) => a + v * v, finish: (a) => a },
  ReduceL1: { init: 0, step: (a, v) => a + Math.abs(v), finish: (a) => a },
  ReduceL2: { init: 0, step: (a, v) => a + v * v, finish: (a) => Math.sqrt(a) },
  ReduceLogSumExp: { init: 0, step: (a, v) => a + Math.exp(v), finish: (a) => Math.log(a) },
};

/** The Reduce* family: axes from the attribute (before opset 18; ReduceSum before 13) or the second input. */
export function reduce(nd: Node, ins: Value[], opset: number): Value {
  const red = reducers[nd.opType];
  if (!red) throw unsupported(nd, 'reduction');
  const x = ins[0];
  const r = x.dims.length;
  const keep = attrInt(nd, 'keepdims', 1) !== 0;
  const axesFromInput = nd.opType === 'ReduceSum' ? opset >= 13 : opset >= 18;
  let axes = axesFromInput ? valuesOf(ins[1]) : attrInts(nd, 'axes');
  if (!axes || axes.length === 0) {
    if (attrInt(nd, 'noop_with_empty_axes', 0)) return x;
    axes = x.dims.map((_, i) => i);
  }
  const ax = new Set(axes.map((a) => (a < 0 ? a + r : a)));
  const keptDims = x.dims.map((d, i) => (ax.has(i) ? 1 : d));
  const outLen = shapeSize(keptDims);
  const acc = new Float64Array(outLen).fill(red.init);
  const outStrides = stridesOf(keptDims).map((s, i) => (ax.has(i) ? 0 : s));
  const idx = new Array<number>(r).fill(0);
  let o = 0;
  for (let i = 0; i < x.data.length; i++) {
    acc[o] = red.step(acc[o], x.data[i]);
    for (let d = r - 1; d >= 0; d--) {
      idx[d]++;
      o += outStrides[d];
      if (idx[d] < x.dims[d]) break;
      o -= outStrides[d] * x.dims[d];
      idx[d] = 0;
    }
  }
  const count = outLen === 0 ? 0 : x.data.length / outLen;
  const out = allocValue(x.dataType, keep ? keptDims : x.dims.filter((_, i) => !ax.has(i)));
  for (let i = 0; i < outLen; i++) out.data[i] = red.finish(acc[i], count);
  return out;
}

/**
 * An Einsum equation split into operand and output subscripts (explicit or implicit form). An
 * ellipsis becomes one private letter per broadcast dim, right-aligned across the operands.
 */
export function parseEinsum(nd: Node, equation: string, ranks: number[]): { inputs: string[]; output: string } {
  const eq = equation.replace(/\s+/g, '');
  const [lhs, rhs] = eq.split('->');
  const raw = lhs.split(',');
  if (raw.length !== ranks.length) throw unsupported(nd, `Einsum equation ${equation} for ${ranks.length} operands`);
  const ellipsisRank = Math.max(0, ...raw.map((sub, i) => (sub.includes('...') ? ranks[i] - (sub.length - 3) : 0)));
  // Private letters for the ellipsis dims (outside a-z and A-Z, so they never clash).
  const pool = Array.from({ length: ellipsisRank }, (_, i) => String.fromCharCode(0x100 + i)).join('');
  const inputs = raw.map((sub, i) => (sub.includes('...') ? sub.replace('...', pool.slice(ellipsisRank - (ranks[i] - (sub.length - 3)))) : sub));
  let output: string;
  if (rhs === undefined) {
    // Implicit form: the ellipsis dims, then the letters that appear once, in alphabetical order.
    const counts = new Map<string, number>();
    for (const ch of raw.join('').replace(/\./g, '')) counts.set(ch, (counts.get(ch) ?? 0) + 1);
    output = pool + [...counts.entries()].filter(([, c]) => c === 1).map(([ch]) => ch).sort().join('');
  } else output = rhs.replace('...', pool);
  return { inputs, output };
}

/**
 * Einsum by direct summation: for every output index, the sum over the contracted letters of
 * the product of the operands. Exact for any equation (diagonals, traces, ellipses,
 * transposes, inner and batched matrix products); a two-operand plain matrix product with a
 * constant operand is rewritten to MatMul before execution (./graph-passes.ts), so it maps
 * onto crossbars.
 */
function einsum(nd: Node, ops: Value[]): Value {
  const { inputs, output } = parseEinsum(nd, attrString(nd, 'equation', ''), ops.map((v) => v.dims.length));
  const size = new Map<string, number>();
  inputs.forEach((sub, i) => {
    if (sub.length !== ops[i].dims.length) throw unsupported(nd, `Einsum subscripts ${sub} for an operand of rank ${ops[i].dims.length}`);
    [...sub].forEach((ch, d) => {
      const s = ops[i].dims[d];
      const prev = size.get(ch);
      if (prev !== undefined && prev !== s && prev !== 1 && s !== 1)
        throw new NaxError(ErrorCodes.sizeMismatch, `node ${nd.name} (Einsum): letter ${ch} is ${prev} and ${s}`);
      size.set(ch, Math.max(prev ?? 1, s));
    });
  });
  const outLetters = [...output];
  const sumLetters = [...size.keys()].filter((ch) => !output.includes(ch));
  const letters = [...outLetters, ...sumLetters];
  const pos = new Map(letters.map((ch, i) => [ch, i]));
  const dims = letters.map((ch) => size.get(ch)!);
  // Per operand, its stride along each letter (0 where the letter is absent or broadcast).
  const strides = inputs.map((sub, i) => {
    const st = stridesOf(ops[i].dims);
    const s = new Array<number>(letters.length).fill(0);
    [...sub].forEach((ch, d) => {
      if (ops[i].dims[d] !== 1) s[pos.get(ch)!] += st[d];
    });
    return s;
  });
  const outDims = outLetters.map((ch) => size.get(ch)!);
  const out = allocValue(ops[0].dataType, outDims);
  const nOut = shapeSize(outDims);
  const nSum = shapeSize(sumLetters.map((ch) => size.get(ch)!));
  const idx = new Array<number>(letters.length).fill(0);
  const offsets = new Array<number>(ops.length).fill(0);
  const no = outLetters.length;
  for (let o = 0; o < nOut; o++) {
    let acc = 0;
    for (let s = 0; s < nSum; s++) {
      let p = 1;
      for (let i = 0; i < ops.length; i++) p *= ops[i].data[offsets[i]];
      acc += p;
      // Odometer over the summed letters.
      for (let d = letters.length - 1; d >= no; d--) {
        idx[d]++;
        for (let i = 0; i < ops.length; i++) offsets[i] += strides[i][d];
        if (idx[d] < dims[d]) break;
        for (let i = 0; i < ops.length; i++) offsets[i] -= strides[i][d] * dims[d];
        idx[d] = 0;
      }
    }
    out.data[o] = acc;
    for (let d = no - 1; d >= 0; d--) {
      idx[d]++;
      for (let i = 0; i < ops.length; i++) offsets[i] += strides[i][d];
      if (idx[d] < dims[d]) break;
      for (let i = 0; i < ops.length; i++) offsets[i] -= strides[i][d] * dims[d];
      idx[d] = 0;
    }
  }
  return out;
}
