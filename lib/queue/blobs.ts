/**
 * Content-addressed blobs in Redis: large immutable inputs of a run (the supernet checkpoint, the
 * run config) are stored once under their sha256 and fetched by workers by hash, not sent with
 * every job. A fetched blob is hashed again, so a worker never evaluates against other bytes than
 * the coordinator published.
 */
import type { Redis } from 'ioredis';
import { NaxError, ErrorCodes } from '../errors';
import { sha256 } from './protocol';

/** Blobs expire this long after their last publication (a finished run's inputs do not pile up). */
export const BLOB_TTL_SECONDS = 14 * 24 * 3600;

export function blobKey(prefix: string, hash: string): string {
  return `${prefix}:blob:${hash}`;
}

/** Stores `bytes` (once; a second publication only refreshes the expiry) and returns its sha256. */
export async function publishBlob(client: Redis, prefix: string, bytes: Uint8Array): Promise<string> {
  const hash = sha256(bytes);
  const key = blobKey(prefix, hash);
  const stored = await client.set(key, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), 'EX', BLOB_TTL_SECONDS, 'NX');
  if (stored === null) await client.expire(key, BLOB_TTL_SECONDS);
  return hash;
}

/** The blob stored under `hash`, verified; ERR_NAX_IO when it is missing or corrupt. */
export async function fetchBlob(client: Redis, prefix: string, hash: string, what: string): Promise<Buffer> {
  if (!/^[0-9a-f]{64}$/.test(hash)) throw new NaxError(ErrorCodes.invalidArgument, `expected a sha256 hex digest for the ${what} hash, got ${JSON.stringify(hash)}`);
  const bytes = await client.getBuffer(blobKey(prefix, hash));
  if (bytes === null)
    throw new NaxError(ErrorCodes.io, `the ${what} ${hash.slice(0, 12)}... is not in the queue's Redis (expired, or Redis lost its data); rerun the coordinator with --resume to publish it again`);
  const got = sha256(bytes);
  if (got !== hash) throw new NaxError(ErrorCodes.io, `the ${what} in Redis is corrupt: expected sha256 ${hash.slice(0, 12)}..., got ${got.slice(0, 12)}...`);
  return bytes;
}
