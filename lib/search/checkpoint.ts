/**
 * Evolution checkpoints: one JSON file rewritten atomically after every generation
 * (write a temp file in the same folder, fsync it, rename over the old one, fsync the folder), so
 * a crash or Ctrl-C at any moment leaves either the previous or the new checkpoint, never a
 * torn one.
 */
import * as fs from 'fs';
import * as path from 'path';
import { NaxError, ErrorCodes } from '../errors';
import { checkedText, withDigest } from '../digest';
import type { Genome, SearchSpace } from './genome';
import type { RngState } from './random';

export const CHECKPOINT_FORMAT = 'nax-evolution-checkpoint';
/**
 * 2: genomes may carry column and ADC genes (`cols`, `adcBits`), and the checkpoint holds the
 * successive-halving screen's results (`screened`). Version 1 files are refused with a message:
 * their runs predate both.
 */
export const CHECKPOINT_VERSION = 2;

/** Settings that must match for a resume to continue the same run. */
export interface EvolutionFingerprint {
  space: SearchSpace;
  population: number;
  seed: number;
  crossoverRate: number;
  mutationRate: number;
  initialKeys: string[];
  /** The successive-halving screen (null: none). */
  screening: unknown;
  /** The predictor pre-screen (null: none). */
  prescreen: unknown;
}

export interface CheckpointCandidate<R> {
  key: string;
  genome: Genome;
  result: R;
  generation: number;
}

export interface EvolutionCheckpoint<R> {
  format: typeof CHECKPOINT_FORMAT;
  version: number;
  fingerprint: EvolutionFingerprint;
  /** Last completed generation (0 = the initial population). */
  generation: number;
  /** Generator state after that generation's selection. */
  rng: RngState;
  /** Keys of the current population, in selection order. */
  population: string[];
  /** Every evaluated candidate, in evaluation order. */
  archive: CheckpointCandidate<R>[];
  /** Proxy (screening-rung) results, in evaluation order. */
  proxies: Array<CheckpointCandidate<R> & { fidelity: number }>;
  /** Offspring the predictor pre-screen passed over in the completed generations. */
  predictorRejected?: number;
}

export async function writeFileAtomic(file: string, text: string): Promise<void> {
  const dir = path.dirname(path.resolve(file));
  await fs.promises.mkdir(dir, { recursive: true });
  const tmp = path.join(dir, `.${path.basename(file)}.tmp-${process.pid}`);
  const handle = await fs.promises.open(tmp, 'w');
  try {
    await handle.writeFile(text, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  await fs.promises.rename(tmp, file);
  // Persist the rename itself; not every platform can open a directory, which is fine.
  try {
    const dirHandle = await fs.promises.open(dir, 'r');
    try {
      await dirHandle.sync();
    } finally {
      await dirHandle.close();
    }
  } catch {
    /* best effort */
  }
}

export async function saveCheckpoint<R>(file: string, checkpoint: EvolutionCheckpoint<R>): Promise<void> {
  await writeFileAtomic(file, withDigest(JSON.stringify(checkpoint)));
}

/** Reads a checkpoint; null when the file does not exist. */
export async function loadCheckpoint<R>(file: string): Promise<EvolutionCheckpoint<R> | null> {
  let text: string;
  try {
    text = await fs.promises.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new NaxError(ErrorCodes.io, `cannot read checkpoint ${file}: ${(err as Error).message}`, { cause: err });
  }
  // Files written since checksums were added end in a digest line; it must match.
  text = checkedText(file, text, false, 'delete it, or rerun without --resume to start the search over');
  let parsed: EvolutionCheckpoint<R>;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new NaxError(ErrorCodes.io, `checkpoint ${file} is not valid JSON (${(err as Error).message})`, { cause: err });
  }
  if (parsed?.format === CHECKPOINT_FORMAT && typeof parsed.version === 'number' && parsed.version < CHECKPOINT_VERSION)
    throw new NaxError(
      ErrorCodes.io,
      `checkpoint ${file} is ${CHECKPOINT_FORMAT} version ${parsed.version}, written by an older nax-native (before column/ADC genes and screening); this version reads version ${CHECKPOINT_VERSION}: delete it, or rerun without --resume to start the search over`,
    );
  if (parsed?.format !== CHECKPOINT_FORMAT || parsed.version !== CHECKPOINT_VERSION)
    throw new NaxError(
      ErrorCodes.io,
      `expected ${file} to be a ${CHECKPOINT_FORMAT} version ${CHECKPOINT_VERSION}, got format ${JSON.stringify(parsed?.format)} version ${JSON.stringify(parsed?.version)}`,
    );
  if (!Array.isArray(parsed.archive) || !Array.isArray(parsed.population) || !Number.isInteger(parsed.generation))
    throw new NaxError(ErrorCodes.io, `checkpoint ${file} lacks generation, population or archive`);
  return parsed;
}

/** Names the settings that differ between a checkpoint and the run asked for. */
export function fingerprintDifferences(saved: EvolutionFingerprint, wanted: EvolutionFingerprint): string[] {
  const diffs: string[] = [];
  for (const key of Object.keys(wanted) as Array<keyof EvolutionFingerprint>) {
    const a = JSON.stringify(saved[key]);
    const b = JSON.stringify(wanted[key]);
    if (a !== b) diffs.push(`${key}: checkpoint ${abbreviate(a)}, now ${abbreviate(b)}`);
  }
  return diffs;
}

function abbreviate(s: string | undefined): string {
  if (s === undefined) return 'undefined';
  return s.length > 80 ? s.slice(0, 77) + '...' : s;
}
