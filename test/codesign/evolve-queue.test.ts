/**
 * evolve({ queue }) with `nax-native worker` processes on a real redis-server (started here on a
 * free loopback port, password on): the results are the local run's, bit for bit apart from
 * timings, with 1 or 3 workers of different thread counts; a worker SIGKILLed mid-candidate has
 * its job retried on another and recorded as retried; a coordinator SIGKILLed mid-generation plus
 * a Redis restart, then --resume, reuses what the workers finished meanwhile and gives the same
 * result, and so does a run whose Redis restarts under it; bad URLs, unreachable or
 * password-protected servers, and workers that disagree on the code version, the run config or
 * the data are NaxErrors with clear messages, never a hang.
 * Every run but the local reference reuses its trained supernet (copied), so the suite stays fast.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { evolve } from '../../lib/codesign/evolve';
import type { EvolveResults } from '../../lib/codesign/results';
import { resolveEvolveOptions } from '../../lib/codesign/evolve-options';
import { runInputs, runWorker, type RunInputs } from '../../lib/codesign/worker';
import { canonicalJson, QueueCoordinator, type QueueRunStats } from '../../lib/queue';
import { loadCheckpoint } from '../../lib/search/checkpoint';
import { describeWithRedis, freePort, startRedis, type TestRedis } from '../queue/redis-server';
import { spawnScript, startWorker, type TestProcess } from './queue-processes';
import { comparable, tiny } from './tiny-evolve';

function tmp(tag: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `nax-evolve-queue-${tag}-`));
}

async function rejection(p: Promise<unknown>): Promise<{ name: string; code: string; message: string }> {
  return p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e) => e,
  );
}

const readResults = (dir: string) => JSON.parse(fs.readFileSync(path.join(dir, 'results.json'), 'utf8')) as EvolveResults;

describeWithRedis('evolve on a job queue with worker processes', () => {
  const password = `pw-${process.pid}`;
  let redis: TestRedis;
  let localDir: string;
  let local: EvolveResults;
  const workers: TestProcess[] = [];
  const url = () => `redis://127.0.0.1:${redis.port}/0`;
  const queue = () => ({ url: url(), password });
  /** A run folder holding the reference run's trained supernet (its checkpoint is keyed by the settings). */
  const runDir = (tag: string) => {
    const dir = tmp(tag);
    for (const f of ['supernet.ckpt', 'supernet.json']) fs.copyFileSync(path.join(localDir, f), path.join(dir, f));
    return dir;
  };
  const worker = (name: string, threads: number, lockSeconds = 30) => {
    const w = startWorker(url(), { name, threads, lockSeconds, password });
    workers.push(w);
    return w;
  };
  const stopWorkers = async () => {
    await Promise.all(workers.splice(0).map((w) => w.stop('SIGTERM')));
  };

  beforeAll(async () => {
    redis = await startRedis({ password });
    localDir = tmp('local');
    local = await evolve(tiny(localDir));
  });
  afterEach(stopWorkers);
  afterAll(async () => {
    await stopWorkers();
    await redis?.stop();
  });

  test('one worker (2 threads): results.json identical to the local run; the worker prints every candidate', async () => {
    const w = worker('solo', 2);
    const dir = runDir('one');
    const r = await evolve({ ...tiny(dir), queue: queue() });
    expect(comparable(r)).toEqual(comparable(local));
    expect(comparable(readResults(dir))).toEqual(comparable(readResults(localDir)));
    const stats = r.timings.queue as QueueRunStats;
    expect(stats).toMatchObject({ jobs: local.search.evaluations, reused: 0, retried: [], workers: { solo: { candidates: local.search.evaluations } } });
    for (const c of local.search.candidates) expect(w.lines.some((l) => l.includes(`evaluating ${c.key}`))).toBe(true);
    expect(Object.keys(r.timings.candidateSeconds as object).sort()).toEqual(local.search.candidates.map((c) => c.key).sort());
  });

  test('three workers (1 thread each), jobs finishing in any order: identical results.json', async () => {
    const ws = [worker('a', 1), worker('b', 1), worker('c', 1)];
    await Promise.all(ws.map((w) => w.waitFor(/waiting for candidates/)));
    const dir = runDir('three');
    const progress: string[] = [];
    const r = await evolve({ ...tiny(dir), queue: queue(), onProgress: (e) => e.phase === 'search' && progress.push(e.message) });
    expect(comparable(readResults(dir))).toEqual(comparable(readResults(localDir)));
    const stats = r.timings.queue as QueueRunStats;
    const perWorker = Object.values(stats.workers).map((s) => s.candidates);
    expect(perWorker.reduce((a, b) => a + b, 0)).toBe(local.search.evaluations);
    expect(perWorker.length).toBeGreaterThanOrEqual(2);
    // The coordinator's progress names the workers and their rates.
    expect(progress.some((m) => /\d+ done, \d+ queued; [23] worker\(s\), [\d.]+\/min \([abc] [\d.]+(, [abc] [\d.]+)+\)/.test(m))).toBe(true);
  });

  test('a worker SIGKILLed mid-candidate: its job is retried on another worker, recorded as retried, and the result is identical', async () => {
    const doomed = worker('doomed', 1, 2);
    const dir = runDir('kill');
    const run = evolve({ ...tiny(dir), queue: queue() });
    const line = await doomed.waitFor(/evaluating (k\S+)/);
    doomed.child.kill('SIGKILL');
    const killedKey = /evaluating (k\S+)/.exec(line)![1];
    const rescuer = worker('rescuer', 2, 2);
    const r = await run;
    expect(comparable(r)).toEqual(comparable(local));
    const stats = r.timings.queue as QueueRunStats;
    expect(stats.retried).toEqual([{ key: killedKey, attemptsStarted: 2 }]);
    expect(stats.workers.doomed).toBeUndefined();
    expect(rescuer.lines.some((l) => l.includes(`evaluating ${killedKey} (attempt 2: an earlier worker was lost)`))).toBe(true);
  });

  test('coordinator SIGKILLed mid-generation and Redis restarted: --resume reuses the finished jobs and gives the identical result', async () => {
    const ws = [worker('p', 1), worker('q', 1)];
    const dir = runDir('coord');
    const coordinator = spawnScript('test/codesign/queue-coordinator.ts', [dir, url()], { NAX_QUEUE_PASSWORD: password });
    workers.push(coordinator);
    await coordinator.waitFor(/^outcome 6 /);
    coordinator.child.kill('SIGKILL');
    await coordinator.exited;
    // The workers finish generation 1's remaining jobs with no coordinator listening.
    const evaluatedBy = () => ws.reduce((n, w) => n + w.lines.filter((l) => / accuracy .* in [\d.]+ s$/.test(l)).length, 0);
    for (let i = 0; i < 600 && evaluatedBy() < 8; i++) await new Promise((r) => setTimeout(r, 100));
    expect(evaluatedBy()).toBe(8);
    const committed = (await loadCheckpoint(path.join(dir, 'evolution-checkpoint.json')))!.archive.length;
    expect(committed).toBeGreaterThanOrEqual(4);
    expect(committed).toBeLessThan(8);
    await redis.restart();
    const r = await evolve({ ...tiny(dir), queue: queue(), resume: true });
    expect(comparable(r)).toEqual(comparable(local));
    const stats = r.timings.queue as QueueRunStats;
    expect(stats.reused).toBe(8 - committed);
    expect(stats.jobs).toBe(local.search.evaluations - committed);
  });

  test('Redis restarted while the coordinator and a worker are running: the run goes on and ends with the identical result', async () => {
    worker('steady', 1);
    const dir = runDir('restart');
    let restarted: Promise<void> | undefined;
    let outcomes = 0;
    const r = await evolve({
      ...tiny(dir),
      queue: queue(),
      onProgress: (e) => {
        if (e.phase === 'search' && / done, \d+ queued/.test(e.message) && ++outcomes === 5) restarted = redis.restart();
      },
    });
    expect(restarted).toBeDefined();
    await restarted;
    expect(comparable(r)).toEqual(comparable(local));
    expect((r.timings.queue as QueueRunStats).jobs).toBe(local.search.evaluations);
  });

  test('bad URL, unreachable server, wrong password: NaxErrors before any data is read, within the time-out', async () => {
    const dir = tmp('errors');
    const bad = await rejection(evolve({ ...tiny(path.join(dir, 'bad')), queue: 'http://127.0.0.1:6379' }));
    expect(bad).toMatchObject({ name: 'NaxError', code: 'ERR_NAX_INVALID_ARGUMENT', message: expect.stringMatching(/redis:.*for queue\.url/) });
    expect(fs.existsSync(path.join(dir, 'bad'))).toBe(false);
    const t = Date.now();
    const down = await rejection(evolve({ ...tiny(path.join(dir, 'down')), queue: { url: `redis://127.0.0.1:${await freePort()}`, connectTimeoutSeconds: 2 } }));
    expect(down).toMatchObject({ name: 'NaxError', code: 'ERR_NAX_IO', message: expect.stringMatching(/cannot reach the job queue/) });
    expect(Date.now() - t).toBeLessThan(5000);
    expect(fs.existsSync(path.join(dir, 'down'))).toBe(false);
    const wrong = await rejection(evolve({ ...tiny(path.join(dir, 'pw')), queue: { url: url(), password: 'wrong' } }));
    expect(wrong).toMatchObject({ code: 'ERR_NAX_IO', message: expect.stringMatching(/refused the password/) });
    const workerDown = await rejection(runWorker({ queue: { url: `redis://127.0.0.1:${await freePort()}`, connectTimeoutSeconds: 2 } }));
    expect(workerDown).toMatchObject({ name: 'NaxError', code: 'ERR_NAX_IO' });
  });

  test('a worker refuses run inputs of another code version, a config its own code resolves differently, and other images', async () => {
    const stop = new AbortController();
    const log: string[] = [];
    const served = runWorker({ queue: queue(), signal: stop.signal, name: 'strict', threads: 1, log: (l) => log.push(l) });
    const coordinator = await QueueCoordinator.open(queue(), { runId: 'refusals' });
    const config = resolveEvolveOptions(tiny(tmp('refuse')));
    const data = { calibration: 'a'.repeat(64), validation: 'b'.repeat(64) };
    const publish = (inputs: RunInputs) => coordinator.publishBlob(Buffer.from(canonicalJson(inputs)));
    const job = (configHash: string, key: string) => coordinator.evaluate(key, { genome: { kernels: [3], crossbars: [16] }, generation: 0 }, { configHash });
    try {
      const older = await publish({ ...runInputs(config, 'c'.repeat(64), data), codeVersion: 'nax-native@0.0.9/queue-1/x64' });
      expect(await rejection(job(older, 'k-old'))).toMatchObject({ name: 'NaxError', code: 'ERR_NAX_CONFIG', message: expect.stringMatching(/published by nax-native@0\.0\.9.*same nax-native version/) });
      // A coordinator whose code resolves the config differently (here: leaves the kernel list unsorted).
      const inputs = runInputs(config, 'c'.repeat(64), data);
      const drifted = await publish({ ...inputs, config: { ...inputs.config, kernels: [5, 3] } });
      expect(await rejection(job(drifted, 'k-drift'))).toMatchObject({
        code: 'ERR_NAX_CONFIG',
        message: expect.stringMatching(/run config hash mismatch: the job's is [0-9a-f]{12}\.\.\., this worker resolves the same config to [0-9a-f]{12}\.\.\. \(differs in: kernels\)/),
      });
      // A config key this worker's code does not know (a newer coordinator).
      const renamed = await publish({ ...inputs, config: { ...inputs.config, evaluation: { ...inputs.config.evaluation, batchSzie: 40 } as unknown as typeof inputs.config.evaluation } });
      expect(await rejection(job(renamed, 'k-renamed'))).toMatchObject({ code: 'ERR_NAX_CONFIG', message: expect.stringMatching(/cannot take the run's config: .*batchSzie/) });
      // The right config, but the coordinator's images hash to something else (another data set version).
      expect(await rejection(job(await publish(inputs), 'k-data'))).toMatchObject({ code: 'ERR_NAX_DATASET', message: expect.stringMatching(/mnist images this worker reads are not the coordinator's \(calibration images differ\)/) });
      expect(log.some((l) => /FAILED: \[ERR_NAX_CONFIG\]/.test(l))).toBe(true);
    } finally {
      await coordinator.close({ removeJobs: 'all' });
      stop.abort();
      await served;
    }
  });
});
