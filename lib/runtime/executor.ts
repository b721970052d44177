/**
 * Graph executor: runs the IR on batches of NCHW float32 inputs.
 *
 * - `ideal` mode: Conv/Gemm/MatMul/pooling in native kernels (im2col +
 *   nax::sgemm, fused bias and activation), everything else in TS kernels.
 * - `crossbar` mode: every lowered Conv/Gemm/MatMul (constant weights) runs
 *   through a pluggable {@link MatmulBackend} (the crossbar engine, or a
 *   float reference) on im2row matrices; the rest runs as in ideal mode.
 *
 * BatchNorm is folded into the preceding conv first. Intermediate values are
 * released after their last use, so memory per batch is bounded by the widest
 * cut of the graph.
 */
import { NaxError, ErrorCodes, expectNumber } from '../errors';
import { Graph, Node, Tensor, attrFloat, attrInt, consumersOf } from '../onnx/ir';
import { checkSupported } from '../onnx/reader';
import { gemm } from '../native';
import { LoweredLayer, defaultInputShapes, foldBatchNorm, lowerNode } from './lower';
import { ActivationOptions, ConvGeometryOptions, runtimeNative } from './native';
import { Value, allocValue, broadcastBinary, fromTensor, runSmallOp, tsOps } from './ops';
import { convAttributes, inferShapes, matmulShape, poolAttributes } from './shapes';

/** One programmed weight matrix (one group of a lowered layer) on some matmul hardware. */
export interface ProgrammedMatrix {
  /** rows: count x k (row-major). Resolves count x n. */
  run(rows: Float32Array, count: number): Promise<Float32Array>;
}

/** Where crossbar-mode layers run: programs each K x N matrix once. */
export interface MatmulBackend {
  readonly name: string;
  /**
   * @param layer the lowered layer (node name keys per-layer mappings)
   * @param group which group's matrix (0 unless grouped conv)
   * @param weights that group's K x N matrix, row-major
   * @param inputScale calibrated max |input| of the layer (0 when uncalibrated)
   */
  program(layer: LoweredLayer, group: number, weights: Float32Array, inputScale: number): Promise<ProgrammedMatrix>;
}

export type ExecutionMode = 'ideal' | 'crossbar';

export interface ExecutorOptions {
  mode?: ExecutionMode;
  /** Required in crossbar mode. */
  backend?: MatmulBackend;
  /** Per-layer calibrated input scales (max |x|) by node name, from {@link calibrateInputScales}. */
  inputScales?: Map<string, number>;
  /** Native threads (0 = all cores). */
  threads?: number;
  /** Fold BatchNorm into convs (default true). */
  foldBatchNorm?: boolean;
  /** Called with each crossbar-layer node's activation input (calibration). */
  observe?: (layer: LoweredLayer, input: Value) => void;
}

type StepFn = (ins: Value[]) => Promise<Value[]> | Value[];

interface Step {
  node: Node;
  run: StepFn;
  /** Value names to release after this step. */
  release: string[];
}

const heavyOps = new Set(['Conv', 'Gemm', 'MatMul', 'MaxPool', 'AveragePool', 'GlobalAveragePool', 'GlobalMaxPool']);

/** Input feed: a runtime value, an IR tensor, or a Float32Array with dims. */
export type Feed = Value | Tensor | { dims: number[]; data: Float32Array };

function toValue(f: Feed): Value {
  if ('dataType' in f) return f.dataType === 'int64' && f.data instanceof BigInt64Array ? fromTensor(f as Tensor) : (f as Value);
  return { dims: f.dims, dataType: 'float32', data: f.data };
}

/** A batch for {@link GraphExecutor.stream}: explicit dims, or a lib/data batch. */
export type StreamBatch = { images: Float32Array; dims: number[] } | { images: Float32Array; count: number; shape: readonly number[] };

export class GraphExecutor {
  readonly graph: Graph;
  readonly mode: ExecutionMode;
  /** Crossbar layers of the (folded) graph, by node name. */
  readonly layers: Map<string, LoweredLayer>;
  private steps: Step[] = [];
  private constants = new Map<string, Value>();
  private threads: number;
  private programmed = new Map<string, ProgrammedMatrix[]>();

  private constructor(graph: Graph, mode: ExecutionMode, layers: Map<string, LoweredLayer>, threads: number) {
    this.graph = graph;
    this.mode = mode;
    this.layers = layers;
    this.threads = threads;
  }

  /** Folds, lowers, plans and (in crossbar mode) programs every crossbar layer. */
  static async create(source: Graph, options: ExecutorOptions = {}): Promise<GraphExecutor> {
    checkSupported(source);
    const mode = options.mode ?? 'ideal';
    if (mode !== 'ideal' && mode !== 'crossbar') throw new NaxError(ErrorCodes.invalidArgument, `expected "ideal" or "crossbar" for mode, got ${JSON.stringify(mode)}`);
    if (mode === 'crossbar' && !options.backend)
      throw new NaxError(ErrorCodes.invalidArgument, 'expected a backend for crossbar mode, got undefined');
    const threads = options.threads === undefined ? 0 : expectNumber('threads', options.threads, { integer: true, min: 0 });
    const graph = options.foldBatchNorm === false ? source : foldBatchNorm(source);
    // Lowering needs per-image geometry: infer shapes once for batch 1. In ideal mode shapes that
    // depend on run-time inputs may stay unknown; crossbar mode needs every weighted layer lowered.
    const shapes1 = inferShapes(graph, defaultInputShapes(graph), { lenient: mode === 'ideal' });
    const layers = new Map<string, LoweredLayer>();
    for (const nd of graph.nodes) {
      if (nd.opType !== 'Conv' && nd.opType !== 'Gemm' && nd.opType !== 'MatMul') continue;
      const layer = lowerNode(graph, nd, shapes1);
      if (layer) layers.set(nd.name, layer);
    }
    const ex = new GraphExecutor(graph, mode, layers, threads);
    for (const [name, t] of graph.initializers) ex.constants.set(name, fromTensor(t));
    ex.plan(options);
    if (mode === 'crossbar') {
      for (const layer of layers.values()) {
        const scale = options.inputScales?.get(layer.name) ?? 0;
        const matrices: ProgrammedMatrix[] = [];
        const kn = layer.k * layer.n;
        for (let g = 0; g < layer.groups; g++)
          matrices.push(await options.backend!.program(layer, g, layer.weights.subarray(g * kn, (g + 1) * kn), scale));
        ex.programmed.set(layer.name, matrices);
      }
    }
    return ex;
  }

  /** Runs one batch. Feeds are keyed by graph input name; returns every graph output. */
  async run(feeds: Record<string, Feed>): Promise<Record<string, Value>> {
    const env = new Map<string, Value>(this.constants);
    for (const vi of this.graph.inputs) {
      const f = feeds[vi.name];
      if (!f) throw new NaxError(ErrorCodes.invalidArgument, `expected a feed for graph input ${vi.name}, got undefined`);
      env.set(vi.name, toValue(f));
    }
    for (const step of this.steps) {
      const ins = step.node.inputs.map((n) => {
        if (!n) return undefined as unknown as Value;
        const v = env.get(n);
        if (!v) throw new NaxError(ErrorCodes.internal, `node ${step.node.name}: value ${n} is not available`);
        return v;
      });
      const outs = await step.run(ins);
      step.node.outputs.forEach((o, i) => o && outs[i] && env.set(o, outs[i]));
      for (const r of step.release) env.delete(r);
    }
    const result: Record<string, Value> = {};
    for (const o of this.graph.outputs) {
      const v = env.get(o.name);
      if (!v) throw new NaxError(ErrorCodes.internal, `graph output ${o.name} was not produced`);
      result[o.name] = v;
    }
    return result;
  }

  /** Single-input single-output convenience: images (batch x C x H x W) -> first output. */
  async runBatch(images: Float32Array, dims: number[]): Promise<Value> {
    const name = this.graph.inputs[0].name;
    const out = await this.run({ [name]: { dims, data: images } });
    return out[this.graph.outputs[0].name];
  }

  /**
   * Streams batches through the network; memory stays at one batch's working set. Accepts
   * `{ images, dims }` or lib/data batches (`{ images, count, shape }`, fed as NCHW).
   */
  async *stream(batches: AsyncIterable<StreamBatch> | Iterable<StreamBatch>): AsyncGenerator<Value> {
    for await (const b of batches as AsyncIterable<StreamBatch>) {
      const dims = 'dims' in b ? b.dims : [b.count, ...b.shape];
      yield await this.runBatch(b.images, dims);
    }
  }

  // ---- planning ----------------------------------------------------------------

  private plan(options: ExecutorOptions): void {
    const graph = this.graph;
    const consumers = consumersOf(graph);
    const graphOutputs = new Set(graph.outputs.map((o) => o.name));
    // Fuse an activation into the Conv that feeds only it.
    const fused = new Map<number, { act: ActivationOptions; into: number }>();
    graph.nodes.forEach((nd, i) => {
      if (nd.opType !== 'Conv') return;
      const out = nd.outputs[0];
      const cons = consumers.get(out) ?? [];
      if (cons.length !== 1 || graphOutputs.has(out)) return;
      const next = graph.nodes[cons[0]];
      if (next.inputs[0] !== out) return;
      const act = this.activationOf(next);
      if (act) fused.set(cons[0], { act, into: i });
    });
    // Relu after a fresh elementwise result (e.g. the residual Add) runs in place on that result.
    const reluAfter = new Set<number>();
    graph.nodes.forEach((nd, i) => {
      if (!['Add', 'Sub', 'Mul'].includes(nd.opType)) return;
      const out = nd.outputs[0];
      const cons = consumers.get(out) ?? [];
      if (cons.length !== 1 || graphOutputs.has(out) || graph.nodes[cons[0]].opType !== 'Relu') return;
      reluAfter.add(i);
      fused.set(cons[0], { act: { activation: 1 }, into: -1 });
    });
    const fusedAct = new Map<number, ActivationOptions>();
    for (const { act, into } of fused.values()) fusedAct.set(into, act);
    // Values whose buffer a node may overwrite: produced fresh by a kernel that allocates (not a
    // view such as Reshape/Identity/Flatten), consumed only by node i, and not a graph output.
    const freshOps = new Set(['Conv', 'Gemm', 'MatMul', 'Add', 'Sub', 'Mul', 'MaxPool', 'AveragePool', 'GlobalAveragePool', 'BatchNormalization']);
    const producerIndex = new Map<string, number>();
    graph.nodes.forEach((nd, i) => nd.outputs.forEach((o) => producerIndex.set(o, i)));
    const producesFresh = (name: string): boolean => {
      const p = producerIndex.get(name);
      if (p === undefined) return false;
      const nd = graph.nodes[p];
      if (freshOps.has(nd.opType)) return true;
      // A fused activation forwards the fresh conv/elementwise buffer it follows.
      return fused.has(p) && nd.opType === 'Relu' || (fused.has(p) && producesFresh(nd.inputs[0]));
    };
    const writable = (name: string, i: number): boolean =>
      !!name && !graphOutputs.has(name) && !this.constants.has(name) && (consumers.get(name) ?? []).length === 1 &&
      graph.nodes[i].inputs.filter((n) => n === name).length === 1 && producesFresh(name);
    // Last use of each value, for release.
    const lastUse = new Map<string, number>();
    graph.nodes.forEach((nd, i) => nd.inputs.forEach((n) => n && lastUse.set(n, i)));
    const releaseAt = new Map<number, string[]>();
    for (const [name, i] of lastUse) {
      if (graphOutputs.has(name) || this.constants.has(name)) continue;
      const list = releaseAt.get(i) ?? [];
      list.push(name);
      releaseAt.set(i, list);
    }
    graph.nodes.forEach((nd, i) => {
      const release = releaseAt.get(i) ?? [];
      if (fused.has(i)) {
        // The conv already applied it: this node forwards its input.
        this.steps.push({ node: nd, run: (ins) => [ins[0]], release });
        return;
      }
      if (reluAfter.has(i) || (['Add', 'Sub', 'Mul'].includes(nd.opType) && nd.inputs.some((n) => writable(n, i)))) {
        const opset = graph.opset;
        const relu = reluAfter.has(i);
        // An input that is a fresh buffer used only here can take the result (no allocation).
        const inPlace = nd.inputs.map((n) => writable(n, i));
        const op: 0 | 1 | 2 = nd.opType === 'Add' ? 0 : nd.opType === 'Sub' ? 1 : 2;
        this.steps.push({
          node: nd,
          run: (ins) => {
            const [a, b] = ins;
            const same = a.dataType === 'float32' && b.dataType === 'float32' && a.data.length === b.data.length && a.dims.join() === b.dims.join();
            if (same && a.data.length >= 4096) {
              // Native, threaded; written into a fresh single-use input when there is one.
              const x = a.data as Float32Array, y = b.data as Float32Array;
              const o = inPlace[0] ? x : inPlace[1] ? y : new Float32Array(x.length);
              return runtimeNative()
                .elementwise({ op, relu: relu ? 1 : 0, threads: this.threads, a: x, b: y, output: o })
                .then(() => [{ dims: a.dims, dataType: 'float32' as const, data: o }]);
            }
            const [r] = runSmallOp(nd, ins, opset);
            if (relu && r !== a && r !== b) {
              const d = r.data;
              for (let j = 0; j < d.length; j++) if (d[j] < 0) d[j] = 0;
            }
            return [r];
          },
          release,
        });
        return;
      }
      this.steps.push({ node: nd, run: this.kernelFor(nd, fusedAct.get(i), options), release });
    });
  }

  private constValue(name: string): Value | undefined {
    return name ? this.constants.get(name) : undefined;
  }

  /** Activation a Relu/Clip/LeakyRelu node applies, when fusable (constant bounds). */
  private activationOf(nd: Node): ActivationOptions | undefined {
    if (nd.opType === 'Relu') return { activation: 1 };
    if (nd.opType === 'LeakyRelu') return { activation: 3, alpha: attrFloat(nd, 'alpha', 0.01) };
    if (nd.opType === 'Clip') {
      if (this.graph.opset < 11) return { activation: 2, clipMin: attrFloat(nd, 'min', -3.4e38), clipMax: attrFloat(nd, 'max', 3.4e38) };
      const lo = nd.inputs[1] ? this.constValue(nd.inputs[1]) : undefined;
      const hi = nd.inputs[2] ? this.constValue(nd.inputs[2]) : undefined;
      if ((nd.inputs[1] && !lo) || (nd.inputs[2] && !hi)) return undefined;
      return { activation: 2, clipMin: lo ? lo.data[0] : -3.4e38, clipMax: hi ? hi.data[0] : 3.4e38 };
    }
    return undefined;
  }

  private kernelFor(nd: Node, act: ActivationOptions | undefined, options: ExecutorOptions): StepFn {
    const opset = this.graph.opset;
    const layer = this.layers.get(nd.name);
    const observe = options.observe;
    if (layer && this.mode === 'crossbar') return (ins) => this.runCrossbar(nd, layer, ins, act);
    if (!heavyOps.has(nd.opType)) {
      if (!tsOps.has(nd.opType)) throw new NaxError(ErrorCodes.onnxUnsupported, `node ${nd.name}: no kernel for op ${nd.opType}`);
      return (ins) => runSmallOp(nd, ins, opset);
    }
    const threads = this.threads;
    const rt = runtimeNative();
    switch (nd.opType) {
      case 'Conv':
        return async (ins) => {
          if (layer && observe) observe(layer, ins[0]);
          return [await convIdeal(nd, ins, act, threads)];
        };
      case 'Gemm':
        return async (ins) => {
          if (layer && observe) observe(layer, ins[0]);
          return [await gemmIdeal(nd, ins, threads)];
        };
      case 'MatMul':
        return async (ins) => {
          if (layer && observe) observe(layer, ins[0]);
          return [await matmulIdeal(nd, ins, threads)];
        };
      case 'MaxPool':
      case 'AveragePool':
        return async (ins) => [await poolIdeal(nd, ins[0], threads)];
      case 'GlobalAveragePool':
        return async (ins) => {
          const x = float32(nd, ins[0]);
          const out = allocValue('float32', [x.dims[0], x.dims[1], ...x.dims.slice(2).map(() => 1)]);
          const planes = x.dims[0] * x.dims[1];
          await rt.globalAveragePool({ planes, spatial: x.data.length / Math.max(planes, 1), threads, input: x.data as Float32Array, output: out.data as Float32Array });
          return [out];
        };
      case 'GlobalMaxPool':
        return (ins) => {
          const x = ins[0];
          const planes = x.dims[0] * x.dims[1];
          const spatial = x.data.length / Math.max(planes, 1);
          const out = allocValue(x.dataType, [x.dims[0], x.dims[1], ...x.dims.slice(2).map(() => 1)]);
          for (let p = 0; p < planes; p++) {
            let m = -Infinity;
            for (let i = 0; i < spatial; i++) if (x.data[p * spatial + i] > m) m = x.data[p * spatial + i];
            out.data[p] = m;
          }
          return [out];
        };
    }
    throw new NaxError(ErrorCodes.internal, `no kernel for ${nd.opType}`);
  }

  private async runCrossbar(nd: Node, layer: LoweredLayer, ins: Value[], act: ActivationOptions | undefined): Promise<Value[]> {
    const rt = runtimeNative();
    const matrices = this.programmed.get(layer.name)!;
    const x = float32(nd, ins[0]);
    const threads = this.threads;
    if (layer.opType === 'Conv') {
      const g = convGeometry(nd, x, ins[1]);
      const batch = x.dims[0];
      const outH = g.outH, outW = g.outW;
      const pixels = outH * outW;
      const out = allocValue('float32', g.spatial1d ? [batch, layer.outChannels, outW] : [batch, layer.outChannels, outH, outW]);
      for (let grp = 0; grp < layer.groups; grp++) {
        const rows = new Float32Array(batch * pixels * layer.k);
        await rt.im2rowBatch({ ...g.options, threads, group: grp, input: x.data as Float32Array, rows });
        const res = await matrices[grp].run(rows, batch * pixels);
        await rt.scatterRows({
          ...(act ?? {}), batch, pixels, n: layer.n, outChannels: layer.outChannels, group: grp, threads,
          rows: res, bias: layer.bias, output: out.data as Float32Array,
        });
      }
      return [out];
    }
    // Gemm (transA = 0) / MatMul with a constant K x N matrix: rows of A are MVM inputs.
    const count = x.data.length / layer.k;
    const res = await matrices[0].run(x.data as Float32Array, count);
    const dims = [...x.dims.slice(0, -1), layer.n];
    if (layer.bias) {
      const bias = layer.bias;
      for (let r = 0; r < count; r++) for (let j = 0; j < layer.n; j++) res[r * layer.n + j] += bias[j];
    }
    return [{ dims, dataType: 'float32', data: res }];
  }
}

function float32(nd: Node, v: Value): Value {
  if (v.dataType !== 'float32')
    throw new NaxError(ErrorCodes.onnxUnsupported, `node ${nd.name} (${nd.opType}): only float32 inputs are supported, got ${v.dataType}`);
  return v;
}

interface ConvRun {
  options: ConvGeometryOptions;
  outH: number;
  outW: number;
  /** 1-D conv run as H = 1. */
  spatial1d: boolean;
}

function convGeometry(nd: Node, x: Value, w: Value): ConvRun {
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

async function convIdeal(nd: Node, ins: Value[], act: ActivationOptions | undefined, threads: number): Promise<Value> {
  const x = float32(nd, ins[0]);
  const w = float32(nd, ins[1]);
  const b = ins[2] ? float32(nd, ins[2]) : undefined;
  const g = convGeometry(nd, x, w);
  const out = allocValue('float32', g.spatial1d ? [x.dims[0], w.dims[0], g.outW] : [x.dims[0], w.dims[0], g.outH, g.outW]);
  if (out.data.length === 0) return out;
  await runtimeNative().conv2d({
    ...g.options, ...(act ?? {}), threads,
    input: x.data as Float32Array, weights: w.data as Float32Array, bias: b?.data as Float32Array | undefined, output: out.data as Float32Array,
  });
  return out;
}

async function gemmIdeal(nd: Node, ins: Value[], threads: number): Promise<Value> {
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

async function matmulIdeal(nd: Node, ins: Value[], threads: number): Promise<Value> {
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

async function poolIdeal(nd: Node, xIn: Value, threads: number): Promise<Value> {
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
  const out = allocValue('float32', spatial1d ? [N, C, outW] : [N, C, outH, outW]);
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

/** Observed range of one crossbar layer's activation input over the calibration batches. */
export interface InputRange {
  /** max |x|: the input scale mapped to the DAC's full scale. */
  maxAbs: number;
  /** Smallest input seen; < 0 means the layer needs signed (two-pass) inputs. */
  min: number;
}

/** Runs calibration batches in ideal mode and records each crossbar layer's input range. */
export async function calibrateInputRanges(
  graph: Graph,
  batches: Iterable<{ images: Float32Array; dims: number[] }> | AsyncIterable<{ images: Float32Array; dims: number[] }>,
  options: { threads?: number } = {},
): Promise<Map<string, InputRange>> {
  const ranges = new Map<string, InputRange>();
  const ex = await GraphExecutor.create(graph, {
    mode: 'ideal',
    threads: options.threads,
    observe: (layer, input) => {
      const r = ranges.get(layer.name) ?? { maxAbs: 0, min: Infinity };
      const d = input.data;
      let m = r.maxAbs, lo = r.min;
      for (let i = 0; i < d.length; i++) {
        const v = d[i];
        if (v < lo) lo = v;
        const a = v < 0 ? -v : v;
        if (a > m) m = a;
      }
      ranges.set(layer.name, { maxAbs: m, min: lo });
    },
  });
  for await (const b of batches as AsyncIterable<{ images: Float32Array; dims: number[] }>) await ex.runBatch(b.images, b.dims);
  return ranges;
}

/**
 * Runs calibration batches in ideal mode and returns each crossbar layer's
 * max |input| (the activation scale its DAC range maps to).
 */
export async function calibrateInputScales(
  graph: Graph,
  batches: Iterable<{ images: Float32Array; dims: number[] }> | AsyncIterable<{ images: Float32Array; dims: number[] }>,
  options: { threads?: number } = {},
): Promise<Map<string, number>> {
  const ranges = await calibrateInputRanges(graph, batches, options);
  return new Map([...ranges].map(([k, r]) => [k, r.maxAbs]));
}

/**
 * Reference backend: exact float32 GEMM through the native sgemm. Crossbar
 * mode with this backend must equal ideal mode (tests use it to check the
 * im2row/scatter path independently of the crossbar engine).
 */
export function floatBackend(threads = 0): MatmulBackend {
  return {
    name: 'float',
    async program(layer, _group, weights) {
      const w = Float32Array.from(weights);
      return {
        async run(rows, count) {
          const out = new Float32Array(count * layer.n);
          if (count > 0)
            await gemm({ m: count, n: layer.n, k: layer.k, threads, a: rows, b: w, c: out });
          return out;
        },
      };
    },
  };
}
