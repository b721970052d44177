/**
 * A synthetic co-design objective with the trade-off the real one has: larger kernels raise
 * accuracy and EDAP; larger crossbars lower EDAP (fewer arrays, fewer ADC reads) and accuracy
 * (more IR drop). An interaction term keeps it from being separable.
 */
import type { Genome, SearchSpace } from '../../lib/search';
import { hypervolume as exactHypervolume } from '../../lib/search/hypervolume';

const A = [0.05, 0.03, 0.02, 0.04, 0.03, 0.02];
const B = [0.03, 0.02, 0.04, 0.01, 0.02, 0.03];
const M = [1, 2, 4, 3, 2, 1];

export function syntheticObjectives(g: Genome): { accuracy: number; edap: number } {
  let accuracy = 0.6;
  let edap = 0;
  const L = g.kernels.length;
  for (let i = 0; i < L; i++) {
    const k = g.kernels[i];
    const x = g.crossbars[i];
    accuracy += (A[i] * (k - 3)) / 4 - (B[i] * Math.log2(x / 16)) / 3;
    edap += k * k * M[i] * (1 + 64 / x);
    if (i + 1 < L && g.crossbars[i + 1] === x) accuracy += 0.004; // matching neighbours help a little
  }
  return { accuracy, edap };
}

export function allGenomes(space: SearchSpace): Genome[] {
  let out: Genome[] = [{ kernels: [], crossbars: [] }];
  for (const l of space.layers) {
    const next: Genome[] = [];
    for (const g of out) for (const k of l.kernelSizes) for (const x of l.crossbarSizes) next.push({ kernels: [...g.kernels, k], crossbars: [...g.crossbars, x] });
    out = next;
  }
  return out;
}

/** 2-D hypervolume (accuracy up, EDAP down) against a reference point (accMin, edapMax): lib/search/hypervolume.ts. */
export function hypervolume(points: Array<{ accuracy: number; edap: number }>, accMin: number, edapMax: number): number {
  return exactHypervolume(points, { accuracy: accMin, edap: edapMax });
}
