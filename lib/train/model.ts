/**
 * A trainable network: the native executor plus its parameters, seeded
 * initialisation, state snapshots (for checkpoints) and batched evaluation.
 */
import { loadAddon, callNative, callNativeSync } from '../native';
import type { TrainArray, TrainNetNative, TrainParamInfo } from './native';
import { Rng } from '../search/random';
import type { NetworkSpec } from './network';
import { defaultAccelerator, type Accelerator } from '../crossbar/config';
import { expectOneOf } from '../errors';

export interface ModelOptions {
  /** float32 trains; float64 is for gradient checks. */
  precision?: 'float32' | 'float64';
  /** Native threads (0 = all cores). Results are identical for any count. */
  threads?: number;
  /** Initialise weights from this seed (default 0). */
  seed?: number;
  /**
   * 'cuda': the convolutions (forward, data and weight gradients) run on the CUDA library
   * (README "CUDA"); results agree with the CPU's to float rounding. Default NAX_ACCELERATOR,
   * else 'cpu'. A NaxError (ERR_NAX_CONFIG) when CUDA cannot run here.
   */
  accelerator?: Accelerator;
}

/** Everything that defines a model's numbers (parameters, BN statistics, momentum buffers). */
export interface ModelState {
  params: Record<string, Float32Array | Float64Array>;
  velocity: Record<string, Float32Array | Float64Array>;
  kernels: number[];
}

export interface EvalResult {
  correct: number;
  count: number;
  accuracy: number;
  loss: number;
}

export interface ImageSet {
  images: Float32Array;
  labels: Uint8Array;
  count: number;
}

/** Standard normal from two uniforms of the shared xoshiro generator. */
function normal(rng: Rng): number {
  const u1 = rng.nextFloat() || 1e-12;
  const u2 = rng.nextFloat();
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

export class TrainModel {
  readonly spec: NetworkSpec;
  readonly native: TrainNetNative;
  readonly params: TrainParamInfo[];
  readonly precision: 'float32' | 'float64';

  constructor(spec: NetworkSpec, options: ModelOptions = {}) {
    this.spec = spec;
    this.precision = options.precision ?? 'float32';
    this.native = callNativeSync(
      () =>
        new (loadAddon().TrainNet)({
          nodes: spec.nodes,
          inputShape: spec.inputShape,
          precision: this.precision,
          threads: options.threads ?? 0,
          accelerator: options.accelerator === undefined ? defaultAccelerator() : expectOneOf('accelerator', options.accelerator, ['cpu', 'cuda'] as const),
        }),
    );
    this.params = callNativeSync(() => this.native.paramInfo());
    this.initialize(options.seed ?? 0);
  }

  get inputSize(): number {
    return this.spec.inputShape[0] * this.spec.inputShape[1] * this.spec.inputShape[2];
  }

  /**
   * He (Kaiming) normal init, fan-out mode for convs (as torchvision's ResNet),
   * PyTorch's uniform(+-1/sqrt(fan_in)) for linear layers; BN gamma 1, beta 0.
   */
  initialize(seed: number): void {
    const rng = new Rng(seed);
    const linear = new Set(this.spec.nodes.filter((n) => n.op === 'linear').map((n) => n.name));
    this.params.forEach((p, i) => {
      const size = p.shape.reduce((a, b) => a * b, 1);
      const values = this.precision === 'float64' ? new Float64Array(size) : new Float32Array(size);
      const owner = p.name.slice(0, p.name.lastIndexOf('.'));
      const kind = p.name.slice(p.name.lastIndexOf('.') + 1);
      const isBn = this.spec.nodes.some((n) => n.op === 'batchnorm' && n.name === owner);
      if (isBn) {
        if (kind === 'weight' || kind === 'running_var') values.fill(1);
      } else if (linear.has(owner)) {
        const bound = 1 / Math.sqrt(kind === 'weight' ? p.shape[1] : this.params[i - 1].shape[1]);
        for (let j = 0; j < size; j++) values[j] = (rng.nextFloat() * 2 - 1) * bound;
      } else if (kind === 'weight') {
        const std = Math.sqrt(2 / (p.shape[0] * p.shape[2] * p.shape[3]));
        for (let j = 0; j < size; j++) values[j] = normal(rng) * std;
      } else if (kind === 'bias') {
        const fanIn = this.params[i - 1].shape.slice(1).reduce((a, b) => a * b, 1);
        const bound = 1 / Math.sqrt(fanIn);
        for (let j = 0; j < size; j++) values[j] = (rng.nextFloat() * 2 - 1) * bound;
      }
      callNativeSync(() => this.native.setParam(i, values));
      if (p.trainable) callNativeSync(() => this.native.setVelocity(i, values.map(() => 0)));
    });
  }

  paramIndex(name: string): number {
    const i = this.params.findIndex((p) => p.name === name);
    if (i < 0) throw new RangeError(`no parameter ${name}`);
    return i;
  }
  getParam(name: string): TrainArray {
    const i = this.paramIndex(name);
    return callNativeSync(() => this.native.getParam(i));
  }
  setParam(name: string, values: TrainArray): void {
    callNativeSync(() => this.native.setParam(this.paramIndex(name), values));
  }

  kernelChoices(): number[][] {
    return callNativeSync(() => this.native.kernelChoices());
  }
  searchableNames(): string[] {
    return callNativeSync(() => this.native.searchableNames());
  }
  kernels(): number[] {
    return callNativeSync(() => this.native.kernels());
  }
  setKernels(kernels: number[]): void {
    callNativeSync(() => this.native.setKernels(kernels));
  }
  setThreads(threads: number): void {
    callNativeSync(() => this.native.setThreads(threads));
  }

  state(): ModelState {
    const params: ModelState['params'] = {};
    const velocity: ModelState['velocity'] = {};
    this.params.forEach((p, i) => {
      params[p.name] = callNativeSync(() => this.native.getParam(i));
      if (p.trainable) velocity[p.name] = callNativeSync(() => this.native.getVelocity(i));
    });
    return { params, velocity, kernels: this.kernels() };
  }

  loadState(state: ModelState): void {
    this.params.forEach((p, i) => {
      const values = state.params[p.name];
      if (!values) throw new RangeError(`state lacks parameter ${p.name}`);
      callNativeSync(() => this.native.setParam(i, values));
      const v = state.velocity[p.name];
      if (p.trainable && v) callNativeSync(() => this.native.setVelocity(i, v));
    });
    if (state.kernels.length) this.setKernels(state.kernels);
  }

  /** Logits (count x classes) in inference mode (running BN statistics). */
  async predict(images: Float32Array, count: number, batchSize = 256): Promise<Float32Array> {
    const classes = this.spec.classes;
    const out = new Float32Array(count * classes);
    for (let start = 0; start < count; start += batchSize) {
      const n = Math.min(batchSize, count - start);
      const r = await callNative(() =>
        this.native.forward({ images: images.subarray(start * this.inputSize, (start + n) * this.inputSize), count: n }),
      );
      out.set(r.logits, start * classes);
    }
    return out;
  }

  /** Accuracy and mean cross-entropy in inference mode. */
  async evaluate(data: ImageSet, batchSize = 256): Promise<EvalResult> {
    let correct = 0, lossSum = 0;
    for (let start = 0; start < data.count; start += batchSize) {
      const n = Math.min(batchSize, data.count - start);
      const r = await callNative(() =>
        this.native.forward({
          images: data.images.subarray(start * this.inputSize, (start + n) * this.inputSize),
          labels: data.labels.subarray(start, start + n),
          count: n,
        }),
      );
      correct += r.correct ?? 0;
      lossSum += (r.loss ?? 0) * n;
    }
    return { correct, count: data.count, accuracy: correct / Math.max(1, data.count), loss: lossSum / Math.max(1, data.count) };
  }

  /**
   * Re-estimates BatchNorm running statistics as the exact average over
   * `batches` training-mode forward passes (momentum 1/(i+1)), with the
   * current kernels: what a subnet of a supernet needs before evaluation.
   */
  async recalibrateBatchNorm(data: ImageSet, options: { batches?: number; batchSize?: number } = {}): Promise<void> {
    const batchSize = options.batchSize ?? 128;
    const batches = Math.min(options.batches ?? 20, Math.floor(data.count / batchSize) || 1);
    for (let b = 0; b < batches; b++) {
      const start = b * batchSize;
      const n = Math.min(batchSize, data.count - start);
      if (n < 2) break;
      await callNative(() =>
        this.native.forward({
          images: data.images.subarray(start * this.inputSize, (start + n) * this.inputSize),
          count: n,
          train: true,
          updateStats: true,
          momentum: 1 / (b + 1),
        }),
      );
    }
  }
}
