/**
 * Per-output-channel weight scales (CrossbarConfig.weightScale), the shared non-ideal preset's
 * choice (lib/crossbar/presets.ts says why).
 *
 * Under programming variation every gOff cell of a high slice adds an error that does not shrink
 * with the weight it belongs to (Roff/Ron = 6 at the defaults). With one scale per layer, a
 * channel whose weights are 20x smaller than the layer's largest uses only the low codes, so that
 * floor is large against its signal; with its own scale it uses the full code range and its
 * relative error falls to about that of the large channels (measured: relative RMS error of the
 * small channels 1.65 per layer against 0.15 per channel over 6 draws, the large ones 0.20 either
 * way). A scale that the engine ignored, or applied to the wrong columns, fails these checks.
 */
import { CrossbarLayer, DEFAULT_NON_IDEAL, type CrossbarConfigInput } from '../../lib/crossbar';
import { EVOLVE_DEVICE_DEFAULTS } from '../../lib/codesign/evolve-options';
import { Rng } from '../../lib/search/random';

const k = 64;
const n = 8;
const batch = 32;
const small = 0.05; // channels 4..7 hold weights 20x smaller than channels 0..3

const rng = new Rng(7);
const weights = new Float32Array(k * n);
for (let r = 0; r < k; r++) for (let c = 0; c < n; c++) weights[r * n + c] = (2 * rng.nextFloat() - 1) * (c < 4 ? 1 : small);
const inputs = new Float32Array(batch * k).map(() => rng.nextFloat());

/** The float product inputs x weights, the reference every crossbar run is measured against. */
const reference = (() => {
  const y = new Float64Array(batch * n);
  for (let b = 0; b < batch; b++)
    for (let c = 0; c < n; c++) {
      let s = 0;
      for (let r = 0; r < k; r++) s += inputs[b * k + r] * weights[r * n + c];
      y[b * n + c] = s;
    }
  return y;
})();

/** Relative RMS error of the large (0..3) and small (4..7) channels over `seeds` device draws. */
async function relativeErrors(config: CrossbarConfigInput, seeds: number[]): Promise<{ large: number; small: number }> {
  const err = [0, 0];
  const sig = [0, 0];
  for (const seed of seeds) {
    const layer = await CrossbarLayer.program({ weights, k, n, config: { rows: 32, cols: 32, inputScale: 1, ...config, seed } });
    try {
      const out = await layer.run(inputs, batch);
      for (let i = 0; i < out.length; i++) {
        const g = i % n < 4 ? 0 : 1;
        err[g] += (out[i] - reference[i]) ** 2;
        sig[g] += reference[i] ** 2;
      }
    } finally {
      layer.dispose();
    }
  }
  return { large: Math.sqrt(err[0] / sig[0]), small: Math.sqrt(err[1] / sig[1]) };
}

const varied: CrossbarConfigInput = { variation: { sigma: 0.1, distribution: 'lognormal' } };
const seeds = [1, 2, 3, 4, 5, 6];

test('the shared non-ideal preset and evolve map weights with one scale per output channel', () => {
  expect(DEFAULT_NON_IDEAL.weightScale).toBe('per-channel');
  expect(EVOLVE_DEVICE_DEFAULTS.weightScale).toBe('per-channel');
});

test('without variation, per-channel scales give the small channels the large ones\' quantization error', async () => {
  const layer = await relativeErrors({ weightScale: 'per-layer' }, [0]);
  const channel = await relativeErrors({ weightScale: 'per-channel' }, [0]);
  // 8-bit weights and inputs: the small channels' codes are 20x coarser against their signal per layer.
  expect(layer.small).toBeGreaterThan(5 * layer.large);
  expect(channel.small).toBeLessThan(2 * channel.large);
  expect(channel.small).toBeLessThan(layer.small / 4);
});

test('under lognormal variation the gOff floor swamps small channels per layer, not per channel', async () => {
  const layer = await relativeErrors({ ...varied, weightScale: 'per-layer' }, seeds);
  const channel = await relativeErrors({ ...varied, weightScale: 'per-channel' }, seeds);
  // Per layer, the small channels' error is several times the large ones' (the same absolute
  // floor against a 20x smaller signal); per channel it is about the same as the large ones'.
  expect(layer.small).toBeGreaterThan(4 * layer.large);
  expect(channel.small).toBeLessThan(1.5 * channel.large);
  expect(channel.small).toBeLessThan(layer.small / 4);
  // The large channels hold the layer's largest weights either way: their error barely moves.
  expect(channel.large).toBeLessThan(1.3 * layer.large);
  expect(channel.large).toBeGreaterThan(layer.large / 1.3);
});
