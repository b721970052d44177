/**
 * A published network total to hold the cost model against: DNN+NeuroSim V1.3's example run,
 * VGG-8 inference of one CIFAR-10 image (the V1.3 manual, Fig. 24: "an example of final output
 * of an 8-bit VGG-8 inference for one CIFAR-10 image, based on parallel 1T1R synaptic array,
 * with 2-bit per cell RRAM (100 kOhm and 10 MOhm as Ron and Roff)"; Peng, Huang, Luo, Sun, Yu,
 * "DNN+NeuroSim", IEDM 2019; github.com/neurosim/DNN_NeuroSim_V1.3, Documents/DNN NeuroSim V1.3
 * Manual.pdf). The other inputs of that run are Param.cpp's defaults (2021-05-31): 22 nm LSTP,
 * 128x128 subarrays, 1T1R cells of 4F x 12F, parallel read, current-mode MLSA with
 * levelOutput = 32 (5 bits) per numColMuxed = 8 columns, 0.5 V read, layer-by-layer operation
 * with speedUpDegree = 8 (weight duplication) and the novel conv mapping.
 *
 * {@link neurosimVgg8Comparison} costs the same network (networks.ts vgg8CifarLayers) under the
 * `neurosim` template and {@link NEUROSIM_VGG8_MAPPING}, and lines up each total and breakdown
 * the figure prints. test/hardware/neurosim-vgg8.test.ts states how close each one comes.
 */
import type { CrossbarMapping } from '../plan/mapping';
import { type NetworkCost, hardwareCost } from './model';
import { vgg8CifarLayers } from './networks';

export { NEUROSIM_CELL_AREA_MM2, NEUROSIM_MLSA_AREA_MM2 } from './templates';

/** The figures of the manual's Fig. 24, in SI units (areas mm^2). */
export const NEUROSIM_VGG8_FIG24 = {
  source: 'DNN+NeuroSim V1.3 manual, Fig. 24 (neurosim/DNN_NeuroSim_V1.3, Documents/DNN NeuroSim V1.3 Manual.pdf, p. 23)',
  accuracy: 0.9305,
  /** Memory utilization of the whole chip (cells holding weights, duplicates included). */
  memoryUtilization: 0.968584,
  tilesPerLayer: [1, 1, 2, 2, 4, 4, 32, 1],
  speedUpPerLayer: [16, 4, 4, 2, 2, 1, 1, 8],
  area: {
    chipMm2: 4.5554e7 * 1e-6,
    arrayMm2: 1.5408e6 * 1e-6,
    interconnectMm2: 6.17954e6 * 1e-6,
    adcMm2: 1.46062e7 * 1e-6,
    accumulationMm2: 3.13322e6 * 1e-6,
    otherMm2: 2.00943e7 * 1e-6,
  },
  clockPeriodSeconds: 2.05141e-9,
  latency: {
    /** Layer by layer, per image. */
    totalSeconds: 1.45613e6 * 1e-9,
    bufferSeconds: 1.00082e6 * 1e-9,
    interconnectSeconds: 141884e-9,
    adcSeconds: 63462.3e-9,
    accumulationSeconds: 246001e-9,
    otherSeconds: 1.14667e6 * 1e-9,
  },
  energy: {
    /** Chip total read dynamic energy per image: ADC (array, sense amplifiers, encoders) + accumulation + other. */
    dynamicJoules: 3.77518e7 * 1e-12,
    leakageJoules: 1.19011e6 * 1e-12,
    leakageWatts: 628.781e-6,
    bufferJoules: 412969e-12,
    interconnectJoules: 8.94262e6 * 1e-12,
    adcJoules: 1.8274e7 * 1e-12,
    accumulationJoules: 5.16853e6 * 1e-12,
    otherJoules: 1.43092e7 * 1e-12,
  },
  performance: { topsPerWatt: 25.7176, tops: 0.845963, fps: 686.75, topsPerMm2: 0.0185705 },
} as const;

/** The crossbar settings of that run, as this package's mapping: 128x128, 2-bit cells, 8-bit weights and inputs (1 bit per cycle), 5-bit ADC, 100 kOhm / 10 MOhm, 0.5 V; each column read by its own sense amplifier, no reference column (digital-offset readout). */
export const NEUROSIM_VGG8_MAPPING: CrossbarMapping = {
  default: { rows: 128, cols: 128, bitsPerCell: 2, weightBits: 8, inputBits: 8, dacBits: 1, adcBits: 5, gOn: 1 / 100e3, gOff: 1 / 10e6, vRead: 0.5, readout: 'digital-offset' },
};

export interface PublishedComparisonRow {
  quantity: string;
  /** This model's figure (SI units; areas mm^2). */
  ours: number;
  published: number;
  /** ours / published. */
  ratio: number;
  /** What the published figure holds that ours does not (or the other way round). */
  note: string;
}

export interface NeurosimVgg8Comparison {
  cost: NetworkCost;
  /** Operations (2 per multiply-accumulate) per image of the costed layers. */
  operations: number;
  rows: PublishedComparisonRow[];
}

/** VGG-8 under the neurosim template, each total and breakdown against the manual's Fig. 24. */
export function neurosimVgg8Comparison(): NeurosimVgg8Comparison {
  const layers = vgg8CifarLayers();
  const cost = hardwareCost({ model: layers, mapping: NEUROSIM_VGG8_MAPPING, hardware: { template: 'neurosim' } });
  const operations = 2 * layers.reduce((a, l) => a + l.k * l.n * l.outputPixels * (l.groups ?? 1), 0);
  const e = cost.total.energyJoules, a = cost.total.areaMm2;
  const p = NEUROSIM_VGG8_FIG24;
  const publishedEnergy = p.energy.dynamicJoules + p.energy.leakageJoules;
  const row = (quantity: string, ours: number, published: number, note: string): PublishedComparisonRow => ({ quantity, ours, published, ratio: ours / published, note });
  const rows = [
    row('operations per image', operations, (p.performance.tops * 1e12) / p.performance.fps, 'TOPS / FPS of the figure; 2 per MAC'),
    row('energy per image (dynamic + leakage), J', e.total, publishedEnergy, 'NeuroSim includes decoders, switch matrices, muxes, adder trees, pooling and activation'),
    row('ADC + array energy, J', e.crossbar + e.wires + e.adc, p.energy.adcJoules, "NeuroSim's 'ADC' holds the array (CV^2), MLSAs and encoders; ours the devices' V^2 G t and the MLSAs"),
    row('accumulation energy, J', e.shiftAdd, p.energy.accumulationJoules, "ours: PUMA's 0.05 mW shift-and-add per conversion; NeuroSim: adders, shift-adds, accumulation units"),
    row('other energy, J', e.dac + e.sampleHold + e.subtractor + e.registers + e.buffers + e.interconnect, p.energy.otherJoules, 'ours: DACs, S&H, registers, eDRAM and bus (PUMA); NeuroSim: decoders, muxes, switch matrices, buffers, H-tree, pooling, activation'),
    row('latency per image, s', cost.total.latencySeconds, p.latency.totalSeconds, 'NeuroSim: 69% of it is buffer traffic, which this timing model does not hold; its weight duplication (speed-up 16/4/4/2/2) shortens the conv layers'),
    row('chip area, mm^2', a.total, p.area.chipMm2, "NeuroSim's decoders, switch matrices, muxes and H-tree are not in this model; ours has G+ and G- arrays"),
    row('array area, mm^2', a.crossbar, p.area.arrayMm2, 'same cell area; ours 8 cells per weight (G+/G-), NeuroSim 4 plus duplicates (speed-up)'),
    row('ADC area, mm^2', a.adc, p.area.adcMm2, 'the MLSA unit area is taken from this total: only the MLSA count is compared'),
    row('interconnect area, mm^2', a.interconnect, p.area.interconnectMm2, "ours: PUMA's eDRAM bus and router share per tile; NeuroSim: H-tree"),
    row('TOPS/W', operations / e.total / 1e12, p.performance.topsPerWatt, 'the figure divides by 47.9 uJ: dynamic + leakage + its interconnect energy once more'),
  ];
  return { cost, operations, rows };
}
