/**
 * Longer fuzz runs than CI's: `npx tsx test/fuzz/run.ts [--seed S] [--cases N] [--native]`
 * (scripts/fuzz.sh). Prints a summary per outcome and every failing case; exits 1 on any.
 */
import * as path from 'path';
import { describeFailures, runFuzz } from './driver';

async function main(): Promise<void> {
  const arg = (name: string, def: number) => {
    const i = process.argv.indexOf(name);
    return i >= 0 ? Number(process.argv[i + 1]) : def;
  };
  const seed = arg('--seed', 1);
  const cases = arg('--cases', 2000);
  const child = path.join(__dirname, process.argv.includes('--native') ? 'native-child.ts' : 'onnx-child.ts');
  const t0 = Date.now();
  const results = await runFuzz(child, seed, cases, { batch: 200 });
  const counts: Record<string, number> = {};
  for (const r of results) counts[r.outcome] = (counts[r.outcome] ?? 0) + 1;
  const codes: Record<string, number> = {};
  for (const r of results) if (r.outcome === 'nax') codes[r.code as string] = (codes[r.code as string] ?? 0) + 1;
  console.log(`${path.basename(child)} seed ${seed}: ${cases} cases in ${((Date.now() - t0) / 1000).toFixed(0)} s`, counts, codes);
  const failures = describeFailures(results);
  for (const f of failures) console.log(f);
  process.exitCode = failures.length ? 1 : 0;
}

void main();
