/**
 * `nax-native worker --queue redis://HOST:PORT`: evaluates the candidates that `nax-native evolve
 * --queue` (on any machine) puts on the job queue, with the same code as a local run, printing a
 * line per candidate. Run any number, anywhere that reaches Redis and has the data set. Ctrl-C
 * (or SIGTERM) stops after the candidate in progress; a second Ctrl-C quits at once (the
 * candidate is then retried on another worker once its lock expires).
 */
import type { CommandModule } from 'yargs';
import { runWorker, type WorkerOptions } from '../../codesign/worker';
import { expectNumber, invalid } from '../../errors';
import type { ServeSummary } from '../../queue';
import { parseQueueFlags, parseThreads, queueOptionsDefinition, sharedOptions, type QueueFlags } from '../flags';

export interface WorkerArgs extends QueueFlags {
  threads?: number;
  dataPath?: string;
  name?: string;
  lockSeconds?: number;
}

/** Turns CLI flags into runWorker() options (every bad flag a NaxError naming it). */
export function workerOptionsFromArgs(args: WorkerArgs): Omit<WorkerOptions, 'signal' | 'log'> {
  const queue = parseQueueFlags(args);
  if (queue === undefined) throw invalid('--queue', 'a URL redis://HOST[:PORT][/DB] (the one `nax-native evolve --queue` uses)', undefined);
  if (args.name !== undefined && (typeof args.name !== 'string' || !/^[\w.:@-]{1,64}$/.test(args.name))) throw invalid('--name', '1-64 letters, digits or "_.:@-"', args.name);
  if (args.dataPath !== undefined && (typeof args.dataPath !== 'string' || args.dataPath === '')) throw invalid('--data-path', 'a folder path', args.dataPath);
  return {
    queue,
    threads: parseThreads(args.threads),
    ...(args.dataPath !== undefined ? { dataPath: args.dataPath } : {}),
    ...(args.name !== undefined ? { name: args.name } : {}),
    ...(args.lockSeconds !== undefined ? { lockSeconds: expectNumber('--lock-seconds', args.lockSeconds, { min: 1, max: 3600 }) } : {}),
  };
}

export async function workerHandler(args: WorkerArgs, extra: { signal?: AbortSignal; log?: (line: string) => void } = {}): Promise<ServeSummary> {
  const options = workerOptionsFromArgs(args);
  const log = extra.log ?? ((line: string) => process.stderr.write(line + '\n'));
  const target = typeof options.queue === 'string' ? options.queue : options.queue.url.replace(/\/\/[^@/]*@/, '//');
  log(`nax-native worker${options.name ? ' ' + options.name : ''} on ${target}: waiting for candidates (Ctrl-C stops after the current one)`);
  const summary = await runWorker({ ...options, signal: extra.signal, log: (line) => log(`${new Date().toISOString().slice(11, 19)} ${line}`) });
  log(`nax-native worker: stopped; ${summary.completed} candidate(s) evaluated, ${summary.failed} failed`);
  return summary;
}

export const workerCommand: CommandModule<object, WorkerArgs> = {
  command: 'worker',
  describe: 'Evaluate the candidates `evolve --queue` puts on a Redis job queue (run any number, on any machine)',
  builder: (y) =>
    y
      .options(queueOptionsDefinition)
      .demandOption('queue')
      .option('threads', sharedOptions.threads)
      .option('data-path', { type: 'string', describe: "where this machine keeps the data set (default: the coordinator's --data-path or the built-in location)" })
      .option('name', { type: 'string', describe: 'name in the coordinator\'s per-worker rates (default host:pid)' })
      .option('lock-seconds', { type: 'number', describe: "job lock: a lost worker's candidate is retried after about this long (default 30)" }) as never,
  handler: async (args) => {
    const controller = new AbortController();
    let interrupted = 0;
    const stop = () => {
      interrupted++;
      if (interrupted > 1) process.exit(130);
      process.stderr.write('\nnax-native worker: finishing the candidate in progress, then stopping (Ctrl-C again to quit now)\n');
      controller.abort();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    try {
      await workerHandler(args, { signal: controller.signal });
    } finally {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    }
  },
};
