/**
 * Crash safety: `kill -9` of an evolve or a training run at seeded random moments, then a resume,
 * gives exactly the uninterrupted result (checkpoints are atomic and verified; nothing a user made
 * is lost). The jobs run in child processes (tsx) so SIGKILL hits them mid-work.
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { comparable } from './tiny-evolve';
import { loadCheckpoint } from '../../lib/train';
import { Rng } from '../../lib/search/random';

const child = path.join(__dirname, 'crash-child.ts');
const tmp = (tag: string) => fs.mkdtempSync(path.join(os.tmpdir(), `nax-crash-${tag}-`));

/** Runs the child; kills it with SIGKILL after `killAfterMs` (if still running). Resolves with how it ended. */
function runChild(args: string[], killAfterMs?: number, killWhen?: () => boolean): Promise<{ killed: boolean; code: number | null; stderr: string; ms: number }> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    // node itself (not the tsx CLI, which runs the script in a grandchild) so SIGKILL hits the job.
    const p = spawn(process.execPath, ['--require', require.resolve('tsx/cjs'), child, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    p.stderr.on('data', (d) => (stderr += d));
    let killed = false;
    const timer = killAfterMs === undefined || killWhen ? undefined : setTimeout(() => {
      killed = p.kill('SIGKILL');
    }, killAfterMs);
    // Or once a condition holds (e.g. a first checkpoint exists), after killAfterMs more.
    const poll = killWhen
      ? setInterval(() => {
          if (!killWhen()) return;
          clearInterval(poll);
          setTimeout(() => (killed = p.kill('SIGKILL')), killAfterMs ?? 0);
        }, 20)
      : undefined;
    p.on('exit', (code) => {
      if (timer) clearTimeout(timer);
      if (poll) clearInterval(poll);
      resolve({ killed: killed && code === null, code, stderr, ms: Date.now() - t0 });
    });
  });
}


jest.setTimeout(600_000);

describe('kill -9, then resume', () => {
  const rng = new Rng(20261202);

  // Kill moments are seeded fractions of the uninterrupted child's own wall time, so they land
  // in start-up, data loading, training, the search and the final phase on any machine speed.
  test('evolve: SIGKILL at random moments, then --resume: the uninterrupted result', async () => {
    const refDir = tmp('ref');
    const ref = await runChild(['evolve', refDir]);
    expect(ref.code).toBe(0);
    const reference = comparable(JSON.parse(fs.readFileSync(path.join(refDir, 'results.json'), 'utf8')));
    const dir = tmp('evolve');
    let kills = 0;
    for (let i = 0; i < 3; i++) {
      // The first kill lands after the first supernet epoch is checkpointed (so mid-run on any
      // machine); the later ones at seeded fractions of the run time.
      const r =
        i === 0
          ? await runChild(['evolve', dir, ''], Math.floor(rng.nextFloat() * 1500), () => fs.existsSync(path.join(dir, 'supernet.ckpt')))
          : await runChild(['evolve', dir, 'resume'], Math.floor((0.25 + 0.6 * rng.nextFloat()) * ref.ms));
      if (r.killed) kills++;
      else expect(r.code).toBe(0);
    }
    expect(kills).toBeGreaterThan(0);
    expect((await runChild(['evolve', dir, 'resume'])).code).toBe(0);
    expect(comparable(JSON.parse(fs.readFileSync(path.join(dir, 'results.json'), 'utf8')))).toEqual(reference);
  });

  test('sweep: SIGKILL at random moments, then --resume: the uninterrupted sweep.json (timings aside)', async () => {
    const strip = (file: string) => {
      const r = JSON.parse(fs.readFileSync(file, 'utf8'));
      for (const row of r.rows) {
        delete row.programSeconds;
        delete row.imagesPerSecond;
      }
      delete r.seconds;
      delete r.idealImagesPerSecond;
      delete r.inputActivitySeconds;
      delete r.model; // the folder differs
      return r;
    };
    const refDir = tmp('sweep-ref');
    const ref = await runChild(['sweep', refDir]);
    expect(ref.code).toBe(0);
    const dir = tmp('sweep');
    let kills = 0;
    // Killed after the first finished size is checkpointed (plus a seeded delay), so every kill
    // lands mid-sweep whatever the machine's speed.
    const ckpt = path.join(dir, 'out', 'sweep-checkpoint.json');
    for (let i = 0; i < 2; i++) {
      const seen = fs.existsSync(ckpt) ? fs.statSync(ckpt).mtimeMs : 0;
      const r = await runChild(['sweep', dir, i === 0 ? '' : 'resume'], Math.floor(rng.nextFloat() * 300), () => fs.existsSync(ckpt) && fs.statSync(ckpt).mtimeMs > seen);
      if (r.killed) kills++;
      else expect(r.code).toBe(0);
    }
    expect(kills).toBeGreaterThan(0);
    expect((await runChild(['sweep', dir, 'resume'])).code).toBe(0);
    expect(strip(path.join(dir, 'out', 'sweep.json'))).toEqual(strip(path.join(refDir, 'out', 'sweep.json')));
  });

  test('train: SIGKILL mid-run, then resume: bit-identical weights', async () => {
    const refDir = tmp('train-ref');
    const ref = await runChild(['train', refDir]);
    expect(ref.code).toBe(0);
    const dir = tmp('train');
    let kills = 0;
    for (let i = 0; i < 3; i++) {
      const r =
        i === 0
          ? await runChild(['train', dir, ''], Math.floor(rng.nextFloat() * 300), () => fs.existsSync(path.join(dir, 'train.ckpt')))
          : await runChild(['train', dir, 'resume'], Math.floor((0.3 + 0.6 * rng.nextFloat()) * ref.ms));
      if (r.killed) kills++;
    }
    expect((await runChild(['train', dir, 'resume'])).code).toBe(0);
    expect(kills).toBeGreaterThan(0);
    const a = loadCheckpoint(path.join(refDir, 'train.ckpt'));
    const b = loadCheckpoint(path.join(dir, 'train.ckpt'));
    expect(b.epoch).toBe(a.epoch);
    for (const [name, w] of Object.entries(a.state.params)) expect(Buffer.from(b.state.params[name].buffer).equals(Buffer.from(w.buffer))).toBe(true);
  });
});
