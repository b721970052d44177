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
 * - stuck-at faults: 0.1% stuck-on and 0.1% stuck-off cells (an assumption well below the
 *   1.75% / 9.04% Chen et al. measured on an unrepaired 4 Mb RRAM macro, DATE 2015);
 * - read noise: sigma 0.5 LSB on every ADC input.
 * Override any of them through a mapping's `default`.
 */
export const DEFAULT_NON_IDEAL: Readonly<CrossbarConfigInput> = Object.freeze({
  parasitics: true,
  variation: Object.freeze({ sigma: 0.1, distribution: 'lognormal' as const }),
  stuckAtOn: 0.001,
  stuckAtOff: 0.001,
  readNoise: 0.5,
});
