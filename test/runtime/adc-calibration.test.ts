/**
 * ADC calibration over a calibration set (issue 11): the range is the largest ADC input over
 * every calibration batch, not the first run's; the backend calibrates a whole network with the
 * ideal activations downstream.
 */
import { CrossbarLayer, resolveCrossbarConfig, type CrossbarConfigInput } from '../../lib/crossbar';
import { GraphExecutor } from '../../lib/runtime/executor';
import { calibrateInputRanges } from '../../lib/runtime/calibrate';
import { crossbarBackend } from '../../lib/runtime/crossbar-backend';
import { planGraph } from '../../lib/plan';
import { randomFloats } from '../crossbar/reference';
import { leNet } from './models';
import { randomImages, relativeError } from './ort';

describe('CrossbarLayer.calibrateAdc', () => {
  const k = 64, n = 16, batch = 6;
  const w = randomFloats(k * n, 5);
  // Bit-serial inputs: a column's sum per cycle grows with how many inputs are driven, so the
  // "small" batch is sparse and the "large" one drives every row with every bit.
  const small = randomFloats(batch * k, 6, 0, 1).map((v, i) => (i % 5 === 0 ? v : 0));
  const large = new Float32Array(batch * k).fill(1);

  it.each(['digital-offset', 'differential'] as const)('%s: the range covers every calibration batch', async (readout) => {
    const config = { rows: 64, cols: 16, adcBits: 5, adcRange: 'calibrated' as const, inputScale: 1, readout };
    const latch = async (x: Float32Array): Promise<number> => {
      const layer = await CrossbarLayer.program({ weights: w, k, n, config });
      await layer.run(x, batch);
      const r = layer.state().adcRangeLsb;
      layer.dispose();
      return r;
    };
    const fromSmall = await latch(small), fromLarge = await latch(large);
    expect(fromLarge).toBeGreaterThan(1.5 * fromSmall);
    const layer = await CrossbarLayer.program({ weights: w, k, n, config });
    await layer.calibrateAdc(small, batch);
    await layer.calibrateAdc(large, batch);
    expect(layer.state().adcRangeLsb).toBe(0); // not fixed until finalized
    layer.finalizeAdcCalibration();
    expect(layer.state().adcRangeLsb).toBe(Math.max(fromSmall, fromLarge));
    // A later run on the small batch keeps the calibrated range (no first-run latch).
    await layer.run(small, batch);
    expect(layer.state().adcRangeLsb).toBe(fromLarge);
    expect(layer.state().adcFullScaleAmps).toBeCloseTo(fromLarge * layer.state().unitCurrentAmps, 18);
    layer.dispose();
  });

  it('refuses to finalize a full-scale layer, naming the setting', async () => {
    const layer = await CrossbarLayer.program({ weights: w, k, n, config: { rows: 64, cols: 16 } });
    expect(() => layer.finalizeAdcCalibration()).toThrow(/adcRange 'calibrated'/);
    layer.dispose();
  });
});

test('crossbarBackend.calibrateAdcs fixes every calibrated layer from the whole calibration set', async () => {
  const g = leNet();
  const dims = [4, 1, 28, 28];
  const a = randomImages(4 * 784, 21), b = randomImages(4 * 784, 22).map((v) => v * 1.5);
  const inputRanges = await calibrateInputRanges(g, [{ images: a, dims }, { images: b, dims }]);
  const plan = planGraph(g, { mapping: { default: { rows: 64, cols: 64, adcBits: 6, adcRange: 'calibrated' } }, inputRanges });
  const backend = crossbarBackend(plan);
  const ex = await GraphExecutor.create(g, { mode: 'crossbar', backend });
  const ideal = await (await GraphExecutor.create(g)).runBatch(a, dims);
  let calibrationOutput: Float32Array | undefined;
  const calibrated = await backend.calibrateAdcs(async () => {
    calibrationOutput = (await ex.runBatch(a, dims)).data as Float32Array;
    await ex.runBatch(b, dims);
  });
  expect(calibrated).toBe(backend.programmed().length);
  // During calibration the float product flows downstream: the ideal-mode output exactly.
  expect(relativeError(ideal.data, calibrationOutput!)).toBeLessThan(1e-5);
  for (const p of backend.programmed()) expect(p.state.adcRangeLsb).toBeGreaterThan(0);
  const ranges = backend.programmed().map((p) => p.state.adcRangeLsb);
  await ex.runBatch(a, dims);
  expect(backend.programmed().map((p) => p.state.adcRangeLsb)).toEqual(ranges);
  backend.dispose();
});

describe('calibrated range scopes', () => {
  // Trained-network-like weights: most far below the largest, so the high slices carry small
  // column currents and a per-slice range resolves them finer.
  const k = 96, n = 40, batch = 16;
  const w = randomFloats(k * n, 31, -0.1, 0.1);
  w[5] = 1;
  const x = randomFloats(batch * k, 32, 0, 1);
  const base = { rows: 32, cols: 16, adcBits: 4, adcRange: 'calibrated' as const, inputScale: 1, readout: 'differential' as const };

  it("'slice' and 'adc' ranges nest inside the layer's, and finer scopes lose less", async () => {
    const calibrated = async (adcRangeScope: 'layer' | 'slice' | 'adc') => {
      const layer = await CrossbarLayer.program({ weights: w, k, n, config: { ...base, adcRangeScope } });
      await layer.calibrateAdc(x, batch);
      layer.finalizeAdcCalibration();
      const ranges = layer.adcRanges();
      const y = await layer.run(x, batch);
      layer.dispose();
      return { ranges, y };
    };
    const lossless = await (async () => {
      const layer = await CrossbarLayer.program({ weights: w, k, n, config: { ...base, adcBits: 'lossless', adcRange: 'full-scale' } });
      const y = await layer.run(x, batch);
      layer.dispose();
      return y;
    })();
    const L = await calibrated('layer'), S = await calibrated('slice'), A = await calibrated('adc');
    const segments = 4; // differential: one segment per slice (7 magnitude bits / 2 per cell)
    const adcs = 3 * 3 * segments; // row tiles x column tiles x segments
    for (const r of [L, S, A]) expect(r.ranges.length).toBe(adcs);
    expect(new Set(L.ranges).size).toBe(1);
    for (let a = 0; a < adcs; a++) {
      expect(S.ranges[a]).toBe(S.ranges[a % segments]); // shared by every tile of a segment
      expect(S.ranges[a]).toBeLessThanOrEqual(L.ranges[a]);
      expect(A.ranges[a]).toBeLessThanOrEqual(S.ranges[a]);
    }
    expect(Math.max(...S.ranges)).toBe(L.ranges[0]);
    expect(S.ranges[3]).toBeLessThan(0.5 * S.ranges[0]); // the top slice holds small currents
    const err = (y: Float32Array): number => {
      let s = 0;
      for (let i = 0; i < y.length; i++) s += (y[i] - lossless[i]) ** 2;
      return Math.sqrt(s / y.length);
    };
    expect(err(S.y)).toBeLessThan(err(L.y));
    expect(err(A.y)).toBeLessThanOrEqual(err(S.y) * 1.05);
  });

  it("'column-group' ranges: one per group of adjacent columns, each the max of its own columns, nested inside the ADC's", async () => {
    const run = async (config: CrossbarConfigInput) => {
      const layer = await CrossbarLayer.program({ weights: w, k, n, config: { ...base, ...config } });
      await layer.calibrateAdc(x, batch);
      layer.finalizeAdcCalibration();
      const out = { ranges: layer.adcRanges(), y: await layer.run(x, batch) };
      layer.dispose();
      return out;
    };
    const A = await run({ adcRangeScope: 'adc' });
    const G4 = await run({ adcRangeScope: 'column-group', adcGroupColumns: 4 });
    const G16 = await run({ adcRangeScope: 'column-group', adcGroupColumns: 16 });
    const G1 = await run({ adcRangeScope: 'column-group', adcGroupColumns: 1 });
    const G5 = await run({ adcRangeScope: 'column-group', adcGroupColumns: 5 });
    const adcs = A.ranges.length;
    // A group as wide as the array is the ADC scope, bit for bit.
    expect(Array.from(G16.ranges)).toEqual(Array.from(A.ranges));
    expect(Array.from(G16.y)).toEqual(Array.from(A.y));
    expect(G4.ranges.length).toBe(adcs * 4);
    expect(G5.ranges.length).toBe(adcs * 4); // ceil(16 / 5): groups of 5, 5, 5 and the last column
    expect(G1.ranges.length).toBe(adcs * 16);
    for (let a = 0; a < adcs; a++) {
      const groups4 = Array.from(G4.ranges.subarray(4 * a, 4 * a + 4));
      // The ADC's range is its widest group's; each group of 4 is the widest of its single columns
      // (ranges floor at 1 LSB, as every calibrated range does).
      expect(Math.max(...groups4)).toBe(A.ranges[a]);
      for (let g = 0; g < 4; g++) expect(G4.ranges[4 * a + g]).toBe(Math.max(1, ...Array.from(G1.ranges.subarray(16 * a + 4 * g, 16 * a + 4 * g + 4))));
    }
    // Per-group ranges differ inside an array (the weights' one large entry sits in one column).
    expect(new Set(Array.from(G4.ranges.subarray(0, 4))).size).toBeGreaterThan(1);
    const err = (y: Float32Array, ref: Float32Array): number => {
      let s = 0;
      for (let i = 0; i < y.length; i++) s += (y[i] - ref[i]) ** 2;
      return Math.sqrt(s / y.length);
    };
    const losslessLayer = await CrossbarLayer.program({ weights: w, k, n, config: { ...base, adcBits: 'lossless', adcRange: 'full-scale' } });
    const lossless = { y: await losslessLayer.run(x, batch) };
    losslessLayer.dispose();
    expect(err(G4.y, lossless.y)).toBeLessThanOrEqual(err(A.y, lossless.y));
    expect(err(G1.y, lossless.y)).toBeLessThanOrEqual(err(G4.y, lossless.y) * 1.05);
    const { errorOf } = await import('../errors-helper');
    expect(errorOf(() => resolveCrossbarConfig({ adcGroupColumns: 4 })).message).toMatch(/adcRangeScope 'column-group'/);
    expect(errorOf(() => resolveCrossbarConfig({ adcRangeScope: 'column-group', adcGroupColumns: 0 })).code).toBe('ERR_NAX_OUT_OF_RANGE');
  });
});
