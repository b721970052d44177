/**
 * Plain TypeScript reference of the crossbar's quantized integer arithmetic
 * (shared/DESIGN.md "Mapping a layer onto crossbars"), written independently
 * of the native engine's effective-matrix/GEMM formulation: it walks arrays,
 * cycles and columns one conversion at a time with JS numbers (exact integers).
 * Readouts (shared/DESIGN.md): 'digital-offset' adds the ideal gOff current (gOff/unitG per
 * digit) at the ADC input and subtracts its code after a unipolar ADC; 'reference-column'
 * (ideal devices: the reference current equals the gOff part) and 'differential' (G+ minus G-
 * before the ADC) convert the signal with a bipolar sign-magnitude ADC.
 */
import { DEFAULT_READOUT } from '../../lib/crossbar/geometry';

export interface ReferenceConfig {
  rows: number;
  cols: number;
  bitsPerCell: number;
  weightBits: number;
  inputBits: number;
  dacBits: number;
  perChannel: boolean;
  /** Input value mapped to full scale. */
  inputScale: number;
  /** Undefined = lossless. Otherwise ADC bits with a full-scale range. */
  adcBits?: number;
  /** Default: the engine's default readout (DEFAULT_READOUT, 'reference-column'). */
  readout?: 'digital-offset' | 'reference-column' | 'differential';
  /** Conductances, siemens (defaults 1e-5 and 1/600e3, the engine's). */
  gOn?: number;
  gOff?: number;
}

export interface ReferenceResult {
  outputs: Float32Array;
  /** Upper bound of |outputs - lossless outputs| from half an ADC step per conversion (0 when lossless). */
  adcErrorBound: Float64Array;
}

const roundHalfUp = (x: number): number => Math.floor(x + 0.5);

/** The ADC's rounding: floor(x + 1/2) on float32 values, as the engine computes it. */
const adcRound = (x: number): number => Math.floor(Math.fround(x + 0.5));

export function referenceCrossbar(
  inputs: Float32Array,
  batch: number,
  weights: Float32Array,
  k: number,
  n: number,
  c: ReferenceConfig,
): ReferenceResult {
  // Weights: sign + magnitude, scale per layer or per column.
  const qMax = 2 ** (c.weightBits - 1) - 1;
  const colMax = new Float64Array(n);
  for (let i = 0; i < k; i++) for (let j = 0; j < n; j++) colMax[j] = Math.max(colMax[j], Math.abs(weights[i * n + j]));
  let layerMax = 0;
  for (let j = 0; j < n; j++) layerMax = Math.max(layerMax, colMax[j]);
  const wScale = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    const m = c.perChannel ? colMax[j] : layerMax;
    wScale[j] = m > 0 ? m / qMax : 1;
  }
  const mag = new Int32Array(k * n);
  const sign = new Int8Array(k * n);
  for (let i = 0; i < k; i++)
    for (let j = 0; j < n; j++) {
      const w = weights[i * n + j];
      mag[i * n + j] = Math.min(qMax, roundHalfUp(Math.abs(w) / wScale[j]));
      sign[i * n + j] = w < 0 ? -1 : 1;
    }
  // Inputs: unsigned magnitudes, positive and negative pass.
  const xMax = 2 ** c.inputBits - 1;
  const inputLsb = c.inputScale / xMax;
  const u = [new Int32Array(batch * k), new Int32Array(batch * k)];
  for (let e = 0; e < batch * k; e++) {
    const x = inputs[e];
    const q = Math.min(xMax, roundHalfUp(Math.abs(x) / inputLsb));
    if (x > 0) u[0][e] = q;
    else if (x < 0) u[1][e] = q;
  }
  const slices = Math.max(1, Math.ceil((c.weightBits - 1) / c.bitsPerCell));
  const cycles = Math.ceil(c.inputBits / c.dacBits);
  const sMask = 2 ** c.bitsPerCell - 1;
  const dMask = 2 ** c.dacBits - 1;
  const readout = c.readout ?? DEFAULT_READOUT;
  const gOn = c.gOn ?? 1e-5;
  const gOff = c.gOff ?? 1 / 600e3;
  const offsetPerDigit = readout === 'digital-offset' ? gOff / ((gOn - gOff) / sMask) : 0;
  const bipolar = readout !== 'digital-offset';
  const rangeLsb = c.rows * dMask * (sMask + offsetPerDigit);
  const codeMax = c.adcBits === undefined ? Infinity : bipolar ? 2 ** (c.adcBits - 1) - 1 : 2 ** c.adcBits - 1;
  const codeMin = bipolar ? -codeMax : 0;
  const step = c.adcBits === undefined ? 1 : Math.max(1, rangeLsb / codeMax);
  const invStep = Math.fround(1 / step);
  const lossy = c.adcBits !== undefined;
  const polarities = readout === 'differential' ? 1 : 2;

  const outputs = new Float32Array(batch * n);
  const adcErrorBound = new Float64Array(batch * n);
  for (let b = 0; b < batch; b++) {
    for (let j = 0; j < n; j++) {
      let total = 0; // exact integer (times step) while < 2^53
      let bound = 0;
      for (let t = 0; t * c.rows < k; t++) {
        const k0 = t * c.rows;
        const k1 = Math.min(k, k0 + c.rows);
        for (let pass = 0; pass < 2; pass++) {
          for (let pol = 0; pol < polarities; pol++) {
            for (let l = 0; l < slices; l++) {
              for (let cy = 0; cy < cycles; cy++) {
                // One conversion: the signal in LSB units (digit x level; differential: G+ - G-).
                let column = 0;
                let digitSum = 0;
                for (let i = k0; i < k1; i++) {
                  const digit = (u[pass][b * k + i] >> (cy * c.dacBits)) & dMask;
                  const m = (mag[i * n + j] >> (l * c.bitsPerCell)) & sMask;
                  const level =
                    readout === 'differential' ? sign[i * n + j] * m : sign[i * n + j] === (pol === 0 ? 1 : -1) ? m : 0;
                  column += digit * level;
                  digitSum += digit;
                }
                // The ADC input and its code, in float32 as the engine's kernel computes them.
                const offset = Math.fround(offsetPerDigit * digitSum);
                let x = Math.fround(Math.fround(column) + offset);
                let offsetCode = adcRound(offset);
                if (lossy && step !== 1) {
                  x = Math.fround(x * invStep);
                  offsetCode = adcRound(Math.fround(offset * invStep));
                }
                const code = Math.min(codeMax, Math.max(codeMin, x));
                const converted = (adcRound(code) - offsetCode) * step;
                const weight = 2 ** (cy * c.dacBits + l * c.bitsPerCell);
                const s = (pass === 0 ? 1 : -1) * (pol === 0 ? 1 : -1);
                total += s * weight * converted;
                // Half a step per rounding: the digital offset's code is a second one.
                if (lossy && step > 1) bound += (offsetPerDigit > 0 ? step : step / 2) * weight;
              }
            }
          }
        }
      }
      outputs[b * n + j] = Math.fround(total * inputLsb * wScale[j]);
      adcErrorBound[b * n + j] = bound * inputLsb * wScale[j];
    }
  }
  return { outputs, adcErrorBound };
}

/** Float64 matmul of batch x k by k x n. */
export function matmul(inputs: Float32Array, batch: number, weights: Float32Array, k: number, n: number): Float64Array {
  const out = new Float64Array(batch * n);
  for (let b = 0; b < batch; b++)
    for (let i = 0; i < k; i++) {
      const x = inputs[b * k + i];
      if (x === 0) continue;
      for (let j = 0; j < n; j++) out[b * n + j] += x * weights[i * n + j];
    }
  return out;
}

/** Deterministic pseudo-random floats in [lo, hi). */
export function randomFloats(count: number, seed: number, lo = -1, hi = 1): Float32Array {
  let s = seed >>> 0 || 1;
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    out[i] = lo + ((s >>> 0) / 2 ** 32) * (hi - lo);
  }
  return out;
}
