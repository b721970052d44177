/**
 * TS kernels for the activations, normalisations and resampling of modern classification CNNs:
 * GELU (Erf form, opset 11-19 exports, and the opset-20 Gelu op), HardSwish/HardSigmoid
 * (MobileNetV3), SiLU/Swish (Sigmoid * x, EfficientNet), LayerNormalization (ConvNeXt; opset 17,
 * and its opset-11 decomposition into ReduceMean/Sub/Pow/Sqrt/Div, which runs op by op),
 * LogSoftmax, Resize/Upsample (nearest and linear) and the small unary ops. Semantics follow the
 * ONNX operator specification; the libonnx-testdata node tests check each one.
 */
import { NaxError, ErrorCodes } from '../errors';
import { Node, attrFloat, attrInt, attrInts, attrString, shapeSize } from '../onnx/ir';
import { Value, allocValue, broadcastBinary, stridesOf } from './values';

function unsupported(nd: Node, what: string): NaxError {
  return new NaxError(ErrorCodes.onnxUnsupported, `node ${nd.name} (${nd.opType}): unsupported ${what}`);
}

const valuesOf = (v: Value | undefined): number[] | undefined => (v && v.data.length > 0 ? Array.from(v.data as ArrayLike<number>) : undefined);

/**
 * erf(x) to double precision: the Maclaurin series for |x| < 2 (converges to 1e-17 in <= 40
 * terms), and 1 - erfc(x) by its continued fraction (Abramowitz & Stegun 7.1.14, Lentz's method)
 * beyond, where erfc < 5e-3 and the fraction converges in a few dozen steps.
 */
export function erf(x: number): number {
  if (x !== x) return NaN;
  const a = Math.abs(x);
  if (a < 2) {
    // erf(x) = 2/sqrt(pi) * sum_n (-1)^n x^(2n+1) / (n! (2n+1))
    let term = x, sum = x;
    const x2 = x * x;
    for (let n = 1; n < 60; n++) {
      term *= -x2 / n;
      const t = term / (2 * n + 1);
      sum += t;
      if (Math.abs(t) < 1e-17 * Math.abs(sum)) break;
    }
    return (2 / Math.sqrt(Math.PI)) * sum;
  }
  if (a > 6) return Math.sign(x);
  // erfc(a) = exp(-a^2)/sqrt(pi) * 1/(a + (1/2)/(a + 1/(a + (3/2)/(a + 2/(a + ...)))))
  const tiny = 1e-300;
  let f = a, c = a, d = 0;
  for (let n = 1; n < 200; n++) {
    const an = n / 2;
    d = a + an * d;
    d = Math.abs(d) < tiny ? tiny : d;
    c = a + an / c;
    c = Math.abs(c) < tiny ? tiny : c;
    d = 1 / d;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  const erfc = Math.exp(-a * a) / Math.sqrt(Math.PI) / f;
  return Math.sign(x) * (1 - erfc);
}

const sqrt2OverPi = Math.sqrt(2 / Math.PI);

const unaryOps: Record<string, (nd: Node) => (v: number) => number> = {
  Erf: () => erf,
  Gelu: (nd) =>
    attrString(nd, 'approximate', 'none') === 'tanh'
      ? (v) => 0.5 * v * (1 + Math.tanh(sqrt2OverPi * (v + 0.044715 * v * v * v)))
      : (v) => 0.5 * v * (1 + erf(v / Math.SQRT2)),
  HardSigmoid: (nd) => {
    const alpha = attrFloat(nd, 'alpha', 0.2), beta = attrFloat(nd, 'beta', 0.5);
    return (v) => Math.max(0, Math.min(1, alpha * v + beta));
  },
  HardSwish: () => (v) => v * Math.max(0, Math.min(1, v / 6 + 0.5)),
  Elu: (nd) => {
    const alpha = attrFloat(nd, 'alpha', 1);
    return (v) => (v >= 0 ? v : alpha * (Math.exp(v) - 1));
  },
  Selu: (nd) => {
    const alpha = attrFloat(nd, 'alpha', 1.67326319217681884765625), gamma = attrFloat(nd, 'gamma', 1.05070102214813232421875);
    return (v) => gamma * (v > 0 ? v : alpha * (Math.exp(v) - 1));
  },
  Softplus: () => (v) => (v > 20 ? v : Math.log1p(Math.exp(v))),
  Softsign: () => (v) => v / (1 + Math.abs(v)),
  Mish: () => (v) => v * Math.tanh(v > 20 ? v : Math.log1p(Math.exp(v))),
  Reciprocal: () => (v) => 1 / v,
  Log: () => Math.log,
  Floor: () => Math.floor,
  Ceil: () => Math.ceil,
  // Round half to even (numpy.round, the ONNX reference).
  Round: () => (v) => {
    const r = Math.round(v);
    return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
  },
  Sign: () => (v) => (v > 0 ? 1 : v < 0 ? -1 : v === 0 ? 0 : NaN),
};

export const nnOps = new Set([...Object.keys(unaryOps), 'LogSoftmax', 'LayerNormalization', 'Resize', 'Upsample', 'PRelu']);

export function runNnOp(nd: Node, ins: Value[], opset: number): Value[] | undefined {
  const x = ins[0];
  const u = unaryOps[nd.opType];
  if (u) {
    const f = u(nd);
    const out = allocValue(x.dataType, x.dims);
    const s = x.data, o = out.data;
    for (let i = 0; i < s.length; i++) o[i] = f(s[i]);
    return [out];
  }
  switch (nd.opType) {
    case 'PRelu':
      return [broadcastBinary(x, ins[1], x.dataType, (v, slope) => (v < 0 ? slope * v : v), nd)];
    case 'LogSoftmax':
      return [logSoftmax(nd, x, opset)];
    case 'LayerNormalization':
      return layerNorm(nd, ins);
    case 'Resize':
    case 'Upsample':
      return [resize(nd, ins, opset)];
    default:
      return undefined;
  }
}

function normAxis(nd: Node, axis: number, r: number): number {
  const a = axis < 0 ? axis + r : axis;
  if (a < 0 || a >= Math.max(r, 1)) throw unsupported(nd, `axis ${axis} for rank ${r}`);
  return a;
}

/** log(softmax(x)) as x - max - log(sum exp(x - max)); before opset 13 over the flattened tail from `axis`. */
function logSoftmax(nd: Node, x: Value, opset: number): Value {
  const r = x.dims.length;
  const out = allocValue(x.dataType, x.dims);
  const s = x.data, o = out.data;
  let len: number, stride: number, outer: number;
  if (opset < 13) {
    const axis = normAxis(nd, attrInt(nd, 'axis', 1), r);
    len = shapeSize(x.dims.slice(axis));
    stride = 1;
    outer = len === 0 ? 0 : s.length / len;
  } else {
    const axis = normAxis(nd, attrInt(nd, 'axis', -1), r);
    len = x.dims[axis];
    stride = shapeSize(x.dims.slice(axis + 1));
    outer = shapeSize(x.dims.slice(0, axis));
  }
  for (let b = 0; b < outer; b++)
    for (let j = 0; j < stride; j++) {
      const base = b * len * stride + j;
      let m = -Infinity;
      for (let i = 0; i < len; i++) m = Math.max(m, s[base + i * stride]);
      let sum = 0;
      for (let i = 0; i < len; i++) sum += Math.exp(s[base + i * stride] - m);
      const lse = m + Math.log(sum);
      for (let i = 0; i < len; i++) o[base + i * stride] = s[base + i * stride] - lse;
    }
  return out;
}

/**
 * LayerNormalization (opset 17): normalises over the dims from `axis` to the end, then scales and
 * shifts by Scale and B (broadcast over those dims). Optional outputs Mean and InvStdDev have the
 * input's shape with the normalised dims set to 1. Statistics in float64.
 */
function layerNorm(nd: Node, ins: Value[]): Value[] {
  const [x, scale, bias] = ins;
  const r = x.dims.length;
  const axis = normAxis(nd, attrInt(nd, 'axis', -1), r);
  const eps = attrFloat(nd, 'epsilon', 1e-5);
  const inner = shapeSize(x.dims.slice(axis));
  const outer = shapeSize(x.dims.slice(0, axis));
  const normDims = x.dims.slice(axis);
  const sc = broadcastInner(nd, scale, normDims);
  const bi = bias ? broadcastInner(nd, bias, normDims) : undefined;
  const out = allocValue(x.dataType, x.dims);
  const statDims = x.dims.map((d, i) => (i < axis ? d : 1));
  const meanOut = allocValue(x.dataType, statDims);
  const invOut = allocValue(x.dataType, statDims);
  const s = x.data, o = out.data;
  for (let b = 0; b < outer; b++) {
    const base = b * inner;
    let mean = 0;
    for (let i = 0; i < inner; i++) mean += s[base + i];
    mean /= inner;
    let v = 0;
    for (let i = 0; i < inner; i++) {
      const d = s[base + i] - mean;
      v += d * d;
    }
    const inv = 1 / Math.sqrt(v / inner + eps);
    for (let i = 0; i < inner; i++) o[base + i] = (s[base + i] - mean) * inv * sc[i] + (bi ? bi[i] : 0);
    meanOut.data[b] = mean;
    invOut.data[b] = inv;
  }
  return [out, meanOut, invOut];
}

/** A Scale/B tensor broadcast over the normalised dims, as a flat array of their size. */
function broadcastInner(nd: Node, v: Value, dims: number[]): ArrayLike<number> {
  const n = shapeSize(dims);
  if (v.data.length === n) return v.data;
  const zeros: Value = { dims, dataType: 'float32', data: new Float32Array(n) };
  return broadcastBinary(zeros, v, 'float32', (_z, y) => y, nd).data;
}

/** Source coordinate of output index `x` along one axis (ONNX Resize coordinate_transformation_mode). */
function sourceCoordinate(mode: string, x: number, scale: number, inLen: number, outLen: number): number {
  switch (mode) {
    case 'half_pixel':
      return (x + 0.5) / scale - 0.5;
    case 'pytorch_half_pixel':
      return outLen > 1 ? (x + 0.5) / scale - 0.5 : 0;
    case 'align_corners':
      return outLen === 1 ? 0 : (x * (inLen - 1)) / (outLen - 1);
    case 'asymmetric':
      return x / scale;
    case 'tf_half_pixel_for_nn':
      return (x + 0.5) / scale;
    case 'half_pixel_symmetric': {
      const adj = outLen / (scale * inLen);
      const center = inLen / 2;
      return center * (1 - adj) + (x + 0.5) / scale - 0.5;
    }
    default:
      return NaN;
  }
}

function nearestIndex(mode: string, c: number): number {
  switch (mode) {
    case 'floor':
      return Math.floor(c);
    case 'ceil':
      return Math.ceil(c);
    case 'round_prefer_ceil':
      return Math.round(c);
    default: {
      // round_prefer_floor: halves go down.
      const f = Math.floor(c);
      return c - f === 0.5 ? f : Math.round(c);
    }
  }
}

/**
 * Resize (opset 10-19) and Upsample (opset 7-9): nearest and n-linear interpolation on any axes,
 * every coordinate_transformation_mode except tf_crop_and_resize. Cubic, antialias and the
 * keep_aspect_ratio policies are rejected as unsupported variants. Linear interpolation clamps
 * the source coordinate to the input (edge values), as onnxruntime and the ONNX reference do.
 */
function resize(nd: Node, ins: Value[], opset: number): Value {
  const x = ins[0];
  const r = x.dims.length;
  let mode: string, coord: string, nearestMode: string;
  let scales: number[] | undefined, sizes: number[] | undefined;
  if (nd.opType === 'Upsample') {
    mode = attrString(nd, 'mode', 'nearest');
    coord = 'asymmetric';
    nearestMode = 'floor';
    scales = opset >= 9 ? valuesOf(ins[1]) : attrInts(nd, 'scales');
  } else {
    mode = attrString(nd, 'mode', 'nearest');
    coord = opset >= 11 ? attrString(nd, 'coordinate_transformation_mode', 'half_pixel') : 'asymmetric';
    nearestMode = opset >= 11 ? attrString(nd, 'nearest_mode', 'round_prefer_floor') : 'floor';
    if (opset >= 11) {
      scales = valuesOf(ins[2]);
      sizes = valuesOf(ins[3]);
    } else scales = valuesOf(ins[1]);
    if (attrInt(nd, 'antialias', 0)) throw unsupported(nd, 'antialias');
    if (attrString(nd, 'keep_aspect_ratio_policy', 'stretch') !== 'stretch') throw unsupported(nd, 'keep_aspect_ratio_policy');
    const axes = attrInts(nd, 'axes');
    if (axes) {
      // Opset 18: scales/sizes only for `axes`; the rest keep scale 1.
      const fullScales = new Array(r).fill(1), fullSizes = [...x.dims];
      axes.forEach((a, i) => {
        const ax = a < 0 ? a + r : a;
        if (scales) fullScales[ax] = scales[i];
        if (sizes) fullSizes[ax] = sizes[i];
      });
      if (scales) scales = fullScales;
      if (sizes) sizes = fullSizes;
    }
  }
  if (mode === 'cubic') throw unsupported(nd, 'cubic interpolation');
  if (mode !== 'nearest' && mode !== 'linear' && mode !== 'bilinear') throw unsupported(nd, `mode ${mode}`);
  if (coord === 'tf_crop_and_resize') throw unsupported(nd, 'coordinate_transformation_mode tf_crop_and_resize');
  if (Number.isNaN(sourceCoordinate(coord, 0, 1, 1, 1))) throw unsupported(nd, `coordinate_transformation_mode ${coord}`);
  let outDims: number[];
  if (sizes) {
    if (sizes.length !== r) throw unsupported(nd, `sizes of length ${sizes.length} for rank ${r}`);
    outDims = sizes;
    scales = sizes.map((s, i) => s / x.dims[i]);
  } else {
    if (!scales || scales.length !== r) throw unsupported(nd, `scales of length ${scales?.length ?? 0} for rank ${r}`);
    outDims = x.dims.map((d, i) => Math.floor(d * scales![i]));
  }
  const sc = scales!;
  const out = allocValue(x.dataType, outDims);
  const inStrides = stridesOf(x.dims);
  // Per axis and output index: two source indices and the weight of the second.
  const taps = outDims.map((len, a) => {
    const i0 = new Int32Array(len), i1 = new Int32Array(len), w = new Float64Array(len);
    const inLen = x.dims[a];
    for (let o = 0; o < len; o++) {
      // align_corners divides by the unrounded resized length in*scale (ONNX reference; = len when sizes are given).
      const c = sourceCoordinate(coord, o, sc[a], inLen, coord === 'align_corners' ? inLen * sc[a] : len);
      if (mode === 'nearest') {
        const k = Math.min(Math.max(nearestIndex(nearestMode, c), 0), inLen - 1);
        i0[o] = i1[o] = k;
      } else {
        const cc = Math.min(Math.max(c, 0), inLen - 1);
        const f = Math.floor(cc);
        i0[o] = f;
        i1[o] = Math.min(f + 1, inLen - 1);
        w[o] = cc - f;
      }
    }
    return { i0, i1, w };
  });
  const idx = new Array<number>(r).fill(0);
  const n = out.data.length;
  const corners = mode === 'nearest' ? 1 : 1 << r;
  for (let i = 0; i < n; i++) {
    let v = 0;
    for (let c = 0; c < corners; c++) {
      let off = 0, weight = 1;
      for (let a = 0; a < r; a++) {
        const t = taps[a];
        const hi = (c >> a) & 1;
        const o = idx[a];
        if (mode === 'nearest') off += t.i0[o] * inStrides[a];
        else {
          weight *= hi ? t.w[o] : 1 - t.w[o];
          off += (hi ? t.i1[o] : t.i0[o]) * inStrides[a];
        }
      }
      if (weight !== 0) v += weight * x.data[off];
    }
    out.data[i] = v;
    for (let d = r - 1; d >= 0; d--) {
      if (++idx[d] < outDims[d]) break;
      idx[d] = 0;
    }
  }
  return out;
}
