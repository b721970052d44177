/**
 * Depthwise convolutions before and after the direct kernel (issue 17): MobileNetV2 (torchvision
 * layout, random weights, width 0.5) through the ideal executor with depthwise convs on the
 * generic per-group im2col + sgemm path (`depthwiseKernel: false`, what every depthwise conv did
 * before) and on the direct stencil kernel, plus onnxruntime-node as the reference; and the
 * network's depthwise layers alone (sum over its 17 depthwise convs) through the native conv2d;
 * and the network on 64x64 crossbars (engine defaults) with its depthwise convs one matrix per
 * group and packed block-diagonally (lib/plan GroupPacking), programming excluded.
 *
 * Run: npx tsx bench/depthwise.ts [--quick]   (or npm run bench -- --only depthwise)
 */
import * as os from 'os';
import { Bench } from 'tinybench';
import * as ort from 'onnxruntime-node';
import { buildMobileNetV2 } from '../lib/onnx/builder';
import { writeOnnx } from '../lib/onnx/writer';
import { GraphExecutor } from '../lib/runtime/executor';
import { lowerToCrossbarLayers } from '../lib/runtime/lower';
import { runtimeNative } from '../lib/runtime/native';
import { crossbarBackend } from '../lib/runtime/crossbar-backend';
import { planGraph } from '../lib/plan';
import { writeResult } from './run';

export interface DepthwiseRow {
  case: string;
  batch: number;
  msPerBatch: number;
  imagesPerSecond: number;
  /** Time of the row's "before" counterpart (generic depthwise path; per-group crossbars) / this row's time. */
  speedupVsGeneric: number | null;
}

function images(count: number, seed: number): Float32Array {
  let s = seed >>> 0 || 1;
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s / 2 ** 32) * 4 - 2;
  }
  return out;
}

export async function run(opts: { quick: boolean }): Promise<DepthwiseRow[]> {
  const batch = opts.quick ? 4 : 16;
  const resolution = opts.quick ? 96 : 160;
  const dims = [batch, 3, resolution, resolution];
  const graph = buildMobileNetV2({ seed: 2, width: 0.5, resolution });
  const bytes = writeOnnx(graph);
  const input = images(batch * 3 * resolution * resolution, 9);
  const threads = os.cpus().length;
  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: threads, graphOptimizationLevel: 'all' });
  const feeds = { input: new ort.Tensor('float32', input, dims) };
  const direct = await GraphExecutor.create(graph, { mode: 'ideal' });
  const generic = await GraphExecutor.create(graph, { mode: 'ideal', depthwiseKernel: false });

  // The depthwise layers alone, at this batch: one conv2d call each.
  const rt = runtimeNative();
  const dw = lowerToCrossbarLayers(graph, { inputShapes: { input: dims } }).filter((l) => l.groups > 1 && l.groups === l.inChannels);
  const dwCalls = dw.map((l) => {
    const [c, h, w] = l.inputShape;
    const [, oh, ow] = l.outputShape;
    return {
      o: {
        batch, inChannels: c, height: h, width: w, outChannels: l.outChannels, groups: l.groups, kernelH: l.kernel[0], kernelW: l.kernel[1],
        strideH: l.stride[0], strideW: l.stride[1], padTop: l.pads[0], padLeft: l.pads[1], padBottom: l.pads[2], padRight: l.pads[3],
        threads: 0, input: images(batch * c * h * w, 3), weights: images(l.outChannels * l.kernel[0] * l.kernel[1], 4),
      },
      output: new Float32Array(batch * l.outChannels * oh * ow),
    };
  });
  const allDepthwise = async (depthwiseKernel: 0 | 1) => {
    for (const { o, output } of dwCalls) await rt.conv2d({ ...o, depthwiseKernel, output });
  };

  const backends = (['per-group', 'block-diagonal'] as const).map((groupPacking) => crossbarBackend(planGraph(graph, { groupPacking })));
  const [perGroup, packed] = await Promise.all(backends.map((backend) => GraphExecutor.create(graph, { mode: 'crossbar', backend })));

  const bench = new Bench({ time: opts.quick ? 1000 : 4000, warmupTime: 200, iterations: 3 });
  bench
    .add('onnxruntime-node', async () => void (await session.run(feeds)))
    .add('executor ideal, depthwise via generic im2col (before)', async () => void (await generic.runBatch(input, dims)))
    .add('executor ideal, direct depthwise kernel (after)', async () => void (await direct.runBatch(input, dims)))
    .add(`${dw.length} depthwise convs alone, generic (before)`, () => allDepthwise(0))
    .add(`${dw.length} depthwise convs alone, direct (after)`, () => allDepthwise(1))
    .add('crossbars 64x64, depthwise one matrix per group', async () => void (await perGroup.runBatch(input, dims)))
    .add('crossbars 64x64, depthwise block-diagonal', async () => void (await packed.runBatch(input, dims)));
  await bench.warmup();
  await bench.run();
  console.table(bench.table());
  const ms = (i: number): number => bench.tasks[i].result?.mean ?? NaN;
  const rows: DepthwiseRow[] = bench.tasks.map((t, i) => ({
    case: t.name,
    batch,
    msPerBatch: Number(ms(i).toFixed(2)),
    imagesPerSecond: Number(((batch * 1000) / ms(i)).toFixed(1)),
    speedupVsGeneric: i === 0 ? null : Number((ms(i % 2 === 1 ? i : i - 1) / ms(i)).toFixed(2)),
  }));
  console.log(`MobileNetV2 x0.5 at ${resolution}x${resolution}, batch ${batch}, ${threads} threads`);
  console.table(rows);
  writeResult('depthwise', rows);
  for (const b of backends) b.dispose();
  await session.release();
  return rows;
}

if (require.main === module) {
  run({ quick: process.argv.includes('--quick') }).catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
