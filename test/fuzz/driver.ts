/**
 * Runs fuzz cases in child processes and classifies every case: ok, nax (a NaxError: fine),
 * foreign (any other error: a bug), crash (the child died by a signal or exited mid-case) or hang
 * (no result within the per-case limit; the child is killed). A dead child is replaced and the
 * run continues after the case that killed it.
 */
import { spawn } from 'child_process';
import * as path from 'path';

export interface CaseResult {
  i: number;
  outcome: 'ok' | 'nax' | 'foreign' | 'crash' | 'hang';
  model?: string;
  kind?: string;
  stage?: string;
  code?: string;
  name?: string;
  message?: string;
  where?: string;
}

const root = path.join(__dirname, '..', '..');

export async function runFuzz(child: string, seed: number, cases: number, options: { timeoutMs?: number; batch?: number } = {}): Promise<CaseResult[]> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const results: CaseResult[] = [];
  let next = 0;
  while (next < cases) {
    const end = Math.min(cases, next + (options.batch ?? cases));
    const done = await new Promise<number>((resolve) => {
      const p = spawn(process.execPath, ['--require', require.resolve('tsx/cjs'), child, String(seed), String(next), String(end)], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
      let current = next;
      let buffer = '';
      let stderr = '';
      let timer: NodeJS.Timeout | undefined;
      const arm = () => {
        if (timer) clearTimeout(timer);
        timer = setTimeout(() => {
          results.push({ i: current, outcome: 'hang', message: `no result within ${timeoutMs} ms` });
          p.kill('SIGKILL');
        }, timeoutMs);
      };
      arm();
      p.stderr.on('data', (d) => (stderr = (stderr + d).slice(-2000)));
      p.stdout.on('data', (d) => {
        buffer += d;
        let nl;
        while ((nl = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, nl);
          buffer = buffer.slice(nl + 1);
          const r = JSON.parse(line);
          if (r.started) {
            current = r.i;
            arm();
          } else {
            results.push(r);
            current = r.i + 1;
          }
        }
      });
      p.on('exit', (code, signal) => {
        if (timer) clearTimeout(timer);
        const hung = results.some((r) => r.i === current && r.outcome === 'hang');
        if (current < end && !hung) results.push({ i: current, outcome: 'crash', message: `child ${signal ? `killed by ${signal}` : `exited ${code}`}: ${stderr.slice(-500)}` });
        resolve(current < end ? current + 1 : end);
      });
    });
    next = done;
  }
  return results.sort((a, b) => a.i - b.i);
}

/** One line per failing case, for test messages and the script. */
export function describeFailures(results: CaseResult[]): string[] {
  return results
    .filter((r) => r.outcome !== 'ok' && r.outcome !== 'nax')
    .map((r) => `case ${r.i} (${r.model ?? '?'}, ${r.kind ?? '?'}, ${r.stage ?? '?'}): ${r.outcome} ${r.name ?? ''} ${r.message ?? ''} ${r.where ?? ''}`);
}
