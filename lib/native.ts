/**
 * Loads the native addon once and exposes one typed surface. Tries every
 * location a build can leave it in, collects each failure, and throws one
 * NaxError that lists the fixes (sharp's loader does the same).
 */
import * as fs from 'fs';
import * as path from 'path';
import { NaxError, ErrorCodes, expectOneOf } from './errors';
import { supportedIsaLevels } from './cpu';
import type { CrossbarNative } from './crossbar/native';
import type { CircuitNative } from './circuit/native';
import type { TrainNative } from './train/native';
import type { RuntimeAddon } from './runtime/native-types';

/** Package root: lib/ (ts-jest) and dist/ (compiled) both sit one level below. */
export const packageRoot = path.resolve(__dirname, '..');

// ---- typed surface, one section per concern --------------------------------
export interface NativeVersion {
  napi: number;
  threads: number;
  /** The instruction set the core was compiled for (CMake NAX_ISA: native, x86-64, x86-64-v3, ...). */
  isa: string;
  /** Widest vector register the kernels use, bytes (16 SSE/NEON, 32 AVX2, 64 AVX-512). */
  vectorBytes: number;
  /** Fused multiply-add in the kernels (float GEMM results then differ from non-FMA builds in the last bits). */
  fma: boolean;
  avx512: boolean;
  avx2: boolean;
  neon: boolean;
  compiler: string;
  /** Which kernels run now (setKernelPath; initially the NAX_KERNELS environment variable). */
  kernels: KernelPath;
  /** The optional CUDA library (native/cuda), probed once: dlopen plus a device query. */
  cuda: {
    available: boolean;
    /** "available (device, compute capability, memory)" or "not available (reason)". */
    description: string;
    /** Path of the library loaded, or the one looked for. */
    library: string;
    device?: string;
  };
}

/** 'default': the current kernels; 'baseline': the GEMM/conv/BatchNorm kernels before issue 16, kept for benchmarks. */
export type KernelPath = 'default' | 'baseline';
export const KERNEL_PATHS: readonly KernelPath[] = ['default', 'baseline'];

/** Options of gemm() below, row-major: C = alpha * op(A) * op(B) + beta * C. */
export interface NativeGemmOptions<T extends Float32Array | Float64Array> {
  /** Default false. */
  transA?: boolean;
  /** Default false. */
  transB?: boolean;
  m: number;
  n: number;
  k: number;
  /** Default 1. */
  alpha?: number;
  /** Default 0 (C is not read). */
  beta?: number;
  a: T;
  /** Row stride of a in elements; default the row length of a as stored (transA ? m : k). */
  lda?: number;
  b: T;
  /** Default transB ? k : n. */
  ldb?: number;
  c: T;
  /** Default n. */
  ldc?: number;
  /** 0 (default) = all cores. */
  threads?: number;
}

/** What the binding reads (native/binding/gemm_binding.cc): every field resolved. */
export type NativeGemmArgs<T extends Float32Array | Float64Array> = Required<NativeGemmOptions<T>>;

export interface NativeCore {
  version(): NativeVersion;
  /** The class native code makes its errors with (once per environment, right after loading). */
  setErrorClass(errorClass: new (code: string, message: string) => Error): void;
  /** C = alpha * op(A) * op(B) + beta * C in place on c: sgemm for Float32Arrays, dgemm for Float64Arrays. */
  gemm(args: NativeGemmArgs<Float32Array> | NativeGemmArgs<Float64Array>): Promise<void>;
  setKernelPath(path: KernelPath): void;
}

// Concerns extend this interface (circuit, crossbar, train, ...).
export interface NativeAddon extends NativeCore, TrainNative, CrossbarNative, CircuitNative {
  /** The graph executor's kernels (native/binding/runtime_binding.cc). */
  runtime: RuntimeAddon;
}

let cached: NativeAddon | undefined;
let cachedPath: string | undefined;

/** Where the loaded addon came from. */
export interface AddonSource {
  /** Absolute path of the .node file. */
  path: string;
  /** 'env' (NAX_NATIVE_ADDON), 'source' (built here: build/<config>) or 'prebuilt' (prebuilds/<platform>-<arch>). */
  kind: 'env' | 'source' | 'prebuilt';
  /** For prebuilt binaries: the instruction-set level (e.g. x86-64-v3). */
  level?: string;
}

/** Prebuilt binaries this CPU can run, best level first (prebuilds/<platform>-<arch>/nax_native.<level>.node). */
export function prebuiltCandidates(root: string = packageRoot, platform: string = process.platform, arch: string = process.arch): AddonSource[] {
  const dir = path.join(root, 'prebuilds', `${platform}-${arch}`);
  return supportedIsaLevels(arch).map((level) => ({ path: path.join(dir, `nax_native.${level}.node`), kind: 'prebuilt' as const, level }));
}

/**
 * Every place an addon may be, in the order tried: NAX_NATIVE_ADDON, a source build (npm ci in
 * the repo, or an install that found no fitting prebuilt binary: tuned for this machine), then
 * the prebuilt binaries this CPU supports, best instruction set first.
 */
export function addonSources(): AddonSource[] {
  const list: AddonSource[] = [];
  if (process.env.NAX_NATIVE_ADDON) list.push({ path: path.resolve(process.env.NAX_NATIVE_ADDON), kind: 'env' });
  for (const config of ['Release', 'Debug', 'RelWithDebInfo'])
    list.push({ path: path.join(packageRoot, 'build', config, 'nax_native.node'), kind: 'source' });
  list.push(...prebuiltCandidates());
  return list;
}

export function addonCandidates(): string[] {
  return addonSources().map((s) => s.path);
}

/** The source of the loaded addon (loads it if needed). */
export function addonSource(): AddonSource {
  loadAddon();
  return addonSources().find((s) => s.path === cachedPath) ?? { path: cachedPath as string, kind: 'env' };
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
      cachedPath = candidate;
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

/** The native GEMM (C = alpha * op(A) * op(B) + beta * C, in place on c), defaults resolved, through callNative. */
/**
 * Chooses the native kernels process-wide from the next call on: 'baseline' runs
 * the GEMM, training conv and BatchNorm kernels as they were before issue 16
 * (for benchmarks comparing both in one run); 'default' the current ones.
 */
export function setKernelPath(kernelPath: KernelPath): void {
  loadAddon().setKernelPath(expectOneOf('kernelPath', kernelPath, KERNEL_PATHS));
}

export function gemm(opts: NativeGemmOptions<Float32Array> | NativeGemmOptions<Float64Array>): Promise<void> {
  const transA = opts.transA ?? false, transB = opts.transB ?? false;
  const args = {
    ...opts,
    transA,
    transB,
    alpha: opts.alpha ?? 1,
    beta: opts.beta ?? 0,
    lda: opts.lda ?? (transA ? opts.m : opts.k),
    ldb: opts.ldb ?? (transB ? opts.k : opts.n),
    ldc: opts.ldc ?? opts.n,
    threads: opts.threads ?? 0,
  } as NativeGemmArgs<Float32Array> | NativeGemmArgs<Float64Array>;
  return callNative(() => loadAddon().gemm(args));
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
