/**
 * Loads the native addon once and exposes one typed surface. Tries every
 * location a build can leave it in, collects each failure, and throws one
 * NaxError that lists the fixes (sharp's loader does the same).
 */
import * as fs from 'fs';
import * as path from 'path';
import { NaxError, ErrorCodes } from './errors';
import type { CrossbarNative } from './crossbar/native';
import type { CircuitNative } from './circuit/native';
import type { TrainNative } from './train/native';
import type { RuntimeNative } from './runtime/native';

/** Package root: lib/ (ts-jest) and dist/ (compiled) both sit one level below. */
export const packageRoot = path.resolve(__dirname, '..');

// ---- typed surface, one section per concern --------------------------------
export interface NativeVersion {
  napi: number;
  threads: number;
}

/** Options of the one matrix-product entry (native/binding/gemm_binding.cc), row-major. */
export interface NativeGemmOptions<T extends Float32Array | Float64Array> {
  transA?: boolean;
  transB?: boolean;
  m: number;
  n: number;
  k: number;
  alpha?: number;
  beta?: number;
  a: T;
  /** Row stride of a in elements; default the row length of a. */
  lda?: number;
  b: T;
  ldb?: number;
  c: T;
  ldc?: number;
  /** 0 = all cores. */
  threads?: number;
}

export interface NativeCore {
  version(): NativeVersion;
  /** The class native code makes its errors with (once per environment, right after loading). */
  setErrorClass(errorClass: new (code: string, message: string) => Error): void;
  /** C = alpha * op(A) * op(B) + beta * C in place on c: sgemm for Float32Arrays, dgemm for Float64Arrays. */
  gemm(opts: NativeGemmOptions<Float32Array> | NativeGemmOptions<Float64Array>): Promise<void>;
}

// Concerns extend this interface (circuit, crossbar, train, ...).
export interface NativeAddon extends NativeCore, TrainNative, CrossbarNative, CircuitNative {
  /** The graph executor's kernels (native/binding/runtime_binding.cc). */
  runtime: RuntimeNative;
}

let cached: NativeAddon | undefined;

export function addonCandidates(): string[] {
  const list: string[] = [];
  if (process.env.NAX_NATIVE_ADDON) list.push(path.resolve(process.env.NAX_NATIVE_ADDON));
  for (const config of ['Release', 'Debug', 'RelWithDebInfo']) list.push(path.join(packageRoot, 'build', config, 'nax_native.node'));
  return list;
}

export function loadAddon(): NativeAddon {
  if (cached) return cached;
  const failures: string[] = [];
  for (const candidate of addonCandidates()) {
    if (!fs.existsSync(candidate)) {
      failures.push(`${candidate}: not found`);
      continue;
    }
    try {
      // eslint-disable-next-line @typescript-eslint/no-var-requires
      const addon = require(candidate) as NativeAddon;
      // Native errors become real NaxError instances with a stable .code.
      addon.setErrorClass(NaxError);
      cached = addon;
      return cached;
    } catch (err) {
      failures.push(`${candidate}: ${(err as Error).message}`);
    }
  }
  throw new NaxError(
    ErrorCodes.addonLoad,
    [
      'could not load the nax-native addon. Tried:',
      ...failures.map((f) => `  - ${f}`),
      'Possible fixes:',
      '  - build it: `npm run build` (needs CMake >= 3.15 and a C++17 compiler), or `npm run build:gyp`',
      '  - on Debian/Ubuntu: `apt-get install g++ cmake`, then `npm rebuild nax-native`',
      '  - set NAX_NATIVE_ADDON to the path of a built nax_native.node',
    ].join('\n'),
  );
}

/**
 * Calls an async native function and re-throws its error as a NaxError with
 * the JS call site's stack (native rejections carry no useful stack). Every
 * native call in lib/ goes through this or callNativeSync.
 */
export async function callNative<T>(fn: () => Promise<T>): Promise<T> {
  const site = new Error();
  try {
    return await fn();
  } catch (err) {
    throw rethrowNative(err, site);
  }
}

/** The native GEMM (C = alpha * op(A) * op(B) + beta * C, in place on c), through callNative. */
export function gemm(opts: NativeGemmOptions<Float32Array> | NativeGemmOptions<Float64Array>): Promise<void> {
  return callNative(() => loadAddon().gemm(opts));
}

/** Same, for synchronous native calls. */
export function callNativeSync<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw rethrowNative(err, new Error());
  }
}

function rethrowNative(err: unknown, site: Error): NaxError {
  if (err instanceof NaxError) {
    // Native code makes NaxErrors (setErrorClass); one rejected after an async worker has no JS frames: give it the call site's.
    if (!/\n\s+at /.test(err.stack ?? '')) err.stack = `${err.name}: ${err.message}\n${frames(site)}`;
    return err;
  }
  const e = err as { code?: unknown; message?: unknown };
  const code = typeof e?.code === 'string' ? e.code : ErrorCodes.internal;
  const out = new NaxError(code, typeof e?.message === 'string' ? e.message : String(err));
  out.stack = `NaxError: ${out.message}\n${frames(site)}`;
  return out;
}

function frames(site: Error): string {
  return (site.stack ?? '').split('\n').slice(1).join('\n');
}
