/**
 * Types of the executor's native kernels (native/binding/runtime_binding.cc), apart from the
 * routing in ./native.ts so lib/native.ts can name them without an import cycle.
 * Each call writes into a caller-allocated `output` and resolves when done.
 */
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
  /** 0 forces depthwise convs through the generic per-group im2col + sgemm path (default 1: the direct kernel). */
  depthwiseKernel?: 0 | 1;
}

/** A ConvTranspose's geometry (its input H x W, its output outH x outW). */
export interface ConvTransposeGeometryOptions {
  batch: number;
  inChannels: number;
  height: number;
  width: number;
  outChannels: number;
  groups?: number;
  outH: number;
  outW: number;
  kernelH: number;
  kernelW: number;
  padTop?: number;
  padLeft?: number;
  strideH?: number;
  strideW?: number;
  dilationH?: number;
  dilationW?: number;
  threads?: number;
}

/** The addon's runtime object: the kernels plus the pinned allocator (synchronous). */
export interface RuntimeAddon extends RuntimeNative {
  /**
   * A zeroed ArrayBuffer of `bytes` in addon-owned memory: async kernels read and write it in
   * place instead of copying it (native/binding/napi_util.h PinnedRegistry). A plain
   * ArrayBuffer where the runtime refuses external buffers.
   */
  allocPinned(bytes: number): ArrayBuffer;
  /** Whether a typed array lies inside pinned memory (async kernels use it in place). */
  isPinned(array: ArrayBufferView): boolean;
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
  /** Adds group `group`'s pixel-major MVM rows (batch*H*W x (Cout/groups)*kh*kw) into the ConvTranspose output (col2im). */
  convTransposeScatter(o: ConvTransposeGeometryOptions & { group?: number; rows: Float32Array; output: Float32Array }): Promise<void>;
  /** output = a (op) b elementwise (0 add, 1 sub, 2 mul), same length; output may alias a or b. */
  elementwise(o: { op: 0 | 1 | 2; relu?: 0 | 1; threads?: number; a: Float32Array; b: Float32Array; output: Float32Array }): Promise<void>;
}
