/**
 * Read noise cost (issue 11 target: noise-on run <= 2x the noise-free run of the same layer,
 * measured in the same process). Layer as bench/mvm.ts: conv-like K=576 (3x3x64), N=64, batch 256
 * output pixels, non-negative inputs, 8-bit inputs, 1-bit DAC, 2-bit cells, lossless ADC bits,
 * parasitics on. Rows per crossbar size and readout: noise off, output-referred noise (sigma in
 * LSB, one Gaussian per conversion), device-level noise (one extra GEMM of squared digits by the
 * cells' squared currents, then one Gaussian per conversion).
 *
 * Run: npx tsx bench/read-noise.ts [--quick]   (or npm run bench -- --only read-noise)
 */
import { Bench } from 'tinybench';
import { CrossbarLayer, CrossbarConfigInput } from '../lib/crossbar';
import type { Readout } from '../lib/crossbar/geometry';
import { writeResult } from './run';

function randomFloats(count: number, seed: number, lo: number, hi: number): Float32Array {
  let s = seed >>> 0 || 1;
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = lo + (s / 2 ** 32) * (hi - lo);
  }
  return out;
}

/** CPU milliseconds per call (all threads): less distorted by a loaded machine than wall time. */
async function cpuMsPerCall(fn: () => Promise<unknown>, minMs: number): Promise<number> {
  await fn();
  const start = process.cpuUsage();
  const wallStart = Date.now();
  let calls = 0;
  do {
    await fn();
    calls++;
  } while (Date.now() - wallStart < minMs);
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000 / calls;
}

export interface ReadNoiseRow {
  size: string;
  readout: Readout;
  offMs: number;
  outputMs: number;
  deviceMs: number;
  outputOverOff: number;
  deviceOverOff: number;
  /** Both models within 2x in wall time. */
  meetsTarget: boolean;
  /** Each model within 2x in CPU time (less distorted by a loaded machine). */
  outputMeetsTarget: boolean;
  deviceMeetsTarget: boolean;
  cpu: { offMs: number; outputMs: number; deviceMs: number; outputOverOff: number; deviceOverOff: number };
}

export async function run(opts: { quick: boolean }): Promise<ReadNoiseRow[]> {
  const k = 576, n = 64, batch = 256;
  const weights = randomFloats(k * n, 1, -1, 1);
  const inputs = randomFloats(batch * k, 2, 0, 1);
  const sizes = opts.quick ? [64] : [16, 32, 64, 128];
  const readouts: Readout[] = opts.quick ? ['digital-offset'] : ['digital-offset', 'reference-column', 'differential'];
  const time = opts.quick ? 200 : 1500;
  const rows: ReadNoiseRow[] = [];
  for (const size of sizes)
    for (const readout of readouts) {
      const base: CrossbarConfigInput = { rows: size, cols: size, inputScale: 1, parasitics: true, readout, seed: 1 };
      const off = await CrossbarLayer.program({ weights, k, n, config: base });
      const output = await CrossbarLayer.program({ weights, k, n, config: { ...base, readNoise: 0.5 } });
      const device = await CrossbarLayer.program({ weights, k, n, config: { ...base, readNoise: 0.02, readNoiseModel: 'device' } });
      const bench = new Bench({ time, warmupTime: 50 });
      bench
        .add(`noise off ${size} ${readout}`, async () => void (await off.run(inputs, batch)))
        .add(`output noise ${size} ${readout}`, async () => void (await output.run(inputs, batch)))
        .add(`device noise ${size} ${readout}`, async () => void (await device.run(inputs, batch)));
      await bench.warmup();
      await bench.run();
      console.table(bench.table());
      const ms = (i: number): number => bench.tasks[i].result?.mean ?? NaN;
      const cpuOff = await cpuMsPerCall(() => off.run(inputs, batch), time);
      const cpuOutput = await cpuMsPerCall(() => output.run(inputs, batch), time);
      const cpuDevice = await cpuMsPerCall(() => device.run(inputs, batch), time);
      rows.push({
        size: `${size}x${size}`,
        readout,
        offMs: ms(0),
        outputMs: ms(1),
        deviceMs: ms(2),
        outputOverOff: ms(1) / ms(0),
        deviceOverOff: ms(2) / ms(0),
        meetsTarget: ms(1) / ms(0) <= 2 && ms(2) / ms(0) <= 2,
        outputMeetsTarget: cpuOutput / cpuOff <= 2,
        deviceMeetsTarget: cpuDevice / cpuOff <= 2,
        cpu: {
          offMs: cpuOff, outputMs: cpuOutput, deviceMs: cpuDevice,
          outputOverOff: cpuOutput / cpuOff, deviceOverOff: cpuDevice / cpuOff,
        },
      });
      off.dispose();
      output.dispose();
      device.dispose();
    }
  console.table(
    rows.map((r) => ({
      size: r.size,
      readout: r.readout,
      'off ms': r.offMs.toFixed(2),
      'output ms': r.outputMs.toFixed(2),
      'device ms': r.deviceMs.toFixed(2),
      'output/off': r.outputOverOff.toFixed(2),
      'device/off': r.deviceOverOff.toFixed(2),
      'cpu output/off': r.cpu.outputOverOff.toFixed(2),
      'cpu device/off': r.cpu.deviceOverOff.toFixed(2),
      'output <= 2x (cpu)': r.outputMeetsTarget,
      'device <= 2x (cpu)': r.deviceMeetsTarget,
    })),
  );
  writeResult('read-noise', rows);
  return rows;
}

if (require.main === module) {
  run({ quick: process.argv.includes('--quick') }).catch((err) => {
    console.error(err);
    process.exitCode = 1;
  });
}
