/**
 * Typed surface of the executor's native kernels (native/binding/runtime_binding.cc).
 * Each call writes into a caller-allocated `output` and resolves when done.
 * Matrix products go through the one GEMM entry (lib/native.ts `gemm`).
 */
import { callNative, loadAddon } from '../native';
import type { RuntimeNative } from './native-types';

export type { ActivationOptions, ConvGeometryOptions, ConvTransposeGeometryOptions, RuntimeNative } from './native-types';

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
    convTransposeScatter: route('convTransposeScatter'),
  };
  return routed;
}
