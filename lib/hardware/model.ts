/**
 * The hardware cost model: energy, latency, area and EDAP of running a
 * network's crossbar layers (Conv/Gemm/MatMul lowered to K x N matrices) on
 * memristive crossbars under a per-layer mapping. All quantities are per
 * inference (one image). The formulas follow shared/HARDWARE.md:
 *
 * - Arrays per layer: groups * mappingGeometry(...).arrays (lib/crossbar/geometry.ts,
 *   the same count the crossbar engine programs).
 * - Per MVM (one output pixel) every array reads cycles = ceil(inputBits/dacBits)
 *   times (twice that for signed inputs: a positive and a negative pass).
 * - One read of one array spends: crossbar read power x crossbar read latency;
 *   `rows` DAC conversions (a DAC drives its row for the crossbar read); `cols`
 *   ADC conversions; `cols` sample-and-holds held for the whole read; `cols`
 *   shift-and-add operations (one clock cycle each); one input-register read
 *   and one output-register write (one clock cycle each).
 * - Read latency: crossbar read + ceil(cols / adcsPerArray) conversions in
 *   sequence + the shift-and-add's cycles (it is pipelined behind the ADC, so
 *   only the last conversion's add shows). Register and buffer accesses are
 *   assumed to overlap with compute (double-buffered) and add no latency.
 * - Layer latency: the arrays of a layer (all row/column tiles, slices, G+/G-
 *   and groups) work in parallel; a layer's MVMs (output pixels) run one after
 *   another on them: outputPixels * passes * cycles * readLatency.
 * - Network latency: layers run in sequence (no inter-layer pipelining), so it
 *   is the sum of the layer latencies; energy and area add over layers too.
 * - Area per array: crossbar + rows DACs + adcsPerArray ADCs + cols S&H +
 *   adcsPerArray shift-and-add units + input and output registers. Every array
 *   has its own peripherals; only the ADCs are shared, by the columns of one
 *   array. The eDRAM buffer and the interconnect are left out of the area (they
 *   are sized by activations, not by the crossbar choice); eDRAM energy is
 *   counted (K inputs read and N outputs written per MVM, no reuse across
 *   overlapping windows: an upper bound).
 * - EDAP = energy (J) x latency (s) x area (mm^2), per layer and for the network
 *   (the network's from its totals, not a sum of layer EDAPs).
 */
import { ErrorCodes, NaxError, describeValue } from '../errors';
import type { CrossbarConfig } from '../crossbar/config';
import type { Graph } from '../onnx/ir';
import { readOnnx, readOnnxFile } from '../onnx/reader';
import type { CrossbarMapping } from '../plan/mapping';
import { type CrossbarPlan, type InputSignSource, type LayerPlan, type LayerShape, type PlanLayerInput, planGraph, planLayers } from '../plan/plan';
import { type CrossbarFigures, type HardwareConfig, type HardwareOverrides, resolveHardware, validateHardware } from './config';

/** The structural part of a lowered layer that the cost model reads (LoweredLayer fits). */
export type CostLayer = PlanLayerInput;

/** The crossbar settings the cost model reads (a subset of the crossbar engine's CrossbarConfig). */
export type CrossbarCostSettings = Pick<CrossbarConfig, 'rows' | 'cols' | 'bitsPerCell' | 'weightBits' | 'inputBits' | 'dacBits' | 'adcBits'>;

/**
 * A per-layer mapping (lib/plan/mapping.ts): a default crossbar config plus per-layer overrides
 * by node name. hardwareCost resolves it into a plan (lib/plan) like every other consumer.
 */
export type CostMapping = CrossbarMapping;

/** Joules per component. */
export interface EnergyBreakdown {
  crossbar: number;
  adc: number;
  dac: number;
  sampleHold: number;
  shiftAdd: number;
  registers: number;
  buffers: number;
  total: number;
}

/** mm^2 per component. */
export interface AreaBreakdown {
  crossbar: number;
  adc: number;
  dac: number;
  sampleHold: number;
  shiftAdd: number;
  registers: number;
  total: number;
}

export interface LayerCost extends LayerShape {
  /** The resolved crossbar settings of this layer (adcBits as a number). */
  crossbar: Omit<CrossbarCostSettings, 'adcBits'> & { adcBits: number };
  arrays: number;
  /** Fraction of the arrays' cells holding weights (< 1 wastes area). */
  utilization: number;
  /** Reads of each array per MVM: passes * ceil(inputBits/dacBits). */
  readsPerMvm: number;
  /** Array reads per inference (all arrays). */
  crossbarReads: number;
  dacConversions: number;
  adcConversions: number;
  /** Duration of one array read, seconds. */
  readLatencySeconds: number;
  energyJoules: EnergyBreakdown;
  latencySeconds: number;
  areaMm2: AreaBreakdown;
  /** energy x latency x area of this layer alone, J*s*mm^2. */
  edap: number;
}

export interface NetworkCost {
  layers: LayerCost[];
  total: {
    arrays: number;
    /** Cells holding weights / cells of all arrays. */
    utilization: number;
    crossbarReads: number;
    dacConversions: number;
    adcConversions: number;
    energyJoules: EnergyBreakdown;
    /** Sum of the layer latencies (layers run in sequence), seconds. */
    latencySeconds: number;
    areaMm2: AreaBreakdown;
    /** total energy x total latency x total area, J*s*mm^2. */
    edap: number;
  };
  /** The resolved hardware configuration used. */
  hardware: HardwareConfig;
  /** How the plan decided which layers pay a second (negative) input pass. */
  inputSigns?: InputSignSource;
  /** With inputSigns 'inferred': whether the graph's own inputs were assumed signed. */
  graphInputSigned?: boolean;
}

export interface HardwareCostOptions {
  /** A resolved plan (planGraph / planLayers): what the executor programs, costed as is. */
  plan?: CrossbarPlan;
  /**
   * Instead of a plan: lowered crossbar layers, a graph, or an ONNX model (file path or bytes),
   * resolved here with `mapping` into a plan (graphs: signed inputs inferred from the graph,
   * layer lists: each layer's `signedInput`).
   */
  model?: readonly CostLayer[] | Graph | string | Uint8Array;
  /** Graph input shapes with batch dim, for graphs with symbolic dims (default: unknown dims = 1). */
  inputShapes?: Record<string, number[]>;
  mapping?: CostMapping;
  /** For a graph without calibration: whether its inputs may be negative (default true). */
  graphInputSigned?: boolean;
  /** Overrides of the default hardware figures (merged deeply), or a full resolved config. */
  hardware?: HardwareOverrides;
}

// ---- component figures ----------------------------------------------------------

function sizeEntries<T>(table: Record<string, T>): [number, T][] {
  return Object.entries(table)
    .map(([s, v]) => [Number(s), v] as [number, T])
    .sort((a, b) => a[0] - b[0]);
}

/**
 * Crossbar read figures for a rows x cols array: the table's entry for a square
 * size it lists; otherwise scaled from the entry nearest in sqrt(rows*cols)
 * (log scale): power and area with rows*cols (per-cell figures), read latency
 * with rows (the word-line/bit-line settling PUMAsim models as 1 ns per row).
 */
export function crossbarFigures(hw: HardwareConfig, rows: number, cols: number): CrossbarFigures {
  if (rows === cols && hw.crossbar[String(rows)]) return { ...hw.crossbar[String(rows)] };
  const target = Math.log(Math.sqrt(rows * cols));
  let best: [number, CrossbarFigures] | undefined;
  for (const e of sizeEntries(hw.crossbar))
    if (!best || Math.abs(Math.log(e[0]) - target) < Math.abs(Math.log(best[0]) - target)) best = e;
  const [size, f] = best!;
  const cells = (rows * cols) / (size * size);
  return { readPowerWatts: f.readPowerWatts * cells, readLatencySeconds: (f.readLatencySeconds * rows) / size, areaMm2: f.areaMm2 * cells };
}

/** A register figure at `size`: linear between table sizes, proportional beyond them. */
function registerFigure(hw: HardwareConfig, size: number, field: 'inputReadPowerWatts' | 'inputAreaMm2' | 'outputPowerWatts' | 'outputAreaMm2'): number {
  const entries = sizeEntries(hw.registers);
  const first = entries[0];
  const last = entries[entries.length - 1];
  if (size <= first[0]) return (first[1][field] * size) / first[0];
  if (size >= last[0]) return (last[1][field] * size) / last[0];
  for (let i = 1; i < entries.length; i++) {
    const [s1, f1] = entries[i];
    if (size <= s1) {
      const [s0, f0] = entries[i - 1];
      return f0[field] + ((f1[field] - f0[field]) * (size - s0)) / (s1 - s0);
    }
  }
  return last[1][field];
}

/** Input register (by rows) and output register (by cols) of one array. */
export function registerFigures(hw: HardwareConfig, rows: number, cols: number) {
  return {
    inputReadPowerWatts: registerFigure(hw, rows, 'inputReadPowerWatts'),
    inputAreaMm2: registerFigure(hw, rows, 'inputAreaMm2'),
    outputPowerWatts: registerFigure(hw, cols, 'outputPowerWatts'),
    outputAreaMm2: registerFigure(hw, cols, 'outputAreaMm2'),
  };
}

/** Energy of one ADC conversion at `bits`, joules, through the anchor point. */
export function adcConversionJoules(hw: HardwareConfig, bits: number): number {
  const { adc } = hw;
  const anchor = adc.powerWatts / adc.sampleRateHz;
  if (adc.energyScaling === 'linear') return (anchor * bits) / adc.bits;
  // Murmann envelope E = Emin + k*4^b, k fixed by the anchor.
  const k = (anchor - adc.surveyFloorJoules) / 4 ** adc.bits;
  return adc.surveyFloorJoules + k * 4 ** bits;
}

/** Duration of one ADC conversion at `bits`, seconds. */
export function adcConversionSeconds(hw: HardwareConfig, bits: number): number {
  const t = 1 / hw.adc.sampleRateHz;
  return hw.adc.latencyScaling === 'linear' ? (t * bits) / hw.adc.bits : t;
}

/** Area of one ADC at `bits`, mm^2. */
export function adcAreaMm2(hw: HardwareConfig, bits: number): number {
  return hw.adc.areaScaling === 'linear' ? (hw.adc.areaMm2 * bits) / hw.adc.bits : hw.adc.areaMm2;
}

/** Power of one DAC of `bits`, watts: doubles per bit (MNSIM-2.0's DAC table). */
export function dacPowerWatts(hw: HardwareConfig, bits: number): number {
  return hw.dac.powerWatts1Bit * 2 ** (bits - 1);
}

// ---- the model --------------------------------------------------------------------

function zeroEnergy(): EnergyBreakdown {
  return { crossbar: 0, adc: 0, dac: 0, sampleHold: 0, shiftAdd: 0, registers: 0, buffers: 0, total: 0 };
}
function zeroArea(): AreaBreakdown {
  return { crossbar: 0, adc: 0, dac: 0, sampleHold: 0, shiftAdd: 0, registers: 0, total: 0 };
}

/** Cost of one planned layer (resolved hardware). */
export function layerCost(layer: LayerPlan, hw: HardwareConfig): LayerCost {
  const s = layer.config;
  const { groups, geometry, arrays } = layer;
  const adcBits = s.adcBits;
  const passes = layer.signedInput ? 2 : 1;
  const readsPerMvm = passes * geometry.cycles;
  const crossbarReads = layer.outputPixels * readsPerMvm * arrays;

  const xbar = crossbarFigures(hw, s.rows, s.cols);
  const regs = registerFigures(hw, s.rows, s.cols);
  const cycleSeconds = 1 / hw.clockHz;
  const adcsPerArray = Math.min(hw.adc.adcsPerArray, s.cols);
  const conversionSeconds = adcConversionSeconds(hw, adcBits);
  const readLatencySeconds =
    xbar.readLatencySeconds + Math.ceil(s.cols / adcsPerArray) * conversionSeconds + hw.shiftAdd.latencyCycles * cycleSeconds;

  // Energy of one read of one array, by component.
  const perRead = {
    crossbar: xbar.readPowerWatts * xbar.readLatencySeconds,
    dac: s.rows * dacPowerWatts(hw, s.dacBits) * xbar.readLatencySeconds,
    adc: s.cols * adcConversionJoules(hw, adcBits),
    sampleHold: s.cols * hw.sampleHold.powerWatts * readLatencySeconds,
    shiftAdd: s.cols * hw.shiftAdd.powerWatts * cycleSeconds,
    registers: (regs.inputReadPowerWatts + regs.outputPowerWatts) * cycleSeconds,
  };
  const accesses =
    Math.ceil((layer.k * s.inputBits) / hw.buffer.accessBits) + Math.ceil((layer.n * hw.buffer.outputBits) / hw.buffer.accessBits);
  const energy: EnergyBreakdown = {
    crossbar: crossbarReads * perRead.crossbar,
    adc: crossbarReads * perRead.adc,
    dac: crossbarReads * perRead.dac,
    sampleHold: crossbarReads * perRead.sampleHold,
    shiftAdd: crossbarReads * perRead.shiftAdd,
    registers: crossbarReads * perRead.registers,
    buffers: layer.outputPixels * groups * accesses * hw.buffer.accessEnergyJoules,
    total: 0,
  };
  energy.total = energy.crossbar + energy.adc + energy.dac + energy.sampleHold + energy.shiftAdd + energy.registers + energy.buffers;

  const area: AreaBreakdown = {
    crossbar: arrays * xbar.areaMm2,
    adc: arrays * adcsPerArray * adcAreaMm2(hw, adcBits),
    dac: arrays * s.rows * hw.dac.areaMm2,
    sampleHold: arrays * s.cols * hw.sampleHold.areaMm2,
    shiftAdd: arrays * adcsPerArray * hw.shiftAdd.areaMm2,
    registers: arrays * (regs.inputAreaMm2 + regs.outputAreaMm2),
    total: 0,
  };
  area.total = area.crossbar + area.adc + area.dac + area.sampleHold + area.shiftAdd + area.registers;

  const latencySeconds = layer.outputPixels * readsPerMvm * readLatencySeconds;
  return {
    name: layer.name,
    ...(layer.opType !== undefined ? { opType: layer.opType } : {}),
    k: layer.k,
    n: layer.n,
    groups,
    outputPixels: layer.outputPixels,
    crossbar: { rows: s.rows, cols: s.cols, bitsPerCell: s.bitsPerCell, weightBits: s.weightBits, inputBits: s.inputBits, dacBits: s.dacBits, adcBits },
    arrays,
    utilization: geometry.utilization,
    readsPerMvm,
    crossbarReads,
    dacConversions: crossbarReads * s.rows,
    adcConversions: crossbarReads * s.cols,
    readLatencySeconds,
    energyJoules: energy,
    latencySeconds,
    areaMm2: area,
    edap: energy.total * latencySeconds * area.total,
  };
}

function isGraph(model: unknown): model is Graph {
  return typeof model === 'object' && model !== null && Array.isArray((model as Graph).nodes) && (model as Graph).initializers instanceof Map;
}

/** The plan hardwareCost costs: the given one, or `model` + `mapping` resolved into one. */
function planOf(options: HardwareCostOptions): CrossbarPlan {
  const { model, mapping } = options;
  if (options.plan !== undefined) {
    if (model !== undefined || mapping !== undefined)
      throw new NaxError(ErrorCodes.invalidArgument, 'expected either a plan or a model (+ mapping) for hardwareCost, got both');
    if (typeof options.plan !== 'object' || options.plan === null || !Array.isArray(options.plan.layers))
      throw new NaxError(ErrorCodes.invalidArgument, `expected a crossbar plan (planGraph / planLayers) for plan, got ${describeValue(options.plan)}`);
    return options.plan;
  }
  const graphOptions = { mapping, graphInputSigned: options.graphInputSigned, ...(options.inputShapes ? { inputShapes: options.inputShapes } : {}) };
  if (Array.isArray(model)) return planLayers(model, { mapping });
  if (isGraph(model)) return planGraph(model, graphOptions);
  if (typeof model === 'string') return planGraph(readOnnxFile(model), graphOptions);
  if (model instanceof Uint8Array) return planGraph(readOnnx(model), graphOptions);
  throw new NaxError(
    ErrorCodes.invalidArgument,
    `expected crossbar layers, a graph, or an ONNX path or bytes for model, got ${describeValue(model)}`,
  );
}

/** Per-layer and network energy, latency, area and EDAP (see the file comment for the model). */
export function hardwareCost(options: HardwareCostOptions): NetworkCost {
  if (typeof options !== 'object' || options === null)
    throw new NaxError(ErrorCodes.invalidArgument, `expected an options object for hardwareCost, got ${describeValue(options)}`);
  const plan = planOf(options);
  const hw = resolveHardware(options.hardware);
  const cost = combineLayerCosts(plan.layers.map((l) => layerCost(l, hw)), hw);
  cost.inputSigns = plan.inputSigns;
  if (plan.graphInputSigned !== undefined) cost.graphInputSigned = plan.graphInputSigned;
  return cost;
}

/**
 * The network's cost from its layers' (as documented: energy, area and
 * latency add over layers; EDAP from the totals).
 */
export function combineLayerCosts(layers: LayerCost[], hardware: HardwareConfig): NetworkCost {
  validateHardware(hardware);
  const energy = zeroEnergy();
  const area = zeroArea();
  let arrays = 0, usedCells = 0, cells = 0, reads = 0, dacs = 0, adcs = 0, latency = 0;
  for (const l of layers) {
    for (const key of Object.keys(energy) as (keyof EnergyBreakdown)[]) energy[key] += l.energyJoules[key];
    for (const key of Object.keys(area) as (keyof AreaBreakdown)[]) area[key] += l.areaMm2[key];
    arrays += l.arrays;
    const arrayCells = l.arrays * l.crossbar.rows * l.crossbar.cols;
    cells += arrayCells;
    usedCells += arrayCells * l.utilization;
    reads += l.crossbarReads;
    dacs += l.dacConversions;
    adcs += l.adcConversions;
    latency += l.latencySeconds;
  }
  return {
    layers,
    total: {
      arrays,
      utilization: cells > 0 ? usedCells / cells : 0,
      crossbarReads: reads,
      dacConversions: dacs,
      adcConversions: adcs,
      energyJoules: energy,
      latencySeconds: latency,
      areaMm2: area,
      edap: energy.total * latency * area.total,
    },
    hardware,
  };
}
