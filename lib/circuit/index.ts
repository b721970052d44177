/**
 * Exact DC solve of one memristive crossbar with parasitic wire resistance
 * (circuit convention: shared/DESIGN.md, native/core/circuit.h).
 *
 * Rows i are word lines driven at column 0 by ideal sources V_i through
 * `rSource`; columns j are bit lines sensed at the last row through `rSink`
 * into a virtual ground. `rWordLine` sits between neighbouring cells of a word
 * line, `rBitLine` between neighbouring cells of a bit line. A resistance of 0
 * is an exact short. The circuit is linear: I = V . M, with M the rows x cols
 * transfer matrix (siemens). With all four resistances 0, M = G exactly.
 */
import { ErrorCodes, NaxError, expectNumber, expectOneOf, expectTypedArray, invalid, rejectUnknownKeys } from '../errors';
import { callNative, loadAddon } from '../native';
import { MAX_THREADS } from '../crossbar/config';
import type { CircuitOptions, SolveCircuitOptions, TransferMatrixOptions } from './options';

/** Largest word-line or bit-line count accepted. */
export const MAX_CROSSBAR_SIDE = 4096;

export type { CircuitOptions, TransferMatrixOptions, SolveCircuitOptions } from './options';

const CIRCUIT_KEYS = ['rows', 'cols', 'conductances', 'rWordLine', 'rBitLine', 'rSource', 'rSink', 'threads'] as const;

function checkCircuit(options: unknown, extraKeys: readonly string[]): CircuitOptions {
  if (typeof options !== 'object' || options === null || Array.isArray(options))
    throw invalid('options', 'an options object', options);
  rejectUnknownKeys('', options, [...CIRCUIT_KEYS, ...extraKeys]);
  const o = options as Record<string, unknown>;
  const rows = expectNumber('rows', o.rows, { integer: true, min: 1, max: MAX_CROSSBAR_SIDE });
  const cols = expectNumber('cols', o.cols, { integer: true, min: 1, max: MAX_CROSSBAR_SIDE });
  const rWordLine = expectNumber('rWordLine', o.rWordLine, { min: 0 });
  const rBitLine = expectNumber('rBitLine', o.rBitLine, { min: 0 });
  const rSource = expectNumber('rSource', o.rSource, { min: 0 });
  const rSink = expectNumber('rSink', o.rSink, { min: 0 });
  const threads = o.threads === undefined ? 0 : expectNumber('threads', o.threads, { integer: true, min: 0, max: MAX_THREADS });
  const conductances = expectTypedArray('conductances', o.conductances, Float64Array, rows * cols);
  for (let k = 0; k < conductances.length; k++) {
    if (!(conductances[k] > 0))
      throw invalid(`conductances[${k}]`, 'a finite number > 0 (siemens)', conductances[k], ErrorCodes.outOfRange);
  }
  return { rows, cols, conductances, rWordLine, rBitLine, rSource, rSink, threads };
}

/**
 * Transfer matrix M (rows x cols, row-major, siemens) of the crossbar: the
 * current into sense amplifier j per volt on driver i, so I = V . M.
 */
export async function transferMatrix(options: TransferMatrixOptions): Promise<Float64Array> {
  const spec = checkCircuit(options, ['method']);
  const method = options.method === undefined ? 'fast' : expectOneOf('method', options.method, ['fast', 'banded'] as const);
  return callNative(() => loadAddon().circuitTransferMatrix({ ...spec, method }));
}

/**
 * Output currents in amperes (batch*cols, row-major) for a batch of input
 * voltage vectors, batch = voltages.length / rows. Linear devices: solves the
 * transfer matrix once, then one matrix product. With `nonlinearity` (I = G
 * sinh(alpha V) / alpha per device): Newton on the nodal equations per vector.
 */
export async function solveCircuit(options: SolveCircuitOptions): Promise<Float64Array> {
  const spec = checkCircuit(options, ['voltages', 'nonlinearity']);
  let alpha = 0;
  if (options.nonlinearity !== undefined) {
    const n = options.nonlinearity as unknown;
    if (typeof n !== 'object' || n === null || Array.isArray(n)) throw invalid('nonlinearity', 'an object { alpha }', n);
    rejectUnknownKeys('nonlinearity', n, ['alpha']);
    alpha = expectNumber('nonlinearity.alpha', (n as { alpha?: unknown }).alpha, { above: 0, max: 100 });
  }
  const voltages = expectTypedArray('voltages', options.voltages, Float64Array);
  if (voltages.length % spec.rows !== 0)
    throw new NaxError(
      ErrorCodes.sizeMismatch,
      `expected voltages to have a multiple of rows (${spec.rows}) elements, got ${voltages.length}`,
    );
  return callNative(() => loadAddon().circuitSolve({ ...spec, voltages, alpha }));
}

/** Ideal (parasitic-free) output currents I = V . G in amperes, for comparisons. */
export function idealCurrents(rows: number, cols: number, conductances: Float64Array, voltages: Float64Array): Float64Array {
  const batch = voltages.length / rows;
  const out = new Float64Array(batch * cols);
  for (let b = 0; b < batch; b++)
    for (let i = 0; i < rows; i++) {
      const v = voltages[b * rows + i];
      if (v === 0) continue;
      for (let j = 0; j < cols; j++) out[b * cols + j] += v * conductances[i * cols + j];
    }
  return out;
}
