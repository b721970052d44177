/**
 * The job queue over TLS against a real redis-server on a TLS-only loopback port, with a CA and a
 * server certificate made here by openssl: rediss:// with the CA works end to end (a job and its
 * result); without the CA, or with plain redis:// against the TLS port, the probe fails with
 * ERR_NAX_IO within its time-out. Skips with a notice when redis-server or openssl is absent.
 */
import { spawn, spawnSync, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { probeQueue, QueueCoordinator, resolveQueueConnection, serveQueue } from '../../lib/queue';
import { freePort, redisAvailable, redisBinary } from './redis-server';

const opensslAvailable = spawnSync('openssl', ['version'], { encoding: 'utf8' }).status === 0;
const run = redisAvailable && opensslAvailable ? describe : describe.skip;
if (!(redisAvailable && opensslAvailable)) console.log('skipping the queue TLS tests: redis-server or openssl not found (.ci/run installs redis-server)');

function openssl(args: string[], cwd: string): void {
  const r = spawnSync('openssl', args, { cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl ${args.join(' ')}: ${r.stderr}`);
}

async function rejection(p: Promise<unknown>): Promise<{ name: string; code: string; message: string }> {
  return p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e) => e,
  );
}

run('queue over TLS (rediss://)', () => {
  let dir: string;
  let port: number;
  let server: ChildProcess;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nax-redis-tls-'));
    openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=nax test CA', '-keyout', 'ca.key', '-out', 'ca.pem'], dir);
    openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-keyout', 'server.key', '-out', 'server.csr'], dir);
    fs.writeFileSync(path.join(dir, 'san.cnf'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
    openssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-extfile', 'san.cnf', '-out', 'server.pem'], dir);
    port = await freePort();
    server = spawn(redisBinary, ['--port', '0', '--tls-port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--tls-cert-file', path.join(dir, 'server.pem'),
      '--tls-key-file', path.join(dir, 'server.key'), '--tls-ca-cert-file', path.join(dir, 'ca.pem'), '--tls-auth-clients', 'no', '--loglevel', 'warning'], { stdio: 'ignore' });
    const connection = resolveQueueConnection({ url: `rediss://localhost:${port}`, tls: { caFile: path.join(dir, 'ca.pem') }, connectTimeoutSeconds: 2 });
    for (let i = 0; ; i++) {
      try {
        await probeQueue(connection);
        break;
      } catch (err) {
        if (i > 50) throw err;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  });
  afterAll(async () => {
    if (server && server.exitCode === null) {
      const exited = new Promise((r) => server.once('exit', r));
      server.kill('SIGTERM');
      await exited;
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('rediss:// with the CA: a job and its result travel over TLS', async () => {
    const queue = { url: `rediss://localhost:${port}/0`, tls: { caFile: path.join(dir, 'ca.pem') } };
    const stop = new AbortController();
    const served = serveQueue<{ x: number }, number>({ queue, signal: stop.signal, handle: async (env) => env.payload.x + 1 });
    const c = await QueueCoordinator.open(queue, { runId: 'tls' });
    try {
      expect((await c.evaluate<{ x: number }, number>('k', { x: 41 }, { configHash: 'h' })).result).toBe(42);
    } finally {
      await c.close({ removeJobs: 'all' });
      stop.abort();
      await served;
    }
  });

  test('without the CA, or plain redis:// against the TLS port: ERR_NAX_IO within the time-out', async () => {
    const t = Date.now();
    const untrusted = await rejection(probeQueue(resolveQueueConnection({ url: `rediss://localhost:${port}`, connectTimeoutSeconds: 2 })));
    expect(untrusted).toMatchObject({ name: 'NaxError', code: 'ERR_NAX_IO', message: expect.stringMatching(/TLS with rediss:\/\/localhost:\d+\/0 failed: .*(certificate|self.signed)/i) });
    const plain = await rejection(probeQueue(resolveQueueConnection({ url: `redis://localhost:${port}`, connectTimeoutSeconds: 2 })));
    expect(plain).toMatchObject({ name: 'NaxError', code: 'ERR_NAX_IO' });
    expect(Date.now() - t).toBeLessThan(6000);
  });
});
