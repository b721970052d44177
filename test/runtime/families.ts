/**
 * Small, seeded versions of the torchvision classification families and timm-style blocks, built
 * with the graph builder the way torch.onnx.export writes them (issue 17): each uses the ops its
 * family's export contains (grouped/depthwise convs, SE, HardSwish, SiLU, GELU as Erf, LayerNorm,
 * channel shuffle, Concat, Resize, ...). Architectures follow the papers / torchvision sources
 * named per model; widths and depths are cut to CI size.
 */
import { Graph, attr, int64Tensor, valueInfo } from '../../lib/onnx/ir';
import { GraphBuilder } from '../../lib/onnx/builder';

const input = (c: number, h: number, w = h) => [valueInfo('input', ['batch', c, h, w])];

function convBn(b: GraphBuilder, x: string, outChannels: number, kernel: number, stride = 1, groups = 1): string {
  return b.batchNorm(b.conv(x, { outChannels, kernel, stride, groups, bias: false }));
}

function head(b: GraphBuilder, x: string, classes = 10): string {
  return b.gemm(b.flatten(b.globalAvgPool(x)), classes);
}

/** ResNet (He et al. 2016; torchvision resnet.py): stem, BasicBlock, Bottleneck with 1x1 projection. */
export function resNet(): Graph {
  const b = new GraphBuilder({ inputs: input(3, 24), seed: 101, opset: 13 });
  let x = b.maxPool(b.relu(convBn(b, 'input', 16, 7, 2)), 3, 2, 1);
  // BasicBlock
  let y = b.relu(convBn(b, x, 16, 3));
  x = b.relu(b.add(convBn(b, y, 16, 3), x));
  // Bottleneck, stride 2, projection shortcut
  y = b.relu(convBn(b, x, 8, 1));
  y = b.relu(convBn(b, y, 8, 3, 2));
  y = convBn(b, y, 32, 1);
  x = b.relu(b.add(y, convBn(b, x, 32, 1, 2)));
  return b.finish([head(b, x)], 'resnet');
}

/** ResNeXt (Xie et al. 2017): bottleneck with a grouped 3x3 (cardinality 4); Wide ResNet is the same block with groups 1 and double width. */
export function resNeXt(): Graph {
  const b = new GraphBuilder({ inputs: input(3, 16), seed: 102, opset: 13 });
  let x = b.relu(convBn(b, 'input', 16, 3));
  for (const groups of [4, 1]) {
    let y = b.relu(convBn(b, x, 32, 1));
    y = b.relu(convBn(b, y, 32, 3, 1, groups));
    y = convBn(b, y, 16, 1);
    x = b.relu(b.add(y, x));
  }
  return b.finish([head(b, x)], 'resnext');
}

/** MobileNetV2 (Sandler et al. 2018): inverted residuals, ReLU6 as Clip, depthwise 3x3. */
export function mobileNetV2(): Graph {
  const b = new GraphBuilder({ inputs: input(3, 16), seed: 103, opset: 13 });
  let x = b.clip(convBn(b, 'input', 16, 3, 2));
  const block = (x0: string, expand: number, out: number, stride: number) => {
    const c = b.shapeOf(x0)[1];
    let y = b.clip(convBn(b, x0, c * expand, 1));
    y = b.clip(convBn(b, y, c * expand, 3, stride, c * expand));
    y = convBn(b, y, out, 1);
    return stride === 1 && c === out ? b.add(y, x0) : y;
  };
  x = block(x, 1, 8, 1);
  x = block(x, 6, 12, 2);
  x = block(x, 6, 12, 1);
  x = b.clip(convBn(b, x, 32, 1));
  return b.finish([b.gemm(b.op('Dropout', [b.flatten(b.globalAvgPool(x))]), 10)], 'mobilenet_v2');
}

/** MobileNetV3 (Howard et al. 2019): HardSwish, SE with ReLU and Hardsigmoid gate, Linear-HardSwish-Linear head. */
export function mobileNetV3(): Graph {
  // HardSwish is an ONNX op from opset 14 (torch exports it as such from there).
  const b = new GraphBuilder({ inputs: input(3, 16), seed: 104, opset: 14 });
  let x = b.hardSwish(convBn(b, 'input', 16, 3, 2));
  // Block with SE and ReLU (3x3), then one with HardSwish (5x5).
  let y = b.relu(convBn(b, x, 16, 3, 1, 16));
  y = b.squeezeExcite(y, 8, (v) => b.relu(v), (v) => b.hardSigmoid(v));
  x = b.add(convBn(b, y, 16, 1), x);
  y = b.hardSwish(convBn(b, x, 48, 1));
  y = b.hardSwish(convBn(b, y, 48, 5, 2, 48));
  y = b.squeezeExcite(y, 16, (v) => b.relu(v), (v) => b.hardSigmoid(v));
  x = convBn(b, y, 24, 1);
  x = b.hardSwish(convBn(b, x, 64, 1));
  let h = b.hardSwish(b.gemm(b.flatten(b.globalAvgPool(x)), 32));
  h = b.gemm(b.op('Dropout', [h]), 10);
  return b.finish([h], 'mobilenet_v3');
}

/** EfficientNet MBConv (Tan & Le 2019): SiLU (x * Sigmoid), depthwise 5x5, SE with SiLU and Sigmoid. */
export function efficientNet(): Graph {
  const b = new GraphBuilder({ inputs: input(3, 16), seed: 105, opset: 13 });
  let x = b.silu(convBn(b, 'input', 16, 3, 2));
  const mbconv = (x0: string, expand: number, out: number, kernel: number, stride: number) => {
    const c = b.shapeOf(x0)[1];
    let y = expand > 1 ? b.silu(convBn(b, x0, c * expand, 1)) : x0;
    const e = b.shapeOf(y)[1];
    y = b.silu(convBn(b, y, e, kernel, stride, e));
    y = b.squeezeExcite(y, Math.max(1, Math.floor(c / 4)), (v) => b.silu(v), (v) => b.sigmoid(v));
    y = convBn(b, y, out, 1);
    return stride === 1 && c === out ? b.add(y, x0) : y;
  };
  x = mbconv(x, 1, 16, 3, 1);
  x = mbconv(x, 4, 24, 5, 2);
  x = mbconv(x, 4, 24, 5, 1);
  x = b.silu(convBn(b, x, 48, 1));
  return b.finish([head(b, x)], 'efficientnet');
}

/** RegNetY (Radosavovic et al. 2020): grouped bottleneck (group width 8) with SE, ReLU. */
export function regNet(): Graph {
  const b = new GraphBuilder({ inputs: input(3, 16), seed: 106, opset: 13 });
  let x = b.relu(convBn(b, 'input', 16, 3, 2));
  let y = b.relu(convBn(b, x, 24, 1));
  y = b.relu(convBn(b, y, 24, 3, 2, 3));
  y = b.squeezeExcite(y, 4, (v) => b.relu(v), (v) => b.sigmoid(v));
  y = convBn(b, y, 24, 1);
  x = b.relu(b.add(y, convBn(b, x, 24, 1, 2)));
  return b.finish([head(b, x)], 'regnet');
}

/**
 * ShuffleNetV2 (Ma et al. 2018; torchvision shufflenetv2.py): channel Split, a branch on one
 * half, Concat, and channel_shuffle as view(N, 2, C/2, H, W) -> transpose(1, 2) -> view(N, C, H, W),
 * with the batch taken from Shape at run time the way the exporter writes `x.size(0)`.
 */
export function shuffleNetV2(): Graph {
  const b = new GraphBuilder({ inputs: input(3, 16), seed: 107, opset: 13 });
  let x = b.maxPool(b.relu(convBn(b, 'input', 16, 3, 2)), 3, 2, 1);
  const shuffle = (v: string) => {
    const [, c, h, w] = b.shapeOf(v);
    const n = b.op('Unsqueeze', [b.op('Gather', [b.op('Shape', [v]), 'zero'], { axis: attr.int(0) }), 'axes0']);
    b.initializers.set(`shape5_${c}_${h}`, int64Tensor(`shape5_${c}_${h}`, [2, c / 2, h, w]));
    b.initializers.set(`shape4_${c}_${h}`, int64Tensor(`shape4_${c}_${h}`, [c, h, w]));
    let t = b.op('Reshape', [v, b.concat([n, `shape5_${c}_${h}`], 0)]);
    t = b.transpose(t, [0, 2, 1, 3, 4]);
    return b.op('Reshape', [t, b.concat([n, `shape4_${c}_${h}`], 0)]);
  };
  b.initializers.set('zero', int64Tensor('zero', [0], []));
  b.initializers.set('axes0', int64Tensor('axes0', [0]));
  b.initializers.set('halves', int64Tensor('halves', [8, 8]));
  const split = b.op('Split', [x, 'halves'], { axis: attr.int(1) }, 'split', 2);
  const [left, right] = [split, split.replace(/_out$/, '_out1')];
  let r = b.relu(convBn(b, right, 8, 1));
  r = convBn(b, r, 8, 3, 1, 8);
  r = b.relu(convBn(b, r, 8, 1));
  x = shuffle(b.concat([left, r]));
  // Downsampling unit: both branches stride 2.
  const l2 = b.relu(convBn(b, convBn(b, x, 16, 3, 2, 16), 16, 1));
  let r2 = b.relu(convBn(b, x, 16, 1));
  r2 = b.relu(convBn(b, convBn(b, r2, 16, 3, 2, 16), 16, 1));
  x = shuffle(b.concat([l2, r2]));
  return b.finish([head(b, x)], 'shufflenet_v2');
}

/** SqueezeNet 1.1 (Iandola et al. 2016): fire modules (squeeze 1x1, expand 1x1 + 3x3, Concat), ceil-mode pools, conv classifier. */
export function squeezeNet(): Graph {
  const b = new GraphBuilder({ inputs: input(3, 24), seed: 108, opset: 13 });
  let x = b.maxPool(b.relu(b.conv('input', { outChannels: 16, kernel: 3, stride: 2, pad: 0 })), 3, 2, 0, true);
  const fire = (v: string, s: number, e: number) => {
    const sq = b.relu(b.conv(v, { outChannels: s, kernel: 1, pad: 0 }));
    return b.concat([b.relu(b.conv(sq, { outChannels: e, kernel: 1, pad: 0 })), b.relu(b.conv(sq, { outChannels: e, kernel: 3, pad: 1 }))]);
  };
  x = fire(fire(x, 8, 16), 8, 16);
  x = b.maxPool(x, 3, 2, 0, true);
  x = fire(x, 12, 24);
  x = b.relu(b.conv(b.op('Dropout', [x]), { outChannels: 10, kernel: 1, pad: 0 }));
  return b.finish([b.flatten(b.globalAvgPool(x))], 'squeezenet');
}

/** DenseNet (Huang et al. 2017): pre-activation dense layers concatenated, transition with AveragePool. */
export function denseNet(): Graph {
  const b = new GraphBuilder({ inputs: input(3, 16), seed: 109, opset: 13 });
  let x = b.maxPool(b.relu(convBn(b, 'input', 16, 3)), 3, 2, 1);
  const dense = (v: string) => {
    let y = b.conv(b.relu(b.batchNorm(v)), { outChannels: 16, kernel: 1, pad: 0, bias: false });
    y = b.conv(b.relu(b.batchNorm(y)), { outChannels: 8, kernel: 3, bias: false });
    return b.concat([v, y]);
  };
  x = dense(dense(x));
  x = b.avgPool(b.conv(b.relu(b.batchNorm(x)), { outChannels: 16, kernel: 1, pad: 0, bias: false }), 2, 2);
  x = dense(x);
  x = b.relu(b.batchNorm(x));
  return b.finish([head(b, x)], 'densenet');
}

/** VGG (Simonyan & Zisserman 2015; torchvision vgg11_bn): conv-BN-ReLU stacks, max pools, Linear-ReLU-Dropout classifier. */
export function vgg(): Graph {
  const b = new GraphBuilder({ inputs: input(3, 16), seed: 110, opset: 13 });
  let x = b.maxPool(b.relu(convBn(b, 'input', 8, 3)), 2);
  x = b.maxPool(b.relu(convBn(b, b.relu(convBn(b, x, 16, 3)), 16, 3)), 2);
  x = b.avgPool(x, 2, 2);
  let h = b.op('Dropout', [b.relu(b.gemm(b.flatten(x), 32))]);
  h = b.op('Dropout', [b.relu(b.gemm(h, 32))]);
  return b.finish([b.gemm(h, 10)], 'vgg');
}

/**
 * ConvNeXt block (Liu et al. 2022; torchvision convnext.py CNBlock): depthwise 7x7, permute to
 * NHWC, LayerNorm, Linear 4x (MatMul + Add), GELU (Erf), Linear, layer scale, permute back,
 * residual; the stem's LayerNorm2d and a 2x2 stride-2 downsample. Opset 17 uses the
 * LayerNormalization op, opset 11 its decomposition.
 */
export function convNeXt(opset: 11 | 17 = 17): Graph {
  const b = new GraphBuilder({ inputs: input(3, 16), seed: 111, opset });
  const ln2d = (v: string) => b.transpose(b.layerNorm(b.transpose(v, [0, 2, 3, 1])), [0, 3, 1, 2]);
  let x = ln2d(b.conv('input', { outChannels: 16, kernel: 4, stride: 4, pad: 0 }));
  const block = (v: string) => {
    const c = b.shapeOf(v)[1];
    let y = b.conv(v, { outChannels: c, kernel: 7, pad: 3, groups: c });
    y = b.layerNorm(b.transpose(y, [0, 2, 3, 1]));
    y = b.matmul(b.gelu(b.matmul(y, 4 * c)), c);
    y = b.mul(y, b.constant(`${b.nodes.length}.layer_scale`, [c], b.uniform(c, 0.05, 0.2)));
    return b.add(v, b.transpose(y, [0, 3, 1, 2]));
  };
  x = block(x);
  x = b.conv(ln2d(x), { outChannels: 32, kernel: 2, stride: 2, pad: 0 });
  x = block(x);
  let h = b.flatten(b.globalAvgPool(x));
  h = b.layerNorm(h);
  return b.finish([b.gemm(h, 10)], `convnext_opset${opset}`);
}

/** MNASNet (Tan et al. 2019; torchvision mnasnet.py): inverted residuals with BN + ReLU, depthwise 3x3 and 5x5. */
export function mnasNet(): Graph {
  const b = new GraphBuilder({ inputs: input(3, 16), seed: 112, opset: 13 });
  let x = b.relu(convBn(b, 'input', 16, 3, 2));
  x = b.relu(convBn(b, x, 16, 3, 1, 16));
  x = convBn(b, x, 8, 1);
  const ir = (v: string, out: number, kernel: number, stride: number, expand: number) => {
    const c = b.shapeOf(v)[1];
    let y = b.relu(convBn(b, v, c * expand, 1));
    y = b.relu(convBn(b, y, c * expand, kernel, stride, c * expand));
    y = convBn(b, y, out, 1);
    return stride === 1 && c === out ? b.add(y, v) : y;
  };
  x = ir(x, 12, 3, 2, 3);
  x = ir(x, 12, 5, 1, 3);
  x = b.relu(convBn(b, x, 32, 1));
  return b.finish([b.gemm(b.op('Dropout', [b.flatten(b.globalAvgPool(x))]), 10)], 'mnasnet');
}

/**
 * The export of F.pad(x, (1, 1, 1, 1), mode) at opsets 11-17: the pads are built by
 * Constant -> ConstantOfShape -> Concat -> Reshape(-1, 2) -> Slice(step -1) -> Transpose ->
 * Reshape(-1) -> Cast -> Pad, which constant folding must reduce to a constant; then a conv.
 * Also exercises nearest and bilinear Resize (F.interpolate) and LogSoftmax.
 */
export function padResizeExport(mode: 'reflect' | 'edge' | 'constant' = 'reflect', opset = 13): Graph {
  const b = new GraphBuilder({ inputs: input(3, 8), seed: 113, opset });
  const konst = (t: ReturnType<typeof int64Tensor>) => b.op('Constant', [], { value: attr.tensor(t) });
  const pads = konst(int64Tensor('p', [1, 1, 1, 1]));
  const zeros = b.op('ConstantOfShape', [konst(int64Tensor('n', [4]))], { value: attr.tensor(int64Tensor('z', [0], [1])) });
  let p = b.concat([pads, zeros], 0);
  p = b.op('Reshape', [p, konst(int64Tensor('s', [-1, 2]))]);
  p = b.op('Slice', [p, konst(int64Tensor('st', [-1])), konst(int64Tensor('en', [-(2 ** 53) + 1])), konst(int64Tensor('ax', [0])), konst(int64Tensor('sp', [-1]))]);
  p = b.op('Reshape', [b.transpose(p, [1, 0]), konst(int64Tensor('f', [-1]))]);
  p = b.op('Cast', [p], { to: attr.int(7) });
  let x = b.op('Pad', ['input', p], { mode: attr.string(mode) });
  x = b.relu(b.conv(x, { outChannels: 8, kernel: 3, pad: 0 }));
  b.initializers.set('scales2', { name: 'scales2', dims: [4], dataType: 'float32', data: new Float32Array([1, 1, 2, 2]) });
  // The exporter's empty roi (a required input at opset 11).
  b.initializers.set('roi', { name: 'roi', dims: [0], dataType: 'float32', data: new Float32Array(0) });
  const up = b.op('Resize', [x, 'roi', 'scales2'], { mode: attr.string('nearest') });
  const lin = b.op('Resize', [x, 'roi', 'scales2'], { mode: attr.string('linear'), coordinate_transformation_mode: attr.string('pytorch_half_pixel') });
  x = b.add(up, lin);
  x = b.conv(x, { outChannels: 8, kernel: 3, stride: 2 });
  return b.finish([b.op('LogSoftmax', [head(b, x)], { axis: attr.int(1) })], `pad_${mode}_resize`);
}

/** Conv1d and ConvTranspose (1-D and 2-D, grouped, strided, output_padding) around a small image net. */
export function convTransposeNet(): Graph {
  const b = new GraphBuilder({ inputs: input(4, 8), seed: 114, opset: 13 });
  const convT = (x: string, outChannels: number, kernel: number, stride: number, groups: number, extra: Record<string, ReturnType<typeof attr.ints>> = {}) => {
    const cin = b.shapeOf(x)[1];
    const rank = b.shapeOf(x).length - 2;
    const dims = [cin, outChannels / groups, ...new Array(rank).fill(kernel)];
    const name = `convT${b.nodes.length}`;
    const w = b.constant(`${name}.weight`, dims, b.randn(dims.reduce((p, q) => p * q, 1), 0.3));
    const bias = b.constant(`${name}.bias`, [outChannels], b.uniform(outChannels, -0.1, 0.1));
    return b.op('ConvTranspose', [x, w, bias], { strides: attr.ints(new Array(rank).fill(stride)), group: attr.int(groups), ...extra }, name);
  };
  let x = b.relu(convT('input', 8, 3, 2, 2, { pads: attr.ints([1, 1, 1, 1]), output_padding: attr.ints([1, 1]) }));
  x = b.relu(b.conv(x, { outChannels: 8, kernel: 3, stride: 2 }));
  // To 1-D: [N, 8, H, W] -> [N, 8, H*W], Conv1d, ConvTranspose1d.
  b.initializers.set('to1d', int64Tensor('to1d', [0, 8, -1]));
  let s = b.op('Reshape', [x, 'to1d']);
  const w1 = b.constant('conv1d.weight', [12, 4, 3], b.randn(12 * 4 * 3, 0.3));
  s = b.relu(b.op('Conv', [s, w1], { kernel_shape: attr.ints([3]), pads: attr.ints([1, 1]), group: attr.int(2), strides: attr.ints([2]) }, 'conv1d'));
  s = convT(s, 6, 4, 2, 1);
  return b.finish([b.gemm(b.flatten(s), 10)], 'convtranspose');
}

/** A timm-style attention-free MLP head written with Einsum ("bc,kc->bk" with a constant operand, and a batched "bij,bjk->bik"). */
export function einsumNet(): Graph {
  const b = new GraphBuilder({ inputs: input(3, 8), seed: 115, opset: 13 });
  let x = b.relu(b.conv('input', { outChannels: 8, kernel: 3, stride: 2 }));
  b.initializers.set('seq', int64Tensor('seq', [0, 8, 16]));
  const t = b.op('Reshape', [x, 'seq']);
  const gram = b.op('Einsum', [t, b.transpose(t, [0, 2, 1])], { equation: attr.string('bij,bjk->bik') });
  x = b.flatten(gram);
  const w = b.constant('einsum.weight', [10, 64], b.randn(640, 0.1));
  return b.finish([b.op('Einsum', [x, w], { equation: attr.string('bc,kc->bk') })], 'einsum');
}

export const families: [string, () => Graph, number[]][] = [
  ['ResNet (BasicBlock + Bottleneck)', resNet, [2, 3, 24, 24]],
  ['ResNeXt / Wide ResNet (grouped bottleneck)', resNeXt, [2, 3, 16, 16]],
  ['MobileNetV2 (inverted residual, ReLU6, depthwise)', mobileNetV2, [2, 3, 16, 16]],
  ['MobileNetV3 (HardSwish, SE + Hardsigmoid)', mobileNetV3, [2, 3, 16, 16]],
  ['EfficientNet MBConv (SiLU, SE, depthwise 5x5)', efficientNet, [2, 3, 16, 16]],
  ['RegNetY (grouped bottleneck + SE)', regNet, [2, 3, 16, 16]],
  ['ShuffleNetV2 (Split, channel shuffle Reshape/Transpose)', shuffleNetV2, [2, 3, 16, 16]],
  ['SqueezeNet (fire Concat, ceil pools)', squeezeNet, [2, 3, 24, 24]],
  ['DenseNet (dense Concat, pre-activation BN)', denseNet, [2, 3, 16, 16]],
  ['VGG (BN, Linear-ReLU-Dropout)', vgg, [2, 3, 16, 16]],
  ['ConvNeXt opset 17 (depthwise 7x7, LayerNormalization, GELU, layer scale)', () => convNeXt(17), [2, 3, 16, 16]],
  ['ConvNeXt opset 11 (LayerNorm decomposition)', () => convNeXt(11), [2, 3, 16, 16]],
  ['MNASNet (inverted residual, depthwise 5x5)', mnasNet, [2, 3, 16, 16]],
  ['F.pad reflect export + Resize + LogSoftmax (opset 13)', () => padResizeExport('reflect', 13), [2, 3, 8, 8]],
  ['F.pad replicate export (opset 11)', () => padResizeExport('edge', 11), [2, 3, 8, 8]],
  ['ZeroPad2d export (opset 17)', () => padResizeExport('constant', 17), [2, 3, 8, 8]],
  ['Conv1d + ConvTranspose 1-D/2-D', convTransposeNet, [2, 4, 8, 8]],
  ['Einsum matmuls', einsumNet, [2, 3, 8, 8]],
];
