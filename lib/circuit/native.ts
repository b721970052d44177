/** Typed surface of native/binding/circuit_binding.cc (see lib/circuit/index.ts for the public API). */
export interface CircuitNativeOptions {
  rows: number;
  cols: number;
  conductances: Float64Array;
  rWordLine: number;
  rBitLine: number;
  rSource: number;
  rSink: number;
  threads?: number;
}

export interface CircuitNative {
  circuitTransferMatrix(options: CircuitNativeOptions & { method?: 'fast' | 'banded' }): Promise<Float64Array>;
  circuitSolve(options: CircuitNativeOptions & { voltages: Float64Array }): Promise<Float64Array>;
}
