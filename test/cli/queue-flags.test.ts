/**
 * The job-queue flags of `evolve` and `worker`: every bad or orphaned flag is a NaxError naming it
 * before anything connects; good flags become the queue option of evolve() / runWorker().
 */
import { parseQueueFlags } from '../../lib/cli/flags';
import { evolveCommand, evolveOptionsFromArgs } from '../../lib/cli/commands/evolve';
import { workerCommand, workerOptionsFromArgs } from '../../lib/cli/commands/worker';
import yargs, { type Argv } from 'yargs';
import { buildCli } from '../../lib/cli';
import { errorOf } from '../errors-helper';

describe('queue flags', () => {
  test('no --queue: no queue; --queue: the URL, the password from the flag or NAX_QUEUE_PASSWORD, TLS files', () => {
    expect(parseQueueFlags({}, {})).toBeUndefined();
    expect(parseQueueFlags({ queue: 'redis://h:7000/2' }, {})).toEqual({ url: 'redis://h:7000/2' });
    expect(parseQueueFlags({ queue: 'redis://h' }, { NAX_QUEUE_PASSWORD: 'env-pw' })).toEqual({ url: 'redis://h', password: 'env-pw' });
    expect(parseQueueFlags({ queue: 'redis://h', queuePassword: 'flag-pw' }, { NAX_QUEUE_PASSWORD: 'env-pw' })).toMatchObject({ password: 'flag-pw' });
    expect(parseQueueFlags({ queue: 'rediss://h', queueCa: 'ca.pem', queueInsecure: true, queueTimeout: 3 }, {})).toEqual({
      url: 'rediss://h',
      tls: { caFile: 'ca.pem', certFile: undefined, keyFile: undefined, rejectUnauthorized: false },
      connectTimeoutSeconds: 3,
    });
    expect(evolveOptionsFromArgs({ queue: 'redis://h:1' }).queue).toEqual({ url: 'redis://h:1' });
    expect(evolveOptionsFromArgs({}).queue).toBeUndefined();
  });

  test('queue flags without --queue, and a bad --queue-timeout, name the flag', () => {
    for (const [args, flag] of [
      [{ queuePassword: 'x' }, '--queue-password'],
      [{ queueCa: 'ca.pem' }, '--queue-ca'],
      [{ queueTls: true }, '--queue-tls'],
    ] as const) {
      const e = errorOf(() => parseQueueFlags(args, {}));
      expect(e.name).toBe('NaxError');
      expect(e.message).toContain(flag);
      expect(e.message).toContain('--queue redis://HOST:PORT');
    }
    expect(errorOf(() => parseQueueFlags({ queue: 'redis://h', queueTimeout: 0 }, {})).message).toContain('--queue-timeout');
    expect(errorOf(() => parseQueueFlags({ queue: '  ' }, {})).message).toContain('--queue');
  });

  test('worker: --queue is required; --name, --lock-seconds, --threads, --data-path are checked', () => {
    expect(errorOf(() => workerOptionsFromArgs({})).message).toMatch(/for --queue/);
    expect(errorOf(() => workerOptionsFromArgs({ queue: 'redis://h', name: 'has space' })).message).toContain('--name');
    expect(errorOf(() => workerOptionsFromArgs({ queue: 'redis://h', lockSeconds: 0 })).message).toContain('--lock-seconds');
    expect(errorOf(() => workerOptionsFromArgs({ queue: 'redis://h', threads: -1 })).message).toContain('--threads');
    expect(errorOf(() => workerOptionsFromArgs({ queue: 'redis://h', dataPath: '' })).message).toContain('--data-path');
    expect(workerOptionsFromArgs({ queue: 'redis://h', threads: 2, name: 'gpu-box:1', lockSeconds: 10, dataPath: '/data' })).toEqual({
      queue: { url: 'redis://h' }, threads: 2, name: 'gpu-box:1', lockSeconds: 10, dataPath: '/data',
    });
  });

  test('the CLI knows `worker` (requiring --queue) and the --queue flags of `evolve`', async () => {
    const optionKeys = (command: typeof workerCommand | typeof evolveCommand) => {
      const y = yargs([]);
      (command.builder as (y: Argv) => Argv)(y);
      return (y as unknown as { getOptions(): { key: Record<string, unknown> } }).getOptions().key;
    };
    for (const flag of ['queue', 'queue-password', 'queue-tls', 'queue-ca', 'queue-cert', 'queue-key', 'queue-timeout', 'threads', 'data-path', 'lock-seconds', 'name']) expect(optionKeys(workerCommand)).toHaveProperty(flag);
    for (const flag of ['queue', 'queue-password', 'queue-tls']) expect(optionKeys(evolveCommand)).toHaveProperty(flag);
    await expect(Promise.resolve().then(() => buildCli(['worker']).parseAsync())).rejects.toThrow(/Missing required argument: queue/);
  });
});
