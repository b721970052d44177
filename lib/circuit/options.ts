/**
 * Options of the crossbar circuit solve (lib/circuit/index.ts validates them). A file of its own
 * so the addon's typed surface (./native.ts, lib/native.ts) reads them without importing the
 * solver that loads the addon.
 */
export interface CircuitOptions {
  /** Word lines (inputs), integer in [1, 4096]. */
  rows: number;
  /** Bit lines (outputs), integer in [1, 4096]. */
  cols: number;
  /** Device conductances in siemens, rows*cols, row-major (row = word line); each finite and > 0. */
  conductances: Float64Array;
  /** Word-line wire resistance per cell segment, ohms, >= 0 (0 = exact short). */
  rWordLine: number;
  /** Bit-line wire resistance per cell segment, ohms, >= 0. */
  rBitLine: number;
  /** Driver output resistance, ohms, >= 0. */
  rSource: number;
  /** Sense-amplifier (virtual ground) input resistance, ohms, >= 0. */
  rSink: number;
  /** Native worker threads; 0 or omitted = automatic (all cores, one for arrays up to 96x96). Results are bit-identical for any count. */
  threads?: number;
}

export interface TransferMatrixOptions extends CircuitOptions {
  /**
   * 'fast' (default): multifrontal nested dissection, O(n^3) for an n x n array.
   * 'banded': banded Cholesky of the full nodal system, the simple reference (O(rows*cols^3)).
   */
  method?: 'fast' | 'banded';
}

export interface SolveCircuitOptions extends CircuitOptions {
  /** Input voltages in volts, batch*rows (row-major: one vector of `rows` word-line voltages per batch item). */
  voltages: Float64Array;
  /**
   * Nonlinear devices I = G sinh(alpha V) / alpha (G = `conductances`, the small-signal value at
   * V -> 0; alpha in (0, 100] 1/volts): an exact Newton solve of the nodal equations, each step
   * a banded Cholesky solve (O(steps * rows * cols^3) per input vector: meant for small arrays).
   * Omitted: linear devices.
   */
  nonlinearity?: { alpha: number };
}
