/**
 * Named device/converter settings shared by the commands that report
 * "non-ideal" accuracy (sweep, eval, evolve), so their numbers compare.
 */
import type { CrossbarConfigInput } from './config';

/**
 * Default non-idealities (merged over the engine defaults: 2-bit cells, 8-bit
 * weights and inputs, 1-bit DAC, NAX ADC bits, Ron 100 kOhm / Roff 600 kOhm):
 * - parasitics: 2.82 ohm per cell on word and bit lines (MNSIM; HARDWARE.md), ideal driver and sense;
 * - programming variation: lognormal, sigma 0.1 of ln(G) (a moderate write-verify assumption, not a
 *   published figure);
 * - stuck-at faults: 0.1% stuck-off cells; no stuck-on cells. A stuck-on cell in a high slice
 *   adds up to 1.5x the layer's largest weight, and without fault-aware mapping 0.1% of them took
 *   the bench's MNIST ResNet from 94.5% to 20-60% (depending on where they land), which would
 *   hide every other effect. Set `stuckAtOn` to study them (C.-Y. Chen et al., IEEE Trans. Computers 2015, measured
 *   1.75% stuck-off / 9.04% stuck-on cells on an unrepaired 4 Mb RRAM macro);
 * - read noise: off. The engine draws it per ADC conversion, which currently makes runs 60-100x
 *   slower (measured on resnet-mnist at 16x16 and 64x64); turn it on with `readNoise` (LSB) where
 *   the time is affordable.
 * Override any of them through a mapping's `default`.
 */
export const DEFAULT_NON_IDEAL: Readonly<CrossbarConfigInput> = Object.freeze({
  parasitics: true,
  variation: Object.freeze({ sigma: 0.1, distribution: 'lognormal' as const }),
  stuckAtOn: 0,
  stuckAtOff: 0.001,
  readNoise: 0,
});
