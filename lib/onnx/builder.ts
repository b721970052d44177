/**
 * A small graph builder over the IR: layers with seeded random weights (He
 * initialisation, so activations stay O(1) through deep nets). Used to build
 * test networks, the ResNet-20 benchmark network, and by exporters that want
 * the same naming scheme.
 */
import { Graph, Node, Tensor, ValueInfo, attr, createGraph, int64Tensor, node, tensor, valueInfo } from './ir';
import { inferShapes } from '../runtime/shapes';

/** mulberry32: tiny seeded PRNG, uniform in [0, 1); reproducible random weights and test data. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface ConvSpec {
  outChannels: number;
  kernel: number | [number, number];
  stride?: number;
  pad?: number | [number, number, number, number];
  dilation?: number;
  groups?: number;
  bias?: boolean;
  name?: string;
  autoPad?: 'SAME_UPPER' | 'SAME_LOWER' | 'VALID';
}

export class GraphBuilder {
  readonly nodes: Node[] = [];
  readonly initializers = new Map<string, Tensor>();
  readonly inputs: ValueInfo[];
  readonly opset: number;
  private rand: () => number;
  private counter = 0;

  constructor(options: { inputs: ValueInfo[]; opset?: number; seed?: number }) {
    this.inputs = options.inputs;
    this.opset = options.opset ?? 13;
    this.rand = mulberry32(options.seed ?? 1);
  }

  private id(prefix: string): string {
    return `${prefix}${this.counter++}`;
  }

  /** Normal(0, std) by Box-Muller. */
  randn(n: number, std: number): Float32Array {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const u = Math.max(this.rand(), 1e-12), v = this.rand();
      out[i] = std * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    }
    return out;
  }

  uniform(n: number, lo: number, hi: number): Float32Array {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * this.rand();
    return out;
  }

  constant(name: string, dims: number[], data: Float32Array): string {
    this.initializers.set(name, tensor(name, dims, data));
    return name;
  }

  /** Per-image shape of a value (batch dim included, symbolic dims as 1). */
  shapeOf(value: string): number[] {
    const g = this.build([value]);
    const shapes: Record<string, number[]> = {};
    for (const vi of this.inputs) shapes[vi.name] = vi.dims.map((d) => (typeof d === 'number' ? d : 1));
    const s = inferShapes(g, shapes).get(value);
    if (!s) throw new Error(`builder: unknown value ${value}`);
    return s;
  }

  op(opType: string, inputs: string[], attributes: Node['attributes'] = {}, name?: string, outputs = 1): string {
    const nm = name ?? this.id(`${opType.toLowerCase()}_`);
    const outs = Array.from({ length: outputs }, (_, i) => (i === 0 ? `${nm}_out` : `${nm}_out${i}`));
    this.nodes.push(node(opType, inputs, outs, attributes, nm));
    return outs[0];
  }

  conv(x: string, spec: ConvSpec): string {
    const inCh = this.shapeOf(x)[1];
    const groups = spec.groups ?? 1;
    const [kh, kw] = typeof spec.kernel === 'number' ? [spec.kernel, spec.kernel] : spec.kernel;
    const name = spec.name ?? this.id('conv');
    const fanIn = (inCh / groups) * kh * kw;
    const w = this.constant(`${name}.weight`, [spec.outChannels, inCh / groups, kh, kw], this.randn(spec.outChannels * fanIn, Math.sqrt(2 / fanIn)));
    const inputs = [x, w];
    if (spec.bias !== false) inputs.push(this.constant(`${name}.bias`, [spec.outChannels], this.uniform(spec.outChannels, -0.1, 0.1)));
    const pad = spec.pad ?? Math.floor(kh / 2);
    const attributes: Node['attributes'] = {
      kernel_shape: attr.ints([kh, kw]),
      strides: attr.ints([spec.stride ?? 1, spec.stride ?? 1]),
      dilations: attr.ints([spec.dilation ?? 1, spec.dilation ?? 1]),
      group: attr.int(groups),
    };
    if (spec.autoPad) attributes.auto_pad = attr.string(spec.autoPad);
    else attributes.pads = attr.ints(typeof pad === 'number' ? [pad, pad, pad, pad] : pad);
    return this.op('Conv', inputs, attributes, name);
  }

  batchNorm(x: string, name?: string): string {
    const c = this.shapeOf(x)[1];
    const nm = name ?? this.id('bn');
    return this.op(
      'BatchNormalization',
      [
        x,
        this.constant(`${nm}.weight`, [c], this.uniform(c, 0.5, 1.5)),
        this.constant(`${nm}.bias`, [c], this.uniform(c, -0.2, 0.2)),
        this.constant(`${nm}.running_mean`, [c], this.uniform(c, -0.2, 0.2)),
        this.constant(`${nm}.running_var`, [c], this.uniform(c, 0.5, 1.5)),
      ],
      { epsilon: attr.float(1e-5), momentum: attr.float(0.9) },
      nm,
    );
  }

  relu(x: string): string {
    return this.op('Relu', [x]);
  }

  /** Clip with opset >= 11 min/max inputs (ReLU6 by default). */
  clip(x: string, min = 0, max = 6): string {
    const id = this.id('clip');
    return this.op('Clip', [x, this.constant(`${id}.min`, [], new Float32Array([min])), this.constant(`${id}.max`, [], new Float32Array([max]))], {}, id);
  }

  add(a: string, b: string): string {
    return this.op('Add', [a, b]);
  }

  maxPool(x: string, kernel: number, stride = kernel, pad = 0, ceil = false): string {
    return this.op('MaxPool', [x], { kernel_shape: attr.ints([kernel, kernel]), strides: attr.ints([stride, stride]), pads: attr.ints([pad, pad, pad, pad]), ceil_mode: attr.int(ceil ? 1 : 0) });
  }

  avgPool(x: string, kernel: number, stride = kernel, pad = 0, countIncludePad = false, ceil = false): string {
    return this.op('AveragePool', [x], {
      kernel_shape: attr.ints([kernel, kernel]), strides: attr.ints([stride, stride]), pads: attr.ints([pad, pad, pad, pad]),
      count_include_pad: attr.int(countIncludePad ? 1 : 0), ceil_mode: attr.int(ceil ? 1 : 0),
    });
  }

  globalAvgPool(x: string): string {
    return this.op('GlobalAveragePool', [x]);
  }

  flatten(x: string): string {
    return this.op('Flatten', [x], { axis: attr.int(1) });
  }

  reshape(x: string, shape: number[]): string {
    const id = this.id('reshape');
    this.initializers.set(`${id}.shape`, int64Tensor(`${id}.shape`, shape));
    return this.op('Reshape', [x, `${id}.shape`], {}, id);
  }

  /** Linear layer as Gemm (transB = 1, PyTorch's layout). */
  gemm(x: string, out: number, name?: string): string {
    const k = this.shapeOf(x)[1];
    const nm = name ?? this.id('fc');
    return this.op(
      'Gemm',
      [x, this.constant(`${nm}.weight`, [out, k], this.randn(out * k, Math.sqrt(2 / k))), this.constant(`${nm}.bias`, [out], this.uniform(out, -0.1, 0.1))],
      { transB: attr.int(1), alpha: attr.float(1), beta: attr.float(1) },
      nm,
    );
  }

  /** Linear layer as MatMul + Add (another exporter pattern). */
  matmul(x: string, out: number, name?: string): string {
    const s = this.shapeOf(x);
    const k = s[s.length - 1];
    const nm = name ?? this.id('mm');
    const y = this.op('MatMul', [x, this.constant(`${nm}.weight`, [k, out], this.randn(k * out, Math.sqrt(2 / k)))], {}, nm);
    return this.op('Add', [y, this.constant(`${nm}.bias`, [out], this.uniform(out, -0.1, 0.1))]);
  }

  mul(a: string, b: string): string {
    return this.op('Mul', [a, b]);
  }

  sigmoid(x: string): string {
    return this.op('Sigmoid', [x]);
  }

  /** SiLU / Swish as PyTorch exports it before opset 20: x * Sigmoid(x). */
  silu(x: string): string {
    return this.mul(x, this.sigmoid(x));
  }

  hardSwish(x: string): string {
    return this.op('HardSwish', [x]);
  }

  /** PyTorch's Hardsigmoid: HardSigmoid with alpha 1/6 (ONNX's default is 0.2). */
  hardSigmoid(x: string): string {
    return this.op('HardSigmoid', [x], { alpha: attr.float(1 / 6), beta: attr.float(0.5) });
  }

  /** Exact GELU as exported before opset 20: x * 0.5 * (1 + Erf(x / sqrt(2))). */
  gelu(x: string): string {
    const id = this.id('gelu');
    const e = this.op('Erf', [this.op('Div', [x, this.constant(`${id}.sqrt2`, [], new Float32Array([Math.SQRT2]))])]);
    const one = this.op('Add', [e, this.constant(`${id}.one`, [], new Float32Array([1]))]);
    return this.op('Mul', [this.op('Mul', [x, one]), this.constant(`${id}.half`, [], new Float32Array([0.5]))]);
  }

  concat(values: string[], axis = 1): string {
    return this.op('Concat', values, { axis: attr.int(axis) });
  }

  transpose(x: string, perm: number[]): string {
    return this.op('Transpose', [x], { perm: attr.ints(perm) });
  }

  /**
   * Squeeze-and-excitation (Hu et al. 2018) as torchvision builds it: GlobalAveragePool -> 1x1
   * Conv -> activation -> 1x1 Conv -> gate -> Mul with the input.
   */
  squeezeExcite(x: string, squeezeChannels: number, activation: (v: string) => string, gate: (v: string) => string): string {
    const c = this.shapeOf(x)[1];
    let s = this.globalAvgPool(x);
    s = activation(this.conv(s, { outChannels: squeezeChannels, kernel: 1, pad: 0 }));
    s = gate(this.conv(s, { outChannels: c, kernel: 1, pad: 0 }));
    return this.mul(x, s);
  }

  /**
   * LayerNorm over the last dim with random affine parameters: the LayerNormalization op from
   * opset 17, or the decomposition PyTorch exports at lower opsets (ReduceMean, Sub, Pow,
   * ReduceMean, Add eps, Sqrt, Div, Mul, Add).
   */
  layerNorm(x: string, epsilon = 1e-6): string {
    const s = this.shapeOf(x);
    const c = s[s.length - 1];
    const id = this.id('ln');
    const scale = this.constant(`${id}.weight`, [c], this.uniform(c, 0.5, 1.5));
    const bias = this.constant(`${id}.bias`, [c], this.uniform(c, -0.2, 0.2));
    if (this.opset >= 17) return this.op('LayerNormalization', [x, scale, bias], { axis: attr.int(-1), epsilon: attr.float(epsilon) }, id);
    const reduce = (v: string) => this.op('ReduceMean', [v], { axes: attr.ints([-1]), keepdims: attr.int(1) });
    const centred = this.op('Sub', [x, reduce(x)]);
    const variance = reduce(this.op('Pow', [centred, this.constant(`${id}.two`, [], new Float32Array([2]))]));
    const std = this.op('Sqrt', [this.op('Add', [variance, this.constant(`${id}.eps`, [], new Float32Array([epsilon]))])]);
    return this.op('Add', [this.op('Mul', [this.op('Div', [centred, std]), scale]), bias]);
  }

  softmax(x: string): string {
    return this.op('Softmax', [x], { axis: attr.int(this.opset >= 13 ? -1 : 1) });
  }

  build(outputs: string[], name = 'net'): Graph {
    return createGraph({
      name,
      nodes: [...this.nodes],
      inputs: this.inputs,
      outputs: outputs.map((o) => valueInfo(o, [])),
      initializers: new Map(this.initializers),
      opset: this.opset,
    });
  }

  /** Builds with output shapes filled in (batch dim symbolic). */
  finish(outputs: string[], name = 'net'): Graph {
    const g = this.build(outputs, name);
    g.outputs = outputs.map((o) => {
      const s = this.shapeOf(o);
      return valueInfo(o, ['batch', ...s.slice(1)]);
    });
    return g;
  }
}

/**
 * ResNet-20 for 32x32 CIFAR-style inputs (He et al. 2016): 3x3 stem, three
 * stages of three basic blocks (16/32/64 channels), 1x1-conv projection
 * shortcuts on downsampling, BN after every conv, global average pool, FC.
 */
export function buildResNet20(options: { seed?: number; classes?: number; opset?: number } = {}): Graph {
  const b = new GraphBuilder({ inputs: [valueInfo('input', ['batch', 3, 32, 32])], seed: options.seed ?? 20, opset: options.opset });
  let x = b.relu(b.batchNorm(b.conv('input', { outChannels: 16, kernel: 3, bias: false, name: 'conv1' }), 'bn1'));
  let inCh = 16;
  [16, 32, 64].forEach((ch, stage) => {
    for (let blk = 0; blk < 3; blk++) {
      const stride = stage > 0 && blk === 0 ? 2 : 1;
      const p = `layer${stage + 1}.${blk}`;
      let y = b.relu(b.batchNorm(b.conv(x, { outChannels: ch, kernel: 3, stride, bias: false, name: `${p}.conv1` }), `${p}.bn1`));
      y = b.batchNorm(b.conv(y, { outChannels: ch, kernel: 3, bias: false, name: `${p}.conv2` }), `${p}.bn2`);
      const shortcut = stride !== 1 || inCh !== ch
        ? b.batchNorm(b.conv(x, { outChannels: ch, kernel: 1, stride, pad: 0, bias: false, name: `${p}.downsample` }), `${p}.downsample_bn`)
        : x;
      x = b.relu(b.add(y, shortcut));
      inCh = ch;
    }
  });
  const logits = b.gemm(b.flatten(b.globalAvgPool(x)), options.classes ?? 10, 'fc');
  return b.finish([logits], 'resnet20');
}

/**
 * MobileNetV2 (Sandler et al. 2018, Table 2; torchvision mobilenetv2.py): 3x3 stem (32, stride
 * 2), inverted residual blocks (t, c, n, s) = (1,16,1,1) (6,24,2,2) (6,32,3,2) (6,64,4,2)
 * (6,96,3,1) (6,160,3,2) (6,320,1,1) with BN and ReLU6 (Clip), a 1x1 conv to 1280, global average
 * pool and the classifier. `width` scales every channel count (rounded to a multiple of 8, as
 * torchvision's _make_divisible; the last conv keeps 1280 unless width > 1).
 */
export function buildMobileNetV2(options: { seed?: number; classes?: number; width?: number; resolution?: number; opset?: number } = {}): Graph {
  const width = options.width ?? 1;
  const res = options.resolution ?? 224;
  const divisible = (v: number) => Math.max(8, Math.floor((v * width + 4) / 8) * 8);
  const b = new GraphBuilder({ inputs: [valueInfo('input', ['batch', 3, res, res])], seed: options.seed ?? 2, opset: options.opset });
  const convBn = (x: string, out: number, kernel: number, stride: number, groups: number, name: string) =>
    b.batchNorm(b.conv(x, { outChannels: out, kernel, stride, groups, bias: false, name }), `${name}.bn`);
  let x = b.clip(convBn('input', divisible(32), 3, 2, 1, 'features.0'));
  let inCh = divisible(32);
  let index = 1;
  for (const [t, c, n, s] of [[1, 16, 1, 1], [6, 24, 2, 2], [6, 32, 3, 2], [6, 64, 4, 2], [6, 96, 3, 1], [6, 160, 3, 2], [6, 320, 1, 1]]) {
    const out = divisible(c);
    for (let i = 0; i < n; i++) {
      const stride = i === 0 ? s : 1;
      const p = `features.${index++}`;
      const hidden = inCh * t;
      let y = t === 1 ? x : b.clip(convBn(x, hidden, 1, 1, 1, `${p}.expand`));
      y = b.clip(convBn(y, hidden, 3, stride, hidden, `${p}.dw`));
      y = convBn(y, out, 1, 1, 1, `${p}.project`);
      x = stride === 1 && inCh === out ? b.add(y, x) : y;
      inCh = out;
    }
  }
  x = b.clip(convBn(x, width > 1 ? divisible(1280) : 1280, 1, 1, 1, `features.${index}`));
  const logits = b.gemm(b.flatten(b.globalAvgPool(x)), options.classes ?? 1000, 'classifier');
  return b.finish([logits], 'mobilenet_v2');
}
