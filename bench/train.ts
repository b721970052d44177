/**
 * Training speed: images/s of a full SGD step (forward, backward, update) for
 * the 28x28 ResNet and ResNet-20 (batch 128), and the conv layers' achieved
 * FLOP rate in the forward and backward passes as a fraction of the float
 * sgemm rate measured in the same run (target >= 40%).
 */
import { Bench } from 'tinybench';
import { loadAddon } from '../lib/native';
import { buildNetwork, TrainModel } from '../lib/train';
import type { ArchName } from '../lib/train';
import { writeResult } from './run';

export interface TrainBenchRow {
  network: string;
  batch: number;
  stepMs: number;
  /** Share of the step spent in conv forward + backward. */
  convShare: number;
  imagesPerSecond: number;
  convForwardGflops: number;
  convBackwardGflops: number;
  sgemmGflops: number;
  forwardOfGemm: number;
  backwardOfGemm: number;
  target: number;
  meetsTarget: boolean;
}

const CASES: { label: string; arch: ArchName; kernels?: number[]; shape: [number, number, number] }[] = [
  { label: 'resnet-mnist 28x28 (3x3)', arch: 'resnet-mnist', shape: [1, 28, 28] },
  { label: 'resnet20 32x32 (3x3)', arch: 'resnet20', shape: [3, 32, 32] },
  { label: 'resnet-mnist supernet {3,5,7} @7', arch: 'resnet-mnist', kernels: [3, 5, 7], shape: [1, 28, 28] },
];

export async function run(opts: { quick: boolean }): Promise<TrainBenchRow[]> {
  const addon = loadAddon();
  const batch = 128;
  const threads = addon.version().threads;
  // The yardstick: sgemm on a well-shaped product (the conv GEMMs are 16..64 rows tall).
  const gemm = await addon.trainGemmRate({ m: 256, n: 4096, k: 576, threads, minSeconds: opts.quick ? 0.3 : 1 });
  const rows: TrainBenchRow[] = [];
  for (const c of CASES) {
    if (opts.quick && c.kernels) continue;
    const model = new TrainModel(buildNetwork(c.arch, { kernels: c.kernels }), { seed: 1, threads });
    const size = c.shape[0] * c.shape[1] * c.shape[2];
    const images = new Float32Array(batch * size);
    for (let i = 0; i < images.length; i++) images[i] = Math.sin(i * 0.37);
    const labels = Uint8Array.from({ length: batch }, (_, i) => i % 10);
    let calls = 0, wallMs = 0;
    const step = async () => {
      const t0 = performance.now();
      await model.native.trainStep({ images, labels, count: batch, lr: 0.01, momentum: 0.9, weightDecay: 5e-4 });
      wallMs += performance.now() - t0;
      calls++;
    };
    await step(); // allocate buffers
    calls = 0;
    wallMs = 0;
    model.native.resetProfile();
    const bench = new Bench({ iterations: opts.quick ? 2 : 6, time: 0, warmupIterations: 0 });
    bench.add(c.label, step);
    await bench.run();
    const p = model.native.profile();
    const fwd = p.convForwardFlops / p.convForwardSeconds / 1e9;
    const bwd = p.convBackwardFlops / p.convBackwardSeconds / 1e9;
    const row: TrainBenchRow = {
      network: c.label,
      batch,
      stepMs: wallMs / calls,
      convShare: ((p.convForwardSeconds + p.convBackwardSeconds) * 1000) / wallMs,
      imagesPerSecond: (batch * 1000 * calls) / wallMs,
      convForwardGflops: fwd,
      convBackwardGflops: bwd,
      sgemmGflops: gemm.gflops,
      forwardOfGemm: fwd / gemm.gflops,
      backwardOfGemm: bwd / gemm.gflops,
      target: 0.4,
      meetsTarget: fwd / gemm.gflops >= 0.4 && bwd / gemm.gflops >= 0.4,
    };
    rows.push(row);
  }
  console.table(
    rows.map((r) => ({
      network: r.network,
      'step ms': r.stepMs.toFixed(0),
      'images/s': r.imagesPerSecond.toFixed(0),
      'conv share': r.convShare.toFixed(2),
      'conv fwd GFLOP/s': r.convForwardGflops.toFixed(1),
      'conv bwd GFLOP/s': r.convBackwardGflops.toFixed(1),
      'sgemm GFLOP/s': r.sgemmGflops.toFixed(1),
      'fwd/gemm': r.forwardOfGemm.toFixed(2),
      'bwd/gemm': r.backwardOfGemm.toFixed(2),
      '>= 40%': r.meetsTarget,
    })),
  );
  writeResult('train', rows);
  return rows;
}

if (require.main === module) {
  run({ quick: process.argv.includes('--quick') }).catch((err) => {
    console.error(err);
    process.exitCode = 1;
  });
}
