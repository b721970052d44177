/**
 * Typed surface of the crossbar engine entries of the native addon
 * (native/binding/crossbar_binding.cc). Users go through lib/crossbar/layer.ts.
 */
import type { MappingGeometry, MappingGeometryInput } from './geometry';

/** The device model as native/binding/device_binding.h reads it (lib/crossbar/devices.ts toNativeDevice): every field present. */
export interface NativeDeviceModel {
  enabled: 0 | 1;
  programTimes: Float64Array;
  /** programTimes.length * (programDegree + 1) coefficients, zero-padded, siemens. */
  programCoefficients: Float64Array;
  programDegree: number;
  drift: 0 | 1;
  t0: number;
  nuMeanSlope: number;
  nuMeanIntercept: number;
  nuMeanMin: number;
  nuMeanMax: number;
  nuStdSlope: number;
  nuStdIntercept: number;
  nuStdMin: number;
  nuStdMax: number;
  readNoise1f: 0 | 1;
  q: number;
  qExponent: number;
  qMax: number;
  tRead: number;
  time: number;
  driftCompensation: 0 | 1;
  alpha: number;
}

/** Flat, fully resolved config as the binding reads it (booleans as 0/1); every field is required. */
export interface NativeCrossbarConfig {
  rows: number;
  cols: number;
  bitsPerCell: number;
  weightBits: number;
  inputBits: number;
  dacBits: number;
  /** Resolved ADC bits per conversion, 1..24 ('lossless' is resolved to bits by resolveCrossbarConfig). */
  adcBits: number;
  adcCalibrated: 0 | 1;
  /** 0 digital-offset, 1 reference-column, 2 differential. */
  readout: 0 | 1 | 2;
  /** Calibrated ranges per 0 layer, 1 slice segment, 2 ADC. */
  adcRangeScope: 0 | 1 | 2 | 3;
  /** Columns per range group (adcRangeScope 3). */
  adcGroupColumns: number;
  gOn: number;
  gOff: number;
  vRead: number;
  parasitics: 0 | 1;
  rWordLine: number;
  rBitLine: number;
  rSource: number;
  rSink: number;
  /** 0 none, 1 lognormal, 2 gaussian. */
  variation: 0 | 1 | 2;
  variationSigma: number;
  stuckAtOn: number;
  stuckAtOff: number;
  /** ADC errors per ADC (0 = none): offset and INL sigma in codes, gain relative. */
  adcOffsetSigma: number;
  adcGainSigma: number;
  adcInlSigma: number;
  readNoise: number;
  /** 0 output (LSB), 1 output (amperes), 2 device (relative). */
  readNoiseModel: 0 | 1 | 2;
  perChannel: 0 | 1;
  /** 0 = from the first run. */
  inputScale: number;
  seed: number;
  threads: number;
  ideal: 0 | 1;
  /** The device model (lib/crossbar/devices.ts toNativeDevice). */
  device: NativeDeviceModel;
  /** 0 cpu, 1 cuda (optional: absent means cpu). */
  accelerator?: 0 | 1;
}

export interface NativeCrossbarInfo {
  k: number;
  n: number;
  rowTiles: number;
  colTiles: number;
  slices: number;
  cycles: number;
  arrays: number;
  adcBits: number;
  adcRangeLsb: number;
  inputScale: number;
  effectiveWidth: number;
  /** Global drift compensation gain applied to every output (1 when off). */
  driftGain: number;
  physicalCols: number;
  segments: number;
  bipolar: boolean;
  /** Amperes per LSB of ADC input. */
  unitCurrent: number;
  /** gOff / unitG under digital-offset, else 0. */
  offsetLsbPerDigit: number;
}

export interface NativeCrossbarLayerHandle {
  run(inputs: Float32Array, batch: number): Promise<Float32Array>;
  info(): NativeCrossbarInfo;
  effectiveMatrix(): Float32Array;
  adcRanges(): Float64Array;
  arrayMatrices(array: number): Promise<{ conductances: Float64Array; transfer: Float64Array }>;
  columnCurrents(array: number, digits: Float64Array): Promise<Float64Array>;
  calibrateAdc(inputs: Float32Array, batch: number): Promise<void>;
  finalizeAdcCalibration(): void;
  dispose(): void;
}

export interface CrossbarNative {
  crossbarProgram(opts: {
    weights: Float32Array;
    k: number;
    n: number;
    config: NativeCrossbarConfig;
  }): Promise<NativeCrossbarLayerHandle>;
  /** The native twin of mappingGeometry (lib/crossbar/geometry.ts), checked against it in the tests. */
  crossbarGeometry(opts: MappingGeometryInput): Omit<MappingGeometry, 'utilization'>;
  /** The device model alone: cell i of `targets` drawn as cell i of array `array` (native/binding/device_binding.cc). */
  deviceConductances(opts: {
    device: NativeDeviceModel;
    gMin: number;
    gMax: number;
    targets: Float64Array;
    seed: number;
    array: number;
  }): Promise<{ programmed: Float64Array; atTime: Float64Array }>;
}
