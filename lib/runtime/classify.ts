/**
 * The one classification loop that `nax-native eval`, `sweep` and the search's candidate
 * evaluation share: calibrate each crossbar layer's input range on a few images (ideal mode),
 * resolve the plan with those ranges (input scales and signed-input layers: lib/plan), program
 * the network on crossbars from the plan, and stream labelled images through it for top-1
 * accuracy.
 */
import { ErrorCodes, NaxError, expectNumber } from '../errors';
import type { Graph } from '../onnx/ir';
import { type CrossbarPlan, planForChip } from '../plan/plan';
import { type SampleSummary, summarize } from '../stats';
import { crossbarBackend } from './crossbar-backend';
import { type InputRange, calibrateInputRanges } from './calibrate';
import { GraphExecutor } from './executor';

/** Images with labels, NCHW float32 (a lib/data Dataset or a trainer ImageSet fits). */
export interface LabelledImages {
  images: Float32Array;
  labels: ArrayLike<number>;
  count: number;
  /** [C, H, W] of one image. */
  shape: readonly number[];
}

/** Model input dims for `count` images; default NCHW ([count, C, H, W]). */
export type FeedDims = (count: number) => number[];

export interface ClassifyOptions {
  /** Images per executor batch. */
  batchSize: number;
  /** Score only the first `limit` images (default all). */
  limit?: number;
  feedDims?: FeedDims;
  signal?: AbortSignal;
  /** After each batch: images done so far. */
  onBatch?: (done: number) => void;
  /** Filled with each image's top-1 class (length >= the images scored). */
  predictions?: Int32Array;
  /** Each batch's logits ([count, classes] row-major) with the index of its first image. */
  onLogits?: (logits: Float32Array, start: number, count: number) => void;
}

export interface ClassifyResult {
  /** Top-1 accuracy (fraction). */
  accuracy: number;
  correct: number;
  images: number;
  seconds: number;
}

function nchw(shape: readonly number[]): FeedDims {
  return (count) => [count, ...shape];
}

function imageSize(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Top-1 accuracy of `executor` on `data`, streamed in batches. */
export async function classify(executor: GraphExecutor, data: LabelledImages, options: ClassifyOptions): Promise<ClassifyResult> {
  const batchSize = expectNumber('batchSize', options.batchSize, { integer: true, min: 1 });
  const count = options.limit === undefined ? data.count : Math.min(data.count, expectNumber('limit', options.limit, { integer: true, min: 1 }));
  const dims = options.feedDims ?? nchw(data.shape);
  const size = imageSize(data.shape);
  let correct = 0;
  const started = performance.now();
  for (let start = 0; start < count; start += batchSize) {
    if (options.signal?.aborted) throw new NaxError(ErrorCodes.cancelled, 'evaluation was cancelled');
    const n = Math.min(batchSize, count - start);
    const out = await executor.runBatch(data.images.subarray(start * size, (start + n) * size), dims(n));
    const logits = out.data as Float32Array;
    const classes = logits.length / n;
    if (!Number.isInteger(classes) || classes < 2)
      throw new NaxError(ErrorCodes.sizeMismatch, `expected a [batch, classes] model output, got dims [${out.dims.join(', ')}]`);
    for (let i = 0; i < n; i++) {
      let best = 0;
      for (let c = 1; c < classes; c++) if (logits[i * classes + c] > logits[i * classes + best]) best = c;
      if (options.predictions) options.predictions[start + i] = best;
      if (best === data.labels[start + i]) correct++;
    }
    options.onLogits?.(logits, start, n);
    options.onBatch?.(start + n);
  }
  return { accuracy: correct / Math.max(1, count), correct, images: count, seconds: (performance.now() - started) / 1000 };
}

export interface CalibrateOptions {
  /** Images used (the first ones of `data`). */
  images: number;
  /** Images per ideal-mode batch (default: all in one batch). */
  batchSize?: number;
  feedDims?: FeedDims;
  threads?: number;
}

/** Each crossbar layer's input range (max |x|, min) over the first `images` images, in ideal mode. */
export async function calibrate(graph: Graph, data: Pick<LabelledImages, 'images' | 'count' | 'shape'>, options: CalibrateOptions): Promise<Map<string, InputRange>> {
  return calibrateInputRanges(graph, calibrationBatches(data, options), { threads: options.threads });
}

/** The first `options.images` images of `data` as executor batches (views, no copies): what calibrate runs. */
export function calibrationBatches(data: Pick<LabelledImages, 'images' | 'count' | 'shape'>, options: Omit<CalibrateOptions, 'threads'>): { images: Float32Array; dims: number[] }[] {
  const count = Math.min(expectNumber('calibrationImages', options.images, { integer: true, min: 1 }), data.count);
  const batchSize = options.batchSize === undefined ? count : expectNumber('batchSize', options.batchSize, { integer: true, min: 1 });
  const dims = options.feedDims ?? nchw(data.shape);
  const size = imageSize(data.shape);
  const batches: { images: Float32Array; dims: number[] }[] = [];
  for (let s = 0; s < count; s += batchSize) {
    const n = Math.min(batchSize, count - s);
    batches.push({ images: data.images.subarray(s * size, (s + n) * size), dims: dims(n) });
  }
  return batches;
}

export interface CrossbarClassifyOptions extends ClassifyOptions {
  threads?: number;
  /**
   * Calibration set for layers with adcRange 'calibrated': before scoring, it runs through the
   * programmed layers (float activations downstream) and fixes each ADC range to the largest ADC
   * input over all of it (crossbarBackend.calibrateAdcs). Without it such a layer's range comes
   * from its first scored batch (the engine's fallback).
   */
  adcCalibration?: Pick<LabelledImages, 'images' | 'count' | 'shape'>;
}

export interface CrossbarClassifyResult extends ClassifyResult {
  /** Wall time to program every layer (quantize, variation, parasitic transfer matrices), seconds. */
  programSeconds: number;
}

/** Programs `graph` on crossbars exactly as `plan` says, scores `data`, and frees the arrays. */
export async function classifyOnCrossbars(
  graph: Graph,
  plan: CrossbarPlan,
  data: LabelledImages,
  options: CrossbarClassifyOptions,
): Promise<CrossbarClassifyResult> {
  const backend = crossbarBackend(plan);
  try {
    const t0 = performance.now();
    const executor = await GraphExecutor.create(graph, { mode: 'crossbar', backend, threads: options.threads });
    const programSeconds = (performance.now() - t0) / 1000;
    const cal = options.adcCalibration;
    if (cal && plan.layers.some((l) => l.config.adcRange === 'calibrated')) {
      const labels = new Int32Array(cal.count);
      await backend.calibrateAdcs(async () => {
        await classify(executor, { ...cal, labels }, { batchSize: options.batchSize, feedDims: options.feedDims, signal: options.signal });
      });
    }
    return { ...(await classify(executor, data, options)), programSeconds };
  } finally {
    backend.dispose();
  }
}

/** Accuracies of one model over device instances, for records (results.json, --json). */
export interface ChipAccuracies {
  chips: number;
  /** Accuracy of chip 0, 1, ... */
  accuracies: number[];
  mean: number;
  /** Sample standard deviation over the chips; null with one chip. */
  std: number | null;
  /** Student-t 95% confidence interval of the mean; null with one chip. */
  ci95: [number, number] | null;
}

/** The record of a classifyOverChips run (what eval, sweep and evolve report). */
export function chipAccuracies(run: Pick<ChipsClassifyResult, 'accuracies' | 'summary'>): ChipAccuracies {
  const { accuracies, summary } = run;
  return { chips: accuracies.length, accuracies, mean: summary.mean, std: summary.std, ci95: summary.ci95 };
}

/** Most device instances one evaluation scores (the CLI's --chips limit). */
export const MAX_CHIPS = 1000;

/** As for classifyOnCrossbars, with onBatch counting the images of the chip in progress; `correct` replaces `predictions`. */
export interface ChipsClassifyOptions extends Omit<CrossbarClassifyOptions, 'predictions'> {
  /** Device instances scored: chips 0 .. chips - 1 (default 1: chip 0 only, as a single run). */
  chips?: number;
  /** After each chip: chips done so far. */
  onChip?: (done: number, chips: number) => void;
}

export interface ChipsClassifyResult {
  /** Chip indices scored (0 .. chips - 1). */
  chips: number[];
  /** Top-1 accuracy of each chip, in `chips` order. */
  accuracies: number[];
  /** Mean, sample std and Student-t 95% interval of `accuracies` (std and interval null for one chip). */
  summary: SampleSummary;
  images: number;
  /**
   * Correctness of every (chip, image): entry chip * images + image is 1 when that chip classified
   * that image right. Two models scored on the same images and chips pair entry by entry
   * (McNemar's test, lib/stats).
   */
  correct: Uint8Array;
  /** Wall time of the runs and of programming, summed over the chips, seconds. */
  seconds: number;
  programSeconds: number;
}

/**
 * Scores `chips` device instances of the same plan: each chip is `plan` re-seeded for it
 * (planForChip: its own variation, faults and read noise), programmed, run over the same images
 * and freed. Chip 0 is exactly `classifyOnCrossbars(graph, plan, ...)` of a chip-0 plan.
 */
export async function classifyOverChips(
  graph: Graph,
  plan: CrossbarPlan,
  data: LabelledImages,
  options: ChipsClassifyOptions,
): Promise<ChipsClassifyResult> {
  const chips = expectNumber('chips', options.chips ?? 1, { integer: true, min: 1, max: MAX_CHIPS });
  const images = options.limit === undefined ? data.count : Math.min(data.count, expectNumber('limit', options.limit, { integer: true, min: 1 }));
  const correct = new Uint8Array(chips * images);
  const predictions = new Int32Array(images);
  const accuracies: number[] = [];
  let seconds = 0, programSeconds = 0;
  for (let chip = 0; chip < chips; chip++) {
    const run = await classifyOnCrossbars(graph, planForChip(plan, chip), data, { ...options, limit: images, predictions });
    for (let i = 0; i < images; i++) correct[chip * images + i] = predictions[i] === data.labels[i] ? 1 : 0;
    accuracies.push(run.accuracy);
    seconds += run.seconds;
    programSeconds += run.programSeconds;
    options.onChip?.(chip + 1, chips);
  }
  return { chips: Array.from({ length: chips }, (_, c) => c), accuracies, summary: summarize(accuracies, [0, 1]), images, correct, seconds, programSeconds };
}
