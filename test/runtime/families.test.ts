/**
 * @jest-environment ./test/runtime/ort-environment.js
 */
/**
 * Issue 17: every torchvision classification family and the timm-style blocks (./families.ts,
 * random seeded weights) run in the ideal executor and match onnxruntime-node to 1e-5 (max
 * |diff| / max |ref| over the logits); crossbar mode with the exact float backend maps every
 * weighted op (Conv incl. grouped/depthwise/1-D, ConvTranspose, Gemm, MatMul with a constant
 * operand) onto crossbar layers and reproduces ideal mode, with grouped convs both one matrix per
 * group and packed block-diagonally; and the crossbar engine with ideal devices, programmed from
 * the plan, reproduces it too and programs exactly the planned arrays.
 */
import { writeOnnx } from '../../lib/onnx/writer';
import { readOnnx } from '../../lib/onnx/reader';
import { GraphExecutor, weightedOps } from '../../lib/runtime/executor';
import { floatBackend } from '../../lib/runtime/backend';
import { groupsPerArray, prepareGraph } from '../../lib/runtime/lower';
import { crossbarBackend } from '../../lib/runtime/crossbar-backend';
import { planGraph } from '../../lib/plan';
import { families } from './families';
import { ortRun, randomImages, relativeError } from './ort';

describe.each(families)('%s', (name, build, dims) => {
  const graph = build();
  const bytes = writeOnnx(graph);
  const images = randomImages(dims.reduce((a, b) => a * b, 1), 17);
  let ideal: Float32Array;

  test('ideal mode matches onnxruntime-node to 1e-5', async () => {
    const ref = await ortRun(bytes, 'input', dims, images);
    const ex = await GraphExecutor.create(readOnnx(bytes), { mode: 'ideal', threads: 2 });
    const out = await ex.runBatch(images, dims);
    const expected = ref[graph.outputs[0].name];
    expect(out.dims).toEqual(expected.dims);
    const err = relativeError(expected.data, out.data);
    console.log(`${name}: max relative error vs onnxruntime-node ${err.toExponential(2)}`);
    expect(err).toBeLessThan(1e-5);
    ideal = out.data as Float32Array;
  });

  test('crossbar mode maps every weighted op and reproduces ideal mode (per-group and block-diagonal)', async () => {
    const prepared = prepareGraph(graph);
    const weighted = prepared.nodes.filter((nd) => weightedOps.has(nd.opType) && prepared.initializers.has(nd.inputs[1]));
    const perGroup = await GraphExecutor.create(graph, { mode: 'crossbar', backend: floatBackend(2), threads: 2 });
    expect([...perGroup.layers.keys()].sort()).toEqual(weighted.map((nd) => nd.name).sort());
    expect(relativeError(ideal, (await perGroup.runBatch(images, dims)).data)).toBeLessThan(1e-5);
    const packed = await GraphExecutor.create(graph, {
      mode: 'crossbar',
      threads: 2,
      backend: floatBackend(2, { groupsPerMatrix: (l) => (l.opType === 'Conv' ? groupsPerArray(l.k, l.n, l.groups, 64, 64) : 1) }),
    });
    expect(relativeError(ideal, (await packed.runBatch(images, dims)).data)).toBeLessThan(1e-5);
  });

  test('on the crossbar engine through the plan (ideal devices, block-diagonal groups): ideal mode again', async () => {
    const plan = planGraph(graph, { mapping: { default: { rows: 64, cols: 64, ideal: true } }, groupPacking: 'block-diagonal' });
    const backend = crossbarBackend(plan);
    const ex = await GraphExecutor.create(graph, { mode: 'crossbar', backend, threads: 2 });
    expect(relativeError(ideal, (await ex.runBatch(images, dims)).data)).toBeLessThan(1e-5);
    const arrays = backend.programmed().reduce((s, p) => s + p.state.arrays, 0);
    expect(arrays).toBe(plan.layers.reduce((s, l) => s + l.arrays, 0));
    backend.dispose();
  });
});
