/**
 * Crossbar read energy from the devices: at each read every driven word line i holds
 * V_i = vRead * d_i / (2^dacBits - 1) (d_i the DAC digit) across its cells, so one read
 * dissipates sum_i V_i^2 * sum_j G_ij * t_read in the devices (DESIGN.md: currents are
 * vRead x conductance). G_ij are the nominal programmed conductances (gOff + level * (gOn -
 * gOff) / (2^bitsPerCell - 1); unused cells of a physical array rest at gOff and still draw
 * current on driven rows). Expected over the inputs: E[V_i^2] = vRead^2 * meanSquareDigit.
 *
 * Wires (parasitics on): the first-order (small IR drop) dissipation sum R I^2 of every
 * word-line and bit-line segment, driver and sense resistance, with the nominal currents, and
 * the devices' share reduced by twice that (a series R on a device G draws V^2 G (1 - R G) in
 * total, V^2 G^2 R of it in the wire), so devices + wires equal the drawn power to first order.
 * test/hardware/devices.test.ts checks it against the circuit solver (lib/circuit).
 */
import { ErrorCodes, NaxError, expectNumber } from '../errors';
import type { CrossbarConfig } from '../crossbar/config';
import { magnitudeSlices } from '../crossbar/geometry';

/** DAC-digit statistics of a layer's inputs, as fractions of a full-scale digit. */
export interface InputActivity {
  /** E[d / (2^dacBits - 1)] over every digit of every input, cycle and pass. */
  meanDigit: number;
  /** E[(d / (2^dacBits - 1))^2]. */
  meanSquareDigit: number;
}

/** Activity when each input bit is 1 with probability p, independently (the stated default p = 1/2). */
export function defaultInputActivity(p: number, dacBits: number): InputActivity {
  const top = 2 ** dacBits - 1;
  let mean = 0, variance = 0;
  for (let b = 0; b < dacBits; b++) {
    mean += p * 2 ** b;
    variance += p * (1 - p) * 4 ** b;
  }
  return { meanDigit: mean / top, meanSquareDigit: (variance + mean * mean) / (top * top) };
}

/**
 * Running DAC-digit statistics (inputActivity over many batches). Each value only matters through
 * its quantized magnitude u in [0, 2^inputBits - 1], so add() keeps a histogram of u (one round
 * and one increment per value; the per-digit loop over every value cost about a third of a
 * candidate's evaluation time) and activity() expands the digits once per histogram bin.
 */
export class DigitStatistics {
  private readonly histogram: Float64Array;
  private values = 0;

  constructor(private readonly options: { inputScale: number; inputBits: number; dacBits: number; signed: boolean }) {
    expectNumber('inputScale', options.inputScale, { above: 0 });
    expectNumber('inputBits', options.inputBits, { integer: true, min: 1, max: 24 });
    expectNumber('dacBits', options.dacBits, { integer: true, min: 1, max: 24 });
    this.histogram = new Float64Array(2 ** options.inputBits);
  }

  /** Adds input values as the engine forms digits (crossbar_run.cc buildDigits). */
  add(values: ArrayLike<number>): this {
    const { inputScale, inputBits, signed } = this.options;
    const xMax = 2 ** inputBits - 1;
    const lsb = inputScale / xMax;
    const h = this.histogram;
    let negatives = 0;
    for (let i = 0; i < values.length; i++) {
      const x = values[i];
      // Unsigned layers digitise max(x, 0); signed ones |x| on the pass of its sign and 0 on the other.
      const mag = x >= 0 ? x : signed ? -x : 0;
      const u = Math.min(xMax, Math.floor(mag / lsb + 0.5));
      h[u]++;
      if (signed) negatives++;
    }
    // The idle pass of every signed value applies digit 0.
    h[0] += negatives;
    this.values += values.length;
    return this;
  }

  private get passes(): number {
    return this.options.signed ? 2 : 1;
  }

  private get cycles(): number {
    return Math.ceil(this.options.inputBits / this.options.dacBits);
  }

  get samples(): number {
    return this.values * this.passes * this.cycles;
  }

  activity(): InputActivity {
    const count = this.samples;
    if (count === 0) throw new NaxError(ErrorCodes.invalidArgument, 'expected at least one input value for inputActivity, got none');
    const { dacBits } = this.options;
    const mask = 2 ** dacBits - 1;
    const cycles = this.cycles;
    let sum = 0, sumSq = 0;
    for (let u = 0; u < this.histogram.length; u++) {
      const n = this.histogram[u];
      if (n === 0) continue;
      for (let c = 0; c < cycles; c++) {
        const d = (Math.floor(u / 2 ** (c * dacBits)) & mask) / mask;
        sum += n * d;
        sumSq += n * d * d;
      }
    }
    return { meanDigit: sum / count, meanSquareDigit: sumSq / count };
  }
}

/**
 * Digit statistics of calibration inputs exactly as the engine forms them (crossbar_run.cc
 * buildDigits): magnitude round-half-up to inputBits at LSB inputScale / (2^inputBits - 1),
 * split into dacBits digits; signed layers have a positive and a negative pass.
 * `values`: the layer's input vectors (any number of them, each entry one row input).
 */
export function inputActivity(
  values: ArrayLike<number>,
  options: { inputScale: number; inputBits: number; dacBits: number; signed: boolean },
): InputActivity {
  return new DigitStatistics(options).add(values).activity();
}

/**
 * Mean programmed level of the cells holding weights, as a fraction of the top level, for
 * weights `k x n` (row-major, weights[i*n + j], as CrossbarLayer.program takes them) quantized
 * as the engine does (crossbar.cc: sign + magnitude at weightBits, scale per layer or per
 * column, round half up, slices of bitsPerCell on the weight's own polarity; the other
 * polarity's cell holds 0). Multiple groups: pass each group's matrix and average.
 */
export function weightLevelFraction(weights: ArrayLike<number>, k: number, n: number, config: Pick<CrossbarConfig, 'weightBits' | 'bitsPerCell' | 'weightScale'>): number {
  if (weights.length !== k * n) throw new NaxError(ErrorCodes.sizeMismatch, `expected k*n = ${k * n} weights, got ${weights.length}`);
  const qMax = 2 ** (config.weightBits - 1) - 1;
  const slices = magnitudeSlices(config.weightBits, config.bitsPerCell);
  const top = 2 ** config.bitsPerCell - 1;
  const scale = new Float64Array(n);
  for (let i = 0; i < k; i++) for (let j = 0; j < n; j++) scale[j] = Math.max(scale[j], Math.abs(weights[i * n + j]));
  if (config.weightScale !== 'per-channel') scale.fill(Math.max(...scale));
  for (let j = 0; j < n; j++) scale[j] = scale[j] > 0 ? scale[j] / qMax : 1;
  let levels = 0;
  for (let i = 0; i < k; i++)
    for (let j = 0; j < n; j++) {
      let m = Math.min(qMax, Math.floor(Math.abs(weights[i * n + j]) / scale[j] + 0.5));
      for (let s = 0; s < slices; s++) {
        levels += m & top;
        m = Math.floor(m / (top + 1));
      }
    }
  return levels / (top * k * n * slices * 2);
}

/** Device energy of one read step of a layer: sum of V^2 G t over its driven cells, joules. */
export function deviceReadJoules(options: {
  config: Pick<CrossbarConfig, 'gOn' | 'gOff' | 'vRead'>;
  /** Cells on driven rows (LayerCounts.drivenCells) and of them those holding weights. */
  drivenCells: number;
  usedCells: number;
  levelFraction: number;
  activity: InputActivity;
  readSeconds: number;
}): number {
  const { gOn, gOff, vRead } = options.config;
  const conductance = gOff * options.drivenCells + (gOn - gOff) * options.levelFraction * options.usedCells;
  return vRead * vRead * options.activity.meanSquareDigit * conductance * options.readSeconds;
}

export interface WireArray {
  rows: number;
  cols: number;
  /** Conductance of each cell, siemens, row-major; rows not driven get voltage 0. */
  conductances: ArrayLike<number>;
  /** Rows driven (the first `drivenRows`; the rest of a partial tile carry no input). */
  drivenRows: number;
  rWordLine: number;
  rBitLine: number;
  rSource: number;
  rSink: number;
}

/**
 * First-order wire power of one array, watts, expected over independent row digits with the
 * given statistics (vRead the full-scale row voltage): for every segment E[I^2] R, where a
 * bit-line segment below row i carries sum_{r<=i} V_r G_rj and a word-line segment right of
 * column j carries V_i sum_{c>j} G_ic (DESIGN.md's circuit: drivers at column 0, sense at the
 * last row).
 */
export function wirePowerWatts(a: WireArray, vRead: number, activity: InputActivity): number {
  const { rows, cols, conductances: G } = a;
  const m1 = activity.meanDigit, m2 = activity.meanSquareDigit, v2 = vRead * vRead;
  let power = 0;
  // Word lines: row i's current past column j, squared, times m2 vRead^2.
  for (let i = 0; i < a.drivenRows; i++) {
    let tail = 0;
    for (let j = cols - 1; j >= 0; j--) {
      const g = G[i * cols + j];
      tail += g;
      // Segment between column j-1 and j carries the cells j..cols-1; the source carries all.
      power += v2 * m2 * tail * tail * (j === 0 ? a.rSource : a.rWordLine);
    }
  }
  // Bit lines: cumulative current of rows 0..i; mean and variance of independent rows.
  for (let j = 0; j < cols; j++) {
    let mean = 0, variance = 0;
    for (let i = 0; i < rows; i++) {
      if (i < a.drivenRows) {
        const g = G[i * cols + j];
        mean += m1 * g;
        variance += (m2 - m1 * m1) * g * g;
      }
      const r = i === rows - 1 ? a.rSink : a.rBitLine;
      power += v2 * (mean * mean + variance) * r;
    }
  }
  return power;
}
