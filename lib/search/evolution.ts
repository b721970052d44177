/**
 * The NSGA-II evolution loop, independent of what a candidate is worth: the caller's `evaluate`
 * turns genomes into {accuracy, edap, ...}. Generation 0 is the initial population (the caller's
 * `initialGenomes`, e.g. baselines, then random distinct genomes); each later generation breeds
 * `population` offspring (binary crowded tournament, uniform crossover, mutation), evaluates the
 * ones never seen before (an evaluation cache keyed by genome key, so identical genomes are never
 * evaluated twice) and keeps the best `population` of parents + offspring.
 *
 * Determinism: every random draw comes from one seeded xoshiro128** stream, whose state is
 * checkpointed with the population and the archive after each generation; resuming continues
 * that stream, so an interrupted-and-resumed run returns exactly what an uninterrupted run with
 * the same seed returns (given a deterministic `evaluate`; results must be JSON-serialisable).
 * With `evaluationChunk`, a checkpoint is also written after every evaluate() call inside a
 * generation (holding the generation-start RNG state and population plus the results so far),
 * so an abort loses at most one chunk and the resume re-breeds the same offspring, finding the
 * finished ones in the cache.
 *
 * Screening (successive halving, Jamieson and Talwalkar 2016; Li et al., Hyperband, JMLR 2018):
 * with `screening`, from generation 1 on the fresh offspring are first scored at reduced
 * fidelities (e.g. 1/8, then 1/2 of the validation images: `context.fidelity`), and only those a
 * rung does not rule out go on to the next rung and finally to the full evaluation. A rung rules a
 * candidate out when a fully evaluated member of the archive's front dominates it even at the
 * upper end of its proxy accuracy's Wilson 95% interval (its EDAP is exact: the cost model reads
 * no images), and keeps at most `keep` of the rung's candidates (best NSGA-II rank and crowding on
 * the proxy objectives). Ruled-out candidates never enter the population; their proxy results are
 * checkpointed, so a resume screens alike. Generation 0 (the baselines) is always evaluated in full.
 */
import { NaxError, ErrorCodes, expectNumber, invalid } from '../errors';
import { Rng, type RngState } from './random';
import { type Genome, type SearchSpace, genomeKey, randomGenome, mutateGenome, uniformCrossover, validateGenome, spaceSize, cloneGenome } from './genome';
import { rankAndCrowd, binaryTournament, environmentalSelection } from './nsga2';
import { GenePredictor } from './predictor';
import { type Objectives, objectiveVector, paretoFront } from './pareto';
import {
  type EvolutionCheckpoint,
  type EvolutionFingerprint,
  CHECKPOINT_FORMAT,
  CHECKPOINT_VERSION,
  saveCheckpoint,
  loadCheckpoint,
  fingerprintDifferences,
} from './checkpoint';

export interface Candidate<R extends Objectives = Objectives> {
  key: string;
  genome: Genome;
  result: R;
  /** Generation in which it was first evaluated. */
  generation: number;
}

export interface EvaluationContext {
  generation: number;
  signal?: AbortSignal;
  /**
   * Fraction of the full evaluation asked for: 1 for a full evaluation, less on a screening rung
   * (score on the first round(fidelity * images) validation images).
   */
  fidelity: number;
}

/** Successive-halving screen of each generation's offspring (see the file comment). */
export interface ScreeningOptions {
  /** Rung fidelities, ascending in (0, 1): fractions of the full evaluation scored before it. */
  fidelities: number[];
  /** Images of a full evaluation (the binomial bound of a rung scored on round(f * images)). */
  images: number;
  /** Most of a rung's candidates that go on, as a fraction in (0, 1] (default 0.5; 1: only the front test). */
  keep?: number;
  /** z of the bound a proxy accuracy must beat (default 1.96: Wilson 95%). */
  z?: number;
  /**
   * Offspring bred per generation, as a multiple of the population (default 1). Above 1 the
   * screen chooses among more children than plain NSGA-II breeds (pre-screening, as the
   * predictor-guided searches AnalogNAS and Gibbon do with a learned model).
   */
  oversample?: number;
}

/**
 * Predictor pre-screen (lib/search/predictor.ts): breed `oversample` x population offspring,
 * predict their accuracy and log EDAP from an additive model fit to every earlier full
 * evaluation, and pass on only the population's worth that NSGA-II's selection ranks best on the
 * predictions. Costs no evaluation; active once `minSamples` candidates are evaluated.
 */
export interface PrescreenOptions {
  /** Offspring bred per kept one (default 3). */
  oversample?: number;
  /** Full evaluations needed before the predictor is used (default: 2 x population). */
  minSamples?: number;
  /** Ridge penalty (default 0.01). */
  ridge?: number;
}

/** A proxy (reduced-fidelity) result of the screen. */
export interface ProxyCandidate<R extends Objectives = Objectives> {
  key: string;
  genome: Genome;
  fidelity: number;
  result: R;
  generation: number;
}

/** What screening cost and saved (derived from the archive and the proxy results). */
export interface ScreeningStats {
  /** Distinct candidates scored in full. */
  fullEvaluations: number;
  /** Proxy evaluations per rung fidelity. */
  proxyEvaluations: Record<string, number>;
  /** Candidates the screen ruled out: full evaluations saved. */
  savedFullEvaluations: number;
  /** Bred offspring the predictor passed over before any evaluation (each would have been evaluated without it). */
  predictorRejected: number;
  /** Total cost in full-evaluation equivalents: full evaluations + sum of rung fidelities. */
  fullEvaluationEquivalents: number;
}

export interface GenerationEvent<R extends Objectives> {
  /** Generation just completed (0 = initial population). */
  generation: number;
  generations: number;
  /** Genomes evaluated in this generation (cache misses). */
  evaluated: number;
  /** Offspring found in the cache (bred before, not evaluated again). */
  cacheHits: number;
  /** Fresh offspring the screen ruled out in this generation (not evaluated in full). */
  screenedOut: number;
  /** Bred offspring the predictor pre-screen passed over in this generation. */
  prescreenedOut: number;
  /** Distinct candidates evaluated so far. */
  archiveSize: number;
  population: Candidate<R>[];
  /** Non-dominated candidates of the whole archive, EDAP ascending. */
  front: Candidate<R>[];
  /** Wall time since this call started, ms (not part of the result: it differs on resume). */
  elapsedMs: number;
  /** Generation the run resumed after, or null for a fresh run. */
  resumedFrom: number | null;
}

export interface EvaluationEvent {
  generation: number;
  generations: number;
  /** Fresh genomes of this generation evaluated so far / in all. */
  done: number;
  total: number;
  archiveSize: number;
  elapsedMs: number;
}

export interface EvolutionOptions<R extends Objectives> {
  space: SearchSpace;
  /** Population size (>= 2). Capped at the number of distinct genomes in the space. */
  population: number;
  /** Generations after the initial population (0 = evaluate the initial population only). */
  generations: number;
  seed: number;
  /** Evaluates genomes (never one seen before); returns one result per genome, same order. */
  evaluate: (genomes: Genome[], context: EvaluationContext) => Promise<R[]>;
  /** Genomes placed in generation 0 before the random ones (e.g. the homogeneous baselines). */
  initialGenomes?: Genome[];
  /** Probability a parent pair is crossed over (default 0.9). */
  crossoverRate?: number;
  /** Per-gene mutation probability (default 1/(2 * layers)). */
  mutationRate?: number;
  /**
   * Most genomes per evaluate() call (default: all of a generation at once). Smaller chunks let
   * a checkpoint save finished evaluations mid-generation, so an abort loses at most one chunk.
   */
  evaluationChunk?: number;
  /**
   * Most evaluate() calls in flight at once (default 1; Infinity: every chunk of a generation at
   * once, e.g. one queued job per genome). Results are committed, checkpointed and reported in
   * chunk order whatever order they finish in, so the result does not depend on this number.
   */
  concurrency?: number;
  onGeneration?: (event: GenerationEvent<R>) => void | Promise<void>;
  /** After each evaluate() call: progress within a generation (for progress bars and ETAs). */
  onEvaluated?: (event: EvaluationEvent) => void | Promise<void>;
  signal?: AbortSignal;
  checkpoint?: { path: string; resume?: boolean };
  /** Successive-halving screen of the offspring (default: none, every offspring in full). */
  screening?: ScreeningOptions;
  /** Predictor pre-screen of the offspring (default: none). */
  prescreen?: PrescreenOptions;
}

export interface EvolutionResult<R extends Objectives> {
  seed: number;
  /** Completed generations after the initial one. */
  generations: number;
  /** Final population in selection order (best fronts first). */
  population: Candidate<R>[];
  /** Non-dominated candidates of the whole archive, EDAP ascending. */
  front: Candidate<R>[];
  /** Every evaluated candidate, in evaluation order. */
  archive: Candidate<R>[];
  evaluations: number;
  /** Every proxy result of the screen, in evaluation order (empty without screening). */
  proxies: ProxyCandidate<R>[];
  screening: ScreeningStats;
}

/**
 * Wilson score interval's upper bound for a proportion `p` measured on `n` trials (Wilson 1927;
 * Brown, Cai, DasGupta 2001 recommend it over the Wald interval for small n and p near 0 or 1).
 */
export function wilsonUpper(p: number, n: number, z = 1.96): number {
  if (!(n > 0)) return 1;
  const z2 = z * z;
  const centre = p + z2 / (2 * n);
  const spread = z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return Math.min(1, (centre + spread) / (1 + z2 / n));
}

function checkScreening(s: ScreeningOptions): Required<ScreeningOptions> {
  if (typeof s !== 'object' || s === null) throw invalid('screening', 'an object {fidelities, images, keep?, z?}', s);
  const fidelities = s.fidelities;
  if (!Array.isArray(fidelities) || fidelities.length === 0) throw invalid('screening.fidelities', 'a non-empty array of fractions in (0, 1), ascending', fidelities);
  fidelities.forEach((f, i) => {
    if (typeof f !== 'number' || !(f > 0 && f < 1)) throw invalid(`screening.fidelities[${i}]`, 'a fraction in (0, 1)', f);
    if (i > 0 && !(f > fidelities[i - 1])) throw invalid('screening.fidelities', 'strictly ascending fractions', JSON.stringify(fidelities));
  });
  return {
    fidelities: fidelities.slice(),
    images: expectNumber('screening.images', s.images, { integer: true, min: 1 }),
    keep: expectNumber('screening.keep', s.keep ?? 0.5, { above: 0, max: 1 }),
    z: expectNumber('screening.z', s.z ?? 1.96, { min: 0, max: 10 }),
    oversample: expectNumber('screening.oversample', s.oversample ?? 1, { min: 1, max: 16 }),
  };
}

function cancelled(generation: number, checkpointPath?: string): NaxError {
  return new NaxError(
    ErrorCodes.cancelled,
    (generation < 0 ? 'evolution aborted before the initial population was evaluated' : `evolution aborted after generation ${generation}`) + (checkpointPath ? `; resume from checkpoint ${checkpointPath}` : ''),
  );
}

function checkResult(r: unknown, key: string): Objectives {
  const o = r as Objectives;
  if (typeof o !== 'object' || o === null) throw invalid(`result for ${key}`, 'an object {accuracy, edap}', r);
  if (typeof o.accuracy !== 'number' || !Number.isFinite(o.accuracy)) throw invalid(`accuracy of ${key}`, 'a finite number', o.accuracy);
  if (typeof o.edap !== 'number' || !Number.isFinite(o.edap) || o.edap < 0) throw invalid(`edap of ${key}`, 'a finite number >= 0', o.edap);
  return o;
}

export async function runEvolution<R extends Objectives>(options: EvolutionOptions<R>): Promise<EvolutionResult<R>> {
  const started = Date.now();
  const { space, evaluate, signal, onGeneration, onEvaluated } = options;
  if (!space || !Array.isArray(space.layers) || space.layers.length === 0) throw invalid('space', 'a search space from createSearchSpace()', space);
  if (typeof evaluate !== 'function') throw invalid('evaluate', 'a function', evaluate);
  const requested = expectNumber('population', options.population, { integer: true, min: 2 });
  const generations = expectNumber('generations', options.generations, { integer: true, min: 0 });
  const seed = expectNumber('seed', options.seed, { integer: true });
  const crossoverRate = expectNumber('crossoverRate', options.crossoverRate ?? 0.9, { min: 0, max: 1 });
  const mutationRate = expectNumber('mutationRate', options.mutationRate ?? 1 / (2 * space.layers.length), { min: 0, max: 1 });
  const populationSize = Math.min(requested, spaceSize(space));
  const chunkSize = options.evaluationChunk === undefined ? Infinity : expectNumber('evaluationChunk', options.evaluationChunk, { integer: true, min: 1 });
  const concurrency = options.concurrency === undefined ? 1 : options.concurrency === Infinity ? Infinity : expectNumber('concurrency', options.concurrency, { integer: true, min: 1 });
  const screening = options.screening === undefined ? undefined : checkScreening(options.screening);
  const prescreen =
    options.prescreen === undefined
      ? undefined
      : {
          oversample: expectNumber('prescreen.oversample', options.prescreen.oversample ?? 3, { min: 1, max: 32 }),
          minSamples: expectNumber('prescreen.minSamples', options.prescreen.minSamples ?? 2 * requested, { integer: true, min: 1 }),
          ridge: expectNumber('prescreen.ridge', options.prescreen.ridge ?? 1e-2, { above: 0 }),
        };
  const initial = (options.initialGenomes ?? []).map((g, i) => cloneGenome(validateGenome(space, g, `initialGenomes[${i}]`)));
  const fingerprint: EvolutionFingerprint = {
    space,
    population: populationSize,
    seed,
    crossoverRate,
    mutationRate,
    initialKeys: initial.map(genomeKey),
    screening: screening ?? null,
    prescreen: prescreen ?? null,
  };
  const checkpointPath = options.checkpoint?.path;

  const archive = new Map<string, Candidate<R>>();
  /** Proxy results by `${fidelity}:${key}`, in evaluation order. */
  const proxies = new Map<string, ProxyCandidate<R>>();
  const proxyKey = (fidelity: number, key: string) => `${fidelity}:${key}`;
  /** Offspring the predictor passed over, summed over completed generations. */
  let predictorRejected = 0;
  let population: string[] = [];
  let rng: Rng;
  // Generator state at the start of the generation being evaluated: a mid-generation checkpoint
  // stores it (with the previous population), so a resume breeds the very same offspring.
  let rngAtStart: RngState;
  let generation = -1;
  let resumedFrom: number | null = null;

  const writeCheckpoint = async (completed: number, rngState: RngState): Promise<void> => {
    if (!checkpointPath) return;
    const checkpoint: EvolutionCheckpoint<R> = {
      format: CHECKPOINT_FORMAT,
      version: CHECKPOINT_VERSION,
      fingerprint,
      generation: completed,
      rng: rngState,
      population,
      archive: [...archive.values()],
      proxies: [...proxies.values()],
      predictorRejected,
    };
    await saveCheckpoint(checkpointPath, checkpoint);
  };

  /** Evaluates the genomes not yet scored at `fidelity` (1: the archive), in chunks; checkpoints after each chunk. */
  const evaluateNew = async (genomes: Genome[], gen: number, fidelity = 1): Promise<number> => {
    const fresh: Genome[] = [];
    const seen = new Set<string>();
    const scored = (key: string) => (fidelity === 1 ? archive.has(key) : proxies.has(proxyKey(fidelity, key)));
    for (const g of genomes) {
      const key = genomeKey(g);
      if (!scored(key) && !seen.has(key)) {
        seen.add(key);
        fresh.push(g);
      }
    }
    const chunks: Genome[][] = [];
    for (let i = 0; i < fresh.length; i += chunkSize) chunks.push(fresh.slice(i, i + chunkSize));
    // Up to `concurrency` evaluate() calls run at once (a job queue's workers); results are
    // committed in chunk order whatever order they finish in, so the archive, the checkpoints and
    // everything after them are the same as with one call at a time.
    const inFlight: Array<Promise<R[]>> = [];
    let launched = 0;
    const launch = (upTo: number) => {
      for (; launched < Math.min(chunks.length, upTo); launched++) {
        const genomesOfChunk = chunks[launched].map(cloneGenome);
        const p = (async () => evaluate(genomesOfChunk, { generation: gen, signal, fidelity }))();
        // Awaited in order below; a rejection before its turn must not count as unhandled.
        p.catch(() => {});
        inFlight[launched] = p;
      }
    };
    let done = 0;
    for (let c = 0; c < chunks.length; c++) {
      if (signal?.aborted) throw cancelled(gen - 1, checkpointPath);
      launch(c + concurrency);
      const chunk = chunks[c];
      const results = await inFlight[c];
      if (!Array.isArray(results) || results.length !== chunk.length)
        throw invalid('evaluate() result', `an array of ${chunk.length} results`, results);
      chunk.forEach((g, i) => checkResult(results[i], genomeKey(g)));
      chunk.forEach((g, i) => {
        const key = genomeKey(g);
        if (fidelity === 1) archive.set(key, { key, genome: cloneGenome(g), result: results[i], generation: gen });
        else proxies.set(proxyKey(fidelity, key), { key, genome: cloneGenome(g), fidelity, result: results[i], generation: gen });
      });
      done += chunk.length;
      delete inFlight[c];
      // Only needed when the generation is not finished: its end writes a full checkpoint anyway.
      if (done < fresh.length || signal?.aborted) await writeCheckpoint(gen - 1, rngAtStart);
      if (onEvaluated) await onEvaluated({ generation: gen, generations, done, total: fresh.length, archiveSize: archive.size, elapsedMs: Date.now() - started });
    }
    if (signal?.aborted) throw cancelled(gen - 1, checkpointPath);
    return fresh.length;
  };

  const objectivesOf = (keys: string[]) => keys.map((k) => objectiveVector(archive.get(k)!.result));
  const select = (keys: string[]): string[] => environmentalSelection(objectivesOf(keys), populationSize).map((i) => keys[i]);

  /**
   * The screen of generation `gen`'s fresh offspring: rung by rung, the survivors of the last
   * rung are scored at the next fidelity; returns the genomes that survive every rung.
   */
  const screen = async (fresh: Genome[], gen: number): Promise<Genome[]> => {
    if (!screening || fresh.length === 0) return fresh;
    // The front it is judged against: full evaluations of earlier generations only, so a resumed
    // run (which may hold some of this generation's full results) screens exactly alike.
    const front = paretoFront([...archive.values()].filter((c) => c.generation < gen));
    let alive = fresh;
    for (const fidelity of screening.fidelities) {
      await evaluateNew(alive, gen, fidelity);
      const n = Math.max(1, Math.round(fidelity * screening.images));
      const results = alive.map((g) => proxies.get(proxyKey(fidelity, genomeKey(g)))!.result);
      const reachable = alive.filter((_, i) => {
        const r = results[i];
        const upper = wilsonUpper(r.accuracy, n, screening.z);
        return !front.some((f) => f.result.accuracy >= upper && f.result.edap <= r.edap && (f.result.accuracy > upper || f.result.edap < r.edap));
      });
      const cap = Math.max(1, Math.ceil(screening.keep * alive.length));
      if (reachable.length > cap) {
        const points = reachable.map((g) => objectiveVector(proxies.get(proxyKey(fidelity, genomeKey(g)))!.result));
        const kept = new Set(environmentalSelection(points, cap));
        alive = reachable.filter((_, i) => kept.has(i));
      } else alive = reachable;
      if (alive.length === 0) break;
    }
    return alive;
  };

  /** The predictor pre-screen: the `count` fresh offspring the additive model ranks best. */
  const predictorPick = (fresh: Genome[], count: number, gen: number): Genome[] => {
    const known = [...archive.values()].filter((c) => c.generation < gen);
    if (!prescreen || fresh.length <= count || known.length < prescreen.minSamples) return fresh;
    const genomes = known.map((c) => c.genome);
    const accuracy = GenePredictor.fit(space, genomes, known.map((c) => c.result.accuracy), prescreen.ridge);
    const logEdap = GenePredictor.fit(space, genomes, known.map((c) => Math.log(Math.max(c.result.edap, 1e-300))), prescreen.ridge);
    const points = fresh.map((g) => [-accuracy.predict(g), logEdap.predict(g)]);
    const kept = new Set(environmentalSelection(points, Math.max(0, count)));
    return fresh.filter((_, i) => kept.has(i));
  };

  const finishGeneration = async (gen: number, evaluated: number, cacheHits: number, screenedOut = 0, prescreenedOut = 0): Promise<void> => {
    generation = gen;
    predictorRejected += prescreenedOut;
    await writeCheckpoint(gen, rng.state());
    if (onGeneration) {
      await onGeneration({
        generation: gen,
        generations,
        evaluated,
        cacheHits,
        screenedOut,
        prescreenedOut,
        archiveSize: archive.size,
        population: population.map((k) => archive.get(k)!),
        front: paretoFront([...archive.values()]),
        elapsedMs: Date.now() - started,
        resumedFrom,
      });
    }
    if (signal?.aborted && gen < generations) throw cancelled(gen, checkpointPath);
  };

  const saved = checkpointPath && options.checkpoint?.resume ? await loadCheckpoint<R>(checkpointPath) : null;
  if (saved) {
    const diffs = fingerprintDifferences(saved.fingerprint, fingerprint);
    if (diffs.length)
      throw new NaxError(ErrorCodes.config, `cannot resume from ${checkpointPath}: it was written by a run with other settings (${diffs.join('; ')})`);
    for (const c of saved.archive) archive.set(c.key, { key: c.key, genome: validateGenome(space, c.genome, `checkpoint genome ${c.key}`), result: c.result, generation: c.generation });
    for (const c of saved.proxies ?? [])
      proxies.set(proxyKey(c.fidelity, c.key), { key: c.key, genome: validateGenome(space, c.genome, `checkpoint proxy genome ${c.key}`), fidelity: c.fidelity, result: c.result, generation: c.generation });
    if (!saved.population.every((k) => archive.has(k)))
      throw new NaxError(ErrorCodes.io, `checkpoint ${checkpointPath} lists population members missing from its archive`);
    population = saved.population.slice();
    predictorRejected = saved.predictorRejected ?? 0;
    rng = Rng.fromState(saved.rng);
    generation = saved.generation;
    resumedFrom = saved.generation;
  } else {
    rng = new Rng(seed);
  }

  if (generation < 0) {
    if (signal?.aborted) throw cancelled(-1, checkpointPath);
    rngAtStart = rng.state();
    const genomes: Genome[] = [];
    const keys = new Set<string>();
    for (const g of initial) {
      const key = genomeKey(g);
      if (!keys.has(key)) {
        keys.add(key);
        genomes.push(g);
      }
    }
    // Random distinct genomes up to the population size; the attempt cap only matters when the
    // space is barely larger than the population.
    for (let attempts = 0; genomes.length < populationSize && attempts < 1000 * populationSize; attempts++) {
      const g = randomGenome(space, rng);
      const key = genomeKey(g);
      if (!keys.has(key)) {
        keys.add(key);
        genomes.push(g);
      }
    }
    const evaluated = await evaluateNew(genomes, 0);
    population = select(genomes.map(genomeKey));
    await finishGeneration(0, evaluated, 0);
  }

  for (let gen = generation + 1; gen <= generations; gen++) {
    if (signal?.aborted) throw cancelled(gen - 1, checkpointPath);
    rngAtStart = rng.state();
    const parents = population.map((k) => archive.get(k)!.genome);
    const ranked = rankAndCrowd(objectivesOf(population));
    // Novelty is judged against what earlier generations evaluated, not against this
    // generation's own results a resumed run already holds, so both breed alike.
    const earlier = new Set([...archive.values()].filter((c) => c.generation < gen).map((c) => c.key));
    // Candidates an earlier generation's screen ruled out count as seen: they are not bred again as novel.
    const ruledOut = new Set([...proxies.values()].filter((p) => p.generation < gen && !archive.has(p.key)).map((p) => p.key));
    const perGeneration = screening ? Math.round(screening.oversample * populationSize) : populationSize;
    const offspringCount = prescreen ? Math.round(prescreen.oversample * perGeneration) : perGeneration;
    const bred = breed(parents, ranked, rng, offspringCount, ruledOut.size ? new Set([...earlier, ...ruledOut]) : earlier, new Set(population), (g) => mutateGenome(space, g, rng, { rate: mutationRate }), crossoverRate);
    const cacheHits = bred.filter((g) => earlier.has(genomeKey(g))).length;
    const bredFresh = bred.filter((g) => !earlier.has(genomeKey(g)));
    const fresh = predictorPick(bredFresh, perGeneration - cacheHits, gen);
    const survivors = new Set((await screen(fresh, gen)).map(genomeKey));
    const offspring = bred.filter((g) => earlier.has(genomeKey(g)) || survivors.has(genomeKey(g)));
    const evaluated = await evaluateNew(offspring, gen);
    const pool = [...population];
    const inPool = new Set(pool);
    for (const g of offspring) {
      const key = genomeKey(g);
      if (!inPool.has(key)) {
        inPool.add(key);
        pool.push(key);
      }
    }
    population = select(pool);
    await finishGeneration(gen, evaluated, cacheHits, fresh.length - survivors.size, bredFresh.length - fresh.length);
  }

  const all = [...archive.values()];
  return {
    seed,
    generations: generation,
    population: population.map((k) => archive.get(k)!),
    front: paretoFront(all),
    archive: all,
    evaluations: all.length,
    proxies: [...proxies.values()],
    screening: { ...screeningStats(all, [...proxies.values()]), predictorRejected },
  };
}

/** Full evaluations, proxy evaluations per rung, the full evaluations saved, and the cost in full-evaluation equivalents. */
export function screeningStats(archive: ReadonlyArray<{ key: string }>, proxies: ReadonlyArray<{ key: string; fidelity: number }>): ScreeningStats {
  const full = new Set(archive.map((c) => c.key));
  const proxyEvaluations: Record<string, number> = {};
  let cost = full.size;
  const ruledOut = new Set<string>();
  for (const p of proxies) {
    proxyEvaluations[String(p.fidelity)] = (proxyEvaluations[String(p.fidelity)] ?? 0) + 1;
    cost += p.fidelity;
    if (!full.has(p.key)) ruledOut.add(p.key);
  }
  return { fullEvaluations: full.size, proxyEvaluations, savedFullEvaluations: ruledOut.size, predictorRejected: 0, fullEvaluationEquivalents: cost };
}

/**
 * `count` offspring distinct from the population and from each other. First tries for genomes
 * never evaluated; when the space is nearly exhausted it accepts archived ones (cache hits).
 */
function breed(
  parents: Genome[],
  ranked: ReturnType<typeof rankAndCrowd>,
  rng: Rng,
  count: number,
  archived: Set<string>,
  population: Set<string>,
  mutate: (g: Genome) => Genome,
  crossoverRate: number,
): Genome[] {
  const children: Genome[] = [];
  const taken = new Set<string>();
  const budget = 20 * count;
  for (let attempt = 0; children.length < count && attempt < 2 * budget; attempt++) {
    const novelOnly = attempt < budget;
    const a = parents[binaryTournament(rng, ranked)];
    const b = parents[binaryTournament(rng, ranked)];
    const pair = rng.chance(crossoverRate) ? uniformCrossover(a, b, rng) : [cloneGenome(a), cloneGenome(b)];
    for (const child of pair.map(mutate)) {
      if (children.length >= count) break;
      const key = genomeKey(child);
      if (taken.has(key) || population.has(key) || (novelOnly && archived.has(key))) continue;
      taken.add(key);
      children.push(child);
    }
  }
  return children;
}
