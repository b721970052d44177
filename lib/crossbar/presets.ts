/**
 * Named device/converter settings shared by the commands that report
 * "non-ideal" accuracy (sweep, and evolve through EVOLVE_DEVICE_DEFAULTS), so
 * their numbers compare.
 */
import type { CrossbarConfigInput } from './config';
import { resolveDeviceConfig } from './devices';

/**
 * Default non-idealities (merged over the engine defaults: 2-bit cells, 8-bit
 * weights and inputs, 1-bit DAC, lossless ADC bits (NAX's rule for these cells), Ron 100 kOhm / Roff 600 kOhm):
 * - parasitics: 2.82 ohm per cell on word and bit lines (MNSIM; HARDWARE.md), ideal driver and sense;
 * - programming variation: lognormal, sigma 0.1 of ln(G) (a moderate write-verify assumption, not a
 *   published figure);
 * - stuck-at faults: off. Without fault-aware mapping, a stuck-on cell in a high slice adds up to
 *   1.5x the layer's largest weight, and 0.1% stuck-on plus 0.1% stuck-off cells took the bench's MNIST ResNet from 94.5%
 *   to 20-60% depending on where they landed, hiding every other effect. Set `stuckAtOn` /
 *   `stuckAtOff` to study them (C.-Y. Chen et al., IEEE Trans. Computers 2015, measured 9.04%
 *   stuck-on / 1.75% stuck-off cells on an unrepaired 4 Mb RRAM macro);
 * - read noise: off. The engine draws it per ADC conversion, which currently makes runs 60-100x
 *   slower (measured on resnet-mnist at 16x16 and 64x64); turn it on with `readNoise` (LSB) where
 *   the time is affordable.
 * Override any of them through a mapping's `default`.
 */
export const DEFAULT_NON_IDEAL: Readonly<CrossbarConfigInput> = Object.freeze({
  parasitics: true,
  variation: Object.freeze({ sigma: 0.1, distribution: 'lognormal' as const }),
  stuckAtOn: 0,
  stuckAtOff: 0,
  readNoise: 0,
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
