/**
 * The coordinator's side of the job queue: enqueue a candidate, wait for its outcome from any
 * worker. A job's id is its run id and candidate key, so enqueuing is idempotent: a resumed
 * coordinator (or a second call) finds the job already there, and a completed one hands back
 * its stored result without new work. Completion is taken from BullMQ's event stream and, as a
 * fallback that survives lost events and Redis restarts, from a periodic poll of the jobs still
 * outstanding; a job that Redis lost altogether is enqueued again.
 */
import * as os from 'os';
import { Queue, QueueEvents, type ConnectionOptions, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { NaxError, ErrorCodes } from '../errors';
import { asQueueConnection, probeQueue, type QueueConnection, type QueueOptions } from './connection';
import { publishBlob } from './blobs';
import { checkRunId, codeVersion, failureError, jobId, JOB_NAME, QUEUE_NAME, type JobEnvelope, type JobOutcome } from './protocol';

export interface WorkerStats {
  /** Candidates this worker completed for the run (reused results from an earlier session excluded). */
  candidates: number;
  /** Sum of its evaluation seconds. */
  busySeconds: number;
}

/** What the queue did for a run (recorded in results.json's timings: it differs run to run). */
export interface QueueRunStats {
  runId: string;
  target: string;
  /** Candidates sent to the queue by this session. */
  jobs: number;
  /** Of those, results an earlier session's workers had already finished (resume). */
  reused: number;
  /** Candidates whose job had to be started more than once (a worker died or lost its lock). */
  retried: Array<{ key: string; attemptsStarted: number }>;
  workers: Record<string, WorkerStats>;
}

export interface CoordinatorProgress {
  /** Outcomes received by this session (reused ones included). */
  done: number;
  /** Jobs waiting or running. */
  outstanding: number;
  /** Completed candidates per minute, by worker, since the first job was sent. */
  workers: Array<{ id: string; candidates: number; perMinute: number }>;
  /** All workers together, candidates per minute (null before the first outcome). */
  perMinute: number | null;
}

interface Waiter {
  key: string;
  envelope: JobEnvelope;
  resolve: (outcome: JobOutcome) => void;
  reject: (err: Error) => void;
  reused: boolean;
}

/** Seconds between polls of outstanding jobs (the event stream usually answers first). */
const POLL_SECONDS = 3;

export class QueueCoordinator {
  onOutcome?: (outcome: JobOutcome, progress: CoordinatorProgress) => void;
  private readonly waiters = new Map<string, Waiter>();
  private readonly sent = new Set<string>();
  private readonly stats: QueueRunStats;
  private firstSentAt: number | null = null;
  private done = 0;
  private poller: NodeJS.Timeout;
  private closed = false;

  private constructor(
    readonly runId: string,
    readonly connection: QueueConnection,
    private readonly queue: Queue,
    private readonly events: QueueEvents,
    private readonly redis: Redis,
  ) {
    this.stats = { runId, target: connection.target, jobs: 0, reused: 0, retried: [], workers: {} };
    const settle = ({ jobId: id }: { jobId: string }) => void this.settle(id);
    this.events.on('completed', settle);
    this.events.on('failed', settle);
    this.poller = setInterval(() => {
      for (const id of this.waiters.keys()) void this.settle(id);
    }, POLL_SECONDS * 1000);
    this.poller.unref();
  }

  /** Checks the URL, probes the server within its time-out, then opens the queue and its event stream. */
  static async open(queue: QueueOptions | string | QueueConnection, options: { runId: string }): Promise<QueueCoordinator> {
    const runId = checkRunId(options.runId);
    const connection = asQueueConnection(queue);
    await probeQueue(connection);
    const redisOptions = { ...connection.redis, maxRetriesPerRequest: null };
    const bullConnection = redisOptions as ConnectionOptions;
    const q = new Queue(QUEUE_NAME, { connection: bullConnection, prefix: connection.prefix });
    const events = new QueueEvents(QUEUE_NAME, { connection: bullConnection, prefix: connection.prefix });
    const redis = new Redis(redisOptions);
    for (const emitter of [q, events, redis] as Array<{ on: (e: string, f: () => void) => unknown }>) emitter.on('error', () => {});
    events.setMaxListeners(0);
    await Promise.all([q.waitUntilReady(), events.waitUntilReady()]);
    return new QueueCoordinator(runId, connection, q, events, redis);
  }

  /** Publishes an immutable input once (content-addressed); returns its sha256. */
  publishBlob(bytes: Uint8Array): Promise<string> {
    return publishBlob(this.redis, this.connection.prefix, bytes);
  }

  /** Candidates evaluated for this run so far, by worker; retries; reused results. */
  runStats(): QueueRunStats {
    return JSON.parse(JSON.stringify(this.stats)) as QueueRunStats;
  }

  progress(): CoordinatorProgress {
    const minutes = this.firstSentAt === null ? 0 : (Date.now() - this.firstSentAt) / 60000;
    const workers = Object.entries(this.stats.workers)
      .map(([id, w]) => ({ id, candidates: w.candidates, perMinute: minutes > 0 ? w.candidates / minutes : 0 }))
      .sort((a, b) => (a.id < b.id ? -1 : 1));
    const fresh = workers.reduce((a, w) => a + w.candidates, 0);
    return { done: this.done, outstanding: this.waiters.size, workers, perMinute: fresh > 0 && minutes > 0 ? fresh / minutes : null };
  }

  /**
   * Evaluates one candidate on some worker: enqueues it (unless this run already has its job),
   * then resolves with the worker's outcome. A job that failed in an earlier session is
   * enqueued again once (the cause may be fixed); one that fails now rejects with the worker's
   * error, code included.
   */
  async evaluate<Payload, Result>(key: string, payload: Payload, options: { configHash: string; signal?: AbortSignal }): Promise<JobOutcome<Result>> {
    if (this.closed) throw new NaxError(ErrorCodes.internal, 'the queue coordinator is closed');
    const id = jobId(this.runId, key);
    const envelope: JobEnvelope<Payload> = { runId: this.runId, codeVersion: codeVersion(), configHash: options.configHash, key, payload };
    if (this.firstSentAt === null) this.firstSentAt = Date.now();
    const existing = await this.queue.getJob(id);
    let reused = false;
    if (existing) {
      const state = await existing.getState();
      if (state === 'failed') await existing.remove();
      else reused = state === 'completed';
      if (state !== 'failed' && (existing.data as JobEnvelope)?.configHash !== options.configHash)
        throw new NaxError(ErrorCodes.config, `job ${id} in the queue was made for other run inputs (config ${String((existing.data as JobEnvelope)?.configHash).slice(0, 12)}..., now ${options.configHash.slice(0, 12)}...); start a fresh run instead of --resume`);
      if (state === 'failed') await this.add(id, envelope);
    } else await this.add(id, envelope);
    this.sent.add(id);
    this.stats.jobs++;
    return new Promise<JobOutcome<Result>>((resolve, reject) => {
      const onAbort = () => {
        if (this.waiters.get(id)) {
          this.waiters.delete(id);
          reject(new NaxError(ErrorCodes.cancelled, `stopped waiting for candidate ${key}`));
        }
      };
      options.signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.set(id, {
        key,
        envelope,
        reused,
        resolve: (o) => {
          options.signal?.removeEventListener('abort', onAbort);
          resolve(o as JobOutcome<Result>);
        },
        reject: (e) => {
          options.signal?.removeEventListener('abort', onAbort);
          reject(e);
        },
      });
      if (options.signal?.aborted) onAbort();
      else void this.settle(id);
    });
  }

  private async add(id: string, envelope: JobEnvelope): Promise<void> {
    // attempts 1: a thrown error is final (evaluations are deterministic); a dead worker's job is
    // retried by stalled-job detection instead (maxStalledCount on the workers).
    await this.queue.add(JOB_NAME, envelope, { jobId: id, attempts: 1, removeOnComplete: false, removeOnFail: false });
  }

  /** Looks at one outstanding job and resolves or rejects its waiter when it has finished. */
  private async settle(id: string): Promise<void> {
    const waiter = this.waiters.get(id);
    if (!waiter || this.closed) return;
    let job: Job | undefined;
    let state: string;
    try {
      // State first, then the job: read the other way round, a job completing in between shows
      // as completed without its return value.
      state = await this.queue.getJobState(id);
      job = state === 'unknown' ? undefined : ((await this.queue.getJob(id)) as Job | undefined);
      if (!job) state = 'missing';
    } catch {
      return; // Redis unreachable for now: the next poll tries again.
    }
    if (this.waiters.get(id) !== waiter) return;
    if (state === 'missing') {
      // Redis lost the job (restarted without persistence): send it again.
      try {
        await this.add(id, waiter.envelope);
      } catch {
        /* next poll */
      }
      return;
    }
    if (state === 'completed') {
      this.waiters.delete(id);
      const outcome = job!.returnvalue as JobOutcome;
      if (!outcome || outcome.runId !== this.runId || outcome.key !== waiter.key) {
        waiter.reject(new NaxError(ErrorCodes.internal, `job ${id} returned an outcome for run ${outcome?.runId} candidate ${outcome?.key}`));
        return;
      }
      this.record(outcome, waiter.reused);
      waiter.resolve(outcome);
    } else if (state === 'failed') {
      this.waiters.delete(id);
      waiter.reject(failureError(waiter.key, job!.failedReason));
    }
  }

  private record(outcome: JobOutcome, reused: boolean): void {
    this.done++;
    if (reused) this.stats.reused++;
    else {
      const w = (this.stats.workers[outcome.worker.id] ??= { candidates: 0, busySeconds: 0 });
      w.candidates++;
      w.busySeconds += outcome.seconds;
    }
    if (outcome.attemptsStarted > 1) this.stats.retried.push({ key: outcome.key, attemptsStarted: outcome.attemptsStarted });
    this.onOutcome?.(outcome, this.progress());
  }

  /**
   * Closes the connections. `removeJobs`: 'all' after a finished run (its results are in the
   * run's files), 'waiting' after a failure or abort (running and finished jobs stay, so a
   * --resume reuses them).
   */
  async close(options: { removeJobs?: 'all' | 'waiting' | 'none' } = {}): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.poller);
    for (const w of this.waiters.values()) w.reject(new NaxError(ErrorCodes.cancelled, `the queue coordinator closed before candidate ${w.key} finished`));
    this.waiters.clear();
    const mode = options.removeJobs ?? 'none';
    if (mode !== 'none') {
      for (const id of this.sent) {
        try {
          const job = await this.queue.getJob(id);
          if (!job) continue;
          const state = await job.getState();
          if (mode === 'all' ? state !== 'active' : state === 'waiting' || state === 'delayed' || state === 'prioritized') await job.remove();
        } catch {
          /* best effort: a job that stays is reused or expires with its run */
        }
      }
    }
    await Promise.allSettled([this.events.close(), this.queue.close()]);
    this.redis.disconnect();
  }
}

/** host:pid, the default identity of a worker in logs and in the coordinator's per-worker rates. */
export function defaultWorkerId(): string {
  return `${os.hostname()}:${process.pid}`;
}
