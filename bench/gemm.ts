/**
 * GEMM throughput (native sgemm/dgemm through the addon) on the shapes the
 * engine and the trainer use: conv-like narrow products, the crossbar's wide
 * short products, and a square one. GFLOP/s from wall time (tinybench) and
 * from CPU time (robust on a loaded machine; per core when threads = 1).
 *
 * Run: npx tsx bench/gemm.ts [--quick]   (or npm run bench -- --only gemm)
 */
import { Bench } from 'tinybench';
import { gemm, loadAddon } from '../lib/native';
import { writeResult } from './run';

export interface GemmRow {
  precision: 'f32' | 'f64';
  shape: string;
  threads: number;
  wallGflops: number;
  cpuGflopsPerThread: number;
}

function filled<T extends Float32Array | Float64Array>(ctor: new (n: number) => T, count: number, seed: number): T {
  const out = new ctor(count);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < count; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

export async function run(opts: { quick: boolean }): Promise<GemmRow[]> {
  const addon = loadAddon();
  const shapes: Array<[number, number, number, string]> = [
    [256 * 16, 64, 576, 'conv 3x3x64 -> 64 (m x n x k)'],
    [4096, 512, 64, 'crossbar tile (digits x E)'],
    [1024, 1024, 1024, 'square'],
  ];
  const threadCounts = opts.quick ? [1] : [1, 0];
  const time = opts.quick ? 300 : 1000;
  const rows: GemmRow[] = [];
  for (const precision of ['f32', 'f64'] as const)
    for (const [m, n, k, label] of shapes)
      for (const threads of threadCounts) {
        const ctor = precision === 'f32' ? Float32Array : Float64Array;
        const a = filled(ctor as new (n: number) => Float32Array | Float64Array, m * k, 1);
        const b = filled(ctor as new (n: number) => Float32Array | Float64Array, k * n, 2);
        const c = new ctor(m * n);
        const call = () => gemm({ m, n, k, a, b, c, threads } as Parameters<typeof gemm>[0]);
        await call();
        const bench = new Bench({ time, warmupTime: 50 });
        bench.add(`${precision} ${m}x${n}x${k} threads=${threads || 'all'}`, call);
        const cpuStart = process.cpuUsage();
        await bench.run();
        const cpu = process.cpuUsage(cpuStart);
        const task = bench.tasks[0];
        const calls = task.result?.samples.length ?? 1;
        const flops = 2 * m * n * k;
        const usedThreads = threads || (addon.version().threads ?? 1);
        rows.push({
          precision,
          shape: `${m}x${n}x${k} ${label}`,
          threads: usedThreads,
          wallGflops: flops / ((task.result?.mean ?? NaN) * 1e6),
          cpuGflopsPerThread: (flops * calls) / (((cpu.user + cpu.system) / 1e6) * 1e9),
        });
      }
  console.table(
    rows.map((r) => ({
      precision: r.precision,
      shape: r.shape,
      threads: r.threads,
      'GFLOP/s (wall)': r.wallGflops.toFixed(1),
      'GFLOP/s per thread (CPU time)': r.cpuGflopsPerThread.toFixed(1),
    })),
  );
  writeResult('gemm', rows);
  return rows;
}

if (require.main === module) {
  run({ quick: process.argv.includes('--quick') }).catch((err) => {
    console.error(err);
    process.exitCode = 1;
  });
}
