/**
 * Crossbar MVM throughput per crossbar size, next to a plain float GEMM of the
 * same shape in the same run (issue 2 targets):
 *   non-ideal run <= 1.5 x (cycles x slices x 2) x GEMM time, and
 *   parasitics-on run within 10% of parasitics-off once programmed;
 * and (issue 16) the fused crossbar kernel (digits x effective matrix + ADC + shift-add) at
 * >= 70% of the sgemm rate of the same product: an sgemm of the DAC digit matrix
 * (batch*cycles x K, digits 0/1) by the effective matrix's K real rows (K x segments*n: the
 * layer's own), one call with the same multiply-adds as the kernel's per-tile products, timed in
 * the same run. fused/sgemm rate = sgemm time / non-ideal run time, from wall time and from CPU
 * time (the second is what to quote on a VM with steal time).
 * Layer: a conv-like K=576 (3x3x64), N=64, batch 256 output pixels, non-negative
 * (post-ReLU) inputs. Non-ideal: 8-bit inputs, 1-bit DAC, 2-bit cells, 8-bit
 * weights, NAX ADC bits, parasitics on (2.82 ohm/cell wires).
 *
 * GEMM time is per batch of 256 (measured over 16 batches per call).
 *
 * Run: npx tsx bench/mvm.ts [--quick]   (or npm run bench -- --only mvm)
 */
import { Bench } from 'tinybench';
import { gemm } from '../lib/native';
import { CrossbarLayer, CrossbarConfigInput, mappingGeometry } from '../lib/crossbar';
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

/**
 * CPU seconds per call (all threads), which a loaded machine distorts far
 * less than wall time; used next to tinybench's wall-clock means.
 */
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

export interface MvmRow {
  size: string;
  arrays: number;
  programMs: number;
  gemmMs: number;
  gemmGflops: number;
  idealMs: number;
  nonIdealMs: number;
  parasiticsOffMs: number;
  nonIdealOverGemm: number;
  target: number;
  meetsTarget: boolean;
  onOverOff: number;
  meetsOnOff: boolean;
  /** sgemm of the digit x effective-matrix product (same multiply-adds as the fused kernel). */
  digitGemmMs: number;
  digitGemmGflops: number;
  /** digitGemmMs / nonIdealMs: the fused kernel's rate as a fraction of sgemm's (target >= 0.7). */
  fusedOverSgemmRate: number;
  meetsFusedRate: boolean;
  /** The same three figures from CPU time (all threads) instead of wall time. */
  cpu: { gemmMs: number; nonIdealMs: number; parasiticsOffMs: number; nonIdealOverGemm: number; onOverOff: number; fusedOverSgemmRate: number };
}

export async function run(opts: { quick: boolean }): Promise<MvmRow[]> {
  const k = 576, n = 64, batch = 256;
  const weights = randomFloats(k * n, 1, -1, 1);
  const inputs = randomFloats(batch * k, 2, 0, 1);
  const sizes = opts.quick ? [16, 64, 256] : [16, 32, 64, 128, 256];
  const time = opts.quick ? 200 : 600;
  const rows: MvmRow[] = [];
  // The GEMM baseline runs 16 batches per call so the ~0.1 ms promise round
  // trip does not inflate it (a larger m only makes the baseline faster).
  const gemmRepeat = 16;
  const gemmInputs = new Float32Array(batch * gemmRepeat * k);
  for (let r = 0; r < gemmRepeat; r++) gemmInputs.set(inputs, r * batch * k);
  const gemmOut = new Float32Array(batch * gemmRepeat * n);
  for (const size of sizes) {
    const base: CrossbarConfigInput = { rows: size, cols: size, inputBits: 8, dacBits: 1, bitsPerCell: 2, inputScale: 1 };
    const started = process.hrtime.bigint();
    const wired = await CrossbarLayer.program({ weights, k, n, config: { ...base, parasitics: true } });
    const programMs = Number(process.hrtime.bigint() - started) / 1e6;
    const plain = await CrossbarLayer.program({ weights, k, n, config: base });
    const ideal = await CrossbarLayer.program({ weights, k, n, config: { ...base, ideal: true } });
    // The fused kernel's product: digits (batch*cycles x K') by the effective matrix (K' x W).
    const g = mappingGeometry({ k, n, ...wired.config });
    const eff = wired.effectiveMatrix();
    const digitRows = batch * g.cycles;
    // The first k rows: the last row tile's padding rows (all zero) are no work the kernel must do.
    const digits = randomFloats(digitRows * k, 3, 0, 1).map((v) => (v < 0.5 ? 0 : 1));
    const digitOut = new Float32Array(digitRows * eff.width);
    const effRows = eff.matrix.subarray(0, k * eff.width);
    const digitGemm = () => gemm({ m: digitRows, n: eff.width, k, a: digits, b: effRows, c: digitOut, threads: 0 });
    const bench = new Bench({ time, warmupTime: 50 });
    bench
      .add(`gemm ${size}`, async () => {
        await gemm({ m: batch * gemmRepeat, n, k, a: gemmInputs, b: weights, c: gemmOut, threads: 0 });
      })
      .add(`ideal ${size}`, async () => {
        await ideal.run(inputs, batch);
      })
      .add(`non-ideal ${size}`, async () => {
        await wired.run(inputs, batch);
      })
      .add(`parasitics-off ${size}`, async () => {
        await plain.run(inputs, batch);
      })
      .add(`digit sgemm ${size}`, async () => {
        await digitGemm();
      });
    await bench.warmup();
    await bench.run();
    console.table(bench.table());
    const ms = (i: number): number => (bench.tasks[i].result?.mean ?? NaN) / (i === 0 ? gemmRepeat : 1);
    const gemmTask = () => gemm({ m: batch * gemmRepeat, n, k, a: gemmInputs, b: weights, c: gemmOut, threads: 0 });
    const cpuGemm = (await cpuMsPerCall(gemmTask, time)) / gemmRepeat;
    const cpuOn = await cpuMsPerCall(() => wired.run(inputs, batch), time);
    const cpuOff = await cpuMsPerCall(() => plain.run(inputs, batch), time);
    const cpuDigitGemm = await cpuMsPerCall(digitGemm, time);
    const target = 1.5 * g.cycles * g.slices * 2;
    const ratio = ms(2) / ms(0);
    const onOff = ms(2) / ms(3);
    rows.push({
      size: `${size}x${size}`,
      arrays: g.arrays,
      programMs: Math.round(programMs * 10) / 10,
      gemmMs: ms(0),
      gemmGflops: (2 * batch * n * k) / (ms(0) * 1e6),
      idealMs: ms(1),
      nonIdealMs: ms(2),
      parasiticsOffMs: ms(3),
      nonIdealOverGemm: ratio,
      target,
      meetsTarget: ratio <= target,
      onOverOff: onOff,
      meetsOnOff: onOff <= 1.1,
      digitGemmMs: ms(4),
      digitGemmGflops: (2 * digitRows * k * eff.width) / (ms(4) * 1e6),
      fusedOverSgemmRate: ms(4) / ms(2),
      meetsFusedRate: ms(4) / ms(2) >= 0.7,
      cpu: {
        gemmMs: cpuGemm,
        nonIdealMs: cpuOn,
        parasiticsOffMs: cpuOff,
        nonIdealOverGemm: cpuOn / cpuGemm,
        onOverOff: cpuOn / cpuOff,
        fusedOverSgemmRate: cpuDigitGemm / cpuOn,
      },
    });
    wired.dispose();
    plain.dispose();
    ideal.dispose();
  }
  console.table(
    rows.map((r) => ({
      size: r.size,
      arrays: r.arrays,
      'program ms': r.programMs.toFixed(1),
      'gemm ms': r.gemmMs.toFixed(3),
      'gemm GFLOP/s': r.gemmGflops.toFixed(0),
      'ideal ms': r.idealMs.toFixed(3),
      'non-ideal ms': r.nonIdealMs.toFixed(3),
      'par-off ms': r.parasiticsOffMs.toFixed(3),
      'non-ideal/gemm': r.nonIdealOverGemm.toFixed(1),
      target: r.target.toFixed(0),
      'on/off': r.onOverOff.toFixed(3),
      'cpu non-ideal/gemm': r.cpu.nonIdealOverGemm.toFixed(1),
      'cpu on/off': r.cpu.onOverOff.toFixed(3),
      'digit sgemm ms': r.digitGemmMs.toFixed(3),
      'digit sgemm GFLOP/s': r.digitGemmGflops.toFixed(0),
      'fused/sgemm rate': r.fusedOverSgemmRate.toFixed(2),
      'cpu fused/sgemm': r.cpu.fusedOverSgemmRate.toFixed(2),
      '>= 0.7': r.meetsFusedRate,
    })),
  );
  writeResult('mvm', rows);
  return rows;
}

if (require.main === module) {
  run({ quick: process.argv.includes('--quick') }).catch((err) => {
    console.error(err);
    process.exitCode = 1;
  });
}
