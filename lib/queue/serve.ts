/**
 * The worker's side of the job queue: take jobs one at a time, hand each to a handler, return its
 * outcome. The job's code version must equal this build's; the handler decides everything else
 * (run inputs, evaluation). Every error a handler throws is final for that job (evaluations are
 * deterministic, so a retry would fail alike); a worker that dies mid-job (SIGKILL, power) loses
 * its lock, and BullMQ's stalled-job check on any other worker puts the job back in the queue.
 */
import * as os from 'os';
import { UnrecoverableError, Worker, type ConnectionOptions, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { NaxError, ErrorCodes, expectNumber } from '../errors';
import { asQueueConnection, probeQueue, type QueueConnection, type QueueOptions } from './connection';
import { codeVersion, encodeFailure, QUEUE_NAME, type JobEnvelope, type JobOutcome, type WorkerIdentity } from './protocol';
import { defaultWorkerId } from './coordinator';

export interface ServeContext {
  /** A Redis client for fetching the run's blobs. */
  redis: Redis;
  prefix: string;
  jobId: string;
  attemptsStarted: number;
}

export interface ServeOptions<Payload, Result> {
  queue: QueueOptions | string | QueueConnection;
  handle: (envelope: JobEnvelope<Payload>, context: ServeContext) => Promise<Result>;
  /** Stops taking jobs; the job in progress finishes first. */
  signal?: AbortSignal;
  /** Shown in the coordinator's per-worker rates (default host:pid). */
  name?: string;
  /** Native threads the handler uses (reported only). */
  threads?: number;
  /**
   * Seconds a job's lock lasts without renewal (renewed every half of it while the worker runs);
   * after a worker dies, its job is retried once the lock has expired and a stalled-job check
   * (every `lockSeconds`, on any live worker) has run. Default 30.
   */
  lockSeconds?: number;
  /** Worker deaths a job survives before it fails (default 2). */
  maxStalledCount?: number;
  onJobStart?: (envelope: JobEnvelope<Payload>, jobId: string, attemptsStarted: number) => void;
  onJobEnd?: (event: { envelope: JobEnvelope<Payload>; outcome?: JobOutcome<Result>; error?: string }) => void;
}

export interface ServeSummary {
  completed: number;
  failed: number;
}

/** Serves jobs until `signal` aborts; resolves once the worker has closed. */
export async function serveQueue<Payload, Result>(options: ServeOptions<Payload, Result>): Promise<ServeSummary> {
  const connection = asQueueConnection(options.queue);
  const lockSeconds = expectNumber('lockSeconds', options.lockSeconds ?? 30, { min: 1, max: 3600 });
  const maxStalledCount = expectNumber('maxStalledCount', options.maxStalledCount ?? 2, { integer: true, min: 0, max: 100 });
  if (options.signal?.aborted) return { completed: 0, failed: 0 };
  await probeQueue(connection);
  const identity: WorkerIdentity = { id: options.name ?? defaultWorkerId(), host: os.hostname(), pid: process.pid, threads: options.threads ?? 0 };
  const redisOptions = { ...connection.redis, maxRetriesPerRequest: null };
  const bullConnection = redisOptions as ConnectionOptions;
  const redis = new Redis(redisOptions);
  redis.on('error', () => {});
  const summary: ServeSummary = { completed: 0, failed: 0 };
  const mine = codeVersion();

  const processor = async (job: Job): Promise<JobOutcome<Result>> => {
    const envelope = job.data as JobEnvelope<Payload>;
    const started = Date.now();
    options.onJobStart?.(envelope, String(job.id), job.attemptsStarted);
    try {
      if (!envelope || typeof envelope.runId !== 'string' || typeof envelope.key !== 'string')
        throw new NaxError(ErrorCodes.invalidArgument, `expected a nax-native candidate job {runId, key, codeVersion, configHash, payload}, got ${JSON.stringify(envelope)?.slice(0, 80)}`);
      if (envelope.codeVersion !== mine)
        throw new NaxError(
          ErrorCodes.config,
          `worker ${identity.id} refuses candidate ${envelope.key} of run ${envelope.runId}: it was queued by ${envelope.codeVersion}, this worker runs ${mine} (run the same nax-native version on the coordinator and every worker)`,
        );
      const result = await options.handle(envelope, { redis, prefix: connection.prefix, jobId: String(job.id), attemptsStarted: job.attemptsStarted });
      const outcome: JobOutcome<Result> = { runId: envelope.runId, key: envelope.key, result, worker: identity, seconds: (Date.now() - started) / 1000, attemptsStarted: job.attemptsStarted };
      summary.completed++;
      options.onJobEnd?.({ envelope, outcome });
      return outcome;
    } catch (err) {
      summary.failed++;
      const reason = encodeFailure(err);
      options.onJobEnd?.({ envelope, error: reason });
      throw new UnrecoverableError(reason);
    }
  };

  const worker = new Worker(QUEUE_NAME, processor, {
    connection: bullConnection,
    prefix: connection.prefix,
    concurrency: 1,
    lockDuration: Math.round(lockSeconds * 1000),
    stalledInterval: Math.round(lockSeconds * 1000),
    maxStalledCount,
    autorun: false,
  });
  worker.on('error', () => {});
  const stopped = new Promise<void>((resolve) => {
    if (!options.signal) return;
    options.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  void worker.run();
  try {
    await worker.waitUntilReady();
    await stopped;
  } finally {
    await worker.close();
    redis.disconnect();
  }
  return summary;
}
