/**
 * I-V nonlinearity I = G sinh(alpha V) / alpha: the crossbar engine's fast path against the exact
 * Newton solve, time per batch of input vectors and the fast path's error, per array size.
 *
 * - fast: what programming and a run cost with the fast path: one linear transfer-matrix solve,
 *   then each input voltage scaled by sinh(alpha V) / (alpha V) and one product (solveCircuit on the
 *   scaled voltages);
 * - exact: solveCircuit({ nonlinearity }) (Newton on the nodal equations, one banded Cholesky solve
 *   per step and input vector).
 * Array: NAX devices (Ron 100 kOhm / Roff 600 kOhm, 2-bit levels), 2.82 ohm wires, ideal driver
 * and sense, 2-bit DAC voltages at vRead 0.25 V, alpha 3 /V.
 *
 * Run: npx tsx bench/nonlinear.ts [--quick]   (or npm run bench -- --only nonlinear)
 */
import { Bench } from 'tinybench';
import { solveCircuit, SolveCircuitOptions } from '../lib/circuit';
import { CrossbarLayer } from '../lib/crossbar';
import { writeResult } from './run';

export interface NonlinearBenchRow {
  size: string;
  batch: number;
  fastMs: number;
  exactMs: number;
  exactOverFast: number;
  fastRelRms: number;
}

const ALPHA = 3;

function crossbar(n: number, batch: number, seed: number): Omit<SolveCircuitOptions, 'threads'> {
  let s = seed >>> 0 || 1;
  const next = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const gOn = 1 / 100e3, gOff = 1 / 600e3;
  const conductances = new Float64Array(n * n).map(() => gOff + Math.floor(next() * 4) * ((gOn - gOff) / 3));
  const voltages = new Float64Array(batch * n).map(() => (0.25 * Math.floor(next() * 4)) / 3);
  return { rows: n, cols: n, conductances, voltages, rWordLine: 2.82, rBitLine: 2.82, rSource: 0, rSink: 0 };
}

const scaled = (v: Float64Array) => v.map((x) => (x === 0 ? 0 : (x * Math.sinh(ALPHA * x)) / (ALPHA * x)));

export async function run(opts: { quick: boolean }): Promise<NonlinearBenchRow[]> {
  const sizes = opts.quick ? [16, 32] : [16, 32, 64];
  const batch = 8;
  const rows: NonlinearBenchRow[] = [];
  await solveCircuit({ ...crossbar(2, 1, 1), nonlinearity: { alpha: ALPHA } }); // load the addon outside the timings
  for (const n of sizes) {
    const c = crossbar(n, batch, n);
    const fastVoltages = scaled(c.voltages);
    const bench = new Bench({ time: opts.quick ? 150 : 500, iterations: 3, warmupIterations: 1, warmupTime: 20 });
    bench
      .add(`fast ${n}`, async () => {
        await solveCircuit({ ...c, voltages: fastVoltages });
      })
      .add(`exact ${n}`, async () => {
        await solveCircuit({ ...c, nonlinearity: { alpha: ALPHA } });
      });
    await bench.warmup();
    await bench.run();
    const median = (i: number): number => {
      const xs = [...(bench.tasks[i].result?.samples ?? [])].sort((a, b) => a - b);
      return xs.length ? xs[Math.floor(xs.length / 2)] : NaN;
    };
    const fast = await solveCircuit({ ...c, voltages: fastVoltages });
    const exact = await solveCircuit({ ...c, nonlinearity: { alpha: ALPHA } });
    let se = 0, ee = 0;
    for (let k = 0; k < exact.length; k++) {
      se += (fast[k] - exact[k]) ** 2;
      ee += exact[k] ** 2;
    }
    const fastMs = median(0), exactMs = median(1);
    rows.push({ size: `${n}x${n}`, batch, fastMs, exactMs, exactOverFast: exactMs / fastMs, fastRelRms: Math.sqrt(se / ee) });
  }
  console.table(
    rows.map((r) => ({
      size: r.size,
      batch: r.batch,
      'fast ms': r.fastMs.toFixed(3),
      'exact ms': r.exactMs.toFixed(1),
      'exact/fast': r.exactOverFast.toFixed(0),
      'fast rel. RMS error': r.fastRelRms.toExponential(2),
    })),
  );
  // The engine's fast path costs nothing per run: a crossbar layer's run time with and without it.
  const k = 576, n = 64, engineBatch = 64;
  const weights = new Float32Array(k * n).map((_, i) => Math.sin(i));
  const inputs = new Float32Array(engineBatch * k).map((_, i) => Math.abs(Math.cos(i)));
  const engine: Record<string, number> = {};
  for (const [label, device] of [['linear', undefined], ['nonlinear', { nonlinearity: { alpha: ALPHA } }]] as const) {
    const layer = await CrossbarLayer.program({ weights, k, n, config: { rows: 64, cols: 64, parasitics: true, inputScale: 1, device } });
    const b = new Bench({ time: opts.quick ? 150 : 500, iterations: 5, warmupIterations: 1 });
    b.add(label, async () => {
      await layer.run(inputs, engineBatch);
    });
    await b.warmup();
    await b.run();
    const xs = [...(b.tasks[0].result?.samples ?? [])].sort((x, y) => x - y);
    engine[label] = xs[Math.floor(xs.length / 2)];
    layer.dispose();
  }
  console.log(
    `engine run, ${k} x ${n} layer on 64x64 arrays, batch ${engineBatch}: linear ${engine.linear.toFixed(2)} ms, ` +
      `nonlinear fast path ${engine.nonlinear.toFixed(2)} ms`,
  );
  writeResult('nonlinear', { rows, engineRunMs: engine });
  return rows;
}

if (require.main === module) {
  run({ quick: process.argv.includes('--quick') }).catch((err) => {
    console.error(err);
    process.exitCode = 1;
  });
}
