/** Test networks built with the writer's IR builder (random, seeded weights). */
import { Graph, attr, int64Tensor, valueInfo } from '../../lib/onnx/ir';
import { GraphBuilder, buildResNet20 } from '../../lib/onnx/builder';

export function leNet(): Graph {
  const b = new GraphBuilder({ inputs: [valueInfo('input', ['batch', 1, 28, 28])], seed: 5 });
  let x = b.maxPool(b.relu(b.conv('input', { outChannels: 6, kernel: 5, pad: 2 })), 2);
  x = b.maxPool(b.relu(b.conv(x, { outChannels: 16, kernel: 5, pad: 0 })), 2);
  x = b.relu(b.gemm(b.flatten(x), 120));
  x = b.relu(b.gemm(x, 84));
  return b.finish([b.softmax(b.gemm(x, 10))], 'lenet');
}

export function resNet20(): Graph {
  return buildResNet20({ seed: 3 });
}

/** MobileNet-style: 1x1 expand, depthwise 3x3 stride 2, ReLU6 (Clip), grouped conv, pools with padding/ceil. */
export function mobileNetBlock(): Graph {
  const b = new GraphBuilder({ inputs: [valueInfo('input', ['batch', 8, 17, 17])], seed: 11 });
  let x = b.clip(b.batchNorm(b.conv('input', { outChannels: 24, kernel: 1, pad: 0, bias: false })));
  x = b.clip(b.batchNorm(b.conv(x, { outChannels: 24, kernel: 3, stride: 2, groups: 24, bias: false })));
  x = b.batchNorm(b.conv(x, { outChannels: 16, kernel: 1, pad: 0, bias: false }));
  const y = b.relu(b.conv(x, { outChannels: 16, kernel: 3, groups: 4, dilation: 2, pad: 2 }));
  x = b.add(x, y);
  x = b.op('LeakyRelu', [b.conv(x, { outChannels: 32, kernel: [3, 1], autoPad: 'SAME_UPPER', stride: 2 })], { alpha: attr.float(0.1) });
  const p1 = b.avgPool(x, 3, 2, 1, true, true);
  const p2 = b.maxPool(x, 3, 2, 1, true);
  x = b.op('Concat', [p1, p2], { axis: attr.int(1) });
  x = b.globalAvgPool(x);
  return b.finish([b.gemm(b.flatten(x), 10)], 'mobilenet_block');
}

/** MLP exercising Gemm and MatMul forms, Reshape 0/-1, Pad, Dropout, Sigmoid, Mul/Sub broadcasting. */
export function mlp(): Graph {
  const b = new GraphBuilder({ inputs: [valueInfo('input', ['batch', 2, 4, 8])], seed: 7 });
  b.initializers.set('shape', int64Tensor('shape', [0, -1]));
  let x = b.op('Reshape', ['input', 'shape']);
  b.initializers.set('pads', int64Tensor('pads', [0, 2, 0, 3]));
  x = b.op('Pad', [x, 'pads'], { mode: attr.string('constant') });
  x = b.relu(b.gemm(x, 48));
  x = b.op('Dropout', [x]);
  const h = b.matmul(x, 32);
  const gate = b.op('Sigmoid', [b.matmul(x, 32)]);
  x = b.op('Mul', [h, gate]);
  x = b.op('Sub', [x, b.constant('shift', [1, 32], b.uniform(32, -0.5, 0.5))]);
  x = b.op('LeakyRelu', [x], { alpha: attr.float(0.2) });
  return b.finish([b.softmax(b.gemm(x, 10))], 'mlp');
}

/**
 * The older PyTorch exporter's flatten: Shape -> Gather(0) -> Unsqueeze -> Concat([-1]) -> Reshape,
 * opset 11 (Unsqueeze axes attribute), plus a Constant node and a Transpose; the shape chain must
 * be folded at lowering time so the Gemm after it is a crossbar layer.
 */
export function legacyExport(): Graph {
  const b = new GraphBuilder({ inputs: [valueInfo('input', ['batch', 3, 12, 12])], seed: 13, opset: 11 });
  let x = b.relu(b.conv('input', { outChannels: 8, kernel: 3, stride: 2 }));
  x = b.avgPool(x, 2, 2);
  const shape = b.op('Shape', [x]);
  b.initializers.set('zero', int64Tensor('zero', [0], []));
  const n = b.op('Gather', [shape, 'zero'], { axis: attr.int(0) });
  const n1 = b.op('Unsqueeze', [n], { axes: attr.ints([0]) });
  const minus1 = b.op('Constant', [], { value: attr.tensor(int64Tensor('m1', [-1])) });
  const target = b.op('Concat', [n1, minus1], { axis: attr.int(0) });
  x = b.op('Reshape', [x, target]);
  x = b.gemm(x, 16);
  x = b.op('Transpose', [b.op('Unsqueeze', [x], { axes: attr.ints([2]) })], { perm: attr.ints([0, 2, 1]) });
  return b.finish([b.op('Flatten', [x], { axis: attr.int(1) })], 'legacy_export');
}
