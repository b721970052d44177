import { CrossbarLayer, crossbarMatMul, mappingGeometry, CrossbarConfigInput } from '../../lib/crossbar';
import { loadAddon, setKernelPath } from '../../lib/native';
import { matmul, randomFloats, referenceCrossbar, ReferenceConfig } from './reference';

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

function mean(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i];
  return s / a.length;
}

describe('ideal mode', () => {
  it('reproduces float matmul to 1e-5 relative', async () => {
    for (const [k, n, batch] of [
      [37, 11, 5],
      [300, 70, 33],
      [1, 1, 1],
    ]) {
      const w = randomFloats(k * n, k + n);
      const x = randomFloats(batch * k, k * 7 + 1);
      const y = await crossbarMatMul(x, batch, w, k, n, { ideal: true, rows: 16, cols: 16 });
      const ref = matmul(x, batch, w, k, n);
      const scale = maxAbs(ref);
      for (let i = 0; i < y.length; i++) expect(Math.abs(y[i] - ref[i])).toBeLessThanOrEqual(1e-5 * scale);
    }
  });
});

describe('lossless converters, ideal devices', () => {
  const cases: Array<{ k: number; n: number; batch: number; cfg: Partial<ReferenceConfig>; signed: boolean }> = [
    { k: 37, n: 11, batch: 5, cfg: { rows: 16, cols: 8 }, signed: true },
    { k: 100, n: 45, batch: 9, cfg: { rows: 32, cols: 16, bitsPerCell: 1 }, signed: false },
    { k: 70, n: 20, batch: 4, cfg: { rows: 64, cols: 64, bitsPerCell: 4, dacBits: 2 }, signed: true },
    { k: 130, n: 33, batch: 17, cfg: { rows: 128, cols: 32, dacBits: 4, perChannel: true }, signed: true },
    { k: 9, n: 5, batch: 3, cfg: { rows: 4, cols: 3, bitsPerCell: 4, weightBits: 5, inputBits: 6, dacBits: 2 }, signed: true },
    { k: 50, n: 7, batch: 6, cfg: { rows: 20, cols: 5, bitsPerCell: 2, weightBits: 4, inputBits: 4, dacBits: 4 }, signed: false },
    { k: 1, n: 1, batch: 3, cfg: { rows: 64, cols: 64 }, signed: true },
    { k: 300, n: 1, batch: 2, cfg: { rows: 256, cols: 256, bitsPerCell: 3, weightBits: 7, dacBits: 3, inputBits: 7 }, signed: true },
    // 16-bit inputs on 1024-row arrays: cycle sums beyond float32, the general (unfused) path.
    { k: 1100, n: 3, batch: 2, cfg: { rows: 1024, cols: 2, inputBits: 16, dacBits: 1 }, signed: true },
  ];
  it.each(cases)('matches the TypeScript integer reference exactly (k=$k n=$n $cfg)', async ({ k, n, batch, cfg, signed }) => {
    const full: ReferenceConfig = {
      rows: 64, cols: 64, bitsPerCell: 2, weightBits: 8, inputBits: 8, dacBits: 1, perChannel: false, inputScale: 0.9,
      ...cfg,
    };
    const w = randomFloats(k * n, 3 * k + n);
    const x = randomFloats(batch * k, 5 * k + 1, signed ? -1 : 0, 1);
    const ref = referenceCrossbar(x, batch, w, k, n, full);
    const layer = await CrossbarLayer.program({
      weights: w,
      k,
      n,
      config: {
        rows: full.rows, cols: full.cols, bitsPerCell: full.bitsPerCell, weightBits: full.weightBits,
        inputBits: full.inputBits, dacBits: full.dacBits, adcBits: 'lossless', inputScale: full.inputScale,
        weightScale: full.perChannel ? 'per-channel' : 'per-layer',
      },
    });
    const y = await layer.run(x, batch);
    expect(Array.from(y)).toEqual(Array.from(ref.outputs));
    // Quantization is real: not the float product, but close to it once
    // rounding errors average out (inputScale 0.9 also clips x > 0.9).
    const f = matmul(x, batch, w, k, n);
    expect(rms(y, f)).toBeGreaterThan(0);
    if (k >= 8) expect(rms(y, f)).toBeLessThan(0.05 * maxAbs(f));
  });

  it('latches the first run\'s max |x| as the input scale when none is given', async () => {
    const k = 20, n = 6, batch = 4;
    const w = randomFloats(k * n, 11);
    const x = randomFloats(batch * k, 12, -2, 2);
    const layer = await CrossbarLayer.program({ weights: w, k, n, config: { rows: 8, cols: 4, adcBits: 'lossless' } });
    const y = await layer.run(x, batch);
    const scale = maxAbs(x);
    expect(layer.state().inputScale).toBe(scale);
    const ref = referenceCrossbar(x, batch, w, k, n, {
      rows: 8, cols: 4, bitsPerCell: 2, weightBits: 8, inputBits: 8, dacBits: 1, perChannel: false, inputScale: scale,
    });
    expect(Array.from(y)).toEqual(Array.from(ref.outputs));
    // Later runs keep that scale (inputs beyond it clip).
    const big = new Float32Array(x.map((v) => v * 3));
    await layer.run(big, batch);
    expect(layer.state().inputScale).toBe(scale);
  });
});

describe('sparse activations (the fused kernel skips all-zero conversion rows)', () => {
  // ReLU-like inputs: 60% zeros and the rest mostly small, so many samples' high-order DAC
  // cycles are zero over a whole row tile: the rows the fused kernel leaves out.
  function sparseInputs(count: number, seed: number, signed: boolean): Float32Array {
    const u = randomFloats(count, seed, 0, 1), v = randomFloats(count, seed + 1, 0, 1);
    return new Float32Array(Array.from(u, (a, i) => (a < 0.6 ? 0 : (signed && v[i] < 0.3 ? -1 : 1) * (v[i] < 0.9 ? 0.05 : 0.8) * a)));
  }
  const cases: Array<{ k: number; n: number; batch: number; cfg: Partial<ReferenceConfig>; signed: boolean }> = [
    { k: 72, n: 16, batch: 37, cfg: { rows: 16, cols: 16 }, signed: false },
    { k: 144, n: 9, batch: 11, cfg: { rows: 128, cols: 32, readout: 'digital-offset' }, signed: false },
    { k: 40, n: 12, batch: 19, cfg: { rows: 32, cols: 8, dacBits: 2, readout: 'differential' }, signed: true },
  ];
  it.each(cases)('matches the integer reference exactly, lossless and with a 5-bit ADC ($cfg)', async ({ k, n, batch, cfg, signed }) => {
    const full: ReferenceConfig = { rows: 64, cols: 64, bitsPerCell: 2, weightBits: 8, inputBits: 8, dacBits: 1, perChannel: false, inputScale: 1, ...cfg };
    const w = randomFloats(k * n, 7 * k + n);
    const x = sparseInputs(batch * k, 3 * k + 5, signed);
    const config = {
      rows: full.rows, cols: full.cols, bitsPerCell: full.bitsPerCell, weightBits: full.weightBits, inputBits: full.inputBits,
      dacBits: full.dacBits, inputScale: full.inputScale, readout: full.readout,
    };
    const lossless = await crossbarMatMul(x, batch, w, k, n, { ...config, adcBits: 'lossless' });
    expect(Array.from(lossless)).toEqual(Array.from(referenceCrossbar(x, batch, w, k, n, full).outputs));
    const ref5 = referenceCrossbar(x, batch, w, k, n, { ...full, adcBits: 5 }).outputs;
    const y5 = await crossbarMatMul(x, batch, w, k, n, { ...config, adcBits: 5 });
    for (let i = 0; i < y5.length; i++) expect(Math.abs(y5[i] - ref5[i])).toBeLessThanOrEqual(1e-5 * maxAbs(ref5));
  });

  // Device-level read noise scales with each cell's current, so a zero row reads 0 with it too;
  // the skipped rows' draws are not consumed by the others (each keyed by its own row).
  // Output-referred noise converts the zero rows apart (no multiply-adds) and skips the unread
  // negative pass of a sample with no negative input: the signed case mixes both kinds of sample.
  it.each([
    { noise: 'none', signed: false, rows: 32 },
    { noise: 'device', signed: false, rows: 32 },
    { noise: 'output', signed: false, rows: 16 },
    { noise: 'output', signed: true, rows: 32 },
  ])('gives bit-identical outputs to the baseline kernels, which convert every row (read noise $noise, signed $signed)', async ({ noise, signed, rows }) => {
    const k = 100, n = 24, batch = 29;
    const w = randomFloats(k * n, 91);
    const x = sparseInputs(batch * k, 92, signed);
    if (signed) for (let b = 0; b < batch; b += 3) for (let i = 0; i < k; i++) x[b * k + i] = Math.abs(x[b * k + i]);
    const config: CrossbarConfigInput = {
      rows, cols: 32, adcBits: 6, inputScale: 1, variation: { sigma: 0.1, distribution: 'lognormal' }, parasitics: true, stuckAtOn: 0.01, seed: 3,
      ...(noise === 'device' ? { readNoise: 0.05, readNoiseModel: 'device' as const } : {}),
      ...(noise === 'output' ? { readNoise: 0.6 } : {}),
    };
    const fastLayer = await CrossbarLayer.program({ weights: w, k, n, config });
    setKernelPath('baseline');
    try {
      const slowLayer = await CrossbarLayer.program({ weights: w, k, n, config });
      const slow = [await slowLayer.run(x, batch), await slowLayer.run(x, batch)];
      setKernelPath('default');
      const fast = [await fastLayer.run(x, batch), await fastLayer.run(x, batch)];
      expect(Array.from(fast[0])).toEqual(Array.from(slow[0]));
      expect(Array.from(fast[1])).toEqual(Array.from(slow[1]));
      // With noise the second read differs from the first (fresh draws).
      if (noise !== 'none') expect(Array.from(fast[1])).not.toEqual(Array.from(fast[0]));
    } finally {
      setKernelPath('default');
    }
  });
});

describe('ADC resolution', () => {
  it('errs by at most half a step per conversion, and matches the reference conversion by conversion', async () => {
    const k = 90, n = 12, batch = 6;
    const w = randomFloats(k * n, 21);
    const x = randomFloats(batch * k, 22, -1, 1);
    const base: ReferenceConfig = {
      rows: 32, cols: 8, bitsPerCell: 2, weightBits: 8, inputBits: 8, dacBits: 2, perChannel: false, inputScale: 1,
    };
    const lossless = referenceCrossbar(x, batch, w, k, n, base).outputs;
    for (const adcBits of [4, 6]) {
      const ref = referenceCrossbar(x, batch, w, k, n, { ...base, adcBits });
      const y = await crossbarMatMul(x, batch, w, k, n, {
        rows: 32, cols: 8, dacBits: 2, adcBits, inputScale: 1,
      });
      let worst = 0;
      for (let i = 0; i < y.length; i++) {
        const err = Math.abs(y[i] - lossless[i]);
        expect(err).toBeLessThanOrEqual(ref.adcErrorBound[i] * (1 + 1e-6) + 1e-6);
        expect(Math.abs(y[i] - ref.outputs[i])).toBeLessThanOrEqual(1e-5 * maxAbs(ref.outputs));
        worst = Math.max(worst, err);
      }
      expect(worst).toBeGreaterThan(0); // a coarse ADC does lose information
    }
  });

  it('calibrates its range from the first run and loses less than full scale', async () => {
    const k = 128, n = 16, batch = 8;
    const w = randomFloats(k * n, 31);
    const x = randomFloats(batch * k, 32, 0, 1);
    // The unipolar digital-offset ADC first (its range covers the gOff current), then a bipolar one.
    const cfg: CrossbarConfigInput = { rows: 128, cols: 16, adcBits: 5, inputScale: 1, readout: 'digital-offset' };
    const lossless = await crossbarMatMul(x, batch, w, k, n, { ...cfg, adcBits: 'lossless' });
    const full = await crossbarMatMul(x, batch, w, k, n, cfg);
    const layer = await CrossbarLayer.program({ weights: w, k, n, config: { ...cfg, adcRange: 'calibrated' } });
    expect(layer.state().adcRangeLsb).toBe(0);
    const cal = await layer.run(x, batch);
    const range = layer.state().adcRangeLsb;
    expect(range).toBeGreaterThan(0);
    // Below full scale: 128 rows x (3 levels + the 0.6 LSB gOff current per digit).
    expect(range).toBeLessThan(128 * 3.6);
    expect(layer.state().adcRangeLsb).toBeCloseTo(range, 12);
    expect(rms(cal, lossless)).toBeLessThan(rms(full, lossless));
    // A bipolar readout calibrates |signal|: integer column sums for ideal devices.
    const ref = await CrossbarLayer.program({ weights: w, k, n, config: { ...cfg, adcRange: 'calibrated', readout: 'reference-column' } });
    await ref.run(x, batch);
    expect(Number.isInteger(ref.state().adcRangeLsb)).toBe(true);
    expect(ref.state().adcRangeLsb).toBeLessThan(range);
  });
});

describe('device non-idealities', () => {
  const k = 96, n = 24, batch = 16;
  const w = randomFloats(k * n, 41);
  const x = randomFloats(batch * k, 42, 0, 1);
  const base: CrossbarConfigInput = { rows: 32, cols: 16, adcBits: 'lossless', inputScale: 1, seed: 7 };

  it('error grows with programming variation sigma (lognormal and gaussian)', async () => {
    const clean = await crossbarMatMul(x, batch, w, k, n, base);
    for (const distribution of ['lognormal', 'gaussian'] as const) {
      const errors: number[] = [];
      for (const sigma of [0, 0.02, 0.1, 0.3]) {
        const y = await crossbarMatMul(x, batch, w, k, n, { ...base, variation: { sigma, distribution } });
        errors.push(rms(y, clean));
      }
      expect(errors[0]).toBe(0);
      for (let i = 1; i < errors.length; i++) expect(errors[i]).toBeGreaterThan(errors[i - 1]);
    }
  });

  it('stuck-at-off cells lower outputs (positive weights and inputs); stuck-at-on cells change them', async () => {
    const wPos = randomFloats(k * n, 43, 0.1, 1);
    const clean = mean(await crossbarMatMul(x, batch, wPos, k, n, base));
    const off = mean(await crossbarMatMul(x, batch, wPos, k, n, { ...base, stuckAtOff: 0.2 }));
    const moreOff = mean(await crossbarMatMul(x, batch, wPos, k, n, { ...base, stuckAtOff: 0.5 }));
    expect(off).toBeLessThan(clean);
    expect(moreOff).toBeLessThan(off);
    // Stuck-on in a G- array subtracts, in G+ adds: net change must still be measurable.
    const on = await crossbarMatMul(x, batch, wPos, k, n, { ...base, stuckAtOn: 0.05 });
    expect(rms(on, await crossbarMatMul(x, batch, wPos, k, n, base))).toBeGreaterThan(0);
  });

  it('read noise perturbs outputs, is reproducible per seed and grows with sigma', async () => {
    const clean = await crossbarMatMul(x, batch, w, k, n, base);
    const a = await crossbarMatMul(x, batch, w, k, n, { ...base, readNoise: 0.5 });
    const b = await crossbarMatMul(x, batch, w, k, n, { ...base, readNoise: 0.5 });
    const c = await crossbarMatMul(x, batch, w, k, n, { ...base, readNoise: 0.5, seed: 8 });
    const d = await crossbarMatMul(x, batch, w, k, n, { ...base, readNoise: 2 });
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(rms(a, c)).toBeGreaterThan(0);
    expect(rms(a, clean)).toBeGreaterThan(0);
    expect(rms(d, clean)).toBeGreaterThan(rms(a, clean));
  });

  it('read noise is drawn afresh on every read, independent of how the samples are batched', async () => {
    const cfg: CrossbarConfigInput = { ...base, readNoise: 0.5, seed: 5 };
    const layer = await CrossbarLayer.program({ weights: w, k, n, config: cfg });
    const first = await layer.run(x, batch);
    const second = await layer.run(x, batch);
    // The same inputs read twice: different noisy outputs.
    expect(rms(first, second)).toBeGreaterThan(0);
    layer.dispose();
    // The same seed and call sequence reproduce both reads, whatever the batch split and thread count.
    for (const [split, threads] of [[1, 1], [3, 2], [batch - 1, 4]]) {
      const replay = await CrossbarLayer.program({ weights: w, k, n, config: { ...cfg, threads } });
      const a = await replay.run(x.subarray(0, split * k), split);
      const b = await replay.run(x.subarray(split * k), batch - split);
      const again = await replay.run(x, batch);
      expect([...a, ...b]).toEqual(Array.from(first));
      expect(Array.from(again)).toEqual(Array.from(second));
      replay.dispose();
    }
  });

  it('read noise is zero-mean Gaussian with the configured sigma in LSB units', async () => {
    // One array, one cycle, one slice: an output is (G+ code) - (G- code), each
    // column at half range, so each conversion adds N(0, sigma^2) plus rounding.
    const rows = 32, kk = 32, batchN = 4000, sigma = 3;
    const wAlt = new Float32Array(kk).map((_, i) => (i % 2 === 0 ? 1 : -1)); // levels +3 / -3
    const ones = new Float32Array(batchN * kk).fill(1);
    const y = await crossbarMatMul(ones, batchN, wAlt, kk, 1, {
      rows, cols: 1, weightBits: 3, bitsPerCell: 2, inputBits: 1, dacBits: 1, adcBits: 'lossless', inputScale: 1,
      readNoise: sigma, seed: 3,
    });
    // Exact result 16*3 - 16*3 = 0; one LSB of the output is inputLsb*weightScale = 1/3.
    const lsb = y.map((v) => v * 3);
    const m = mean(lsb);
    const sd = Math.sqrt(mean(lsb.map((v) => (v - m) ** 2)));
    const expected = Math.sqrt(2 * (sigma ** 2 + 1 / 12));
    expect(Math.abs(m)).toBeLessThan(0.2);
    expect(sd).toBeGreaterThan(0.95 * expected);
    expect(sd).toBeLessThan(1.05 * expected);
    const within1 = lsb.filter((v) => Math.abs(v) <= expected).length / batchN;
    expect(within1).toBeGreaterThan(0.64);
    expect(within1).toBeLessThan(0.73);
    const beyond3 = lsb.filter((v) => Math.abs(v) > 3 * expected).length / batchN;
    expect(beyond3).toBeLessThan(0.01);
  });

  it('same seed gives bit-identical results for 1, 2 and 4 threads', async () => {
    const xs = randomFloats(37 * k, 44, -1, 1);
    const cfg: CrossbarConfigInput = {
      ...base,
      adcBits: 6,
      variation: { sigma: 0.1, distribution: 'lognormal' },
      stuckAtOn: 0.01,
      stuckAtOff: 0.02,
      readNoise: 0.3,
      parasitics: { rWordLine: 1, rBitLine: 1, rSource: 10, rSink: 10 },
    };
    const results: Float32Array[] = [];
    for (const threads of [1, 2, 4]) results.push(await crossbarMatMul(xs, 37, w, k, n, { ...cfg, threads }));
    expect(Array.from(results[1])).toEqual(Array.from(results[0]));
    expect(Array.from(results[2])).toEqual(Array.from(results[0]));
    // Also the fused exact-integer path (lossless ADC; 3 cycles straddle register blocks).
    const fused: Float32Array[] = [];
    for (const threads of [1, 2, 4])
      fused.push(await crossbarMatMul(xs, 37, w, k, n, { ...cfg, adcBits: 'lossless', inputBits: 6, dacBits: 2, threads }));
    expect(Array.from(fused[1])).toEqual(Array.from(fused[0]));
    expect(Array.from(fused[2])).toEqual(Array.from(fused[0]));
    const fusedFirst = await crossbarMatMul(xs.subarray(0, 3 * k), 3, w, k, n, {
      ...cfg, adcBits: 'lossless', inputBits: 6, dacBits: 2, threads: 1,
    });
    expect(Array.from(fusedFirst)).toEqual(Array.from(fused[0].subarray(0, 3 * n)));
    // The result of a sample does not depend on the rest of the batch.
    const first = await crossbarMatMul(xs.subarray(0, 5 * k), 5, w, k, n, { ...cfg, threads: 2 });
    expect(Array.from(first)).toEqual(Array.from(results[0].subarray(0, 5 * n)));
  });
});

describe('parasitic resistance', () => {
  it('loses more current far from the driver (column 0) and far from the sense end (last row)', async () => {
    const rows = 32, cols = 32;
    const w = new Float32Array(rows * cols).fill(1); // every cell at the top level
    const layer = await CrossbarLayer.program({
      weights: w, k: rows, n: cols,
      // Digital offset: E holds each cell's own transfer (M - gOff)/unitG, no reference subtracted.
      config: { rows, cols, weightBits: 3, bitsPerCell: 2, readout: 'digital-offset', parasitics: { rWordLine: 5, rBitLine: 5, rSource: 0, rSink: 0 } },
    });
    const { matrix, width } = layer.effectiveMatrix();
    const at = (i: number, j: number): number => matrix[i * width + j]; // G+ slice 0 is columns 0..cols-1
    // Ideal level 3; the cell next to both the (0-ohm) driver and sense loses nothing.
    expect(at(rows - 1, 0)).toBeCloseTo(3, 6);
    expect(at(rows - 1, cols - 1)).toBeLessThan(3);
    for (let j = 1; j < cols; j++) expect(at(rows - 1, j)).toBeLessThan(at(rows - 1, j - 1));
    for (let i = 1; i < rows; i++) expect(at(i, cols - 1)).toBeGreaterThan(at(i - 1, cols - 1));
    expect(at(0, cols - 1)).toBeLessThan(at(rows - 1, 0));
  });

  it('loses a larger fraction of the signal in larger arrays', async () => {
    // Per cell: mean effective level of a uniformly programmed array (ideal 3).
    const cellLoss: number[] = [];
    for (const size of [16, 32, 64, 128]) {
      const layer = await CrossbarLayer.program({
        weights: new Float32Array(size * size).fill(1), k: size, n: size,
        config: { rows: size, cols: size, weightBits: 3, parasitics: true },
      });
      const { matrix, width } = layer.effectiveMatrix();
      let sum = 0;
      for (let i = 0; i < size; i++) for (let j = 0; j < size; j++) sum += matrix[i * width + j];
      cellLoss.push(1 - sum / (3 * size * size));
    }
    expect(cellLoss[0]).toBeGreaterThan(0);
    for (let i = 1; i < cellLoss.length; i++) expect(cellLoss[i]).toBeGreaterThan(cellLoss[i - 1]);
    // And through the whole pipeline (ADC included), with lossier wires.
    const k = 128, n = 64, batch = 4;
    const w = randomFloats(k * n, 51, 0.2, 1);
    const x = randomFloats(batch * k, 52, 0.2, 1);
    const outputLoss: number[] = [];
    for (const size of [32, 128]) {
      const cfg: CrossbarConfigInput = { rows: size, cols: size, weightBits: 3, adcBits: 'lossless', inputScale: 1 };
      const clean = await crossbarMatMul(x, batch, w, k, n, cfg);
      const wired = await crossbarMatMul(x, batch, w, k, n, { ...cfg, parasitics: { rWordLine: 10, rBitLine: 10 } });
      outputLoss.push(1 - mean(wired) / mean(clean));
    }
    expect(outputLoss[0]).toBeGreaterThan(0);
    expect(outputLoss[1]).toBeGreaterThan(outputLoss[0]);
  });

  it('zero wire resistance gives the ideal-device result', async () => {
    const k = 40, n = 10, batch = 3;
    const w = randomFloats(k * n, 61);
    const x = randomFloats(batch * k, 62, -1, 1);
    const cfg: CrossbarConfigInput = { rows: 16, cols: 8, adcBits: 'lossless', inputScale: 1 };
    const clean = await crossbarMatMul(x, batch, w, k, n, cfg);
    const shorted = await crossbarMatMul(x, batch, w, k, n, {
      ...cfg, parasitics: { rWordLine: 0, rBitLine: 0, rSource: 0, rSink: 0 },
    });
    expect(Array.from(shorted)).toEqual(Array.from(clean));
  });
});

describe('mapping geometry', () => {
  it('programs exactly mappingGeometry().arrays arrays, and the C++ formula agrees with geometry.ts', async () => {
    const addon = loadAddon();
    for (const k of [1, 9, 64, 65, 576, 1000])
      for (const n of [1, 10, 64, 130])
        for (const rows of [16, 64, 100])
          for (const cols of [16, 128])
            for (const [weightBits, bitsPerCell, inputBits, dacBits] of [
              [8, 2, 8, 1], [8, 4, 8, 2], [4, 1, 6, 4], [16, 3, 16, 3], [2, 1, 1, 1],
            ]) {
              const g = mappingGeometry({ k, n, rows, cols, weightBits, bitsPerCell, inputBits, dacBits });
              const c = addon.crossbarGeometry({ k, n, rows, cols, weightBits, bitsPerCell, inputBits, dacBits });
              expect([c.rowTiles, c.colTiles, c.slices, c.cycles, c.arrays]).toEqual([
                g.rowTiles, g.colTiles, g.slices, g.cycles, g.arrays,
              ]);
            }
    const layer = await CrossbarLayer.program({
      weights: randomFloats(200 * 70, 1), k: 200, n: 70, config: { rows: 64, cols: 32, bitsPerCell: 2 },
    });
    expect(layer.state().arrays).toBe(mappingGeometry({ k: 200, n: 70, ...layer.config }).arrays);
    expect(layer.state().arrays).toBe(4 * 3 * 4 * 2);
    expect(layer.geometry.arrays).toBe(96);
  });
});
