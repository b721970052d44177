import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runEvolution, createSearchSpace, genomeKey, paretoFront, dominates, objectiveVector, loadCheckpoint, writeFileAtomic, type Genome, type EvolutionOptions } from '../../lib/search';
import { Rng } from '../../lib/search/random';
import { randomGenome } from '../../lib/search/genome';
import { syntheticObjectives, allGenomes, hypervolume } from './synthetic';

type R = { accuracy: number; edap: number };

const space = createSearchSpace({ layers: ['conv1', 'conv2', 'conv3', 'conv4'] });

function tmp(tag: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `nax-evo-${tag}-`));
}

/** An evaluate that records every genome it is asked for. */
function recorder() {
  const calls: string[][] = [];
  const evaluate = async (genomes: Genome[]): Promise<R[]> => {
    calls.push(genomes.map(genomeKey));
    return genomes.map(syntheticObjectives);
  };
  return { calls, evaluate, keys: () => calls.flat() };
}

function options(overrides: Partial<EvolutionOptions<R>> = {}): EvolutionOptions<R> {
  return { space, population: 12, generations: 8, seed: 17, evaluate: async (g) => g.map(syntheticObjectives), ...overrides };
}

async function rejection(p: Promise<unknown>): Promise<{ name: string; code: string; message: string }> {
  return p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e) => e,
  );
}

describe('runEvolution', () => {
  test('same seed same result; another seed a different one', async () => {
    const a = await runEvolution(options());
    const b = await runEvolution(options());
    const c = await runEvolution(options({ seed: 18 }));
    expect(b).toEqual(a);
    expect(c.archive.map((x) => x.key)).not.toEqual(a.archive.map((x) => x.key));
  });

  test('population: distinct, in the space, fixed size; front is the archive non-dominated set', async () => {
    const events: number[] = [];
    const result = await runEvolution(options({ onGeneration: (e) => void events.push(e.generation) }));
    expect(events).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(result.generations).toBe(8);
    expect(result.population.length).toBe(12);
    expect(new Set(result.population.map((c) => c.key)).size).toBe(12);
    const all = result.archive;
    for (const f of result.front) for (const x of all) expect(dominates(objectiveVector(x.result), objectiveVector(f.result))).toBe(false);
    for (const x of all)
      expect(result.front.some((f) => f.key === x.key || dominates(objectiveVector(f.result), objectiveVector(x.result)) || (f.result.accuracy === x.result.accuracy && f.result.edap === x.result.edap))).toBe(true);
    expect(result.front).toEqual(paretoFront(all));
  });

  test('evaluation cache: no genome is evaluated twice; evaluations = archive size', async () => {
    const rec = recorder();
    // Small space so offspring often repeat earlier genomes.
    const small = createSearchSpace({ layers: 2, kernelSizes: [3, 5], crossbarSizes: [32, 64] });
    let hits = 0;
    const result = await runEvolution(options({ space: small, population: 6, generations: 10, evaluate: rec.evaluate, onGeneration: (e) => void (hits += e.cacheHits) }));
    const keys = rec.keys();
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys.length).toBe(result.evaluations);
    expect(result.evaluations).toBeLessThanOrEqual(16);
    expect(hits).toBeGreaterThan(0);
  });

  test('initial genomes (baselines) are evaluated in generation 0', async () => {
    const baselines = [16, 32, 64, 128].map((x) => ({ kernels: [3, 3, 3, 3], crossbars: [x, x, x, x] }));
    const result = await runEvolution(options({ initialGenomes: baselines, generations: 2 }));
    for (const b of baselines) expect(result.archive.find((c) => c.key === genomeKey(b))?.generation).toBe(0);
    expect(result.archive.filter((c) => c.generation === 0).length).toBe(12);
  });

  test('finds most of the true Pareto front and beats random search at the same budget', async () => {
    const everything = allGenomes(space).map((g) => ({ key: genomeKey(g), result: syntheticObjectives(g) }));
    const truth = paretoFront(everything);
    const accMin = Math.min(...everything.map((c) => c.result.accuracy));
    const edapMax = Math.max(...everything.map((c) => c.result.edap));
    const hvTrue = hypervolume(truth.map((c) => c.result), accMin, edapMax);
    const ratios: number[] = [];
    const randomRatios: number[] = [];
    for (const seed of [1, 2, 3]) {
      const result = await runEvolution(options({ population: 20, generations: 20, seed }));
      ratios.push(hypervolume(result.front.map((c) => c.result), accMin, edapMax) / hvTrue);
      const rng = new Rng(seed);
      const seen = new Map<string, R>();
      while (seen.size < result.evaluations) {
        const g = randomGenome(space, rng);
        seen.set(genomeKey(g), syntheticObjectives(g));
      }
      randomRatios.push(hypervolume([...seen.values()], accMin, edapMax) / hvTrue);
    }
    console.log(`hypervolume / true front: NSGA-II ${ratios.map((r) => r.toFixed(4))}, random search ${randomRatios.map((r) => r.toFixed(4))}`);
    for (let i = 0; i < 3; i++) {
      expect(ratios[i]).toBeGreaterThan(randomRatios[i]);
      expect(ratios[i]).toBeGreaterThan(0.93);
    }
  });

  test('tiny space: population capped at the number of distinct genomes', async () => {
    const tiny = createSearchSpace({ layers: 1, kernelSizes: [3], crossbarSizes: [16, 32, 64] });
    const result = await runEvolution(options({ space: tiny, population: 10, generations: 3 }));
    expect(result.population.length).toBe(3);
    expect(result.evaluations).toBe(3);
  });

  test('bad evaluate results are NaxErrors naming the genome', async () => {
    const short = await rejection(runEvolution(options({ evaluate: async (g) => g.slice(1).map(syntheticObjectives) })));
    expect(short.name).toBe('NaxError');
    expect(short.code).toBe('ERR_NAX_INVALID_ARGUMENT');
    const nan = await rejection(runEvolution(options({ evaluate: async (g) => g.map(() => ({ accuracy: NaN, edap: 1 })) })));
    expect(nan.code).toBe('ERR_NAX_INVALID_ARGUMENT');
    expect(nan.message).toMatch(/accuracy of k\d+x\d+/);
    expect((await rejection(runEvolution(options({ population: 1 })))).code).toBe('ERR_NAX_OUT_OF_RANGE');
  });
});

describe('abort, checkpoint and resume', () => {
  test('interrupt after generation k and resume: exactly the uninterrupted result, nothing evaluated twice', async () => {
    const dir = tmp('resume');
    const reference = await runEvolution(options({ checkpoint: { path: path.join(dir, 'ref.json') } }));
    for (const k of [0, 3, 7]) {
      const file = path.join(dir, `run-${k}.json`);
      const controller = new AbortController();
      const first = recorder();
      const err = await rejection(
        runEvolution(options({ evaluate: first.evaluate, signal: controller.signal, checkpoint: { path: file }, onGeneration: (e) => void (e.generation === k && controller.abort()) })),
      );
      expect(err.name).toBe('NaxError');
      expect(err.code).toBe('ERR_NAX_CANCELLED');
      expect(err.message).toContain(`after generation ${k}`);
      expect((await loadCheckpoint(file))!.generation).toBe(k);
      const second = recorder();
      const resumedEvents: Array<number | null> = [];
      const resumed = await runEvolution(options({ evaluate: second.evaluate, checkpoint: { path: file, resume: true }, onGeneration: (e) => void resumedEvents.push(e.resumedFrom) }));
      expect(resumed).toEqual(reference);
      expect(resumedEvents).toEqual(new Array(8 - k).fill(k));
      const both = [...first.keys(), ...second.keys()];
      expect(new Set(both).size).toBe(both.length);
      expect(both.length).toBe(reference.evaluations);
    }
  });

  test('checkpoint holds population, archive, RNG state and generation; no temp files remain', async () => {
    const dir = tmp('ckpt');
    const file = path.join(dir, 'sub', 'evolve.json');
    const result = await runEvolution(options({ generations: 3, checkpoint: { path: file } }));
    const ckpt = (await loadCheckpoint<R>(file))!;
    expect(ckpt.generation).toBe(3);
    expect(ckpt.population).toEqual(result.population.map((c) => c.key));
    expect(ckpt.archive.length).toBe(result.evaluations);
    expect(ckpt.rng.words.length).toBe(4);
    expect(ckpt.fingerprint.seed).toBe(17);
    expect(fs.readdirSync(path.dirname(file))).toEqual(['evolve.json']);
    // A finished checkpoint resumes to the same result without evaluating anything.
    const rec = recorder();
    expect(await runEvolution(options({ generations: 3, evaluate: rec.evaluate, checkpoint: { path: file, resume: true } }))).toEqual(result);
    expect(rec.calls.length).toBe(0);
    // ... and can be extended by more generations.
    const longer = await runEvolution(options({ generations: 5, evaluate: rec.evaluate, checkpoint: { path: file, resume: true } }));
    expect(longer).toEqual(await runEvolution(options({ generations: 5 })));
  });

  test('resume with a missing checkpoint starts fresh; with other settings it refuses', async () => {
    const dir = tmp('mismatch');
    const file = path.join(dir, 'c.json');
    const fresh = await runEvolution(options({ generations: 2, checkpoint: { path: file, resume: true } }));
    expect(fresh).toEqual(await runEvolution(options({ generations: 2 })));
    const err = await rejection(runEvolution(options({ generations: 2, seed: 99, checkpoint: { path: file, resume: true } })));
    expect(err.code).toBe('ERR_NAX_CONFIG');
    expect(err.message).toContain('seed: checkpoint 17, now 99');
    fs.writeFileSync(file, '{"format":"other"}');
    expect((await rejection(runEvolution(options({ checkpoint: { path: file, resume: true } })))).code).toBe('ERR_NAX_IO');
    fs.writeFileSync(file, '{not json');
    expect((await rejection(runEvolution(options({ checkpoint: { path: file, resume: true } })))).code).toBe('ERR_NAX_IO');
  });

  test('an already-aborted signal evaluates nothing; an abort during evaluation keeps the previous checkpoint', async () => {
    const rec = recorder();
    const err = await rejection(runEvolution(options({ evaluate: rec.evaluate, signal: AbortSignal.abort() })));
    expect(err.code).toBe('ERR_NAX_CANCELLED');
    expect(rec.calls.length).toBe(0);

    const dir = tmp('abort-eval');
    const file = path.join(dir, 'c.json');
    const controller = new AbortController();
    const evaluate = async (genomes: Genome[], ctx: { generation: number; signal?: AbortSignal }): Promise<R[]> => {
      expect(ctx.signal).toBe(controller.signal);
      if (ctx.generation === 2) controller.abort();
      return genomes.map(syntheticObjectives);
    };
    const e2 = await rejection(runEvolution(options({ evaluate, signal: controller.signal, checkpoint: { path: file } })));
    expect(e2.code).toBe('ERR_NAX_CANCELLED');
    expect(e2.message).toContain('after generation 1');
    expect((await loadCheckpoint(file))!.generation).toBe(1);
    expect(await runEvolution(options({ checkpoint: { path: file, resume: true } }))).toEqual(await runEvolution(options()));
  });

  test('chunked evaluation: an abort mid-generation keeps the finished chunks, and the resume still equals the reference', async () => {
    const reference = await runEvolution(options());
    const dir = tmp('chunks');
    const file = path.join(dir, 'c.json');
    const controller = new AbortController();
    const first = recorder();
    let callsInGen3 = 0;
    const progress: Array<[number, number, number]> = [];
    const evaluate = async (genomes: Genome[], ctx: { generation: number }): Promise<R[]> => {
      expect(genomes.length).toBeLessThanOrEqual(5);
      if (ctx.generation === 3 && ++callsInGen3 === 2) controller.abort(); // abort while the 2nd chunk runs
      return first.evaluate(genomes);
    };
    const err = await rejection(
      runEvolution(options({ evaluate, evaluationChunk: 5, signal: controller.signal, checkpoint: { path: file }, onEvaluated: (e) => void progress.push([e.generation, e.done, e.total]) })),
    );
    expect(err.code).toBe('ERR_NAX_CANCELLED');
    expect(err.message).toContain('after generation 2');
    const ckpt = (await loadCheckpoint<R>(file))!;
    expect(ckpt.generation).toBe(2);
    const savedInGen3 = ckpt.archive.filter((c) => c.generation === 3).length;
    expect(savedInGen3).toBe(10); // both finished chunks of generation 3 were kept
    expect(progress.filter(([g]) => g === 3).map(([, done]) => done)).toEqual([5, 10]);
    expect(progress[0]).toEqual([0, 5, 12]);
    const second = recorder();
    const resumed = await runEvolution(options({ evaluate: second.evaluate, evaluationChunk: 5, checkpoint: { path: file, resume: true } }));
    expect(resumed).toEqual(reference);
    const both = [...first.keys(), ...second.keys()];
    expect(new Set(both).size).toBe(both.length);
    expect(both.length).toBe(reference.evaluations);
  });

  test('concurrent evaluate() calls finishing in random order give exactly the one-at-a-time result, checkpoints included', async () => {
    const reference = await runEvolution(options());
    const refDir = tmp('conc-ref');
    await runEvolution(options({ evaluationChunk: 1, checkpoint: { path: path.join(refDir, 'c.json') } }));
    const dir = tmp('conc');
    const order = new Rng(99);
    let inFlight = 0;
    let maxInFlight = 0;
    const finished: string[] = [];
    const evaluate = async (genomes: Genome[]): Promise<R[]> => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      // Each call finishes after a random delay, so later chunks often finish first.
      await new Promise((r) => setTimeout(r, order.int(8)));
      inFlight--;
      finished.push(genomeKey(genomes[0]));
      return genomes.map(syntheticObjectives);
    };
    const progress: number[] = [];
    const result = await runEvolution(options({ evaluate, evaluationChunk: 1, concurrency: Infinity, checkpoint: { path: path.join(dir, 'c.json') }, onEvaluated: (e) => void progress.push(e.done) }));
    expect(result).toEqual(reference);
    expect(maxInFlight).toBeGreaterThan(4);
    // Finish order differed from the commit (archive) order, yet the archive order is the reference's.
    expect(finished).not.toEqual(result.archive.map((c) => c.key));
    expect(result.archive.map((c) => c.key)).toEqual(reference.archive.map((c) => c.key));
    // Progress is reported in commit order: 1, 2, 3, ... within each generation.
    expect(progress.slice(0, 12)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(fs.readFileSync(path.join(dir, 'c.json'), 'utf8')).toBe(fs.readFileSync(path.join(refDir, 'c.json'), 'utf8'));
    const limited = await runEvolution(options({ evaluate, evaluationChunk: 1, concurrency: 3 }));
    expect(limited).toEqual(reference);
    await expect(runEvolution(options({ concurrency: 0 }))).rejects.toMatchObject({ name: 'NaxError', message: expect.stringContaining('concurrency') });
  });

  test('a rejected evaluate() call ahead of its turn is reported once, in commit order, and is not unhandled', async () => {
    const evaluate = async (genomes: Genome[]): Promise<R[]> => {
      if (genomeKey(genomes[0]) === first) throw new Error('worker exploded');
      await new Promise((r) => setTimeout(r, 5));
      return genomes.map(syntheticObjectives);
    };
    let first = '';
    const probe = recorder();
    await runEvolution(options({ generations: 0, evaluate: probe.evaluate, evaluationChunk: 1 }));
    first = probe.keys()[7];
    await expect(runEvolution(options({ evaluate, evaluationChunk: 1, concurrency: Infinity }))).rejects.toThrow('worker exploded');
  });

  test('an abort inside generation 0 resumes from the partial initial population', async () => {
    const reference = await runEvolution(options({ generations: 2 }));
    const dir = tmp('gen0');
    const file = path.join(dir, 'c.json');
    const controller = new AbortController();
    const first = recorder();
    const evaluate = async (genomes: Genome[]): Promise<R[]> => {
      controller.abort();
      return first.evaluate(genomes);
    };
    const err = await rejection(runEvolution(options({ generations: 2, evaluate, evaluationChunk: 4, signal: controller.signal, checkpoint: { path: file } })));
    expect(err.message).toContain('before the initial population');
    const ckpt = (await loadCheckpoint<R>(file))!;
    expect(ckpt.generation).toBe(-1);
    expect(ckpt.archive.length).toBe(4);
    const second = recorder();
    expect(await runEvolution(options({ generations: 2, evaluate: second.evaluate, evaluationChunk: 4, checkpoint: { path: file, resume: true } }))).toEqual(reference);
    expect(first.keys().length + second.keys().length).toBe(reference.evaluations);
  });

  test('writeFileAtomic replaces content in one step', async () => {
    const dir = tmp('atomic');
    const file = path.join(dir, 'x.json');
    await writeFileAtomic(file, 'one');
    await writeFileAtomic(file, 'two');
    expect(fs.readFileSync(file, 'utf8')).toBe('two');
    expect(fs.readdirSync(dir)).toEqual(['x.json']);
  });
});
