/**
 * Crossbar mode on the crossbar engine: ideal crossbars reproduce ideal mode,
 * quantized crossbars stay close, per-layer overrides take effect, mappings
 * are validated, and calibration gives every layer an input scale.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { GraphExecutor } from '../../lib/runtime/executor';
import { calibrateInputRanges } from '../../lib/runtime/calibrate';
import { crossbarBackend } from '../../lib/runtime/crossbar-backend';
import { loadMapping, planGraph } from '../../lib/plan';
import { lowerToCrossbarLayers } from '../../lib/runtime/lower';
import { leNet, mobileNetBlock } from './models';
import { randomImages, relativeError } from './ort';

const dims = [4, 1, 28, 28];
const images = randomImages(4 * 784, 8);

test('ideal crossbars reproduce ideal mode (1e-5)', async () => {
  const g = leNet();
  const ideal = await (await GraphExecutor.create(g)).runBatch(images, dims);
  const backend = crossbarBackend(planGraph(g, { mapping: { default: { ideal: true } } }));
  const out = await (await GraphExecutor.create(g, { mode: 'crossbar', backend })).runBatch(images, dims);
  expect(relativeError(ideal.data, out.data)).toBeLessThan(1e-5);
  backend.dispose();
});

test('calibrated 8-bit crossbars stay within a few percent; parasitics and variation move outputs further', async () => {
  const g = leNet();
  const inputRanges = await calibrateInputRanges(g, [{ images, dims }]);
  expect([...inputRanges.keys()]).toEqual(lowerToCrossbarLayers(g).map((l) => l.name));
  for (const r of inputRanges.values()) expect(r.maxAbs).toBeGreaterThan(0);
  // The plan takes every layer's DAC full scale from calibration.
  const quantPlan = planGraph(g, { mapping: { default: { rows: 64, cols: 64 } }, inputRanges });
  for (const l of quantPlan.layers) expect(l.config.inputScale).toBe(inputRanges.get(l.name)!.maxAbs);
  // Compare pre-softmax logits: drop the softmax by reading the last Gemm.
  const ideal = await (await GraphExecutor.create(g)).runBatch(images, dims);
  const quant = crossbarBackend(quantPlan);
  const q = await (await GraphExecutor.create(g, { mode: 'crossbar', backend: quant })).runBatch(images, dims);
  const errQ = relativeError(ideal.data, q.data);
  const noisyMapping = { default: { rows: 64, cols: 64, parasitics: true, variation: { sigma: 0.2, distribution: 'lognormal' as const }, seed: 3 } };
  const noisy = crossbarBackend(planGraph(g, { mapping: noisyMapping, inputRanges }));
  const n = await (await GraphExecutor.create(g, { mode: 'crossbar', backend: noisy })).runBatch(images, dims);
  const errN = relativeError(ideal.data, n.data);
  console.log(`LeNet softmax outputs vs ideal: 8-bit crossbars ${errQ.toExponential(2)}, + parasitics + 20% variation ${errN.toExponential(2)}`);
  expect(errQ).toBeGreaterThan(0);
  expect(errQ).toBeLessThan(0.05);
  expect(errN).toBeGreaterThan(errQ);
  quant.dispose();
  noisy.dispose();
});

test('per-layer overrides by node name (object and JSON file); unknown names are rejected', async () => {
  const g = mobileNetBlock();
  const layers = lowerToCrossbarLayers(g);
  const name = layers[1].name;
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'nax-map-')), 'mapping.json');
  fs.writeFileSync(file, JSON.stringify({ default: { rows: 32, cols: 32 }, layers: { [name]: { rows: 16, cols: 16 } } }));
  const mapping = loadMapping(file);
  const plan = planGraph(g, { mapping });
  expect(plan.layers[1]).toMatchObject({ name, config: expect.objectContaining({ rows: 16, cols: 16 }) });
  expect(plan.layers[0].config).toMatchObject({ rows: 32, cols: 32 });
  // Depthwise: 24 groups of a 9 x 1 matrix -> 24 * (1 * 1 * 4 slices * 2) arrays.
  const dw = plan.layers.find((r) => r.groups === 24)!;
  expect(dw.arrays).toBe(24 * 4 * 2);
  expect(new Set(dw.groupSeeds).size).toBe(24);
  const backend = crossbarBackend(plan);
  await GraphExecutor.create(g, { mode: 'crossbar', backend });
  backend.dispose();
  expect(() => planGraph(g, { mapping: { layers: { nope: { rows: 8 } } } })).toThrow(
    expect.objectContaining({ name: 'NaxError', code: 'ERR_NAX_CONFIG', message: expect.stringContaining(layers[0].name) }),
  );
  // A plan made for another model is refused by name.
  const other = crossbarBackend(planGraph(leNet()));
  await expect(GraphExecutor.create(g, { mode: 'crossbar', backend: other })).rejects.toMatchObject({ name: 'NaxError', message: expect.stringContaining('make the plan from the same model') });
  other.dispose();
  fs.writeFileSync(file, '{ not json');
  expect(() => loadMapping(file)).toThrow(expect.objectContaining({ code: 'ERR_NAX_CONFIG' }));
});

test('streaming 10,000 images keeps memory bounded', async () => {
  const g = leNet();
  const ex = await GraphExecutor.create(g);
  const batch = 250;
  const one = randomImages(batch * 784, 2);
  async function* source() {
    for (let i = 0; i < 10000 / batch; i++) yield { images: one, dims: [batch, 1, 28, 28] };
  }
  let seen = 0;
  let peak = 0;
  const before = process.memoryUsage().rss;
  for await (const out of ex.stream(source())) {
    seen += out.dims[0];
    peak = Math.max(peak, process.memoryUsage().rss);
  }
  expect(seen).toBe(10000);
  // lib/data batches ({ images, count, shape }) stream too.
  let counted = 0;
  for await (const out of ex.stream([{ images: one, count: batch, shape: [1, 28, 28] }])) counted += out.dims[0];
  expect(counted).toBe(batch);
  // One batch's working set is a few MB; 10,000 images' activations would be > 100 MB.
  expect(peak - before).toBeLessThan(100 * 2 ** 20);
});
