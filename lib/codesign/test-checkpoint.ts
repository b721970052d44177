/**
 * The test split's checkpoint (evolve's final phase, `test-checkpoint.json` in the output
 * folder). Scoring every final model and baseline on several chips over the whole test split is
 * the longest phase of a default run (tens of minutes on 2 cores), so each model's chip results
 * are saved as soon as it finishes, and `--resume` takes them back instead of re-running.
 *
 * An entry is keyed by a SHA-256 of everything its result depends on: the model's ONNX bytes
 * (the fine-tuned weights), the crossbar mapping, the number of chips, the test images and
 * labels, the run's settings (which fix the calibration images) and the code version (package,
 * job protocol and whether the kernels fuse multiply-adds, as the job queue checks). A run with
 * other inputs misses, never reuses. The file is written atomically (rename), so an interruption leaves the previous one.
 */
import * as fs from 'fs';
import { createHash } from 'crypto';
import { writeFileAtomic } from '../search/checkpoint';
import { codeVersion } from '../queue/protocol';
import type { ChipsClassifyResult } from '../runtime/classify';
import type { CrossbarMapping } from '../plan/mapping';

export const TEST_CKPT = 'test-checkpoint.json';
const FORMAT = 1;

interface StoredRun {
  chips: number[];
  accuracies: number[];
  summary: ChipsClassifyResult['summary'];
  images: number;
  /** `correct` packed 8 entries per byte (entry e in bit e % 8 of byte e / 8), base64. */
  correctBits: string;
  seconds: number;
  programSeconds: number;
}

function pack(correct: Uint8Array): string {
  const bytes = new Uint8Array(Math.ceil(correct.length / 8));
  for (let e = 0; e < correct.length; e++) if (correct[e]) bytes[e >> 3] |= 1 << (e & 7);
  return Buffer.from(bytes).toString('base64');
}

function unpack(bits: string, count: number): Uint8Array | undefined {
  const bytes = Buffer.from(bits, 'base64');
  if (bytes.length !== Math.ceil(count / 8)) return undefined;
  const correct = new Uint8Array(count);
  for (let e = 0; e < count; e++) correct[e] = (bytes[e >> 3] >> (e & 7)) & 1;
  return correct;
}

export class TestCheckpoint {
  private runs: Record<string, StoredRun> = {};
  /** Keys read from the file (an earlier, interrupted run), as opposed to those put by this one. */
  private readonly earlier = new Set<string>();

  /** `resume`: read `file` (a missing or unreadable one is an empty checkpoint); otherwise start empty and remove it. */
  constructor(private readonly file: string, resume: boolean) {
    if (!resume) {
      if (fs.existsSync(file)) fs.rmSync(file);
      return;
    }
    try {
      const saved = JSON.parse(fs.readFileSync(file, 'utf8')) as { format?: number; runs?: Record<string, StoredRun> };
      if (saved.format === FORMAT && saved.runs && typeof saved.runs === 'object') {
        this.runs = saved.runs;
        for (const key of Object.keys(saved.runs)) this.earlier.add(key);
      }
    } catch {
      // No checkpoint yet, or a torn one from another tool: every model is scored again.
    }
  }

  /** The key of one model's chip runs. */
  static key(parts: { onnx: Uint8Array; mapping: CrossbarMapping; chips: number; testHash: string; settings: string }): string {
    return createHash('sha256')
      .update(`${codeVersion()}\n${parts.chips}\n${parts.testHash}\n${parts.settings}\n${JSON.stringify(parts.mapping)}\n`)
      .update(parts.onnx)
      .digest('hex');
  }

  /**
   * The stored chip runs under `key`, and whether they come from an earlier run (the file) or from
   * this one (a model identical to one already scored, e.g. a chosen model that is a baseline).
   */
  get(key: string): { run: ChipsClassifyResult; earlier: boolean } | undefined {
    const s = this.runs[key];
    if (!s) return undefined;
    const correct = unpack(s.correctBits, s.chips.length * s.images);
    if (!correct || s.accuracies.length !== s.chips.length) return undefined;
    return {
      run: { chips: s.chips, accuracies: s.accuracies, summary: s.summary, images: s.images, correct, seconds: s.seconds, programSeconds: s.programSeconds },
      earlier: this.earlier.has(key),
    };
  }

  async put(key: string, run: ChipsClassifyResult): Promise<void> {
    this.runs[key] = {
      chips: run.chips, accuracies: run.accuracies, summary: run.summary, images: run.images,
      correctBits: pack(run.correct), seconds: run.seconds, programSeconds: run.programSeconds,
    };
    await writeFileAtomic(this.file, JSON.stringify({ format: FORMAT, runs: this.runs }));
  }
}
