/**
 * Named device/converter settings shared by the commands that report
 * "non-ideal" accuracy (sweep, and evolve through EVOLVE_DEVICE_DEFAULTS), so
 * their numbers compare.
 */
import type { CrossbarConfigInput } from './config';
import { resolveDeviceConfig } from './devices';

/**
 * Default non-idealities (merged over the engine defaults: 2-bit cells, 8-bit
 * weights and inputs, 1-bit DAC, lossless ADC bits (NAX's rule plus the bipolar ADC's sign bit for
 * these cells), Ron 100 kOhm / Roff 600 kOhm):
 * - parasitics: 2.82 ohm per cell on word and bit lines (MNSIM; HARDWARE.md), ideal driver and sense;
 * - programming variation: lognormal, sigma 0.1 of ln(G) (a moderate write-verify assumption, not a
 *   published figure);
 * - stuck-at faults: off. Without fault-aware mapping, a stuck-on cell in a high slice adds up to
 *   1.5x the layer's largest weight, and 0.1% stuck-on plus 0.1% stuck-off cells took the bench's MNIST ResNet from 94.5%
 *   to 20-60% depending on where they landed, hiding every other effect. Set `stuckAtOn` /
 *   `stuckAtOff` to study them (C.-Y. Chen et al., IEEE Trans. Computers 2015, measured 9.04%
 *   stuck-on / 1.75% stuck-off cells on an unrepaired 4 Mb RRAM macro);
 * - read noise: off. It is drawn afresh on every read (keyed by seed and the layer's run counter,
 *   identical for any thread count or batch split), one vectorised Gaussian per conversion in the
 *   fused ADC epilogue. bench/read-noise.ts (K=576, N=64, batch 256, parasitics on, idle 2-core
 *   machine) measured output-referred noise at 1.0-1.7x the noise-free run of the same layer at
 *   64x64 and 128x128 and device-level noise (`readNoiseModel: 'device'`: one extra product of
 *   squared digits by the cells' squared currents, exact 16-bit integer dot products for 1- and
 *   2-bit DACs) at 1.5-1.9x; 2.2-2.7x at 16x16, where one Gaussian costs more than a conversion's
 *   16 multiply-adds.
 *   Turn it on with `readNoise` (LSB at the ADC input by default; see CrossbarConfig.readNoiseModel);
 * - readout: 'reference-column' (the engine default, DEFAULT_READOUT: an extra gOff column per array
 *   in the same circuit, subtracted in analog before a bipolar ADC; G+ and G- subtracted digitally
 *   after it). On the quick reference network it kept 87-91% at 16-64 rows where 'digital-offset'
 *   (whole column current digitised, integer offset code subtracted) fell to 61-72%: the
 *   fractional gOff offset per active row moves the code thresholds off the ideal levels and the
 *   bit-sliced shift-add amplifies every flipped code (README, crossbar-size comparison). Either
 *   way IR drop on the gOff cells is never clamped away.
 * - weight scale: per output channel (column): each column's largest |w| maps to the top weight
 *   code, and the digital rescale after the shift-add (one multiply per output, which a per-layer
 *   scale needs as well) takes that column's own factor. With one scale per layer, a channel whose
 *   folded BatchNorm made its weights small uses a few low codes, and the gOff cells' variation in
 *   the high slices (Roff/Ron = 6, each an additive error independent of the weight) swamps it:
 *   on the --quick network's 32x32 baseline (1,000 test images, 6 chips) per-layer scaling gave
 *   90.75% +- 7.95% (75.1-95.8), per-channel 95.72% +- 1.16% (94.0-96.7), ideal 97.10%. IBM
 *   aihwkit's inference composer preset maps column-wise the same way
 *   (simulator/presets/web.py, WebComposerMappingParameter: weight_scaling_columnwise=True).
 * Override any of them through a mapping's `default`.
 */
export const DEFAULT_NON_IDEAL: Readonly<CrossbarConfigInput> = Object.freeze({
  parasitics: true,
  variation: Object.freeze({ sigma: 0.1, distribution: 'lognormal' as const }),
  stuckAtOn: 0,
  stuckAtOff: 0,
  readNoise: 0,
  weightScale: 'per-channel' as const,
});

/**
 * `user` merged over a non-ideal preset (DEFAULT_NON_IDEAL, evolve's device defaults). A user
 * config that picks a device model (`device` with a programming error, e.g. 'pcm-aihwkit') and
 * sets no `variation` itself gets variation: false: the device's programming error replaces the
 * preset's generic variation (the two together are rejected by resolveCrossbarConfig).
 */
export function overNonIdealPreset(preset: Readonly<CrossbarConfigInput>, user: CrossbarConfigInput = {}): CrossbarConfigInput {
  const merged: CrossbarConfigInput = { ...preset, ...user };
  if (user.variation === undefined && user.device !== undefined && resolveDeviceConfig(user.device).programming !== false)
    merged.variation = false;
  return merged;
}
