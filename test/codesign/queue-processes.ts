/**
 * Child processes for the queue tests: `nax-native worker` (the CLI, through tsx) and a
 * coordinator script running evolve({ queue }) with the tiny settings, each with its output
 * collected line by line so a test can wait for "evaluating ..." and kill it mid-job.
 */
import { spawn, type ChildProcess } from 'child_process';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '..', '..');
// tsx as a loader inside one node process (its CLI would run the script in a child process, and
// a SIGKILL would then hit only the parent).
const TSX_PREFLIGHT = path.join(ROOT, 'node_modules', 'tsx', 'dist', 'preflight.cjs');
const TSX_LOADER = 'file://' + path.join(ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs');

export interface TestProcess {
  child: ChildProcess;
  /** Every line it printed (stdout and stderr). */
  lines: string[];
  /** Resolves with the first line (already printed or to come) matching `pattern`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  exited: Promise<number | null>;
  /** SIGINT/SIGTERM/SIGKILL, then waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export function spawnScript(script: string, args: string[], env: NodeJS.ProcessEnv = {}): TestProcess {
  const child = spawn(process.execPath, ['--require', TSX_PREFLIGHT, '--import', TSX_LOADER, path.join(ROOT, script), ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const listeners = new Set<() => void>();
  const onData = (buffer: { rest: string }) => (chunk: Buffer) => {
    const text = buffer.rest + chunk.toString('utf8');
    const parts = text.split('\n');
    buffer.rest = parts.pop()!;
    lines.push(...parts);
    if (process.env.NAX_TEST_VERBOSE) for (const p of parts) process.stderr.write(`[${path.basename(script)} ${child.pid}] ${p}\n`);
    for (const l of [...listeners]) l();
  };
  child.stdout!.on('data', onData({ rest: '' }));
  child.stderr!.on('data', onData({ rest: '' }));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const waitFor = (pattern: RegExp, timeoutMs = 120000) =>
    new Promise<string>((resolve, reject) => {
      const check = () => {
        const hit = lines.find((l) => pattern.test(l));
        if (hit !== undefined) {
          listeners.delete(check);
          clearTimeout(timer);
          resolve(hit);
        }
      };
      const timer = setTimeout(() => {
        listeners.delete(check);
        reject(new Error(`no line matching ${pattern} within ${timeoutMs} ms; got:\n${lines.slice(-20).join('\n')}`));
      }, timeoutMs);
      listeners.add(check);
      check();
    });
  const stop = async (signal: NodeJS.Signals = 'SIGTERM') => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    return exited;
  };
  return { child, lines, waitFor, exited, stop };
}

export function startWorker(url: string, options: { threads?: number; lockSeconds?: number; name: string; password?: string }): TestProcess {
  const args = ['worker', '--queue', url, '--name', options.name, '--threads', String(options.threads ?? 1), '--lock-seconds', String(options.lockSeconds ?? 30)];
  return spawnScript('lib/cli/main.ts', args, options.password ? { NAX_QUEUE_PASSWORD: options.password } : {});
}
