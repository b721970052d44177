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
  vgg8: () => vgg8CifarLayers(),
};

/**
 * VGG-8 for CIFAR-10 as DNN+NeuroSim defines it (NetWork_VGG8.csv; the V1.3 manual's Table II):
 * six 3x3 convs with 128, 128, 256, 256, 512, 512 channels on 32x32, 32x32, 16x16, 16x16, 8x8,
 * 8x8 maps (2x2 max-pooling after the 2nd, 4th and 6th), then 8192 -> 1024 -> 10 fully
 * connected layers. 615,917,568 multiply-accumulates per image: the manual's Fig. 24 reports
 * 0.845963 TOPS at 686.75 FPS, 1.23184e9 operations (2 per MAC) per image. Inputs unsigned.
 */
export function vgg8CifarLayers(): CostLayer[] {
  const conv = (name: string, size: number, cin: number, cout: number): CostLayer => ({ name, opType: 'Conv', k: cin * 9, n: cout, outputPixels: size * size });
  return [
    conv('conv1', 32, 3, 128),
    conv('conv2', 32, 128, 128),
    conv('conv3', 16, 128, 256),
    conv('conv4', 16, 256, 256),
    conv('conv5', 8, 256, 512),
    conv('conv6', 8, 512, 512),
    { name: 'fc1', opType: 'Gemm', k: 8192, n: 1024, outputPixels: 1 },
    { name: 'fc2', opType: 'Gemm', k: 1024, n: 10, outputPixels: 1 },
  ];
}
