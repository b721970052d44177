/**
 * Layer shapes of reference networks for the cost model, without weights:
 * enough to compare crossbar sizes before a model exists.
 */
import type { CostLayer } from './model';

/** Output size of a conv with `pad` on both sides. */
function convOut(size: number, kernel: number, stride: number, pad: number): number {
  return Math.floor((size + 2 * pad - kernel) / stride) + 1;
}

export interface ResNetCifarOptions {
  /** Basic blocks per stage (3 for ResNet-20, 5 for ResNet-32, 9 for ResNet-56). */
  blocksPerStage?: number;
  /** 3x3 kernels by default. */
  kernel?: number;
  /**
   * Shortcut on downsampling blocks: 'A' identity with zero-padded channels (no
   * weights; He et al. 2016 for CIFAR) or 'B' a 1x1 stride-2 projection conv.
   */
  shortcut?: 'A' | 'B';
  inputSize?: number;
  inputChannels?: number;
  classes?: number;
}

/**
 * The CIFAR ResNet of He et al. (2016, section 4.2): a 3x3 conv with 16
 * channels, then 3 stages of basic blocks (two 3x3 convs each) with 16/32/64
 * channels on 32x32/16x16/8x8 maps (the first conv of stages 2 and 3 has
 * stride 2), global average pooling and a 64 -> classes linear layer.
 * Defaults give ResNet-20: 19 convs + 1 linear layer. Inputs count as
 * unsigned (one pass), as for a lowered ONNX model.
 */
export function resnetCifarLayers(options: ResNetCifarOptions = {}): CostLayer[] {
  const blocks = options.blocksPerStage ?? 3;
  const kernel = options.kernel ?? 3;
  const shortcut = options.shortcut ?? 'A';
  const classes = options.classes ?? 10;
  let size = options.inputSize ?? 32;
  let channels = 16;
  const pad = Math.floor(kernel / 2);
  const layers: CostLayer[] = [];
  size = convOut(size, kernel, 1, pad);
  layers.push({ name: 'conv1', opType: 'Conv', k: (options.inputChannels ?? 3) * kernel * kernel, n: channels, outputPixels: size * size });
  [16, 32, 64].forEach((width, stage) => {
    for (let b = 0; b < blocks; b++) {
      const stride = stage > 0 && b === 0 ? 2 : 1;
      const prefix = `layer${stage + 1}.${b}`;
      const inSize = size;
      size = convOut(size, kernel, stride, pad);
      layers.push({ name: `${prefix}.conv1`, opType: 'Conv', k: channels * kernel * kernel, n: width, outputPixels: size * size });
      layers.push({ name: `${prefix}.conv2`, opType: 'Conv', k: width * kernel * kernel, n: width, outputPixels: size * size });
      if (stride !== 1 && shortcut === 'B') {
        const s = convOut(inSize, 1, stride, 0);
        layers.push({ name: `${prefix}.downsample`, opType: 'Conv', k: channels, n: width, outputPixels: s * s });
      }
      channels = width;
    }
  });
  layers.push({ name: 'fc', opType: 'Gemm', k: channels, n: classes, outputPixels: 1 });
  return layers;
}

/** Built-in layer lists by name (the CLI's `nax-native cost resnet20`). */
export const builtinNetworks: Record<string, () => CostLayer[]> = {
  resnet20: () => resnetCifarLayers({ blocksPerStage: 3 }),
  resnet32: () => resnetCifarLayers({ blocksPerStage: 5 }),
  resnet56: () => resnetCifarLayers({ blocksPerStage: 9 }),
};
