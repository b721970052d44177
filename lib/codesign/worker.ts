/**
 * Candidate evaluation on a job queue: what the coordinator (`evolve({ queue })`) publishes once
 * per run, and `runWorker()` (`nax-native worker`), which evaluates queued candidates.
 *
 * The run's inputs are published by content hash: the supernet checkpoint (the trainer's file,
 * byte for byte) and a run-inputs record (the resolved run config without this machine's folder
 * and thread count, the checkpoint's sha256, and the sha256 of the calibration and validation
 * images). A job names the record's hash. A worker fetches both blobs once per run (verifying
 * their hashes), refuses the job when
 *  - the job's or the record's code version is not its own build's, or
 *  - the record's hash, recomputed from the config as this worker's code resolves it, differs
 *    (its defaults or validation disagree with the coordinator's), or
 *  - the images it loads are not the coordinator's (another data set version),
 * and otherwise builds the evaluator with search-inputs.ts exactly as evolve() does and scores
 * the genome with CandidateEvaluator.evaluate(): the local code path.
 */
import { NaxError, ErrorCodes, invalid } from '../errors';
import { decodeCheckpoint, TrainModel, type ModelState } from '../train';
import { genomeKey, validateGenome, type Genome } from '../search/genome';
import type { CandidateEvaluator, CandidateResult, GenomeLayout } from './candidate';
import { resolveEvolveOptions, type EvolveConfig, type EvolveOptionsInput } from './evolve-options';
import { imageSetHash, loadTrainSplit, searchEvaluator, searchNetwork, searchSplits } from './search-inputs';
import { canonicalJson, codeVersion, fetchBlob, serveQueue, sha256, type JobEnvelope, type QueueCoordinator, type QueueOptions, type ServeContext, type ServeSummary } from '../queue';

/** A job's payload: the genome and the generation it was bred in (for logs). */
export interface CandidatePayload {
  genome: Genome;
  generation: number;
  /** A successive-halving rung: score on the first this many validation images (job key `<genome key>@<images>`). */
  validationImages?: number;
}

/** The run config as published: everything but this machine's output folder and thread count. */
export type RunConfig = Omit<EvolveConfig, 'outDir' | 'threads'>;

/** The run-inputs record a job's configHash names (published as canonical JSON). */
export interface RunInputs {
  format: 'nax-evolve-run-inputs';
  version: 1;
  codeVersion: string;
  config: RunConfig;
  /** sha256 of the supernet checkpoint blob. */
  supernet: string;
  /** sha256 of the calibration (supernet training) and validation image sets. */
  data: { calibration: string; validation: string };
}

export function runConfigOf(config: EvolveConfig): RunConfig {
  const { outDir: _o, threads: _t, ...rest } = config;
  // Through JSON, as the record travels: undefined members vanish on both sides alike.
  return JSON.parse(JSON.stringify(rest)) as RunConfig;
}

export function runInputs(config: EvolveConfig, supernetHash: string, data: RunInputs['data']): RunInputs {
  return { format: 'nax-evolve-run-inputs', version: 1, codeVersion: codeVersion(), config: runConfigOf(config), supernet: supernetHash, data };
}

/** The hash a job carries: sha256 of the record's canonical JSON. */
export function runInputsHash(inputs: RunInputs): string {
  return sha256(canonicalJson(inputs));
}

/** Publishes the supernet checkpoint and the run-inputs record; returns the record's hash (the jobs' configHash). */
export async function publishRunInputs(coordinator: QueueCoordinator, config: EvolveConfig, supernetCheckpoint: Uint8Array, data: RunInputs['data']): Promise<string> {
  const supernetHash = await coordinator.publishBlob(supernetCheckpoint);
  const inputs = runInputs(config, supernetHash, data);
  const hash = await coordinator.publishBlob(Buffer.from(canonicalJson(inputs)));
  if (hash !== runInputsHash(inputs)) throw new NaxError(ErrorCodes.internal, 'run inputs hash mismatch after publishing');
  return hash;
}

/** Names the top-level config entries that differ (for the refusal message). */
function configDifferences(a: RunConfig, b: RunConfig): string[] {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].filter((k) => canonicalJson((a as Record<string, unknown>)[k]) !== canonicalJson((b as Record<string, unknown>)[k])).sort();
}

/** A run's evaluator as a worker holds it (one per run-inputs hash). */
interface RunContext {
  configHash: string;
  layout: GenomeLayout;
  evaluator: CandidateEvaluator;
}

export interface WorkerOptions {
  queue: QueueOptions | string;
  /** Stops taking jobs; the candidate in progress finishes first. */
  signal?: AbortSignal;
  /** Native threads for evaluation (0 = all cores; results are identical for any count). */
  threads?: number;
  /** Where this machine keeps the data set (default: the coordinator's --data-path, or the built-in location). */
  dataPath?: string;
  /** Name in the coordinator's per-worker rates (default host:pid). */
  name?: string;
  /** Job lock, seconds: a dead worker's job is retried after about this long (default 30). */
  lockSeconds?: number;
  /** One-line log messages: each candidate it starts and finishes, and every refusal. */
  log?: (line: string) => void;
  /** Runs kept loaded at once (default 2). */
  runsCached?: number;
}

/**
 * Evaluates queued candidates until `signal` aborts: `nax-native worker`. Resolves with the
 * number of candidates completed and failed.
 */
export async function runWorker(options: WorkerOptions): Promise<ServeSummary> {
  if (typeof options !== 'object' || options === null) throw invalid('options', 'an object { queue, signal?, threads?, dataPath? }', options);
  if (options.queue === undefined) throw invalid('queue', 'a redis:// URL or { url, password?, tls? }', options.queue);
  if (options.dataPath !== undefined && typeof options.dataPath !== 'string') throw invalid('dataPath', 'a folder path', options.dataPath);
  const threads = options.threads ?? 0;
  const log = options.log ?? (() => {});
  const cacheLimit = options.runsCached ?? 2;
  const runs = new Map<string, Promise<RunContext>>();

  const loadRun = async (configHash: string, ctx: ServeContext): Promise<RunContext> => {
    const record = await fetchBlob(ctx.redis, ctx.prefix, configHash, 'run inputs');
    let inputs: RunInputs;
    try {
      inputs = JSON.parse(record.toString('utf8')) as RunInputs;
    } catch {
      throw new NaxError(ErrorCodes.io, `the run inputs ${configHash.slice(0, 12)}... are not JSON`);
    }
    if (inputs.format !== 'nax-evolve-run-inputs' || inputs.version !== 1) throw new NaxError(ErrorCodes.config, `expected nax-evolve-run-inputs version 1, got ${inputs.format} version ${inputs.version}`);
    if (inputs.codeVersion !== codeVersion())
      throw new NaxError(ErrorCodes.config, `this worker runs ${codeVersion()}, the run's inputs were published by ${inputs.codeVersion} (run the same nax-native version everywhere)`);
    // The config as this worker's code resolves it must hash to what the coordinator published.
    let own: EvolveConfig;
    try {
      own = resolveEvolveOptions({ ...(inputs.config as EvolveOptionsInput), threads });
    } catch (err) {
      throw new NaxError(ErrorCodes.config, `this worker cannot take the run's config: ${(err as Error).message}`, { cause: err });
    }
    const ownInputs = runInputs(own, inputs.supernet, inputs.data);
    const ownHash = runInputsHash(ownInputs);
    if (ownHash !== configHash)
      throw new NaxError(
        ErrorCodes.config,
        `run config hash mismatch: the job's is ${configHash.slice(0, 12)}..., this worker resolves the same config to ${ownHash.slice(0, 12)}... ` +
          `(differs in: ${configDifferences(ownInputs.config, inputs.config).join(', ') || 'the record format'}); run the same nax-native version everywhere`,
      );
    const train = await loadTrainSplit(own, options.dataPath ?? own.dataPath);
    const splits = searchSplits(own, train);
    const got = { calibration: imageSetHash(splits.trainSet), validation: imageSetHash(splits.validationSet) };
    if (got.calibration !== inputs.data.calibration || got.validation !== inputs.data.validation)
      throw new NaxError(
        ErrorCodes.dataset,
        `the ${own.dataset} images this worker reads${options.dataPath ?? own.dataPath ? ` from ${options.dataPath ?? own.dataPath}` : ''} are not the coordinator's ` +
          `(${got.calibration !== inputs.data.calibration ? 'calibration' : 'validation'} images differ); give --data-path the same data set files`,
      );
    const checkpoint = decodeCheckpoint<{ spec?: { nodes: unknown } }>(await fetchBlob(ctx.redis, ctx.prefix, inputs.supernet, 'supernet checkpoint'), 'the published supernet checkpoint');
    const spec = searchNetwork(own, train);
    if (canonicalJson(checkpoint.meta?.spec?.nodes) !== canonicalJson(spec.nodes))
      throw new NaxError(ErrorCodes.config, 'the published supernet checkpoint holds another network than the run config builds');
    const supernet = new TrainModel(spec, { seed: own.seed, threads });
    supernet.loadState(checkpoint.state as ModelState);
    const { layout, evaluator } = searchEvaluator(own, supernet, splits, threads);
    log(`run inputs ${configHash.slice(0, 12)}...: ${own.dataset}, ${splits.validationSet.count} validation images, supernet ${inputs.supernet.slice(0, 12)}... loaded`);
    return { configHash, layout, evaluator };
  };

  const runFor = (configHash: string, ctx: ServeContext): Promise<RunContext> => {
    let p = runs.get(configHash);
    if (!p) {
      p = loadRun(configHash, ctx);
      runs.set(configHash, p);
      // A run that failed to load is tried afresh by its next job (the cause may be transient).
      p.catch(() => runs.delete(configHash));
      while (runs.size > cacheLimit) runs.delete(runs.keys().next().value as string);
    }
    return p;
  };

  return serveQueue<CandidatePayload, CandidateResult>({
    queue: options.queue,
    signal: options.signal,
    name: options.name,
    threads,
    lockSeconds: options.lockSeconds,
    handle: async (envelope: JobEnvelope<CandidatePayload>, ctx) => {
      const run = await runFor(envelope.configHash, ctx);
      const genome = validateGenome(run.layout.space, envelope.payload?.genome, `genome of job ${ctx.jobId}`);
      const images = envelope.payload?.validationImages;
      if (images !== undefined && !(Number.isInteger(images) && images >= 1)) throw invalid(`validationImages of job ${ctx.jobId}`, 'an integer >= 1', images);
      const expectedKey = images !== undefined ? `${genomeKey(genome)}@${images}` : genomeKey(genome);
      if (expectedKey !== envelope.key) throw invalid(`genome of job ${ctx.jobId}`, `the genome of key ${envelope.key}`, expectedKey);
      return run.evaluator.evaluate(genome, undefined, images);
    },
    onJobStart: (envelope, id, attempts) =>
      log(`run ${envelope.runId?.slice(0, 8)} generation ${envelope.payload?.generation}: evaluating ${envelope.key}${attempts > 1 ? ` (attempt ${attempts}: an earlier worker was lost)` : ''}`),
    onJobEnd: ({ envelope, outcome, error }) =>
      log(
        outcome
          ? `run ${envelope.runId?.slice(0, 8)}: ${envelope.key} accuracy ${(100 * outcome.result.accuracy).toFixed(2)}%, EDAP ${outcome.result.edap.toExponential(3)} in ${outcome.seconds.toFixed(1)} s`
          : `run ${envelope?.runId?.slice(0, 8)}: ${envelope?.key} FAILED: ${error}`,
      ),
  });
}
