/**
 * The CUDA path from JavaScript: `nax-native info` reports it, asking for accelerator 'cuda'
 * where it cannot run is a NaxError naming the field and the reason, and where a GPU is found
 * the crossbar run returns the CPU path's results bit for bit and CUDA training matches CPU
 * training to float rounding. The GPU checks skip with a notice on machines without one (this
 * project's CI has none; scripts/cuda-check.sh runs the native GPU tests on a GPU machine).
 */
import { loadAddon } from '../../lib/native';
import { CrossbarLayer, resolveCrossbarConfig } from '../../lib/crossbar';
import { defaultAccelerator } from '../../lib/crossbar/config';
import { infoHandler } from '../../lib/cli/commands/info';
import { buildNetwork, TrainModel } from '../../lib/train';
import { noiseImages } from '../train/synthetic';

const cuda = loadAddon().version().cuda;
const gpuIt = cuda.available ? it : it.skip;
if (!cuda.available) console.log(`GPU checks skipped: cuda: ${cuda.description}`);

function weights(count: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s / 2 ** 32) * 2 - 1;
  }
  return out;
}

describe('cuda', () => {
  it('info reports the CUDA path, available or not with the reason', () => {
    const info = infoHandler();
    expect(info.cuda).toBe(cuda.description);
    expect(info.cuda).toMatch(cuda.available ? /^available \(.+, compute \d+\.\d+, \d+ MiB/ : /^not available \(.+\)$/);
  });

  it('accelerator is validated, defaults to cpu and is omitted from cpu configs', () => {
    expect(resolveCrossbarConfig({}).accelerator).toBeUndefined();
    expect(resolveCrossbarConfig({ accelerator: 'cpu' }).accelerator).toBeUndefined();
    expect(resolveCrossbarConfig({ accelerator: 'cuda' }).accelerator).toBe('cuda');
    expect(() => resolveCrossbarConfig({ accelerator: 'gpu' as never })).toThrow(
      expect.objectContaining({ name: 'NaxError', code: 'ERR_NAX_INVALID_ARGUMENT', message: expect.stringContaining('config.accelerator') }),
    );
    expect(defaultAccelerator({ NAX_ACCELERATOR: 'cuda' })).toBe('cuda');
    expect(defaultAccelerator({})).toBe('cpu');
    expect(() => defaultAccelerator({ NAX_ACCELERATOR: 'tpu' })).toThrow(expect.objectContaining({ message: expect.stringContaining('NAX_ACCELERATOR') }));
  });

  (cuda.available ? it.skip : it)('asking for cuda without it is a config error naming the field and the reason', async () => {
    const k = 12, n = 5;
    await expect(CrossbarLayer.program({ weights: weights(k * n, 1), k, n, config: { rows: 8, cols: 4, accelerator: 'cuda' } })).rejects.toMatchObject({
      name: 'NaxError',
      code: 'ERR_NAX_CONFIG',
      message: expect.stringMatching(/config\.accelerator.*cuda: not available \(/),
    });
    const spec = buildNetwork('lenet', { inputShape: [1, 12, 12] });
    expect(() => new TrainModel(spec, { accelerator: 'cuda' })).toThrow(
      expect.objectContaining({ name: 'NaxError', code: 'ERR_NAX_CONFIG', message: expect.stringContaining('cuda: not available (') }),
    );
  });

  // Without CUDA the availability error comes first (checked above); native/core/tests/cuda_math_test
  // checks this refusal on every machine behind a host emulation of the library.
  gpuIt('refuses readouts the CUDA path does not convert, naming the setting', async () => {
    const k = 12, n = 5;
    await expect(
      CrossbarLayer.program({ weights: weights(k * n, 1), k, n, config: { rows: 8, cols: 4, accelerator: 'cuda', adcNonIdeal: { offsetSigma: 0.3 } } }),
    ).rejects.toMatchObject({ code: 'ERR_NAX_CONFIG', message: expect.stringContaining('adcNonIdeal') });
  });

  gpuIt('crossbar run on the GPU equals the CPU path bit for bit (noise, IR drop, variation)', async () => {
    const k = 300, n = 40, batch = 64;
    const w = weights(k * n, 2);
    const x = weights(batch * k, 3);
    const config = { rows: 64, cols: 32, readNoise: 0.4, parasitics: true, variation: { sigma: 0.05 }, inputScale: 1, seed: 9 } as const;
    const cpu = await CrossbarLayer.program({ weights: w, k, n, config });
    const gpu = await CrossbarLayer.program({ weights: w, k, n, config: { ...config, accelerator: 'cuda' } });
    for (let call = 0; call < 2; call++) {
      const a = await cpu.run(x, batch);
      const b = await gpu.run(x, batch);
      expect(Buffer.from(b.buffer).equals(Buffer.from(a.buffer))).toBe(true);
    }
  });

  gpuIt('training with CUDA convolutions follows CPU training to float rounding', async () => {
    const spec = buildNetwork('lenet', { inputShape: [1, 12, 12] });
    const data = noiseImages(16, [1, 12, 12], 10);
    const losses: number[][] = [];
    for (const accelerator of ['cpu', 'cuda'] as const) {
      const model = new TrainModel(spec, { seed: 3, threads: 2, accelerator });
      const l: number[] = [];
      for (let step = 0; step < 5; step++)
        l.push((await model.native.trainStep({ images: data.images, labels: data.labels, count: 16, lr: 0.05, momentum: 0.9 })).loss);
      losses.push(l);
    }
    for (let i = 0; i < 5; i++) expect(Math.abs(losses[1][i] - losses[0][i])).toBeLessThan(1e-4 * Math.max(1, Math.abs(losses[0][i])));
  });
});
