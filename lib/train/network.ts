/**
 * Network descriptions for the native trainer: a flat, topologically ordered
 * node list (the native executor runs it forward and backward per batch).
 * Searchable convs carry `kernelChoices` and one elastic weight of the
 * largest kernel (Once-for-All: smaller kernels use its centre).
 */
import type { TrainNodeSpec } from './native';
import { expectNumber, expectOneOf, invalid } from '../errors';

export interface NetworkSpec {
  arch: string;
  /** [C, H, W] of one input image. */
  inputShape: [number, number, number];
  classes: number;
  nodes: TrainNodeSpec[];
}

/** Largest kernel a searchable conv may offer (the elastic weight is MAX x MAX at most). */
export const MAX_KERNEL_SIZE = 15;
/** The kernel-size rule in words, for every error that enforces it. */
export const KERNEL_SIZE_RULE = `odd integers in [1, ${MAX_KERNEL_SIZE}]`;
/** Kernel sizes are odd, so 'same' padding keeps the feature map size, and at most MAX_KERNEL_SIZE. */
export function isKernelSize(k: unknown): k is number {
  return typeof k === 'number' && Number.isInteger(k) && k >= 1 && k <= MAX_KERNEL_SIZE && k % 2 === 1;
}

export const ARCHS = ['resnet20', 'resnet-mnist', 'lenet'] as const;
export type ArchName = (typeof ARCHS)[number];

export interface ArchOptions {
  inputShape?: [number, number, number];
  classes?: number;
  /** Kernel sizes each searchable conv offers (odd, ascending); [3] = a plain network. */
  kernels?: number[];
  /** Channels of the first stage (ResNets: stages use w, 2w, 4w). */
  width?: number;
  /** Residual blocks per stage. */
  blocks?: number;
}

/** Builds node lists; every method returns the new node's index. */
export class NetworkBuilder {
  readonly nodes: TrainNodeSpec[] = [{ op: 'input', name: 'input', inputs: [] }];
  private channels: number[];
  private readonly choices: number[];

  constructor(inputChannels: number, kernelChoices: number[]) {
    this.channels = [inputChannels];
    this.choices = kernelChoices;
  }

  private push(spec: TrainNodeSpec, channels: number): number {
    this.nodes.push(spec);
    this.channels.push(channels);
    return this.nodes.length - 1;
  }
  channelsOf(index: number): number {
    return this.channels[index];
  }
  /** A searchable conv when `searchable` and more than one choice (or a non-3 choice) exists. */
  conv(name: string, input: number, channels: number, o: { kernel?: number; stride?: number; bias?: boolean; searchable?: boolean } = {}): number {
    const searchable = o.searchable ?? false;
    const kernel = searchable ? Math.max(...this.choices) : o.kernel ?? 3;
    const spec: TrainNodeSpec = { op: 'conv', name, inputs: [input], channels, kernel, stride: o.stride ?? 1, pad: Math.floor(kernel / 2), bias: o.bias ?? false };
    if (searchable) spec.kernelChoices = [...this.choices];
    return this.push(spec, channels);
  }
  batchnorm(name: string, input: number): number {
    return this.push({ op: 'batchnorm', name, inputs: [input] }, this.channels[input]);
  }
  relu(name: string, input: number): number {
    return this.push({ op: 'relu', name, inputs: [input] }, this.channels[input]);
  }
  add(name: string, a: number, b: number): number {
    return this.push({ op: 'add', name, inputs: [a, b] }, this.channels[a]);
  }
  maxpool(name: string, input: number, kernel = 2, stride = 2, pad = 0): number {
    return this.push({ op: 'maxpool', name, inputs: [input], kernel, stride, pad }, this.channels[input]);
  }
  avgpool(name: string, input: number, kernel = 2, stride = 2, pad = 0): number {
    return this.push({ op: 'avgpool', name, inputs: [input], kernel, stride, pad }, this.channels[input]);
  }
  gap(name: string, input: number): number {
    return this.push({ op: 'gap', name, inputs: [input] }, this.channels[input]);
  }
  flatten(name: string, input: number, features: number): number {
    return this.push({ op: 'flatten', name, inputs: [input] }, features);
  }
  linear(name: string, input: number, features: number): number {
    return this.push({ op: 'linear', name, inputs: [input], channels: features }, features);
  }
  /** conv -> BN (-> ReLU). */
  convBn(name: string, input: number, channels: number, o: { kernel?: number; stride?: number; searchable?: boolean; relu?: boolean }): number {
    const c = this.conv(`${name}.conv`, input, channels, o);
    const b = this.batchnorm(`${name}.bn`, c);
    return o.relu === false ? b : this.relu(`${name}.relu`, b);
  }
  /** Basic residual block (He et al.): two 3x3-class convs; 1x1 conv + BN shortcut when the shape changes. */
  basicBlock(name: string, input: number, channels: number, stride: number): number {
    const a = this.convBn(`${name}.1`, input, channels, { stride, searchable: true });
    const b = this.convBn(`${name}.2`, a, channels, { searchable: true, relu: false });
    let shortcut = input;
    if (stride !== 1 || this.channels[input] !== channels)
      shortcut = this.convBn(`${name}.down`, input, channels, { kernel: 1, stride, relu: false });
    return this.relu(`${name}.relu`, this.add(`${name}.add`, b, shortcut));
  }
}

function checkKernels(kernels: number[] | undefined): number[] {
  const list = kernels ?? [3];
  if (!Array.isArray(list) || list.length === 0) throw invalid('kernels', `a non-empty array of ${KERNEL_SIZE_RULE}`, list);
  list.forEach((k, i) => {
    if (!isKernelSize(k)) throw invalid(`kernels[${i}]`, KERNEL_SIZE_RULE, k);
  });
  return [...new Set(list)].sort((a, b) => a - b);
}

/** ResNet with 3 stages (w, 2w, 4w channels) of `blocks` basic blocks, stride 2 between stages. */
function resnet(arch: ArchName, inputShape: [number, number, number], classes: number, kernels: number[], width: number, blocks: number): NetworkSpec {
  const b = new NetworkBuilder(inputShape[0], kernels);
  let x = b.convBn('stem', 0, width, { searchable: true });
  [width, 2 * width, 4 * width].forEach((channels, stage) => {
    for (let i = 0; i < blocks; i++) x = b.basicBlock(`stage${stage + 1}.block${i + 1}`, x, channels, stage > 0 && i === 0 ? 2 : 1);
  });
  const pooled = b.gap('pool', x);
  b.linear('fc', pooled, classes);
  return { arch, inputShape, classes, nodes: b.nodes };
}

/** LeNet-5-like: two convs (6, 16 channels, 5x5 by default) with max pooling, three linear layers. */
function lenet(inputShape: [number, number, number], classes: number, kernels: number[] | undefined): NetworkSpec {
  const searchable = kernels !== undefined && !(kernels.length === 1 && kernels[0] === 5);
  const b = new NetworkBuilder(inputShape[0], kernels ?? [5]);
  let x = b.relu('conv1.relu', b.conv('conv1', 0, 6, { kernel: 5, bias: true, searchable }));
  x = b.maxpool('pool1', x);
  x = b.relu('conv2.relu', b.conv('conv2', x, 16, { kernel: 5, bias: true, searchable }));
  x = b.maxpool('pool2', x);
  const h = Math.floor(Math.floor(inputShape[1] / 2) / 2), w = Math.floor(Math.floor(inputShape[2] / 2) / 2);
  x = b.flatten('flatten', x, 16 * h * w);
  x = b.relu('fc1.relu', b.linear('fc1', x, 120));
  x = b.relu('fc2.relu', b.linear('fc2', x, 84));
  b.linear('fc3', x, classes);
  return { arch: 'lenet', inputShape, classes, nodes: b.nodes };
}

/**
 * Builds a named architecture. Defaults: resnet20 for 32x32x3 (3 blocks per
 * stage, width 16: the paper's ResNet-20), resnet-mnist for 28x28x1
 * (1 block per stage, width 16), lenet for 28x28x1.
 */
export function buildNetwork(arch: ArchName, options: ArchOptions = {}): NetworkSpec {
  expectOneOf('arch', arch, ARCHS);
  const kernels = options.kernels === undefined ? undefined : checkKernels(options.kernels);
  const defaults: Record<ArchName, [number, number, number]> = { resnet20: [3, 32, 32], 'resnet-mnist': [1, 28, 28], lenet: [1, 28, 28] };
  const inputShape = options.inputShape ?? defaults[arch];
  const classes = expectNumber('classes', options.classes ?? 10, { integer: true, min: 2, max: 255 });
  const width = expectNumber('width', options.width ?? 16, { integer: true, min: 1, max: 1024 });
  if (arch === 'lenet') return lenet(inputShape, classes, kernels);
  const blocks = expectNumber('blocks', options.blocks ?? (arch === 'resnet20' ? 3 : 1), { integer: true, min: 1, max: 64 });
  return resnet(arch, inputShape, classes, kernels ?? [3], width, blocks);
}

/** Conv nodes whose kernel the search chooses, in node order. */
export function searchableConvs(spec: NetworkSpec): TrainNodeSpec[] {
  return spec.nodes.filter((n) => n.op === 'conv' && n.kernelChoices !== undefined);
}
