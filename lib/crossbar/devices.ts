/**
 * Device models from published data: presets with their sources, custom models, and the
 * resolution of a config's `device` field (lib/crossbar/config.ts calls resolveDeviceConfig).
 *
 * A device model replaces the engine's plain cells (levels gOff + s * unitG with an optional
 * generic `variation`) by a physical one, evaluated per cell in native/core/device_model.cc:
 *   1. programming error, state dependent: G_prog = G_T + sigma(g, t) z with g = G_T / gMax and
 *      sigma(g, t) = max(0, sum_k c_k g^k) siemens (one polynomial per time after programming,
 *      interpolated linearly in ln t);
 *   2. drift: G(t) = G_prog ((time + t0) / t0)^-nu, nu = |N(mu(g), sd(g))| drawn per device, mu and
 *      sd clamped linear functions of ln g;
 *   3. accumulated 1/f read noise: + |G(t)| Q_s sqrt(ln((time + t0 + tRead) / (2 tRead))) z',
 *      Q_s = min(q / max(g_prog^exponent, 1e-3), max);
 *   4. every result clipped to the device's physical range [gMin, gMax], which is also the range
 *      the slice levels are programmed into (gOff = gMin, gOn = gMax);
 *   5. optional global drift compensation: one digital gain per layer, the ratio of the summed
 *      column currents of an all-ones read right after programming and at `time` (IR drop
 *      included when parasitics are on);
 *   6. optional I-V nonlinearity I = G sinh(alpha V) / alpha (small-signal conductance G).
 */
import { ErrorCodes, NaxError, expectNumber, expectOneOf, expectTypedArray, invalid, rejectUnknownKeys } from '../errors';
import { callNative, loadAddon } from '../native';
import type { NativeDeviceModel } from './native';

/** The named presets. */
export type DevicePresetName = 'rram-neurram' | 'pcm-aihwkit';
export const DEVICE_PRESET_NAMES: readonly DevicePresetName[] = ['rram-neurram', 'pcm-aihwkit'];

/** State- (and time-) dependent programming error. */
export interface ProgrammingErrorConfig {
  /** Seconds after programming that each polynomial describes, ascending (1 to 16 entries). */
  times: number[];
  /**
   * One polynomial per time: sigma(g) = max(0, sum_k sigma[i][k] g^k) in siemens, g = G_target /
   * gMax (ascending powers, 1 to 8 coefficients).
   */
  sigma: number[][];
}

/** min(max(slope * ln(g) + intercept, min), max). */
export interface ClampedLogLinearConfig {
  slope: number;
  intercept: number;
  min: number;
  max: number;
}

/** Conductance drift G(t) = G_prog ((time + t0) / t0)^-nu with a per-device exponent. */
export interface DriftConfig {
  /** Seconds after programming of the first read, where G = G_prog. */
  t0: number;
  /** Mean of nu as a function of ln(G_target / gMax). */
  nuMean: ClampedLogLinearConfig;
  /** Standard deviation of nu as a function of ln(G_target / gMax). */
  nuStd: ClampedLogLinearConfig;
}

/** 1/f read noise accumulated since programming (needs drift for its t0). */
export interface ReadNoise1fConfig {
  /** Q_s = min(q / max(g^exponent, 1e-3), max), g = G_prog / gMax. */
  q: number;
  exponent: number;
  max: number;
  /** Read pulse width, seconds. */
  tRead: number;
}

/** I-V nonlinearity I = G sinh(alpha V) / alpha: G is the small-signal conductance at V -> 0. */
export interface NonlinearityConfig {
  /** 1/volts, in (0, 100]. */
  alpha: number;
}

/** A fully resolved device model (CrossbarConfig.device). */
export interface DeviceConfig {
  /** The preset it came from, 'custom' (a model given field by field) or 'plain' (the engine's cells). */
  name: DevicePresetName | 'custom' | 'plain';
  /** Physical range, siemens: levels are programmed into it and every draw is clipped to it (undefined for 'plain'). */
  gMin: number | undefined;
  gMax: number | undefined;
  /** Programming error (false: the plain device, whose `variation` applies). */
  programming: ProgrammingErrorConfig | false;
  drift: DriftConfig | false;
  readNoise1f: ReadNoise1fConfig | false;
  /** Seconds after programming at which the layer is evaluated. Default 0 (right after programming). */
  time: number;
  /** Global drift compensation. Default: on for a device with drift (as aihwkit's PCM inference), off otherwise. */
  driftCompensation: boolean;
  nonlinearity: NonlinearityConfig | false;
}

/** What callers pass: a preset name, or an object (a preset to start from plus overrides). */
export type DeviceConfigInput =
  | DevicePresetName
  | (Partial<Omit<DeviceConfig, 'name' | 'programming' | 'drift' | 'readNoise1f' | 'nonlinearity'>> & {
      preset?: DevicePresetName;
      programming?: ProgrammingErrorConfig | false;
      drift?: DriftConfig | false;
      readNoise1f?: ReadNoise1fConfig | false;
      nonlinearity?: NonlinearityConfig | false;
    });

const uS = 1e-6;
const microsiemens = (coefficients: number[]): number[] => coefficients.map((c) => c * uS);

/**
 * RRAM after Wan et al., "A compute-in-memory chip based on resistive random-access memory",
 * Nature 608, 504-512 (2022) (NeuRRAM).
 * - Range 1-40 uS: the authors' chip-inference code maps weights with g_min = 1e-6 S and g_max =
 *   4e-5 S (github.com/weierwan/Neurram_48core, cifar10_resnet/cifar10_resnet_chip_inference.ipynb,
 *   which also sets the write-verify acceptance range g_tol = 1e-6 S). The paper's iterative
 *   write-verify scheme is its Extended Data Fig. 3a-b.
 * - Programming error after write-verify and its growth by conductance relaxation: the std of the
 *   conductance deviation against the target conductance, 1 s, 1 day and 2 days after
 *   programming (the paper's Extended Data Fig. 3d shows these curves). The 4th-order polynomials
 *   (uS, g = G/40 uS) are IBM aihwkit's fit to the published figures (ReRamWan2022NoiseModel,
 *   src/aihwkit/inference/noise/reram.py); the figure number is from the paper's caption, aihwkit
 *   names none. The error peaks at mid-range conductances (about 2.3 uS at g = 0.3, 1.1 uS at g = 1).
 * - No drift term (aihwkit: RRAM "does not show drift in the usual sense"; the relaxation table is
 *   its time dependence), no separate 1/f read-noise data (aihwkit suggests about 1% short-term
 *   read noise; use the engine's read-noise settings for it).
 */
export const RRAM_NEURRAM: Readonly<DeviceConfig> = Object.freeze({
  name: 'rram-neurram',
  gMin: 1 * uS,
  gMax: 40 * uS,
  programming: {
    times: [1, 86400, 172800],
    sigma: [
      microsiemens([0.348, 16.03, -43.853, 45.393, -16.815]),
      microsiemens([0.701, 22.086, -50.773, 47.095, -16.458]),
      microsiemens([0.782, 20.274, -43.507, 37.062, -11.934]),
    ],
  },
  drift: false,
  readNoise1f: false,
  time: 0,
  driftCompensation: false,
  nonlinearity: false,
} as DeviceConfig);

/**
 * PCM after the statistical model calibrated on 1 million PCM devices by Joshi et al.,
 * "Accurate deep neural network inference using computational phase-change memory", Nature
 * Communications 11, 2473 (2020) and Nandakumar et al., ICECS 2019, as IBM aihwkit states and
 * implements it (docs/source/pcm_inference.rst, "Inference and PCM Statistical Model";
 * PCMLikeNoiseModel in src/aihwkit/inference/noise/pcm.py). g = G_T / g_max, g_max = 25 uS:
 * - programming noise sigma_prog = max(-1.1731 g^2 + 1.9650 g + 0.2635, 0) uS (aihwkit's code
 *   carries 0.26348 for the constant);
 * - drift exponent nu ~ N(mu, sd), mu = min(max(-0.0155 ln g + 0.0244, 0.049), 0.1), sd =
 *   min(max(-0.0125 ln g - 0.0059, 0.008), 0.045), t0 = 20 s (aihwkit's t_0; `time` counts from
 *   the end of programming, G(time) = G_prog ((time + t0) / t0)^-nu);
 * - 1/f read noise sigma_nG(t) = G(t) Q_s sqrt(ln((t + t_read) / (2 t_read))), Q_s = min(0.0088 /
 *   g^0.65, 0.2), t_read = 250 ns;
 * - global drift compensation on (aihwkit's GlobalDriftCompensation, after the summed-current calibration of
 *   Le Gallo et al., Adv. Electron. Mater. 4, 1700627, 2018, which aihwkit's docs cite for it).
 * The paper's own figure numbers for these fits are not checked here (aihwkit's docs give the
 * equations and plots without them).
 * Assumption: gMin = 0.1 uS. aihwkit maps the unused device of a pair to 0 S and clips only at
 * 0; the circuit solve needs G > 0, and 0.1 uS (10 MOhm) stands for a RESET PCM cell. Deviation:
 * draws are also clipped at g_max (aihwkit lets them exceed it).
 */
export const PCM_AIHWKIT: Readonly<DeviceConfig> = Object.freeze({
  name: 'pcm-aihwkit',
  gMin: 0.1 * uS,
  gMax: 25 * uS,
  programming: { times: [20], sigma: [microsiemens([0.26348, 1.965, -1.1731])] },
  drift: {
    t0: 20,
    nuMean: { slope: -0.0155, intercept: 0.0244, min: 0.049, max: 0.1 },
    nuStd: { slope: -0.0125, intercept: -0.0059, min: 0.008, max: 0.045 },
  },
  readNoise1f: { q: 0.0088, exponent: 0.65, max: 0.2, tRead: 250e-9 },
  time: 0,
  driftCompensation: true,
  nonlinearity: false,
} as DeviceConfig);

/** The engine's plain cells: no device model (only `device.nonlinearity` or `time` may be set). */
export const PLAIN_DEVICE: Readonly<DeviceConfig> = Object.freeze({
  name: 'plain',
  gMin: undefined,
  gMax: undefined,
  programming: false,
  drift: false,
  readNoise1f: false,
  time: 0,
  driftCompensation: false,
  nonlinearity: false,
} as DeviceConfig);

export const DEVICE_PRESETS: Readonly<Record<DevicePresetName, Readonly<DeviceConfig>>> = Object.freeze({
  'rram-neurram': RRAM_NEURRAM,
  'pcm-aihwkit': PCM_AIHWKIT,
});

const DEVICE_KEYS = ['name', 'preset', 'gMin', 'gMax', 'programming', 'drift', 'readNoise1f', 'time', 'driftCompensation', 'nonlinearity'] as const;

function configError(message: string): NaxError {
  return new NaxError(ErrorCodes.config, message);
}

function object(name: string, v: unknown): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw invalid(name, 'an object or false', v);
  return v as Record<string, unknown>;
}

function numberList(name: string, v: unknown, min: number, max: number): number[] {
  if (!Array.isArray(v) || v.length < min || v.length > max) throw invalid(name, `an array of ${min} to ${max} numbers`, v);
  return v.map((x, i) => expectNumber(`${name}[${i}]`, x));
}

function resolveProgramming(v: unknown): ProgrammingErrorConfig {
  const o = object('config.device.programming', v);
  rejectUnknownKeys('config.device.programming', o, ['times', 'sigma']);
  const times = numberList('config.device.programming.times', o.times, 1, 16);
  times.forEach((t, i) => {
    if (!(t > 0) || (i > 0 && !(t > times[i - 1])))
      throw invalid(`config.device.programming.times[${i}]`, 'ascending seconds > 0', t, ErrorCodes.outOfRange);
  });
  if (!Array.isArray(o.sigma) || o.sigma.length !== times.length)
    throw invalid('config.device.programming.sigma', `one polynomial (array of coefficients, siemens) per time (${times.length})`, o.sigma);
  const sigma = o.sigma.map((p, i) => numberList(`config.device.programming.sigma[${i}]`, p, 1, 8));
  return { times, sigma };
}

function resolveClamped(name: string, v: unknown): ClampedLogLinearConfig {
  const o = object(name, v);
  rejectUnknownKeys(name, o, ['slope', 'intercept', 'min', 'max']);
  const min = expectNumber(`${name}.min`, o.min, { min: 0, max: 10 });
  const max = expectNumber(`${name}.max`, o.max, { min, max: 10 });
  return { slope: expectNumber(`${name}.slope`, o.slope), intercept: expectNumber(`${name}.intercept`, o.intercept), min, max };
}

function resolveDrift(v: unknown): DriftConfig {
  const o = object('config.device.drift', v);
  rejectUnknownKeys('config.device.drift', o, ['t0', 'nuMean', 'nuStd']);
  return {
    t0: expectNumber('config.device.drift.t0', o.t0, { above: 0 }),
    nuMean: resolveClamped('config.device.drift.nuMean', o.nuMean),
    nuStd: resolveClamped('config.device.drift.nuStd', o.nuStd),
  };
}

function resolveReadNoise1f(v: unknown): ReadNoise1fConfig {
  const o = object('config.device.readNoise1f', v);
  rejectUnknownKeys('config.device.readNoise1f', o, ['q', 'exponent', 'max', 'tRead']);
  return {
    q: expectNumber('config.device.readNoise1f.q', o.q, { min: 0 }),
    exponent: expectNumber('config.device.readNoise1f.exponent', o.exponent, { min: 0 }),
    max: expectNumber('config.device.readNoise1f.max', o.max, { min: 0 }),
    tRead: expectNumber('config.device.readNoise1f.tRead', o.tRead, { above: 0 }),
  };
}

/** Validates a `device` input (preset name or object) and fills in the preset's fields. */
export function resolveDeviceConfig(input: DeviceConfigInput | false | undefined): DeviceConfig {
  if (input === undefined || input === false) return { ...PLAIN_DEVICE };
  if (typeof input === 'string') {
    const name = expectOneOf('config.device', input, DEVICE_PRESET_NAMES);
    return structuredClone(DEVICE_PRESETS[name]) as DeviceConfig;
  }
  const o = object('config.device', input);
  rejectUnknownKeys('config.device', o, DEVICE_KEYS);
  const preset = o.preset === undefined ? undefined : expectOneOf('config.device.preset', o.preset, DEVICE_PRESET_NAMES);
  const base: DeviceConfig = structuredClone(preset ? DEVICE_PRESETS[preset] : PLAIN_DEVICE) as DeviceConfig;
  const physics = ['gMin', 'gMax', 'programming', 'drift', 'readNoise1f'].some((k) => o[k] !== undefined);
  const programming = o.programming === undefined ? base.programming : o.programming === false ? false : resolveProgramming(o.programming);
  const drift = o.drift === undefined ? base.drift : o.drift === false ? false : resolveDrift(o.drift);
  const readNoise1f = o.readNoise1f === undefined ? base.readNoise1f : o.readNoise1f === false ? false : resolveReadNoise1f(o.readNoise1f);
  const gMin = o.gMin === undefined ? base.gMin : expectNumber('config.device.gMin', o.gMin, { above: 0 });
  const gMax = o.gMax === undefined ? base.gMax : expectNumber('config.device.gMax', o.gMax, { above: 0 });
  if (programming === false && (drift || readNoise1f || gMin !== undefined || gMax !== undefined))
    throw configError(
      'expected device.programming (a device model) for config.device.programming, got none: drift, 1/f noise and a range (gMin/gMax) need one (or start from a preset)',
    );
  if (programming !== false) {
    if (gMin === undefined || gMax === undefined)
      throw configError('expected gMin and gMax (siemens) for config.device.gMin, got none: a device model needs its physical range');
    if (!(gMax > gMin)) throw configError(`expected gMax > gMin (${gMin} S) for config.device.gMax, got ${gMax}`);
  }
  if (readNoise1f && !drift)
    throw configError('expected drift (its t0 starts the 1/f noise) for config.device.readNoise1f, got drift: false');
  const time = o.time === undefined ? base.time : expectNumber('config.device.time', o.time, { min: 0, max: 1e10 });
  if (time > 0 && programming === false)
    throw configError(`expected a device model for config.device.time, got the plain device (its cells do not change over time; pick a preset)`);
  const driftCompensation =
    o.driftCompensation === undefined
      ? preset && !physics
        ? base.driftCompensation
        : drift !== false
      : expectOneOf('config.device.driftCompensation', o.driftCompensation, [true, false] as const);
  if (driftCompensation && programming === false)
    throw configError('expected a device model for config.device.driftCompensation, got the plain device (nothing drifts)');
  let nonlinearity: NonlinearityConfig | false = base.nonlinearity;
  if (o.nonlinearity !== undefined) {
    if (o.nonlinearity === false) nonlinearity = false;
    else {
      const n = object('config.device.nonlinearity', o.nonlinearity);
      rejectUnknownKeys('config.device.nonlinearity', n, ['alpha']);
      nonlinearity = { alpha: expectNumber('config.device.nonlinearity.alpha', n.alpha, { above: 0, max: 100 }) };
    }
  }
  let name: DeviceConfig['name'] = programming === false ? 'plain' : preset && !physics ? preset : 'custom';
  // A resolved config resolves to itself (plans hand their resolved configs on): its name is kept
  // when it is true of the physics.
  if (o.name !== undefined) {
    const given = expectOneOf('config.device.name', o.name, [...DEVICE_PRESET_NAMES, 'custom', 'plain'] as const);
    const physicsOf = (d: Pick<DeviceConfig, 'gMin' | 'gMax' | 'programming' | 'drift' | 'readNoise1f'>) =>
      JSON.stringify([d.gMin, d.gMax, d.programming, d.drift, d.readNoise1f]);
    const mine = physicsOf({ gMin, gMax, programming, drift, readNoise1f });
    const ok =
      given === 'plain' ? programming === false : given === 'custom' ? programming !== false : mine === physicsOf(DEVICE_PRESETS[given]);
    if (!ok)
      throw configError(
        `expected device.name to describe the model (${name}) for config.device.name, got ${JSON.stringify(given)} (drop name, or use preset)`,
      );
    name = given;
  }
  return { name, gMin, gMax, programming, drift, readNoise1f, time, driftCompensation, nonlinearity };
}

export function toNativeDevice(d: DeviceConfig): NativeDeviceModel {
  const p = d.programming;
  const degree = p ? Math.max(...p.sigma.map((s) => s.length)) - 1 : 0;
  const coefficients = new Float64Array(p ? p.times.length * (degree + 1) : 0);
  if (p) p.sigma.forEach((s, i) => coefficients.set(s, i * (degree + 1)));
  const dr = d.drift || { t0: 1, nuMean: { slope: 0, intercept: 0, min: 0, max: 0 }, nuStd: { slope: 0, intercept: 0, min: 0, max: 0 } };
  const rn = d.readNoise1f || { q: 0, exponent: 0, max: 0, tRead: 1 };
  return {
    enabled: p ? 1 : 0,
    programTimes: new Float64Array(p ? p.times : []),
    programCoefficients: coefficients,
    programDegree: degree,
    drift: d.drift ? 1 : 0,
    t0: dr.t0,
    nuMeanSlope: dr.nuMean.slope,
    nuMeanIntercept: dr.nuMean.intercept,
    nuMeanMin: dr.nuMean.min,
    nuMeanMax: dr.nuMean.max,
    nuStdSlope: dr.nuStd.slope,
    nuStdIntercept: dr.nuStd.intercept,
    nuStdMin: dr.nuStd.min,
    nuStdMax: dr.nuStd.max,
    readNoise1f: d.readNoise1f ? 1 : 0,
    q: rn.q,
    qExponent: rn.exponent,
    qMax: rn.max,
    tRead: rn.tRead,
    time: d.time,
    driftCompensation: d.driftCompensation ? 1 : 0,
    alpha: d.nonlinearity ? d.nonlinearity.alpha : 0,
  };
}

export interface DeviceConductancesOptions {
  /** A device model (a preset name or an object with one). */
  device: DeviceConfigInput;
  /** Target conductances, siemens, each in [gMin, gMax]. */
  targets: Float64Array;
  /** Seed of the draws. Default 0. */
  seed?: number;
  /** Array index of the draws' keys. Default 0. */
  array?: number;
}

/**
 * The device model on its own: cell i of `targets` drawn exactly as cell i of array `array` of a
 * layer programmed with the same seed. Returns the conductances right after programming (the
 * drift-compensation reference) and at `device.time`, siemens.
 */
export async function deviceConductances(options: DeviceConductancesOptions): Promise<{ programmed: Float64Array; atTime: Float64Array }> {
  if (options === null || typeof options !== 'object') throw invalid('options', 'an object', options);
  rejectUnknownKeys('options', options, ['device', 'targets', 'seed', 'array']);
  const device = resolveDeviceConfig(options.device);
  if (device.programming === false || device.gMin === undefined || device.gMax === undefined)
    throw configError(`expected a device model (a preset or programming) for device, got the plain device`);
  const targets = expectTypedArray('targets', options.targets, Float64Array);
  const { gMin, gMax } = device;
  targets.forEach((t, i) => {
    if (!(t >= gMin && t <= gMax)) throw invalid(`targets[${i}]`, `a conductance in [${gMin}, ${gMax}] (siemens)`, t, ErrorCodes.outOfRange);
  });
  const seed = expectNumber('seed', options.seed ?? 0, { integer: true, min: 0, max: Number.MAX_SAFE_INTEGER });
  const array = expectNumber('array', options.array ?? 0, { integer: true, min: 0, max: Number.MAX_SAFE_INTEGER });
  return callNative(() => loadAddon().deviceConductances({ device: toNativeDevice(device), gMin, gMax, targets, seed, array }));
}
