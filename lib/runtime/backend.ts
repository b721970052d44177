/**
 * Where crossbar-mode layers run (./executor.ts): the backend interface, and the float
 * reference backend. The crossbar engine's backend is ./crossbar-backend.ts's crossbarBackend (from a plan, lib/plan).
 */
import type { LoweredLayer } from './lower';
import { gemm } from '../native';

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
}

/**
 * Reference backend: exact float32 GEMM through the native sgemm. Crossbar
 * mode with this backend must equal ideal mode (tests use it to check the
 * im2row/scatter path independently of the crossbar engine).
 */
export function floatBackend(threads = 0): MatmulBackend {
  return {
    name: 'float',
    async program(layer, _group, weights) {
      const w = Float32Array.from(weights);
      return {
        async run(rows, count) {
          const out = new Float32Array(count * layer.n);
          if (count > 0)
            await gemm({ m: count, n: layer.n, k: layer.k, threads, a: rows, b: w, c: out });
          return out;
        },
      };
    },
  };
}
