/**
 * Typed surface of the executor's native kernels (native/binding/runtime_binding.cc).
 * Each call writes into a caller-allocated `output` and resolves when done.
 * Matrix products go through the one GEMM entry (lib/native.ts `gemm`).
 */
import { callNative, loadAddon } from '../native';

export interface ActivationOptions {
  /** 0 none, 1 relu, 2 clip(clipMin, clipMax), 3 leaky relu(alpha). */
  activation?: 0 | 1 | 2 | 3;
  clipMin?: number;
  clipMax?: number;
  alpha?: number;
}

export interface ConvGeometryOptions {
  batch: number;
  inChannels: number;
  height: number;
  width: number;
  outChannels: number;
  groups?: number;
  kernelH: number;
  kernelW: number;
  padTop?: number;
  padLeft?: number;
  padBottom?: number;
  padRight?: number;
  strideH?: number;
  strideW?: number;
  dilationH?: number;
  dilationW?: number;
  threads?: number;
}

export interface RuntimeNative {
  conv2d(o: ConvGeometryOptions & ActivationOptions & { input: Float32Array; weights: Float32Array; bias?: Float32Array; output: Float32Array }): Promise<void>;
  pool2d(o: {
    batch: number; channels: number; height: number; width: number; outH: number; outW: number;
    kernelH: number; kernelW: number; padTop?: number; padLeft?: number; padBottom?: number; padRight?: number;
    strideH?: number; strideW?: number; dilationH?: number; dilationW?: number;
    isMax: 0 | 1; countIncludePad?: 0 | 1; threads?: number; input: Float32Array; output: Float32Array;
  }): Promise<void>;
  globalAveragePool(o: { planes: number; spatial: number; threads?: number; input: Float32Array; output: Float32Array }): Promise<void>;
  batchedMatmul(o: {
    m: number; n: number; k: number; threads?: number; a: Float32Array; b: Float32Array;
    aOffsets: BigInt64Array; bOffsets: BigInt64Array; output: Float32Array;
  }): Promise<void>;
  biasActivation(o: ActivationOptions & { batch: number; channels: number; inner: number; threads?: number; data: Float32Array; bias?: Float32Array }): Promise<void>;
  im2rowBatch(o: ConvGeometryOptions & { group?: number; input: Float32Array; rows: Float32Array }): Promise<void>;
  scatterRows(o: ActivationOptions & {
    batch: number; pixels: number; n: number; outChannels: number; group?: number; threads?: number;
    rows: Float32Array; bias?: Float32Array; output: Float32Array;
  }): Promise<void>;
  /** output = a (op) b elementwise (0 add, 1 sub, 2 mul), same length; output may alias a or b. */
  elementwise(o: { op: 0 | 1 | 2; relu?: 0 | 1; threads?: number; a: Float32Array; b: Float32Array; output: Float32Array }): Promise<void>;
}

let routed: RuntimeNative | undefined;

/**
 * The runtime kernels of the loaded addon, every call routed through
 * callNative (a NaxError with the JS call site's stack on failure). Tests of
 * the binding's own checks call `loadAddon().runtime` directly.
 */
export function runtimeNative(): RuntimeNative {
  if (routed) return routed;
  const raw = loadAddon().runtime;
  const route =
    <K extends keyof RuntimeNative>(name: K) =>
    (options: Parameters<RuntimeNative[K]>[0]): Promise<void> =>
      callNative(() => (raw[name] as (o: typeof options) => Promise<void>)(options));
  routed = {
    conv2d: route('conv2d'),
    pool2d: route('pool2d'),
    globalAveragePool: route('globalAveragePool'),
    batchedMatmul: route('batchedMatmul'),
    biasActivation: route('biasActivation'),
    im2rowBatch: route('im2rowBatch'),
    scatterRows: route('scatterRows'),
    elementwise: route('elementwise'),
  };
  return routed;
}
