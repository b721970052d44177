/**
 * Lowering: BatchNorm folding preserves outputs; lowered layers have the
 * geometry the cost model relies on (K, N, output pixels, groups) and the
 * K x N weight layout.
 */
import { attr, createGraph, node, tensor, valueInfo } from '../../lib/onnx/ir';
import { foldBatchNorm, lowerToCrossbarLayers } from '../../lib/runtime/lower';
import { GraphExecutor } from '../../lib/runtime/executor';
import { legacyExport, mobileNetBlock, resNet20 } from './models';
import { randomImages, relativeError } from './ort';

test('BN folding removes every BatchNorm after a conv and keeps outputs (1e-5)', async () => {
  const g = resNet20();
  const folded = foldBatchNorm(g);
  expect(g.nodes.filter((n) => n.opType === 'BatchNormalization').length).toBe(21);
  expect(folded.nodes.filter((n) => n.opType === 'BatchNormalization').length).toBe(0);
  const images = randomImages(2 * 3 * 32 * 32, 5);
  const a = await (await GraphExecutor.create(g, { foldBatchNorm: false })).runBatch(images, [2, 3, 32, 32]);
  const b = await (await GraphExecutor.create(g)).runBatch(images, [2, 3, 32, 32]);
  expect(relativeError(a.data, b.data)).toBeLessThan(1e-5);
});

test('ResNet-20 lowers to 22 layers with the right K x N and pixels', () => {
  const layers = lowerToCrossbarLayers(resNet20());
  expect(layers.length).toBe(22); // 19 3x3 convs + 2 projections + fc
  const first = layers[0];
  expect([first.name, first.k, first.n, first.outputPixels, first.groups]).toEqual(['conv1', 27, 16, 1024, 1]);
  const down = layers.find((l) => l.name === 'layer2.0.conv1')!;
  expect([down.k, down.n, down.outputPixels, down.stride]).toEqual([144, 32, 256, [2, 2]]);
  const fc = layers[layers.length - 1];
  expect([fc.opType, fc.k, fc.n, fc.outputPixels]).toEqual(['Gemm', 64, 10, 1]);
  expect(fc.bias?.length).toBe(10);
  for (const l of layers) expect(l.weights.length).toBe(l.groups * l.k * l.n);
});

test('grouped/depthwise convs: one K x N matrix per group, group-major', () => {
  const layers = lowerToCrossbarLayers(mobileNetBlock());
  const dw = layers.find((l) => l.groups === 24)!;
  expect([dw.k, dw.n, dw.inChannels, dw.outChannels, dw.outputPixels]).toEqual([9, 1, 24, 24, 81]);
  const grouped = layers.find((l) => l.groups === 4)!;
  expect([grouped.k, grouped.n, grouped.dilation]).toEqual([36, 4, [2, 2]]);
});

test('weights are K x N row-major: W[k*N + n] = onnx weight[n, k]', () => {
  const w = Float32Array.from({ length: 2 * 3 * 2 * 2 }, (_, i) => i);
  const g = createGraph({
    nodes: [node('Conv', ['x', 'w'], ['y'], { kernel_shape: attr.ints([2, 2]) }, 'c')],
    inputs: [valueInfo('x', [1, 3, 4, 4])],
    outputs: [valueInfo('y', [1, 2, 3, 3])],
    initializers: new Map([['w', tensor('w', [2, 3, 2, 2], w)]]),
  });
  const [l] = lowerToCrossbarLayers(g);
  expect([l.k, l.n, l.outputPixels]).toEqual([12, 2, 9]);
  for (let k = 0; k < 12; k++) for (let n = 0; n < 2; n++) expect(l.weights[k * 2 + n]).toBe(w[n * 12 + k]);
});

test('shape chains from older exporters fold, so the Gemm after them is a crossbar layer', () => {
  const layers = lowerToCrossbarLayers(legacyExport());
  expect(layers.map((l) => [l.opType, l.k, l.n])).toEqual([
    ['Conv', 27, 8],
    ['Gemm', 72, 16],
  ]);
});
