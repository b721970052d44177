/**
 * The training loop: seeded shuffling, cosine LR with warm-up, SGD with
 * momentum, optional augmentation, single-path supernet sampling (one kernel
 * per searchable conv per batch), per-epoch evaluation and atomic checkpoints.
 * Every random choice derives from (seed, epoch), so a run resumed from an
 * epoch checkpoint ends with exactly the weights of an uninterrupted one.
 */
import * as fs from 'fs';
import { NaxError, ErrorCodes, expectNumber, expectOneOf, invalid, rejectUnknownKeys } from '../errors';
import { callNative, callNativeSync } from '../native';
import { Rng } from '../search/random';
import { loadCheckpoint, saveCheckpoint } from './checkpoint';
import { TrainModel } from './model';
import type { EvalResult, ImageSet, ModelOptions } from './model';
import type { NetworkSpec } from './network';
import { allowedKernels, cosineLr, type KernelSchedule } from './schedule';

export interface TrainOptions {
  epochs: number;
  batchSize?: number;
  /** Peak learning rate (default 0.1, for batch 128 with BatchNorm). */
  lr?: number;
  minLr?: number;
  /** Warm-up length in epochs (fractions allowed; default 0.3). */
  warmupEpochs?: number;
  momentum?: number;
  nesterov?: boolean;
  weightDecay?: number;
  seed?: number;
  /** Random crop (zero padding `pad`) and horizontal flip; default none. */
  augment?: { pad?: number; flip?: boolean };
  /**
   * Hardware-aware training: the forward pass sees conv/linear weights
   * quantized to `weightBits` (sign + magnitude, per-layer max|w| scale) and
   * perturbed as programmed crossbar cells, w' = q(w) exp(multiplicativeSigma n1)
   * + additiveSigma max|w| n2 (fresh noise every step); gradients pass straight through.
   */
  hardwareAware?: { weightBits?: number; multiplicativeSigma?: number; additiveSigma?: number };
  /** Sample one kernel per searchable conv per batch (single-path one-shot supernet training). */
  supernet?: boolean;
  /**
   * With `supernet`: which kernels may be sampled when (Once-for-All progressive shrinking: the
   * largest kernel alone first). Default: every choice from the first step.
   */
  kernelSchedule?: KernelSchedule;
  /** Evaluated after every epoch when given. */
  validation?: ImageSet;
  /** Checkpoint written after every epoch (atomic); with `resume` training continues from it. */
  checkpoint?: string;
  resume?: boolean;
  /** Stop after this many epochs of this call (the schedule still spans `epochs`); for tests of resume. */
  stopAfterEpochs?: number;
  signal?: AbortSignal;
  onProgress?: (p: TrainProgress) => void;
  /** Called after every epoch (after evaluation and checkpoint). */
  onEpoch?: (r: EpochRecord) => void;
}

export interface TrainProgress {
  epoch: number;
  epochs: number;
  step: number;
  stepsPerEpoch: number;
  /** Mean loss and accuracy of the epoch so far. */
  loss: number;
  accuracy: number;
  /** Loss of this step's batch alone (what a training curve plots). */
  stepLoss: number;
  lr: number;
  imagesPerSecond: number;
}

export interface EpochRecord {
  epoch: number;
  loss: number;
  trainAccuracy: number;
  seconds: number;
  validation?: EvalResult;
}

export interface TrainResult {
  epochs: EpochRecord[];
  seconds: number;
}

export interface TrainCheckpointMeta {
  history: EpochRecord[];
  seed: number;
  epochs: number;
  /** The network the weights belong to (absent in checkpoints of older builds). */
  spec?: NetworkSpec;
}

export const TRAIN_DEFAULTS = {
  batchSize: 128,
  lr: 0.1,
  minLr: 0,
  warmupEpochs: 0.3,
  momentum: 0.9,
  nesterov: true,
  weightDecay: 5e-4,
  seed: 0,
};

/** Stream seeds per purpose, so shuffling and kernel sampling never share draws. */
function epochRng(seed: number, epoch: number, purpose: number): Rng {
  return new Rng((seed % 1000003) * 1000 * 16 + epoch * 16 + purpose);
}

/** The batch order of one epoch. */
export function epochOrder(count: number, seed: number, epoch: number): Uint32Array {
  const order = new Uint32Array(count);
  for (let i = 0; i < count; i++) order[i] = i;
  return epochRng(seed, epoch, 1).shuffle(order);
}

/**
 * Kernel per searchable conv for every batch of an epoch (single-path sampling, uniform over the
 * kernels `schedule` allows at that step; every choice when no schedule is given).
 */
export function sampleEpochKernels(
  choices: number[][], steps: number, seed: number, epoch: number,
  schedule?: { kernels: KernelSchedule; totalSteps: number },
): number[][] {
  const rng = epochRng(seed, epoch, 2);
  const out: number[][] = [];
  for (let s = 0; s < steps; s++) {
    const step = epoch * steps + s;
    out.push(choices.map((c) => {
      const allowed = schedule ? allowedKernels(c, step, schedule.totalSteps, schedule.kernels) : c;
      return allowed[rng.int(allowed.length)];
    }));
  }
  return out;
}

function checkKernelSchedule(value: unknown): KernelSchedule | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid('kernelSchedule', "an object { largestFraction, stages }", value);
  rejectUnknownKeys('kernelSchedule', value, ['largestFraction', 'stages', 'sandwich']);
  const v = value as Partial<KernelSchedule>;
  return {
    largestFraction: expectNumber('kernelSchedule.largestFraction', v.largestFraction ?? 0, { min: 0, max: 1 }),
    stages: expectOneOf('kernelSchedule.stages', v.stages ?? 'all', ['all', 'progressive'] as const),
    sandwich: expectOneOf('kernelSchedule.sandwich', v.sandwich ?? false, [true, false] as const),
  };
}

export async function trainModel(model: TrainModel, data: ImageSet, options: TrainOptions): Promise<TrainResult> {
  // Keys given as undefined keep their defaults.
  const given = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as TrainOptions;
  const o = { ...TRAIN_DEFAULTS, ...given };
  const epochs = expectNumber('epochs', o.epochs, { integer: true, min: 1 });
  const batchSize = expectNumber('batchSize', o.batchSize, { integer: true, min: 2 });
  const stepsPerEpoch = Math.floor(data.count / batchSize);
  if (stepsPerEpoch < 1) throw new NaxError(ErrorCodes.outOfRange, `expected at least batchSize (${batchSize}) training images, got ${data.count}`);
  const totalSteps = epochs * stepsPerEpoch;
  const warmupSteps = Math.round(expectNumber('warmupEpochs', o.warmupEpochs, { min: 0 }) * stepsPerEpoch);
  const kernelSchedule = checkKernelSchedule(o.kernelSchedule);
  const inputSize = model.inputSize;
  const choices = model.kernelChoices();
  const fixedKernels = model.kernels();

  let startEpoch = 0;
  let history: EpochRecord[] = [];
  if (o.resume && o.checkpoint && fs.existsSync(o.checkpoint)) {
    const c = loadCheckpoint<TrainCheckpointMeta>(o.checkpoint);
    if (c.meta.seed !== o.seed || c.meta.epochs !== epochs)
      throw new NaxError(ErrorCodes.config, `expected checkpoint ${o.checkpoint} to come from a run with seed ${o.seed} and ${epochs} epochs, got seed ${c.meta.seed} and ${c.meta.epochs}`);
    if (c.meta.spec && JSON.stringify(c.meta.spec.nodes) !== JSON.stringify(model.spec.nodes))
      throw new NaxError(ErrorCodes.config, `expected checkpoint ${o.checkpoint} to hold this network (${model.spec.arch}), got a different ${c.meta.spec.arch}`);
    model.loadState(c.state);
    startEpoch = c.epoch;
    history = c.meta.history;
  }

  if (o.hardwareAware) callNativeSync(() => model.native.setHardwareAware({ enabled: true, seed: o.seed, weightBits: 8, ...o.hardwareAware }));
  const images = new Float32Array(batchSize * inputSize);
  const labels = new Uint8Array(batchSize);
  const t0 = Date.now();
  const lastEpoch = o.stopAfterEpochs !== undefined ? Math.min(epochs, startEpoch + o.stopAfterEpochs) : epochs;
  try {
    for (let epoch = startEpoch; epoch < lastEpoch; epoch++) {
      const te = Date.now();
      const order = epochOrder(data.count, o.seed, epoch);
      const kernelPlan = o.supernet ? sampleEpochKernels(choices, stepsPerEpoch, o.seed, epoch, kernelSchedule && { kernels: kernelSchedule, totalSteps }) : null;
      let lossSum = 0, correct = 0, seen = 0;
      for (let s = 0; s < stepsPerEpoch; s++) {
        if (o.signal?.aborted) throw new NaxError(ErrorCodes.cancelled, 'training was cancelled');
        for (let i = 0; i < batchSize; i++) {
          const idx = order[s * batchSize + i];
          images.set(data.images.subarray(idx * inputSize, (idx + 1) * inputSize), i * inputSize);
          labels[i] = data.labels[idx];
        }
        if (kernelPlan) model.setKernels(kernelPlan[s]);
        const step = epoch * stepsPerEpoch + s;
        const lr = cosineLr(step, { lr: o.lr, totalSteps, warmupSteps, minLr: o.minLr });
        const r = await callNative(() =>
          model.native.trainStep({
            images, labels, count: batchSize, lr,
            momentum: o.momentum, weightDecay: o.weightDecay, nesterov: o.nesterov,
            augment: o.augment ? { pad: o.augment.pad ?? 0, flip: o.augment.flip ?? false, seed: o.seed, step } : undefined,
            noiseStep: step,
          }),
        );
        if (!Number.isFinite(r.loss)) throw new NaxError(ErrorCodes.numerical, `expected a finite loss, got ${r.loss} at epoch ${epoch + 1} step ${s + 1} (lower lr?)`);
        lossSum += r.loss * batchSize;
        correct += r.correct;
        seen += batchSize;
        o.onProgress?.({
          epoch: epoch + 1, epochs, step: s + 1, stepsPerEpoch, loss: lossSum / seen, accuracy: correct / seen, stepLoss: r.loss, lr,
          imagesPerSecond: seen / Math.max(1e-3, (Date.now() - te) / 1000),
        });
      }
      if (kernelPlan) model.setKernels(fixedKernels);
      const record: EpochRecord = { epoch: epoch + 1, loss: lossSum / seen, trainAccuracy: correct / seen, seconds: (Date.now() - te) / 1000 };
      if (o.validation) record.validation = await model.evaluate(o.validation);
      history.push(record);
      if (o.checkpoint) saveCheckpoint(o.checkpoint, { state: model.state(), epoch: epoch + 1, meta: { history, seed: o.seed, epochs, spec: model.spec } satisfies TrainCheckpointMeta });
      o.onEpoch?.(record);
    }
  } finally {
    if (o.hardwareAware) callNativeSync(() => model.native.setHardwareAware({ enabled: false }));
  }
  return { epochs: history, seconds: (Date.now() - t0) / 1000 };
}

/** Rebuilds a trained model (e.g. a supernet) from a trainer checkpoint alone. */
export function modelFromCheckpoint(file: string, options: Omit<ModelOptions, 'seed' | 'precision'> = {}): { model: TrainModel; epoch: number; meta: TrainCheckpointMeta } {
  const c = loadCheckpoint<TrainCheckpointMeta>(file);
  if (!c.meta?.spec) throw new NaxError(ErrorCodes.config, `expected checkpoint ${file} to record its network, got none (written by an older build)`);
  const model = new TrainModel(c.meta.spec, options);
  model.loadState(c.state);
  return { model, epoch: c.epoch, meta: c.meta };
}
