/** Typed surface of the training binding (native/binding/train_binding.cc). */
export type TrainOp = 'input' | 'conv' | 'batchnorm' | 'relu' | 'add' | 'maxpool' | 'avgpool' | 'gap' | 'flatten' | 'linear';
export interface TrainNodeSpec {
  op: TrainOp;
  name: string;
  /** Indices of earlier nodes. */
  inputs: number[];
  /** conv: output channels; linear: output features. */
  channels?: number;
  /** conv (largest kernel when elastic) and pools. */
  kernel?: number;
  stride?: number;
  pad?: number;
  /** conv: searchable kernel sizes (odd, <= kernel); pad becomes k/2. */
  kernelChoices?: number[];
  bias?: boolean;
  eps?: number;
  momentum?: number;
}
export interface TrainParamInfo {
  name: string;
  shape: number[];
  trainable: boolean;
  decay: boolean;
}
export type TrainArray = Float32Array | Float64Array;
export interface TrainNetNative {
  paramInfo(): TrainParamInfo[];
  getParam(index: number): TrainArray;
  setParam(index: number, values: TrainArray): void;
  getVelocity(index: number): TrainArray;
  setVelocity(index: number, values: TrainArray): void;
  kernelChoices(): number[][];
  searchableNames(): string[];
  setKernels(kernels: number[]): void;
  kernels(): number[];
  setThreads(threads: number): void;
  trainStep(options: {
    images: TrainArray;
    labels: Uint8Array;
    count: number;
    lr: number;
    momentum?: number;
    weightDecay?: number;
    nesterov?: boolean;
    augment?: { pad?: number; flip?: boolean; seed?: number; step?: number };
    /** Step number keying the hardware-aware noise. */
    noiseStep?: number;
  }): Promise<{ loss: number; correct: number }>;
  setHardwareAware(options: { enabled: boolean; weightBits?: number; multiplicativeSigma?: number; additiveSigma?: number; seed?: number }): void;
  forward(options: {
    images: TrainArray;
    count: number;
    labels?: Uint8Array;
    train?: boolean;
    updateStats?: boolean;
    momentum?: number;
  }): Promise<{ logits: TrainArray; loss?: number; correct?: number }>;
  gradients(options: { images: TrainArray; labels: Uint8Array; count: number; train?: boolean; inputGrad?: boolean }): {
    loss: number;
    correct: number;
    grads: TrainArray[];
    inputGrad?: TrainArray;
  };
  /** Summed since the last resetProfile(): the convs' seconds and FLOPs, wall seconds per op kind in each pass (a BatchNorm's fused ReLU counts as batchnorm), the optimizer and the gradient clears. */
  profile(): {
    convForwardSeconds: number;
    convBackwardSeconds: number;
    convForwardFlops: number;
    convBackwardFlops: number;
    forwardSeconds: Record<TrainOpName, number>;
    backwardSeconds: Record<TrainOpName, number>;
    optimizerSeconds: number;
    clearSeconds: number;
  };
  resetProfile(): void;
}
/** Op kinds of the step profile (native/core/train_net.h OpKind order). */
export type TrainOpName = 'input' | 'conv' | 'batchnorm' | 'relu' | 'add' | 'maxpool' | 'avgpool' | 'gap' | 'flatten' | 'linear';
export interface TrainNative {
  TrainNet: new (options: {
    nodes: TrainNodeSpec[];
    inputShape: [number, number, number];
    precision?: 'float32' | 'float64';
    threads?: number;
    /** 'cuda': the convolutions run on the CUDA library. */
    accelerator?: 'cpu' | 'cuda';
  }) => TrainNetNative;
  trainAugmentBatch(options: {
    images: Float32Array;
    count: number;
    shape: [number, number, number];
    pad?: number;
    flip?: boolean;
    seed?: number;
    step?: number;
  }): Float32Array;
}
