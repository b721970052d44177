/**
 * The same network costed at several homogeneous crossbar sizes: the
 * trade-off the co-design search exploits (README's EDAP-per-size table).
 */
import type { HardwareOverrides } from './config';
import { withCrossbarSize } from '../plan/mapping';
import { type CostLayer, type CostMapping, type HardwareCostOptions, type NetworkCost, hardwareCost } from './model';

export interface SizeCost {
  /** rows = cols of every layer. */
  size: number;
  /** ADC bits (the same for every layer unless the mapping fixes them per layer). */
  adcBits: number[];
  cost: NetworkCost;
  /** EDAP / the smallest EDAP of the comparison. */
  edapRelative: number;
}

/**
 * Costs `layers` with every layer on size x size crossbars (overriding the
 * mapping's rows/cols; its other settings and per-layer overrides apply).
 */
export function costBySize(
  layers: readonly CostLayer[],
  sizes: readonly number[],
  options: { mapping?: CostMapping; hardware?: HardwareOverrides; weights?: HardwareCostOptions['weights']; devices?: HardwareCostOptions['devices'] } = {},
): SizeCost[] {
  const rows = sizes.map((size) => {
    const mapping = withCrossbarSize(options.mapping ?? {}, size);
    const cost = hardwareCost({ model: layers, mapping, hardware: options.hardware, weights: options.weights, devices: options.devices });
    const adcBits = [...new Set(cost.layers.map((l) => l.crossbar.adcBits))].sort((a, b) => a - b);
    return { size, adcBits, cost, edapRelative: 0 };
  });
  const best = Math.min(...rows.map((r) => r.cost.total.edap));
  for (const r of rows) r.edapRelative = r.cost.total.edap / best;
  return rows;
}
