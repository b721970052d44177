/**
 * The hardware cost model: energy, latency, area and EDAP of running a network's crossbar layers
 * (Conv/Gemm/MatMul lowered to K x N matrices) on memristive crossbars, per inference (one
 * image), from the resolved plan (lib/plan) the accuracy model runs, under an architecture
 * template (lib/hardware/templates.ts: puma, isaac, neurosim; every field overridable).
 *
 * - Counts (lib/hardware/counts.ts): arrays from the plan; a layer's arrays all read at each of
 *   its readSteps = outputPixels * passes * ceil(inputBits / dacBits) steps (signed inputs: a
 *   positive and a negative pass); ADC conversions only for the columns that hold weights,
 *   every row tile, step and G+/G- array (half under the differential readout); DACs, S&H,
 *   shift-adds and registers counted by the template's sharing (per array, per logical matrix
 *   or per IMA); ADCs per converting array (PUMA 0.25, ISAAC 1) or per group of columns.
 * - Timing: one step is the crossbar read, the S&H hand-off, the busiest ADC's conversions and
 *   a shift-add; 'pipelined' (ISAAC, PUMA) overlaps them, so a step costs max(read + hand-off,
 *   ADC readout) after the first; 'serial' adds them. Layers run one after another (latency
 *   adds), or with inter-layer pipelining (ISAAC) the slowest layer, after replicating slow
 *   layers' weights (area x replication), sets the time per image.
 * - Energy: crossbar read from the devices (lib/hardware/devices.ts: sum V^2 G t over the
 *   driven cells with the plan's gOn, gOff, vRead, the layer's programmed levels when weights
 *   are given and the input digit statistics of a calibration set when given, else the
 *   template's stated defaults), or the size table's read power ('table'); wire dissipation when
 *   the plan has parasitics; ADC conversions (energy per conversion per adc.energyScaling; PUMA:
 *   power and time both linear in bits) plus ADC leakage over the layer's active time; DAC
 *   drives for the read time; S&H from hand-off to conversion; one shift-add cycle per
 *   conversion; register accesses; analog subtractors; eDRAM accesses (K inputs read, N
 *   outputs written per MVM, no reuse across overlapping windows: an upper bound) and the bus.
 * - Area: arrays (reference column included), ADCs, DACs, S&H, shift-adds, registers and
 *   subtractors as counted, plus each layer's share of its tiles' eDRAM, bus, router and other
 *   tile units (tiles = IMAs / IMAs per tile, shared by layers in proportion).
 * - EDAP = energy (J) x latency (s) x area (mm^2), per layer and for the network (the network's
 *   from its totals, not a sum of layer EDAPs).
 */
import { ErrorCodes, NaxError, describeValue } from '../errors';
import type { CrossbarConfig } from '../crossbar/config';
import type { Graph } from '../onnx/ir';
import { readOnnx, readOnnxFile } from '../onnx/reader';
import type { CrossbarMapping } from '../plan/mapping';
import { type CrossbarPlan, type InputSignSource, type LayerPlan, type LayerShape, type PlanLayerInput, planLayers, planLoweredLayers } from '../plan/plan';
import { foldBatchNorm, lowerFolded } from '../runtime/lower';
import { type CrossbarFigures, type HardwareConfig, type HardwareOverrides, resolveHardware, validateHardware } from './config';
import { type LayerCounts, type Readout, layerCounts } from './counts';
import { type InputActivity, defaultInputActivity, deviceReadJoules, weightLevelFraction, wirePowerWatts } from './devices';

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
  /** Devices of the arrays (V^2 G t, less the wires' first-order share). */
  crossbar: number;
  /** Word-line, bit-line, driver and sense resistances (0 without parasitics). */
  wires: number;
  /** Conversions plus leakage. */
  adc: number;
  dac: number;
  sampleHold: number;
  shiftAdd: number;
  subtractor: number;
  registers: number;
  buffers: number;
  interconnect: number;
  total: number;
}

/** mm^2 per component. */
export interface AreaBreakdown {
  crossbar: number;
  adc: number;
  dac: number;
  sampleHold: number;
  shiftAdd: number;
  subtractor: number;
  registers: number;
  /** The layer's share of its tiles' eDRAM and other tile units. */
  buffers: number;
  /** The layer's share of its tiles' bus and router. */
  interconnect: number;
  /** The IMAs' (PUMA cores') digital units: instruction and data memory, ALU, control. */
  digital: number;
  total: number;
}

export const ENERGY_COMPONENTS = ['crossbar', 'wires', 'adc', 'dac', 'sampleHold', 'shiftAdd', 'subtractor', 'registers', 'buffers', 'interconnect'] as const;
export const AREA_COMPONENTS = ['crossbar', 'adc', 'dac', 'sampleHold', 'shiftAdd', 'subtractor', 'registers', 'buffers', 'interconnect', 'digital'] as const;

export interface LayerCost extends LayerShape {
  /** The resolved crossbar settings of this layer (adcBits as a number). */
  crossbar: Omit<CrossbarCostSettings, 'adcBits'> & { adcBits: number };
  /** How the gOff baseline is removed (the config's readout; DEFAULT_READOUT when it has none). */
  readout: Readout;
  arrays: number;
  /** Fraction of the arrays' cells holding weights (< 1 wastes area). */
  utilization: number;
  /** Reads of each array per MVM: passes * ceil(inputBits/dacBits). */
  readsPerMvm: number;
  /** Array reads per inference (all arrays). */
  crossbarReads: number;
  dacConversions: number;
  adcConversions: number;
  /** ADC leakage energy, joules (part of energyJoules.adc). */
  adcLeakageJoules: number;
  /** The counts behind the figures (components, accesses, IMAs, tiles). */
  counts: LayerCounts;
  /** Input digit statistics used for the device energy, and where they came from. */
  activity: InputActivity & { source: 'calibration' | 'default' };
  /** Mean programmed level fraction of the used cells, and where it came from. */
  levelFraction: { value: number; source: 'weights' | 'default' };
  /** Duration of one read step end to end (read, hand-off, conversions, shift-add), seconds. */
  readLatencySeconds: number;
  /** Time between read steps in steady state (the pipelined step), seconds. */
  stepSeconds: number;
  /** Copies of the layer's weights (inter-layer pipelining; 1 otherwise); area includes them. */
  replication: number;
  energyJoules: EnergyBreakdown;
  /** The layer's time per inference (divided by its replication under inter-layer pipelining). */
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
    /** Sum of the layer latencies (sequential layers) or the slowest layer's (inter-layer pipelining), seconds. */
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

/** Per-layer device data beyond the plan: calibration statistics and programmed levels. */
export interface LayerDeviceData {
  /** Input digit statistics of a calibration set (inputActivity). */
  activity?: InputActivity;
  /** Mean level fraction of the used cells (weightLevelFraction). */
  levelFraction?: number;
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
  /** A template name and overrides of its figures (merged deeply), or a full resolved config. */
  hardware?: HardwareOverrides;
  /** Calibration statistics and programmed levels by layer name (defaults: hardware.activity). */
  devices?: Record<string, LayerDeviceData>;
  /**
   * Weights by layer name (k x n row-major per group, groups concatenated), turned into the
   * layer's programmed level fraction as the engine quantizes them (devices[name].levelFraction
   * wins); 'model': the graph's or ONNX model's own weights (BatchNorm folded). Without them the
   * template's stated default level fraction is used (as eval, sweep and evolve do today, so that
   * their EDAP equals hardwareCost of the same plan).
   */
  weights?: Record<string, ArrayLike<number>> | 'model';
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

/** ADC dynamic power at `bits`, watts: floor + (anchor - floor) * bits / anchorBits ('levels': anchor * (2^bits - 1) / (2^anchorBits - 1)). */
export function adcPowerWatts(hw: HardwareConfig, bits: number): number {
  const { adc } = hw;
  if (adc.energyScaling === 'levels') return (adc.powerWatts * (2 ** bits - 1)) / (2 ** adc.bits - 1);
  return adc.powerFloorWatts + ((adc.powerWatts - adc.powerFloorWatts) * bits) / adc.bits;
}

/** ADC leakage at `bits`, watts (scaled with bits like the power; PUMAsim 0.025*b mW). */
export function adcLeakageWatts(hw: HardwareConfig, bits: number): number {
  return (hw.adc.leakageWatts * bits) / hw.adc.bits;
}

/** Duration of one ADC conversion at `bits`, seconds. */
export function adcConversionSeconds(hw: HardwareConfig, bits: number): number {
  const t = 1 / hw.adc.sampleRateHz;
  if (hw.adc.latencyScaling === 'constant') return t;
  return hw.adc.latencyFloorSeconds + ((t - hw.adc.latencyFloorSeconds) * bits) / hw.adc.bits;
}

/**
 * Dynamic energy of one ADC conversion at `bits`, joules. 'power-time': power x conversion
 * time (PUMA's 0.225*b mW for 12.5*b/128 ns: b^2 growth); 'linear': anchor x bits / anchorBits;
 * 'survey': Emin + k*4^bits through the anchor; 'levels': power in proportion to the 2^bits - 1
 * reference levels times the conversion time (NeuroSim's multilevel sense amplifier).
 */
export function adcConversionJoules(hw: HardwareConfig, bits: number): number {
  const { adc } = hw;
  const anchor = adc.powerWatts / adc.sampleRateHz;
  if (adc.energyScaling === 'power-time') return adcPowerWatts(hw, bits) * adcConversionSeconds(hw, bits);
  if (adc.energyScaling === 'linear') return (anchor * bits) / adc.bits;
  if (adc.energyScaling === 'levels') return adcPowerWatts(hw, bits) * adcConversionSeconds(hw, bits);
  const k = (anchor - adc.surveyFloorJoules) / 4 ** adc.bits;
  return adc.surveyFloorJoules + k * 4 ** bits;
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
  return { crossbar: 0, wires: 0, adc: 0, dac: 0, sampleHold: 0, shiftAdd: 0, subtractor: 0, registers: 0, buffers: 0, interconnect: 0, total: 0 };
}
function zeroArea(): AreaBreakdown {
  return { crossbar: 0, adc: 0, dac: 0, sampleHold: 0, shiftAdd: 0, subtractor: 0, registers: 0, buffers: 0, interconnect: 0, digital: 0, total: 0 };
}

/** Wire power of the layer's representative array (a full tile of its size), watts. */
function layerWirePowerWatts(layer: LayerPlan, counts: LayerCounts, levelFraction: number, activity: InputActivity): number {
  const c = layer.config;
  if (!c.parasitics) return 0;
  const rows = c.rows, cols = counts.physicalCols;
  const usedRows = Math.min(rows, layer.k), usedCols = Math.min(c.cols, layer.n);
  const gUsed = c.gOff + levelFraction * (c.gOn - c.gOff);
  const conductances = new Float64Array(rows * cols).fill(c.gOff);
  for (let i = 0; i < usedRows; i++) conductances.fill(gUsed, i * cols, i * cols + usedCols);
  return wirePowerWatts({ rows, cols, conductances, drivenRows: usedRows, ...c.parasitics }, c.vRead, activity);
}

/** Cost of one planned layer (resolved hardware; device data from a calibration set and the weights where known). */
export function layerCost(layer: LayerPlan, hw: HardwareConfig, device: LayerDeviceData = {}): LayerCost {
  const s = layer.config;
  const { groups, geometry, arrays } = layer;
  const adcBits = s.adcBits;
  const counts = layerCounts(layer, hw);
  const xbar = crossbarFigures(hw, s.rows, counts.physicalCols);
  const cycleSeconds = 1 / hw.clockHz;
  const tRead = xbar.readLatencySeconds;
  const tHandOff = hw.sampleHold.latencyCycles * cycleSeconds;
  const tAdc = counts.conversionsPerAdcPerStep * adcConversionSeconds(hw, adcBits);
  const tShiftAdd = hw.shiftAdd.latencyCycles * cycleSeconds;
  const readLatencySeconds = tRead + tHandOff + tAdc + tShiftAdd;
  const pipelined = hw.pipeline.intraLayer === 'pipelined';
  const stepSeconds = pipelined ? Math.max(tRead + tHandOff, tAdc, tShiftAdd) : readLatencySeconds;
  const latencySeconds = pipelined ? (counts.readSteps - 1) * stepSeconds + readLatencySeconds : counts.readSteps * stepSeconds;

  const activity = device.activity
    ? { ...device.activity, source: 'calibration' as const }
    : { ...defaultInputActivity(hw.activity.inputBitProbability, s.dacBits), source: 'default' as const };
  const levelFraction = device.levelFraction !== undefined
    ? { value: device.levelFraction, source: 'weights' as const }
    : { value: hw.activity.levelFraction, source: 'default' as const };

  // Crossbar devices and wires.
  let crossbar: number, wires = 0;
  if (hw.crossbarEnergy === 'table') crossbar = counts.crossbarReads * xbar.readPowerWatts * tRead;
  else {
    const ideal = counts.readSteps * deviceReadJoules({ config: s, drivenCells: counts.drivenCells, usedCells: counts.usedCells, levelFraction: levelFraction.value, activity, readSeconds: tRead });
    wires = counts.crossbarReads * layerWirePowerWatts(layer, counts, levelFraction.value, activity) * tRead;
    crossbar = Math.max(0, ideal - 2 * wires);
  }
  const regs = registerFigures(hw, s.rows, s.cols);
  const inputRegisterWatts = hw.sharing.inputRegister === 'ima' ? hw.imaRegisters.inputReadPowerWatts : regs.inputReadPowerWatts;
  const outputRegisterWatts = hw.sharing.outputRegister === 'ima' ? hw.imaRegisters.outputPowerWatts : regs.outputPowerWatts;
  const accesses =
    Math.ceil((layer.k * s.inputBits) / hw.buffer.accessBits) + Math.ceil((layer.n * hw.buffer.outputBits) / hw.buffer.accessBits);
  const bufferAccesses = layer.outputPixels * groups * accesses;
  const adcLeakageJoules = counts.components.adcs * adcLeakageWatts(hw, adcBits) * latencySeconds;
  const energy: EnergyBreakdown = {
    crossbar,
    wires,
    adc: counts.adcConversions * adcConversionJoules(hw, adcBits) + adcLeakageJoules,
    dac: counts.dacConversions * dacPowerWatts(hw, s.dacBits) * tRead,
    sampleHold: counts.adcConversions * hw.sampleHold.powerWatts * (tHandOff + tAdc),
    shiftAdd: counts.adcConversions * hw.shiftAdd.powerWatts * cycleSeconds,
    subtractor: counts.subtractions * hw.subtractor.powerWatts * tRead,
    registers: (counts.inputRegisterAccesses * inputRegisterWatts + counts.outputRegisterAccesses * outputRegisterWatts) * cycleSeconds,
    buffers: bufferAccesses * hw.buffer.accessEnergyJoules,
    interconnect: bufferAccesses * hw.interconnect.accessEnergyJoules,
    total: 0,
  };
  energy.total = ENERGY_COMPONENTS.reduce((a, k) => a + energy[k], 0);

  const comp = counts.components;
  const area: AreaBreakdown = {
    crossbar: arrays * xbar.areaMm2,
    adc: comp.adcs * adcAreaMm2(hw, adcBits),
    dac: comp.dacs * hw.dac.areaMm2,
    sampleHold: comp.sampleHolds * hw.sampleHold.areaMm2,
    shiftAdd: comp.shiftAdds * hw.shiftAdd.areaMm2,
    subtractor: comp.subtractors * hw.subtractor.areaMm2,
    registers:
      comp.inputRegisters * (hw.sharing.inputRegister === 'ima' ? hw.imaRegisters.inputAreaMm2 : regs.inputAreaMm2) +
      comp.outputRegisters * (hw.sharing.outputRegister === 'ima' ? hw.imaRegisters.outputAreaMm2 : regs.outputAreaMm2),
    buffers: counts.tiles * (hw.buffer.areaMm2 + hw.tile.otherAreaMm2),
    interconnect: counts.tiles * (hw.interconnect.areaMm2 + hw.interconnect.routerAreaMm2),
    digital: counts.imas * hw.ima.otherAreaMm2,
    total: 0,
  };
  area.total = AREA_COMPONENTS.reduce((a, k) => a + area[k], 0);

  return {
    name: layer.name,
    ...(layer.opType !== undefined ? { opType: layer.opType } : {}),
    k: layer.k,
    n: layer.n,
    groups,
    outputPixels: layer.outputPixels,
    crossbar: { rows: s.rows, cols: s.cols, bitsPerCell: s.bitsPerCell, weightBits: s.weightBits, inputBits: s.inputBits, dacBits: s.dacBits, adcBits },
    readout: counts.readout,
    arrays,
    utilization: geometry.utilization,
    readsPerMvm: counts.passes * geometry.cycles,
    crossbarReads: counts.crossbarReads,
    dacConversions: counts.dacConversions,
    adcConversions: counts.adcConversions,
    adcLeakageJoules,
    counts,
    activity,
    levelFraction,
    readLatencySeconds,
    stepSeconds,
    replication: 1,
    energyJoules: energy,
    latencySeconds,
    areaMm2: area,
    edap: energy.total * latencySeconds * area.total,
  };
}

function isGraph(model: unknown): model is Graph {
  return typeof model === 'object' && model !== null && Array.isArray((model as Graph).nodes) && (model as Graph).initializers instanceof Map;
}

/**
 * The plan hardwareCost costs: the given one, or `model` + `mapping` resolved into one. Graphs and
 * ONNX models also give their weights (BatchNorm folded, as the engine programs them), used with
 * `weights: 'model'`.
 */
function planOf(options: HardwareCostOptions): { plan: CrossbarPlan; weights?: Record<string, ArrayLike<number>> } {
  const { model, mapping } = options;
  if (options.weights === 'model' && (options.plan !== undefined || Array.isArray(model)))
    throw new NaxError(ErrorCodes.invalidArgument, "expected a graph or an ONNX model with weights: 'model' (a plan or a layer list has no weights), got none");
  if (options.plan !== undefined) {
    if (model !== undefined || mapping !== undefined)
      throw new NaxError(ErrorCodes.invalidArgument, 'expected either a plan or a model (+ mapping) for hardwareCost, got both');
    if (typeof options.plan !== 'object' || options.plan === null || !Array.isArray(options.plan.layers))
      throw new NaxError(ErrorCodes.invalidArgument, `expected a crossbar plan (planGraph / planLayers) for plan, got ${describeValue(options.plan)}`);
    return { plan: options.plan };
  }
  const graphOptions = { mapping, graphInputSigned: options.graphInputSigned, ...(options.inputShapes ? { inputShapes: options.inputShapes } : {}) };
  if (Array.isArray(model)) return { plan: planLayers(model, { mapping }) };
  let graph: Graph;
  if (isGraph(model)) graph = model;
  else if (typeof model === 'string') graph = readOnnxFile(model);
  else if (model instanceof Uint8Array) graph = readOnnx(model);
  else
    throw new NaxError(
      ErrorCodes.invalidArgument,
      `expected crossbar layers, a graph, or an ONNX path or bytes for model, got ${describeValue(model)}`,
    );
  const folded = foldBatchNorm(graph);
  const lowered = lowerFolded(folded, options.inputShapes ? { inputShapes: options.inputShapes } : {});
  return { plan: planLoweredLayers(folded, lowered, graphOptions), weights: Object.fromEntries(lowered.map((l) => [l.name, l.weights])) };
}

/** A layer's device data from hardwareCost's options (devices first, then weights). */
function deviceDataOf(layer: LayerPlan, options: HardwareCostOptions, modelWeights?: Record<string, ArrayLike<number>>): LayerDeviceData {
  const given = options.devices?.[layer.name] ?? {};
  const weights = options.weights === 'model' ? modelWeights?.[layer.name] : options.weights?.[layer.name];
  if (given.levelFraction !== undefined || weights === undefined) return given;
  const per = layer.k * layer.n;
  if (weights.length !== per * layer.groups)
    throw new NaxError(ErrorCodes.sizeMismatch, `expected groups*k*n = ${per * layer.groups} weights for weights.${layer.name}, got ${weights.length}`);
  let sum = 0;
  for (let g = 0; g < layer.groups; g++)
    sum += weightLevelFraction(Array.prototype.slice.call(weights, g * per, (g + 1) * per) as number[], layer.k, layer.n, layer.config);
  return { ...given, levelFraction: sum / layer.groups };
}

/** Per-layer and network energy, latency, area and EDAP (see the file comment for the model). */
export function hardwareCost(options: HardwareCostOptions): NetworkCost {
  if (typeof options !== 'object' || options === null)
    throw new NaxError(ErrorCodes.invalidArgument, `expected an options object for hardwareCost, got ${describeValue(options)}`);
  const { plan, weights } = planOf(options);
  const hw = resolveHardware(options.hardware);
  const cost = combineLayerCosts(plan.layers.map((l) => layerCost(l, hw, deviceDataOf(l, options, weights))), hw);
  cost.inputSigns = plan.inputSigns;
  if (plan.graphInputSigned !== undefined) cost.graphInputSigned = plan.graphInputSigned;
  return cost;
}

/**
 * Copies of each layer's weights under inter-layer pipelining: enough for the slowest layer to
 * come down to max(slowest / maxReplication, fastest), at most maxReplication.
 */
export function replicationFactors(latencies: readonly number[], maxReplication: number): number[] {
  if (latencies.length === 0) return [];
  const target = Math.max(Math.max(...latencies) / maxReplication, Math.min(...latencies));
  return latencies.map((t) => Math.min(maxReplication, Math.max(1, Math.ceil(t / target - 1e-9))));
}

/**
 * The network's cost from its layers': energy and area add over layers; latency adds
 * (sequential layers) or is the slowest replicated layer's (inter-layer pipelining, where each
 * layer's area is multiplied by its replication); EDAP from the totals.
 */
export function combineLayerCosts(layerCosts: LayerCost[], hardware: HardwareConfig): NetworkCost {
  validateHardware(hardware);
  let layers = layerCosts;
  const interLayer = hardware.pipeline.interLayer === 'pipelined';
  if (interLayer) {
    const base = layerCosts.map((l) => l.latencySeconds * l.replication);
    const reps = replicationFactors(base, hardware.pipeline.maxReplication);
    layers = layerCosts.map((l, i) => {
      const scale = reps[i] / l.replication;
      const area = { ...l.areaMm2 };
      for (const key of [...AREA_COMPONENTS, 'total'] as const) area[key] *= scale;
      const latencySeconds = base[i] / reps[i];
      return { ...l, replication: reps[i], areaMm2: area, latencySeconds, edap: l.energyJoules.total * latencySeconds * area.total };
    });
  }
  const energy = zeroEnergy();
  const area = zeroArea();
  let arrays = 0, usedCells = 0, cells = 0, reads = 0, dacs = 0, adcs = 0, latency = 0;
  for (const l of layers) {
    for (const key of Object.keys(energy) as (keyof EnergyBreakdown)[]) energy[key] += l.energyJoules[key] ?? 0;
    for (const key of Object.keys(area) as (keyof AreaBreakdown)[]) area[key] += l.areaMm2[key] ?? 0;
    arrays += l.arrays * l.replication;
    const arrayCells = l.arrays * l.crossbar.rows * l.crossbar.cols;
    cells += arrayCells;
    usedCells += arrayCells * l.utilization;
    reads += l.crossbarReads;
    dacs += l.dacConversions;
    adcs += l.adcConversions;
    latency = interLayer ? Math.max(latency, l.latencySeconds) : latency + l.latencySeconds;
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
