/**
 * The crossbar engine's fast path for the I-V nonlinearity I = G sinh(alpha V) / alpha
 * (config.device.nonlinearity): each DAC digit d stands for d * f(V_d), f(V) = sinh(alpha V) /
 * (alpha V), V_d = vRead d / (2^dacBits - 1), applied through the linear transfer matrix. That is
 * exact without wire resistance (every device sees its driver voltage); with IR drop each device
 * sees less than V_d, so the fast path overestimates the nonlinear gain. The error against the
 * exact Newton solve (solveCircuit({ nonlinearity })) is reported here for a few array sizes.
 */
import { solveCircuit, transferMatrix } from '../../lib/circuit';
import { CrossbarLayer } from '../../lib/crossbar';
import { rng } from '../circuit/helpers';

const factor = (alpha: number, v: number) => (v === 0 ? 1 : Math.sinh(alpha * v) / (alpha * v));

/** NAX devices (Ron 100 kOhm, Roff 600 kOhm, 2-bit levels) and 2-bit DAC voltages at vRead 0.25 V. */
function crossbar(n: number, seed: number, batch: number) {
  const rand = rng(seed);
  const gOn = 1 / 100e3, gOff = 1 / 600e3;
  const conductances = new Float64Array(n * n).map(() => gOff + Math.floor(rand() * 4) * ((gOn - gOff) / 3));
  const voltages = new Float64Array(batch * n).map(() => (0.25 * Math.floor(rand() * 4)) / 3);
  return { conductances, voltages };
}

function relErrors(approx: Float64Array, exact: Float64Array): { rms: number; max: number } {
  let s = 0, e = 0, worst = 0, scale = 0;
  for (let k = 0; k < exact.length; k++) scale = Math.max(scale, Math.abs(exact[k]));
  for (let k = 0; k < exact.length; k++) {
    s += (approx[k] - exact[k]) ** 2;
    e += exact[k] ** 2;
    worst = Math.max(worst, Math.abs(approx[k] - exact[k]) / scale);
  }
  return { rms: Math.sqrt(s / e), max: worst };
}

async function fastPath(n: number, conductances: Float64Array, voltages: Float64Array, alpha: number, wire: number): Promise<Float64Array> {
  const M = await transferMatrix({ rows: n, cols: n, conductances, rWordLine: wire, rBitLine: wire, rSource: 0, rSink: 0 });
  const batch = voltages.length / n;
  const out = new Float64Array(batch * n);
  for (let b = 0; b < batch; b++)
    for (let i = 0; i < n; i++) {
      const v = voltages[b * n + i];
      const x = v * factor(alpha, v);
      for (let j = 0; j < n; j++) out[b * n + j] += x * M[i * n + j];
    }
  return out;
}

describe('nonlinear fast path against the exact solve', () => {
  const alpha = 3; // 1/V: illustrative, not a published figure (README "I-V nonlinearity"); at 0.25 V, f = 1.096

  it('is exact without wire resistance', async () => {
    const n = 16;
    const { conductances, voltages } = crossbar(n, 1, 4);
    const exact = await solveCircuit({ rows: n, cols: n, conductances, voltages, rWordLine: 0, rBitLine: 0, rSource: 0, rSink: 0, nonlinearity: { alpha } });
    const fast = await fastPath(n, conductances, voltages, alpha, 0);
    expect(relErrors(fast, exact).max).toBeLessThan(1e-12);
  });

  it('reports its error with 2.82 ohm wires for 16, 32 and 64 rows (well below the linear model error)', async () => {
    const table: Array<Record<string, string | number>> = [];
    for (const n of [16, 32, 64]) {
      const { conductances, voltages } = crossbar(n, n, 2);
      const c = { rows: n, cols: n, conductances, voltages, rWordLine: 2.82, rBitLine: 2.82, rSource: 0, rSink: 0 };
      const exact = await solveCircuit({ ...c, nonlinearity: { alpha } });
      const linear = await solveCircuit(c);
      const fast = await fastPath(n, conductances, voltages, alpha, 2.82);
      const f = relErrors(fast, exact), l = relErrors(linear, exact);
      table.push({ rows: n, fastRms: f.rms.toExponential(2), fastMax: f.max.toExponential(2), linearRms: l.rms.toExponential(2) });
      // Ignoring the nonlinearity costs about 5% here; the fast path leaves a fraction of it that
      // grows with the IR drop (measured 3.8e-4, 1.6e-3, 6.7e-3 relative RMS at 16, 32, 64 rows).
      expect(l.rms).toBeGreaterThan(0.03);
      expect(f.rms).toBeLessThan(0.15 * l.rms);
      expect(f.rms).toBeLessThan(n <= 32 ? 2.5e-3 : 1e-2);
    }
    console.log('nonlinear fast path vs exact (alpha 3 /V, 2-bit DAC at 0.25 V, 2.82 ohm wires): relative errors');
    console.table(table);
  });
});

describe('the engine applies the per-digit current factor', () => {
  it('scales each DAC digit by sinh(alpha V_d) / (alpha V_d) (ideal wires: the exact nonlinear currents)', async () => {
    // One 2-bit cycle (inputBits = dacBits = 2): input 1/3 drives digit 1, input 1 digit 3. Full
    // weights (level 3 in one 2-bit slice) on 1024 rows make every column sum S = 3072 d LSB, so
    // the ADC's rounding to one LSB (the calibrated range covers the larger nonlinear currents)
    // costs at most 0.5 / S of the ratio.
    const k = 1024, n = 4, alpha = 4, vRead = 0.25;
    const weights = new Float32Array(k * n).fill(1);
    const base = { rows: 1024, cols: 4, weightBits: 3, inputBits: 2, dacBits: 2, vRead, inputScale: 1, adcRange: 'calibrated' as const, adcBits: 24 };
    for (const [x, digit] of [[1 / 3, 1], [1, 3]] as const) {
      const inputs = new Float32Array(k).fill(x);
      const run = async (config: object) => {
        const layer = await CrossbarLayer.program({ weights, k, n, config: { ...base, ...config } });
        try {
          return await layer.run(inputs, 1);
        } finally {
          layer.dispose();
        }
      };
      const linear = await run({});
      const nonlinear = await run({ device: { nonlinearity: { alpha } } });
      const want = factor(alpha, (vRead * digit) / 3);
      expect(want).toBeGreaterThan(1 + 1e-3);
      for (let j = 0; j < n; j++) expect(Math.abs(nonlinear[j] / linear[j] / want - 1)).toBeLessThan(1 / (3072 * digit));
    }
  });
});
