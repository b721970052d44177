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
 * cut of the graph. The ideal-mode kernels are in ./ideal-kernels.ts, the backend
 * interface and the float reference backend in ./backend.ts, calibration in
 * ./calibrate.ts.
 */
import { NaxError, ErrorCodes, expectNumber } from '../errors';
import { Graph, Node, Tensor, attrFloat, consumersOf } from '../onnx/ir';
import { checkSupported } from '../onnx/reader';
import type { MatmulBackend, ProgrammedMatrix } from './backend';
import { convGeometry, convIdeal, convTransposeGeometry, convTransposeRun, float32, gemmIdeal, matmulIdeal, poolIdeal } from './ideal-kernels';
import { LoweredLayer, defaultInputShapes, lowerNode, packGroups, prepareGraph } from './lower';
import { gemm } from '../native';
import { ActivationOptions, runtimeNative } from './native';
import { Value, allocValue, asNodeError, fromTensor, runSmallOp, tsOps } from './ops';
import { BufferArena, allocScratchValue, float32Scratch, float32Zeros, withArena } from './values';
import { inferShapes } from './shapes';

export type ExecutionMode = 'ideal' | 'crossbar';

export interface ExecutorOptions {
  mode?: ExecutionMode;
  /** Required in crossbar mode: `crossbarBackend(plan)` (lib/runtime/crossbar-backend.ts) or `floatBackend()`. */
  backend?: MatmulBackend;
  /** Native threads (0 = all cores). */
  threads?: number;
  /** Fold BatchNorm into convs (default true). */
  foldBatchNorm?: boolean;
  /**
   * Depthwise convs take the direct native kernel (default true); false runs them through the
   * generic per-group im2col + sgemm path (for the before/after benchmark, bench/depthwise.ts).
   */
  depthwiseKernel?: boolean;
  /**
   * Called with each crossbar-layer node's activation input (calibration). The input's buffer is
   * reused once the batch no longer needs it: read it during the call, copy what must outlive it.
   */
  observe?: (layer: LoweredLayer, input: Value) => void;
}

type StepFn = (ins: Value[]) => Promise<Value[]> | Value[];

interface Step {
  node: Node;
  run: StepFn;
  /** Value names to release after this step. */
  release: string[];
}

/** Groups of a crossbar-mode grouped conv run concurrently (each an async native call chain). */
const GROUPS_IN_FLIGHT = 8;

/** Ops that lower to crossbar layers (constant weights). */
export const weightedOps = new Set(['Conv', 'ConvTranspose', 'Gemm', 'MatMul']);

const heavyOps = new Set(['Conv', 'ConvTranspose', 'Gemm', 'MatMul', 'MaxPool', 'AveragePool', 'GlobalAveragePool', 'GlobalMaxPool']);

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
  /** Activation buffers reused across steps and batches (BufferArena). */
  private readonly arena = new BufferArena();

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
    const graph = prepareGraph(source, { foldBatchNorm: options.foldBatchNorm });
    // Lowering needs per-image geometry: infer shapes once for batch 1. In ideal mode shapes that
    // depend on run-time inputs may stay unknown; crossbar mode needs every weighted layer lowered.
    const shapes1 = inferShapes(graph, defaultInputShapes(graph), { lenient: mode === 'ideal' });
    const layers = new Map<string, LoweredLayer>();
    for (const nd of graph.nodes) {
      if (!weightedOps.has(nd.opType)) continue;
      let layer = lowerNode(graph, nd, shapes1);
      if (!layer) continue;
      // A backend that packs grouped convs (block-diagonal) gets the packed layer to program.
      if (mode === 'crossbar' && layer.groups > 1 && options.backend!.groupsPerMatrix)
        layer = packGroups(layer, options.backend!.groupsPerMatrix(layer));
      layers.set(nd.name, layer);
    }
    const ex = new GraphExecutor(graph, mode, layers, threads);
    for (const [name, t] of graph.initializers) ex.constants.set(name, fromTensor(t));
    // Ideal mode: the weights and biases the native kernels read on every batch move to pinned
    // memory once, so no call copies them (a large Gemm's weights would be copied per batch; the
    // graph keeps its own copy, so these weights take twice their size while the executor lives).
    if (mode === 'ideal') {
      const pinned = new Set<string>();
      for (const nd of graph.nodes) {
        if (!weightedOps.has(nd.opType)) continue;
        for (const name of nd.inputs.slice(1)) {
          const v = name ? ex.constants.get(name) : undefined;
          if (!v || v.dataType !== 'float32' || pinned.has(name)) continue;
          const copy = float32Zeros(v.data.length);
          copy.set(v.data as Float32Array);
          ex.constants.set(name, { ...v, data: copy });
          pinned.add(name);
        }
      }
    }
    ex.plan(options);
    if (mode === 'crossbar') {
      for (const layer of layers.values()) {
        const matrices: ProgrammedMatrix[] = [];
        const kn = layer.k * layer.n;
        for (let g = 0; g < layer.groups; g++)
          matrices.push(await options.backend!.program(layer, g, layer.weights.subarray(g * kn, (g + 1) * kn)));
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
    // The arena counts the env values viewing each of its buffers; the last release hands it back.
    const arena = this.arena;
    for (const step of this.steps) {
      const ins = step.node.inputs.map((n) => {
        if (!n) return undefined as unknown as Value;
        const v = env.get(n);
        if (!v) throw new NaxError(ErrorCodes.internal, `node ${step.node.name}: value ${n} is not available`);
        return v;
      });
      let outs: Value[];
      try {
        // Kernels take their output buffers synchronously, before their first await.
        outs = await withArena(arena, () => step.run(ins));
      } catch (err) {
        throw asNodeError(step.node, err);
      }
      step.node.outputs.forEach((o, i) => {
        if (!o || !outs[i]) return;
        env.set(o, outs[i]);
        arena.retain(outs[i].data.buffer);
      });
      for (const r of step.release) {
        const v = env.get(r);
        env.delete(r);
        if (v) arena.release(v.data.buffer);
      }
    }
    arena.trim();
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
              const o = inPlace[0] ? x : inPlace[1] ? y : float32Scratch(x.length);
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
          return [await convIdeal(nd, ins, act, threads, options.depthwiseKernel !== false)];
        };
      case 'ConvTranspose':
        return async (ins) => {
          if (layer && observe) observe(layer, ins[0]);
          const x = float32(nd, ins[0]);
          const w = float32(nd, ins[1]);
          const g = convTransposeGeometry(nd, x, w);
          const k = g.k, n = g.n;
          return [
            await convTransposeRun(g, x, ins[2] ? float32(nd, ins[2]) : undefined, threads, async (grp, rows, count) => {
              const out = float32Zeros(count * n);
              await gemm({ m: count, n, k, threads, a: rows, b: (w.data as Float32Array).subarray(grp * k * n, (grp + 1) * k * n), c: out });
              return out;
            }),
          ];
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
          const out = allocScratchValue([x.dims[0], x.dims[1], ...x.dims.slice(2).map(() => 1)]);
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
    if (layer.opType === 'ConvTranspose') {
      const g = convTransposeGeometry(nd, x, ins[1]);
      return [await convTransposeRun(g, x, layer.bias ? { dims: [layer.outChannels], dataType: 'float32', data: layer.bias } : undefined, threads, (grp, rows, count) => matrices[grp].run(rows, count))];
    }
    if (layer.opType === 'Conv') {
      const cg = convGeometry(nd, x, ins[1]);
      // A packed layer runs groups/P block-diagonal matrices: im2row as a conv with that many groups.
      const g = { ...cg, options: { ...cg.options, groups: layer.groups } };
      const batch = x.dims[0];
      const outH = g.outH, outW = g.outW;
      const pixels = outH * outW;
      const out = allocValue('float32', g.spatial1d ? [batch, layer.outChannels, outW] : [batch, layer.outChannels, outH, outW]);
      const runGroup = async (grp: number) => {
        const rows = float32Zeros(batch * pixels * layer.k);
        await rt.im2rowBatch({ ...g.options, threads, group: grp, input: x.data as Float32Array, rows });
        const res = await matrices[grp].run(rows, batch * pixels);
        await rt.scatterRows({
          ...(act ?? {}), batch, pixels, n: layer.n, outChannels: layer.outChannels, group: grp, threads,
          rows: res, bias: layer.bias, output: out.data as Float32Array,
        });
      };
      // Groups are independent matrices writing disjoint output channels (each with its own seeded
      // draws): a few run at once so small depthwise groups do not wait on each other's round trips.
      const inFlight = Math.min(layer.groups, GROUPS_IN_FLIGHT);
      let next = 0;
      await Promise.all(Array.from({ length: inFlight }, async () => {
        while (next < layer.groups) await runGroup(next++);
      }));
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
