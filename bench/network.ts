/**
 * ResNet-20 (random weights, written with our ONNX writer) on 32x32 inputs:
 * images/s of onnxruntime-node, the executor in ideal mode, and the executor
 * in full non-ideal crossbar mode (engine defaults, 64x64 crossbars,
 * parasitics on), measured in the same run. Issue 3 targets: ideal within
 * 2x of onnxruntime-node; non-ideal within 100x. The crossbar run is timed twice: with the
 * default kernels and with the baseline ones (setKernelPath('baseline'): every DAC conversion
 * row converted, digit planes built input by input), so the fused kernel's zero-row skipping
 * shows as a ratio measured in the same run (issue 16).
 *
 * Run: npx tsx bench/network.ts [--quick]   (or npm run bench -- --only network)
 */
import * as os from 'os';
import { Bench } from 'tinybench';
import * as ort from 'onnxruntime-node';
import { buildResNet20 } from '../lib/onnx/builder';
import { writeOnnx } from '../lib/onnx/writer';
import { GraphExecutor } from '../lib/runtime/executor';
import { calibrateInputRanges } from '../lib/runtime/calibrate';
import { crossbarBackend } from '../lib/runtime/crossbar-backend';
import { planGraph } from '../lib/plan';
import { setKernelPath } from '../lib/native';
import { writeResult } from './run';

export interface NetworkRow {
  engine: string;
  batch: number;
  msPerBatch: number;
  imagesPerSecond: number;
  /** Time per image relative to onnxruntime-node (1 = as fast). */
  slowdownVsOrt: number;
  target: string;
  meetsTarget: boolean | null;
  /** Baseline-kernel time over default-kernel time of the crossbar run (baseline row only). */
  defaultKernelsSpeedup?: number;
}

function images(count: number, seed: number): Float32Array {
  let s = seed >>> 0 || 1;
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s / 2 ** 32) * 4 - 2; // roughly a normalised CIFAR image's range
  }
  return out;
}

export async function run(opts: { quick: boolean }): Promise<NetworkRow[]> {
  const batch = opts.quick ? 16 : 64;
  const dims = [batch, 3, 32, 32];
  const graph = buildResNet20({ seed: 20 });
  const bytes = writeOnnx(graph);
  const input = images(batch * 3 * 32 * 32, 7);
  const threads = os.cpus().length;

  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: threads, graphOptimizationLevel: 'all' });
  const feeds = { input: new ort.Tensor('float32', input, dims) };
  const ideal = await GraphExecutor.create(graph, { mode: 'ideal' });
  const inputRanges = await calibrateInputRanges(graph, [{ images: input, dims }]);
  const backend = crossbarBackend(planGraph(graph, { mapping: { default: { rows: 64, cols: 64, parasitics: true } }, inputRanges }));
  const crossbar = await GraphExecutor.create(graph, { mode: 'crossbar', backend });

  const time = opts.quick ? 1500 : 5000;
  const bench = new Bench({ time, warmupTime: 200, iterations: 3 });
  bench
    .add('onnxruntime-node', async () => {
      await session.run(feeds);
    })
    .add('executor ideal', async () => {
      await ideal.runBatch(input, dims);
    })
    .add('executor crossbar 64x64 non-ideal', async () => {
      await crossbar.runBatch(input, dims);
    })
    .add('executor crossbar 64x64 non-ideal, baseline kernels', async () => {
      setKernelPath('baseline');
      try {
        await crossbar.runBatch(input, dims);
      } finally {
        setKernelPath('default');
      }
    });
  await bench.warmup();
  await bench.run();
  console.table(bench.table());
  const ms = (i: number): number => bench.tasks[i].result?.mean ?? NaN;
  const ortMs = ms(0);
  const rows: NetworkRow[] = [
    { engine: 'onnxruntime-node', target: 'reference', limit: Infinity },
    { engine: 'executor ideal', target: '<= 1x ORT (issue 16)', limit: 1 },
    { engine: 'executor crossbar 64x64 (parasitics on)', target: '<= 100x ORT', limit: 100 },
    { engine: 'executor crossbar 64x64, baseline kernels (every conversion row)', target: 'reference of the row above', limit: Infinity },
  ].map((r, i) => {
    const slowdown = ms(i) / ortMs;
    return {
      engine: r.engine,
      batch,
      msPerBatch: Number(ms(i).toFixed(2)),
      imagesPerSecond: Number(((batch * 1000) / ms(i)).toFixed(1)),
      slowdownVsOrt: Number(slowdown.toFixed(2)),
      target: r.target,
      meetsTarget: i === 0 || i === 3 ? null : slowdown <= r.limit,
      ...(i === 3 ? { defaultKernelsSpeedup: Number((ms(3) / ms(2)).toFixed(2)) } : {}),
    };
  });
  console.table(rows);
  writeResult('network', rows);
  backend.dispose();
  await session.release();
  return rows;
}

if (require.main === module) {
  run({ quick: process.argv.includes('--quick') }).catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
