/**
 * Static shape inference over the IR for concrete input shapes, with
 * constant propagation of small integer tensors (PyTorch's
 * Shape -> Gather -> Unsqueeze -> Concat -> Reshape chains), so lowering and
 * the cost model know every layer's H_out x W_out without running the net.
 */
import { NaxError, ErrorCodes } from '../errors';
import { Graph, Node, attrInt, attrInts, attrString } from '../onnx/ir';
import { broadcastShapes, matmulShape, reshapeDims } from './dims';
import { Value, fromTensor, runSmallOp, tsOps } from './ops';
import { allocValue } from './values';

export interface ConvAttributes {
  groups: number;
  kernel: number[];
  strides: number[];
  dilations: number[];
  /** [begin..., end...] per spatial dim (ONNX order): 2-D is [top, left, bottom, right]. */
  pads: number[];
}

/** Resolves explicit pads or auto_pad for `spatial` input dims. */
export function resolvePads(
  nd: Node,
  spatial: number[],
  kernel: number[],
  strides: number[],
  dilations: number[],
  ceilMode = false,
): number[] {
  const r = spatial.length;
  const autoPad = attrString(nd, 'auto_pad', 'NOTSET');
  if (autoPad === 'NOTSET') {
    const pads = attrInts(nd, 'pads', new Array(2 * r).fill(0));
    if (pads.length !== 2 * r) throw bad(nd, `pads has ${pads.length} values for ${r} spatial dims`);
    return pads;
  }
  if (autoPad === 'VALID') return new Array(2 * r).fill(0);
  if (autoPad !== 'SAME_UPPER' && autoPad !== 'SAME_LOWER') throw bad(nd, `auto_pad ${autoPad}`);
  const pads = new Array(2 * r).fill(0);
  for (let i = 0; i < r; i++) {
    const out = Math.ceil(spatial[i] / strides[i]);
    const total = Math.max(0, (out - 1) * strides[i] + (kernel[i] - 1) * dilations[i] + 1 - spatial[i]);
    const small = Math.floor(total / 2);
    pads[i] = autoPad === 'SAME_UPPER' ? small : total - small;
    pads[i + r] = total - pads[i];
  }
  void ceilMode;
  return pads;
}

function bad(nd: Node, what: string): NaxError {
  return new NaxError(ErrorCodes.onnxUnsupported, `node ${nd.name} (${nd.opType}): unsupported ${what}`);
}

/** Conv attributes for input [N, C, ...spatial] and weight [M, C/g, ...kernel]. */
export function convAttributes(nd: Node, inShape: number[], wDims: number[]): ConvAttributes {
  const spatial = inShape.slice(2);
  const r = spatial.length;
  const kernel = attrInts(nd, 'kernel_shape', wDims.slice(2));
  const strides = attrInts(nd, 'strides', new Array(r).fill(1));
  const dilations = attrInts(nd, 'dilations', new Array(r).fill(1));
  const groups = attrInt(nd, 'group', 1);
  const pads = resolvePads(nd, spatial, kernel, strides, dilations);
  if (inShape[1] !== wDims[1] * groups)
    throw new NaxError(
      ErrorCodes.sizeMismatch,
      `node ${nd.name} (Conv): input has ${inShape[1]} channels, weight expects ${wDims[1]} x group ${groups}`,
    );
  return { groups, kernel, strides, dilations, pads };
}

export interface ConvTransposeAttributes extends ConvAttributes {
  outputPadding: number[];
  /** Output spatial dims. */
  outSpatial: number[];
}

/**
 * ConvTranspose attributes for input [N, Cin, ...spatial] and weight [Cin, Cout/g, ...kernel]
 * (ONNX ConvTranspose): out = stride*(in-1) + output_padding + (kernel-1)*dilation + 1 - pads.
 * With output_shape (or auto_pad SAME_*: out = in*stride) the output has that size and the pads
 * come from the total padding, the odd one at the end (SAME_LOWER: at the start), as
 * onnxruntime does and the libonnx-testdata cases expect.
 */
export function convTransposeAttributes(nd: Node, inShape: number[], wDims: number[]): ConvTransposeAttributes {
  const spatial = inShape.slice(2);
  const r = spatial.length;
  const kernel = attrInts(nd, 'kernel_shape', wDims.slice(2));
  const strides = attrInts(nd, 'strides', new Array(r).fill(1));
  const dilations = attrInts(nd, 'dilations', new Array(r).fill(1));
  const outputPadding = attrInts(nd, 'output_padding', new Array(r).fill(0));
  const groups = attrInt(nd, 'group', 1);
  if (inShape[1] !== wDims[0])
    throw new NaxError(ErrorCodes.sizeMismatch, `node ${nd.name} (ConvTranspose): input has ${inShape[1]} channels, weight expects ${wDims[0]}`);
  const autoPad = attrString(nd, 'auto_pad', 'NOTSET');
  const outputShape = attrInts(nd, 'output_shape');
  const natural = (i: number) => strides[i] * (spatial[i] - 1) + outputPadding[i] + (kernel[i] - 1) * dilations[i] + 1;
  let pads: number[];
  let outSpatial: number[];
  if (outputShape || autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
    // The output is exactly output_shape (SAME_*: in*stride); a natural size larger than that is
    // cut by pads, a smaller one leaves zero rows at the end (onnxruntime's ConvTranspose).
    outSpatial = outputShape ? outputShape.slice(-r) : spatial.map((d, i) => d * strides[i]);
    pads = new Array(2 * r).fill(0);
    for (let i = 0; i < r; i++) {
      const total = Math.max(0, natural(i) - outSpatial[i]);
      const small = Math.floor(total / 2);
      pads[i] = autoPad === 'SAME_LOWER' ? total - small : small;
      pads[i + r] = total - pads[i];
    }
  } else {
    if (autoPad === 'VALID') pads = new Array(2 * r).fill(0);
    else {
      pads = attrInts(nd, 'pads', new Array(2 * r).fill(0));
      if (pads.length !== 2 * r) throw bad(nd, `pads has ${pads.length} values for ${r} spatial dims`);
    }
    outSpatial = spatial.map((_, i) => natural(i) - pads[i] - pads[i + r]);
  }
  return { groups, kernel, strides, dilations, pads, outputPadding, outSpatial };
}

export interface PoolAttributes {
  kernel: number[];
  strides: number[];
  dilations: number[];
  pads: number[];
  ceilMode: boolean;
  countIncludePad: boolean;
  outSpatial: number[];
}

export function poolAttributes(nd: Node, inShape: number[]): PoolAttributes {
  const spatial = inShape.slice(2);
  const r = spatial.length;
  const kernel = attrInts(nd, 'kernel_shape');
  if (!kernel || kernel.length !== r) throw bad(nd, `kernel_shape (need ${r} values)`);
  const strides = attrInts(nd, 'strides', new Array(r).fill(1));
  const dilations = attrInts(nd, 'dilations', new Array(r).fill(1));
  const ceilMode = attrInt(nd, 'ceil_mode', 0) !== 0;
  const countIncludePad = attrInt(nd, 'count_include_pad', 0) !== 0;
  const pads = resolvePads(nd, spatial, kernel, strides, dilations);
  const outSpatial = spatial.map((s, i) => {
    const span = s + pads[i] + pads[i + r] - ((kernel[i] - 1) * dilations[i] + 1);
    let o = (ceilMode ? Math.ceil(span / strides[i]) : Math.floor(span / strides[i])) + 1;
    // A ceil-mode window must start inside the input or left padding (PyTorch/ORT rule).
    if (ceilMode && (o - 1) * strides[i] >= s + pads[i]) o -= 1;
    return o;
  });
  return { kernel, strides, dilations, pads, ceilMode, countIncludePad, outSpatial };
}

export interface InferredShapes extends Map<string, number[]> {}

/** Largest constant (elements) that shape inference evaluates through (shape and pad sub-graphs are far smaller). */
const KNOWN_LIMIT = 4096;

/**
 * Shapes of every value for the given concrete graph-input shapes (batch
 * included). Initializer shapes are included. Throws ERR_NAX_ONNX_UNSUPPORTED
 * for ops without a shape rule.
 */
export function inferShapes(
  graph: Graph,
  inputShapes: Record<string, number[]>,
  options: {
    lenient?: boolean;
    /** Filled with the values computed from constants and shapes alone (constant folding reads them). */
    known?: Map<string, Value>;
  } = {},
): InferredShapes {
  const shapes: InferredShapes = new Map();
  // Known values of small tensors (initializers and propagated int chains).
  const known = new Map<string, Value>();
  for (const [name, t] of graph.initializers) {
    shapes.set(name, t.dims);
    if (t.data.length <= KNOWN_LIMIT) known.set(name, fromTensor(t));
  }
  for (const vi of graph.inputs) {
    const s = inputShapes[vi.name];
    if (!s) throw new NaxError(ErrorCodes.invalidArgument, `expected a shape for graph input ${vi.name}`);
    shapes.set(vi.name, s);
  }
  for (const nd of graph.nodes) {
    const ins = nd.inputs.map((n) => (n ? shapes.get(n) : undefined));
    const insKnown = nd.inputs.map((n) => (n ? known.get(n) : undefined));
    // Small ops whose inputs are all known are evaluated (Shape only needs the shape).
    if (nd.opType === 'Shape' && ins[0]) {
      const v = runSmallOp(nd, [{ dims: ins[0], dataType: 'float32', data: new Float32Array(0) }], graph.opset)[0];
      shapes.set(nd.outputs[0], v.dims);
      known.set(nd.outputs[0], v);
      options.known?.set(nd.outputs[0], v);
      continue;
    }
    try {
      if (tsOps.has(nd.opType) && nd.inputs.every((n, i) => !n || insKnown[i])) {
        const outs = runSmallOp(nd, insKnown as Value[], graph.opset);
        outs.forEach((v, i) => {
          if (!nd.outputs[i]) return;
          shapes.set(nd.outputs[i], v.dims);
          if (v.data.length <= KNOWN_LIMIT) {
            known.set(nd.outputs[i], v);
            options.known?.set(nd.outputs[i], v);
          }
        });
        continue;
      }
      const outs = outputShapes(nd, ins, insKnown, graph.opset);
      outs.forEach((s, i) => nd.outputs[i] && s && shapes.set(nd.outputs[i], s));
    } catch (err) {
      // Lenient: shapes that depend on run-time values stay unknown (the executor computes them when it runs).
      if (!options.lenient) throw err;
    }
  }
  return shapes;
}

function need(nd: Node, s: number[] | undefined, i: number): number[] {
  if (!s) throw new NaxError(ErrorCodes.onnxUnsupported, `node ${nd.name} (${nd.opType}): shape of input ${i} (${nd.inputs[i]}) is unknown`);
  return s;
}

function needValue(nd: Node, v: Value | undefined, i: number): number[] {
  if (!v)
    throw new NaxError(
      ErrorCodes.onnxUnsupported,
      `node ${nd.name} (${nd.opType}): input ${i} (${nd.inputs[i]}) must be a constant or computable from shapes`,
    );
  return Array.from(v.data as ArrayLike<number>);
}

/** Shape rule per op for values that are not propagated. */
function outputShapes(nd: Node, ins: (number[] | undefined)[], known: (Value | undefined)[], opset: number): (number[] | undefined)[] {
  const x = () => need(nd, ins[0], 0);
  switch (nd.opType) {
    case 'Conv': {
      const s = x();
      const w = need(nd, ins[1], 1);
      const ca = convAttributes(nd, s, w);
      const r = s.length - 2;
      const sp = s.slice(2).map((d, i) => Math.floor((d + ca.pads[i] + ca.pads[i + r] - ((ca.kernel[i] - 1) * ca.dilations[i] + 1)) / ca.strides[i]) + 1);
      return [[s[0], w[0], ...sp]];
    }
    case 'MaxPool':
    case 'AveragePool': {
      const s = x();
      const pa = poolAttributes(nd, s);
      return [[s[0], s[1], ...pa.outSpatial], nd.outputs[1] ? [s[0], s[1], ...pa.outSpatial] : undefined];
    }
    case 'GlobalAveragePool':
    case 'GlobalMaxPool': {
      const s = x();
      return [[s[0], s[1], ...s.slice(2).map(() => 1)]];
    }
    case 'Gemm': {
      const a = x();
      const b = need(nd, ins[1], 1);
      const m = attrInt(nd, 'transA', 0) ? a[1] : a[0];
      const n = attrInt(nd, 'transB', 0) ? b[0] : b[1];
      return [[m, n]];
    }
    case 'ConvTranspose': {
      const s = x();
      const w = need(nd, ins[1], 1);
      const ca = convTransposeAttributes(nd, s, w);
      return [[s[0], w[1] * ca.groups, ...ca.outSpatial]];
    }
    case 'MatMul':
      return [matmulShape(x(), need(nd, ins[1], 1), `node ${nd.name}: `)];
    case 'Where':
      return [broadcastShapes(broadcastShapes(x(), need(nd, ins[1], 1), `node ${nd.name}: `), need(nd, ins[2], 2), `node ${nd.name}: `)];
    case 'Add':
    case 'Sub':
    case 'Mul':
    case 'Div':
    case 'Pow':
    case 'Max':
    case 'Min':
    case 'Sum':
    case 'Mean':
    case 'PRelu':
    case 'Equal':
    case 'Less':
    case 'LessOrEqual':
    case 'Greater':
    case 'GreaterOrEqual':
    case 'And':
    case 'Or':
    case 'Xor': {
      let s = x();
      for (let i = 1; i < ins.length; i++) s = broadcastShapes(s, need(nd, ins[i], i), `node ${nd.name}: `);
      return [s];
    }
    case 'Relu':
    case 'LeakyRelu':
    case 'Sigmoid':
    case 'Tanh':
    case 'Clip':
    case 'Identity':
    case 'Softmax':
    case 'LogSoftmax':
    case 'Cast':
    case 'Neg':
    case 'Exp':
    case 'Sqrt':
    case 'Abs':
    case 'Erf':
    case 'HardSigmoid':
    case 'HardSwish':
    case 'Gelu':
    case 'Elu':
    case 'Selu':
    case 'Softplus':
    case 'Softsign':
    case 'Mish':
    case 'Reciprocal':
    case 'Log':
    case 'Floor':
    case 'Ceil':
    case 'Round':
    case 'Sign':
    case 'Not':
      return [x()];
    case 'Dropout':
      return [x(), nd.outputs[1] ? x() : undefined];
    case 'BatchNormalization':
      return [x()];
    case 'Flatten': {
      const s = x();
      let axis = attrInt(nd, 'axis', 1);
      if (axis < 0) axis += s.length;
      const a = s.slice(0, axis).reduce((p, q) => p * q, 1);
      const b = s.slice(axis).reduce((p, q) => p * q, 1);
      return [[a, b]];
    }
    case 'Reshape': {
      const s = x();
      const target = opset >= 5 ? needValue(nd, known[1], 1) : attrInts(nd, 'shape', []);
      return [reshapeDims(s, target, attrInt(nd, 'allowzero', 0) !== 0, nd)];
    }
    case 'Pad': {
      const s = x();
      const pads = opset >= 11 ? needValue(nd, known[1], 1) : attrInts(nd, 'pads', []);
      const r = s.length;
      return [s.map((d, i) => d + pads[i] + pads[i + r])];
    }
    case 'Concat': {
      const s0 = x();
      let axis = attrInt(nd, 'axis', 1);
      if (axis < 0) axis += s0.length;
      const out = [...s0];
      out[axis] = 0;
      ins.forEach((s, i) => (out[axis] += need(nd, s, i)[axis]));
      return [out];
    }
    case 'Transpose': {
      const s = x();
      const perm = attrInts(nd, 'perm', s.map((_, i) => s.length - 1 - i));
      return [perm.map((p) => s[p])];
    }
    case 'LayerNormalization': {
      const s = x();
      let axis = attrInt(nd, 'axis', -1);
      if (axis < 0) axis += s.length;
      const stat = s.map((d, i) => (i < axis ? d : 1));
      return [s, stat, stat];
    }
    default: {
      if (!tsOps.has(nd.opType)) throw new NaxError(ErrorCodes.onnxUnsupported, `node ${nd.name}: no shape rule for op ${nd.opType}`);
      // Evaluate on a zero-filled stand-in for the big input: only the shape matters.
      const standIns = ins.map((s, i) =>
        !nd.inputs[i] ? undefined : known[i] ?? standIn(nd, need(nd, s, i)),
      ) as Value[];
      return runSmallOp(nd, standIns, opset).map((v) => v.dims);
    }
  }
}

/** A zero-filled float tensor of the given shape for shape inference, refused by node when absurd. */
function standIn(nd: Node, dims: number[]): Value {
  try {
    return allocValue('float32', dims);
  } catch (err) {
    if (err instanceof NaxError) throw new NaxError(err.code, `node ${nd.name} (${nd.opType}): ${err.message}`);
    throw err;
  }
}
