/**
 * A throwaway redis-server for tests: a free loopback port, its own temp folder (append-only file
 * on, so a restart keeps the jobs), stopped after the test. `redisAvailable` is false when the
 * binary is absent (tests then skip with a printed notice; .ci/run installs it).
 */
import { spawn, spawnSync, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { Redis } from 'ioredis';

export const redisBinary = process.env.NAX_REDIS_SERVER ?? 'redis-server';
export const redisAvailable = spawnSync(redisBinary, ['--version'], { encoding: 'utf8' }).status === 0;

/** `describe` when redis-server is installed, else `describe.skip` after a printed notice. */
export function describeWithRedis(name: string, fn: () => void): void {
  if (!redisAvailable) {
    // eslint-disable-next-line no-console
    console.log(`skipping "${name}": ${redisBinary} not found (apt-get install redis-server; .ci/run installs it)`);
    describe.skip(name, fn);
  } else describe(name, fn);
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface TestRedis {
  port: number;
  url: string;
  dir: string;
  /** Stops the server (SIGTERM, then SIGKILL after 5 s). */
  stop(): Promise<void>;
  /** Stops and starts it again on the same port and folder (its append-only file keeps the data). */
  restart(): Promise<void>;
  client(): Redis;
}

export async function startRedis(options: { password?: string } = {}): Promise<TestRedis> {
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nax-redis-'));
  let child: ChildProcess | undefined;
  const clients: Redis[] = [];
  const launch = async () => {
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'yes', '--daemonize', 'no', '--loglevel', 'warning'];
    if (options.password) args.push('--requirepass', options.password);
    child = spawn(redisBinary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    const deadline = Date.now() + 15000;
    for (;;) {
      const probe = new Redis({ host: '127.0.0.1', port, password: options.password, lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
      probe.on('error', () => {});
      try {
        await probe.connect();
        await probe.ping();
        probe.disconnect();
        return;
      } catch {
        probe.disconnect();
        if (Date.now() > deadline) throw new Error(`redis-server did not start on port ${port}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  };
  const halt = async () => {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => c.kill('SIGKILL'), 5000);
      c.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      c.kill('SIGTERM');
    });
  };
  await launch();
  const auth = options.password ? `:${encodeURIComponent(options.password)}@` : '';
  return {
    port,
    url: `redis://${auth}127.0.0.1:${port}/0`,
    dir,
    stop: async () => {
      for (const c of clients) c.disconnect();
      await halt();
      fs.rmSync(dir, { recursive: true, force: true });
    },
    restart: async () => {
      await halt();
      await launch();
    },
    client: () => {
      const c = new Redis({ host: '127.0.0.1', port, password: options.password });
      c.on('error', () => {});
      clients.push(c);
      return c;
    },
  };
}
