/**
 * The job queue on a real redis-server with trivial handlers (no evaluation): results come back
 * keyed by run and candidate, enqueueing is idempotent (a second coordinator session reuses
 * finished results), failures are reported once with their code, refused code versions, two runs
 * on one Redis never mix, blobs are content-addressed and verified, and every bad URL or
 * unreachable server is a NaxError within a bounded time.
 */
import * as net from 'net';
import { Queue } from 'bullmq';
import { NaxError } from '../../lib/errors';
import { QueueCoordinator, serveQueue, resolveQueueConnection, probeQueue, publishBlob, fetchBlob, codeVersion, jobId, QUEUE_NAME, type QueueOptions } from '../../lib/queue';
import { describeWithRedis, freePort, startRedis, type TestRedis } from './redis-server';
import { errorOf } from '../errors-helper';

async function rejection(p: Promise<unknown>): Promise<{ name: string; code: string; message: string }> {
  return p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e) => e,
  );
}

describe('queue URL and options (no server needed)', () => {
  test('a good URL resolves host, port, DB, password and TLS; the target hides the password', () => {
    const c = resolveQueueConnection({ url: 'redis://:s3cret@db.example:6390/3' });
    expect(c.redis).toMatchObject({ host: 'db.example', port: 6390, db: 3, password: 's3cret' });
    expect(c.target).toBe('redis://db.example:6390/3');
    expect(resolveQueueConnection('redis://localhost').redis).toMatchObject({ host: 'localhost', port: 6379, db: 0 });
    expect(resolveQueueConnection({ url: 'redis://u:a@h:1/0', password: 'b' }).redis).toMatchObject({ username: 'u', password: 'b' });
    const tls = resolveQueueConnection('rediss://h:6380');
    expect(tls.redis.tls).toMatchObject({ servername: 'h', rejectUnauthorized: true });
    expect(resolveQueueConnection({ url: 'redis://h', tls: { rejectUnauthorized: false } }).redis.tls).toMatchObject({ rejectUnauthorized: false });
  });

  test('bad URLs and options are NaxErrors naming queue.url / the option and what would be right', () => {
    for (const url of ['', 'localhost:6379', 'http://h:6379', 'redis://', 'redis://h:6379/x', 'redis://h:6379/0?tls=1', 'redis://h:99999'] as const) {
      const e = errorOf(() => resolveQueueConnection(url));
      expect(e.name).toBe('NaxError');
      expect(e.message).toMatch(/queue\.url/);
      expect(e.message).toMatch(/redis:\/\/\[user:password@\]HOST\[:PORT\]\[\/DB\]/);
    }
    expect(errorOf(() => resolveQueueConnection({ url: 'redis://h', connectTimeoutSeconds: 0 })).message).toMatch(/queue\.connectTimeoutSeconds/);
    expect(errorOf(() => resolveQueueConnection({ url: 'redis://h', tls: { certFile: 'a.pem' } })).message).toMatch(/both certFile and keyFile/);
    expect(errorOf(() => resolveQueueConnection({ url: 'redis://h', tls: { caFile: '/nonexistent/ca.pem' } })).code).toBe('ERR_NAX_IO');
    expect(errorOf(() => resolveQueueConnection({ url: 'redis://h', prefix: 'a b' })).message).toMatch(/queue\.prefix/);
  });

  test('an unreachable server is ERR_NAX_IO within the time-out: refused port, and a host that never answers', async () => {
    const port = await freePort();
    let t = Date.now();
    const refused = await rejection(probeQueue(resolveQueueConnection({ url: `redis://127.0.0.1:${port}`, connectTimeoutSeconds: 3 })));
    expect(refused).toMatchObject({ name: 'NaxError', code: 'ERR_NAX_IO' });
    expect(refused.message).toMatch(/cannot reach the job queue: nothing listens at redis:\/\/127\.0\.0\.1/);
    expect(Date.now() - t).toBeLessThan(3500);
    // A server that accepts the connection and never answers (a hung host, a wrong service).
    const sockets: net.Socket[] = [];
    const silentServer = net.createServer((socket) => void sockets.push(socket));
    await new Promise<void>((r) => silentServer.listen(0, '127.0.0.1', () => r()));
    try {
      t = Date.now();
      const silent = await rejection(probeQueue(resolveQueueConnection({ url: `redis://127.0.0.1:${(silentServer.address() as net.AddressInfo).port}`, connectTimeoutSeconds: 1.5 })));
      expect(silent).toMatchObject({ name: 'NaxError', code: 'ERR_NAX_IO' });
      expect(silent.message).toMatch(/no answer from redis:\/\/127\.0\.0\.1:\d+\/0 within 1\.5 s/);
      expect(Date.now() - t).toBeGreaterThanOrEqual(1400);
      expect(Date.now() - t).toBeLessThan(4000);
    } finally {
      sockets.forEach((s) => s.destroy());
      silentServer.close();
    }
  });
});

describeWithRedis('queue on a real redis-server', () => {
  let redis: TestRedis;
  const password = 'pw-' + process.pid;
  beforeAll(async () => {
    redis = await startRedis({ password });
  });
  afterAll(async () => {
    await redis?.stop();
  });
  const queue = (): QueueOptions => ({ url: `redis://127.0.0.1:${redis.port}/0`, password, connectTimeoutSeconds: 5 });

  test('wrong or missing password: ERR_NAX_IO saying so, no hang', async () => {
    const wrong = await rejection(probeQueue(resolveQueueConnection({ url: `redis://127.0.0.1:${redis.port}`, password: 'nope', connectTimeoutSeconds: 5 })));
    expect(wrong).toMatchObject({ name: 'NaxError', code: 'ERR_NAX_IO' });
    expect(wrong.message).toMatch(/refused the password/);
    const none = await rejection(probeQueue(resolveQueueConnection({ url: `redis://127.0.0.1:${redis.port}`, connectTimeoutSeconds: 5 })));
    expect(none.message).toMatch(/needs a password/);
    await probeQueue(resolveQueueConnection(queue()));
  });

  test('blobs are stored once by sha256 and verified on fetch', async () => {
    const client = redis.client();
    const bytes = Buffer.from('supernet weights '.repeat(1000));
    const h1 = await publishBlob(client, 'nax', bytes);
    const h2 = await publishBlob(client, 'nax', bytes);
    expect(h1).toBe(h2);
    expect(h1).toMatch(/^[0-9a-f]{64}$/);
    expect((await fetchBlob(client, 'nax', h1, 'test blob')).equals(bytes)).toBe(true);
    await client.set(`nax:blob:${h1}`, 'tampered');
    expect(await rejection(fetchBlob(client, 'nax', h1, 'test blob'))).toMatchObject({ code: 'ERR_NAX_IO', message: expect.stringMatching(/corrupt/) });
    expect(await rejection(fetchBlob(client, 'nax', 'f'.repeat(64), 'test blob'))).toMatchObject({ code: 'ERR_NAX_IO', message: expect.stringMatching(/not in the queue's Redis/) });
  });

  test('results come back per run and key; a second session reuses finished jobs; two runs never mix', async () => {
    const stop = new AbortController();
    const handled: string[] = [];
    const served = serveQueue<{ x: number }, { y: number; run: string }>({
      queue: queue(),
      signal: stop.signal,
      name: 'w1',
      handle: async (env) => {
        handled.push(`${env.runId}/${env.key}`);
        return { y: env.payload.x * 2, run: env.runId };
      },
    });
    const a = await QueueCoordinator.open(queue(), { runId: 'run-a' });
    const b = await QueueCoordinator.open(queue(), { runId: 'run-b' });
    try {
      const keys = ['k1', 'k2', 'k3', 'k4'];
      const [ra, rb] = await Promise.all([
        Promise.all(keys.map((k, i) => a.evaluate<{ x: number }, { y: number; run: string }>(k, { x: i }, { configHash: 'h' }))),
        Promise.all(keys.map((k, i) => b.evaluate<{ x: number }, { y: number; run: string }>(k, { x: 100 + i }, { configHash: 'h' }))),
      ]);
      expect(ra.map((o) => o.result)).toEqual(keys.map((_, i) => ({ y: 2 * i, run: 'run-a' })));
      expect(rb.map((o) => o.result)).toEqual(keys.map((_, i) => ({ y: 2 * (100 + i), run: 'run-b' })));
      expect(ra.every((o) => o.worker.id === 'w1' && o.attemptsStarted === 1 && o.runId === 'run-a')).toBe(true);
      expect(a.runStats()).toMatchObject({ runId: 'run-a', jobs: 4, reused: 0, retried: [], workers: { w1: { candidates: 4 } } });
      expect(a.progress()).toMatchObject({ done: 4, outstanding: 0 });
      expect(handled.length).toBe(8);
      // A new session of run-a (a restarted coordinator) gets the stored results without new work.
      await a.close();
      const again = await QueueCoordinator.open(queue(), { runId: 'run-a' });
      const r2 = await Promise.all(keys.map((k, i) => again.evaluate<{ x: number }, { y: number; run: string }>(k, { x: i }, { configHash: 'h' })));
      expect(r2.map((o) => o.result)).toEqual(ra.map((o) => o.result));
      expect(again.runStats()).toMatchObject({ jobs: 4, reused: 4, workers: {} });
      expect(handled.length).toBe(8);
      // The same run id with other inputs is refused rather than mixed.
      expect(await rejection(again.evaluate('k1', { x: 0 }, { configHash: 'other' }))).toMatchObject({ code: 'ERR_NAX_CONFIG', message: expect.stringMatching(/other run inputs/) });
      await again.close({ removeJobs: 'all' });
      const q = new Queue(QUEUE_NAME, { connection: { host: '127.0.0.1', port: redis.port, password }, prefix: 'nax' });
      expect(await q.getJob(jobId('run-a', 'k1'))).toBeUndefined();
      expect(await q.getJob(jobId('run-b', 'k1'))).toBeDefined();
      await q.close();
    } finally {
      await a.close();
      await b.close({ removeJobs: 'all' });
      stop.abort();
      await served;
    }
  });

  test('a deterministic failure is reported once with its code and message, not retried; a resumed session retries it once', async () => {
    const stop = new AbortController();
    let calls = 0;
    let broken = true;
    const served = serveQueue<unknown, number>({
      queue: queue(),
      signal: stop.signal,
      handle: async () => {
        calls++;
        if (broken) throw new NaxError('ERR_NAX_NUMERICAL', 'expected a finite loss, got NaN');
        return 7;
      },
    });
    const c = await QueueCoordinator.open(queue(), { runId: 'run-fail' });
    try {
      const err = await rejection(c.evaluate('bad', {}, { configHash: 'h' }));
      expect(err.message).toBe('candidate bad failed: expected a finite loss, got NaN');
      expect(err).toMatchObject({ name: 'NaxError', code: 'ERR_NAX_NUMERICAL' });
      expect(err.message).toBe('candidate bad failed: expected a finite loss, got NaN');
      await new Promise((r) => setTimeout(r, 1500));
      expect(calls).toBe(1);
      broken = false;
      const again = await QueueCoordinator.open(queue(), { runId: 'run-fail' });
      expect((await again.evaluate<unknown, number>('bad', {}, { configHash: 'h' })).result).toBe(7);
      expect(calls).toBe(2);
      await again.close({ removeJobs: 'all' });
    } finally {
      await c.close({ removeJobs: 'all' });
      stop.abort();
      await served;
    }
  });

  test('a worker refuses a job of another code version with a clear ERR_NAX_CONFIG, once', async () => {
    const stop = new AbortController();
    let handled = 0;
    const served = serveQueue<unknown, number>({ queue: queue(), signal: stop.signal, name: 'w-new', handle: async () => ++handled });
    const c = await QueueCoordinator.open(queue(), { runId: 'run-old' });
    const q = new Queue(QUEUE_NAME, { connection: { host: '127.0.0.1', port: redis.port, password }, prefix: 'nax' });
    try {
      // What an older coordinator build would enqueue.
      await q.add('evaluate', { runId: 'run-old', codeVersion: 'nax-native@0.0.1/queue-0/x64', configHash: 'h', key: 'k', payload: {} }, { jobId: jobId('run-old', 'k'), attempts: 1 });
      const job = (await q.getJob(jobId('run-old', 'k')))!;
      for (let i = 0; i < 100 && (await job.getState()) !== 'failed'; i++) await new Promise((r) => setTimeout(r, 100));
      const failed = (await q.getJob(jobId('run-old', 'k')))!;
      expect(await failed.getState()).toBe('failed');
      expect(failed.failedReason).toContain('[ERR_NAX_CONFIG] worker w-new refuses candidate k of run run-old: it was queued by nax-native@0.0.1/queue-0/x64, this worker runs ' + codeVersion());
      expect(handled).toBe(0);
      await failed.remove();
    } finally {
      await q.close();
      await c.close();
      stop.abort();
      await served;
    }
  });
});
