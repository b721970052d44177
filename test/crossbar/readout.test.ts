/**
 * Physical readout schemes, units and the ADC range (issue 11): every readout against the
 * independent integer reference, the engine's analog column currents against lib/circuit's
 * solves of the same programmed conductances, vRead's role, and the no-clamp check.
 */
import { CrossbarLayer, CrossbarConfigInput, crossbarMatMul, losslessAdcBits, resolveCrossbarConfig } from '../../lib/crossbar';
import type { Readout } from '../../lib/crossbar/geometry';
import { solveCircuit, transferMatrix } from '../../lib/circuit';
import { matmul, randomFloats, referenceCrossbar, ReferenceConfig } from './reference';

const READOUTS: Readout[] = ['digital-offset', 'reference-column', 'differential'];

function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

function rms(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  return Math.sqrt(s / a.length);
}

describe.each(READOUTS)('readout %s, ideal devices', (readout) => {
  const cases: Array<{ k: number; n: number; batch: number; cfg: Partial<ReferenceConfig> }> = [
    { k: 37, n: 11, batch: 5, cfg: { rows: 16, cols: 8 } },
    { k: 70, n: 20, batch: 4, cfg: { rows: 64, cols: 64, bitsPerCell: 4, dacBits: 2 } },
    { k: 50, n: 7, batch: 6, cfg: { rows: 20, cols: 5, bitsPerCell: 2, weightBits: 4, inputBits: 4, dacBits: 4 } },
    // gOff / unitG = 1.5 LSB per digit: offsets with exact half fractions.
    { k: 40, n: 9, batch: 5, cfg: { rows: 32, cols: 4, gOn: 3e-5, gOff: 1e-5 } },
    // The general (unfused) path.
    { k: 1100, n: 3, batch: 2, cfg: { rows: 1024, cols: 2, inputBits: 16, dacBits: 1 } },
  ];
  it.each(cases)('a lossless ADC matches the integer reference exactly (k=$k n=$n $cfg)', async ({ k, n, batch, cfg }) => {
    const full: ReferenceConfig = {
      rows: 64, cols: 64, bitsPerCell: 2, weightBits: 8, inputBits: 8, dacBits: 1, perChannel: false, inputScale: 0.9,
      readout, ...cfg,
    };
    const w = randomFloats(k * n, 3 * k + n);
    const x = randomFloats(batch * k, 5 * k + 1, -1, 1);
    const ref = referenceCrossbar(x, batch, w, k, n, full);
    // With lossless converters every readout gives the same integers.
    expect(Array.from(ref.outputs)).toEqual(Array.from(referenceCrossbar(x, batch, w, k, n, { ...full, readout: 'reference-column' }).outputs));
    const y = await crossbarMatMul(x, batch, w, k, n, {
      rows: full.rows, cols: full.cols, bitsPerCell: full.bitsPerCell, weightBits: full.weightBits,
      inputBits: full.inputBits, dacBits: full.dacBits, adcBits: 'lossless', inputScale: full.inputScale, readout,
      ...(cfg.gOn ? { gOn: cfg.gOn, gOff: cfg.gOff } : {}),
    });
    expect(Array.from(y)).toEqual(Array.from(ref.outputs));
  });

  it('a lossy ADC matches the reference conversion by conversion and stays within its rounding bound', async () => {
    const k = 90, n = 12, batch = 6;
    const w = randomFloats(k * n, 21);
    const x = randomFloats(batch * k, 22, -1, 1);
    const base: ReferenceConfig = {
      rows: 32, cols: 8, bitsPerCell: 2, weightBits: 8, inputBits: 8, dacBits: 2, perChannel: false, inputScale: 1, readout,
    };
    const lossless = referenceCrossbar(x, batch, w, k, n, base).outputs;
    for (const adcBits of [4, 6]) {
      const ref = referenceCrossbar(x, batch, w, k, n, { ...base, adcBits });
      const y = await crossbarMatMul(x, batch, w, k, n, { rows: 32, cols: 8, dacBits: 2, adcBits, inputScale: 1, readout });
      let worst = 0;
      for (let i = 0; i < y.length; i++) {
        const err = Math.abs(y[i] - lossless[i]);
        expect(err).toBeLessThanOrEqual(ref.adcErrorBound[i] * (1 + 1e-6) + 1e-6);
        expect(Math.abs(y[i] - ref.outputs[i])).toBeLessThanOrEqual(1e-5 * maxAbs(ref.outputs));
        worst = Math.max(worst, err);
      }
      expect(worst).toBeGreaterThan(0);
    }
  });
});

describe('ADC bits rule', () => {
  it('covers the gOff current under digital-offset and adds a sign bit for bipolar readouts', () => {
    const bits = (c: CrossbarConfigInput): number => resolveCrossbarConfig(c).adcBits;
    // Digital offset (Ron 100k, Roff 600k): gOff/unitG = 0.6 LSB per digit at 2-bit cells.
    const digital = { readout: 'digital-offset' as const };
    expect(bits({ rows: 64, ...digital })).toBe(Math.ceil(Math.log2(64 * 3.6 + 1)));
    expect(bits({ rows: 64, bitsPerCell: 4, ...digital })).toBe(Math.ceil(Math.log2(64 * 18 + 1))); // 15 + 3 LSB per digit: 11 bits
    expect(bits({ rows: 64, bitsPerCell: 4, ...digital })).toBe(11);
    // The default readout (reference-column) is bipolar: the signal's 8 bits plus a sign.
    expect(bits({ rows: 64 })).toBe(9);
    expect(bits({ rows: 64, bitsPerCell: 4 })).toBe(Math.ceil(Math.log2(64 * 15 + 1)) + 1); // 960 -> 10 bits + sign
    expect(bits({ rows: 64, readout: 'differential' })).toBe(9); // 192 -> 8 bits + sign
    expect(bits({ rows: 64, readout: 'reference-column' })).toBe(9);
    expect(bits({ rows: 64, adcBits: 'nax' })).toBe(8);
    expect(losslessAdcBits(64, 1, 2)).toBe(8); // the bare signal: ISAAC's rule
  });

  it('rejects a 1-bit bipolar ADC, naming the field', () => {
    let err: unknown;
    try {
      resolveCrossbarConfig({ readout: 'differential', adcBits: 1 });
    } catch (e) {
      err = e;
    }
    expect((err as Error).message).toMatch(/config\.adcBits/);
    expect((err as { code: string }).code).toBe('ERR_NAX_CONFIG');
    expect(() => resolveCrossbarConfig({ readout: 'offset' as Readout })).toThrow(/config\.readout/);
  });

  it('counts physical columns and conversions per readout', async () => {
    const k = 100, n = 40;
    for (const readout of READOUTS) {
      const layer = await CrossbarLayer.program({ weights: randomFloats(k * n, 3), k, n, config: { rows: 32, cols: 16, readout } });
      const g = layer.geometry;
      expect(g.arrays).toBe(4 * 3 * 4 * 2);
      expect(layer.state().physicalCols).toBe(readout === 'reference-column' ? 17 : 16);
      expect(g.physicalCols).toBe(layer.state().physicalCols);
      expect(g.conversionsPerCycle).toBe(readout === 'differential' ? g.arrays * 8 : g.arrays * 16);
      expect(layer.state().bipolar).toBe(readout !== 'digital-offset');
      layer.dispose();
    }
  });
});

describe('units: analog column currents in amperes', () => {
  const k = 40, n = 20;
  const w = randomFloats(k * n, 71);
  const parasitics = { rWordLine: 2.82, rBitLine: 2.82, rSource: 7, rSink: 3 };

  it.each(READOUTS)('%s: the engine currents equal solveCircuit on the programmed conductances to 1e-9', async (readout) => {
    const config: CrossbarConfigInput = {
      rows: 32, cols: 16, dacBits: 2, inputBits: 6, readout, parasitics, variation: { sigma: 0.2, distribution: 'lognormal' },
      stuckAtOn: 0.02, stuckAtOff: 0.02, seed: 9, inputScale: 1,
    };
    const layer = await CrossbarLayer.program({ weights: w, k, n, config });
    const state = layer.state();
    const rows = 32, pcols = state.physicalCols, dMax = 3;
    const { matrix: E, width } = layer.effectiveMatrix();
    const g = layer.geometry;
    for (const [rowTile, colTile, slice] of [[0, 0, 0], [1, 1, 3], [1, 0, 2]]) {
      const tileRows = Math.min(rows, k - rowTile * rows), tileCols = Math.min(16, n - colTile * 16);
      const digits = new Float64Array(rows);
      for (let i = 0; i < tileRows; i++) digits[i] = (i * 7 + slice) % (dMax + 1);
      const voltages = digits.map((d) => (0.25 * d) / dMax);
      const currents: Float64Array[] = [];
      for (const polarity of [0, 1] as const) {
        const a = layer.arrayIndex({ rowTile, colTile, slice, polarity });
        const { conductances, cols } = await layer.arrayMatrices(a);
        expect(cols).toBe(pcols);
        const I = await layer.columnCurrents(a, digits);
        // lib/circuit's solve (multifrontal) and the banded reference transfer matrix, same netlist.
        const solved = await solveCircuit({ rows, cols: pcols, conductances, voltages, ...parasitics });
        const banded = await transferMatrix({ rows, cols: pcols, conductances, ...parasitics, method: 'banded' });
        const scale = maxAbs(solved);
        expect(scale).toBeGreaterThan(1e-7); // microamperes: real currents
        for (let j = 0; j < pcols; j++) {
          expect(Math.abs(I[j] - solved[j])).toBeLessThanOrEqual(1e-9 * scale);
          let viaBanded = 0;
          for (let i = 0; i < rows; i++) viaBanded += voltages[i] * banded[i * pcols + j];
          expect(Math.abs(I[j] - viaBanded)).toBeLessThanOrEqual(1e-9 * scale);
        }
        currents.push(I);
      }
      // The ADC inputs the engine computes in float (E_t . digits, + the digital offset), in amperes,
      // against the double currents after the readout's analog subtraction.
      const segments = readout === 'differential' ? g.slices : 2 * g.slices;
      let digitSum = 0;
      for (let i = 0; i < tileRows; i++) digitSum += digits[i];
      for (const polarity of readout === 'differential' ? [0] : [0, 1]) {
        const seg = readout === 'differential' ? slice : polarity * g.slices + slice;
        const want: number[] = [];
        const got: number[] = [];
        for (let j = 0; j < tileCols; j++) {
          const I = currents[polarity];
          want.push(
            readout === 'digital-offset' ? I[j] : readout === 'reference-column' ? I[j] - I[16] : currents[0][j] - currents[1][j],
          );
          let lsb = readout === 'digital-offset' ? Math.fround(state.offsetLsbPerDigit * digitSum) : 0;
          for (let i = 0; i < tileRows; i++) lsb += digits[i] * E[(rowTile * rows + i) * width + segments * colTile * 16 + seg * tileCols + j];
          got.push(lsb * state.unitCurrentAmps);
        }
        const scale = maxAbs(want);
        for (let j = 0; j < tileCols; j++) expect(Math.abs(got[j] - want[j])).toBeLessThanOrEqual(2e-6 * scale);
      }
    }
    layer.dispose();
  });

  it('currents scale with vRead; codes do not, unless the noise is given in amperes', async () => {
    const x = randomFloats(8 * k, 72, 0, 1);
    const at = async (vRead: number, extra: CrossbarConfigInput = {}) => {
      const layer = await CrossbarLayer.program({ weights: w, k, n, config: { rows: 32, cols: 16, vRead, parasitics, seed: 4, inputScale: 1, ...extra } });
      const digits = new Float64Array(32).fill(1);
      const I = await layer.columnCurrents(0, digits);
      const y = await layer.run(x, 8);
      const state = layer.state();
      layer.dispose();
      return { I, y, state };
    };
    const low = await at(0.25), high = await at(1.0);
    for (let j = 0; j < low.I.length; j++) expect(high.I[j] / low.I[j]).toBeCloseTo(4, 12);
    expect(high.state.unitCurrentAmps / low.state.unitCurrentAmps).toBeCloseTo(4, 12);
    expect(high.state.adcFullScaleAmps / low.state.adcFullScaleAmps).toBeCloseTo(4, 12);
    // A relative ADC range: the same codes.
    expect(Array.from(high.y)).toEqual(Array.from(low.y));
    // Output-referred noise in LSB or device noise (relative): vRead changes nothing.
    for (const extra of [{ readNoise: 0.5 }, { readNoise: 0.05, readNoiseModel: 'device' as const }]) {
      expect(Array.from((await at(1.0, extra)).y)).toEqual(Array.from((await at(0.25, extra)).y));
    }
    // Noise in amperes (a fixed sense-amplifier noise): 4x the read voltage, a quarter the noise in LSB.
    const clean = low.y;
    const sigmaAmps = 2 * low.state.unitCurrentAmps; // 2 LSB at 0.25 V
    const noisyLow = (await at(0.25, { readNoise: sigmaAmps, readNoiseModel: 'output-amperes' })).y;
    const noisyHigh = (await at(1.0, { readNoise: sigmaAmps, readNoiseModel: 'output-amperes' })).y;
    const lsbTwo = (await at(0.25, { readNoise: 2 })).y;
    expect(Array.from(noisyLow)).toEqual(Array.from(lsbTwo)); // 2 LSB either way at 0.25 V
    expect(rms(noisyHigh, clean)).toBeLessThan(0.5 * rms(noisyLow, clean));
  });
});

describe('no conversion is clamped unless the real ADC range ends', () => {
  it.each(READOUTS)('%s at 128x128 with 2.82 ohm wires: every ADC input lies inside the range', async (readout) => {
    const rows = 128, cols = 128, k = 128, n = 128, batch = 3;
    // Trained-network-like weights: most far below the layer's largest, so the high slices hold
    // mostly gOff cells (whose IR-dropped current falls below the ideal gOff reference).
    const w = randomFloats(k * n, 81, -0.05, 0.05);
    w[0] = 1;
    const x = randomFloats(batch * k, 82, -1, 1);
    const layer = await CrossbarLayer.program({ weights: w, k, n, config: { rows, cols, readout, parasitics: true, inputScale: 1 } });
    const state = layer.state();
    const codeMax = state.bipolar ? 2 ** (state.adcBits - 1) - 1 : 2 ** state.adcBits - 1;
    const lo = state.bipolar ? -state.adcRangeLsb : 0, hi = state.adcRangeLsb;
    expect(state.adcRangeLsb).toBeLessThanOrEqual(codeMax); // lossless: one LSB per code
    const { matrix: E, width } = layer.effectiveMatrix();
    // Every conversion of the batch: ADC input = E . digits (+ the digital offset), in LSB.
    const xMax = 255;
    let below = 0, above = 0, signalNegative = 0, conversions = 0, minSeen = Infinity;
    for (let b = 0; b < batch; b++)
      for (const pass of [0, 1])
        for (let cy = 0; cy < 8; cy++) {
          const digits = new Float64Array(rows);
          let digitSum = 0;
          for (let i = 0; i < rows; i++) {
            const v = x[b * k + i];
            const mag = pass === 0 ? Math.max(0, v) : Math.max(0, -v);
            digits[i] = (Math.min(xMax, Math.floor(mag * xMax + 0.5)) >> cy) & 1;
            digitSum += digits[i];
          }
          for (let col = 0; col < width; col++) {
            let signal = 0;
            for (let i = 0; i < rows; i++) signal += digits[i] * E[i * width + col];
            const input = signal + state.offsetLsbPerDigit * digitSum;
            conversions++;
            if (signal < -1e-9) signalNegative++;
            if (input < lo) below++;
            if (input > hi) above++;
            minSeen = Math.min(minSeen, input);
          }
        }
    expect(conversions).toBe(batch * 2 * 8 * width);
    expect(below).toBe(0);
    expect(above).toBe(0);
    if (readout === 'digital-offset') {
      // The artefact this replaces: the signal alone (M - gOff) goes negative under IR drop in
      // many conversions; the whole current the ADC digitises never does.
      expect(signalNegative / conversions).toBeGreaterThan(0.05);
      expect(minSeen).toBeGreaterThanOrEqual(0);
    }
    // And the run agrees with the float product of the same lossless readout (no clamp losses):
    // the parasitic result sits close to, and below, the ideal one.
    const y = await layer.run(x, batch);
    const f = matmul(x, batch, w, k, n);
    expect(rms(y, f)).toBeLessThan(0.2 * maxAbs(f));
    layer.dispose();
  });
});

describe('read noise models', () => {
  const mean = (a: ArrayLike<number>): number => {
    let s = 0;
    for (let i = 0; i < a.length; i++) s += a[i];
    return s / a.length;
  };
  const variance = (a: ArrayLike<number>): number => {
    const m = mean(a);
    let s = 0;
    for (let i = 0; i < a.length; i++) s += (a[i] - m) ** 2;
    return s / (a.length - 1);
  };

  // dacBits 1 and 2 sum integer levels of the squared currents (16-bit pair dot products in the
  // fused kernel; 47 rows: an odd row pairs with zero), 3 the float squares.
  it.each([
    { readout: 'digital-offset' as const, dacBits: 1, rows: 48 },
    { readout: 'differential' as const, dacBits: 1, rows: 48 },
    { readout: 'digital-offset' as const, dacBits: 2, rows: 47 },
    { readout: 'differential' as const, dacBits: 3, rows: 48 },
  ])(
    '$readout, $dacBits-bit DAC, device model: the output variance matches sigma^2 sum (M V / unitCurrent)^2 of the programmed cells',
    async ({ readout, dacBits, rows }) => {
      // One row tile, one slice, one cycle (inputBits = dacBits; input 1 is the top digit, V = vRead):
      // each output is one conversion per polarity (G+, G-).
      const batchN = 6000, sigma = 0.15;
      const w = new Float32Array(rows * 2).map((_, e) => (e % 3 === 0 ? 1 : e % 3 === 1 ? -1 : 0.34));
      const ones = new Float32Array(batchN * rows).fill(1);
      const config: CrossbarConfigInput = {
        rows, cols: 2, weightBits: 3, bitsPerCell: 2, inputBits: dacBits, dacBits, inputScale: 1, readout,
        variation: { sigma: 0.2, distribution: 'lognormal' }, parasitics: true,
        readNoise: sigma, readNoiseModel: 'device', seed: 13,
      };
      const layer = await CrossbarLayer.program({ weights: w, k: rows, n: 2, config });
      const y = await layer.run(ones, batchN);
      const state = layer.state();
      // Expected per output column j: sum over both arrays' cells of (sigma * M_ij * V_i)^2 in LSB^2,
      // from the programmed transfer matrices (V_i = vRead: every digit 1), plus the ADC's rounding
      // (1/12 LSB^2 per rounding: one per conversion, none for the exact digital offset).
      const plus = await layer.arrayMatrices(layer.arrayIndex({ rowTile: 0, colTile: 0, slice: 0, polarity: 0 }));
      const minus = await layer.arrayMatrices(layer.arrayIndex({ rowTile: 0, colTile: 0, slice: 0, polarity: 1 }));
      const lsbPerAmp = 1 / state.unitCurrentAmps, vRead = 0.25;
      const conversions = readout === 'differential' ? 1 : 2;
      // One output LSB = inputLsb * weightScale = (1 / (2^dacBits - 1)) * (1 / 3).
      const perLsb = 3 * (2 ** dacBits - 1);
      for (let j = 0; j < 2; j++) {
        let want = conversions / 12;
        for (const m of [plus.transfer, minus.transfer])
          for (let i = 0; i < rows; i++) want += (sigma * m[i * 2 + j] * vRead * lsbPerAmp) ** 2;
        const column = new Float64Array(batchN);
        for (let b = 0; b < batchN; b++) column[b] = y[b * 2 + j] * perLsb;
        const got = variance(column);
        // Sampling error of a variance: sqrt(2 / N) = 1.8% here; allow 4 standard errors.
        expect(Math.abs(got / want - 1)).toBeLessThan(4 * Math.sqrt(2 / batchN));
        // Its statistics do not depend on batch position: first and second half agree.
        const a = variance(column.subarray(0, batchN / 2)), b = variance(column.subarray(batchN / 2));
        expect(Math.abs(a / b - 1)).toBeLessThan(6 * Math.sqrt(2 / (batchN / 2)));
      }
      layer.dispose();
    },
  );

  it.each(READOUTS)('%s: noise is fresh on every read and bit-identical for 1, 2 and 4 threads (both models)', async (readout) => {
    const k = 80, n = 24, batch = 9;
    const w = randomFloats(k * n, 91);
    const x = randomFloats(batch * k, 92, -1, 1);
    for (const model of [{ readNoise: 0.7 }, { readNoise: 0.05, readNoiseModel: 'device' as const }]) {
      const reads: Float32Array[][] = [];
      for (const threads of [1, 2, 4]) {
        const layer = await CrossbarLayer.program({
          weights: w, k, n, config: { rows: 32, cols: 16, readout, parasitics: true, inputScale: 1, seed: 3, threads, ...model },
        });
        reads.push([await layer.run(x, batch), await layer.run(x.subarray(0, 4 * k), 4), await layer.run(x.subarray(4 * k), batch - 4)]);
        layer.dispose();
      }
      for (const r of reads.slice(1)) for (let i = 0; i < 3; i++) expect(Array.from(r[i])).toEqual(Array.from(reads[0][i]));
      // Second read of the same inputs: different noise.
      const again = new Float32Array([...reads[0][1], ...reads[0][2]]);
      expect(rms(again, reads[0][0])).toBeGreaterThan(0);
    }
  });

  it('device noise grows with the conductance a column carries (gOff cells included)', async () => {
    const k = 64, batch = 400;
    const x = new Float32Array(batch * k).fill(1);
    const spread = async (weight: number) => {
      const w = new Float32Array(k).fill(weight);
      w[0] = 1; // same scale
      const y = await crossbarMatMul(x, batch, w, k, 1, {
        rows: 64, cols: 1, inputBits: 1, dacBits: 1, inputScale: 1, readNoise: 0.1, readNoiseModel: 'device', seed: 2,
      });
      return variance(y);
    };
    expect(await spread(1)).toBeGreaterThan(2 * (await spread(0)));
    expect(await spread(0)).toBeGreaterThan(0); // gOff cells are noisy too
  });
});

describe('ADC non-idealities (per ADC, seeded)', () => {
  const k = 32, n = 8, batch = 64;
  const w = randomFloats(k * n, 101, 0, 1); // G+ arrays only hold weights
  const x = randomFloats(batch * k, 102, 0, 1);
  const base: CrossbarConfigInput = { rows: 32, cols: 8, weightBits: 3, bitsPerCell: 2, inputBits: 1, dacBits: 1, inputScale: 1, seed: 5 };

  it('off by default; offset, gain and INL change results reproducibly and identically for 1, 2 and 4 threads', async () => {
    const clean = await crossbarMatMul(x, batch, w, k, n, base);
    for (const adcNonIdeal of [{ offsetSigma: 0.8 }, { gainSigma: 0.05 }, { inlSigma: 0.4 }]) {
      const runs: Float32Array[] = [];
      for (const threads of [1, 2, 4]) runs.push(await crossbarMatMul(x, batch, w, k, n, { ...base, adcNonIdeal, threads }));
      expect(rms(runs[0], clean)).toBeGreaterThan(0);
      expect(Array.from(runs[1])).toEqual(Array.from(runs[0]));
      expect(Array.from(runs[2])).toEqual(Array.from(runs[0]));
      const other = await crossbarMatMul(x, batch, w, k, n, { ...base, adcNonIdeal, seed: 6 });
      expect(rms(other, runs[0])).toBeGreaterThan(0);
    }
    // Zero sigmas are the ideal converter.
    expect(Array.from(await crossbarMatMul(x, batch, w, k, n, { ...base, adcNonIdeal: { offsetSigma: 0 } }))).toEqual(Array.from(clean));
  });

  it('an offset is one fixed error per ADC: every column of an array shifts alike, on every read', async () => {
    // One array per polarity, one slice, one cycle: an output is (G+ code - offset code) - (G- code - offset code).
    // A large offset (4.3 codes, 1-bit inputs) dominates rounding: the shift is the same for every
    // column and sample of the array (one ADC), and the G- array's ADC adds its own.
    const big = { offsetSigma: 3 };
    const y = await crossbarMatMul(x, batch, w, k, n, { ...base, adcNonIdeal: big });
    const clean = await crossbarMatMul(x, batch, w, k, n, base);
    const shifts = new Set<number>();
    for (let i = 0; i < y.length; i++) shifts.add(Math.round((y[i] - clean[i]) * 3)); // one output LSB = 1/3
    // The offset's rounding against each conversion's fractional gOff part can move a conversion
    // by one code, per polarity: at most three distinct shifts (per-column offsets of sigma 3
    // would spread over many more).
    expect(shifts.size).toBeLessThanOrEqual(3);
    expect([...shifts].some((s) => s !== 0)).toBe(true);
  });

  it('the INL table keeps the converter monotonic and within a few sigma of the ideal codes', async () => {
    // One conversion per output: sweep the column input over every code with 1-bit inputs driving
    // the first r rows of an all-top-level array.
    const rows = 32;
    const wTop = new Float32Array(rows).fill(1);
    const sweep = new Float32Array((rows + 1) * rows);
    for (let r = 0; r <= rows; r++) for (let i = 0; i < r; i++) sweep[r * rows + i] = 1;
    const cfg: CrossbarConfigInput = { ...base, rows, cols: 1, readout: 'reference-column' };
    const ideal = await crossbarMatMul(sweep, rows + 1, wTop, rows, 1, cfg);
    const inl = await crossbarMatMul(sweep, rows + 1, wTop, rows, 1, { ...cfg, adcNonIdeal: { inlSigma: 0.3 } });
    let moved = 0;
    for (let r = 1; r <= rows; r++) expect(inl[r]).toBeGreaterThanOrEqual(inl[r - 1]);
    for (let r = 0; r <= rows; r++) {
      const codes = Math.abs(inl[r] - ideal[r]) * 3;
      expect(codes).toBeLessThanOrEqual(2);
      if (codes > 0) moved++;
    }
    expect(moved).toBeGreaterThan(0);
  });
});
