/**
 * @jest-environment ./test/runtime/ort-environment.js
 */
/**
 * Ideal executor vs onnxruntime-node on networks written with our writer:
 * outputs agree to 1e-4 relative. Crossbar mode with the exact float backend
 * must reproduce ideal mode (checks im2row / scatter / grouped mapping).
 */
import { writeOnnx } from '../../lib/onnx/writer';
import { readOnnx } from '../../lib/onnx/reader';
import { Graph } from '../../lib/onnx/ir';
import { GraphExecutor } from '../../lib/runtime/executor';
import { floatBackend } from '../../lib/runtime/backend';
import { leNet, legacyExport, mlp, mobileNetBlock, resNet20 } from './models';
import { ortRun, randomImages, relativeError } from './ort';

const cases: [string, () => Graph, number[]][] = [
  ['LeNet', leNet, [3, 1, 28, 28]],
  ['ResNet-20 (BN + residual Add)', resNet20, [2, 3, 32, 32]],
  ['MobileNet-style (depthwise, grouped, ReLU6, ceil pools)', mobileNetBlock, [3, 8, 17, 17]],
  ['MLP (Gemm, MatMul, Reshape, Pad, Dropout)', mlp, [4, 2, 4, 8]],
  ['opset-11 export pattern (Shape/Gather/Unsqueeze/Concat/Reshape, Constant, Transpose)', legacyExport, [3, 3, 12, 12]],
];

describe.each(cases)('%s', (_name, build, dims) => {
  const graph = build();
  const bytes = writeOnnx(graph);
  const images = randomImages(dims.reduce((a, b) => a * b, 1), 42);

  test('ideal mode matches onnxruntime-node to 1e-4 relative', async () => {
    const ref = await ortRun(bytes, graph.inputs[0].name, dims, images);
    const ex = await GraphExecutor.create(readOnnx(bytes), { mode: 'ideal' });
    const out = await ex.runBatch(images, dims);
    const expected = ref[graph.outputs[0].name];
    expect(out.dims).toEqual(expected.dims);
    const err = relativeError(expected.data, out.data);
    console.log(`${_name}: max relative error vs onnxruntime-node ${err.toExponential(2)}`);
    expect(err).toBeLessThan(1e-4);
  });

  test('crossbar mode with the float backend reproduces ideal mode', async () => {
    const ideal = await (await GraphExecutor.create(graph)).runBatch(images, dims);
    const ex = await GraphExecutor.create(graph, { mode: 'crossbar', backend: floatBackend() });
    expect(ex.layers.size).toBeGreaterThan(0);
    const out = await ex.runBatch(images, dims);
    expect(relativeError(ideal.data, out.data)).toBeLessThan(1e-5);
  });
});
