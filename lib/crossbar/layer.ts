/**
 * A K x N weight matrix programmed onto memristive crossbars, run many times.
 * Programming (quantize, slice, variation, faults, parasitic transfer
 * matrices) and runs happen on native threads; typed arrays are read in place.
 */
import { ErrorCodes, NaxError, expectNumber, expectTypedArray, invalid } from '../errors';
import { checkMemory } from '../memory';
import { crossbarProgramBytes, crossbarRunBytes } from './memory';
import { callNative, callNativeSync, loadAddon } from '../native';
import { CrossbarConfig, CrossbarConfigInput, resolveCrossbarConfig, toNativeConfig } from './config';
import { MappingGeometry, mappingGeometry } from './geometry';
import type { NativeCrossbarLayerHandle } from './native';

export interface ProgramOptions {
  /** K*N, row-major: weights[kIdx * n + nIdx]. */
  weights: Float32Array;
  /** Inputs (rows of the weight matrix), e.g. Cin*kh*kw. */
  k: number;
  /** Outputs (columns), e.g. Cout. */
  n: number;
  config?: CrossbarConfigInput;
}

/** Run-time state of a programmed layer. */
export interface CrossbarLayerState {
  /** Resolved ADC bits per conversion. */
  adcBits: number;
  /** ADC range in LSB units (0 while a calibrated range awaits its first run). */
  adcRangeLsb: number;
  /** Input full-scale value in use (0 until the first run when auto-calibrated). */
  inputScale: number;
  /** Arrays the native engine programmed (equals geometry.arrays). */
  arrays: number;
  /** Global drift compensation gain applied digitally to every output (1 when off). */
  driftGain: number;
  /** Physical bit lines per array (cols, + 1 reference column under 'reference-column'). */
  physicalCols: number;
  /** Whether the ADC is bipolar (sign-magnitude codes +-(2^(adcBits-1) - 1)). */
  bipolar: boolean;
  /** Amperes per LSB of ADC input: vRead / (2^dacBits - 1) * (gOn - gOff) / (2^bitsPerCell - 1). */
  unitCurrentAmps: number;
  /** ADC full scale in amperes: the input current of the top code (bipolar: +-). */
  adcFullScaleAmps: number;
  /** Digital offset per unit DAC digit under 'digital-offset' (gOff / unitG, LSB), else 0. */
  offsetLsbPerDigit: number;
}

/** Where a physical array sits in the layer (CrossbarLayer.arrayIndex). */
export interface ArrayPosition {
  rowTile: number;
  colTile: number;
  /** Weight-magnitude slice, LSB first. */
  slice: number;
  /** 0: G+ array, 1: G- array. */
  polarity: 0 | 1;
}

const MAX_DIM = 2 ** 24;

export class CrossbarLayer {
  /** Arrays, tiles, slices and cycles of this mapping (lib/crossbar/geometry.ts). */
  readonly geometry: MappingGeometry;

  private constructor(
    private handle: NativeCrossbarLayerHandle | undefined,
    readonly k: number,
    readonly n: number,
    readonly config: CrossbarConfig,
  ) {
    this.geometry = mappingGeometry({ k, n, ...config });
  }

  /** Programs the weights onto crossbars (off the main thread). */
  static async program(options: ProgramOptions): Promise<CrossbarLayer> {
    if (options === null || typeof options !== 'object') throw invalid('options', 'an object', options);
    const k = expectNumber('k', options.k, { integer: true, min: 1, max: MAX_DIM });
    const n = expectNumber('n', options.n, { integer: true, min: 1, max: MAX_DIM });
    // Finiteness is checked natively (no per-element JS work).
    const weights = expectTypedArray('weights', options.weights, Float32Array, k * n, { finite: false });
    const config = resolveCrossbarConfig(options.config ?? {});
    checkMemory(
      crossbarProgramBytes(k, n, config),
      `programming a ${k} x ${n} layer onto ${config.rows} x ${config.cols} arrays${config.parasitics ? ' with parasitics' : ''}`,
      'use smaller arrays (rows, cols) or split the layer',
    );
    const handle = await callNative(() => loadAddon().crossbarProgram({ weights, k, n, config: toNativeConfig(config) }));
    return new CrossbarLayer(handle, k, n, config);
  }

  /**
   * inputs: batch*k, row-major (one input vector per row). Returns batch*n.
   * Each |x| is quantized to inputBits against config.inputScale (latched from the first run when
   * unset; larger values clip); samples with negative entries get a second, negative input pass.
   * With adcRange 'calibrated', the first run also fixes the ADC range. Runs on native threads.
   */
  async run(inputs: Float32Array, batch: number): Promise<Float32Array> {
    const handle = this.live();
    const b = expectNumber('batch', batch, { integer: true, min: 0, max: 1e9 });
    const x = expectTypedArray('inputs', inputs, Float32Array, b * this.k, { finite: false });
    checkMemory(crossbarRunBytes(b, this.k, this.n, this.config), `a crossbar run of ${b} samples (k ${this.k}, n ${this.n})`, 'run a smaller batch');
    return callNative(() => handle.run(x, b));
  }

  /** Converter state after programming / calibration. */
  state(): CrossbarLayerState {
    const info = callNativeSync(() => this.live().info());
    return {
      adcBits: info.adcBits, adcRangeLsb: info.adcRangeLsb, inputScale: info.inputScale, arrays: info.arrays, driftGain: info.driftGain,
      physicalCols: info.physicalCols, bipolar: info.bipolar, unitCurrentAmps: info.unitCurrent,
      adcFullScaleAmps: info.adcRangeLsb * info.unitCurrent, offsetLsbPerDigit: info.offsetLsbPerDigit,
    };
  }

  /**
   * ADC calibration over a calibration set (adcRange 'calibrated'): call once per calibration
   * batch, then finalizeAdcCalibration(). The range becomes the largest ADC input magnitude over
   * all batches (unipolar readout: the whole column current; bipolar: |input|). Without it, the
   * first run's largest input fixes the range (a documented fallback).
   */
  async calibrateAdc(inputs: Float32Array, batch: number): Promise<void> {
    const handle = this.live();
    const b = expectNumber('batch', batch, { integer: true, min: 0, max: 1e9 });
    const x = expectTypedArray('inputs', inputs, Float32Array, b * this.k, { finite: false });
    await callNative(() => handle.calibrateAdc(x, b));
  }

  /** Fixes the calibrated ADC range from the batches seen by calibrateAdc. */
  finalizeAdcCalibration(): void {
    if (this.config.adcRange !== 'calibrated')
      throw new NaxError(ErrorCodes.config, "expected adcRange 'calibrated' for finalizeAdcCalibration, got 'full-scale'");
    const handle = this.live();
    callNativeSync(() => handle.finalizeAdcCalibration());
  }

  /**
   * Calibrated ADC ranges (LSB), one per ADC: ADC ((rowTile * colTiles + colTile) * segments +
   * segment), segments = 2 * slices (s = polarity * slices + slice), or slices when differential;
   * under adcRangeScope 'column-group' one per column group of each ADC's array, entry
   * adc * ceil(cols / adcGroupColumns) + group. Equal under 'layer'; empty until calibrated or
   * with a full-scale range.
   */
  adcRanges(): Float64Array {
    const handle = this.live();
    return callNativeSync(() => handle.adcRanges());
  }

  /** The engine's number of a physical array: ((rowTile * colTiles + colTile) * slices + slice) * 2 + polarity. */
  arrayIndex(p: ArrayPosition): number {
    const g = this.geometry;
    const rowTile = expectNumber('rowTile', p.rowTile, { integer: true, min: 0, max: g.rowTiles - 1 });
    const colTile = expectNumber('colTile', p.colTile, { integer: true, min: 0, max: g.colTiles - 1 });
    const slice = expectNumber('slice', p.slice, { integer: true, min: 0, max: g.slices - 1 });
    const polarity = expectNumber('polarity', p.polarity, { integer: true, min: 0, max: 1 });
    return ((rowTile * g.colTiles + colTile) * g.slices + slice) * 2 + polarity;
  }

  /**
   * Physical array `array` (arrayIndex) as programmed: its conductances (rows x physicalCols,
   * siemens, row-major; the reference column last) and transfer matrix M (I = V.M, amperes per
   * volt; equals the conductances without parasitics), recomputed in double from the same seeded
   * draws, so M is exactly the matrix the engine folded (in float) into effectiveMatrix().
   */
  async arrayMatrices(array: number): Promise<{ conductances: Float64Array; transfer: Float64Array; rows: number; cols: number }> {
    const handle = this.live();
    const { conductances, transfer } = await callNative(() => handle.arrayMatrices(array));
    return { conductances, transfer, rows: this.config.rows, cols: this.geometry.physicalCols };
  }

  /**
   * Analog column currents (amperes, physicalCols) of array `array` for one DAC cycle: row i
   * driven at vRead * digits[i] / (2^dacBits - 1) volts (digits: one value in [0, 2^dacBits - 1]
   * per physical row), I = V.M in double.
   */
  async columnCurrents(array: number, digits: Float64Array): Promise<Float64Array> {
    const handle = this.live();
    const d = expectTypedArray('digits', digits, Float64Array, this.config.rows);
    return callNative(() => handle.columnCurrents(array, d));
  }

  /**
   * Diagnostic: ADC input contributed per unit DAC digit, in LSB units (x unitCurrentAmps for
   * amperes), for every input row (K rows, rowTiles*rows with padding) and ADC input column
   * (segments*n columns, segments = 2*slices, or slices under 'differential'; for column tile ct,
   * segment s and column j: segments*ct*cols + s*tileCols + j, s = p*slices + l for polarity p
   * (0 = G+) and slice l (LSB first), s = l when differential). What it holds per readout:
   * (M - gOff)/unitG ('digital-offset': the ADC also sees offsetLsbPerDigit per digit),
   * (M_j - M_ref)/unitG ('reference-column'), (M+ - M-)/unitG ('differential'). Ideal devices
   * give the stored slice level (difference) exactly; parasitics lower it.
   */
  effectiveMatrix(): { matrix: Float32Array; rows: number; width: number } {
    const handle = this.live();
    const info = callNativeSync(() => handle.info());
    const matrix = callNativeSync(() => handle.effectiveMatrix());
    return { matrix, rows: matrix.length / Math.max(1, info.effectiveWidth), width: info.effectiveWidth };
  }

  /** Frees the programmed arrays now (runs in flight finish first). */
  dispose(): void {
    const handle = this.handle;
    this.handle = undefined;
    if (handle) callNativeSync(() => handle.dispose());
  }

  private live(): NativeCrossbarLayerHandle {
    if (!this.handle) throw new NaxError(ErrorCodes.invalidArgument, 'expected a live layer for run, got a disposed layer');
    return this.handle;
  }
}

/** One-shot: program, run once, dispose. */
export async function crossbarMatMul(
  inputs: Float32Array,
  batch: number,
  weights: Float32Array,
  k: number,
  n: number,
  config?: CrossbarConfigInput,
): Promise<Float32Array> {
  const layer = await CrossbarLayer.program({ weights, k, n, config });
  try {
    return await layer.run(inputs, batch);
  } finally {
    layer.dispose();
  }
}
