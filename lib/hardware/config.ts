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

export type AdcEnergyScaling = 'linear' | 'survey';
export type AdcLatencyScaling = 'linear' | 'constant';
export type AdcAreaScaling = 'constant' | 'linear';

export interface AdcConfig {
  /**
   * ADCs shared by one array's columns (ISAAC: one per 128x128 array). A read
   * takes ceil(cols / adcsPerArray) conversions in sequence.
   */
  adcsPerArray: number;
  /**
   * How energy per conversion grows with resolution b: 'linear' (PUMA,
   * NeuroSim: E = E0 * b / b0) or 'survey' (Murmann's ADC survey envelope:
   * E = Emin + k * 4^b, about 4x per bit once thermal noise dominates), both
   * through the anchor point (b0 bits, E0 = powerWatts / sampleRateHz).
   */
  energyScaling: AdcEnergyScaling;
  /** Conversion time: 'linear' in bits (SAR: one bit per cycle; PUMAsim 12.5*b ns per 128 columns) or 'constant'. */
  latencyScaling: AdcLatencyScaling;
  /** ADC area: 'constant' (PUMAsim: 0.0012 mm^2 for every resolution) or 'linear' in bits. */
  areaScaling: AdcAreaScaling;
  /** Resolution of the anchor ADC. */
  bits: number;
  /** Anchor power, watts (ISAAC's 8-bit SAR: 2 mW). */
  powerWatts: number;
  /** Anchor sample rate, conversions per second (ISAAC: 1.28 GS/s). */
  sampleRateHz: number;
  /** Anchor area, mm^2 (ISAAC: 0.0012). */
  areaMm2: number;
  /** 'survey' only: the resolution-independent floor Emin, joules (0 = pure 4x per bit). */
  surveyFloorJoules: number;
}

export interface HardwareConfig {
  /** Digital clock (shift-add, registers), hertz. PUMAsim: cycle_time = 1 ns. */
  clockHz: number;
  /**
   * Square crossbar figures keyed by size (rows = cols). Other shapes scale
   * from the nearest size: power and area with rows*cols, latency with rows.
   */
  crossbar: Record<string, CrossbarFigures>;
  adc: AdcConfig;
  dac: {
    /** Power of a 1-bit DAC, watts; a b-bit DAC draws powerWatts1Bit * 2^(b-1) (MNSIM-2.0's table). */
    powerWatts1Bit: number;
    /** Area of one DAC (one per row), mm^2 (PUMAsim: the same for every resolution). */
    areaMm2: number;
  };
  /** One sample-and-hold per column, held for the whole read. */
  sampleHold: { powerWatts: number; areaMm2: number };
  /** One shift-and-add unit per ADC; one operation per conversion. */
  shiftAdd: { powerWatts: number; areaMm2: number; latencyCycles: number };
  /**
   * Per-array registers keyed by size (input register by rows, output register
   * by cols); sizes between entries interpolate linearly, beyond them scale
   * proportionally. One access of each per read, one clock cycle each.
   */
  registers: Record<string, RegisterFigures>;
  /** Shared eDRAM buffer: per MVM, read the K inputs and write the N outputs. */
  buffer: {
    /** Energy of one access, joules (PUMAsim: 17.2 pJ per 256-bit access of a 64 KB eDRAM). */
    accessEnergyJoules: number;
    accessBits: number;
    /** Bits of each stored output activation. */
    outputBits: number;
  };
}

/** Deep partial, for user overrides. */
export type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? DeepPartial<T[K]> : T[K] };
export type HardwareOverrides = DeepPartial<HardwareConfig>;

const PUMA = 'PUMAsim include/constants.py (Aayush-Ankit/puma-simulator; ISAAC-derived, 32 nm)';
const PUMA16 = 'PUMAsim include/example-constants/constants-16.py (the 16x16 figures NAX used)';

/** Default figures (32 nm). Keep `hardwareSources` in step when adding a figure. */
export const defaultHardware: HardwareConfig = {
  clockHz: 1e9,
  crossbar: {
    '16': { readPowerWatts: 0.0046875e-3, readLatencySeconds: 16e-9, areaMm2: 3.90625e-7 },
    '32': { readPowerWatts: 0.01875e-3, readLatencySeconds: 32e-9, areaMm2: 1.5625e-6 },
    '64': { readPowerWatts: 0.075e-3, readLatencySeconds: 64e-9, areaMm2: 6.25e-6 },
    '128': { readPowerWatts: 0.3e-3, readLatencySeconds: 128e-9, areaMm2: 2.5e-5 },
    '256': { readPowerWatts: 1.2e-3, readLatencySeconds: 256e-9, areaMm2: 1.0e-4 },
  },
  adc: {
    adcsPerArray: 1,
    energyScaling: 'linear',
    latencyScaling: 'linear',
    areaScaling: 'constant',
    bits: 8,
    powerWatts: 2e-3,
    sampleRateHz: 1.28e9,
    areaMm2: 0.0012,
    surveyFloorJoules: 0,
  },
  dac: { powerWatts1Bit: 3.9e-6, areaMm2: 1.67e-7 },
  sampleHold: { powerWatts: 9.7e-9, areaMm2: 3.90625e-8 },
  shiftAdd: { powerWatts: 0.05e-3, areaMm2: 6e-5, latencyCycles: 1 },
  registers: {
    '16': { inputReadPowerWatts: 0.3e-3, inputAreaMm2: 0.00015, outputPowerWatts: 0.1e-3, outputAreaMm2: 0.00015 },
    '32': { inputReadPowerWatts: 0.3e-3, inputAreaMm2: 0.00015, outputPowerWatts: 0.1e-3, outputAreaMm2: 0.00015 },
    '64': { inputReadPowerWatts: 0.7e-3, inputAreaMm2: 0.00033, outputPowerWatts: 0.1e-3, outputAreaMm2: 0.00033 },
    '128': { inputReadPowerWatts: 1.7e-3, inputAreaMm2: 0.00078, outputPowerWatts: 0.16e-3, outputAreaMm2: 0.00078 },
    '256': { inputReadPowerWatts: 4.7e-3, inputAreaMm2: 0.0019, outputPowerWatts: 0.2e-3, outputAreaMm2: 0.0019 },
  },
  buffer: { accessEnergyJoules: 17.2e-12, accessBits: 256, outputBits: 8 },
};

/** Where each default comes from, by key path (a prefix covers everything under it). */
export const hardwareSources: Record<string, string> = {
  clockHz: `${PUMA}: cycle_time = 1 ns`,
  'crossbar.16': `${PUMA16}: xbar_pow/lat/area for 16`,
  crossbar: `${PUMA}: xbar_pow_dict, xbar_lat_dict, xbar_area_dict (from ISAAC), 2-bit cells`,
  'adc.adcsPerArray': 'ISAAC (Shafiee et al., ISCA 2016): one 8-bit ADC per 128x128 crossbar',
  'adc.energyScaling':
    "'linear': PUMAsim adc_pow_dyn_dict (0.225*b mW) and DNN_NeuroSim SarADC.cpp; 'survey': Murmann, ADC Performance Survey (E = Emin + k*4^ENOB)",
  'adc.latencyScaling': `${PUMA}: adc_lat_dict = 12.5*b ns per 128-column readout (SAR, one bit per cycle)`,
  'adc.areaScaling': `${PUMA}: adc_area_dict = 0.0012 mm^2 for every resolution`,
  'adc.bits': 'ISAAC Table I: 8-bit SAR ADC (anchor point of both scalings)',
  'adc.powerWatts': 'ISAAC Table I: 2 mW per 8-bit ADC at 1.28 GS/s (1.5625 pJ per conversion); MNSIM-2.0 ADC.py; PUMAsim',
  'adc.sampleRateHz': 'ISAAC Table I: 1.28 GS/s',
  'adc.areaMm2': 'ISAAC Table I: 0.0012 mm^2',
  'adc.surveyFloorJoules': 'modelling choice: 0 keeps the pure 4x-per-bit slope of the survey envelope',
  'dac.powerWatts1Bit': `${PUMA}: dac_pow_dyn 3.50625 uW + leak 0.390625 uW (ISAAC); MNSIM-2.0 DAC.py table 1/2/3/4/6 bits = 3.9 uW * 2^(b-1)`,
  'dac.areaMm2': `${PUMA}: dac_area_dict = 1.67e-7 mm^2 (ISAAC)`,
  'sampleHold.powerWatts': `${PUMA}: snh_pow = 9.7e-6 mW (ISAAC)`,
  'sampleHold.areaMm2': `${PUMA}: snh_area = 0.00004/8/128 mm^2 (ISAAC)`,
  'shiftAdd.powerWatts': `${PUMA}: sna_pow = 0.05 mW (ISAAC)`,
  'shiftAdd.areaMm2': `${PUMA}: sna_area = 0.00006 mm^2 (ISAAC)`,
  'shiftAdd.latencyCycles': `${PUMA}: sna_lat = 1 cycle`,
  'registers.16': `${PUMA16}: xbar_inMem/outMem for 16 (the same as 32: "very small memories")`,
  registers: `${PUMA}: xbar_inMem_pow_dyn_read_dict, xbar_inMem_area_dict, xbar_outMem_pow_dyn_dict, xbar_outMem_area_dict`,
  'buffer.accessEnergyJoules': `${PUMA}: edram_pow_dyn 17.2/2 mW over its 2-cycle access = 17.2 pJ per 256-bit access (64 KB eDRAM)`,
  'buffer.accessBits': `${PUMA}: eDRAM access width 256 bits`,
  'buffer.outputBits': 'modelling choice: outputs stored at the 8-bit input precision of the next layer',
};

/** The source of a figure: the longest key-path prefix with an entry. */
export function hardwareSource(path: string): string | undefined {
  const parts = path.replace(/^hardware\./, '').split('.');
  for (let n = parts.length; n > 0; n--) {
    const s = hardwareSources[parts.slice(0, n).join('.')];
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

/** Checks a complete configuration; throws NaxError naming the key path (under `root`). */
export function validateHardware(value: unknown, root = 'hardware'): HardwareConfig {
  const hw = expectObject(root, value);
  rejectUnknownKeys(root, hw, Object.keys(defaultHardware));
  expectNumber(`${root}.clockHz`, hw.clockHz, positive);
  checkSizeTable(`${root}.crossbar`, hw.crossbar, Object.keys(defaultHardware.crossbar['64']));
  checkSizeTable(`${root}.registers`, hw.registers, Object.keys(defaultHardware.registers['64']));

  const adc = expectObject(`${root}.adc`, hw.adc);
  rejectUnknownKeys(`${root}.adc`, adc, Object.keys(defaultHardware.adc));
  expectNumber(`${root}.adc.adcsPerArray`, adc.adcsPerArray, { integer: true, min: 1 });
  expectOneOf(`${root}.adc.energyScaling`, adc.energyScaling, ['linear', 'survey'] as const);
  expectOneOf(`${root}.adc.latencyScaling`, adc.latencyScaling, ['linear', 'constant'] as const);
  expectOneOf(`${root}.adc.areaScaling`, adc.areaScaling, ['constant', 'linear'] as const);
  expectNumber(`${root}.adc.bits`, adc.bits, { integer: true, min: 1, max: 32 });
  expectNumber(`${root}.adc.powerWatts`, adc.powerWatts, positive);
  expectNumber(`${root}.adc.sampleRateHz`, adc.sampleRateHz, positive);
  expectNumber(`${root}.adc.areaMm2`, adc.areaMm2, positive);
  const floor = expectNumber(`${root}.adc.surveyFloorJoules`, adc.surveyFloorJoules, { min: 0 });
  const anchorJoules = (adc.powerWatts as number) / (adc.sampleRateHz as number);
  if (floor >= anchorJoules)
    throw new NaxError(
      ErrorCodes.outOfRange,
      `expected ${root}.adc.surveyFloorJoules below the anchor's energy per conversion (${anchorJoules} J), got ${floor}`,
    );

  checkFigures(`${root}.dac`, hw.dac, Object.keys(defaultHardware.dac));
  checkFigures(`${root}.sampleHold`, hw.sampleHold, Object.keys(defaultHardware.sampleHold));
  const shiftAdd = expectObject(`${root}.shiftAdd`, hw.shiftAdd);
  rejectUnknownKeys(`${root}.shiftAdd`, shiftAdd, Object.keys(defaultHardware.shiftAdd));
  expectNumber(`${root}.shiftAdd.powerWatts`, shiftAdd.powerWatts, positive);
  expectNumber(`${root}.shiftAdd.areaMm2`, shiftAdd.areaMm2, positive);
  expectNumber(`${root}.shiftAdd.latencyCycles`, shiftAdd.latencyCycles, { min: 0 });

  const buffer = expectObject(`${root}.buffer`, hw.buffer);
  rejectUnknownKeys(`${root}.buffer`, buffer, Object.keys(defaultHardware.buffer));
  expectNumber(`${root}.buffer.accessEnergyJoules`, buffer.accessEnergyJoules, { min: 0 });
  expectNumber(`${root}.buffer.accessBits`, buffer.accessBits, { integer: true, min: 1 });
  expectNumber(`${root}.buffer.outputBits`, buffer.outputBits, { integer: true, min: 1, max: 32 });
  return hw as unknown as HardwareConfig;
}

/**
 * The defaults with `overrides` merged deeply (size tables merge per size, so
 * `{ crossbar: { '512': {...} } }` adds a size), validated. Returns a fresh object.
 */
export function resolveHardware(overrides?: HardwareOverrides | unknown): HardwareConfig {
  if (overrides !== undefined) expectObject('hardware', overrides);
  return validateHardware(deepMerge(defaultHardware, overrides));
}
