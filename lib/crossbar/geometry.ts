/**
 * How a K x N weight matrix maps onto crossbars (shared/DESIGN.md, "Mapping a
 * layer onto crossbars"). The one definition of array counts: the crossbar
 * engine, the executor and the hardware cost model all call this.
 */
/**
 * How the gOff baseline current is removed (shared/DESIGN.md; README "Readout schemes"):
 * - 'digital-offset': a unipolar ADC digitises each whole column current, gOff cells
 *   included; the periphery subtracts the known offset code (DESIGN's separate G+/G- arrays,
 *   subtracted digitally). CrossSim's OffsetCore with style DIGITAL_OFFSET.
 * - 'reference-column': one extra column of gOff cells per array, its current subtracted in
 *   analog from every data column before a bipolar ADC (CrossSim's analog offset core adds such a
 *   zero-point column to the array, simulator/cores/offset_core.py).
 * - 'differential': each G+ column minus its G- partner in analog before one bipolar ADC
 *   (CrossSim's BalancedCore with subtract_current_in_xbar, whose ADC limits become [-rows, rows] in
 *   simulator/circuits/adc/iadc.py): half the conversions, one more bit.
 */
export type Readout = 'digital-offset' | 'reference-column' | 'differential';
export const READOUTS: readonly Readout[] = ['digital-offset', 'reference-column', 'differential'];
/**
 * The default readout, written once here (CROSSBAR_DEFAULTS.readout and every fallback read it):
 * 'reference-column', the most accurate scheme on the quick reference network (README
 * "crossbar-size comparison"; config.ts CrossbarConfig.readout says why).
 */
export const DEFAULT_READOUT: Readout = 'reference-column';

export interface MappingGeometryInput {
  /** Inputs of the weight matrix (Cin*kh*kw for a conv). */
  k: number;
  /** Outputs of the weight matrix (Cout). */
  n: number;
  /** Crossbar word lines. */
  rows: number;
  /** Crossbar bit lines. */
  cols: number;
  /** Signed weight precision, sign + magnitude. */
  weightBits: number;
  bitsPerCell: number;
  /** Unsigned input precision. */
  inputBits: number;
  dacBits: number;
  /** Readout scheme (default DEFAULT_READOUT, 'reference-column'): sets physical columns and conversions. */
  readout?: Readout;
}

export interface MappingGeometry {
  rowTiles: number;
  colTiles: number;
  /** Weight-magnitude slices of bitsPerCell each. */
  slices: number;
  /** DAC cycles per MVM: ceil(inputBits / dacBits). */
  cycles: number;
  /** Arrays for the layer: rowTiles * colTiles * slices * 2 (G+ and G-). */
  arrays: number;
  /** Fraction of the arrays' data cells that hold weights (reference columns not counted). */
  utilization: number;
  /** Physical bit lines per array: cols, + 1 reference column under 'reference-column'. */
  physicalCols: number;
  /**
   * ADC conversions of the whole layer per DAC cycle (one MVM read of every array): arrays * cols,
   * halved under 'differential' (one conversion per G+/G- column pair).
   */
  conversionsPerCycle: number;
}

/** Physical bit lines per array for a readout: the reference column is one more. */
export function physicalCols(cols: number, readout: Readout = DEFAULT_READOUT): number {
  return cols + (readout === 'reference-column' ? 1 : 0);
}

/** ADC conversions per array read, averaged over G+/G- arrays: cols, or cols / 2 when differential. */
export function conversionsPerArrayRead(cols: number, readout: Readout = DEFAULT_READOUT): number {
  return readout === 'differential' ? cols / 2 : cols;
}

/** Whether the readout's ADC is bipolar (analog subtraction leaves signed currents). */
export function bipolarReadout(readout: Readout): boolean {
  return readout !== 'digital-offset';
}

export function magnitudeSlices(weightBits: number, bitsPerCell: number): number {
  return Math.max(1, Math.ceil((weightBits - 1) / bitsPerCell));
}

export function mappingGeometry(g: MappingGeometryInput): MappingGeometry {
  const rowTiles = Math.ceil(g.k / g.rows);
  const colTiles = Math.ceil(g.n / g.cols);
  const slices = magnitudeSlices(g.weightBits, g.bitsPerCell);
  const cycles = Math.ceil(g.inputBits / g.dacBits);
  const arrays = rowTiles * colTiles * slices * 2;
  const utilization = (g.k * g.n) / (rowTiles * g.rows * colTiles * g.cols);
  const readout = g.readout ?? DEFAULT_READOUT;
  return {
    rowTiles, colTiles, slices, cycles, arrays, utilization,
    physicalCols: physicalCols(g.cols, readout),
    conversionsPerCycle: arrays * conversionsPerArrayRead(g.cols, readout),
  };
}

/** NAX's ADC resolution: ceil(log2(3 * rows)) for 2-bit cells and a 1-bit DAC. */
export function naxAdcBits(rows: number): number {
  return Math.ceil(Math.log2(3 * rows));
}

/** The readout settings the ADC-bit rule needs. */
export interface AdcReadoutSpec {
  readout: Readout;
  /** ON and OFF conductances, siemens: the digital offset's gOff current is gOff / unitG LSB per digit. */
  gOn: number;
  gOff: number;
}

/**
 * Largest ideal ADC input of one conversion, in LSB (one DAC digit step x one conductance step),
 * and whether the ADC is bipolar:
 * - no readout given (the bare signal): rows * (2^dacBits - 1) * (2^bitsPerCell - 1);
 * - 'digital-offset': the whole column current, rows * (2^dacBits - 1) * ((2^bitsPerCell - 1) +
 *   gOff / unitG), unipolar (unitG = (gOn - gOff) / (2^bitsPerCell - 1));
 * - 'reference-column', 'differential': the signal, bipolar (a sign bit more).
 */
export function maxColumnCode(
  rows: number, dacBits: number, bitsPerCell: number, readout?: AdcReadoutSpec,
): { maxCode: number; bipolar: boolean } {
  const sMax = 2 ** bitsPerCell - 1;
  const dMax = 2 ** dacBits - 1;
  if (readout === undefined) return { maxCode: rows * dMax * sMax, bipolar: false };
  if (readout.readout === 'digital-offset') {
    const offsetPerDigit = readout.gOff / ((readout.gOn - readout.gOff) / sMax);
    return { maxCode: rows * dMax * (sMax + offsetPerDigit), bipolar: false };
  }
  return { maxCode: rows * dMax * sMax, bipolar: true };
}

/**
 * Lossless ADC resolution: enough levels for the largest ideal column code (maxColumnCode),
 * ceil(log2(maxCode + 1)), plus a sign bit for a bipolar readout. Without a readout it is ISAAC's
 * rule for the bare signal (rows * (2^dacBits - 1) * (2^bitsPerCell - 1)), which equals NAX's
 * ceil(log2(3*rows)) for 2-bit cells with a 1-bit DAC; 'digital-offset' also covers the gOff
 * current (with the default Ron/Roff 100k/600k that is 1.2x the signal: the same bits at 2-bit
 * cells and a 1-bit DAC, one more at 4-bit cells).
 */
export function losslessAdcBits(rows: number, dacBits: number, bitsPerCell: number, readout?: AdcReadoutSpec): number {
  const { maxCode, bipolar } = maxColumnCode(rows, dacBits, bitsPerCell, readout);
  // The top code must reach the full-scale input (step = range / top code <= 1 LSB).
  return Math.ceil(Math.log2(maxCode + 1)) + (bipolar ? 1 : 0);
}
