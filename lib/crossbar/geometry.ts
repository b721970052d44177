/**
 * How a K x N weight matrix maps onto crossbars (shared/DESIGN.md, "Mapping a
 * layer onto crossbars"). The one definition of array counts: the crossbar
 * engine, the executor and the hardware cost model all call this.
 */
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
  /** Fraction of the arrays' cells that hold weights. */
  utilization: number;
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
  return { rowTiles, colTiles, slices, cycles, arrays, utilization };
}

/** NAX's ADC resolution: ceil(log2(3 * rows)) for 2-bit cells and a 1-bit DAC. */
export function naxAdcBits(rows: number): number {
  return Math.ceil(Math.log2(3 * rows));
}

/**
 * Lossless ADC resolution: enough levels for the largest column sum,
 * rows * (2^dacBits - 1) * (2^bitsPerCell - 1). Equals ISAAC's rule and NAX's
 * ceil(log2(3*rows)) for 2-bit cells with a 1-bit DAC.
 */
export function losslessAdcBits(rows: number, dacBits: number, bitsPerCell: number): number {
  const maxSum = rows * (2 ** dacBits - 1) * (2 ** bitsPerCell - 1);
  return Math.ceil(Math.log2(maxSum + 1));
}
