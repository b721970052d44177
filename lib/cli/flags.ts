/**
 * What every `nax-native` command shares: reading a JSON flag file, comma-separated integer
 * lists, the kernel-size and --threads rules, the shared yargs options and the progress bar.
 * Each rule is written once here (or in the library that owns it), so the commands agree on
 * limits and on the message shape "expected X for --flag, got Y".
 */
import * as cliProgress from 'cli-progress';
import type { Options } from 'yargs';
import { MAX_THREADS } from '../crossbar/config';
import { type ChipAccuracies, MAX_CHIPS } from '../runtime/classify';
import { ErrorCodes, NaxError, describeValue, expectNumber } from '../errors';
import { readJsonFile } from '../json-file';
import { KERNEL_SIZE_RULE, isKernelSize } from '../train/network';
import type { QueueOptions } from '../queue';

/**
 * The JSON object in the file a flag names (--hardware, --device): ERR_NAX_IO when it cannot be
 * read, ERR_NAX_CONFIG when it is not JSON or not an object.
 */
export function readJsonObject<T extends object = Record<string, unknown>>(file: string, flag: string): T {
  const value = readJsonFile(file, `${flag} file`);
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new NaxError(ErrorCodes.config, `expected a JSON object in ${flag} file ${file}, got ${describeValue(value)}`);
  return value as T;
}

/** A list flag as yargs hands it over: "3,5,7", a single number, or one entry per repeated flag. */
export type ListFlagValue = string | number | ReadonlyArray<string | number>;

export interface IntegerListRule {
  /** The allowed values in words, plural: "odd integers in [1, 15]", "positive integers". */
  what: string;
  /** Which integers are allowed (default: every non-negative integer). */
  allows?: (value: number) => boolean;
  /** Reject a value listed twice. */
  distinct?: boolean;
}

/**
 * "16,32,64" -> [16, 32, 64], in the order given. Every entry is a plain decimal integer the
 * rule allows; errors (ERR_NAX_INVALID_ARGUMENT) read "expected a comma-separated list of
 * <what> for <flag>, got <the bad entry>".
 */
export function parseIntegerList(flag: string, value: ListFlagValue | undefined, rule: IntegerListRule): number[] | undefined {
  if (value === undefined) return undefined;
  const text = Array.isArray(value) ? value.join(',') : String(value);
  const expected = `a comma-separated list of ${rule.distinct ? 'distinct ' : ''}${rule.what}`;
  const fail = (got: string) => new NaxError(ErrorCodes.invalidArgument, `expected ${expected} for ${flag}, got ${JSON.stringify(got)}`);
  if (text.trim() === '') throw fail(text);
  const list = text.split(',').map((part) => {
    const entry = part.trim();
    const v = Number(entry);
    if (!/^\d+$/.test(entry) || (rule.allows !== undefined && !rule.allows(v))) throw fail(entry);
    return v;
  });
  if (rule.distinct && new Set(list).size !== list.length) throw fail(text);
  return list;
}

/** A rule for a list drawn from fixed choices (each at most once), e.g. the crossbar sizes the hardware table knows. */
export function choicesRule(choices: readonly number[]): IntegerListRule {
  return { what: `values from {${choices.join(', ')}}`, allows: (v) => choices.includes(v), distinct: true };
}

/** Kernel sizes by the network builder's rule (KERNEL_SIZE_RULE); `distinct` for a set of choices, not for a per-layer list. */
export function parseKernelSizes(flag: string, value: ListFlagValue | undefined, options: { distinct?: boolean } = {}): number[] | undefined {
  return parseIntegerList(flag, value, { what: KERNEL_SIZE_RULE, allows: isKernelSize, distinct: options.distinct });
}

/**
 * --threads: an integer in [0, MAX_THREADS] (0 = all cores), the bound the crossbar config
 * itself enforces. Commands call this before loading anything, so a typo fails at once instead
 * of reaching a thread pool (ERR_NAX_OUT_OF_RANGE, or ERR_NAX_INVALID_ARGUMENT for a non-integer).
 */
export function parseThreads(value: unknown, flag = '--threads'): number | undefined {
  return value === undefined ? undefined : expectNumber(flag, value, { integer: true, min: 0, max: MAX_THREADS });
}

/**
 * --chips: device instances to score, an integer in [1, MAX_CHIPS] (each chip draws its own
 * variation, faults and read noise). Commands call this before loading anything.
 */
export function parseChips(value: unknown, fallback: number, flag = '--chips'): number {
  return expectNumber(flag, value ?? fallback, { integer: true, min: 1, max: MAX_CHIPS });
}

/**
 * One model's accuracy over chips: "97.10%" for one chip (no spread from one draw), else
 * "97.10% ± 0.35% (95% CI 96.67-97.53%, 5 chips: 97.0, ...)".
 */
export function formatChipAccuracy(c: ChipAccuracies, options: { perChip?: boolean } = {}): string {
  const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
  if (c.chips === 1 || c.std === null || c.ci95 === null) return pct(c.mean);
  const per = options.perChip === false ? '' : `: ${c.accuracies.map((a) => (100 * a).toFixed(2)).join(', ')}`;
  return `${pct(c.mean)} ± ${(100 * c.std).toFixed(2)}% (95% CI ${(100 * c.ci95[0]).toFixed(2)}-${(100 * c.ci95[1]).toFixed(2)}%, ${c.chips} chips${per})`;
}

/** yargs definitions of the flags several commands take (their handlers validate them with the functions above). */
export const sharedOptions = {
  threads: { type: 'number', describe: `native threads, 0 to ${MAX_THREADS} (default 0: all cores)` },
  progress: {
    type: 'boolean',
    describe: 'progress bar on stderr (default: when stderr is a terminal and not --json; on a pipe it prints a line every 5 s)',
  },
  json: { type: 'boolean', describe: 'print JSON' },
  chips: {
    type: 'number',
    describe: `device instances (independent draws of variation, faults and read noise) the crossbar accuracy is scored on, 1 to ${MAX_CHIPS}; reports mean, std and 95% CI`,
  },
  inputActivity: {
    type: 'string',
    choices: ['measured', 'default'],
    describe: "input bit statistics of the crossbar read energy: 'measured' on the calibration images (default) or the template's 'default' (bits 1 with probability 1/2, as `cost` without data)",
  },
} satisfies Record<string, Options>;

export interface ProgressFlags {
  progress?: boolean;
  json?: boolean;
}

/** --progress decides when given; otherwise a bar when the stream is a terminal and the output is not --json. */
export function progressEnabled(flags: ProgressFlags, stream: { isTTY?: boolean } = process.stderr): boolean {
  return flags.progress ?? (!flags.json && stream.isTTY === true);
}

/** A command's progress bar; every method does nothing when the bar is off. */
export interface ProgressBar {
  readonly enabled: boolean;
  /** Shows `done` of `total` for `stage`; a new stage (a phase, an epoch) ends the current bar and starts a new one. */
  update(stage: string, done: number, total: number, payload?: Record<string, unknown>): void;
  /** Ends the current bar (before printing a line, and at the end); the next update starts a new one. */
  stop(): void;
}

export interface ProgressBarOptions {
  /** Where the bar goes (default: process.stderr, so stdout stays the command's output). */
  stream?: NodeJS.WritableStream & { isTTY?: boolean };
  /** Updates the ETA averages over (cli-progress default 10). */
  etaBuffer?: number;
}

/**
 * The one progress bar of the CLI: a cli-progress SingleBar with the command's `format` (its own
 * tokens: {phase}, {eta_formatted}, ...). On a pipe or file (--progress in CI logs) it prints a
 * line every 5 s instead of redrawing.
 */
export function createProgressBar(format: string, flags: ProgressFlags, options: ProgressBarOptions = {}): ProgressBar {
  const stream = options.stream ?? process.stderr;
  if (!progressEnabled(flags, stream)) return { enabled: false, update: () => undefined, stop: () => undefined };
  const bar = new cliProgress.SingleBar(
    {
      format,
      stream,
      hideCursor: true,
      clearOnComplete: false,
      noTTYOutput: !stream.isTTY,
      notTTYSchedule: 5000,
      ...(options.etaBuffer !== undefined ? { etaBuffer: options.etaBuffer } : {}),
    },
    cliProgress.Presets.shades_classic,
  );
  let stage: string | undefined;
  return {
    enabled: true,
    update(next, done, total, payload = {}) {
      const barTotal = Math.max(1, total);
      if (next !== stage) {
        if (stage !== undefined) bar.stop();
        stage = next;
        bar.start(barTotal, done, payload);
      } else {
        bar.setTotal(barTotal);
        bar.update(done, payload);
      }
    },
    stop() {
      if (stage !== undefined) bar.stop();
      stage = undefined;
    },
  };
}

/** The job-queue flags of `evolve` and `worker` (a Redis URL plus password and TLS files). */
export interface QueueFlags {
  queue?: string;
  queuePassword?: string;
  queueTls?: boolean;
  queueCa?: string;
  queueCert?: string;
  queueKey?: string;
  queueInsecure?: boolean;
  queueTimeout?: number;
}

export const queueOptionsDefinition = {
  queue: { type: 'string', describe: 'job queue: redis://[user:password@]HOST[:PORT][/DB] (rediss:// for TLS)' },
  'queue-password': { type: 'string', describe: 'Redis password (or NAX_QUEUE_PASSWORD, which keeps it out of the process list)' },
  'queue-tls': { type: 'boolean', describe: 'TLS to Redis (implied by rediss://)' },
  'queue-ca': { type: 'string', describe: 'PEM file of the CA that signed the Redis server certificate' },
  'queue-cert': { type: 'string', describe: 'PEM client certificate (mutual TLS; with --queue-key)' },
  'queue-key': { type: 'string', describe: 'PEM client key (with --queue-cert)' },
  'queue-insecure': { type: 'boolean', describe: 'do not verify the server certificate (testing only)' },
  'queue-timeout': { type: 'number', describe: 'seconds to wait for Redis to answer before giving up (default 10)' },
} satisfies Record<string, Options>;

/**
 * The queue option of evolve()/runWorker() from the flags, or undefined without --queue. Queue
 * flags without --queue are an error; the URL itself is checked when the queue is opened (first
 * thing in evolve() and runWorker(), before any data is read).
 */
export function parseQueueFlags(args: QueueFlags, env: NodeJS.ProcessEnv = process.env): QueueOptions | undefined {
  const extra = (['queuePassword', 'queueTls', 'queueCa', 'queueCert', 'queueKey', 'queueInsecure', 'queueTimeout'] as const).find((k) => args[k] !== undefined);
  if (args.queue === undefined) {
    if (extra) throw new NaxError(ErrorCodes.invalidArgument, `expected --queue redis://HOST:PORT with --${extra.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())}, got no --queue`);
    return undefined;
  }
  if (typeof args.queue !== 'string' || args.queue.trim() === '') throw new NaxError(ErrorCodes.invalidArgument, `expected a URL redis://HOST[:PORT][/DB] for --queue, got ${describeValue(args.queue)}`);
  const timeout = args.queueTimeout === undefined ? undefined : expectNumber('--queue-timeout', args.queueTimeout, { above: 0, max: 3600 });
  const tlsFiles = args.queueCa !== undefined || args.queueCert !== undefined || args.queueKey !== undefined || args.queueInsecure !== undefined;
  const password = args.queuePassword ?? env.NAX_QUEUE_PASSWORD;
  return {
    url: args.queue,
    ...(password !== undefined && password !== '' ? { password } : {}),
    ...(args.queueTls || tlsFiles
      ? { tls: { caFile: args.queueCa, certFile: args.queueCert, keyFile: args.queueKey, ...(args.queueInsecure ? { rejectUnauthorized: false } : {}) } }
      : {}),
    ...(timeout !== undefined ? { connectTimeoutSeconds: timeout } : {}),
  };
}
