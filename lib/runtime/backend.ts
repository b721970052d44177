/**
 * Where crossbar-mode layers run (./executor.ts): the backend interface, and the float
 * reference backend. The crossbar engine's backend is ./crossbar-backend.ts's crossbarBackend (from a plan, lib/plan).
 */
import type { LoweredLayer } from './lower';
import { gemm } from '../native';
import { float32Zeros } from './values';

/** One programmed weight matrix (one group of a lowered layer) on some matmul hardware. */
export interface ProgrammedMatrix {
  /** rows: count x k (row-major). Resolves count x n. */
  run(rows: Float32Array, count: number): Promise<Float32Array>;
}

/** Where crossbar-mode layers run: programs each K x N matrix once. */
export interface MatmulBackend {
  readonly name: string;
  /**
   * @param layer the lowered layer (node name keys the backend's plan)
   * @param group which group's matrix (0 unless grouped conv)
   * @param weights that group's K x N matrix, row-major
   */
  program(layer: LoweredLayer, group: number, weights: Float32Array): Promise<ProgrammedMatrix>;
  /**
   * Groups of a grouped conv that one programmed matrix holds (block-diagonal packing, lower.ts
   * packGroups); absent or 1: one matrix per group. The executor packs the layer before programming.
   */
  groupsPerMatrix?(layer: LoweredLayer): number;
}

/**
 * Reference backend: exact float32 GEMM through the native sgemm. Crossbar
 * mode with this backend must equal ideal mode (tests use it to check the
 * im2row/scatter path independently of the crossbar engine); `groupsPerMatrix` packs grouped
 * convs as the crossbar backend would, to check the block-diagonal path the same way.
 */
export function floatBackend(threads = 0, options: { groupsPerMatrix?: (layer: LoweredLayer) => number } = {}): MatmulBackend {
  return {
    name: 'float',
    ...(options.groupsPerMatrix ? { groupsPerMatrix: options.groupsPerMatrix } : {}),
    async program(layer, _group, weights) {
      const w = Float32Array.from(weights);
      return {
        async run(rows, count) {
          const out = float32Zeros(count * layer.n);
          if (count > 0)
            await gemm({ m: count, n: layer.n, k: layer.k, threads, a: rows, b: w, c: out });
          return out;
        },
      };
    },
  };
}
