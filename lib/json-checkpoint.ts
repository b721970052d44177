/**
 * Small JSON checkpoints (sweep): written atomically (temp file, fsync, rename) with a SHA-256
 * line, verified on load, so a killed run resumes from the last complete state and a damaged
 * file is reported by name, never resumed from.
 */
import * as fs from 'fs';
import { ErrorCodes, NaxError } from './errors';
import { writeFileAtomic } from './search/checkpoint';
import { checkedText, withDigest } from './digest';

export interface JsonCheckpoint<T> {
  format: string;
  fingerprint: unknown;
  done: T[];
}

export async function saveCheckpoint<T>(file: string, format: string, body: { fingerprint: unknown; done: T[] }): Promise<void> {
  await writeFileAtomic(file, withDigest(JSON.stringify({ format, ...body })));
}

/** The checkpoint, or null when the file does not exist; a damaged or foreign file is a NaxError naming it. */
export async function loadCheckpoint<T>(file: string, format: string): Promise<JsonCheckpoint<T> | null> {
  let text: string;
  try {
    text = await fs.promises.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new NaxError(ErrorCodes.io, `cannot read checkpoint ${file}: ${(err as Error).message}`, { cause: err });
  }
  const body = checkedText(file, text, true, 'delete it to start over');
  const parsed = JSON.parse(body) as JsonCheckpoint<T>;
  if (parsed.format !== format || !Array.isArray(parsed.done))
    throw new NaxError(ErrorCodes.io, `expected ${file} to be a ${format}, got ${JSON.stringify(parsed.format)}`);
  return parsed;
}
