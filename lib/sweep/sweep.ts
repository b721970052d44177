/**
 * Crossbar-size sweep: one network evaluated on homogeneous crossbars of each
 * size (every layer on size x size arrays), giving ideal and non-ideal
 * accuracy next to energy, latency, area and EDAP — the trade-off users weigh
 * before committing to hardware (`nax-native sweep`, the bench's
 * crossbar-size suite).
 *
 * The executor (crossbar mode) and the cost model read the same per-layer
 * mapping, so the accuracy and the EDAP of a row describe the same hardware.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import { writeOnnx } from '../onnx/writer';
import { loadCheckpoint, saveCheckpoint } from '../json-checkpoint';
import { ErrorCodes, NaxError, describeValue, expectNumber, invalid } from '../errors';
import type { Graph } from '../onnx/ir';
import { readOnnx, readOnnxFile } from '../onnx/reader';
import type { Dataset } from '../data/types';
import { GraphExecutor } from '../runtime/executor';
import { type ChipAccuracies, MAX_CHIPS, calibrate, calibrationBatches, chipAccuracies, classify, classifyOverChips } from '../runtime/classify';
import { type CrossbarMapping, planGraph, validateMapping, withCrossbarSize } from '../plan';
import { DEFAULT_NON_IDEAL, overNonIdealPreset } from '../crossbar/presets';
import {
  type HardwareConfig, type HardwareOverrides, type InputActivitySummary, type NetworkCost,
  InputActivityCache, expectInputActivityChoice, hardwareCost, inputActivitySummary, resolveHardware,
} from '../hardware';

const SWEEP_CHECKPOINT_FORMAT = 'nax-sweep-checkpoint';

/** The sizes NAX compares (plus 256). */
export const DEFAULT_SWEEP_SIZES: readonly number[] = Object.freeze([16, 32, 64, 128, 256]);

/**
 * Allowed crossbar sizes (rows = cols). Below 8 the peripheral circuits dwarf
 * the arrays; above 1024 one parasitic solve per tile takes minutes and the
 * cost figures (published for 16..256) are extrapolated more than 4x.
 */
export const SWEEP_SIZE_RANGE = Object.freeze({ min: 8, max: 1024 });

export interface SweepProgress {
  phase: 'ideal' | 'calibrate' | 'program' | 'evaluate';
  /** Crossbar size of the program/evaluate phases. */
  size?: number;
  /** Evaluate phase: the chip being scored (0-based). */
  chip?: number;
  /** Images done / in all in this phase (0 / 0 while programming). */
  done: number;
  total: number;
}

export interface SweepOptions {
  /** An ONNX file path, ONNX bytes, or a graph IR. */
  model: string | Uint8Array | Graph;
  /** Evaluation images, e.g. `await loadDataset({ name: 'mnist', split: 'test' })`. */
  dataset: Dataset;
  /** Images for the per-layer input scales (calibration); default: the first evaluation images. */
  calibration?: Pick<Dataset, 'images' | 'count' | 'shape'>;
  /** Calibration images used (default 256). */
  calibrationImages?: number;
  /** Crossbar sizes (rows = cols), each in SWEEP_SIZE_RANGE (default 16, 32, 64, 128, 256). */
  sizes?: readonly number[];
  /** Evaluate only the first `limit` images. */
  limit?: number;
  /**
   * Device and converter settings: `default` merges over DEFAULT_NON_IDEAL, `layers` are
   * per-layer overrides by node name. rows/cols are replaced by each swept size.
   */
  mapping?: CrossbarMapping;
  /** Hardware figures for the cost model (overrides of the defaults). */
  hardware?: HardwareOverrides;
  /**
   * Input digit statistics of the crossbar read energy: 'measured' (default) on the calibration
   * images (one ideal pass, shared by every size: the sizes change no input scale), or the
   * template's 'default' (each input bit 1 with probability 1/2).
   */
  inputActivity?: 'measured' | 'default';
  /** Images per executor batch (default 100). */
  batchSize?: number;
  /** Native threads (0 = all cores). */
  threads?: number;
  /**
   * Device instances each size is scored on (integer in [1, MAX_CHIPS], default 1): chip c draws
   * its own variation, faults and read noise; chip 0 is the single-run result.
   */
  chips?: number;
  signal?: AbortSignal;
  onProgress?: (p: SweepProgress) => void;
  /**
   * Checkpoint file, rewritten atomically (with a SHA-256) after each finished size; with
   * `resume`, sizes it holds are taken from it (after checking it comes from the same sweep:
   * model, data, sizes, mapping, hardware, chips), so a killed sweep continues where it stopped
   * and ends with the uninterrupted result.
   */
  checkpoint?: { path: string; resume?: boolean };
}

export interface SweepRow {
  /** rows = cols of every layer's arrays. */
  size: number;
  /** Distinct ADC resolutions over the layers. */
  adcBits: number[];
  arrays: number;
  /** Cells holding weights / all cells. */
  utilization: number;
  /** Float accuracy (executor ideal mode); the same for every size. */
  idealAccuracy: number;
  /** Crossbar-mode accuracy with the mapping's non-idealities: the mean over the chips (one chip: chip 0's). */
  nonIdealAccuracy: number;
  /** Per-chip non-ideal accuracies and their mean, std and 95% CI (std and ci95 null with one chip). */
  nonIdealChips: ChipAccuracies;
  energyJoules: number;
  latencySeconds: number;
  areaMm2: number;
  /** energy x latency x area, J*s*mm^2. */
  edap: number;
  /** EDAP / the smallest EDAP of the sweep. */
  edapRelative: number;
  /** Wall time to program every layer (quantize, variation, parasitic transfer matrices), seconds, summed over the chips. */
  programSeconds: number;
  /** Non-ideal simulation throughput, images per second. */
  imagesPerSecond: number;
}

export interface SweepResult {
  /** The model's file path or graph name. */
  model: string;
  dataset: { name: string; split: string; source: string; images: number };
  calibrationImages: number;
  /** Device instances each size was scored on. */
  chips: number;
  /** Crossbar layers whose calibration inputs went negative: they run (and are costed) as two passes. */
  signedInputLayers: string[];
  /** The mapping every size used, before rows/cols were set (non-ideal defaults merged in). */
  mapping: CrossbarMapping;
  hardware: HardwareConfig;
  idealAccuracy: number;
  /** Ideal-mode (float) simulation throughput, images per second. */
  idealImagesPerSecond: number;
  rows: SweepRow[];
  /** Full cost model output per size (per-layer breakdowns), in `rows` order. */
  costs: NetworkCost[];
  /** Which input activity the energies used (measured on the calibration images, or the default), from the first size's cost. */
  inputActivity: InputActivitySummary;
  /** Seconds spent measuring the input activity (ideal passes over the calibration images). */
  inputActivitySeconds: number;
  seconds: number;
}

/**
 * Validates crossbar sizes; `name` is what the error calls them (the CLI passes `--sizes`).
 * Accepts an array or a comma-separated string. Returns them ascending, without repeats.
 */
export function parseSweepSizes(value: unknown, name = 'sizes'): number[] {
  const { min, max } = SWEEP_SIZE_RANGE;
  const expected = `comma-separated integers in [${min}, ${max}]`;
  let items: unknown[];
  if (typeof value === 'string') items = value.split(',').map((s) => (s.trim() === '' ? NaN : Number(s.trim())));
  else if (Array.isArray(value)) items = value;
  else throw invalid(name, expected, value);
  if (items.length === 0) throw invalid(name, expected, value);
  for (const s of items) {
    const integer = typeof s === 'number' && Number.isInteger(s);
    if (!integer || s < min || s > max)
      throw new NaxError(
        integer ? ErrorCodes.outOfRange : ErrorCodes.invalidArgument,
        `expected ${expected} for ${name}, got ${typeof value === 'string' ? JSON.stringify(value) : describeValue(s)}`,
      );
  }
  return [...new Set(items as number[])].sort((a, b) => a - b);
}

function loadGraph(model: SweepOptions['model']): { graph: Graph; label: string } {
  if (typeof model === 'string') {
    if (!fs.existsSync(model)) throw new NaxError(ErrorCodes.io, `model file ${model} does not exist (expected an .onnx file)`);
    return { graph: readOnnxFile(model), label: model };
  }
  if (model instanceof Uint8Array) return { graph: readOnnx(model), label: 'model bytes' };
  if (model && typeof model === 'object' && Array.isArray((model as Graph).nodes)) return { graph: model as Graph, label: (model as Graph).name };
  throw invalid('model', 'an ONNX file path, ONNX bytes or a graph', model);
}

function checkInputShape(graph: Graph, shape: readonly number[]): void {
  const dims = graph.inputs[0]?.dims;
  if (!dims || dims.length !== 4) return; // leave exotic inputs to the executor's own checks
  const want = dims.slice(1);
  if (want.some((d, i) => typeof d === 'number' && d !== shape[i]))
    throw new NaxError(
      ErrorCodes.sizeMismatch,
      `expected images of shape [${want.join(', ')}] for model input ${graph.inputs[0].name}, got data set images of shape [${shape.join(', ')}]`,
    );
}

/**
 * Evaluates `model` on homogeneous crossbars of each size: ideal (float) accuracy once, then per
 * size the non-ideal accuracy through the crossbar engine and the cost model's EDAP for the same
 * mapping.
 */
export async function sweep(options: SweepOptions): Promise<SweepResult> {
  if (options === null || typeof options !== 'object') throw invalid('options', 'an object', options);
  const started = performance.now();
  const sizes = parseSweepSizes(options.sizes ?? DEFAULT_SWEEP_SIZES, 'sizes');
  const data = options.dataset;
  if (!data || !(data.images instanceof Float32Array) || !(data.labels instanceof Uint8Array))
    throw invalid('dataset', 'a Dataset (loadDataset)', data);
  const limit = options.limit === undefined ? data.count : expectNumber('limit', options.limit, { integer: true, min: 1 });
  const count = Math.min(limit, data.count);
  const batchSize = expectNumber('batchSize', options.batchSize ?? 100, { integer: true, min: 1 });
  const threads = expectNumber('threads', options.threads ?? 0, { integer: true, min: 0 });
  const chips = expectNumber('chips', options.chips ?? 1, { integer: true, min: 1, max: MAX_CHIPS });
  const user = validateMapping(options.mapping ?? {}, 'mapping');
  const base: CrossbarMapping = { default: overNonIdealPreset(DEFAULT_NON_IDEAL, user.default), layers: user.layers ?? {} };
  const hardware = resolveHardware(options.hardware ?? {});
  const activityChoice = expectInputActivityChoice('inputActivity', options.inputActivity ?? 'measured');
  const { graph, label } = loadGraph(options.model);
  checkInputShape(graph, data.shape);
  const progress = options.onProgress ?? (() => undefined);

  // Ideal (float) accuracy: size-independent, computed once.
  progress({ phase: 'ideal', done: 0, total: count });
  const idealEx = await GraphExecutor.create(graph, { mode: 'ideal', threads });
  const ideal = await classify(idealEx, data, { batchSize, limit: count, signal: options.signal, onBatch: (done) => progress({ phase: 'ideal', done, total: count }) });

  // Per-layer input ranges from calibration images (ideal mode), shared by every size: each
  // plan takes its input scales and signed-input layers (two passes, run and costed) from them.
  const cal = options.calibration ?? data;
  checkInputShape(graph, cal.shape);
  const calCount = Math.min(expectNumber('calibrationImages', options.calibrationImages ?? 256, { integer: true, min: 1 }), cal.count);
  progress({ phase: 'calibrate', done: 0, total: calCount });
  const inputRanges = await calibrate(graph, cal, { images: calCount, batchSize, threads });
  progress({ phase: 'calibrate', done: calCount, total: calCount });
  const activity = activityChoice === 'measured'
    ? new InputActivityCache(graph, () => calibrationBatches(cal, { images: calCount, batchSize }), calCount, { threads })
    : undefined;

  const rows: SweepRow[] = [];
  const costs: NetworkCost[] = [];
  let signedInputLayers: string[] = [];
  // What makes two sweeps the same (a resumed sweep must match it exactly).
  const fingerprint = {
    model: crypto.createHash('sha256').update(writeOnnx(graph)).digest('hex'),
    dataset: { name: data.name, split: data.split, count, calibrationImages: calCount },
    sizes, mapping: base, hardware, chips, batchSize, inputActivity: activityChoice,
  };
  const ckpt = options.checkpoint;
  const done = new Map<number, { row: SweepRow; cost: NetworkCost; signedInputLayers: string[] }>();
  if (ckpt?.resume) {
    const saved = await loadCheckpoint<{ row: SweepRow; cost: NetworkCost; signedInputLayers: string[] }>(ckpt.path, SWEEP_CHECKPOINT_FORMAT);
    if (!saved) throw new NaxError(ErrorCodes.config, `cannot resume the sweep: ${ckpt.path} does not exist (this folder holds no sweep of its own); run without --resume`);
    const diffs = Object.keys(fingerprint).filter((k) => JSON.stringify((saved.fingerprint as Record<string, unknown>)[k]) !== JSON.stringify((fingerprint as Record<string, unknown>)[k]));
    if (diffs.length) throw new NaxError(ErrorCodes.config, `cannot resume the sweep in ${ckpt.path}: it used other settings for ${diffs.join(', ')} (run without --resume to start over)`);
    for (const e of saved.done) done.set(e.row.size, e);
  }
  for (const size of sizes) {
    if (options.signal?.aborted) throw new NaxError(ErrorCodes.cancelled, 'sweep cancelled');
    const previous = done.get(size);
    if (previous) {
      rows.push(previous.row);
      costs.push(previous.cost);
      signedInputLayers = previous.signedInputLayers;
      continue;
    }
    // The plan validates the mapping against the graph's layers before anything is programmed.
    const plan = planGraph(graph, { mapping: withCrossbarSize(base, size), inputRanges, threads });
    signedInputLayers = plan.layers.filter((l) => l.signedInput).map((l) => l.name);
    const cost = hardwareCost({ plan, hardware, devices: await activity?.devices(plan) });
    progress({ phase: 'program', size, done: 0, total: 0 });
    let chip = 0;
    const run = await classifyOverChips(graph, plan, data, {
      // Calibrated ADC ranges (adcRange 'calibrated') from the same calibration images.
      adcCalibration: { images: cal.images, shape: cal.shape, count: calCount },
      chips, batchSize, limit: count, signal: options.signal, threads,
      onBatch: (done) => progress({ phase: 'evaluate', size, ...(chips > 1 ? { chip } : {}), done, total: count }),
      onChip: (done) => (chip = done),
    });
    const t = cost.total;
    rows.push({
      size,
      adcBits: [...new Set(cost.layers.map((l) => l.crossbar.adcBits))].sort((a, b) => a - b),
      arrays: t.arrays,
      utilization: t.utilization,
      idealAccuracy: ideal.accuracy,
      nonIdealAccuracy: run.summary.mean,
      nonIdealChips: chipAccuracies(run),
      energyJoules: t.energyJoules.total,
      latencySeconds: t.latencySeconds,
      areaMm2: t.areaMm2.total,
      edap: t.edap,
      edapRelative: 0,
      programSeconds: run.programSeconds,
      imagesPerSecond: (chips * count) / run.seconds,
    });
    costs.push(cost);
    if (ckpt) {
      done.set(size, { row: rows[rows.length - 1], cost, signedInputLayers });
      await saveCheckpoint(ckpt.path, SWEEP_CHECKPOINT_FORMAT, { fingerprint, done: [...done.values()] });
    }
  }
  const best = Math.min(...rows.map((r) => r.edap));
  for (const r of rows) r.edapRelative = r.edap / best;
  return {
    model: label,
    dataset: { name: data.name, split: data.split, source: data.source, images: count },
    calibrationImages: calCount,
    chips,
    signedInputLayers,
    mapping: base,
    hardware,
    idealAccuracy: ideal.accuracy,
    idealImagesPerSecond: count / ideal.seconds,
    rows,
    costs,
    inputActivity: costs.length > 0 ? inputActivitySummary(costs[0], calCount) : { source: activityChoice === 'measured' ? 'measured' : 'default', measuredLayers: 0, defaultLayers: 0, meanDigit: 0, meanSquareDigit: 0 },
    inputActivitySeconds: activity?.seconds ?? 0,
    seconds: (performance.now() - started) / 1000,
  };
}
