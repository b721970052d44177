/**
 * Crossbar transfer-matrix solve time per array size: the fast solver
 * (multifrontal nested dissection) against the banded-Cholesky baseline of the
 * full nodal system, measured in the same run. Issue 2 targets for the fast
 * solver on this 2-core machine: 64x64 <= 2 ms, 128x128 <= 20 ms,
 * 256x256 <= 200 ms.
 *
 * Array: device resistances log-uniform in 100 kohm .. 600 kohm (DESIGN.md
 * Ron/Roff), 2.82 ohm wire segments, 100 ohm driver and sense resistances.
 *
 * Times are medians of the samples (robust on a shared machine); the minimum
 * is kept too. The banded baseline runs a fixed few times, best kept.
 *
 * Run: npx tsx bench/circuit.ts [--quick]   (or npm run bench -- --only circuit)
 */
import { Bench } from 'tinybench';
import { transferMatrix, TransferMatrixOptions } from '../lib/circuit';
import { writeResult } from './run';

export interface CircuitBenchRow {
  size: string;
  /** First call at this size: includes the symbolic analysis (cached afterwards per size and zero pattern). */
  fastFirstCallMs: number;
  /** Median over repeated calls (structure cached, numeric factorisation every call), automatic threads. */
  fastMs: number;
  fastMinMs: number;
  /** Median with threads: 1. */
  fast1ThreadMs: number;
  bandedMs: number | null;
  bandedOverFast: number | null;
  targetMs: number | null;
  meetsTarget: boolean | null;
  maxRelDiff: number | null;
}

const TARGET_MS: Record<number, number> = { 64: 2, 128: 20, 256: 200 };

function spec(n: number, seed: number): Omit<TransferMatrixOptions, 'method' | 'threads'> {
  let s = seed >>> 0 || 1;
  const conductances = new Float64Array(n * n);
  for (let k = 0; k < conductances.length; k++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    conductances[k] = 1 / (1e5 * Math.pow(6, s / 2 ** 32));
  }
  return { rows: n, cols: n, conductances, rWordLine: 2.82, rBitLine: 2.82, rSource: 100, rSink: 100 };
}

export async function run(opts: { quick: boolean }): Promise<CircuitBenchRow[]> {
  const sizes = [16, 32, 64, 128, 256];
  const rows: CircuitBenchRow[] = [];
  await transferMatrix(spec(2, 1)); // load the addon outside the timings
  for (const n of sizes) {
    const s = spec(n, n);
    const runBanded = !(opts.quick && n >= 256);
    const t0 = process.hrtime.bigint();
    await transferMatrix({ ...s, threads: 0 });
    const fastFirstCallMs = Number(process.hrtime.bigint() - t0) / 1e6;
    const bench = new Bench({ time: opts.quick ? 150 : 500, iterations: 5, warmupIterations: 2, warmupTime: 20 });
    bench
      .add(`fast ${n}`, async () => {
        await transferMatrix({ ...s, threads: 0 });
      })
      .add(`fast 1 thread ${n}`, async () => {
        await transferMatrix({ ...s, threads: 1 });
      });
    await bench.warmup();
    await bench.run();
    const median = (i: number): number => {
      const xs = [...(bench.tasks[i].result?.samples ?? [])].sort((a, b) => a - b);
      return xs.length ? xs[Math.floor(xs.length / 2)] : NaN;
    };
    const fastMs = median(0);
    const fastMinMs = bench.tasks[0].result?.min ?? NaN;
    const fast1ThreadMs = median(1);
    let bandedMs: number | null = null;
    let maxRelDiff: number | null = null;
    if (runBanded) {
      // The baseline is slow at large sizes: a fixed small number of runs, best kept.
      const reps = n <= 64 ? 5 : n <= 128 ? 2 : 1;
      let best = Infinity;
      let m: Float64Array | undefined;
      for (let r = 0; r < reps; r++) {
        const t0 = process.hrtime.bigint();
        m = await transferMatrix({ ...s, method: 'banded' });
        best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e6);
      }
      bandedMs = best;
      const fast = await transferMatrix(s);
      maxRelDiff = 0;
      for (let k = 0; k < fast.length; k++) maxRelDiff = Math.max(maxRelDiff, Math.abs(fast[k] - m![k]) / Math.abs(m![k]));
    }
    const targetMs = TARGET_MS[n] ?? null;
    rows.push({
      size: `${n}x${n}`,
      fastFirstCallMs,
      fastMs,
      fastMinMs,
      fast1ThreadMs,
      bandedMs,
      bandedOverFast: bandedMs === null ? null : bandedMs / fastMs,
      targetMs,
      meetsTarget: targetMs === null ? null : fastMs <= targetMs,
      maxRelDiff,
    });
  }
  console.table(
    rows.map((r) => ({
      size: r.size,
      'fast first call ms': r.fastFirstCallMs.toFixed(3),
      'fast ms': r.fastMs.toFixed(3),
      'fast min ms': r.fastMinMs.toFixed(3),
      'fast 1-thread ms': r.fast1ThreadMs.toFixed(3),
      'banded ms': r.bandedMs === null ? 'skipped' : r.bandedMs.toFixed(1),
      'banded/fast': r.bandedOverFast === null ? '-' : r.bandedOverFast.toFixed(0),
      'target ms': r.targetMs ?? '-',
      meets: r.meetsTarget ?? '-',
      'max rel diff': r.maxRelDiff === null ? '-' : r.maxRelDiff.toExponential(1),
    })),
  );
  writeResult('circuit', rows);
  return rows;
}

if (require.main === module) {
  run({ quick: process.argv.includes('--quick') }).catch((err) => {
    console.error(err);
    process.exitCode = 1;
  });
}
