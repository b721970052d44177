/**
 * Estimates of what the native engine allocates (native/core/crossbar.cc,
 * crossbar_run.cc, circuit_multifrontal.cc) for the up-front memory checks of
 * lib/memory.ts. They count the large buffers and round the solver's fill up;
 * small vectors are ignored.
 */
import * as os from 'os';
import type { CrossbarConfig } from './config';
import { mappingGeometry } from './geometry';

function threadsOf(threads: number): number {
  return threads > 0 ? threads : Math.max(1, os.cpus().length);
}

/** The parasitic solve of one rows x cols array: factor fill of the nested-dissection order and the largest dense front. */
export function circuitSolveBytes(rows: number, cols: number): number {
  const nodes = 2 * rows * cols;
  const front = 2 * Math.max(rows, cols);
  return 16 * nodes * Math.max(1, Math.log2(nodes)) + 8 * front * front + 16 * rows * cols;
}

/** Programming a k x n layer: the weight copy, quantized magnitudes, the effective matrices (plain and packed) and per-thread array scratch. */
export function crossbarProgramBytes(k: number, n: number, c: Pick<CrossbarConfig, 'rows' | 'cols' | 'weightBits' | 'bitsPerCell' | 'inputBits' | 'dacBits' | 'parasitics' | 'threads' | 'ideal'>): number {
  if (c.ideal) return 8 * k * n;
  const g = mappingGeometry({ k, n, ...c });
  const width = 2 * g.slices * n;
  const padded = Math.ceil(width / 32) * 32;
  // Plain and packed effective matrices; device-level read noise keeps a squared copy of both.
  const deviceNoise = (c as { readNoiseModel?: string; readNoise?: number }).readNoiseModel === 'device' && ((c as { readNoise?: number }).readNoise ?? 0) > 0;
  const effective = 4 * g.rowTiles * c.rows * (width + padded) * (deviceNoise ? 2 : 1);
  // One G+/G- pair of physical arrays per work item (reference-column adds a column).
  const pcols = c.cols + 1;
  const perThread = 2 * 16 * c.rows * pcols + (c.parasitics ? 2 * circuitSolveBytes(c.rows, pcols) : 0);
  return 9 * k * n + effective + Math.min(threadsOf(c.threads), g.arrays) * perThread;
}

/** One run of `batch` samples: the input copy, the output, and each thread's digit planes and column sums. */
export function crossbarRunBytes(batch: number, k: number, n: number, c: Pick<CrossbarConfig, 'rows' | 'cols' | 'weightBits' | 'bitsPerCell' | 'inputBits' | 'dacBits' | 'threads' | 'ideal'>): number {
  if (c.ideal) return 4 * batch * (k + n);
  const g = mappingGeometry({ k, n, ...c });
  const width = 2 * g.slices * n;
  const rowsPerChunk = 2 * g.cycles * Math.max(1, Math.floor(256 / (2 * g.cycles))) + 8;
  const perThread = 4 * k * rowsPerChunk + 4 * (rowsPerChunk / g.cycles + 2) * (width + 32) + 8 * rowsPerChunk * n;
  return 4 * batch * (k + n) + threadsOf(c.threads) * perThread;
}
