/**
 * Scale-out on the job queue (BullMQ on a local redis-server this bench starts and stops):
 *  1. candidates per minute of the search phase, local (one process, all cores) and with 1, 2 and
 *     4 `nax-native worker` processes of 1 thread each (a 2-core machine saturates at 2);
 *  2. the overhead per job: enqueue -> result for a trivial candidate (the handler returns at
 *     once), one job at a time, against calling the same trivial evaluation locally.
 * The search is a small MNIST run (supernet trained once, then reused by every mode), so the
 * figures are dominated by candidate evaluation; every mode must give the local results.
 *
 * Run: npm run bench -- --only queue [--quick]
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { evolve, type EvolveOptions } from '../lib/codesign/evolve';
import { QueueCoordinator, serveQueue, type QueueRunStats } from '../lib/queue';
import { redisAvailable, startRedis } from '../test/queue/redis-server';
import { startWorker, type TestProcess } from '../test/codesign/queue-processes';
import { writeResult } from './run';

export interface QueueBenchRow {
  mode: string;
  workers: number;
  candidates: number;
  searchSeconds: number;
  candidatesPerMinute: number;
  identicalToLocal: boolean | null;
}

export interface QueueOverheadRow {
  path: string;
  jobs: number;
  millisecondsPerJob: number;
}

function settings(outDir: string, quick: boolean): EvolveOptions {
  return {
    outDir,
    seed: 3,
    population: quick ? 6 : 8,
    generations: quick ? 1 : 2,
    kernels: [3, 5],
    crossbars: [16, 32, 64],
    network: { width: 4 },
    supernet: { epochs: 1, images: 1024, batchSize: 64 },
    finetune: { epochs: 1, images: 128, models: 1, finalists: 1 },
    evaluation: { validationImages: quick ? 100 : 250, testImages: 50, calibrationBatches: 2, calibrationBatchSize: 64, scaleImages: 16, batchSize: 50, chips: 1 },
    threads: 0,
  };
}

const searchOnly = (r: Awaited<ReturnType<typeof evolve>>) => JSON.stringify(r.search);

export async function run(opts: { quick: boolean }): Promise<{ throughput: QueueBenchRow[]; overhead: QueueOverheadRow[] }> {
  if (!redisAvailable) {
    console.log('queue bench skipped: redis-server not found (apt-get install redis-server)');
    return { throughput: [], overhead: [] };
  }
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'nax-bench-queue-'));
  const redis = await startRedis();
  const throughput: QueueBenchRow[] = [];
  const overhead: QueueOverheadRow[] = [];
  const workers: TestProcess[] = [];
  try {
    // Local reference (trains the supernet every other mode reuses).
    const localDir = path.join(root, 'local');
    await evolve(settings(localDir, opts.quick));
    // A second local run on the trained supernet: the search-phase rate of the local path.
    const local = await evolve(settings(localDir, opts.quick));
    const candidates = local.search.evaluations;
    console.log(`local search: ${candidates} candidates in ${(local.timings.searchSeconds as number).toFixed(1)} s`);
    throughput.push({ mode: 'local (one process, all cores)', workers: 0, candidates, searchSeconds: local.timings.searchSeconds as number, candidatesPerMinute: (60 * candidates) / (local.timings.searchSeconds as number), identicalToLocal: true });
    for (const n of opts.quick ? [1, 2] : [1, 2, 4]) {
      const dir = path.join(root, `queue-${n}`);
      fs.mkdirSync(dir);
      for (const f of ['supernet.ckpt', 'supernet.json']) fs.copyFileSync(path.join(localDir, f), path.join(dir, f));
      const started = Array.from({ length: n }, (_, i) => startWorker(redis.url, { name: `w${i + 1}`, threads: 1 }));
      workers.push(...started);
      await Promise.all(started.map((w) => w.waitFor(/waiting for candidates/)));
      const r = await evolve({ ...settings(dir, opts.quick), queue: redis.url });
      const stats = r.timings.queue as QueueRunStats;
      throughput.push({
        mode: `queue, ${n} worker process${n > 1 ? 'es' : ''} x 1 thread`, workers: Object.keys(stats.workers).length, candidates: stats.jobs,
        searchSeconds: r.timings.searchSeconds as number, candidatesPerMinute: (60 * stats.jobs) / (r.timings.searchSeconds as number), identicalToLocal: searchOnly(r) === searchOnly(local),
      });
      await Promise.all(workers.splice(0).map((w) => w.stop('SIGTERM')));
      console.log(throughput[throughput.length - 1]);
    }

    // Per-job overhead: a trivial candidate through the queue (in-process worker) vs a local call.
    const jobs = opts.quick ? 100 : 400;
    const stop = new AbortController();
    const served = serveQueue<{ i: number }, { accuracy: number; edap: number }>({ queue: redis.url, signal: stop.signal, handle: async (env) => ({ accuracy: env.payload.i, edap: 1 }) });
    const coordinator = await QueueCoordinator.open(redis.url, { runId: `overhead-${process.pid}` });
    await coordinator.evaluate('warm-up', { i: 0 }, { configHash: 'h' });
    let t = performance.now();
    for (let i = 0; i < jobs; i++) await coordinator.evaluate(`c${i}`, { i }, { configHash: 'h' });
    overhead.push({ path: 'queue: enqueue -> result, one job at a time', jobs, millisecondsPerJob: (performance.now() - t) / jobs });
    t = performance.now();
    await Promise.all(Array.from({ length: jobs }, (_, i) => coordinator.evaluate(`p${i}`, { i }, { configHash: 'h' })));
    overhead.push({ path: 'queue: all jobs in flight at once (1 worker), per job', jobs, millisecondsPerJob: (performance.now() - t) / jobs });
    await coordinator.close({ removeJobs: 'all' });
    stop.abort();
    await served;
    const trivial = async (i: number) => ({ accuracy: i, edap: 1 });
    t = performance.now();
    for (let i = 0; i < jobs; i++) await trivial(i);
    overhead.push({ path: 'local: the same trivial evaluation called in-process', jobs, millisecondsPerJob: (performance.now() - t) / jobs });
  } finally {
    await Promise.all(workers.map((w) => w.stop('SIGTERM')));
    await redis.stop();
    fs.rmSync(root, { recursive: true, force: true });
  }
  console.table(throughput.map((r) => ({ mode: r.mode, candidates: r.candidates, 'search s': r.searchSeconds.toFixed(1), 'candidates/min': r.candidatesPerMinute.toFixed(1), 'same search as local': r.identicalToLocal })));
  console.table(overhead.map((r) => ({ path: r.path, jobs: r.jobs, 'ms per job': r.millisecondsPerJob.toFixed(3) })));
  writeResult('queue', { throughput, overhead });
  return { throughput, overhead };
}

if (require.main === module) {
  run({ quick: process.argv.includes('--quick') }).catch((err) => {
    console.error(err);
    process.exitCode = 1;
  });
}
