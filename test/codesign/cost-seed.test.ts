/**
 * The cost-greedy seed (lib/codesign/cost-seed.ts): coordinate descent on EDAP from the cheapest
 * homogeneous genome, arrays only shrinking, checked on cost functions whose optimum is known.
 */
import { costGreedySeed } from '../../lib/codesign/cost-seed';
import { homogeneousGenome } from '../../lib/codesign/candidate';
import { createSearchSpace, genomeKey, type Genome } from '../../lib/search/genome';

const sizes = [16, 32, 64, 128];
const space = createSearchSpace({ layers: ['stem', 'a', 'b', 'c'], kernelSizes: [3, 5], crossbarSizes: sizes });
const baselines = sizes.map((x) => homogeneousGenome(space, x, 3));

/** A separable cost: layer i costs most away from its best size (a product with a shared term, like EDAP). */
function separable(best: number[]): (g: Genome) => Promise<number> {
  return async (g) => {
    let energy = 1, area = 1;
    g.crossbars.forEach((x, i) => {
      const d = Math.abs(Math.log2(x) - Math.log2(best[i]));
      energy += d * (i + 1);
      area += 0.5 * d;
    });
    return energy * area;
  };
}

describe('cost-greedy seed', () => {
  test('starts at the cheapest baseline and shrinks each layer to its cheapest size at or below it', async () => {
    // Per-layer optima 16, 32, 128, 64: the cheapest homogeneous genome is 64 (or 32); layers may
    // only shrink from it, so layer b (best 128) stays at the start's size.
    const cost = separable([16, 32, 128, 64]);
    const seed = await costGreedySeed(space, baselines, cost);
    const startEdaps = await Promise.all(baselines.map(cost));
    const cheapest = baselines[startEdaps.indexOf(Math.min(...startEdaps))];
    expect(genomeKey(seed.start)).toBe(genomeKey(cheapest));
    seed.genome.crossbars.forEach((x, i) => expect(x).toBeLessThanOrEqual(cheapest.crossbars[i]));
    expect(seed.genome.crossbars[0]).toBe(16);
    expect(seed.genome.crossbars[1]).toBe(32);
    expect(seed.edap).toBeLessThan(seed.startEdap);
    expect(seed.edap).toBe(await cost(seed.genome));
    expect(seed.genome.kernels).toEqual(cheapest.kernels);
    // No single-layer shrink lowers it further.
    for (let i = 0; i < 4; i++)
      for (const x of sizes.filter((s) => s <= cheapest.crossbars[i])) {
        const probe = { ...seed.genome, crossbars: seed.genome.crossbars.map((v, j) => (j === i ? x : v)) };
        expect(await cost(probe)).toBeGreaterThanOrEqual(seed.edap);
      }
  });

  test('ends on the start when no shrink helps, memoises probes and is deterministic', async () => {
    let calls = 0;
    const cost = async (g: Genome) => {
      calls++;
      return g.crossbars.reduce((a, x) => a + 1 / x, 0); // bigger is always cheaper
    };
    const a = await costGreedySeed(space, baselines, cost);
    expect(genomeKey(a.genome)).toBe(genomeKey(homogeneousGenome(space, 128, 3)));
    expect(a.edap).toBe(a.startEdap);
    expect(a.probes).toBe(calls);
    const b = await costGreedySeed(space, baselines, cost);
    expect(genomeKey(b.genome)).toBe(genomeKey(a.genome));
    expect(b.probes).toBe(a.probes);
  });

  test('descends the column gene too, and stops on an aborted signal with a clear error', async () => {
    const cols = createSearchSpace({ layers: 2, kernelSizes: [3], crossbarSizes: [32, 64], colSizes: [16, 32, 64] });
    const starts = [32, 64].map((x) => homogeneousGenome(cols, x, 3));
    const seed = await costGreedySeed(cols, starts, async (g) => g.crossbars[0] + g.crossbars[1] + 3 * (g.cols![0] + g.cols![1]) - 0.1 * g.crossbars[1] * g.cols![1] / 16);
    expect(seed.genome.cols).toBeDefined();
    expect(seed.genome.cols![0]).toBe(16);
    const controller = new AbortController();
    controller.abort();
    await expect(costGreedySeed(space, baselines, separable([16, 16, 16, 16]), { signal: controller.signal })).rejects.toThrow(/cost-greedy seed aborted/);
    await expect(costGreedySeed(space, [], separable([16, 16, 16, 16]))).rejects.toThrow(/at least one start genome/);
  });
});
