/**
 * Where the job queue lives: a Redis URL (redis://[user:password@]HOST[:PORT][/DB], rediss:// for
 * TLS) plus password and TLS files, checked up front, and a bounded reachability probe, so a typo
 * or an unreachable server is one NaxError within a few seconds instead of a client that
 * reconnects forever.
 *
 * After the probe, the BullMQ connections reconnect without a limit (a Redis restart must not end
 * a run; jobs and results persist in Redis), which is why the probe carries the time-out.
 */
import * as fs from 'fs';
import { Redis as IORedis, type RedisOptions } from 'ioredis';
import { NaxError, ErrorCodes, expectNumber, invalid } from '../errors';

/** How to reach the queue's Redis server (the `queue` option of evolve() and runWorker()). */
export interface QueueOptions {
  /** redis://[user:password@]HOST[:PORT][/DB] or rediss://... (TLS). */
  url: string;
  /** Password (AUTH); overrides one in the URL. The CLI also reads NAX_QUEUE_PASSWORD. */
  password?: string;
  /** TLS (implied by rediss://). Files are PEM; `rejectUnauthorized` defaults to true. */
  tls?: boolean | QueueTlsOptions;
  /** Seconds the reachability probe (connect + AUTH + PING) may take (default 10). */
  connectTimeoutSeconds?: number;
  /** Key prefix of the BullMQ queue and blobs in Redis (default "nax"). */
  prefix?: string;
}

export interface QueueTlsOptions {
  /** CA certificate file that signed the server's certificate. */
  caFile?: string;
  /** Client certificate and key files (mutual TLS). */
  certFile?: string;
  keyFile?: string;
  /** Verify the server certificate (default true). */
  rejectUnauthorized?: boolean;
  /** Server name for SNI and verification (default: the URL's host). */
  servername?: string;
}

/** A resolved connection: what ioredis (and through it BullMQ) is given, and a printable target. */
export interface QueueConnection {
  redis: RedisOptions;
  /** "redis://host:port/db" without credentials (for logs). */
  target: string;
  prefix: string;
  connectTimeoutMs: number;
}

export const DEFAULT_QUEUE_PREFIX = 'nax';
const DEFAULT_CONNECT_TIMEOUT_SECONDS = 10;

function readPem(name: string, file: unknown): Buffer {
  if (typeof file !== 'string' || file === '') throw invalid(name, 'a PEM file path', file);
  try {
    return fs.readFileSync(file);
  } catch (err) {
    throw new NaxError(ErrorCodes.io, `could not read ${name} ${file}: ${(err as Error).message}`, { cause: err });
  }
}

/** Validates `options` and turns them into ioredis options (no network access). */
export function resolveQueueConnection(options: QueueOptions | string): QueueConnection {
  const o: QueueOptions = typeof options === 'string' ? { url: options } : options;
  if (typeof o !== 'object' || o === null) throw invalid('queue', 'an object { url, password?, tls? } or a redis:// URL', o);
  const rule = 'a URL redis://[user:password@]HOST[:PORT][/DB] or rediss://... (TLS)';
  if (typeof o.url !== 'string' || o.url.trim() === '') throw invalid('queue.url', rule, o.url);
  let url: URL;
  try {
    url = new URL(o.url.trim());
  } catch {
    throw invalid('queue.url', rule, o.url);
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') throw invalid('queue.url', `${rule} (scheme redis: or rediss:)`, o.url);
  if (url.hostname === '') throw invalid('queue.url', `${rule} (a host)`, o.url);
  if (url.search !== '' || url.hash !== '') throw invalid('queue.url', `${rule} (no query or fragment; TLS and password are options)`, o.url);
  const port = url.port === '' ? 6379 : Number(url.port);
  const dbText = url.pathname.replace(/^\//, '');
  if (dbText !== '' && !/^\d+$/.test(dbText)) throw invalid('queue.url', `${rule} (DB a database number, e.g. /0)`, o.url);
  const db = dbText === '' ? 0 : Number(dbText);
  const password = o.password !== undefined ? o.password : url.password !== '' ? decodeURIComponent(url.password) : undefined;
  if (password !== undefined && typeof password !== 'string') throw invalid('queue.password', 'a string', password);
  const username = url.username !== '' ? decodeURIComponent(url.username) : undefined;
  const connectTimeoutSeconds = expectNumber('queue.connectTimeoutSeconds', o.connectTimeoutSeconds ?? DEFAULT_CONNECT_TIMEOUT_SECONDS, { above: 0, max: 3600 });
  const prefix = o.prefix ?? DEFAULT_QUEUE_PREFIX;
  if (typeof prefix !== 'string' || !/^[A-Za-z0-9_.-]{1,64}$/.test(prefix)) throw invalid('queue.prefix', '1-64 letters, digits, "_", "." or "-"', prefix);

  let tls: RedisOptions['tls'];
  const wantTls = url.protocol === 'rediss:' || (o.tls !== undefined && o.tls !== false);
  if (o.tls !== undefined && typeof o.tls !== 'boolean' && (typeof o.tls !== 'object' || o.tls === null)) throw invalid('queue.tls', 'true, false or { caFile?, certFile?, keyFile?, rejectUnauthorized?, servername? }', o.tls);
  if (url.protocol === 'rediss:' && o.tls === false) throw invalid('queue.tls', 'true or TLS options for a rediss:// URL', o.tls);
  if (wantTls) {
    const t = typeof o.tls === 'object' && o.tls !== null ? o.tls : {};
    if (t.rejectUnauthorized !== undefined && typeof t.rejectUnauthorized !== 'boolean') throw invalid('queue.tls.rejectUnauthorized', 'true or false', t.rejectUnauthorized);
    if ((t.certFile === undefined) !== (t.keyFile === undefined)) throw invalid('queue.tls', 'both certFile and keyFile (or neither)', t.certFile ?? t.keyFile);
    tls = {
      servername: t.servername ?? url.hostname,
      rejectUnauthorized: t.rejectUnauthorized ?? true,
      ...(t.caFile !== undefined ? { ca: readPem('queue.tls.caFile', t.caFile) } : {}),
      ...(t.certFile !== undefined ? { cert: readPem('queue.tls.certFile', t.certFile), key: readPem('queue.tls.keyFile', t.keyFile) } : {}),
    };
  }
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return {
    redis: {
      host,
      port,
      db,
      ...(username !== undefined ? { username } : {}),
      ...(password !== undefined ? { password } : {}),
      ...(tls ? { tls } : {}),
      connectTimeout: Math.round(connectTimeoutSeconds * 1000),
    },
    target: `${url.protocol}//${url.hostname}:${port}/${db}`,
    prefix,
    connectTimeoutMs: Math.round(connectTimeoutSeconds * 1000),
  };
}

/** What went wrong talking to Redis, in words a user can act on. */
export function describeRedisError(err: unknown, target: string): string {
  const e = err as { code?: string; message?: string };
  const m = e?.message ?? String(err);
  if (e?.code === 'ECONNREFUSED') return `nothing listens at ${target} (connection refused); is redis-server running there?`;
  if (e?.code === 'ENOTFOUND' || e?.code === 'EAI_AGAIN') return `the host of ${target} does not resolve (${e.code})`;
  if (/WRONGPASS|invalid password|invalid username-password/i.test(m)) return `Redis at ${target} refused the password (set --queue-password or NAX_QUEUE_PASSWORD)`;
  if (/NOAUTH/i.test(m)) return `Redis at ${target} needs a password (--queue-password, NAX_QUEUE_PASSWORD or redis://:PASSWORD@host)`;
  if (/DB index is out of range/i.test(m)) return `Redis at ${target} has no such database number (${m})`;
  if (/certificate|SSL|TLS|wrong version number|EPROTO/i.test(m)) return `TLS with ${target} failed: ${m}`;
  return `${m}`;
}

/**
 * Connects, authenticates and PINGs once, within the connection's time-out; rejects with a
 * NaxError (ERR_NAX_IO) naming the server and the likely fix. Never retries.
 */
export async function probeQueue(connection: QueueConnection): Promise<void> {
  const client = new IORedis({
    ...connection.redis,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
    reconnectOnError: () => false,
  });
  // connect() itself rejects with a bare "Connection is closed."; the cause is in the error event.
  let cause: unknown;
  client.on('error', (err) => {
    cause ??= err;
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      (async () => {
        await client.connect();
        const pong = await client.ping();
        if (pong !== 'PONG') throw new Error(`unexpected PING reply ${JSON.stringify(pong)}`);
      })(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(Object.assign(new Error(`no answer within ${connection.connectTimeoutMs / 1000} s`), { code: 'ETIMEDOUT' })), connection.connectTimeoutMs);
      }),
    ]);
  } catch (err) {
    const timedOut = (err as { code?: string }).code === 'ETIMEDOUT' || (cause as { code?: string } | undefined)?.code === 'ETIMEDOUT';
    const why = timedOut ? `no answer from ${connection.target} within ${connection.connectTimeoutMs / 1000} s (host down or a firewall?)` : describeRedisError(cause ?? err, connection.target);
    throw new NaxError(ErrorCodes.io, `cannot reach the job queue: ${why}`, { cause: err });
  } finally {
    if (timer) clearTimeout(timer);
    client.disconnect();
  }
}

/** A resolved connection as is; options or a URL resolved (and validated). */
export function asQueueConnection(queue: QueueOptions | string | QueueConnection): QueueConnection {
  return typeof queue === 'object' && queue !== null && 'redis' in queue && 'target' in queue ? queue : resolveQueueConnection(queue as QueueOptions | string);
}
