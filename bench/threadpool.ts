/**
 * The persistent thread pool behind parallelFor (native/core/parallel.h): the cost of many small
 * parallel calls, where starting and joining threads on every call (the old parallelFor) was a
 * large share of the work. Cases: small GEMMs (the runtime's small layers), a training step and
 * an inference pass of the tiny 4-channel ResNet at batch 8 (dozens of small parallel loops
 * each), all at 2 threads. Microseconds per call, best of several rounds (the machine is shared).
 *
 * Before/after: run it once with the addon built from this tree and once with an older build,
 *   NAX_NATIVE_ADDON=/path/to/old/build/Release/nax_native.node npm run bench -- --only threadpool --quick
 * (the `addon` column says which file was loaded).
 */
import { Bench } from 'tinybench';
import { addonCandidates, gemm, loadAddon } from '../lib/native';
import { buildNetwork, TrainModel } from '../lib/train';
import { writeResult } from './run';
import * as fs from 'fs';

export interface ThreadPoolRow {
  case: string;
  threads: number;
  bestMicroseconds: number;
  meanMicroseconds: number;
  addon: string;
}

async function best(label: string, fn: () => Promise<unknown>, rounds: number, time: number): Promise<{ best: number; mean: number }> {
  await fn();
  let bestUs = Infinity;
  let sum = 0;
  for (let r = 0; r < rounds; r++) {
    const bench = new Bench({ time, warmupTime: 20 });
    bench.add(label, fn);
    await bench.run();
    const mean = (bench.tasks[0].result?.mean ?? NaN) * 1000;
    bestUs = Math.min(bestUs, mean);
    sum += mean;
  }
  return { best: bestUs, mean: sum / rounds };
}

export async function run(opts: { quick: boolean }): Promise<ThreadPoolRow[]> {
  loadAddon();
  const addon = addonCandidates().find((f) => fs.existsSync(f)) ?? 'unknown';
  const rounds = opts.quick ? 3 : 7;
  const time = opts.quick ? 150 : 500;
  const threads = 2;
  const rows: ThreadPoolRow[] = [];
  for (const [m, n, k] of [[16, 16, 16], [64, 64, 64], [256, 32, 72]] as const) {
    const a = Float32Array.from({ length: m * k }, (_, i) => (i % 13) * 0.01);
    const b = Float32Array.from({ length: k * n }, (_, i) => (i % 7) * 0.01);
    const c = new Float32Array(m * n);
    const r = await best(`gemm ${m}x${n}x${k}`, () => gemm({ m, n, k, a, b, c, threads }), rounds, time);
    rows.push({ case: `sgemm ${m}x${n}x${k}`, threads, bestMicroseconds: r.best, meanMicroseconds: r.mean, addon });
  }
  const spec = buildNetwork('resnet-mnist', { width: 4 });
  const model = new TrainModel(spec, { seed: 1, threads });
  const batch = 8;
  const size = spec.inputShape[0] * spec.inputShape[1] * spec.inputShape[2];
  const images = Float32Array.from({ length: batch * size }, (_, i) => Math.sin(i * 0.37));
  const labels = Uint8Array.from({ length: batch }, (_, i) => i % 10);
  const step = await best('train step', () => model.native.trainStep({ images, labels, count: batch, lr: 0.01, momentum: 0.9, weightDecay: 5e-4 }), rounds, time);
  rows.push({ case: `train step, resnet-mnist width 4, batch ${batch}`, threads, bestMicroseconds: step.best, meanMicroseconds: step.mean, addon });
  const fwd = await best('forward', () => model.predict(images, batch, batch), rounds, time);
  rows.push({ case: `inference, resnet-mnist width 4, batch ${batch}`, threads, bestMicroseconds: fwd.best, meanMicroseconds: fwd.mean, addon });
  console.table(rows.map((r) => ({ case: r.case, threads: r.threads, 'best us/call': r.bestMicroseconds.toFixed(1), 'mean us/call': r.meanMicroseconds.toFixed(1) })));
  console.log(`addon: ${addon}`);
  writeResult('threadpool', rows);
  return rows;
}

if (require.main === module) {
  run({ quick: process.argv.includes('--quick') }).catch((err) => {
    console.error(err);
    process.exitCode = 1;
  });
}
