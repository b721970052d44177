/**
 * @jest-environment ./test/runtime/ort-environment.js
 */
/**
 * `nax-native eval` on MNIST with a classifier that actually classifies: a
 * nearest-class-mean network (Gemm on normalised class means, computed in
 * closed form from 2,000 training images), written with our writer.
 * onnxruntime-node and the ideal executor must agree; 64x64 crossbars stay
 * close to ideal; the per-layer table counts arrays like mappingGeometry.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { loadDataset } from '../../lib/data';
import { GraphBuilder } from '../../lib/onnx/builder';
import { attr, valueInfo } from '../../lib/onnx/ir';
import { writeOnnxFile } from '../../lib/onnx/writer';
import { evalHandler, formatEval, parseNormalizeFlag } from '../../lib/cli/commands/eval';
import { costHandler } from '../../lib/cli/commands/cost';
import { evaluateModel } from '../../lib/runtime/evaluate';
import { leNet } from './models';
import { mappingGeometry } from '../../lib/crossbar/geometry';

async function classMeanModel(file: string): Promise<void> {
  const train = await loadDataset({ name: 'mnist', split: 'train', limit: 2000 });
  const d = 784;
  const means = new Float64Array(10 * d);
  const counts = new Float64Array(10);
  for (let i = 0; i < train.count; i++) {
    const c = train.labels[i];
    counts[c]++;
    for (let j = 0; j < d; j++) means[c * d + j] += train.images[i * d + j];
  }
  // Logit_c = x . m_c - |m_c|^2 / 2 (nearest mean in Euclidean distance).
  const w = new Float32Array(10 * d);
  const bias = new Float32Array(10);
  for (let c = 0; c < 10; c++) {
    let sq = 0;
    for (let j = 0; j < d; j++) {
      const m = means[c * d + j] / counts[c];
      w[c * d + j] = m;
      sq += m * m;
    }
    bias[c] = -sq / 2;
  }
  const b = new GraphBuilder({ inputs: [valueInfo('image', [1, 1, 28, 28])] });
  b.constant('w', [10, d], w);
  b.constant('b', [10], bias);
  // Hidden conv so the table has a conv layer too: an identity 1x1 conv (exact on crossbars up to quantization).
  b.constant('idw', [1, 1, 1, 1], new Float32Array([1]));
  const conv = b.op('Conv', ['image', 'idw'], { kernel_shape: attr.ints([1, 1]) }, 'identity_conv');
  const logits = b.op('Gemm', [b.flatten(conv), 'w', 'b'], { transB: attr.int(1) }, 'classifier');
  writeOnnxFile(file, b.finish([logits]));
}

test('eval: ORT and ideal agree, crossbars close, table and JSON', async () => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'nax-eval-')), 'ncm.onnx');
  await classMeanModel(file);
  const mappingFile = path.join(path.dirname(file), 'mapping.json');
  fs.writeFileSync(mappingFile, JSON.stringify({ default: { parasitics: true }, layers: { classifier: { rows: 128, cols: 32 } } }));
  const r = await evalHandler({ model: file, dataset: 'mnist', limit: 500, xbar: 64, mapping: mappingFile, progress: false });
  console.log(formatEval(r));
  expect(r.images).toBe(500);
  expect(r.accuracy.onnxruntime).toBeGreaterThan(0.7);
  expect(r.accuracy.ideal).toBe(r.accuracy.onnxruntime);
  expect(r.idealOrtAgreement).toBe(1);
  expect(r.idealOrtMaxRelativeError!).toBeLessThan(1e-4);
  expect(Math.abs(r.accuracy.crossbar - r.accuracy.ideal)).toBeLessThan(0.05);
  const cls = r.layers.find((l) => l.name === 'classifier')!;
  expect(cls.crossbar).toBe('128x32');
  expect(cls.shape).toBe('784 x 10');
  expect(cls.arrays).toBe(mappingGeometry({ k: 784, n: 10, rows: 128, cols: 32, weightBits: 8, bitsPerCell: 2, inputBits: 8, dacBits: 1 }).arrays);
  expect(r.layers.find((l) => l.name === 'identity_conv')!.crossbar).toBe('64x64');
  expect(r.total.edap).toBeGreaterThan(0);
  expect(JSON.parse(JSON.stringify(r)).accuracy.ideal).toBe(r.accuracy.ideal);
});

test('eval errors: missing model file and unknown mapping layer', async () => {
  await expect(evalHandler({ model: '/nonexistent.onnx', dataset: 'mnist', limit: 10 })).rejects.toMatchObject({ name: 'NaxError', code: 'ERR_NAX_IO' });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nax-eval-'));
  await classMeanModel(path.join(dir, 'm.onnx'));
  fs.writeFileSync(path.join(dir, 'map.json'), JSON.stringify({ layers: { conv99: { rows: 16 } } }));
  await expect(
    evalHandler({ model: path.join(dir, 'm.onnx'), dataset: 'mnist', limit: 10, mapping: path.join(dir, 'map.json'), skipOrt: true }),
  ).rejects.toMatchObject({ name: 'NaxError', code: 'ERR_NAX_CONFIG', message: expect.stringContaining('conv99') });
});

test('cost and eval of the same model and crossbar agree (one plan) with the default input activity; measured activity changes only the read energy; normalisation is an explicit option shown in the output', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nax-eval-cost-'));
  const file = path.join(dir, 'lenet.onnx');
  writeOnnxFile(file, leNet());
  // Normalised MNIST (the default): the first conv sees negative pixels, every later layer a ReLU output.
  const common = { model: file, dataset: 'mnist' as const, limit: 40, xbar: 64, skipOrt: true, progress: false, inputActivity: 'default' };
  const r = await evalHandler(common);
  expect(r.inputActivity).toMatchObject({ source: 'default', measuredLayers: 0 });
  expect(formatEval(r)).toContain('input activity: default');
  // The default: measured on the 256 calibration images; same plan, so the same arrays, latency and area.
  const measured = await evalHandler({ ...common, inputActivity: undefined });
  expect(measured.inputActivity).toMatchObject({ source: 'measured', images: 256, measuredLayers: 5, defaultLayers: 0 });
  expect(formatEval(measured)).toContain('input activity: measured on 256 calibration images');
  expect(measured.total.latencySeconds).toBe(r.total.latencySeconds);
  expect(measured.total.areaMm2).toBe(r.total.areaMm2);
  expect(measured.total.energyJoules).not.toBe(r.total.energyJoules);
  await expect(evalHandler({ ...common, inputActivity: 'bits' })).rejects.toMatchObject({ name: 'NaxError', message: expect.stringContaining('--input-activity') });
  const c = costHandler({ model: file, xbar: 64 });
  if (c.kind !== 'network') throw new Error('expected a network cost');
  expect(r.signedInputLayers).toEqual([c.cost.layers[0].name]);
  expect(c.cost.layers.map((l) => l.readsPerMvm)).toEqual([16, 8, 8, 8, 8]);
  expect(c.cost.total.edap).toBe(r.total.edap);
  expect(c.cost.total.energyJoules.total).toBe(r.total.energyJoules);
  expect(r.normalization).toEqual({ mean: [0.1307], std: [0.3081] });
  expect(formatEval(r)).toContain('(x - mean) / std with mean 0.1307, std 0.3081 (the mnist default; --normalize none for [0, 1] pixels)');
  // [0, 1] pixels: no layer is signed, and the cost command says the same with --non-negative-input.
  const plain = await evalHandler({ ...common, normalize: 'none' });
  const c2 = costHandler({ model: file, xbar: 64, nonNegativeInput: true });
  if (c2.kind !== 'network') throw new Error('expected a network cost');
  expect(plain.normalization).toBeNull();
  expect(plain.signedInputLayers).toEqual([]);
  expect(c2.cost.total.edap).toBe(plain.total.edap);
  expect(plain.total.edap).toBeLessThan(r.total.edap);
  expect(formatEval(plain)).toContain('plain [0, 1] pixels');
  // An explicit mean:std.
  const custom = await evalHandler({ model: file, dataset: 'mnist', limit: 10, xbar: 64, skipOrt: true, progress: false, normalize: '0.5:0.5' });
  expect(custom.normalization).toEqual({ mean: [0.5], std: [0.5] });
  for (const bad of ['0.5', '0.5:0', 'x:y', '0.1,0.2:0.3'])
    expect(() => parseNormalizeFlag(bad)).toThrow(expect.objectContaining({ name: 'NaxError', message: expect.stringContaining('--normalize') }));
});

test('eval --chips 3: three per-chip accuracies under variation, their mean, std and 95% CI; one chip prints no interval; --chips is checked before any load', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nax-eval-chips-'));
  const file = path.join(dir, 'ncm.onnx');
  await classMeanModel(file);
  const mappingFile = path.join(dir, 'variation.json');
  fs.writeFileSync(mappingFile, JSON.stringify({ default: { variation: { sigma: 0.4, distribution: 'lognormal' } } }));
  const base = { model: file, dataset: 'mnist' as const, limit: 100, xbar: 32, mapping: mappingFile, skipOrt: true, progress: false };
  const r = await evalHandler({ ...base, chips: 3 });
  expect(r.crossbarChips.chips).toBe(3);
  expect(r.crossbarChips.accuracies).toHaveLength(3);
  expect(new Set(r.crossbarChips.accuracies).size).toBeGreaterThan(1);
  expect(r.accuracy.crossbar).toBeCloseTo(r.crossbarChips.accuracies.reduce((a, b) => a + b) / 3, 12);
  const [lo, hi] = r.crossbarChips.ci95!;
  expect(lo).toBeLessThan(r.accuracy.crossbar);
  expect(hi).toBeGreaterThan(r.accuracy.crossbar);
  expect(formatEval(r)).toMatch(/crossbars {8}: \d+\.\d\d% ± \d+\.\d\d% \(95% CI .*, 3 chips: /);
  // One chip: chip 0's accuracy, exactly as before chips existed, and no spread or interval.
  const one = await evalHandler(base);
  expect(one.accuracy.crossbar).toBe(r.crossbarChips.accuracies[0]);
  expect(one.crossbarChips).toMatchObject({ chips: 1, std: null, ci95: null });
  expect(formatEval(one)).not.toContain('CI');
  // Progress counts every chip's pass (one batch per chip here).
  const events: Array<[number, number]> = [];
  await evaluateModel({ model: file, dataset: 'mnist', limit: 100, xbar: 32, skipOrt: true, chips: 2, batchSize: 100, onProgress: (d, t) => void events.push([d, t]) });
  expect(events.map(([d]) => d)).toEqual([100, 200, 300]);
  expect(events.every(([, t]) => t === 300)).toBe(true);
  for (const bad of [0, 1001, 2.5])
    await expect(evalHandler({ ...base, model: '/nonexistent.onnx', chips: bad })).rejects.toMatchObject({ name: 'NaxError', message: expect.stringContaining('--chips') });
});
