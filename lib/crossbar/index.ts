/** Crossbar engine: configuration, mapping geometry, programmed layers. */
export { CrossbarLayer, crossbarMatMul } from './layer';
export type { ProgramOptions, CrossbarLayerState, ArrayPosition } from './layer';
export { resolveCrossbarConfig, defaultAccelerator, toNativeConfig, DEFAULT_PARASITICS, CROSSBAR_DEFAULTS, DEFAULT_ADC_BITS_RULE, MAX_THREADS } from './config';
export { DEFAULT_NON_IDEAL, overNonIdealPreset } from './presets';
export type {
  CrossbarConfig,
  CrossbarConfigInput,
  ParasiticsConfig,
  VariationConfig,
  AdcRange,
  AdcRangeScope,
  AdcBitsRule,
  WeightScale,
  ReadNoiseModel,
  AdcNonIdealConfig,
  Accelerator,
} from './config';
export {
  mappingGeometry, magnitudeSlices, naxAdcBits, losslessAdcBits, maxColumnCode, physicalCols, conversionsPerArrayRead,
  bipolarReadout, READOUTS,
} from './geometry';
export type { MappingGeometry, MappingGeometryInput, Readout, AdcReadoutSpec } from './geometry';
export {
  resolveDeviceConfig, deviceConductances, DEVICE_PRESETS, DEVICE_PRESET_NAMES, RRAM_NEURRAM, PCM_AIHWKIT, PLAIN_DEVICE,
} from './devices';
export type {
  DeviceConfig, DeviceConfigInput, DevicePresetName, ProgrammingErrorConfig, DriftConfig, ClampedLogLinearConfig,
  ReadNoise1fConfig, NonlinearityConfig, DeviceConductancesOptions,
} from './devices';
