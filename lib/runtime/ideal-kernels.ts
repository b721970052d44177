/**
 * Ideal-mode kernels of the graph executor: Conv, Gemm, MatMul and pooling on float32 values in
 * the native kernels (im2col + nax::sgemm, fused bias and activation), and the conv geometry
 * crossbar mode shares (./executor.ts).
 */
import { NaxError, ErrorCodes } from '../errors';
import { Node, attrFloat, attrInt } from '../onnx/ir';
import { gemm } from '../native';
import { matmulShape } from './dims';
import { ActivationOptions, ConvGeometryOptions, ConvTransposeGeometryOptions, runtimeNative } from './native';
import { Value, allocValue, broadcastBinary, runSmallOp } from './ops';
import { allocScratchValue, float32Zeros } from './values';
import { convAttributes, convTransposeAttributes, poolAttributes } from './shapes';

export function float32(nd: Node, v: Value): Value {
  if (v.dataType !== 'float32')
    throw new NaxError(ErrorCodes.onnxUnsupported, `node ${nd.name} (${nd.opType}): only float32 inputs are supported, got ${v.dataType}`);
  return v;
}

export interface ConvRun {
  options: ConvGeometryOptions;
  outH: number;
  outW: number;
  /** 1-D conv run as H = 1. */
  spatial1d: boolean;
}

export function convGeometry(nd: Node, x: Value, w: Value): ConvRun {
  const spatial1d = x.dims.length === 3;
  if (!spatial1d && x.dims.length !== 4)
    throw new NaxError(ErrorCodes.onnxUnsupported, `node ${nd.name} (Conv): only 1-D and 2-D convolutions are supported, input rank ${x.dims.length}`);
  const ca = convAttributes(nd, x.dims, w.dims);
  const [N, C] = x.dims;
  const H = spatial1d ? 1 : x.dims[2];
  const W = x.dims[x.dims.length - 1];
  const kh = spatial1d ? 1 : ca.kernel[0];
  const kw = ca.kernel[ca.kernel.length - 1];
  const r = ca.kernel.length;
  const options = {
    batch: N, inChannels: C, height: H, width: W, outChannels: w.dims[0], groups: ca.groups,
    kernelH: kh, kernelW: kw,
    padTop: spatial1d ? 0 : ca.pads[0], padLeft: ca.pads[r - 1], padBottom: spatial1d ? 0 : ca.pads[r], padRight: ca.pads[2 * r - 1],
    strideH: spatial1d ? 1 : ca.strides[0], strideW: ca.strides[r - 1],
    dilationH: spatial1d ? 1 : ca.dilations[0], dilationW: ca.dilations[r - 1],
  };
  const outH = Math.floor((H + options.padTop + options.padBottom - (options.dilationH * (kh - 1) + 1)) / options.strideH) + 1;
  const outW = Math.floor((W + options.padLeft + options.padRight - (options.dilationW * (kw - 1) + 1)) / options.strideW) + 1;
  return { options, outH, outW, spatial1d };
}

export async function convIdeal(nd: Node, ins: Value[], act: ActivationOptions | undefined, threads: number, depthwiseKernel = true): Promise<Value> {
  const x = float32(nd, ins[0]);
  const w = float32(nd, ins[1]);
  const b = ins[2] ? float32(nd, ins[2]) : undefined;
  const g = convGeometry(nd, x, w);
  // conv2d writes every output element (beta = 0 GEMMs, then bias/activation).
  const out = allocScratchValue(g.spatial1d ? [x.dims[0], w.dims[0], g.outW] : [x.dims[0], w.dims[0], g.outH, g.outW]);
  if (out.data.length === 0) return out;
  await runtimeNative().conv2d({
    ...g.options, ...(act ?? {}), threads, depthwiseKernel: depthwiseKernel ? 1 : 0,
    input: x.data as Float32Array, weights: w.data as Float32Array, bias: b?.data as Float32Array | undefined, output: out.data as Float32Array,
  });
  return out;
}

export interface ConvTransposeRun {
  options: ConvTransposeGeometryOptions;
  spatial1d: boolean;
  /** Rows (Cin/groups) and columns ((Cout/groups)*kh*kw) of one group's matrix. */
  k: number;
  n: number;
}

export function convTransposeGeometry(nd: Node, x: Value, w: Value): ConvTransposeRun {
  const spatial1d = x.dims.length === 3;
  if (!spatial1d && x.dims.length !== 4)
    throw new NaxError(ErrorCodes.onnxUnsupported, `node ${nd.name} (ConvTranspose): only 1-D and 2-D transposed convolutions are supported, input rank ${x.dims.length}`);
  const ca = convTransposeAttributes(nd, x.dims, w.dims);
  const r = ca.kernel.length;
  const [N, C] = x.dims;
  const kh = spatial1d ? 1 : ca.kernel[0], kw = ca.kernel[r - 1];
  const outChannels = w.dims[1] * ca.groups;
  const options = {
    batch: N, inChannels: C, height: spatial1d ? 1 : x.dims[2], width: x.dims[x.dims.length - 1], outChannels, groups: ca.groups,
    outH: spatial1d ? 1 : ca.outSpatial[0], outW: ca.outSpatial[r - 1], kernelH: kh, kernelW: kw,
    padTop: spatial1d ? 0 : ca.pads[0], padLeft: ca.pads[r - 1],
    strideH: spatial1d ? 1 : ca.strides[0], strideW: ca.strides[r - 1],
    dilationH: spatial1d ? 1 : ca.dilations[0], dilationW: ca.dilations[r - 1],
  };
  return { options, spatial1d, k: C / ca.groups, n: w.dims[1] * kh * kw };
}

/**
 * ConvTranspose as one MVM per input pixel and group (`matmul`: pixel-major rows of the group's
 * Cin/groups input channels -> count x n products), scattered into the output (col2im), then the
 * bias. Ideal mode passes a float GEMM, crossbar mode the group's programmed matrix.
 */
export async function convTransposeRun(
  g: ConvTransposeRun,
  x: Value,
  bias: Value | undefined,
  threads: number,
  matmul: (group: number, rows: Float32Array, count: number) => Promise<Float32Array>,
): Promise<Value> {
  const o = g.options;
  const rt = runtimeNative();
  const out = allocValue('float32', g.spatial1d ? [o.batch, o.outChannels, o.outW] : [o.batch, o.outChannels, o.outH, o.outW]);
  if (out.data.length === 0) return out;
  const groups = o.groups ?? 1;
  const pixels = o.height * o.width;
  for (let grp = 0; grp < groups; grp++) {
    const rows = float32Zeros(o.batch * pixels * g.k);
    // A 1x1 im2row of the group's channels: row (b, pixel) holds that pixel's Cin/groups inputs.
    await rt.im2rowBatch({
      batch: o.batch, inChannels: o.inChannels, height: o.height, width: o.width, outChannels: groups, groups,
      kernelH: 1, kernelW: 1, group: grp, threads, input: x.data as Float32Array, rows,
    });
    const products = await matmul(grp, rows, o.batch * pixels);
    await rt.convTransposeScatter({ ...o, group: grp, threads, rows: products, output: out.data as Float32Array });
  }
  if (bias)
    await rt.biasActivation({ batch: o.batch, channels: o.outChannels, inner: o.outH * o.outW, threads, data: out.data as Float32Array, bias: bias.data as Float32Array });
  return out;
}

export async function gemmIdeal(nd: Node, ins: Value[], threads: number): Promise<Value> {
  const a = float32(nd, ins[0]);
  const b = float32(nd, ins[1]);
  const transA = attrInt(nd, 'transA', 0) ? 1 : 0;
  const transB = attrInt(nd, 'transB', 0) ? 1 : 0;
  const alpha = attrFloat(nd, 'alpha', 1);
  const beta = attrFloat(nd, 'beta', 1);
  const m = transA ? a.dims[1] : a.dims[0];
  const k = transA ? a.dims[0] : a.dims[1];
  const n = transB ? b.dims[0] : b.dims[1];
  let out: Value;
  if (ins[2] && ins[2].data.length > 0) {
    // Prefill with C broadcast to m x n; sgemm then adds alpha * A * B with this beta.
    out = broadcastBinary(allocValue('float32', [m, n]), float32(nd, ins[2]), 'float32', (_z, c) => c, nd);
  } else out = allocValue('float32', [m, n]);
  if (m * n === 0) return out;
  await gemm({
    m, n, k, transA: transA === 1, transB: transB === 1, alpha, beta: ins[2] ? beta : 0, threads,
    a: a.data as Float32Array, b: b.data as Float32Array, c: out.data as Float32Array,
  });
  return out;
}

export async function matmulIdeal(nd: Node, ins: Value[], threads: number): Promise<Value> {
  if (ins[0].dataType !== 'float32' || ins[1].dataType !== 'float32') {
    // Other types (float64, integers) by the TS Einsum kernel: numpy matmul with broadcast batch dims.
    const ra = ins[0].dims.length, rb = ins[1].dims.length;
    const equation = `${ra === 1 ? 'j' : '...ij'},${rb === 1 ? 'j' : '...jk'}->${ra === 1 ? (rb === 1 ? '' : '...k') : rb === 1 ? '...i' : '...ik'}`;
    return runSmallOp({ ...nd, opType: 'Einsum', attributes: { equation: { type: 'string', value: equation } } }, ins, 12)[0];
  }
  const a = float32(nd, ins[0]);
  const b = float32(nd, ins[1]);
  const outDims = matmulShape(a.dims, b.dims, `node ${nd.name}: `);
  const A = a.dims.length === 1 ? [1, a.dims[0]] : a.dims;
  const B = b.dims.length === 1 ? [b.dims[0], 1] : b.dims;
  const k = A[A.length - 1];
  const n = B[B.length - 1];
  const out = allocValue('float32', outDims);
  if (out.data.length === 0) return out;
  const rt = runtimeNative();
  if (B.length === 2) {
    // All of A's leading dims collapse into rows: one GEMM.
    const m = a.data.length / k;
    await gemm({ m, n, k, threads, a: a.data as Float32Array, b: b.data as Float32Array, c: out.data as Float32Array });
    return out;
  }
  const m = A[A.length - 2];
  const batchDims = outDims.length >= 2 ? broadcastBatch(A.slice(0, -2), B.slice(0, -2)) : [];
  const count = batchDims.reduce((p, q) => p * q, 1);
  const aOffsets = new BigInt64Array(count);
  const bOffsets = new BigInt64Array(count);
  const aBatch = A.slice(0, -2), bBatch = B.slice(0, -2);
  const r = batchDims.length;
  for (let i = 0; i < count; i++) {
    let rem = i, ao = 0, bo = 0, aStride = 1, bStride = 1;
    for (let d = r - 1; d >= 0; d--) {
      const idx = rem % batchDims[d];
      rem = Math.floor(rem / batchDims[d]);
      const ad = aBatch[d - (r - aBatch.length)] ?? 1;
      const bd = bBatch[d - (r - bBatch.length)] ?? 1;
      if (d - (r - aBatch.length) >= 0) {
        if (ad !== 1) ao += idx * aStride;
        aStride *= ad;
      }
      if (d - (r - bBatch.length) >= 0) {
        if (bd !== 1) bo += idx * bStride;
        bStride *= bd;
      }
    }
    aOffsets[i] = BigInt(ao * m * k);
    bOffsets[i] = BigInt(bo * k * n);
  }
  await rt.batchedMatmul({ m, n, k, threads, a: a.data as Float32Array, b: b.data as Float32Array, aOffsets, bOffsets, output: out.data as Float32Array });
  return out;
}

function broadcastBatch(a: number[], b: number[]): number[] {
  const r = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < r; i++) {
    const da = a[a.length - r + i] ?? 1;
    const db = b[b.length - r + i] ?? 1;
    out.push(da === 1 ? db : da);
  }
  return out;
}

export async function poolIdeal(nd: Node, xIn: Value, threads: number): Promise<Value> {
  // Integer max pooling is exact through float32 for 8/16-bit types.
  const intMax = nd.opType === 'MaxPool' && ['uint8', 'int8', 'uint16', 'int16'].includes(xIn.dataType);
  const x = intMax ? { ...xIn, dataType: 'float32' as const, data: Float32Array.from(xIn.data) } : float32(nd, xIn);
  if (nd.outputs[1]) throw new NaxError(ErrorCodes.onnxUnsupported, `node ${nd.name} (${nd.opType}): the Indices output is not supported`);
  const spatial1d = x.dims.length === 3;
  if (!spatial1d && x.dims.length !== 4)
    throw new NaxError(ErrorCodes.onnxUnsupported, `node ${nd.name} (${nd.opType}): only 1-D and 2-D pooling is supported, input rank ${x.dims.length}`);
  const pa = poolAttributes(nd, x.dims);
  const r = pa.kernel.length;
  const [N, C] = x.dims;
  const outH = spatial1d ? 1 : pa.outSpatial[0];
  const outW = pa.outSpatial[r - 1];
  // pool2d writes every output element.
  const out = allocScratchValue(spatial1d ? [N, C, outW] : [N, C, outH, outW]);
  if (out.data.length === 0) return out;
  await runtimeNative().pool2d({
    batch: N, channels: C, height: spatial1d ? 1 : x.dims[2], width: x.dims[x.dims.length - 1], outH, outW,
    kernelH: spatial1d ? 1 : pa.kernel[0], kernelW: pa.kernel[r - 1],
    padTop: spatial1d ? 0 : pa.pads[0], padLeft: pa.pads[r - 1], padBottom: spatial1d ? 0 : pa.pads[r], padRight: pa.pads[2 * r - 1],
    strideH: spatial1d ? 1 : pa.strides[0], strideW: pa.strides[r - 1],
    dilationH: spatial1d ? 1 : pa.dilations[0], dilationW: pa.dilations[r - 1],
    isMax: nd.opType === 'MaxPool' ? 1 : 0, countIncludePad: pa.countIncludePad ? 1 : 0, threads,
    input: x.data as Float32Array, output: out.data as Float32Array,
  });
  if (intMax) {
    const back = allocValue(xIn.dataType, out.dims);
    back.data.set(out.data);
    return back;
  }
  return out;
}
