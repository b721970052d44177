/**
 * Why a model's per-layer choices: for every crossbar layer, how much accuracy its own analog
 * non-idealities cost, what moving it to another array size would do, and its share of the
 * hardware cost (report.html's "why" table).
 *
 * - accuracy drop alone: validation accuracy with every layer on the genome's arrays with the
 *   same converters but no device/wire non-idealities (no variation, faults, read noise, IR drop,
 *   device model), minus the accuracy with only this layer's non-idealities switched back on
 *   (a one-at-a-time sensitivity, as layer-wise analyses of analog accelerators report it, e.g.
 *   Rasch et al., Nature Communications 2023, Fig. 4);
 * - swap: the genome with only this layer moved to `swapTo` (the best homogeneous baseline's
 *   square size), non-idealities on everywhere: accuracy and EDAP change against the genome;
 * - cost shares: the layer's energy / total energy, latency / sum of layer latencies, area /
 *   total area, and its EDAP share (E_i/E + L_i/L + A_i/A) / 3, the layer's part of the first-order
 *   change of ln EDAP = ln E + ln L + ln A (these shares sum to 1 when every cost sits in a layer).
 * Every run uses the same images and chip 0, so the differences are paired.
 */
import type { CrossbarConfigInput } from '../crossbar';
import type { CrossbarMapping } from '../plan';
import type { ImageSet } from '../train';
import type { NetworkCost } from '../hardware';
import { cloneGenome, genomeCols, type Genome } from '../search/genome';
import { genomeMapping, type CandidateEvaluator, type GenomeLayout } from './candidate';

export interface LayerWhy {
  layer: string;
  kernel: number;
  rows: number;
  cols: number;
  adcBits?: number | 'lossless';
  /** Accuracy with no device non-idealities minus with only this layer's on (fraction). */
  accuracyDropAlone: number;
  /** Only this layer moved to swapTo x swapTo (absent when it is already there). */
  swap?: { rows: number; cols: number; accuracyChange: number; edapChange: number };
  energyShare: number;
  latencyShare: number;
  areaShare: number;
  edapShare: number;
}

export interface LayerSensitivity {
  images: number;
  /** Accuracy with every layer's device non-idealities off (same arrays and converters). */
  deviceIdealAccuracy: number;
  /** Accuracy of the genome as mapped (all non-idealities on). */
  accuracy: number;
  swapTo: number;
  layers: LayerWhy[];
}

/** The device config without its analog non-idealities (same arrays, cells and converters). */
export function withoutDeviceNonIdealities(device: CrossbarConfigInput): CrossbarConfigInput {
  const { device: _model, adcNonIdeal: _adc, ...rest } = device as CrossbarConfigInput & { adcNonIdeal?: unknown };
  return { ...rest, parasitics: false, variation: false, stuckAtOn: 0, stuckAtOff: 0, readNoise: 0 };
}

/** Shares of energy, latency, area and the first-order EDAP share per layer of a costed network. */
export function costShares(cost: NetworkCost): Array<{ layer: string; energyShare: number; latencyShare: number; areaShare: number; edapShare: number }> {
  const energy = cost.total.energyJoules.total;
  const area = cost.total.areaMm2.total;
  const latency = cost.layers.reduce((s, l) => s + l.latencySeconds, 0);
  return cost.layers.map((l) => {
    const e = energy > 0 ? l.energyJoules.total / energy : 0;
    const t = latency > 0 ? l.latencySeconds / latency : 0;
    const a = area > 0 ? l.areaMm2.total / area : 0;
    return { layer: l.name, energyShare: e, latencyShare: t, areaShare: a, edapShare: (e + t + a) / 3 };
  });
}

type Prepared = Parameters<CandidateEvaluator['crossbarRun']>[0];

export async function layerSensitivity(
  evaluator: CandidateEvaluator,
  sub: Prepared,
  layout: GenomeLayout,
  genome: Genome,
  device: CrossbarConfigInput,
  data: ImageSet,
  swapTo: number,
  signal?: AbortSignal,
): Promise<LayerSensitivity> {
  const space = layout.space;
  const mapping = genomeMapping(space, genome, device);
  const base = await evaluator.crossbarRun(sub, mapping, data, signal);
  const clean = withoutDeviceNonIdealities(device);
  const idealMapping: CrossbarMapping = { default: clean, layers: genomeMapping(space, genome, clean).layers };
  const ideal = await evaluator.crossbarRun(sub, idealMapping, data, signal);
  const shares = new Map(costShares(base.cost).map((s) => [s.layer, s]));
  const layers: LayerWhy[] = [];
  for (const [i, l] of space.layers.entries()) {
    const own = mapping.layers![l.name];
    const alone = await evaluator.crossbarRun(sub, { default: clean, layers: { ...idealMapping.layers, [l.name]: { ...device, ...own } } }, data, signal);
    let swap: LayerWhy['swap'];
    const cols = genomeCols(genome, i);
    if ((genome.crossbars[i] !== swapTo || cols !== swapTo) && l.crossbarSizes.includes(swapTo) && (!l.colSizes || l.colSizes.includes(swapTo))) {
      const moved = cloneGenome(genome);
      moved.crossbars[i] = swapTo;
      if (moved.cols) moved.cols[i] = swapTo;
      const run = await evaluator.crossbarRun(sub, genomeMapping(space, moved, device), data, signal);
      swap = { rows: swapTo, cols: swapTo, accuracyChange: run.accuracy - base.accuracy, edapChange: run.cost.total.edap / base.cost.total.edap - 1 };
    }
    const share = shares.get(l.name) ?? { energyShare: 0, latencyShare: 0, areaShare: 0, edapShare: 0 };
    layers.push({
      layer: l.name,
      kernel: genome.kernels[i],
      rows: genome.crossbars[i],
      cols,
      ...(genome.adcBits ? { adcBits: genome.adcBits[i] } : {}),
      accuracyDropAlone: ideal.accuracy - alone.accuracy,
      ...(swap ? { swap } : {}),
      energyShare: share.energyShare,
      latencyShare: share.latencyShare,
      areaShare: share.areaShare,
      edapShare: share.edapShare,
    });
  }
  return { images: data.count, deviceIdealAccuracy: ideal.accuracy, accuracy: base.accuracy, swapTo, layers };
}
