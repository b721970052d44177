/**
 * A synthetic co-design objective with the trade-off the real one has: larger kernels raise
 * accuracy and EDAP; larger crossbars lower EDAP (fewer arrays, fewer ADC reads) and accuracy
 * (more IR drop). An interaction term keeps it from being separable.
 */
import type { Genome, SearchSpace } from '../../lib/search';

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

/** 2-D hypervolume (accuracy up, EDAP down) against a reference point (accMin, edapMax). */
export function hypervolume(points: Array<{ accuracy: number; edap: number }>, accMin: number, edapMax: number): number {
  const sorted = points.filter((p) => p.accuracy > accMin && p.edap < edapMax).sort((a, b) => a.edap - b.edap);
  let volume = 0;
  let bestAcc = accMin;
  // Sweep EDAP ascending; each step adds the strip between this EDAP and the next at the best accuracy so far.
  for (let i = 0; i < sorted.length; i++) {
    bestAcc = Math.max(bestAcc, sorted[i].accuracy);
    const nextEdap = i + 1 < sorted.length ? sorted[i + 1].edap : edapMax;
    volume += (nextEdap - sorted[i].edap) * (bestAcc - accMin);
  }
  return volume;
}
