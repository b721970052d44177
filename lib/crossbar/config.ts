/**
 * Crossbar engine configuration: types, defaults (shared/DESIGN.md, NAX Table I
 * / PUMA; wire figures from shared/HARDWARE.md) and validation.
 */
import { ErrorCodes, NaxError, expectNumber, expectOneOf, invalid, rejectUnknownKeys } from '../errors';
import { DEFAULT_READOUT, READOUTS, Readout, losslessAdcBits, naxAdcBits } from './geometry';
import type { NativeCrossbarConfig } from './native';
import { DeviceConfig, DeviceConfigInput, PLAIN_DEVICE, resolveDeviceConfig, toNativeDevice } from './devices';

/** Parasitic resistances of one array (DESIGN.md "The crossbar circuit"), ohms. */
export interface ParasiticsConfig {
  /** Word-line wire between adjacent cells, ohms (default 2.82, MNSIM's per-cell figure). */
  rWordLine: number;
  /** Bit-line wire between adjacent cells, ohms (default 2.82). */
  rBitLine: number;
  /** Driver output resistance in series with each word line, ohms (default 0: ideal driver). */
  rSource: number;
  /** Sense-amplifier input resistance at each bit line's end, ohms (default 0: ideal virtual ground). */
  rSink: number;
}

/** Device-to-device programming variation, drawn once per cell when the layer is programmed. */
export interface VariationConfig {
  /** lognormal: sigma of ln(G) (G * exp(sigma*z)); gaussian: relative sigma (G * (1 + sigma*z)), clipped positive. */
  sigma: number;
  distribution: 'lognormal' | 'gaussian';
}

export type AdcRange = 'full-scale' | 'calibrated';
/**
 * What one calibrated ADC range covers: 'layer' (default) one range for every ADC of the layer;
 * 'slice' one per weight slice and polarity (all tiles; CrossSim calibrates bit-sliced cores per
 * slice); 'adc' one per ADC (one ADC per array; per G+/G- pair when differential);
 * 'column-group' one per group of `adcGroupColumns` adjacent columns of each array (the columns a
 * multiplexed ADC converts, each group with its own reference: ISAAC shares one ADC by 128
 * columns, PUMA by 8 per array in its ADC-sharing variants; a range per group follows each
 * group's own current distribution). All but 'layer' convert in the engine's general (unfused) path.
 */
export type AdcRangeScope = 'layer' | 'slice' | 'adc' | 'column-group';

/**
 * ADC non-idealities, drawn once per ADC when the layer is programmed (seeded; one ADC per array,
 * one per G+/G- pair under 'differential'), in units of the ADC's own code step. CrossSim models
 * an ADC's comparator offset and capacitor mismatch (Spear et al., "The Impact of
 * Analog-to-Digital Converter Architecture and Variability on Analog Neural Network Accuracy",
 * IEEE JXCDC 2023); here as their effects at the converter's transfer curve.
 */
export interface AdcNonIdealConfig {
  /** Input-referred offset sigma, codes (comparator offset). Default 0. */
  offsetSigma: number;
  /** Relative gain error sigma (reference / capacitor mismatch). Default 0. */
  gainSigma: number;
  /** Sigma of each code threshold's deviation, codes: a seeded INL/DNL table (sorted: monotonic). Default 0. */
  inlSigma: number;
}
/**
 * Read-noise models (CrossbarConfig.readNoise's unit): 'output' sigma in LSB at every ADC input;
 * 'output-amperes' the same in amperes (so it shrinks relative to the signal as vRead grows);
 * 'device' relative sigma of every cell's current (column variance sum_i (sigma M_ij V_i)^2).
 */
export type ReadNoiseModel = 'output' | 'output-amperes' | 'device';
export type { Readout } from './geometry';
export type WeightScale = 'per-layer' | 'per-channel';

/** Fully resolved crossbar configuration (what `resolveCrossbarConfig` returns). */
export interface CrossbarConfig {
  /** Word lines (inputs) per array. Default 64; 1..4096. */
  rows: number;
  /** Bit lines (outputs) per array. Default 64; 1..4096. */
  cols: number;
  /** Bits stored per device. Default 2. */
  bitsPerCell: number;
  /** Weight precision, sign + magnitude. Default 8. */
  weightBits: number;
  /** Unsigned input magnitude precision. Default 8. */
  inputBits: number;
  /** Input bits applied per DAC cycle; cycles = ceil(inputBits / dacBits). Default 1. */
  dacBits: number;
  /**
   * ADC resolution per conversion, bits (resolved; the input form also takes a named rule).
   * Default ('lossless'): enough levels for the largest ideal column code the cells, DAC and
   * readout can make, losslessAdcBits(rows, dacBits, bitsPerCell, { readout, gOn, gOff })
   * (geometry.ts: ISAAC's rule on the signal, the gOff current included for 'digital-offset', a
   * sign bit more for the bipolar readouts, the default 'reference-column' among them: 9 bits at
   * 64 rows with 2-bit cells and a 1-bit DAC). 'nax' keeps NAX's ceil(log2(3 * rows)), which equals
   * the lossless bits for 2-bit cells, a 1-bit DAC and 'digital-offset' (one bit short of the
   * bipolar readouts' sign, lossy for wider cells or DACs, oversized for 1-bit cells).
   */
  adcBits: number;
  /**
   * ADC input range. 'full-scale': the largest ideal column input, rows * (2^dacBits - 1) *
   * ((2^bitsPerCell - 1) + gOff/unitG) LSB for 'digital-offset' (unipolar), +-rows * (2^dacBits -
   * 1) * (2^bitsPerCell - 1) for the bipolar readouts (one LSB = one DAC digit step times one
   * conductance level step = unitCurrent amperes). 'calibrated': the largest ADC input magnitude
   * over a calibration set (CrossbarLayer.calibrateAdc; lib/runtime/calibrate.ts), or else the
   * layer's first run. The ADC step is range / top code (2^adcBits - 1 unipolar, 2^(adcBits-1) - 1
   * bipolar), never below one LSB. Codes clip only where this range ends.
   */
  adcRange: AdcRange;
  /** What one calibrated range covers (AdcRangeScope). Default 'layer'. Ignored at full scale. */
  adcRangeScope: AdcRangeScope;
  /**
   * Adjacent columns of an array per range group under adcRangeScope 'column-group' (default 8;
   * the last group of an array takes the remainder). Present only with that scope.
   */
  adcGroupColumns?: number;
  /**
   * How the gOff baseline is removed (geometry.ts Readout). Default 'reference-column': an extra
   * gOff column per array in the same circuit, subtracted in analog before a bipolar ADC (ISAAC /
   * CrossSim 'offset' style); G+ and G- stay separate arrays subtracted digitally after the ADC
   * (DESIGN.md). It was the most accurate scheme on the quick reference network (README
   * "crossbar-size comparison"), while 'digital-offset' lost 15-30 points: its fractional gOff
   * offset per active row moves the code thresholds off the ideal levels, and the bit-sliced
   * shift-add amplifies every code a small variation flips.
   */
  readout: Readout;
  /** Per-ADC offset, gain and INL/DNL errors, or false (default: ideal converters). */
  adcNonIdeal: AdcNonIdealConfig | false;
  /** ON conductance, siemens. Default 1e-5 (Ron = 100 kOhm). */
  gOn: number;
  /** OFF conductance, siemens. Default 1/600e3 (Roff = 600 kOhm). */
  gOff: number;
  /** Word-line voltage of a full-scale DAC digit, volts. Default 0.25. */
  vRead: number;
  /** Wire and driver/sense resistances, or false (default) for none. */
  parasitics: ParasiticsConfig | false;
  /** Programming variation, or false (default). */
  variation: VariationConfig | false;
  /** Probability that a cell is stuck at gOn. Default 0. */
  stuckAtOn: number;
  /** Probability that a cell is stuck at gOff. Default 0. */
  stuckAtOff: number;
  /**
   * Read noise sigma, drawn afresh on every read (keyed by seed and the layer's run counter), in
   * the unit readNoiseModel names: LSB at the ADC input ('output', default), amperes at the ADC
   * input ('output-amperes'), or the relative sigma of each cell's current ('device'). Default 0.
   */
  readNoise: number;
  /** What readNoise means. Default 'output'. */
  readNoiseModel: ReadNoiseModel;
  /** Weight quantization scale per layer (default) or per output channel (column). */
  weightScale: WeightScale;
  /**
   * Input value mapped to full scale (largest |x|), in input units. Calibrated by the caller; when
   * undefined, the first run's max |x| is latched and reused by later runs.
   */
  inputScale: number | undefined;
  /** Seed of every random draw (variation, faults, read noise). Derive one per layer. Default 0. */
  seed: number;
  /** Native threads; 0 = all cores. Results are identical for any value. */
  threads: number;
  /** Plain float matmul: no quantization and no non-idealities. Default false. */
  ideal: boolean;
  /**
   * Device physics (lib/crossbar/devices.ts): a published device model ('rram-neurram',
   * 'pcm-aihwkit' or a custom one) with state-dependent programming error, drift over `time`,
   * 1/f noise and global drift compensation, and an optional I-V nonlinearity. Default: the
   * plain cells (name 'plain'). With a device model, gOn/gOff are its range and `variation` is off.
   */
  device: DeviceConfig;
  /**
   * Where runs execute: 'cpu' (default; omitted from resolved configs) or 'cuda', the CUDA
   * library (README "CUDA"), which returns the CPU path's results bit for bit. Default from the
   * environment variable NAX_ACCELERATOR, else 'cpu'. Asking for 'cuda' where it cannot run
   * (no library, no GPU, or an ADC setting only the CPU converts) is a NaxError
   * (ERR_NAX_CONFIG) naming config.accelerator and the reason. Ideal layers run on the CPU.
   */
  accelerator?: Accelerator;
}

/** Where crossbar runs and training convolutions execute. */
export type Accelerator = 'cpu' | 'cuda';

/**
 * The default accelerator: NAX_ACCELERATOR ('cpu' or 'cuda') when set, else 'cpu'. Throws a
 * NaxError naming the variable on any other value.
 */
export function defaultAccelerator(env: NodeJS.ProcessEnv = process.env): Accelerator {
  const v = env.NAX_ACCELERATOR;
  if (v === undefined || v === '') return 'cpu';
  return expectOneOf('NAX_ACCELERATOR', v, ['cpu', 'cuda'] as const);
}

/** The named ADC-resolution rules (CrossbarConfig.adcBits). */
export type AdcBitsRule = 'lossless' | 'nax';

/**
 * What callers pass: any subset; parasitics may be `true` for the defaults, adcBits may name a
 * rule ('lossless', the default: enough bits for the array's largest column code; 'nax').
 */
export type CrossbarConfigInput = Partial<Omit<CrossbarConfig, 'parasitics' | 'variation' | 'adcBits' | 'adcNonIdeal' | 'device'>> & {
  adcNonIdeal?: Partial<AdcNonIdealConfig> | false;
  adcBits?: number | AdcBitsRule;
  parasitics?: Partial<ParasiticsConfig> | boolean;
  variation?: Partial<VariationConfig> | false;
  /** A preset name ('rram-neurram', 'pcm-aihwkit'), a device object, or false (the plain cells). */
  device?: DeviceConfigInput | false;
};

/**
 * The engine's defaults (DESIGN.md: NAX Table I / PUMA), the only place they are written. adcBits
 * is absent: its default is a rule of rows, cells and DAC (DEFAULT_ADC_BITS_RULE), applied in
 * resolveCrossbarConfig.
 */
/**
 * Most native threads any `threads` option accepts (0 = all cores): the crossbar config, the
 * circuit solver, the layer plan, evolve() and every CLI --threads. One bound, so a typo such as
 * 1000000 fails at once instead of reaching a thread pool.
 */
export const MAX_THREADS = 1024;

/** Columns per range group of adcRangeScope 'column-group' unless adcGroupColumns says otherwise. */
export const DEFAULT_ADC_GROUP_COLUMNS = 8;

export const CROSSBAR_DEFAULTS: Readonly<Omit<CrossbarConfig, 'adcBits' | 'inputScale'>> = Object.freeze({
  rows: 64,
  cols: 64,
  bitsPerCell: 2,
  weightBits: 8,
  inputBits: 8,
  dacBits: 1,
  adcRange: 'full-scale' as const,
  adcRangeScope: 'layer' as const,
  readout: DEFAULT_READOUT,
  adcNonIdeal: false as const,
  gOn: 1 / 100e3,
  gOff: 1 / 600e3,
  vRead: 0.25,
  parasitics: false as const,
  variation: false as const,
  stuckAtOn: 0,
  stuckAtOff: 0,
  readNoise: 0,
  readNoiseModel: 'output' as const,
  weightScale: 'per-layer' as const,
  seed: 0,
  threads: 0,
  ideal: false,
  device: PLAIN_DEVICE,
});

export const DEFAULT_PARASITICS: Readonly<ParasiticsConfig> = Object.freeze({
  rWordLine: 2.82,
  rBitLine: 2.82,
  rSource: 0,
  rSink: 0,
});

const KEYS = [
  'rows', 'cols', 'bitsPerCell', 'weightBits', 'inputBits', 'dacBits', 'adcBits', 'adcRange', 'adcRangeScope', 'adcGroupColumns', 'readout', 'adcNonIdeal', 'gOn',
  'gOff', 'vRead', 'parasitics', 'variation', 'stuckAtOn', 'stuckAtOff', 'readNoise', 'readNoiseModel',
  'weightScale', 'inputScale', 'seed', 'threads', 'ideal', 'device', 'accelerator',
] as const;

function configError(message: string): NaxError {
  return new NaxError(ErrorCodes.config, message);
}

/**
 * The default ADC resolution: the largest ideal column code of the chosen cells, DAC and readout
 * (the gOff current included under 'digital-offset', a sign bit for bipolar readouts), so the
 * converter alone loses nothing.
 */
export const DEFAULT_ADC_BITS_RULE: AdcBitsRule = 'lossless';

function invalidAdcRule(value: string): never {
  throw invalid('config.adcBits', "an integer in [1, 24], 'lossless' or 'nax'", value);
}

/** Validates a partial config and fills in the defaults. Throws NaxError naming the bad field. */
export function resolveCrossbarConfig(partial: CrossbarConfigInput = {}): CrossbarConfig {
  if (partial === null || typeof partial !== 'object' || Array.isArray(partial)) throw invalid('config', 'an object', partial);
  rejectUnknownKeys('config', partial, KEYS);
  const p = partial;
  const int = (name: string, v: unknown, def: number, min: number, max: number): number =>
    v === undefined ? def : expectNumber(`config.${name}`, v, { integer: true, min, max });
  const num = (name: string, v: unknown, def: number, rule: { min?: number; max?: number; above?: number }): number =>
    v === undefined ? def : expectNumber(`config.${name}`, v, rule);

  const d = CROSSBAR_DEFAULTS;
  const rows = int('rows', p.rows, d.rows, 1, 4096);
  const cols = int('cols', p.cols, d.cols, 1, 4096);
  const weightBits = int('weightBits', p.weightBits, d.weightBits, 2, 16);
  const bitsPerCell = int('bitsPerCell', p.bitsPerCell, d.bitsPerCell, 1, 8);
  const inputBits = int('inputBits', p.inputBits, d.inputBits, 1, 16);
  const dacBits = int('dacBits', p.dacBits, d.dacBits, 1, 8);
  if (dacBits > inputBits) throw configError(`expected dacBits <= inputBits (${inputBits}) for config.dacBits, got ${dacBits}`);
  if (bitsPerCell > weightBits - 1)
    throw configError(`expected bitsPerCell <= weightBits - 1 (${weightBits - 1}) for config.bitsPerCell, got ${bitsPerCell}`);
  const maxColumnSum = rows * (2 ** dacBits - 1) * (2 ** bitsPerCell - 1);
  if (maxColumnSum >= 2 ** 24)
    throw configError(
      `expected rows * (2^dacBits - 1) * (2^bitsPerCell - 1) < 2^24 (exact float32 column sums) for config.rows, got ${maxColumnSum}`,
    );
  const adcRange = p.adcRange === undefined ? d.adcRange : expectOneOf('config.adcRange', p.adcRange, ['full-scale', 'calibrated'] as const);
  const readout = p.readout === undefined ? d.readout : expectOneOf('config.readout', p.readout, READOUTS);
  const adcRangeScope =
    p.adcRangeScope === undefined ? d.adcRangeScope : expectOneOf('config.adcRangeScope', p.adcRangeScope, ['layer', 'slice', 'adc', 'column-group'] as const);
  if (p.adcGroupColumns !== undefined && adcRangeScope !== 'column-group')
    throw configError(`expected adcRangeScope 'column-group' with config.adcGroupColumns (it sizes that scope's groups), got adcRangeScope '${adcRangeScope}'`);
  const adcGroupColumns = adcRangeScope === 'column-group' ? int('adcGroupColumns', p.adcGroupColumns, DEFAULT_ADC_GROUP_COLUMNS, 1, 4096) : undefined;
  // A device model owns the conductance range: its levels span [gMin, gMax].
  const device = resolveDeviceConfig(p.device);
  if (device.programming !== false)
    for (const key of ['gOn', 'gOff'] as const)
      if (p[key] !== undefined && p[key] !== (key === 'gOn' ? device.gMax : device.gMin))
        throw configError(
          `expected no config.${key} with device '${device.name}' (its range is gMin = ${device.gMin} S .. gMax = ${device.gMax} S; set device.gMin/gMax instead) for config.${key}, got ${p[key]}`,
        );
  const gOn = device.gMax ?? num('gOn', p.gOn, d.gOn, { above: 0 });
  const gOff = device.gMin ?? num('gOff', p.gOff, d.gOff, { above: 0 });
  if (!(gOn > gOff)) throw configError(`expected gOn > gOff (${gOff} S) for config.gOn, got ${gOn}`);
  // The one place the ADC rule is applied: every consumer reads the resolved number.
  const adcRule = p.adcBits ?? DEFAULT_ADC_BITS_RULE;
  const adcBits =
    adcRule === 'lossless'
      ? losslessAdcBits(rows, dacBits, bitsPerCell, { readout, gOn, gOff })
      : adcRule === 'nax'
        ? naxAdcBits(rows)
        : typeof adcRule === 'string'
          ? invalidAdcRule(adcRule)
          : expectNumber('config.adcBits', adcRule, { integer: true, min: 1, max: 24 });
  if (readout !== 'digital-offset' && adcBits < 2)
    throw configError(`expected adcBits >= 2 (a bipolar ADC spends one bit on the sign) for config.adcBits, got ${adcBits}`);
  if (adcBits > 24) throw configError(`expected adcBits <= 24 for config.adcBits (rule '${String(adcRule)}'), got ${adcBits}`);
  const vRead = num('vRead', p.vRead, d.vRead, { above: 0 });

  let parasitics: ParasiticsConfig | false = d.parasitics;
  if (p.parasitics === true) parasitics = { ...DEFAULT_PARASITICS };
  else if (p.parasitics !== undefined && p.parasitics !== false) {
    if (typeof p.parasitics !== 'object' || p.parasitics === null || Array.isArray(p.parasitics))
      throw invalid('config.parasitics', 'an object, true or false', p.parasitics);
    rejectUnknownKeys('config.parasitics', p.parasitics, ['rWordLine', 'rBitLine', 'rSource', 'rSink']);
    const r = p.parasitics;
    parasitics = {
      rWordLine: num('parasitics.rWordLine', r.rWordLine, DEFAULT_PARASITICS.rWordLine, { min: 0 }),
      rBitLine: num('parasitics.rBitLine', r.rBitLine, DEFAULT_PARASITICS.rBitLine, { min: 0 }),
      rSource: num('parasitics.rSource', r.rSource, DEFAULT_PARASITICS.rSource, { min: 0 }),
      rSink: num('parasitics.rSink', r.rSink, DEFAULT_PARASITICS.rSink, { min: 0 }),
    };
  }

  let variation: VariationConfig | false = d.variation;
  if (p.variation !== undefined && p.variation !== false) {
    if (typeof p.variation !== 'object' || p.variation === null || Array.isArray(p.variation))
      throw invalid('config.variation', 'an object or false', p.variation);
    rejectUnknownKeys('config.variation', p.variation, ['sigma', 'distribution']);
    variation = {
      sigma: expectNumber('config.variation.sigma', p.variation.sigma, { min: 0, max: 10 }),
      distribution:
        p.variation.distribution === undefined
          ? 'lognormal'
          : expectOneOf('config.variation.distribution', p.variation.distribution, ['lognormal', 'gaussian'] as const),
    };
  }
  if (variation && device.programming !== false)
    throw configError(
      `expected variation: false with device '${device.name}' (its programming error replaces the generic variation) for config.variation, got ${JSON.stringify(variation)}`,
    );
  let adcNonIdeal: AdcNonIdealConfig | false = d.adcNonIdeal;
  if (p.adcNonIdeal !== undefined && p.adcNonIdeal !== false) {
    if (typeof p.adcNonIdeal !== 'object' || p.adcNonIdeal === null || Array.isArray(p.adcNonIdeal))
      throw invalid('config.adcNonIdeal', 'an object or false', p.adcNonIdeal);
    rejectUnknownKeys('config.adcNonIdeal', p.adcNonIdeal, ['offsetSigma', 'gainSigma', 'inlSigma']);
    const a = p.adcNonIdeal;
    adcNonIdeal = {
      offsetSigma: num('adcNonIdeal.offsetSigma', a.offsetSigma, 0, { min: 0 }),
      gainSigma: num('adcNonIdeal.gainSigma', a.gainSigma, 0, { min: 0, max: 1 }),
      inlSigma: num('adcNonIdeal.inlSigma', a.inlSigma, 0, { min: 0 }),
    };
    if (adcNonIdeal.inlSigma > 0 && adcBits > 16)
      throw configError(`expected adcBits <= 16 with an INL table (config.adcNonIdeal.inlSigma > 0) for config.adcBits, got ${adcBits}`);
  }
  const stuckAtOn = num('stuckAtOn', p.stuckAtOn, d.stuckAtOn, { min: 0, max: 1 });
  const stuckAtOff = num('stuckAtOff', p.stuckAtOff, d.stuckAtOff, { min: 0, max: 1 });
  if (stuckAtOn + stuckAtOff > 1)
    throw configError(`expected stuckAtOn + stuckAtOff <= 1 for config.stuckAtOff, got ${stuckAtOn + stuckAtOff}`);
  const readNoise = num('readNoise', p.readNoise, d.readNoise, { min: 0 });
  const readNoiseModel =
    p.readNoiseModel === undefined
      ? d.readNoiseModel
      : expectOneOf('config.readNoiseModel', p.readNoiseModel, ['output', 'output-amperes', 'device'] as const);
  const weightScale = p.weightScale === undefined ? d.weightScale : expectOneOf('config.weightScale', p.weightScale, ['per-layer', 'per-channel'] as const);
  const inputScale = p.inputScale === undefined ? undefined : expectNumber('config.inputScale', p.inputScale, { above: 0 });
  const seed = int('seed', p.seed, d.seed, 0, Number.MAX_SAFE_INTEGER);
  const threads = int('threads', p.threads, d.threads, 0, MAX_THREADS);
  const ideal = p.ideal === undefined ? d.ideal : expectOneOf('config.ideal', p.ideal, [true, false] as const);
  const accelerator = p.accelerator === undefined ? defaultAccelerator() : expectOneOf('config.accelerator', p.accelerator, ['cpu', 'cuda'] as const);
  return {
    rows, cols, bitsPerCell, weightBits, inputBits, dacBits, adcBits, adcRange, adcRangeScope,
    // Present only with the 'column-group' scope, so other configs (and their digests) stay as they were.
    ...(adcGroupColumns !== undefined ? { adcGroupColumns } : {}),
    readout, adcNonIdeal, gOn, gOff, vRead, parasitics,
    variation, stuckAtOn, stuckAtOff, readNoise, readNoiseModel, weightScale, inputScale, seed, threads, ideal, device,
    // Present only when 'cuda': it never changes a result, so CPU configs (and their digests) stay as they were.
    ...(accelerator === 'cuda' ? { accelerator } : {}),
  };
}

/** The flat form the native binding reads: every field resolved, no defaults left to the C++ side. */
export function toNativeConfig(c: CrossbarConfig): NativeCrossbarConfig {
  const r = c.parasitics || { rWordLine: 0, rBitLine: 0, rSource: 0, rSink: 0 };
  return {
    rows: c.rows,
    cols: c.cols,
    bitsPerCell: c.bitsPerCell,
    weightBits: c.weightBits,
    inputBits: c.inputBits,
    dacBits: c.dacBits,
    adcBits: c.adcBits,
    adcCalibrated: c.adcRange === 'calibrated' ? 1 : 0,
    adcRangeScope: c.adcRangeScope === 'layer' ? 0 : c.adcRangeScope === 'slice' ? 1 : c.adcRangeScope === 'adc' ? 2 : 3,
    adcGroupColumns: c.adcGroupColumns ?? DEFAULT_ADC_GROUP_COLUMNS,
    readout: c.readout === 'digital-offset' ? 0 : c.readout === 'reference-column' ? 1 : 2,
    gOn: c.gOn,
    gOff: c.gOff,
    vRead: c.vRead,
    parasitics: c.parasitics ? 1 : 0,
    rWordLine: r.rWordLine,
    rBitLine: r.rBitLine,
    rSource: r.rSource,
    rSink: r.rSink,
    variation: !c.variation ? 0 : c.variation.distribution === 'lognormal' ? 1 : 2,
    variationSigma: c.variation ? c.variation.sigma : 0,
    stuckAtOn: c.stuckAtOn,
    stuckAtOff: c.stuckAtOff,
    adcOffsetSigma: c.adcNonIdeal ? c.adcNonIdeal.offsetSigma : 0,
    adcGainSigma: c.adcNonIdeal ? c.adcNonIdeal.gainSigma : 0,
    adcInlSigma: c.adcNonIdeal ? c.adcNonIdeal.inlSigma : 0,
    readNoise: c.readNoise,
    readNoiseModel: c.readNoiseModel === 'output' ? 0 : c.readNoiseModel === 'output-amperes' ? 1 : 2,
    perChannel: c.weightScale === 'per-channel' ? 1 : 0,
    inputScale: c.inputScale ?? 0,
    seed: c.seed,
    threads: c.threads,
    ideal: c.ideal ? 1 : 0,
    device: toNativeDevice(c.device),
    accelerator: c.accelerator === 'cuda' ? 1 : 0,
  };
}
