/**
 * @jest-environment ./test/runtime/ort-environment.js
 */
/**
 * Supernet: single-path training shares one elastic weight per searchable
 * conv; an extracted subnet (inherited centre weights, recalibrated BN)
 * exported to ONNX gives onnxruntime-node the trainer's own predictions.
 */
import * as fs from 'fs';
import * as ort from 'onnxruntime-node';
import { loadDataset } from '../../lib/data';
import { buildNetwork, exportOnnx, extractSubnet, sampleEpochKernels, subnetSpec, trainModel, TrainModel } from '../../lib/train';
import { readOnnx } from '../../lib/onnx/reader';
import { bandImages } from './synthetic';

async function ortLogits(bytes: Uint8Array, images: Float32Array, dims: number[]): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1 });
  const out = await session.run({ input: new ort.Tensor('float32', images, dims) });
  await session.release();
  return out.logits.data as Float32Array;
}

function argmaxRows(logits: ArrayLike<number>, classes: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < logits.length / classes; i++) {
    let best = 0;
    for (let k = 1; k < classes; k++) if (logits[i * classes + k] > logits[i * classes + best]) best = k;
    out.push(best);
  }
  return out;
}

describe('supernet', () => {
  test('sampling is seeded and covers every choice', () => {
    const choices = [[3, 5, 7], [3, 5, 7], [3, 5]];
    const a = sampleEpochKernels(choices, 200, 1, 0);
    expect(sampleEpochKernels(choices, 200, 1, 0)).toEqual(a);
    expect(sampleEpochKernels(choices, 200, 1, 1)).not.toEqual(a);
    for (let l = 0; l < 3; l++) expect(new Set(a.map((k) => k[l]))).toEqual(new Set(choices[l]));
  });

  test('subnet spec fixes each searchable conv and rejects non-choices', () => {
    const spec = buildNetwork('resnet-mnist', { kernels: [3, 5, 7] });
    const n = spec.nodes.filter((x) => x.kernelChoices).length;
    expect(n).toBe(7);
    const sub = subnetSpec(spec, [3, 5, 7, 3, 5, 7, 3]);
    expect(sub.nodes.filter((x) => x.kernelChoices).map((x) => [x.kernel, x.pad])).toEqual([[3, 1], [5, 2], [7, 3], [3, 1], [5, 2], [7, 3], [3, 1]]);
    expect(() => subnetSpec(spec, [3, 5, 7, 3, 5, 7, 9])).toThrow(expect.objectContaining({ name: 'NaxError' }));
  });

  test('extracted subnet == supernet at those kernels; ONNX export matches onnxruntime-node', async () => {
    const shape: [number, number, number] = [1, 12, 12];
    const spec = buildNetwork('resnet-mnist', { inputShape: shape, width: 6, kernels: [3, 5, 7], classes: 4 });
    const supernet = new TrainModel(spec, { seed: 4, threads: 2 });
    const train = bandImages(512, shape, 4, 3);
    const test = bandImages(300, shape, 4, 77);
    await trainModel(supernet, train, { epochs: 2, batchSize: 32, supernet: true, lr: 0.05 });
    const kernels = [3, 5, 7, 3, 5, 7, 5];
    const sub = await extractSubnet(supernet, kernels, { calibration: train, calibrationBatches: 4, calibrationBatchSize: 64 });
    // Same numbers from the supernet itself with those kernels and the same recalibration.
    supernet.setKernels(kernels);
    await supernet.recalibrateBatchNorm(train, { batches: 4, batchSize: 64 });
    const a = await supernet.predict(test.images, test.count);
    const b = await sub.predict(test.images, test.count);
    expect(Array.from(b)).toEqual(Array.from(a));

    const bytes = exportOnnx(sub);
    const graph = readOnnx(bytes);
    expect(graph.nodes.filter((n) => n.opType === 'Conv').map((n) => n.attributes.kernel_shape)).toContainEqual({ type: 'ints', value: [7, 7] });
    const ref = await ortLogits(bytes, test.images, [test.count, ...shape]);
    let maxDiff = 0, maxRef = 0;
    for (let i = 0; i < ref.length; i++) {
      maxDiff = Math.max(maxDiff, Math.abs(ref[i] - b[i]));
      maxRef = Math.max(maxRef, Math.abs(ref[i]));
    }
    expect(maxDiff / maxRef).toBeLessThan(1e-4);
    const ours = argmaxRows(b, 4), theirs = argmaxRows(ref, 4);
    expect(theirs).toEqual(ours);
    const accOurs = (await sub.evaluate(test)).accuracy;
    const accOrt = theirs.filter((p, i) => p === test.labels[i]).length / test.count;
    expect(Math.abs(accOrt - accOurs)).toBeLessThan(1e-6);
    expect(accOurs).toBeGreaterThan(0.5);
  });

  test('MNIST: a 3x3 subnet of a [3,5,7] supernet after a few hundred images, through onnxruntime-node', async () => {
    let train, test;
    try {
      train = await loadDataset({ name: 'mnist', split: 'train', limit: 1536 });
      test = await loadDataset({ name: 'mnist', split: 'test', limit: 300 });
    } catch (err) {
      console.warn(`skipping: MNIST not available (${(err as Error).message})`);
      return;
    }
    const spec = buildNetwork('resnet-mnist', { width: 8, kernels: [3, 5, 7] });
    const supernet = new TrainModel(spec, { seed: 1 });
    await trainModel(supernet, train, { epochs: 2, batchSize: 64, supernet: true, lr: 0.05, warmupEpochs: 0 });
    const sub = await extractSubnet(supernet, new Array(7).fill(3), { calibration: train, calibrationBatches: 8 });
    const logits = await sub.predict(test.images, test.count);
    const ours = await sub.evaluate(test);
    const ref = await ortLogits(exportOnnx(sub), test.images, [test.count, 1, 28, 28]);
    const ortPred = argmaxRows(ref, 10);
    expect(ortPred).toEqual(argmaxRows(logits, 10));
    expect(Math.abs(ortPred.filter((p, i) => p === test.labels[i]).length / test.count - ours.accuracy)).toBeLessThan(1e-6);
    expect(ours.accuracy).toBeGreaterThan(0.2); // chance is 0.1; the all-3x3 path is sampled rarely this early
  });

  test('MNIST: a few hundred steps of a plain 28x28 ResNet beat 85% test accuracy', async () => {
    let train, test;
    try {
      train = await loadDataset({ name: 'mnist', split: 'train', limit: 4096 });
      test = await loadDataset({ name: 'mnist', split: 'test', limit: 500 });
    } catch (err) {
      console.warn(`skipping: MNIST not available (${(err as Error).message})`);
      return;
    }
    const model = new TrainModel(buildNetwork('resnet-mnist', { width: 8 }), { seed: 1 });
    await trainModel(model, train, { epochs: 2, batchSize: 32, lr: 0.05, warmupEpochs: 0.1 });
    expect((await model.evaluate(test)).accuracy).toBeGreaterThan(0.85);
  });

  test('export of a plain LeNet runs in onnxruntime-node (Flatten, MaxPool, Gemm)', async () => {
    const model = new TrainModel(buildNetwork('lenet'), { seed: 2 });
    const images = bandImages(5, [1, 28, 28], 4).images;
    const ref = await ortLogits(exportOnnx(model), images, [5, 1, 28, 28]);
    const ours = await model.predict(images, 5);
    for (let i = 0; i < ref.length; i++) expect(Math.abs(ref[i] - ours[i])).toBeLessThan(1e-4);
    expect(fs.existsSync('/')).toBe(true);
  });
});

describe('kernel schedule (Once-for-All progressive shrinking, BigNAS sandwich)', () => {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const { allowedKernels } = require('../../lib/train');
  const c = [3, 5, 7];
  test('largest kernel alone first, then smaller kernels join', () => {
    const s = { largestFraction: 0.25, stages: 'progressive' as const };
    expect(allowedKernels(c, 0, 100, s)).toEqual([7]);
    expect(allowedKernels(c, 24, 100, s)).toEqual([7]);
    expect(allowedKernels(c, 25, 100, s)).toEqual([5, 7]);
    expect(allowedKernels(c, 99, 100, s)).toEqual([3, 5, 7]);
    expect(allowedKernels(c, 30, 100, { largestFraction: 0.25, stages: 'all' })).toEqual(c);
    expect(allowedKernels(c, 30, 100, undefined)).toEqual(c);
  });
  test('sandwich trains the smallest and the largest subnet every third step', () => {
    const s = { largestFraction: 0, stages: 'all' as const, sandwich: true };
    expect([0, 1, 2, 3].map((i) => allowedKernels(c, i, 100, s))).toEqual([[3], [7], c, [3]]);
  });
  test('sampled plans follow the schedule and are seeded', () => {
    const choices = [c, c];
    const plan = sampleEpochKernels(choices, 40, 1, 0, { kernels: { largestFraction: 0.5, stages: 'all' }, totalSteps: 40 });
    expect(plan.slice(0, 20).every((k) => k.every((x) => x === 7))).toBe(true);
    expect(new Set(plan.slice(20).flat())).toEqual(new Set(c));
    expect(sampleEpochKernels(choices, 40, 1, 0, { kernels: { largestFraction: 0.5, stages: 'all' }, totalSteps: 40 })).toEqual(plan);
  });
  test('a bad schedule is a NaxError naming the field', async () => {
    const spec = buildNetwork('resnet-mnist', { inputShape: [1, 8, 8], width: 2, kernels: [3, 5], classes: 2 });
    const m = new TrainModel(spec, { seed: 1, threads: 1 });
    const data = bandImages(8, [1, 8, 8], 2);
    await expect(trainModel(m, data, { epochs: 1, batchSize: 4, supernet: true, kernelSchedule: { largestFraction: 2, stages: 'all' } }))
      .rejects.toMatchObject({ name: 'NaxError', message: expect.stringContaining('kernelSchedule.largestFraction') });
  });
});
