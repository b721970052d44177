/**
 * What travels through the job queue: one job per candidate, named by run id and candidate key
 * (so two runs on one Redis never share a job, and a resumed coordinator finds the jobs, and the
 * results, of its earlier self), carrying the code version and the hash of the run's published
 * inputs; and what a worker hands back.
 */
import { loadAddon } from '../native';
import * as fs from 'fs';
import * as path from 'path';
import { createHash } from 'crypto';
import { NaxError, ErrorCodes, invalid } from '../errors';

/** The BullMQ queue every co-design run's candidates go through (jobs carry their run id). */
export const QUEUE_NAME = 'candidates';
export const JOB_NAME = 'evaluate';

/**
 * Bumped whenever a job's meaning changes (payload, result, or how a candidate is evaluated),
 * so coordinators and workers of different builds refuse each other instead of mixing results.
 */
export const QUEUE_PROTOCOL = 1;

let cachedVersion: string | undefined;

/**
 * "nax-native@0.1.0/queue-1/x64/fma": package version, job protocol, CPU architecture and whether
 * the loaded kernels use fused multiply-add. Float results differ in the last bits between FMA and
 * non-FMA kernels (scripts/compare-prebuilt.js), so workers on such different builds (an x86-64-v2
 * prebuilt binary next to a v3+ one, or a source build on an older CPU) refuse each other's jobs
 * instead of breaking bit-identity; AVX2 and AVX-512 builds with FMA agree and may mix.
 */
export function codeVersion(): string {
  if (cachedVersion) return cachedVersion;
  // lib/queue/*.ts and dist/queue/*.js both sit two folders below the package root.
  const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string };
  const fma = loadAddon().version().fma ? 'fma' : 'nofma';
  cachedVersion = `nax-native@${pkg.version}/queue-${QUEUE_PROTOCOL}/${process.arch}/${fma}`;
  return cachedVersion;
}

/** A job's data: which run, which code and inputs, which candidate. */
export interface JobEnvelope<Payload = unknown> {
  runId: string;
  codeVersion: string;
  /** sha256 of the run's published input blob (its config, and the hashes of its large inputs). */
  configHash: string;
  /** Candidate key (unique within the run). */
  key: string;
  payload: Payload;
}

export interface WorkerIdentity {
  /** host:pid, or the name a worker was started with. */
  id: string;
  host: string;
  pid: number;
  threads: number;
}

/** What a worker returns for a job. */
export interface JobOutcome<Result = unknown> {
  runId: string;
  key: string;
  result: Result;
  worker: WorkerIdentity;
  /** Wall seconds the evaluation took on the worker. */
  seconds: number;
  /** Times the job was started (> 1: an earlier worker died or lost its lock, and it was retried). */
  attemptsStarted: number;
}

const RUN_ID = /^[A-Za-z0-9_-]{1,64}$/;

export function checkRunId(runId: unknown): string {
  if (typeof runId !== 'string' || !RUN_ID.test(runId)) throw invalid('runId', '1-64 letters, digits, "_" or "-"', runId);
  return runId;
}

/** The job id of a candidate: run id and key (BullMQ ids may not contain ":"). */
export function jobId(runId: string, key: string): string {
  if (key.includes(':') || key === '') throw invalid('candidate key', 'a non-empty key without ":"', key);
  return `${runId}.${key}`;
}

export function sha256(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** JSON with object keys sorted at every level, so equal values always hash alike. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v) =>
    v && typeof v === 'object' && !Array.isArray(v) && !ArrayBuffer.isView(v)
      ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, (v as Record<string, unknown>)[k]]))
      : v,
  );
}

/** A failure a worker reports: "[ERR_NAX_...] message" so the coordinator re-raises the same code. */
export function encodeFailure(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown };
  const code = typeof e?.code === 'string' && e.code.startsWith('ERR_NAX_') ? e.code : ErrorCodes.internal;
  return `[${code}] ${typeof e?.message === 'string' ? e.message : String(err)}`;
}

export function decodeFailure(reason: string | undefined): { code: string; message: string } {
  const m = /^\[(ERR_NAX_[A-Z_]+)\] ([\s\S]*)$/.exec(reason ?? '');
  return m ? { code: m[1], message: m[2] } : { code: ErrorCodes.internal, message: reason || 'no reason given' };
}

export function failureError(key: string, reason: string | undefined, worker?: string): NaxError {
  const { code, message } = decodeFailure(reason);
  return new NaxError(code, `candidate ${key} failed${worker ? ` on worker ${worker}` : ''}: ${message}`);
}
