/**
 * The hardware configuration of the cost model: every figure the model uses,
 * as a JSON-serialisable object of plain numbers (SI units in the names:
 * watts, seconds, hertz, joules; areas in mm^2). Defaults come from published
 * simulators and papers (32 nm); `hardwareSources` names the source of each
 * figure by key path. Users override any part with a partial object that is
 * merged deeply ({@link resolveHardware}); unknown keys and impossible values
 * are rejected with a NaxError naming the key path (`hardware.adc.powerWatts`).
 */
import { ErrorCodes, NaxError, describeValue, expectNumber, expectOneOf, rejectUnknownKeys } from '../errors';
import { TEMPLATE_NAMES, type TemplateName, hardwareTemplates, sharedSources, templateOwnSources } from './templates';

export { TEMPLATE_NAMES, hardwareTemplates, type TemplateName } from './templates';

/** A square crossbar's read figures (PUMAsim `xbar_*_dict`, 2-bit cells). */
export interface CrossbarFigures {
  /** Power drawn while the array is read, watts. */
  readPowerWatts: number;
  /** Duration of one analog read (inputs applied until bit lines settle), seconds. */
  readLatencySeconds: number;
  areaMm2: number;
}

/** Per-array input/output registers (PUMAsim `xbar_inMem` / `xbar_outMem`), indexed by rows / cols. */
export interface RegisterFigures {
  /** Input register read power (one access = dacBits for every row), watts. */
  inputReadPowerWatts: number;
  inputAreaMm2: number;
  /** Output register write power (one access = one value per column), watts. */
  outputPowerWatts: number;
  outputAreaMm2: number;
}

export type AdcEnergyScaling = 'power-time' | 'linear' | 'survey';
export type AdcLatencyScaling = 'linear' | 'constant';
export type AdcAreaScaling = 'constant' | 'linear';

export interface AdcConfig {
  /**
   * ADCs per array that converts (a G+/G- pair counts once under the differential readout):
   * ISAAC 1, PUMA 0.25 (2 ADCs per logical matrix of 8 arrays). A read takes
   * ceil(usedColumns / adcsPerArray) conversions on the busiest ADC.
   */
  adcsPerArray: number;
  /** When > 0, instead of adcsPerArray: one ADC per this many columns of an array (NeuroSim's column mux). */
  columnsPerAdc: number;
  /**
   * Energy per conversion at b bits: 'power-time' (PUMA, NeuroSim): power P(b) times
   * conversion time t(b), both through the anchor point and linear in b above their floors, so
   * E grows as b^2 when both floors are 0; 'linear': E = E0 * b / b0 (the earlier model, which
   * took time linear in b but energy only linear too); 'survey': Murmann's envelope E = Emin +
   * k * 4^b through the anchor (about 4x per bit once thermal noise dominates).
   */
  energyScaling: AdcEnergyScaling;
  /** Conversion time: 'linear' in bits above latencyFloorSeconds (SAR: one bit per cycle) or 'constant'. */
  latencyScaling: AdcLatencyScaling;
  /** ADC area: 'constant' (PUMAsim: 0.0012 mm^2 for every resolution) or 'linear' in bits. */
  areaScaling: AdcAreaScaling;
  /** Resolution of the anchor figures. */
  bits: number;
  /** Dynamic power at the anchor, watts (PUMA 1.8 mW, ISAAC 2 mW at 8 bits). */
  powerWatts: number;
  /** b-independent part of the power, watts: P(b) = floor + (powerWatts - floor) * b / bits. */
  powerFloorWatts: number;
  /** Leakage at the anchor, watts, scaled with b like the power; drawn while the layer runs. */
  leakageWatts: number;
  /** Anchor sample rate, conversions per second (1 / conversion time at the anchor). */
  sampleRateHz: number;
  /** b-independent part of the conversion time, seconds. */
  latencyFloorSeconds: number;
  /** Anchor area, mm^2 (ISAAC: 0.0012). */
  areaMm2: number;
  /** 'survey' only: the resolution-independent floor Emin, joules (0 = pure 4x per bit). */
  surveyFloorJoules: number;
}

/** Which unit one peripheral serves: each physical array, each logical matrix (a row tile x column tile, all its slices and G+/G- arrays), or each IMA. */
export type PeripheralSharing = 'array' | 'matrix' | 'ima';

export interface SharingConfig {
  /** A row of DACs per physical array (ISAAC) or per logical matrix, whose arrays see the same inputs (PUMA). */
  dac: 'array' | 'matrix';
  /** One S&H per column of each array (ISAAC) or per column of a logical matrix (PUMAsim's count). */
  sampleHold: 'array' | 'matrix';
  /** One shift-and-add per ADC, per logical matrix (PUMA) or organisation.shiftAddsPerIma per IMA (ISAAC). */
  shiftAdd: 'adc' | 'matrix' | 'ima';
  /** Input register per array, per logical matrix (PUMA xbar_inMem) or per IMA (ISAAC's 2 KB IR). */
  inputRegister: PeripheralSharing;
  /** Output register per array, per logical matrix (PUMA: "1 OR for 8 xbars") or per IMA (ISAAC's 256 B OR). */
  outputRegister: PeripheralSharing;
}

export interface PipelineConfig {
  /**
   * Within a layer: 'pipelined' (ISAAC): the S&H hands the bit lines' values to the ADCs, which
   * convert one read while the next is in flight, so a read cycle is max(read + hand-off, ADC
   * readout); 'serial': read, hand-off, conversions and shift-add one after another.
   */
  intraLayer: 'pipelined' | 'serial';
  /**
   * Between layers: 'sequential' (one layer at a time; latency adds) or 'pipelined' (ISAAC: every
   * layer on its own arrays works on a different image; the time per image is the slowest
   * layer's, after replicating slow layers' weights up to maxReplication times, which multiplies
   * their area).
   */
  interLayer: 'sequential' | 'pipelined';
  maxReplication: number;
}

export interface HardwareConfig {
  /** The architecture template the figures start from (lib/hardware/templates.ts). */
  template: TemplateName;
  /** Digital clock (shift-add, registers, S&H hand-off), hertz. PUMAsim: cycle_time = 1 ns. */
  clockHz: number;
  /**
   * Square crossbar figures keyed by size (rows = cols). Other shapes scale
   * from the nearest size: power and area with rows*cols, latency with rows.
   */
  crossbar: Record<string, CrossbarFigures>;
  /** Crossbar read energy from the devices ('device') or from the table's read power ('table'). */
  crossbarEnergy: 'device' | 'table';
  /** Defaults of the device energy where no calibration set or weights are given. */
  activity: {
    /** Probability that an input bit is 1. */
    inputBitProbability: number;
    /** Mean programmed level of a used cell as a fraction of the top level (G - gOff) / (gOn - gOff). */
    levelFraction: number;
  };
  adc: AdcConfig;
  dac: {
    /** Power of a 1-bit DAC, watts; a b-bit DAC draws powerWatts1Bit * 2^(b-1) (MNSIM-2.0's table). */
    powerWatts1Bit: number;
    /** Area of one DAC (one per row), mm^2 (PUMAsim: the same for every resolution). */
    areaMm2: number;
  };
  /** Sample-and-hold per column (sharing.sampleHold); holds a column until it is converted. */
  sampleHold: { powerWatts: number; areaMm2: number; latencyCycles: number };
  /** Shift-and-add units (sharing.shiftAdd); one operation per conversion. */
  shiftAdd: { powerWatts: number; areaMm2: number; latencyCycles: number };
  /** Analog subtractor per converted column (reference-column and differential readouts). */
  subtractor: { powerWatts: number; areaMm2: number };
  /**
   * Registers keyed by size (input register by rows, output register by cols), used for
   * 'array' and 'matrix' sharing; sizes between entries interpolate linearly, beyond them scale
   * proportionally. One access per read of the unit they serve, one clock cycle each.
   */
  registers: Record<string, RegisterFigures>;
  /** The registers of one IMA ('ima' sharing: ISAAC's 2 KB IR and 256 B OR). */
  imaRegisters: RegisterFigures;
  sharing: SharingConfig;
  organisation: {
    /** Physical arrays per IMA (PUMA core: 16; ISAAC IMA: 8). A layer occupies ceil(arrays / arraysPerIma) IMAs. */
    arraysPerIma: number;
    /** IMAs per tile (PUMA 8 cores, ISAAC 12 IMAs); tiles are shared by layers in proportion to their IMAs. */
    imasPerTile: number;
    /** Shift-and-adds per IMA under sharing.shiftAdd = 'ima' (ISAAC: 4). */
    shiftAddsPerIma: number;
  };
  pipeline: PipelineConfig;
  /** Each tile's eDRAM: per MVM, read the K inputs and write the N outputs. */
  buffer: {
    /** Energy of one access, joules (PUMAsim: 17.2 pJ per 256-bit access of a 64 KB eDRAM). */
    accessEnergyJoules: number;
    accessBits: number;
    /** Bits of each stored output activation. */
    outputBits: number;
    /** eDRAM area per tile, mm^2. */
    areaMm2: number;
    /** eDRAM power per tile (peak; for the published tile tables), watts. */
    powerWatts: number;
  };
  /** The eDRAM-to-IMA bus (one transfer per eDRAM access) and the tile's share of a router. */
  interconnect: { accessEnergyJoules: number; areaMm2: number; powerWatts: number; routerAreaMm2: number; routerPowerWatts: number };
  /** Each IMA's (PUMA core's) digital units beyond the registers: instruction and data memory, ALU, activation, control. */
  ima: { otherAreaMm2: number; otherPowerWatts: number };
  /** Other tile-level units (ISAAC's sigmoid, S+A, max-pool, tile OR), per tile. */
  tile: { otherAreaMm2: number; otherPowerWatts: number };
}

/** Deep partial, for user overrides. */
export type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? DeepPartial<T[K]> : T[K] };
export type HardwareOverrides = DeepPartial<HardwareConfig>;

/** The default configuration: the `puma` template (NAX ran PUMAsim). */
export const defaultHardware: HardwareConfig = hardwareTemplates.puma;

/** Where each default (the puma template's figures) comes from, by key path (a prefix covers everything under it). */
export const hardwareSources: Record<string, string> = { ...sharedSources, ...templateOwnSources.puma };

/** The source of a figure of `template` (default puma): the longest key-path prefix with an entry, the template's own first. */
export function hardwareSource(path: string, template: TemplateName = 'puma'): string | undefined {
  const parts = path.replace(/^hardware\./, '').split('.');
  const own = templateOwnSources[template] ?? {};
  for (let n = parts.length; n > 0; n--) {
    const key = parts.slice(0, n).join('.');
    const s = own[key] ?? sharedSources[key];
    if (s !== undefined) return s;
  }
  return undefined;
}

// ---- merging and validation ----------------------------------------------------

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !ArrayBuffer.isView(v);
}

function expectObject(path: string, v: unknown): Record<string, unknown> {
  if (!isPlainObject(v))
    throw new NaxError(ErrorCodes.config, `expected an object for ${path}, got ${describeValue(v)}`);
  return v;
}

/** Deep merge of plain objects; the override's leaves (and whole non-object values) win. */
function deepMerge(base: unknown, override: unknown): unknown {
  if (override === undefined) return structuredClone(base);
  if (!isPlainObject(base) || !isPlainObject(override)) return structuredClone(override);
  const out: Record<string, unknown> = structuredClone(base);
  for (const [k, v] of Object.entries(override)) out[k] = deepMerge(base[k], v);
  return out;
}

const positive = { above: 0 } as const;

function checkFigures(path: string, v: unknown, known: readonly string[]): void {
  const obj = expectObject(path, v);
  rejectUnknownKeys(path, obj, known);
  for (const key of known) expectNumber(`${path}.${key}`, obj[key], positive);
}

function checkSizeTable(path: string, v: unknown, known: readonly string[]): void {
  const table = expectObject(path, v);
  if (Object.keys(table).length === 0)
    throw new NaxError(ErrorCodes.config, `expected at least one size in ${path}, got none`);
  for (const [size, figures] of Object.entries(table)) {
    if (!/^[1-9][0-9]*$/.test(size))
      throw new NaxError(ErrorCodes.config, `expected a positive integer size as key of ${path}, got ${JSON.stringify(size)}`);
    checkFigures(`${path}.${size}`, figures, known);
  }
}

function checkChoice<T extends string>(path: string, obj: Record<string, unknown>, key: string, choices: readonly T[]): T {
  return expectOneOf(`${path}.${key}`, obj[key], choices);
}

function section(root: string, hw: Record<string, unknown>, key: keyof HardwareConfig): Record<string, unknown> {
  const obj = expectObject(`${root}.${key}`, hw[key]);
  rejectUnknownKeys(`${root}.${key}`, obj, Object.keys(defaultHardware[key] as object));
  return obj;
}

/** Checks a complete configuration; throws NaxError naming the key path (under `root`). */
export function validateHardware(value: unknown, root = 'hardware'): HardwareConfig {
  const hw = expectObject(root, value);
  rejectUnknownKeys(root, hw, Object.keys(defaultHardware));
  expectOneOf(`${root}.template`, hw.template, TEMPLATE_NAMES);
  expectNumber(`${root}.clockHz`, hw.clockHz, positive);
  checkSizeTable(`${root}.crossbar`, hw.crossbar, Object.keys(defaultHardware.crossbar['64']));
  expectOneOf(`${root}.crossbarEnergy`, hw.crossbarEnergy, ['device', 'table'] as const);
  const activity = section(root, hw, 'activity');
  expectNumber(`${root}.activity.inputBitProbability`, activity.inputBitProbability, { min: 0, max: 1 });
  expectNumber(`${root}.activity.levelFraction`, activity.levelFraction, { min: 0, max: 1 });
  checkSizeTable(`${root}.registers`, hw.registers, Object.keys(defaultHardware.registers['64']));
  checkFigures(`${root}.imaRegisters`, hw.imaRegisters, Object.keys(defaultHardware.imaRegisters));

  const adc = section(root, hw, 'adc');
  expectNumber(`${root}.adc.adcsPerArray`, adc.adcsPerArray, positive);
  expectNumber(`${root}.adc.columnsPerAdc`, adc.columnsPerAdc, { integer: true, min: 0 });
  checkChoice(`${root}.adc`, adc, 'energyScaling', ['power-time', 'linear', 'survey'] as const);
  checkChoice(`${root}.adc`, adc, 'latencyScaling', ['linear', 'constant'] as const);
  checkChoice(`${root}.adc`, adc, 'areaScaling', ['constant', 'linear'] as const);
  expectNumber(`${root}.adc.bits`, adc.bits, { integer: true, min: 1, max: 32 });
  const power = expectNumber(`${root}.adc.powerWatts`, adc.powerWatts, positive);
  const powerFloor = expectNumber(`${root}.adc.powerFloorWatts`, adc.powerFloorWatts, { min: 0 });
  if (powerFloor > power)
    throw new NaxError(ErrorCodes.outOfRange, `expected ${root}.adc.powerFloorWatts at most adc.powerWatts (${power}), got ${powerFloor}`);
  expectNumber(`${root}.adc.leakageWatts`, adc.leakageWatts, { min: 0 });
  const rate = expectNumber(`${root}.adc.sampleRateHz`, adc.sampleRateHz, positive);
  const latencyFloor = expectNumber(`${root}.adc.latencyFloorSeconds`, adc.latencyFloorSeconds, { min: 0 });
  if (latencyFloor > 1 / rate)
    throw new NaxError(ErrorCodes.outOfRange, `expected ${root}.adc.latencyFloorSeconds at most the anchor's conversion time 1/sampleRateHz (${1 / rate} s), got ${latencyFloor}`);
  expectNumber(`${root}.adc.areaMm2`, adc.areaMm2, positive);
  const floor = expectNumber(`${root}.adc.surveyFloorJoules`, adc.surveyFloorJoules, { min: 0 });
  const anchorJoules = power / rate;
  if (floor >= anchorJoules)
    throw new NaxError(
      ErrorCodes.outOfRange,
      `expected ${root}.adc.surveyFloorJoules below the anchor's energy per conversion (${anchorJoules} J), got ${floor}`,
    );

  checkFigures(`${root}.dac`, hw.dac, Object.keys(defaultHardware.dac));
  const sampleHold = section(root, hw, 'sampleHold');
  expectNumber(`${root}.sampleHold.powerWatts`, sampleHold.powerWatts, positive);
  expectNumber(`${root}.sampleHold.areaMm2`, sampleHold.areaMm2, positive);
  expectNumber(`${root}.sampleHold.latencyCycles`, sampleHold.latencyCycles, { min: 0 });
  const shiftAdd = section(root, hw, 'shiftAdd');
  expectNumber(`${root}.shiftAdd.powerWatts`, shiftAdd.powerWatts, positive);
  expectNumber(`${root}.shiftAdd.areaMm2`, shiftAdd.areaMm2, positive);
  expectNumber(`${root}.shiftAdd.latencyCycles`, shiftAdd.latencyCycles, { min: 0 });
  checkFigures(`${root}.subtractor`, hw.subtractor, Object.keys(defaultHardware.subtractor));

  const sharing = section(root, hw, 'sharing');
  checkChoice(`${root}.sharing`, sharing, 'dac', ['array', 'matrix'] as const);
  checkChoice(`${root}.sharing`, sharing, 'sampleHold', ['array', 'matrix'] as const);
  checkChoice(`${root}.sharing`, sharing, 'shiftAdd', ['adc', 'matrix', 'ima'] as const);
  checkChoice(`${root}.sharing`, sharing, 'inputRegister', ['array', 'matrix', 'ima'] as const);
  checkChoice(`${root}.sharing`, sharing, 'outputRegister', ['array', 'matrix', 'ima'] as const);
  const org = section(root, hw, 'organisation');
  expectNumber(`${root}.organisation.arraysPerIma`, org.arraysPerIma, { integer: true, min: 1 });
  expectNumber(`${root}.organisation.imasPerTile`, org.imasPerTile, { integer: true, min: 1 });
  expectNumber(`${root}.organisation.shiftAddsPerIma`, org.shiftAddsPerIma, { integer: true, min: 1 });
  const pipeline = section(root, hw, 'pipeline');
  checkChoice(`${root}.pipeline`, pipeline, 'intraLayer', ['pipelined', 'serial'] as const);
  checkChoice(`${root}.pipeline`, pipeline, 'interLayer', ['sequential', 'pipelined'] as const);
  expectNumber(`${root}.pipeline.maxReplication`, pipeline.maxReplication, { integer: true, min: 1 });

  const buffer = section(root, hw, 'buffer');
  expectNumber(`${root}.buffer.accessEnergyJoules`, buffer.accessEnergyJoules, { min: 0 });
  expectNumber(`${root}.buffer.accessBits`, buffer.accessBits, { integer: true, min: 1 });
  expectNumber(`${root}.buffer.outputBits`, buffer.outputBits, { integer: true, min: 1, max: 32 });
  expectNumber(`${root}.buffer.areaMm2`, buffer.areaMm2, { min: 0 });
  expectNumber(`${root}.buffer.powerWatts`, buffer.powerWatts, { min: 0 });
  const interconnect = section(root, hw, 'interconnect');
  for (const key of Object.keys(defaultHardware.interconnect)) expectNumber(`${root}.interconnect.${key}`, interconnect[key], { min: 0 });
  const ima = section(root, hw, 'ima');
  for (const key of Object.keys(defaultHardware.ima)) expectNumber(`${root}.ima.${key}`, ima[key], { min: 0 });
  const tile = section(root, hw, 'tile');
  for (const key of Object.keys(defaultHardware.tile)) expectNumber(`${root}.tile.${key}`, tile[key], { min: 0 });
  return hw as unknown as HardwareConfig;
}

/**
 * A template (overrides.template, default 'puma') with `overrides` merged deeply (size tables
 * merge per size, so `{ crossbar: { '512': {...} } }` adds a size), validated. Returns a fresh object.
 */
export function resolveHardware(overrides?: HardwareOverrides | unknown): HardwareConfig {
  if (overrides !== undefined) expectObject('hardware', overrides);
  const name = (overrides as { template?: unknown } | undefined)?.template ?? 'puma';
  const template = expectOneOf('hardware.template', name, TEMPLATE_NAMES);
  return validateHardware(deepMerge(hardwareTemplates[template], overrides));
}
