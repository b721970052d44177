/** Typed surface of native/binding/circuit_binding.cc (see lib/circuit/index.ts for the public API). */
import type { CircuitOptions, SolveCircuitOptions, TransferMatrixOptions } from './options';

/** The binding reads the validated public options as they are. */
export type CircuitNativeOptions = CircuitOptions;

export interface CircuitNative {
  circuitTransferMatrix(options: TransferMatrixOptions): Promise<Float64Array>;
  /** alpha > 0: sinh devices (Newton); omitted or 0: the linear solve. */
  circuitSolve(options: Omit<SolveCircuitOptions, 'nonlinearity'> & { alpha?: number }): Promise<Float64Array>;
}
