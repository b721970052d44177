/**
 * Lowering: BatchNorm folding and the Conv/Gemm/MatMul -> crossbar-layer
 * view that the crossbar executor, the cost model (lib/hardware) and the
 * search share. A lowered layer is a K x N weight matrix plus the im2col
 * geometry that feeds it (shared/DESIGN.md, "Mapping a layer onto crossbars").
 */
import { NaxError, ErrorCodes } from '../errors';
import { Graph, Node, Tensor, attrFloat, attrInt, attrInts, cloneGraph, consumersOf } from '../onnx/ir';
import { foldConstants, rewriteEinsumMatMul } from './graph-passes';
import { convAttributes, convTransposeAttributes, inferShapes } from './shapes';

/**
 * One Conv/Gemm/MatMul with constant weights, as crossbars see it.
 *
 * Grouped and depthwise convolutions: a conv with `groups` = G is G
 * independent K x N matrices (K = inChannels/G * kh * kw, N = outChannels/G),
 * each mapped onto its own arrays. `weights` holds all G matrices, group-major
 * (`weights[g*K*N + k*N + n]`), so total arrays for a layer are
 * `groups * mappingGeometry({ k, n, ... }).arrays`, and each group does
 * `outputPixels` MVMs per inference. For Gemm/MatMul and ordinary convs
 * groups = 1 and `weights` is exactly K*N.
 *
 * Conv1d lowers as a conv with kernel [1, kw] on a [C, 1, L] image. ConvTranspose lowers to the
 * matrix each input pixel multiplies: K = Cin/groups, N = (Cout/groups)*kh*kw (its ONNX weight
 * [Cin, Cout/g, kh, kw] as is), outputPixels = input pixels; the N products of a pixel are added
 * into the output digitally (col2im), then the bias.
 *
 * A depthwise/grouped conv packed onto crossbars as block-diagonal matrices ({@link packGroups})
 * has `groupsPerMatrix` = P > 1: each of its groups/P matrices holds P groups on the diagonal.
 */
export interface LoweredLayer {
  /** ONNX node name (the key of per-layer mapping overrides). */
  name: string;
  opType: 'Conv' | 'ConvTranspose' | 'Gemm' | 'MatMul';
  /** Rows of one group's weight matrix: inputs per MVM (Cin/groups * kh * kw, or Gemm/MatMul K). */
  k: number;
  /** Columns of one group's weight matrix: outputs per MVM (Cout/groups, or Gemm/MatMul N). */
  n: number;
  /** groups*K*N, group-major, row-major within a group: weights[g*K*N + k*N + n]. */
  weights: Float32Array;
  /** Per output (outChannels), added digitally after the crossbars; absent when the node has none. */
  bias?: Float32Array;
  /** MVMs per inference (per image) for each group: H_out*W_out for a conv, rows of A per image for Gemm/MatMul (1 for [batch, K] inputs). */
  outputPixels: number;
  /** [kh, kw]; [1, 1] for Gemm/MatMul. */
  kernel: [number, number];
  /** [sh, sw]; [1, 1] for Gemm/MatMul. */
  stride: [number, number];
  /** [dh, dw]; [1, 1] for Gemm/MatMul. */
  dilation: [number, number];
  /** [top, left, bottom, right] after resolving auto_pad; zeros for Gemm/MatMul. */
  pads: [number, number, number, number];
  groups: number;
  /** Groups of the ONNX node held by each of the `groups` matrices (block-diagonal packing); 1 unless packed. */
  groupsPerMatrix?: number;
  /** Total input channels (Cin) or Gemm/MatMul K. */
  inChannels: number;
  /** Total output channels (Cout) or Gemm/MatMul N. */
  outChannels: number;
  /** Per-image input shape ([C, H, W] for a conv, [K] or [rows, K] for Gemm/MatMul). */
  inputShape: number[];
  /** Per-image output shape ([Cout, H_out, W_out] or [N] / [rows, N]). */
  outputShape: number[];
  /** Graph value names of the activation input and the output. */
  input: string;
  output: string;
}

export interface LowerOptions {
  /**
   * Shapes of the graph inputs, batch dimension included. Defaults to the
   * declared shapes with symbolic/unknown dims set to 1.
   */
  inputShapes?: Record<string, number[]>;
}

function constFloat(graph: Graph, name: string): Tensor<'float32'> | undefined {
  const t = graph.initializers.get(name);
  if (!t || t.dataType !== 'float32') return undefined;
  return t as Tensor<'float32'>;
}

/**
 * Folds each BatchNormalization whose input is produced by a Conv (or a
 * Gemm with constant B) that feeds only that BatchNorm, into the conv's weights
 * and bias. Returns a new graph; the input graph is not modified.
 */
export function foldBatchNorm(graph: Graph): Graph {
  const out = cloneGraph(graph);
  const graphOutputs = new Set(out.outputs.map((o) => o.name));
  let changed = true;
  while (changed) {
    changed = false;
    const consumers = consumersOf(out);
    const producer = new Map<string, number>();
    out.nodes.forEach((nd, i) => nd.outputs.forEach((o) => producer.set(o, i)));
    for (let bi = 0; bi < out.nodes.length; bi++) {
      const bn = out.nodes[bi];
      if (bn.opType !== 'BatchNormalization' || bn.outputs.slice(1).some((o) => o)) continue;
      const pi = producer.get(bn.inputs[0]);
      if (pi === undefined) continue;
      const prev = out.nodes[pi];
      if (prev.opType !== 'Conv' && prev.opType !== 'Gemm') continue;
      if ((consumers.get(bn.inputs[0]) ?? []).length !== 1 || graphOutputs.has(bn.inputs[0])) continue;
      if (attrInt(bn, 'training_mode', 0) !== 0) continue;
      const [scaleT, biasT, meanT, varT] = bn.inputs.slice(1, 5).map((nm) => constFloat(out, nm));
      const w = constFloat(out, prev.inputs[1]);
      if (!scaleT || !biasT || !meanT || !varT || !w) continue;
      let outCh: number, perOut: number, weightIndex: (o: number, j: number) => number;
      if (prev.opType === 'Conv') {
        outCh = w.dims[0];
        perOut = w.data.length / outCh;
        weightIndex = (o, j) => o * perOut + j;
      } else {
        if (attrInt(prev, 'transA', 0) !== 0) continue;
        const transB = attrInt(prev, 'transB', 0) !== 0;
        if (w.dims.length !== 2) continue;
        outCh = transB ? w.dims[0] : w.dims[1];
        perOut = transB ? w.dims[1] : w.dims[0];
        weightIndex = transB ? (o, j) => o * perOut + j : (o, j) => j * outCh + o;
        // A Gemm's C may broadcast in ways a per-output bias does not; only fold a 1-D C.
        if (prev.inputs[2] && (constFloat(out, prev.inputs[2])?.dims.length ?? 0) !== 1) continue;
      }
      if (scaleT.data.length !== outCh) continue;
      const eps = attrFloat(bn, 'epsilon', 1e-5);
      const alpha = prev.opType === 'Gemm' ? attrFloat(prev, 'alpha', 1) : 1;
      const beta = prev.opType === 'Gemm' ? attrFloat(prev, 'beta', 1) : 1;
      const oldBias = prev.inputs[2] ? constFloat(out, prev.inputs[2]) : undefined;
      if (prev.inputs[2] && !oldBias) continue;
      const newW = new Float32Array(w.data.length);
      const newB = new Float32Array(outCh);
      for (let o = 0; o < outCh; o++) {
        // Fold in float64 so the folded network matches the unfolded one to float32 rounding.
        const s = scaleT.data[o] / Math.sqrt(varT.data[o] + eps);
        for (let j = 0; j < perOut; j++) {
          const idx = weightIndex(o, j);
          newW[idx] = w.data[idx] * alpha * s;
        }
        const b0 = oldBias ? oldBias.data[o] * beta : 0;
        newB[o] = (b0 - meanT.data[o]) * s + biasT.data[o];
      }
      const wName = `${prev.inputs[1]}__bnfold_${bn.name}`;
      const bName = `${prev.name}__bias_bnfold_${bn.name}`;
      out.initializers.set(wName, { name: wName, dims: [...w.dims], dataType: 'float32', data: newW });
      out.initializers.set(bName, { name: bName, dims: [outCh], dataType: 'float32', data: newB });
      const folded: Node = { ...prev, inputs: [prev.inputs[0], wName, bName], outputs: [bn.outputs[0]], attributes: { ...prev.attributes } };
      if (prev.opType === 'Gemm') {
        delete folded.attributes.alpha;
        delete folded.attributes.beta;
      }
      out.nodes[pi] = folded;
      out.nodes.splice(bi, 1);
      changed = true;
      break;
    }
  }
  pruneInitializers(out);
  return out;
}

/**
 * The graph the executor and planGraph both run: constant folding of shape/pad sub-graphs, Einsum
 * matrix products as MatMul (./graph-passes.ts), then BatchNorm folded into its conv (unless
 * `foldBatchNorm` is false).
 */
export function prepareGraph(graph: Graph, options: { foldBatchNorm?: boolean } = {}): Graph {
  const simplified = rewriteEinsumMatMul(foldConstants(graph));
  return options.foldBatchNorm === false ? simplified : foldBatchNorm(simplified);
}

/** Drops initializers no node uses (after folding). */
export function pruneInitializers(graph: Graph): void {
  const used = new Set<string>();
  for (const nd of graph.nodes) for (const i of nd.inputs) used.add(i);
  for (const o of graph.outputs) used.add(o.name);
  for (const name of [...graph.initializers.keys()]) if (!used.has(name)) graph.initializers.delete(name);
}

/** Default concrete input shapes: declared dims with symbolic/unknown dims set to 1. */
export function defaultInputShapes(graph: Graph): Record<string, number[]> {
  const shapes: Record<string, number[]> = {};
  for (const vi of graph.inputs) shapes[vi.name] = vi.dims.map((d) => (typeof d === 'number' && d > 0 ? d : 1));
  return shapes;
}

/**
 * Folds BatchNorm, then returns one {@link LoweredLayer} per Conv, per Gemm
 * with a constant B, and per MatMul with a constant second operand, in graph
 * order. Nodes whose weights are computed at run time are not crossbar layers
 * and are skipped (they run digitally).
 */
export function lowerToCrossbarLayers(graph: Graph, options: LowerOptions = {}): LoweredLayer[] {
  const folded = prepareGraph(graph);
  return lowerFolded(folded, options);
}

/** Lowering of an already-folded graph (the executor folds once and reuses it). */
export function lowerFolded(folded: Graph, options: LowerOptions = {}): LoweredLayer[] {
  const shapes = inferShapes(folded, options.inputShapes ?? defaultInputShapes(folded));
  const layers: LoweredLayer[] = [];
  for (const nd of folded.nodes) {
    const layer = lowerNode(folded, nd, shapes);
    if (layer) layers.push(layer);
  }
  return layers;
}

/** Lowers a single node, or returns undefined when it is not a crossbar layer. */
export function lowerNode(graph: Graph, nd: Node, shapes: Map<string, number[]>): LoweredLayer | undefined {
  const inShape = shapes.get(nd.inputs[0]);
  const outShape = shapes.get(nd.outputs[0]);
  if (!inShape || !outShape) return undefined;
  if (nd.opType === 'Conv') {
    const w = constFloat(graph, nd.inputs[1]);
    if (!w) return undefined;
    const b = nd.inputs[2] ? constFloat(graph, nd.inputs[2]) : undefined;
    if (nd.inputs[2] && !b) return undefined;
    if ((w.dims.length !== 4 && w.dims.length !== 3) || inShape.length !== w.dims.length) {
      throw new NaxError(
        ErrorCodes.onnxUnsupported,
        `node ${nd.name} (Conv): only 1-D and 2-D convolutions map onto crossbars; weight dims [${w.dims.join(', ')}]`,
      );
    }
    const ca = convAttributes(nd, inShape, w.dims);
    const conv1d = w.dims.length === 3;
    const kh = conv1d ? 1 : w.dims[2], kw = w.dims[w.dims.length - 1];
    const groups = ca.groups;
    const outCh = w.dims[0];
    const k = w.dims[1] * kh * kw;
    const n = outCh / groups;
    // ONNX weights are [Cout, Cin/g, kh, kw]: row o of group g is output g*n+o. Transpose to K x N.
    const weights = new Float32Array(groups * k * n);
    for (let g = 0; g < groups; g++)
      for (let o = 0; o < n; o++) {
        const src = (g * n + o) * k;
        const dst = g * k * n + o;
        for (let q = 0; q < k; q++) weights[dst + q * n] = w.data[src + q];
      }
    return {
      name: nd.name,
      opType: 'Conv',
      k,
      n,
      weights,
      bias: b ? Float32Array.from(b.data) : undefined,
      outputPixels: outShape.slice(2).reduce((p, q) => p * q, 1),
      kernel: [kh, kw],
      stride: conv1d ? [1, ca.strides[0]] : [ca.strides[0], ca.strides[1]],
      dilation: conv1d ? [1, ca.dilations[0]] : [ca.dilations[0], ca.dilations[1]],
      pads: conv1d ? [0, ca.pads[0], 0, ca.pads[1]] : [ca.pads[0], ca.pads[1], ca.pads[2], ca.pads[3]],
      groups,
      inChannels: inShape[1],
      outChannels: outCh,
      inputShape: inShape.slice(1),
      outputShape: outShape.slice(1),
      input: nd.inputs[0],
      output: nd.outputs[0],
    };
  }
  if (nd.opType === 'ConvTranspose') {
    const w = constFloat(graph, nd.inputs[1]);
    if (!w) return undefined;
    const b = nd.inputs[2] ? constFloat(graph, nd.inputs[2]) : undefined;
    if (nd.inputs[2] && !b) return undefined;
    if ((w.dims.length !== 4 && w.dims.length !== 3) || inShape.length !== w.dims.length) {
      throw new NaxError(
        ErrorCodes.onnxUnsupported,
        `node ${nd.name} (ConvTranspose): only 1-D and 2-D transposed convolutions map onto crossbars; weight dims [${w.dims.join(', ')}]`,
      );
    }
    const ca = convTransposeAttributes(nd, inShape, w.dims);
    const conv1d = w.dims.length === 3;
    const kh = conv1d ? 1 : w.dims[2], kw = w.dims[w.dims.length - 1];
    const groups = ca.groups;
    return {
      name: nd.name,
      opType: 'ConvTranspose',
      k: w.dims[0] / groups,
      n: w.dims[1] * kh * kw,
      // [Cin, Cout/g, kh, kw] is already group-major K x N: rows are the group's input channels.
      weights: Float32Array.from(w.data),
      bias: b ? Float32Array.from(b.data) : undefined,
      outputPixels: inShape.slice(2).reduce((p, q) => p * q, 1),
      kernel: [kh, kw],
      stride: conv1d ? [1, ca.strides[0]] : [ca.strides[0], ca.strides[1]],
      dilation: conv1d ? [1, ca.dilations[0]] : [ca.dilations[0], ca.dilations[1]],
      pads: conv1d ? [0, ca.pads[0], 0, ca.pads[1]] : [ca.pads[0], ca.pads[1], ca.pads[2], ca.pads[3]],
      groups,
      inChannels: inShape[1],
      outChannels: w.dims[1] * groups,
      inputShape: inShape.slice(1),
      outputShape: outShape.slice(1),
      input: nd.inputs[0],
      output: nd.outputs[0],
    };
  }
  if (nd.opType === 'Gemm') {
    const w = constFloat(graph, nd.inputs[1]);
    if (!w || w.dims.length !== 2 || attrInt(nd, 'transA', 0) !== 0) return undefined;
    const transB = attrInt(nd, 'transB', 0) !== 0;
    const alpha = attrFloat(nd, 'alpha', 1);
    const beta = attrFloat(nd, 'beta', 1);
    const k = transB ? w.dims[1] : w.dims[0];
    const n = transB ? w.dims[0] : w.dims[1];
    const weights = new Float32Array(k * n);
    for (let r = 0; r < k; r++)
      for (let c = 0; c < n; c++) weights[r * n + c] = alpha * (transB ? w.data[c * k + r] : w.data[r * n + c]);
    let bias: Float32Array | undefined;
    if (nd.inputs[2]) {
      const c = constFloat(graph, nd.inputs[2]);
      // Only a per-output C is a bias the crossbar path can add; other C shapes are added by the executor.
      if (c && c.data.length === n) bias = Float32Array.from(c.data, (v) => v * beta);
      else if (c && c.data.length === 1) bias = new Float32Array(n).fill(c.data[0] * beta);
      else return undefined;
    }
    return matrixLayer(nd, 'Gemm', k, n, weights, bias, inShape, outShape);
  }
  if (nd.opType === 'MatMul') {
    const w = constFloat(graph, nd.inputs[1]);
    if (!w || w.dims.length !== 2 || inShape.length < 1) return undefined;
    const [k, n] = w.dims;
    return matrixLayer(nd, 'MatMul', k, n, Float32Array.from(w.data), undefined, inShape, outShape);
  }
  return undefined;
}

function matrixLayer(
  nd: Node,
  opType: 'Gemm' | 'MatMul',
  k: number,
  n: number,
  weights: Float32Array,
  bias: Float32Array | undefined,
  inShape: number[],
  outShape: number[],
): LoweredLayer {
  // Rows of A per image: everything between the batch dim and K.
  const perImage = inShape.length >= 2 ? inShape.slice(1) : inShape;
  const outputPixels = inShape.length >= 2 ? inShape.slice(1, -1).reduce((a, b) => a * b, 1) : 1;
  return {
    name: nd.name,
    opType,
    k,
    n,
    weights,
    bias,
    outputPixels,
    kernel: [1, 1],
    stride: [1, 1],
    dilation: [1, 1],
    pads: [0, 0, 0, 0],
    groups: 1,
    inChannels: k,
    outChannels: n,
    inputShape: perImage,
    outputShape: outShape.length >= 2 ? outShape.slice(1) : outShape,
    input: nd.inputs[0],
    output: nd.outputs[0],
  };
}

/**
 * Groups per block-diagonal matrix when a grouped conv is packed onto `rows` x `cols` arrays: the
 * largest divisor P of `groups` with P*k <= rows and P*n <= cols (1: one matrix per group). A
 * divisor keeps every packed matrix the same shape, so the engine and the cost model see groups/P
 * identical K' x N' = P*k x P*n matrices.
 */
export function groupsPerArray(k: number, n: number, groups: number, rows: number, cols: number): number {
  const limit = Math.min(Math.floor(rows / k), Math.floor(cols / n), groups);
  for (let p = limit; p > 1; p--) if (groups % p === 0) return p;
  return 1;
}

/**
 * A grouped conv's groups packed P at a time onto block-diagonal matrices: groups/P matrices of
 * P*k x P*n, group i of a pack in rows [i*k, (i+1)*k) and columns [i*n, (i+1)*n), zeros (cells at
 * gOff) elsewhere. Its im2row input is that of a conv with groups/P groups (the P groups' patches
 * side by side, in channel order) and its outputs are the P groups' channels in order, so the
 * executor runs it unchanged.
 */
export function packGroups(layer: LoweredLayer, groupsPerMatrix: number): LoweredLayer {
  const P = groupsPerMatrix;
  if (P === 1) return layer;
  if (layer.opType !== 'Conv' || !Number.isInteger(P) || P < 1 || layer.groups % P !== 0)
    throw new NaxError(
      ErrorCodes.invalidArgument,
      `expected a divisor of the groups (${layer.groups}) of Conv layer ${layer.name} for groupsPerMatrix, got ${P}`,
    );
  const { k, n } = layer;
  const packs = layer.groups / P;
  const K = P * k, N = P * n;
  const weights = new Float32Array(packs * K * N);
  for (let s = 0; s < packs; s++)
    for (let i = 0; i < P; i++) {
      const g = s * P + i;
      for (let r = 0; r < k; r++)
        for (let c = 0; c < n; c++) weights[s * K * N + (i * k + r) * N + i * n + c] = layer.weights[g * k * n + r * n + c];
    }
  return { ...layer, k: K, n: N, groups: packs, groupsPerMatrix: P, weights };
}

/** Attribute helper re-exported for the executor. */
export { attrInts };
