/**
 * The successive-halving screen and the predictor pre-screen of runEvolution, and the equal-budget
 * comparison of search methods (lib/search/efficiency.ts) on the noisy surrogate problem.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runEvolution, loadCheckpoint, wilsonUpper, compareSearchEfficiency, runAtBudget, surrogateProblem, genomeKey, createSearchSpace, randomGenome, type Genome, type EvolutionOptions, type Objectives } from '../../lib/search';
import { GenePredictor } from '../../lib/search/predictor';
import { saveCheckpoint } from '../../lib/search/checkpoint';
import { Rng } from '../../lib/search/random';

const problem = surrogateProblem({ layers: 5, images: 400, seed: 3 });

function options(overrides: Partial<EvolutionOptions<Objectives>> = {}): EvolutionOptions<Objectives> {
  return {
    space: problem.space, population: 12, generations: 6, seed: 5, initialGenomes: problem.initialGenomes,
    evaluate: (g, ctx) => problem.evaluate(g, ctx.fidelity),
    screening: { fidelities: [0.125, 0.5], images: problem.images, keep: 0.5 },
    prescreen: { oversample: 2 },
    ...overrides,
  };
}

async function rejection(p: Promise<unknown>): Promise<{ name: string; code: string; message: string }> {
  return p.then(() => { throw new Error('expected a rejection'); }, (e) => e);
}

describe('Wilson upper bound', () => {
  test('matches published 95% intervals', () => {
    // 50/100: Wilson 95% interval [0.4038, 0.5962]; 0/10: [0, 0.2775] (Brown, Cai, DasGupta 2001, Table; any Wilson calculator).
    expect(wilsonUpper(0.5, 100)).toBeCloseTo(0.5962, 4);
    expect(wilsonUpper(0, 10)).toBeCloseTo(0.2775, 4);
    expect(wilsonUpper(1, 10)).toBe(1);
    expect(wilsonUpper(0.9, 1000)).toBeLessThan(0.92);
  });
});

describe('screening in runEvolution', () => {
  test('rungs score nested prefixes; ruled-out candidates are never fully evaluated nor in the population; the accounting adds up', async () => {
    const calls: Array<{ fidelity: number; keys: string[]; generation: number }> = [];
    const screened: number[] = [];
    const result = await runEvolution(options({
      evaluate: async (g, ctx) => {
        calls.push({ fidelity: ctx.fidelity, keys: g.map(genomeKey), generation: ctx.generation });
        return problem.evaluate(g, ctx.fidelity);
      },
      onGeneration: (e) => void screened.push(e.screenedOut),
    }));
    // Generation 0 is evaluated in full only; later ones go through both rungs first.
    expect(calls.filter((c) => c.generation === 0).every((c) => c.fidelity === 1)).toBe(true);
    expect(new Set(calls.filter((c) => c.generation > 0).map((c) => c.fidelity))).toEqual(new Set([0.125, 0.5, 1]));
    const full = calls.filter((c) => c.fidelity === 1).flatMap((c) => c.keys);
    expect(new Set(full).size).toBe(full.length);
    expect(full.length).toBe(result.evaluations);
    const ruledOut = new Set(result.proxies.map((p) => p.key).filter((k) => !result.archive.some((c) => c.key === k)));
    expect(ruledOut.size).toBe(result.screening.savedFullEvaluations);
    expect(ruledOut.size).toBeGreaterThan(10);
    expect(screened.reduce((a, b) => a + b, 0)).toBe(ruledOut.size);
    for (const c of result.population) expect(ruledOut.has(c.key)).toBe(false);
    // Every candidate that reached a full evaluation after generation 0 passed both rungs.
    for (const c of result.archive.filter((a) => a.generation > 0))
      for (const f of [0.125, 0.5]) expect(result.proxies.some((p) => p.key === c.key && p.fidelity === f)).toBe(true);
    const proxyCost = result.proxies.reduce((s, p) => s + p.fidelity, 0);
    expect(result.screening.fullEvaluationEquivalents).toBeCloseTo(result.evaluations + proxyCost, 12);
    expect(result.screening.proxyEvaluations['0.125']).toBe(result.proxies.filter((p) => p.fidelity === 0.125).length);
    // Without the prescreen and screen it is the plain run, draw for draw.
    const plain = await runEvolution(options({ screening: undefined, prescreen: undefined }));
    expect(plain.screening.savedFullEvaluations).toBe(0);
    expect(plain.proxies).toEqual([]);
  });

  test('the predictor passes over bred offspring once it has samples; same seed same result', async () => {
    let rejected = 0;
    const a = await runEvolution(options({ screening: undefined, onGeneration: (e) => void (rejected += e.prescreenedOut) }));
    expect(rejected).toBeGreaterThan(20);
    expect(a.screening.predictorRejected).toBe(rejected);
    expect(await runEvolution(options({ screening: undefined }))).toEqual(a);
  });

  test('interrupted (between and within generations) and resumed: exactly the uninterrupted result, nothing evaluated twice', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nax-screen-'));
    const reference = await runEvolution(options({ generations: 3 }));
    for (const stopAfter of [3, 41]) {
      const file = path.join(dir, `run-${stopAfter}.json`);
      const controller = new AbortController();
      const seen: string[] = [];
      let calls = 0;
      const evaluate = async (g: Genome[], ctx: { fidelity: number }) => {
        if (++calls === stopAfter) controller.abort();
        g.forEach((x) => seen.push(`${ctx.fidelity}:${genomeKey(x)}`));
        return problem.evaluate(g, ctx.fidelity);
      };
      const err = await rejection(runEvolution(options({ generations: 3, evaluate, evaluationChunk: 1, signal: controller.signal, checkpoint: { path: file } })));
      expect(err.code).toBe('ERR_NAX_CANCELLED');
      // 41 calls lie inside generation 1's rungs: the resume re-breeds the same offspring and finds their proxies in the checkpoint.
      if (stopAfter === 41) expect((await loadCheckpoint(file))!.proxies.length).toBeGreaterThan(0);
      const resumed = await runEvolution(options({ generations: 3, evaluate, evaluationChunk: 1, checkpoint: { path: file, resume: true } }));
      expect(resumed).toEqual(reference);
      expect(new Set(seen).size).toBe(seen.length);
    }
  });

  test('bad screening options and old checkpoints are refused with clear NaxErrors', async () => {
    const bad = async (screening: unknown) => (await rejection(runEvolution(options({ screening: screening as never })))).message;
    expect(await bad({ fidelities: [0.5, 0.25], images: 10 })).toContain('ascending');
    expect(await bad({ fidelities: [1], images: 10 })).toContain('screening.fidelities[0]');
    expect(await bad({ fidelities: [0.5], images: 0 })).toContain('screening.images');
    expect(await bad({ fidelities: [0.5], images: 10, keep: 0 })).toContain('screening.keep');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nax-v1-'));
    const file = path.join(dir, 'old.json');
    await saveCheckpoint(file, { format: 'nax-evolution-checkpoint', version: 1 } as never);
    const err = await rejection(loadCheckpoint(file));
    expect(err.code).toBe('ERR_NAX_IO');
    expect(err.message).toMatch(/version 1, written by an older nax-native.*rerun without --resume/);
  });
});

describe('gene predictor', () => {
  test('recovers an additive function of the genes exactly from enough samples (unseen genomes included)', () => {
    const space = createSearchSpace({ layers: 4, colSizes: [16, 32], adcBits: [4, 'lossless'] });
    const rng = new Rng(2);
    const value = (g: Genome) =>
      0.3 + g.kernels.reduce((s, k, i) => s + 0.01 * k * (i + 1), 0) + g.crossbars.reduce((s, x, i) => s - 0.002 * Math.log2(x) * (i + 2), 0) +
      g.cols!.reduce((s, c, i) => s + (c === 16 ? 0.004 * i : 0), 0) + g.adcBits!.reduce<number>((s, a) => s + (a === 'lossless' ? 0.01 : 0), 0);
    const train = Array.from({ length: 300 }, () => randomGenome(space, rng));
    const p = GenePredictor.fit(space, train, train.map(value), 1e-9);
    for (let i = 0; i < 50; i++) {
      const g = randomGenome(space, rng);
      expect(p.predict(g)).toBeCloseTo(value(g), 6);
    }
    expect(() => GenePredictor.fit(space, train, [1])).toThrow(/as many values as genomes/);
  });
});

describe('equal-budget comparison', () => {
  test('every method stays within the budget; random search and NSGA-II spend it on full evaluations; reruns repeat', async () => {
    const budget = 60;
    const cmp = await compareSearchEfficiency(problem, { budget, seeds: [1, 2], population: 12, screening: { fidelities: [0.25], keep: 0.5 }, accuracyFloor: 0.5 });
    expect(cmp.rows.length).toBe(10);
    expect(cmp.scoredOn).toBe('true');
    for (const r of cmp.rows) {
      expect(r.cost).toBeLessThanOrEqual(budget + 1e-9);
      expect(r.cost).toBeGreaterThan(budget - 1.01);
      expect(r.hypervolume).toBeGreaterThan(0);
      if (r.method === 'random' || r.method === 'nsga2' || r.method === 'nsga2-predictor') expect(r.fullEvaluations).toBe(budget);
      if (r.method === 'nsga2-screened') {
        expect(r.fullEvaluations).toBeLessThan(budget);
        expect(r.savedFullEvaluations).toBeGreaterThan(0);
        expect(r.cost).toBeCloseTo(r.fullEvaluations + 0.25 * r.proxyEvaluations, 9);
      }
    }
    expect(cmp.reference.accuracy).toBe(0.5);
    expect(cmp.summary.map((s) => s.method)).toEqual(['random', 'nsga2', 'nsga2-screened', 'nsga2-predictor', 'nsga2-both']);
    const again = await runAtBudget(problem, 'nsga2-both', { budget, seed: 1, population: 12, screening: { fidelities: [0.25], keep: 0.5 } });
    expect(again.cost).toBe(cmp.rows.find((r) => r.method === 'nsga2-both' && r.seed === 1)!.cost);
  });
});
