/**
 * Cost-model throughput: one ResNet-20 plan costed per call (the search's EDAP objective runs
 * this once per candidate), with and without parasitics (the wire estimate walks one
 * representative array per layer) and with the layers' weights (programmed levels), plus the
 * whole --sensitivity table (10 variants x 4 sizes). Calls per second from wall time (tinybench).
 *
 * Run: npx tsx bench/cost.ts [--quick]   (or npm run bench -- --only cost)
 */
import { Bench } from 'tinybench';
import { costSensitivity, hardwareCost, resnetCifarLayers } from '../lib/hardware';
import { planLayers } from '../lib/plan';
import { writeResult } from './run';

export interface CostRow {
  task: string;
  callsPerSecond: number;
  meanMs: number;
}

export async function run(opts: { quick: boolean }): Promise<CostRow[]> {
  const layers = resnetCifarLayers();
  const plan = planLayers(layers, { mapping: { default: { rows: 64, cols: 64 } } });
  const wired = planLayers(layers, { mapping: { default: { rows: 64, cols: 64, parasitics: true } } });
  let s = 7;
  const weights = Object.fromEntries(layers.map((l) => [l.name, new Float32Array(l.k * l.n).map(() => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648) - 0.5)]));
  const bench = new Bench({ time: opts.quick ? 300 : 1500, warmupTime: 50 });
  bench.add('ResNet-20 plan, 64x64 (puma)', () => void hardwareCost({ plan }));
  bench.add('ResNet-20 plan, 64x64, isaac', () => void hardwareCost({ plan, hardware: { template: 'isaac' } }));
  bench.add('ResNet-20 plan, 64x64, parasitics (wire estimate)', () => void hardwareCost({ plan: wired }));
  bench.add('ResNet-20 layers + weights, 64x64', () => void hardwareCost({ model: layers, mapping: { default: { rows: 64, cols: 64 } }, weights }));
  bench.add('ResNet-20 --sensitivity (10 variants x 4 sizes)', () => void costSensitivity(layers, [16, 32, 64, 128]));
  await bench.run();
  const rows = bench.tasks.map((t) => ({ task: t.name, callsPerSecond: 1000 / (t.result?.mean ?? NaN), meanMs: t.result?.mean ?? NaN }));
  console.table(rows.map((r) => ({ task: r.task, 'calls/s': r.callsPerSecond.toFixed(1), 'mean ms': r.meanMs.toFixed(3) })));
  writeResult('cost', rows);
  return rows;
}

if (require.main === module) {
  run({ quick: process.argv.includes('--quick') }).catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
