/**
 * Event and component counts of one planned layer: reads, conversions, DAC drives, register
 * accesses, and how many DACs, ADCs, S&Hs, shift-and-adds, registers and subtractors its arrays
 * need under a template's sharing. The counts follow the accuracy model's layout
 * (native/core/crossbar.cc programArrays and crossbar_run.cc): every row tile of every
 * (slice, polarity) array converts only the columns that hold weights (`width = 2 * slices * n`
 * ADC inputs per row tile), once per DAC cycle and input pass.
 *
 * The readout scheme (DESIGN.md: how the gOff baseline is removed) comes from the layer's config
 * when it names one (`readout`; absent means the engine default, DEFAULT_READOUT,
 * 'reference-column'):
 * - 'digital-offset': G+ and G- arrays each converted, the offset subtracted after the ADC.
 * - 'reference-column': one extra physical gOff column per array, subtracted in analog before
 *   the ADC: one more column of cells and a subtractor per converted column, no extra conversion.
 * - 'differential': G+ and G- columns subtracted in analog into one bipolar ADC: half the
 *   conversions (the resolved adcBits already hold the extra sign bit), a subtractor per pair.
 */
import { ErrorCodes, NaxError } from '../errors';
import type { CrossbarConfig } from '../crossbar/config';
import type { LayerPlan } from '../plan/plan';
import type { HardwareConfig } from './config';
import { DEFAULT_READOUT, READOUTS, type Readout } from '../crossbar/geometry';

export type { Readout } from '../crossbar/geometry';

/** The layer's readout scheme (CrossbarConfig.readout, resolved by the crossbar config). */
export function readoutOf(config: CrossbarConfig): Readout {
  const readout = config.readout ?? DEFAULT_READOUT;
  if (!(READOUTS as readonly string[]).includes(readout))
    throw new NaxError(ErrorCodes.config, `expected one of ${READOUTS.join(', ')} for config.readout, got ${JSON.stringify(readout)}`);
  return readout;
}

export interface LayerCounts {
  readout: Readout;
  /** Input passes: 2 for signed inputs (a positive and a negative pass), else 1. */
  passes: number;
  /** Sequential read steps of the layer per inference: outputPixels * passes * DAC cycles (all its arrays read in parallel at each). */
  readSteps: number;
  arrays: number;
  /** Logical matrices: groups * rowTiles * colTiles (each holds slices * 2 arrays seeing the same inputs). */
  matrices: number;
  /** Arrays whose columns reach an ADC: all of them, or one per G+/G- pair under 'differential'. */
  convertingArrays: number;
  /** Physical columns per array (cols, + 1 reference column under 'reference-column'). */
  physicalCols: number;
  /** Array reads per inference (readSteps * arrays). */
  crossbarReads: number;
  /** ADC conversions per inference: used columns only, every row tile, cycle and pass. */
  adcConversions: number;
  /** DAC row drives per inference (used rows only; shared by a matrix's arrays under sharing.dac = 'matrix'). */
  dacConversions: number;
  /** Analog subtractions per inference (reference-column, differential), one per conversion. */
  subtractions: number;
  /** Cells on driven rows at one read step, summed over the arrays (the cells that dissipate). */
  drivenCells: number;
  /** Cells holding weights over all arrays (groups * k * n * slices * 2). */
  usedCells: number;
  inputRegisterAccesses: number;
  outputRegisterAccesses: number;
  /** Conversions the busiest ADC makes per read step. */
  conversionsPerAdcPerStep: number;
  imas: number;
  /** Tiles, fractional: a layer holds imas / imasPerTile of the tiles' shared units. */
  tiles: number;
  components: { dacs: number; adcs: number; sampleHolds: number; shiftAdds: number; inputRegisters: number; outputRegisters: number; subtractors: number };
}

/** Counts of one planned layer under `hw` (see the file comment). */
export function layerCounts(layer: LayerPlan, hw: HardwareConfig): LayerCounts {
  const c = layer.config;
  const g = layer.geometry;
  const groups = layer.groups;
  const readout = readoutOf(c);
  const passes = layer.signedInput ? 2 : 1;
  const readSteps = layer.outputPixels * passes * g.cycles;
  const arrays = layer.arrays;
  const matrices = groups * g.rowTiles * g.colTiles;
  const polarityConversions = readout === 'differential' ? 1 : 2;
  const convertingArrays = (arrays / 2) * polarityConversions;
  const physicalCols = c.cols + (readout === 'reference-column' ? 1 : 0);
  // The engine's ADC inputs per row tile: 2 * slices * n (used columns only); differential halves them.
  const conversionsPerStep = groups * g.rowTiles * polarityConversions * g.slices * layer.n;
  const adcConversions = readSteps * conversionsPerStep;
  const dacRowsPerStep = hw.sharing.dac === 'matrix' ? groups * layer.k * g.colTiles : groups * layer.k * g.colTiles * g.slices * 2;
  const drivenCells = groups * layer.k * g.colTiles * g.slices * 2 * physicalCols;
  const usedCells = groups * layer.k * layer.n * g.slices * 2;

  // ADCs: per converting array, or one per columnsPerAdc columns of each.
  const usedColsPerArray = Math.min(c.cols, layer.n);
  let adcs: number;
  let conversionsPerAdcPerStep: number;
  if (hw.adc.columnsPerAdc > 0) {
    adcs = convertingArrays * Math.ceil(c.cols / hw.adc.columnsPerAdc);
    conversionsPerAdcPerStep = Math.min(hw.adc.columnsPerAdc, usedColsPerArray);
  } else {
    const perArray = hw.adc.adcsPerArray;
    adcs = Math.ceil(convertingArrays * perArray - 1e-9);
    conversionsPerAdcPerStep = Math.ceil(usedColsPerArray / perArray - 1e-9);
    // An ADC shared by several arrays (perArray < 1) serves no more conversions than the layer has.
    if (perArray < 1) conversionsPerAdcPerStep = Math.min(conversionsPerAdcPerStep, Math.ceil(conversionsPerStep / adcs));
  }

  const imas = groups * Math.ceil(arrays / groups / hw.organisation.arraysPerIma);
  const tiles = imas / hw.organisation.imasPerTile;
  const per = (sharing: 'array' | 'matrix' | 'ima') => (sharing === 'array' ? arrays : sharing === 'matrix' ? matrices : imas);
  const accessesPerStep = (sharing: 'array' | 'matrix' | 'ima') => (sharing === 'array' ? arrays : matrices);
  const shiftAdds =
    hw.sharing.shiftAdd === 'adc' ? adcs : hw.sharing.shiftAdd === 'matrix' ? matrices : imas * hw.organisation.shiftAddsPerIma;
  return {
    readout,
    passes,
    readSteps,
    arrays,
    matrices,
    convertingArrays,
    physicalCols,
    crossbarReads: readSteps * arrays,
    adcConversions,
    dacConversions: readSteps * dacRowsPerStep,
    subtractions: readout === 'digital-offset' ? 0 : adcConversions,
    drivenCells,
    usedCells,
    inputRegisterAccesses: readSteps * accessesPerStep(hw.sharing.inputRegister),
    outputRegisterAccesses: readSteps * accessesPerStep(hw.sharing.outputRegister),
    conversionsPerAdcPerStep,
    imas,
    tiles,
    components: {
      dacs: (hw.sharing.dac === 'matrix' ? matrices : arrays) * c.rows,
      adcs,
      sampleHolds: (hw.sharing.sampleHold === 'matrix' ? matrices : convertingArrays) * c.cols,
      shiftAdds,
      inputRegisters: per(hw.sharing.inputRegister),
      outputRegisters: per(hw.sharing.outputRegister),
      subtractors: readout === 'digital-offset' ? 0 : convertingArrays * c.cols,
    },
  };
}
