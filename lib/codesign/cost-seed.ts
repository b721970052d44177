/**
 * The cost-greedy seed of the search's initial population. Layers differ in shape, so the crossbar
 * size with the lowest cost differs per layer (the sensitivity study of a --quick run shows the
 * 28x28 ResNet's stem conv, 9 rows x 16 columns of weights, about 15% cheaper in network EDAP on
 * 16x16 arrays than on 32x32 ones, while its 3x3 convs are cheapest on 32x32), but a mapping that
 * mixes sizes is one point among |sizes|^layers, and a few generations of NSGA-II from random
 * genomes rarely land on it. So generation 0 also gets the genome found by coordinate descent on
 * EDAP: from the cheapest homogeneous baseline, each layer in turn takes the crossbar rows (then,
 * with a column gene, the columns) that lower the network's EDAP most, until a pass over every
 * layer changes nothing. The descent only shrinks arrays (no layer gets more rows or columns than
 * the start gives it): IR drop, the ADC's range and the number of cells a column sums all grow
 * with the array, so a smaller array keeps a layer at least as accurate, and the seed is a
 * cheaper mapping of the start's accuracy class rather than the cheapest one of any accuracy (a
 * first version that let layers grow put the 28x28 ResNet's last stage on 128x128 arrays: 46%
 * below the 32x32 baseline's EDAP, but 1.2 points less accurate, and it pushed that baseline off
 * the front). Only the cost model runs (plan + hardwareCost: milliseconds per probe, no crossbar
 * simulation); the search then scores its accuracy like any other candidate's, so it is kept only
 * if it earns its place on the front.
 */
import { NaxError, ErrorCodes } from '../errors';
import { cloneGenome, genomeKey, type Genome, type SearchSpace } from '../search/genome';

export interface CostSeed {
  /** The descent's result (equal to `start` when no single-layer change lowers EDAP). */
  genome: Genome;
  edap: number;
  /** The homogeneous genome it started from (the cheapest of `starts`) and its EDAP. */
  start: Genome;
  startEdap: number;
  /** Cost-model evaluations made. */
  probes: number;
  passes: number;
}

/**
 * Coordinate descent on `edapOf` over the crossbar genes (rows; columns when the space has a
 * column gene), each at most its value in the start genome; kernels and ADC genes fixed at the
 * start's. Deterministic: layers in order, sizes in the space's order, a change taken only when it
 * lowers EDAP by more than 1e-9 relative.
 */
export async function costGreedySeed(
  space: SearchSpace,
  starts: Genome[],
  edapOf: (genome: Genome) => Promise<number>,
  options: { maxPasses?: number; signal?: AbortSignal } = {},
): Promise<CostSeed> {
  if (starts.length === 0) throw new NaxError(ErrorCodes.invalidArgument, 'expected at least one start genome for the cost-greedy seed, got none');
  const maxPasses = options.maxPasses ?? 4;
  const memo = new Map<string, number>();
  let probes = 0;
  const cost = async (g: Genome): Promise<number> => {
    const key = genomeKey(g);
    let e = memo.get(key);
    if (e === undefined) {
      if (options.signal?.aborted) throw new NaxError(ErrorCodes.cancelled, 'cost-greedy seed aborted');
      e = await edapOf(g);
      probes++;
      memo.set(key, e);
    }
    return e;
  };
  let start = starts[0];
  let startEdap = await cost(start);
  for (const g of starts.slice(1)) {
    const e = await cost(g);
    if (e < startEdap) [start, startEdap] = [g, e];
  }
  let best = cloneGenome(start), bestEdap = startEdap, passes = 0;
  const genes: Array<'crossbars' | 'cols'> = best.cols ? ['crossbars', 'cols'] : ['crossbars'];
  for (let changed = true; changed && passes < maxPasses; passes++) {
    changed = false;
    for (let i = 0; i < space.layers.length; i++)
      for (const gene of genes) {
        const layer = space.layers[i];
        const choices = gene === 'cols' ? layer.colSizes! : layer.crossbarSizes;
        for (const v of choices) {
          if (best[gene]![i] === v || v > start[gene]![i]) continue;
          const probe = cloneGenome(best);
          probe[gene]![i] = v;
          const e = await cost(probe);
          if (e < bestEdap * (1 - 1e-9)) [best, bestEdap, changed] = [probe, e, true];
        }
      }
  }
  return { genome: best, edap: bestEdap, start, startEdap, probes, passes };
}
