/**
 * Trainer behaviour: a small model memorises a small batch; results are
 * bit-identical for any thread count and after checkpoint + resume; the
 * augmentation and schedule do what they say; bad input gives NaxError.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { loadAddon } from '../../lib/native';
import { buildNetwork, cosineLr, encodeCheckpoint, loadCheckpoint, modelFromCheckpoint, trainModel, TrainModel } from '../../lib/train';
import { bandImages, noiseImages } from './synthetic';

function tmpdir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'nax-train-'));
}

function paramBytes(model: TrainModel): Buffer {
  const s = model.state();
  return encodeCheckpoint({ state: s, epoch: 0, meta: null });
}

describe('trainer', () => {
  test('LeNet memorises 32 noise images with random labels', async () => {
    const spec = buildNetwork('lenet', { inputShape: [1, 12, 12] });
    const model = new TrainModel(spec, { seed: 3, threads: 2 });
    const data = noiseImages(32, [1, 12, 12], 10);
    let last = { loss: Infinity, correct: 0 };
    for (let step = 0; step < 300; step++)
      last = await model.native.trainStep({ images: data.images, labels: data.labels, count: 32, lr: 0.05, momentum: 0.9 });
    expect(last.correct).toBe(32);
    expect(last.loss).toBeLessThan(0.05);
    const r = await model.evaluate(data);
    expect(r.accuracy).toBe(1);
  });

  test('a small ResNet learns a synthetic task well above chance', async () => {
    const spec = buildNetwork('resnet-mnist', { inputShape: [1, 12, 12], width: 4 });
    const model = new TrainModel(spec, { seed: 1, threads: 2 });
    const train = bandImages(512, [1, 12, 12], 4, 1);
    const test = bandImages(200, [1, 12, 12], 4, 99);
    await trainModel(model, train, { epochs: 3, batchSize: 32, lr: 0.05 });
    expect((await model.evaluate(test)).accuracy).toBeGreaterThan(0.9);
  });

  test('same seed gives identical weights for 1 and 2 threads (supernet, augmentation)', async () => {
    const spec = buildNetwork('resnet-mnist', { inputShape: [1, 10, 10], width: 4, kernels: [3, 5] });
    const data = bandImages(128, [1, 10, 10], 4);
    const run = async (threads: number) => {
      const model = new TrainModel(spec, { seed: 5, threads });
      await trainModel(model, data, { epochs: 1, batchSize: 32, supernet: true, augment: { pad: 2, flip: true }, seed: 11 });
      return paramBytes(model);
    };
    const one = await run(1);
    const two = await run(2);
    const three = await run(3);
    expect(one.equals(two)).toBe(true);
    expect(one.equals(three)).toBe(true);
  });

  test('1 epoch on a tiny subset twice gives identical checkpoint bytes; interrupted + resumed == uninterrupted', async () => {
    const dir = tmpdir();
    const spec = buildNetwork('resnet-mnist', { inputShape: [1, 10, 10], width: 4, kernels: [3, 5, 7] });
    const data = bandImages(96, [1, 10, 10], 4);
    const opts = { epochs: 3, batchSize: 16, supernet: true, seed: 2, lr: 0.05 };
    const a = new TrainModel(spec, { seed: 2 });
    await trainModel(a, data, { ...opts, epochs: 1, checkpoint: path.join(dir, 'a1.ckpt') });
    const b = new TrainModel(spec, { seed: 2 });
    await trainModel(b, data, { ...opts, epochs: 1, checkpoint: path.join(dir, 'b1.ckpt') });
    // Identical weights, BN statistics and momentum (the header also holds wall-clock times).
    const weights = (f: string) => encodeCheckpoint({ ...loadCheckpoint(path.join(dir, f)), meta: null });
    expect(weights('a1.ckpt').equals(weights('b1.ckpt'))).toBe(true);
    expect(paramBytes(a).equals(paramBytes(b))).toBe(true);

    const full = new TrainModel(spec, { seed: 2 });
    await trainModel(full, data, { ...opts, checkpoint: path.join(dir, 'full.ckpt') });
    const part = new TrainModel(spec, { seed: 2 });
    await trainModel(part, data, { ...opts, checkpoint: path.join(dir, 'part.ckpt'), stopAfterEpochs: 1 });
    expect(loadCheckpoint(path.join(dir, 'part.ckpt')).epoch).toBe(1);
    const resumed = new TrainModel(spec, { seed: 99 }); // different init: everything must come from the checkpoint
    const r = await trainModel(resumed, data, { ...opts, checkpoint: path.join(dir, 'part.ckpt'), resume: true });
    expect(r.epochs.map((e) => e.epoch)).toEqual([1, 2, 3]);
    expect(paramBytes(resumed).equals(paramBytes(full))).toBe(true);
    // The checkpoint alone rebuilds the trained supernet.
    const restored = modelFromCheckpoint(path.join(dir, 'full.ckpt')).model;
    expect(restored.kernelChoices()).toEqual(full.kernelChoices());
    expect(paramBytes(restored).equals(paramBytes(full))).toBe(true);
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('resume refuses a checkpoint from a different run', async () => {
    const dir = tmpdir();
    const spec = buildNetwork('lenet', { inputShape: [1, 8, 8] });
    const data = bandImages(32, [1, 8, 8], 4);
    await trainModel(new TrainModel(spec), data, { epochs: 1, batchSize: 16, seed: 1, checkpoint: path.join(dir, 'c.ckpt') });
    await expect(trainModel(new TrainModel(spec), data, { epochs: 1, batchSize: 16, seed: 2, checkpoint: path.join(dir, 'c.ckpt'), resume: true })).rejects.toMatchObject({ name: 'NaxError', code: 'ERR_NAX_CONFIG' });
    const other = buildNetwork('lenet', { inputShape: [1, 8, 8], kernels: [3, 5] });
    await expect(trainModel(new TrainModel(other), data, { epochs: 1, batchSize: 16, seed: 1, checkpoint: path.join(dir, 'c.ckpt'), resume: true })).rejects.toMatchObject({ name: 'NaxError', code: 'ERR_NAX_CONFIG' });
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe('augmentation', () => {
  const addon = loadAddon();
  const shape: [number, number, number] = [2, 5, 6];
  const count = 8;
  const images = Float32Array.from({ length: count * 60 }, (_, i) => i + 1);
  test('no crop and no flip is the identity', () => {
    expect(Array.from(addon.trainAugmentBatch({ images, count, shape, pad: 0, flip: false, seed: 1, step: 0 }))).toEqual(Array.from(images));
  });
  test('flip only: each image is itself or its mirror, both occur, seeded', () => {
    const out = addon.trainAugmentBatch({ images, count, shape, flip: true, seed: 4, step: 2 });
    let flipped = 0;
    for (let n = 0; n < count; n++) {
      const img = images.subarray(n * 60, (n + 1) * 60), got = out.subarray(n * 60, (n + 1) * 60);
      const mirror = img.map((_, i) => img[Math.floor(i / 6) * 6 + (5 - (i % 6))]);
      if (got.every((v, i) => v === mirror[i])) flipped++;
      else expect(Array.from(got)).toEqual(Array.from(img));
    }
    expect(flipped).toBeGreaterThan(0);
    expect(flipped).toBeLessThan(count);
    expect(Array.from(addon.trainAugmentBatch({ images, count, shape, flip: true, seed: 4, step: 2 }))).toEqual(Array.from(out));
    expect(Array.from(addon.trainAugmentBatch({ images, count, shape, flip: true, seed: 4, step: 3 }))).not.toEqual(Array.from(out));
  });
  test('crop with pad 2: a shifted window with zero fill', () => {
    const out = addon.trainAugmentBatch({ images, count, shape, pad: 2, seed: 9, step: 0 });
    let shifted = 0;
    for (let n = 0; n < count; n++) {
      const got = out.subarray(n * 60, (n + 1) * 60);
      // find the shift that explains the output
      let found = false;
      for (let dy = -2; dy <= 2 && !found; dy++)
        for (let dx = -2; dx <= 2 && !found; dx++) {
          let ok = true;
          for (let c = 0; c < 2 && ok; c++)
            for (let y = 0; y < 5 && ok; y++)
              for (let x = 0; x < 6 && ok; x++) {
                const sy = y + dy, sx = x + dx;
                const want = sy >= 0 && sy < 5 && sx >= 0 && sx < 6 ? images[n * 60 + c * 30 + sy * 6 + sx] : 0;
                ok = got[c * 30 + y * 6 + x] === want;
              }
          if (ok) {
            found = true;
            if (dx !== 0 || dy !== 0) shifted++;
          }
        }
      expect(found).toBe(true);
    }
    expect(shifted).toBeGreaterThan(0);
  });
});

describe('schedule', () => {
  test('linear warm-up to the peak, cosine to minLr', () => {
    const s = { lr: 0.1, totalSteps: 100, warmupSteps: 10, minLr: 0.001 };
    expect(cosineLr(0, s)).toBeCloseTo(0.01, 12);
    expect(cosineLr(9, s)).toBeCloseTo(0.1, 12);
    expect(cosineLr(10, s)).toBeCloseTo(0.1, 12);
    expect(cosineLr(55, s)).toBeCloseTo(0.001 + 0.5 * 0.099, 12);
    expect(cosineLr(100, s)).toBeCloseTo(0.001, 12);
    for (let i = 11; i < 100; i++) expect(cosineLr(i, s)).toBeLessThanOrEqual(cosineLr(i - 1, s));
  });
});

describe('errors', () => {
  const addon = loadAddon();
  test('bad network descriptions', () => {
    const bad = (nodes: object[], code: string) => {
      try {
        new addon.TrainNet({ nodes: nodes as never, inputShape: [1, 8, 8] });
        throw new Error('expected a throw');
      } catch (err) {
        expect((err as { name: string }).name).toBe('NaxError');
        expect((err as { code: string }).code).toBe(code);
      }
    };
    bad([{ op: 'conv', name: 'c', inputs: [] }], 'ERR_NAX_INVALID_ARGUMENT');
    bad([{ op: 'input', name: 'i', inputs: [] }, { op: 'conv', name: 'c', inputs: [1], channels: 2 }], 'ERR_NAX_INVALID_ARGUMENT');
    bad([{ op: 'input', name: 'i', inputs: [] }, { op: 'conv', name: 'c', inputs: [0], channels: 2, kernel: 5, kernelChoices: [4] }], 'ERR_NAX_INVALID_ARGUMENT');
    bad([{ op: 'input', name: 'i', inputs: [] }, { op: 'linear', name: 'l', inputs: [0], channels: 2 }], 'ERR_NAX_INVALID_ARGUMENT');
    bad([{ op: 'input', name: 'i', inputs: [] }, { op: 'softmax', name: 's', inputs: [0] }], 'ERR_NAX_INVALID_ARGUMENT');
  });
  test('bad kernels, labels and sizes; one call at a time', async () => {
    const model = new TrainModel(buildNetwork('resnet-mnist', { inputShape: [1, 8, 8], width: 2, kernels: [3, 5] }));
    expect(() => model.setKernels([3])).toThrow(expect.objectContaining({ name: 'NaxError', code: 'ERR_NAX_SIZE_MISMATCH' }));
    expect(() => model.setKernels(new Array(7).fill(7))).toThrow(expect.objectContaining({ name: 'NaxError', code: 'ERR_NAX_OUT_OF_RANGE' }));
    const images = new Float32Array(4 * 64);
    await expect(model.native.trainStep({ images, labels: Uint8Array.from([0, 1, 2, 10]), count: 4, lr: 0.1 })).rejects.toMatchObject({ name: 'NaxError', code: 'ERR_NAX_OUT_OF_RANGE' });
    // Argument errors throw synchronously; errors found while running reject.
    expect(() => model.native.trainStep({ images: images.subarray(0, 100), labels: new Uint8Array(4), count: 4, lr: 0.1 })).toThrow(expect.objectContaining({ name: 'NaxError', code: 'ERR_NAX_SIZE_MISMATCH' }));
    const pending = model.native.trainStep({ images, labels: new Uint8Array(4), count: 4, lr: 0.1 });
    expect(() => model.native.getParam(0)).toThrow(expect.objectContaining({ name: 'NaxError', code: 'ERR_NAX_INVALID_ARGUMENT' }));
    await pending;
    expect(model.native.getParam(0).length).toBeGreaterThan(0);
  });
});

describe('hardware-aware training', () => {
  const spec = buildNetwork('lenet', { inputShape: [1, 8, 8], classes: 4 });
  const data = bandImages(8, [1, 8, 8], 4);
  const batch = { images: data.images, labels: data.labels, count: 8, train: true };

  test('quantized forward, straight-through gradient: equals a net holding the quantized weights', () => {
    const a = new TrainModel(spec, { seed: 3, precision: 'float64' });
    const b = new TrainModel(spec, { seed: 3, precision: 'float64' });
    const bits = 4, levels = 7;
    for (const p of a.params) {
      if (!p.name.endsWith('.weight')) continue;
      const w = Float64Array.from(a.getParam(p.name));
      const max = w.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      b.setParam(p.name, w.map((v) => (Math.round((v / max) * levels) / levels) * max));
    }
    a.native.setHardwareAware({ enabled: true, weightBits: bits });
    const ga = a.native.gradients(batch), gb = b.native.gradients(batch);
    expect(ga.loss).toBeCloseTo(gb.loss, 12);
    ga.grads.forEach((g, i) => g.forEach((v, j) => expect(v).toBeCloseTo(gb.grads[i][j], 10)));
    // Inference-mode forward stays clean.
    const clean = new TrainModel(spec, { seed: 3, precision: 'float64' });
    expect(a.native.gradients({ ...batch, train: false }).loss).toBeCloseTo(clean.native.gradients({ ...batch, train: false }).loss, 12);
  });

  test('noise is seeded per step and training with it stays bit-reproducible', async () => {
    const m = new TrainModel(spec, { seed: 3 });
    m.native.setHardwareAware({ enabled: true, weightBits: 8, multiplicativeSigma: 0.1, additiveSigma: 0.02, seed: 1 });
    const loss = (step: number) => m.native.trainStep({ ...batch, lr: 0, noiseStep: step }).then((r) => r.loss);
    const l0 = await loss(0), l0b = await loss(0), l1 = await loss(1);
    expect(l0b).toBe(l0);
    expect(l1).not.toBe(l0);
    const run = async () => {
      const model = new TrainModel(spec, { seed: 4 });
      await trainModel(model, bandImages(64, [1, 8, 8], 4), { epochs: 1, batchSize: 16, hardwareAware: { multiplicativeSigma: 0.1, additiveSigma: 0.03 } });
      return paramBytes(model);
    };
    expect((await run()).equals(await run())).toBe(true);
  });
});
