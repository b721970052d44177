/** Crossbar engine: configuration, mapping geometry, programmed layers. */
export { CrossbarLayer, crossbarMatMul } from './layer';
export type { ProgramOptions, CrossbarLayerState, ArrayPosition } from './layer';
export { resolveCrossbarConfig, toNativeConfig, DEFAULT_PARASITICS, CROSSBAR_DEFAULTS, DEFAULT_ADC_BITS_RULE, MAX_THREADS } from './config';
export { DEFAULT_NON_IDEAL } from './presets';
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
} from './config';
export {
  mappingGeometry, magnitudeSlices, naxAdcBits, losslessAdcBits, maxColumnCode, physicalCols, conversionsPerArrayRead,
  bipolarReadout, READOUTS,
} from './geometry';
export type { MappingGeometry, MappingGeometryInput, Readout, AdcReadoutSpec } from './geometry';
