/**
 * `evolve()`: the co-design pipeline behind `npx nax-native evolve`.
 *
 * 1. Data: the training split minus a stratified, seeded validation hold-out; the test split.
 * 2. Supernet: elastic-kernel ResNet trained single-path one-shot on the training images; its
 *    checkpoint lives in the output folder (keyed by the settings that shape it), so reruns and
 *    --resume skip finished epochs.
 * 3. Search: NSGA-II over (kernel, crossbar) per layer; each new genome is evaluated once (cache by
 *    genome key): subnet + BN recalibration -> ONNX -> crossbar-mode executor on the validation
 *    images (non-idealities on) -> accuracy; same lowered layers + mapping -> cost model -> EDAP.
 *    The homogeneous baselines (smallest kernel, e.g. 3x3, on each crossbar size) are part of the
 *    initial population, so they are scored by exactly the same path. Every generation (and every
 *    evaluated candidate) is checkpointed atomically.
 * 4. Final: the chosen model (lowest EDAP at >= the best baseline's validation accuracy), the
 *    scalarised pick and the most accurate Pareto model are fine-tuned briefly as fixed subnets;
 *    the baseline network gets the same fine-tuning. All are scored on the TEST split, ideal and
 *    non-ideal; non-ideal on `evaluation.chips` device instances (the same chips and images for
 *    every model), so the claim against the best baseline is a paired test over chips and images.
 *    Written as ONNX + mapping JSON with results.json and report.html.
 */
import * as fs from 'fs';
import { prepareOutputDir } from '../out-dir';
import * as path from 'path';
import { NaxError, ErrorCodes } from '../errors';
import { randomUUID } from 'crypto';
import { loadDataset } from '../data';
import { trainModel, TrainModel, type NetworkSpec, type TrainProgress } from '../train';
import { genomeKey, type Genome } from '../search/genome';
import { paretoFront } from '../search/pareto';
import { chooseModel, scalarizedPick, type ChosenModel } from './choose';
import { runEvolution, type Candidate, type EvolutionResult } from '../search/evolution';
import { writeFileAtomic } from '../search/checkpoint';
import { genomeMapping, homogeneousGenome, subnetKernels, type CandidateResult, type GenomeLayout } from './candidate';
import { costGreedySeed } from './cost-seed';
import { imageSet, imageSetHash, loadTrainSplit, searchEvaluator, searchNetwork, searchSplits, type SearchSplits } from './search-inputs';
import { publishRunInputs, type CandidatePayload } from './worker';
import { probeQueue, resolveQueueConnection, QueueCoordinator, type QueueOptions, type QueueRunStats } from '../queue';
import { resolveEvolveOptions, type EvolveConfig, type EvolveOptionsInput } from './evolve-options';
import { buildResults, describeAccuracyComparison, type EvolveResults, type FinalModel, type TestScores } from './results';
import { type ChipsClassifyResult, chipAccuracies } from '../runtime/classify';
import type { NetworkCost } from '../hardware';
import { writeOutputs } from './outputs';
import { layerSensitivity, type LayerSensitivity } from './layer-sensitivity';
import { firstImages } from './candidate';
import { TEST_CKPT, TestCheckpoint } from './test-checkpoint';
import type { PreparedSubnet } from './candidate';
import type { CrossbarMapping } from '../plan/mapping';

export type EvolvePhase = 'data' | 'supernet' | 'search' | 'final' | 'report';

/** Progress of a running evolve(): one event per training step, evaluated candidate, final model. */
export interface EvolveProgress {
  phase: EvolvePhase;
  /** Units done / in all within the phase (training steps, candidates, final models). */
  done: number;
  total: number;
  /** Seconds since evolve() started. */
  elapsedSeconds: number;
  /** Estimated seconds until the whole run ends (null until there is a rate to go by). */
  etaSeconds: number | null;
  message: string;
  /** Search phase: the generation being evaluated (0 = initial population). */
  generation?: number;
  generations?: number;
}

export interface EvolveOptions extends EvolveOptionsInput {
  /** Continue from the checkpoints in the output folder (refused if they came from other settings). */
  resume?: boolean;
  signal?: AbortSignal;
  onProgress?: (event: EvolveProgress) => void;
  /** One-line log messages (default: none). */
  log?: (line: string) => void;
  /** Write results.json, report.html and models to the output folder (default true). */
  write?: boolean;
  /**
   * Evaluate the search's candidates on a job queue (BullMQ on Redis) instead of in this
   * process: each generation's new candidates become jobs that any number of `nax-native worker`
   * processes (runWorker()) evaluate. The result is bit-identical to a local run.
   */
  queue?: QueueOptions | string;
}

const SUPERNET_CKPT = 'supernet.ckpt';
const SUPERNET_META = 'supernet.json';
const EVOLUTION_CKPT = 'evolution-checkpoint.json';
const RUN_META = 'run.json';

/** The settings an evolution checkpoint depends on beyond what runEvolution fingerprints itself. */
function runFingerprint(c: EvolveConfig) {
  return {
    dataset: c.dataset,
    dataPath: c.dataPath ?? null,
    kernels: c.kernels,
    crossbars: c.crossbars,
    // Added with the column/ADC genes and the screen; absent when unused, so older runs still resume.
    ...(c.cols ? { cols: c.cols } : {}),
    ...(c.adcBitsGene ? { adcBitsGene: c.adcBitsGene } : {}),
    ...(c.screening ? { screening: c.screening } : {}),
    ...(c.prescreen ? { prescreen: c.prescreen } : {}),
    seed: c.seed,
    device: c.device,
    hardware: c.hardware,
    network: c.network,
    supernet: c.supernet,
    // The test split, its chip count and the sensitivity study are read after the search only.
    evaluation: { ...c.evaluation, testImages: undefined, chips: undefined, sensitivityImages: undefined },
  };
}

function supernetFingerprint(c: EvolveConfig, spec: NetworkSpec) {
  return { dataset: c.dataset, dataPath: c.dataPath ?? null, arch: spec.arch, network: c.network, kernels: c.kernels, seed: c.seed, supernet: c.supernet, validationImages: c.evaluation.validationImages };
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

function differences(saved: Record<string, unknown>, wanted: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const key of Object.keys(wanted)) if (JSON.stringify(saved?.[key]) !== JSON.stringify(wanted[key])) out.push(key);
  return out;
}

/** Rolling estimate of the run's remaining seconds from measured rates. */
class EtaModel {
  stepSeconds: number | null = null;
  candidateSeconds: number | null = null;
  remainingSteps = 0;
  remainingCandidates = 0;
  /** Final phase, in candidate-evaluation equivalents (crossbar runs on test images + fine-tuning). */
  finalUnits = 0;
  remainingFinal = 1;
  seconds(): number | null {
    const step = this.stepSeconds;
    const cand = this.candidateSeconds;
    if (step === null && this.remainingSteps > 0) return null;
    if (cand === null) return null;
    return (step ?? 0) * this.remainingSteps + cand * (this.remainingCandidates + this.finalUnits * this.remainingFinal);
  }
}

export async function evolve(options: EvolveOptions = {}): Promise<EvolveResults> {
  const started = Date.now();
  const { signal, onProgress } = options;
  const log = options.log ?? (() => {});
  const { resume, signal: _s, onProgress: _p, log: _l, write, queue, ...rest } = options;
  const config = resolveEvolveOptions(rest);
  // A bad queue URL or an unreachable Redis fails here, before any data or training.
  const queueConnection = queue !== undefined ? resolveQueueConnection(queue) : undefined;
  if (queueConnection) await probeQueue(queueConnection);
  const outDir = prepareOutputDir(config.outDir, 'outDir (--out)');
  const eta = new EtaModel();
  const timings: Record<string, number> = {};
  const emit = (e: Omit<EvolveProgress, 'elapsedSeconds' | 'etaSeconds'>) =>
    onProgress?.({ ...e, elapsedSeconds: (Date.now() - started) / 1000, etaSeconds: eta.seconds() });
  const checkAbort = (where: string) => {
    if (signal?.aborted) throw new NaxError(ErrorCodes.cancelled, `evolve cancelled during ${where}; rerun with --resume to continue from ${outDir}`);
  };

  // ---- run settings vs. an existing run in the folder --------------------------------------
  const fingerprint = runFingerprint(config);
  const metaFile = path.join(outDir, RUN_META);
  const evolutionFile = path.join(outDir, EVOLUTION_CKPT);
  // The run id names this run's jobs on a queue; a resumed run keeps it, so it finds its jobs.
  let runId: string = randomUUID();
  if (resume) {
    // Everything is validated before anything in the folder is written or deleted: a folder
    // without its own run record, or with a corrupt one, is refused (never silently restarted).
    if (!fs.existsSync(metaFile))
      throw new NaxError(
        ErrorCodes.config,
        `cannot resume in ${outDir}: it holds no nax-native run (no ${RUN_META}${fs.existsSync(path.join(outDir, SUPERNET_CKPT)) ? `, although ${SUPERNET_CKPT} is there: its settings are unknown` : ''}); rerun without --resume to start a new run there`,
      );
    const saved = readJson(metaFile) as { fingerprint?: Record<string, unknown>; runId?: string } | undefined;
    if (!saved || typeof saved.fingerprint !== 'object' || saved.fingerprint === null)
      throw new NaxError(
        ErrorCodes.config,
        `cannot resume in ${outDir}: ${RUN_META} is corrupt (not a run record), so the run's settings are unknown; rerun without --resume to start over`,
      );
    const diffs = differences(saved.fingerprint, fingerprint);
    if (diffs.length)
      throw new NaxError(ErrorCodes.config, `cannot resume the run in ${outDir}: it used other settings for ${diffs.join(', ')} (rerun without --resume to start over)`);
    if (typeof saved.runId === 'string') runId = saved.runId;
  } else if (fs.existsSync(evolutionFile)) fs.rmSync(evolutionFile);
  await writeFileAtomic(metaFile, JSON.stringify({ fingerprint, runId, population: config.population, generations: config.generations }, null, 2));

  // ---- 1. data ------------------------------------------------------------------------------
  emit({ phase: 'data', done: 0, total: 1, message: `loading ${config.dataset}` });
  let t = Date.now();
  // The splits are copies: of the whole training split only its shape and classes outlive this
  // (inner function: nothing in evolve's frame holds it), so its float images (188 MB for
  // MNIST's 60,000) are freed before the supernet trains.
  const { splits, train, test } = await (async () => {
    const [full, testSplit] = await Promise.all([
      loadTrainSplit(config),
      loadDataset({ name: config.dataset, split: 'test', path: config.dataPath, limit: config.evaluation.testImages }),
    ]);
    return { splits: searchSplits(config, full), train: { shape: full.shape, classes: full.classes }, test: testSplit };
  })();
  // sets.trainSet (the supernet's training images) is dropped once the supernet is trained and
  // the evaluator holds its own calibration prefix (searchEvaluator), so nothing keeps it after.
  const sets: Partial<Pick<SearchSplits, 'trainSet'>> & Omit<SearchSplits, 'trainSet'> = splits;
  const { finetuneSet, validationSet } = sets;
  const testSet = imageSet(test);
  timings.dataSeconds = (Date.now() - t) / 1000;
  log(`data: ${config.dataset}, ${sets.trainSet!.count} training images, ${validationSet.count} validation (held out), ${testSet.count} test`);
  checkAbort('data loading');

  // ---- 2. supernet --------------------------------------------------------------------------
  const spec = searchNetwork(config, train);
  const supernet = new TrainModel(spec, { seed: config.seed, threads: config.threads });
  const stepsPerEpoch = Math.floor(sets.trainSet!.count / config.supernet.batchSize);
  const totalSteps = stepsPerEpoch * config.supernet.epochs;
  const snFingerprint = supernetFingerprint(config, spec);
  const snMeta = readJson(path.join(outDir, SUPERNET_META)) as { fingerprint?: Record<string, unknown>; complete?: boolean; history?: unknown } | undefined;
  const snCkpt = path.join(outDir, SUPERNET_CKPT);
  const snMatches = !!snMeta?.fingerprint && differences(snMeta.fingerprint, snFingerprint).length === 0 && fs.existsSync(snCkpt);
  if (resume && !snMatches && fs.existsSync(snCkpt))
    throw new NaxError(
      ErrorCodes.config,
      `cannot resume in ${outDir}: ${SUPERNET_CKPT} does not match the run's supernet settings (${snMeta ? `${SUPERNET_META} differs` : `${SUPERNET_META} is missing or corrupt`}); rerun without --resume to retrain it`,
    );
  if (!snMatches && fs.existsSync(snCkpt)) fs.rmSync(snCkpt);
  await writeFileAtomic(path.join(outDir, SUPERNET_META), JSON.stringify({ fingerprint: snFingerprint, complete: false }, null, 2));
  eta.remainingSteps = totalSteps;
  // A-priori guess until candidates are measured: one candidate ~ a few training steps.
  t = Date.now();
  let lastStepTime = Date.now();
  let trainedSteps = 0;
  const train0 = await trainModel(supernet, sets.trainSet!, {
    epochs: config.supernet.epochs,
    batchSize: config.supernet.batchSize,
    lr: config.supernet.lr,
    seed: config.seed,
    supernet: true,
    augment: config.dataset === 'cifar10' ? { pad: 4, flip: true } : undefined,
    checkpoint: snCkpt,
    resume: true,
    signal,
    onProgress: (p: TrainProgress) => {
      const now = Date.now();
      const done = (p.epoch - 1) * p.stepsPerEpoch + p.step;
      trainedSteps++;
      const dt = (now - lastStepTime) / 1000;
      lastStepTime = now;
      eta.stepSeconds = eta.stepSeconds === null ? dt : 0.9 * eta.stepSeconds + 0.1 * dt;
      eta.remainingSteps = totalSteps - done;
      if (eta.candidateSeconds === null) eta.candidateSeconds = 6 * eta.stepSeconds;
      eta.remainingCandidates = config.population * (config.generations + 1);
      eta.finalUnits = 2 + config.finetune.models * 2;
      emit({ phase: 'supernet', done, total: totalSteps, message: `supernet epoch ${p.epoch}/${p.epochs}, loss ${p.loss.toFixed(3)}, acc ${(100 * p.accuracy).toFixed(1)}%` });
    },
  }).catch((err) => {
    if ((err as NaxError).code === ErrorCodes.cancelled) checkAbort('supernet training (finished epochs are checkpointed)');
    throw err;
  });
  timings.supernetSeconds = (Date.now() - t) / 1000;
  eta.remainingSteps = 0;
  await writeFileAtomic(path.join(outDir, SUPERNET_META), JSON.stringify({ fingerprint: snFingerprint, complete: true, history: train0.epochs }, null, 2));
  log(`supernet: ${train0.epochs.length} epochs (${trainedSteps} steps run now), last train accuracy ${(100 * (train0.epochs.at(-1)?.trainAccuracy ?? 0)).toFixed(2)}%`);
  checkAbort('supernet training');

  // ---- 3. search ----------------------------------------------------------------------------
  const { layout, evaluator } = searchEvaluator(config, supernet, sets as SearchSplits);
  const calibrationHash = queueConnection ? imageSetHash(sets.trainSet!) : '';
  delete sets.trainSet;
  const smallestKernel = config.kernels.includes(3) ? 3 : config.kernels[0];
  /** Validation images of a screening rung (undefined: all of them). */
  const screeningImages = (fidelity: number): number | undefined => (fidelity < 1 ? Math.max(1, Math.round(fidelity * validationSet.count)) : undefined);
  const baselineGenomes = config.crossbars.map((x) => homogeneousGenome(layout.space, x, smallestKernel));
  // The cost-greedy seed (cost-seed.ts) joins the baselines in generation 0 when it differs from them.
  const seedStarted = Date.now();
  const costSeed = await costGreedySeed(layout.space, baselineGenomes, (g) => evaluator.edap(g), { signal }).catch((err) => {
    if ((err as NaxError).code === ErrorCodes.cancelled) checkAbort('the cost-greedy seed');
    throw err;
  });
  timings.costSeedSeconds = (Date.now() - seedStarted) / 1000;
  const costSeedKey = genomeKey(costSeed.genome);
  const costSeedIsNew = !baselineGenomes.some((g) => genomeKey(g) === costSeedKey);
  const initialGenomes = costSeedIsNew ? [...baselineGenomes, costSeed.genome] : baselineGenomes;
  log(
    `cost-greedy seed: ${costSeedIsNew ? costSeedKey : `${costSeedKey} (a baseline: no single-layer change lowers its EDAP)`}, EDAP ${costSeed.edap.toExponential(3)}, ` +
      `${(100 * (1 - costSeed.edap / costSeed.startEdap)).toFixed(1)}% below ${genomeKey(costSeed.start)} (${costSeed.probes} cost-model probes, ${timings.costSeedSeconds.toFixed(1)} s)`,
  );
  const generationTotal = config.population;
  const candidateSeconds: Record<string, number> = {};
  eta.remainingCandidates = config.population * (config.generations + 1);
  let evaluatedNow = 0;
  t = Date.now();

  // On a queue: publish the run's inputs once (supernet checkpoint and run config, by content
  // hash); every new candidate becomes a job; all of a generation's jobs are in flight at once and
  // their results are committed in genome order, so the run is the local run, bit for bit.
  let coordinator: QueueCoordinator | undefined;
  let configHash = '';
  let queueGeneration: (generation: number) => void = () => {};
  let queueStats: QueueRunStats | undefined;
  if (queueConnection) {
    coordinator = await QueueCoordinator.open(queueConnection, { runId });
    configHash = await publishRunInputs(coordinator, config, fs.readFileSync(snCkpt), {
      calibration: calibrationHash,
      validation: imageSetHash(validationSet),
    });
    log(`queue: run ${runId} on ${queueConnection.target}, inputs ${configHash.slice(0, 12)}...; start workers with: nax-native worker --queue ${queueConnection.target}`);
    let generationDone = 0;
    let generationOf = 0;
    coordinator.onOutcome = (outcome, progress) => {
      candidateSeconds[outcome.key] = outcome.seconds;
      evaluatedNow++;
      if (progress.perMinute !== null) eta.candidateSeconds = 60 / progress.perMinute;
      eta.remainingCandidates = Math.max(0, eta.remainingCandidates - 1);
      const workers = progress.workers.map((w) => `${w.id} ${w.perMinute.toFixed(1)}`).join(', ');
      generationDone++;
      emit({
        phase: 'search', done: Math.min(generationOf * generationTotal + generationDone, (config.generations + 1) * generationTotal), total: (config.generations + 1) * generationTotal,
        generation: generationOf, generations: config.generations,
        message: `gen ${generationOf}/${config.generations}: ${progress.done} done, ${progress.outstanding} queued; ${progress.workers.length} worker(s), ${(progress.perMinute ?? 0).toFixed(1)}/min${workers ? ' (' + workers + ')' : ''}`,
      });
    };
    queueGeneration = (g) => {
      if (g !== generationOf) generationDone = 0;
      generationOf = g;
    };
  }
  const evaluateLocally = async (genomes: Genome[], ctx: { generation: number; fidelity: number }): Promise<CandidateResult[]> => {
    const results: CandidateResult[] = [];
    for (const g of genomes) {
      const t0 = Date.now();
      results.push(await evaluator.evaluate(g, signal, screeningImages(ctx.fidelity)));
      const dt = (Date.now() - t0) / 1000;
      // Screening rungs are not timed as candidates (they would make the ETA optimistic).
      if (ctx.fidelity < 1) continue;
      candidateSeconds[genomeKey(g)] = dt;
      evaluatedNow++;
      eta.candidateSeconds = evaluatedNow === 1 ? dt : 0.8 * (eta.candidateSeconds ?? dt) + 0.2 * dt;
      eta.remainingCandidates = Math.max(0, (config.generations - ctx.generation + 1) * config.population - 1);
    }
    return results;
  };
  const evaluateOnQueue = async (genomes: Genome[], ctx: { generation: number; fidelity: number }): Promise<CandidateResult[]> => {
    queueGeneration(ctx.generation);
    const images = screeningImages(ctx.fidelity);
    return Promise.all(
      genomes.map(async (genome) => {
        const payload: CandidatePayload = { genome, generation: ctx.generation, ...(images !== undefined ? { validationImages: images } : {}) };
        // A screening rung is its own job (its own key), so its result never stands in for the full one.
        const jobKey = images !== undefined ? `${genomeKey(genome)}@${images}` : genomeKey(genome);
        const outcome = await coordinator!.evaluate<CandidatePayload, CandidateResult>(jobKey, payload, { configHash, signal });
        return outcome.result;
      }),
    );
  };
  const evolution: EvolutionResult<CandidateResult> = await runEvolution<CandidateResult>({
    ...(config.screening ? { screening: { ...config.screening, images: validationSet.count } } : {}),
    ...(config.prescreen ? { prescreen: config.prescreen } : {}),
    space: layout.space,
    population: config.population,
    generations: config.generations,
    seed: config.seed,
    initialGenomes,
    evaluationChunk: 1,
    concurrency: coordinator ? Infinity : 1,
    signal,
    checkpoint: { path: evolutionFile, resume: !!resume },
    evaluate: coordinator ? evaluateOnQueue : evaluateLocally,
    onEvaluated: (e) => {
      // On a queue the coordinator reports each outcome as it arrives (onOutcome above).
      if (coordinator) return;
      emit({
        phase: 'search', done: e.generation * generationTotal + e.done, total: (config.generations + 1) * generationTotal,
        generation: e.generation, generations: config.generations, message: `generation ${e.generation}/${config.generations}: ${e.done}/${e.total} new, ${e.archiveSize} evaluated`,
      });
    },
    onGeneration: (e) => {
      eta.remainingCandidates = (config.generations - e.generation) * config.population;
      const best = e.front[e.front.length - 1];
      log(`generation ${e.generation}/${e.generations}: ${e.evaluated} evaluated, ${e.cacheHits} cache hits, archive ${e.archiveSize}, front ${e.front.length}` +
        (best ? `, most accurate ${(100 * best.result.accuracy).toFixed(2)}% at EDAP ${best.result.edap.toExponential(3)}` : ''));
      if (coordinator) {
        const p = coordinator.progress();
        log(`queue: ${p.workers.length} worker(s), ${(p.perMinute ?? 0).toFixed(1)} candidates/min: ${p.workers.map((w) => `${w.id} ${w.candidates} done, ${w.perMinute.toFixed(1)}/min`).join('; ')}`);
      }
      emit({ phase: 'search', done: (e.generation + 1) * generationTotal, total: (config.generations + 1) * generationTotal, generation: e.generation, generations: config.generations, message: `generation ${e.generation}/${config.generations} done` });
    },
  }).catch(async (err) => {
    // Jobs still waiting are withdrawn; running and finished ones stay for a --resume to reuse.
    if (coordinator) await coordinator.close({ removeJobs: 'waiting' });
    if ((err as NaxError).code === ErrorCodes.cancelled) checkAbort(`the search (checkpoint ${evolutionFile})`);
    throw err;
  });
  if (coordinator) {
    queueStats = coordinator.runStats();
    // The search's results are in the evolution checkpoint now; the run's jobs are not needed.
    await coordinator.close({ removeJobs: 'all' });
    const retried = queueStats.retried.length ? `, ${queueStats.retried.length} retried after a worker was lost (${queueStats.retried.map((r) => r.key).join(', ')})` : '';
    log(`queue: ${queueStats.jobs} candidates on ${Object.keys(queueStats.workers).length} worker(s), ${queueStats.reused} reused from an earlier session${retried}`);
  }
  timings.searchSeconds = (Date.now() - t) / 1000;
  eta.remainingCandidates = 0;

  // ---- 4. fine-tune finalists and baselines, re-score on validation, choose, test -------------
  // Search-time scores come from weights inherited from the supernet. Fine-tuning moves every
  // model's accuracy and how it reacts to the device non-idealities, so the choice compares
  // fine-tuned finalists with the fine-tuned baseline network on the held-out validation split.
  // The test split is only read after the choice.
  const byKey = new Map(evolution.archive.map((c) => [c.key, c]));
  const searchBaselines = baselineGenomes.map((g) => byKey.get(genomeKey(g))!);
  const searchFront = paretoFront(evolution.archive);
  const validationCount = validationSet.count;
  const searchChosen = chooseModel(searchFront, { baselines: searchBaselines, lambda: config.lambda, images: validationCount });
  const searchScalarized = scalarizedPick(searchFront, { baselines: searchBaselines, lambda: config.lambda });
  const finalistCandidates: Array<Candidate<CandidateResult>> = [];
  const addFinalist = (c: Candidate<CandidateResult>) => {
    if (finalistCandidates.length < config.finetune.finalists && !finalistCandidates.some((f) => f.key === c.key)) finalistCandidates.push(c);
  };
  addFinalist(searchChosen.candidate);
  addFinalist(searchScalarized.candidate);
  addFinalist(searchFront[searchFront.length - 1]);
  // The rest spread evenly along the front (it is sorted by EDAP).
  const spread = Math.max(1, config.finetune.finalists - finalistCandidates.length);
  for (let i = 0; i < spread && finalistCandidates.length < config.finetune.finalists; i++)
    addFinalist(searchFront[Math.round((i * (searchFront.length - 1)) / Math.max(1, spread - 1))]);

  t = Date.now();
  const finals: FinalModel[] = [];
  const modelsDir = path.join(outDir, 'models');
  const finalTotal = finalistCandidates.length + 2;
  eta.remainingFinal = 1;
  const finalize = async (genome: Genome) => {
    checkAbort('the final fine-tuning');
    const model = await evaluator.subnetModel(genome);
    if (config.finetune.epochs > 0)
      await trainModel(model, finetuneSet, {
        epochs: config.finetune.epochs, batchSize: config.supernet.batchSize, lr: config.finetune.lr, warmupEpochs: 0, seed: config.seed + 3, signal,
      });
    return evaluator.prepareModel(model, (await model.evaluate(validationSet, config.evaluation.batchSize)).accuracy);
  };
  const rescored = (c: Candidate<CandidateResult>, accuracy: number, idealAccuracy: number): Candidate<CandidateResult> => ({
    ...c,
    result: { ...c.result, accuracy, idealAccuracy },
  });
  // Baselines: the same network (smallest kernels) fine-tuned once, then scored on each crossbar size.
  emit({ phase: 'final', done: 0, total: finalTotal, message: 'fine-tuning the baseline network' });
  const baseSub = await finalize(baselineGenomes[0]);
  const baselines: Array<Candidate<CandidateResult>> = [];
  for (const [i, genome] of baselineGenomes.entries()) {
    const run = await evaluator.crossbarRun(baseSub, genomeMapping(layout.space, genome, config.device), validationSet, signal);
    baselines.push(rescored(searchBaselines[i], run.accuracy, baseSub.idealAccuracy));
  }
  const finalistSubs = new Map<string, Awaited<ReturnType<typeof finalize>>>();
  const finalists: Array<Candidate<CandidateResult>> = [];
  for (const [i, c] of finalistCandidates.entries()) {
    emit({ phase: 'final', done: i + 1, total: finalTotal, message: `fine-tuning finalist ${i + 1}/${finalistCandidates.length} ${c.key}` });
    const sub = await finalize(c.genome);
    const run = await evaluator.crossbarRun(sub, genomeMapping(layout.space, c.genome, config.device), validationSet, signal);
    finalistSubs.set(c.key, sub);
    finalists.push(rescored(c, run.accuracy, sub.idealAccuracy));
    eta.remainingFinal = 1 - (i + 1) / finalTotal;
  }
  const front = paretoFront(finalists);
  const chosen: ChosenModel<Candidate<CandidateResult>> = chooseModel(front, { baselines, lambda: config.lambda, images: validationCount });
  const scalarized = scalarizedPick(front, { baselines, lambda: config.lambda });
  log(`finalists re-scored after fine-tuning: best baseline ${(100 * Math.max(...baselines.map((b) => b.result.accuracy))).toFixed(2)}%, chosen ${chosen.candidate.key} ${(100 * chosen.candidate.result.accuracy).toFixed(2)}% (${chosen.rule}${chosen.tolerance > 0 ? `, within one standard error, ${(100 * chosen.tolerance).toFixed(2)}%` : ''})`);
  const picks: Array<{ role: string; candidate: Candidate<CandidateResult> }> = [{ role: 'chosen', candidate: chosen.candidate }];
  const addPick = (role: string, c: Candidate<CandidateResult>) => {
    if (picks.length < config.finetune.models && !picks.some((p) => p.candidate.key === c.key)) picks.push({ role, candidate: c });
  };
  addPick('scalarized', scalarized.candidate);
  addPick('most-accurate', front[front.length - 1]);
  for (const c of front) addPick('pareto', c);

  // The test split: every final model and every baseline on the same chips 0 .. chips - 1 and the
  // same images, so the accuracy claim is a paired comparison over device instances, not one draw.
  const chips = config.evaluation.chips;
  // Where the final phase's time goes (results.json timings): fine-tuning and validation
  // re-scores, the test split over the chips, the sensitivity study.
  timings.finetuneSeconds = (Date.now() - t) / 1000;
  const testStarted = Date.now();
  const testScores = (idealAccuracy: number, run: ChipsClassifyResult, cost: NetworkCost): TestScores => ({
    idealAccuracy, accuracy: run.summary.mean, edap: cost.total.edap, chips: chipAccuracies(run),
  });
  emit({ phase: 'final', done: finalTotal - 1, total: finalTotal, message: `test split, ${chips} chip${chips > 1 ? 's' : ''}` });
  // One line per model as it finishes: this phase is the longest of a default run.
  const testModels = baselineGenomes.length + picks.length;
  let testedModels = 0;
  const testStep = (name: string): void =>
    emit({ phase: 'final', done: finalTotal - 1, total: finalTotal, message: `test split, ${chips} chip${chips > 1 ? 's' : ''}: ${name} (${testedModels + 1}/${testModels})` });
  const testDone = (name: string, run: ChipsClassifyResult, modelStarted: number, reused: 'earlier' | 'same' | false): void => {
    testedModels++;
    const { mean, std } = run.summary;
    log(`test split ${testedModels}/${testModels}: ${name} ${(100 * mean).toFixed(2)}%${std === null ? '' : ` ± ${(100 * std).toFixed(2)}%`} over ${chips} chip${chips > 1 ? 's' : ''} (${reused === 'earlier' ? `from ${TEST_CKPT}` : reused === 'same' ? 'the same ONNX and mapping as a model above: its runs' : `${((Date.now() - modelStarted) / 1000).toFixed(0)} s`})`);
  };
  // Each model's chip runs are checkpointed as they finish (test-checkpoint.json; --resume reuses them).
  const testCheckpoint = new TestCheckpoint(path.join(outDir, TEST_CKPT), resume === true);
  const testHash = imageSetHash(testSet), settings = JSON.stringify(fingerprint);
  const chipsRun = async (sub: PreparedSubnet, mapping: CrossbarMapping) => {
    const key = TestCheckpoint.key({ onnx: sub.onnx, mapping, chips, testHash, settings });
    const saved = testCheckpoint.get(key);
    if (saved) {
      const plan = evaluator.plan(sub, mapping);
      return { run: saved.run, cost: await evaluator.cost(sub, plan), plan, reused: saved.earlier ? 'earlier' as const : 'same' as const };
    }
    const result = await evaluator.crossbarChipsRun(sub, mapping, testSet, chips, signal);
    await testCheckpoint.put(key, result.run);
    return { ...result, reused: false as const };
  };
  const baselineIdeal = await evaluator.idealRun(baseSub, testSet, signal);
  const baselineFinals: FinalModel[] = [];
  for (const [i, genome] of baselineGenomes.entries()) {
    const mapping = genomeMapping(layout.space, genome, config.device);
    const modelStarted = Date.now();
    testStep(`baseline-xbar${config.crossbars[i]}`);
    const { run, cost, plan, reused } = await chipsRun(baseSub, mapping);
    testDone(`baseline-xbar${config.crossbars[i]}`, run, modelStarted, reused);
    baselineFinals.push({
      role: 'baseline', name: `baseline-xbar${config.crossbars[i]}`, key: genomeKey(genome), genome, mapping,
      validation: baselines[i].result, test: testScores(baselineIdeal, run, cost), testCorrect: run.correct,
      plan, cost, onnx: baseSub.onnx,
    });
  }
  for (const [i, pick] of picks.entries()) {
    const sub = finalistSubs.get(pick.candidate.key)!;
    const mapping = genomeMapping(layout.space, pick.candidate.genome, config.device);
    const name = i === 0 ? 'chosen' : `${pick.role}-${i}`;
    const modelStarted = Date.now();
    testStep(name);
    const ideal = await evaluator.idealRun(sub, testSet, signal);
    const { run, cost, plan, reused } = await chipsRun(sub, mapping);
    testDone(name, run, modelStarted, reused);
    finals.push({
      role: pick.role, name, key: pick.candidate.key, genome: pick.candidate.genome, mapping,
      validation: pick.candidate.result, test: testScores(ideal, run, cost), testCorrect: run.correct,
      plan, cost, onnx: sub.onnx,
    });
  }
  timings.testSeconds = (Date.now() - testStarted) / 1000;
  // Why the chosen model's choices: per-layer accuracy sensitivity (validation images, chip 0) and cost shares.
  const sensitivityStarted = Date.now();
  let sensitivity: LayerSensitivity | undefined;
  if (config.evaluation.sensitivityImages > 0) {
    checkAbort('the per-layer sensitivity');
    emit({ phase: 'final', done: finalTotal - 1, total: finalTotal, message: 'per-layer sensitivity of the chosen model' });
    const best = baselineFinals.slice().sort((a, b) => b.test.accuracy - a.test.accuracy || a.test.edap - b.test.edap)[0];
    sensitivity = await layerSensitivity(
      evaluator, finalistSubs.get(picks[0].candidate.key)!, layout, picks[0].candidate.genome, config.device,
      firstImages(validationSet, config.evaluation.sensitivityImages, spec.inputShape), best.genome.crossbars[0], signal,
    );
  }
  timings.sensitivitySeconds = (Date.now() - sensitivityStarted) / 1000;
  timings.finalSeconds = (Date.now() - t) / 1000;
  eta.remainingFinal = 0;
  emit({ phase: 'final', done: finalTotal, total: finalTotal, message: 'final models tested' });

  // ---- outputs ------------------------------------------------------------------------------
  timings.totalSeconds = (Date.now() - started) / 1000;
  const results = buildResults({
    config,
    spec,
    layout,
    evolution,
    baselines: searchBaselines,
    chosen,
    finalists: { baselines, finalists },
    scalarized,
    finals,
    baselineFinals,
    supernetHistory: train0.epochs,
    sensitivity,
    subnetKernels: (g) => subnetKernels(layout, g),
    timings: { ...timings, candidateSeconds, evaluatedThisRun: evaluatedNow, ...(queueStats ? { queue: queueStats } : {}) },
    resumed: !!resume,
    costSeed,
  });
  log(`test split, ${chips} chip(s): chosen ${(100 * results.claims.chosenAccuracy).toFixed(2)}% vs ${results.claims.bestBaseline} ${(100 * results.claims.bestBaselineAccuracy).toFixed(2)}%; ${describeAccuracyComparison(results.claims.accuracyComparison)}`);
  if (write !== false) {
    emit({ phase: 'report', done: 0, total: 1, message: 'writing results.json, report.html, models' });
    await writeOutputs(outDir, results, [...finals, ...baselineFinals], modelsDir);
  }
  log(`done in ${timings.totalSeconds.toFixed(0)} s; results in ${outDir}`);
  return results;
}
