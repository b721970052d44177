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
    };
  }

  /**
   * Diagnostic: ADC input contributed per unit DAC digit, in LSB units, for every input row (K rows,
   * rowTiles*rows with padding) and array column (2*slices*n columns; for column tile ct, polarity p
   * (0 = G+), slice l (LSB first) and column j: 2*slices*ct*cols + (p*slices + l)*tileCols + j).
   * Ideal devices give the stored slice level exactly; parasitics lower it.
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
