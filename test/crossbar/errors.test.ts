import { CrossbarLayer, crossbarMatMul, resolveCrossbarConfig, CrossbarConfigInput } from '../../lib/crossbar';
import { loadAddon } from '../../lib/native';
import type { NativeCrossbarConfig } from '../../lib/crossbar/native';
import { toNativeConfig } from '../../lib/crossbar/config';

async function rejection(p: Promise<unknown> | (() => unknown)): Promise<{ name: string; code: string; message: string }> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (err) {
    return err as { name: string; code: string; message: string };
  }
  throw new Error('expected a rejection');
}

const w = new Float32Array(12).fill(0.5);
const x = new Float32Array(8).fill(0.25);

describe('bad config', () => {
  const cases: Array<[string, CrossbarConfigInput | unknown, string, RegExp]> = [
    ['rows above 4096', { rows: 5000 }, 'ERR_NAX_OUT_OF_RANGE', /config\.rows.*5000/],
    ['zero cols', { cols: 0 }, 'ERR_NAX_OUT_OF_RANGE', /config\.cols/],
    ['fractional rows', { rows: 12.5 }, 'ERR_NAX_INVALID_ARGUMENT', /integer.*config\.rows/],
    ['rows as a string', { rows: '64' }, 'ERR_NAX_INVALID_ARGUMENT', /config\.rows.*"64"/],
    ['non-finite gOn', { gOn: Infinity }, 'ERR_NAX_INVALID_ARGUMENT', /config\.gOn/],
    ['NaN vRead', { vRead: NaN }, 'ERR_NAX_INVALID_ARGUMENT', /config\.vRead/],
    ['zero gOff', { gOff: 0 }, 'ERR_NAX_OUT_OF_RANGE', /config\.gOff/],
    ['negative gOn', { gOn: -1e-5 }, 'ERR_NAX_OUT_OF_RANGE', /config\.gOn/],
    ['gOn below gOff', { gOn: 1e-7, gOff: 1e-6 }, 'ERR_NAX_CONFIG', /gOn > gOff/],
    ['dacBits above inputBits', { inputBits: 4, dacBits: 8 }, 'ERR_NAX_CONFIG', /dacBits <= inputBits/],
    ['bitsPerCell above weightBits - 1', { weightBits: 4, bitsPerCell: 4 }, 'ERR_NAX_CONFIG', /bitsPerCell <= weightBits - 1/],
    ['column sums beyond float32', { rows: 4096, bitsPerCell: 8, weightBits: 9, dacBits: 8 }, 'ERR_NAX_CONFIG', /2\^24/],
    ['adcBits 0', { adcBits: 0 }, 'ERR_NAX_OUT_OF_RANGE', /config\.adcBits/],
    ['adcBits as an odd string', { adcBits: 'exact' }, 'ERR_NAX_INVALID_ARGUMENT', /config\.adcBits/],
    ['unknown adcRange', { adcRange: 'auto' }, 'ERR_NAX_INVALID_ARGUMENT', /config\.adcRange/],
    ['negative stuck-at rate', { stuckAtOff: -0.1 }, 'ERR_NAX_OUT_OF_RANGE', /config\.stuckAtOff/],
    ['stuck-at rates above 1 together', { stuckAtOn: 0.6, stuckAtOff: 0.6 }, 'ERR_NAX_CONFIG', /stuckAtOn \+ stuckAtOff/],
    ['negative read noise', { readNoise: -1 }, 'ERR_NAX_OUT_OF_RANGE', /config\.readNoise/],
    ['unknown read-noise model', { readNoiseModel: 'thermal' }, 'ERR_NAX_INVALID_ARGUMENT', /config\.readNoiseModel/],
    ['unknown adcRangeScope', { adcRangeScope: 'column' }, 'ERR_NAX_INVALID_ARGUMENT', /config\.adcRangeScope/],
    ['unknown readout', { readout: 'balanced' }, 'ERR_NAX_INVALID_ARGUMENT', /digital-offset.*config\.readout/],
    ['a 1-bit bipolar ADC', { readout: 'reference-column', adcBits: 1 }, 'ERR_NAX_CONFIG', /adcBits >= 2/],
    ['negative ADC offset sigma', { adcNonIdeal: { offsetSigma: -1 } }, 'ERR_NAX_OUT_OF_RANGE', /adcNonIdeal\.offsetSigma/],
    ['ADC gain sigma above 1', { adcNonIdeal: { gainSigma: 2 } }, 'ERR_NAX_OUT_OF_RANGE', /adcNonIdeal\.gainSigma/],
    ['unknown adcNonIdeal key', { adcNonIdeal: { dnl: 1 } }, 'ERR_NAX_CONFIG', /adcNonIdeal\.dnl/],
    ['an INL table beyond 16 bits', { adcBits: 20, adcNonIdeal: { inlSigma: 0.1 } }, 'ERR_NAX_CONFIG', /adcBits <= 16/],
    ['negative wire resistance', { parasitics: { rWordLine: -1 } }, 'ERR_NAX_OUT_OF_RANGE', /parasitics\.rWordLine/],
    ['unknown parasitics key', { parasitics: { rWire: 1 } }, 'ERR_NAX_CONFIG', /parasitics\.rWire/],
    ['parasitics as a number', { parasitics: 3 }, 'ERR_NAX_INVALID_ARGUMENT', /config\.parasitics/],
    ['negative variation sigma', { variation: { sigma: -0.1 } }, 'ERR_NAX_OUT_OF_RANGE', /variation\.sigma/],
    ['missing variation sigma', { variation: { distribution: 'gaussian' } }, 'ERR_NAX_INVALID_ARGUMENT', /variation\.sigma/],
    ['unknown distribution', { variation: { sigma: 0.1, distribution: 'uniform' } }, 'ERR_NAX_INVALID_ARGUMENT', /variation\.distribution/],
    ['zero inputScale', { inputScale: 0 }, 'ERR_NAX_OUT_OF_RANGE', /config\.inputScale/],
    ['negative seed', { seed: -1 }, 'ERR_NAX_OUT_OF_RANGE', /config\.seed/],
    ['ideal as a string', { ideal: 'yes' }, 'ERR_NAX_INVALID_ARGUMENT', /config\.ideal/],
    ['unknown key', { rowz: 64 }, 'ERR_NAX_CONFIG', /config\.rowz/],
    ['config not an object', 42, 'ERR_NAX_INVALID_ARGUMENT', /config/],
  ];
  it.each(cases)('%s -> NaxError', async (_label, config, code, message) => {
    const err = await rejection(() => resolveCrossbarConfig(config as CrossbarConfigInput));
    expect(err.name).toBe('NaxError');
    expect(err.code).toBe(code);
    expect(err.message).toMatch(message);
    const viaProgram = await rejection(CrossbarLayer.program({ weights: w, k: 4, n: 3, config: config as CrossbarConfigInput }));
    expect(viaProgram.name).toBe('NaxError');
    expect(viaProgram.code).toBe(code);
  });

  it('resolves the documented defaults', () => {
    const c = resolveCrossbarConfig({ rows: 128, parasitics: true });
    expect(c).toMatchObject({
      // adcBits: 128 rows x 3 levels = 384 -> 9 bits, plus the bipolar reference-column ADC's sign.
      rows: 128, cols: 64, bitsPerCell: 2, weightBits: 8, inputBits: 8, dacBits: 1, adcBits: 10, adcRange: 'full-scale', readout: 'reference-column',
      vRead: 0.25, stuckAtOn: 0, stuckAtOff: 0, readNoise: 0, weightScale: 'per-layer', seed: 0, threads: 0, ideal: false,
      variation: false, parasitics: { rWordLine: 2.82, rBitLine: 2.82, rSource: 0, rSink: 0 },
    });
    expect(c.gOn).toBeCloseTo(1 / 100e3, 15);
    expect(c.gOff).toBeCloseTo(1 / 600e3, 15);
    expect(c.inputScale).toBeUndefined();
  });
});

describe('bad program and run arguments', () => {
  it('rejects wrong weight types and lengths, bad sizes, non-finite weights', async () => {
    const cases: Array<[() => Promise<unknown>, string, RegExp]> = [
      [() => CrossbarLayer.program({ weights: new Float64Array(12) as unknown as Float32Array, k: 4, n: 3 }), 'ERR_NAX_INVALID_ARGUMENT', /Float32Array for weights/],
      [() => CrossbarLayer.program({ weights: new Float32Array(11), k: 4, n: 3 }), 'ERR_NAX_SIZE_MISMATCH', /weights to have 12/],
      [() => CrossbarLayer.program({ weights: w, k: 0, n: 3 }), 'ERR_NAX_OUT_OF_RANGE', /for k/],
      [() => CrossbarLayer.program({ weights: w, k: 4.5, n: 3 }), 'ERR_NAX_INVALID_ARGUMENT', /for k/],
      [() => CrossbarLayer.program({ weights: w, k: 4, n: NaN }), 'ERR_NAX_INVALID_ARGUMENT', /for n/],
      [() => CrossbarLayer.program({ weights: new Float32Array([1, 2, NaN, 4, 5, 6, 7, 8, 9, 10, 11, 12]), k: 4, n: 3 }), 'ERR_NAX_INVALID_ARGUMENT', /weights\[2\]/],
      [() => CrossbarLayer.program({ weights: new Float32Array(12).fill(Infinity), k: 4, n: 3, config: { ideal: true } }), 'ERR_NAX_INVALID_ARGUMENT', /weights\[0\]/],
      [() => CrossbarLayer.program(null as unknown as { weights: Float32Array; k: number; n: number }), 'ERR_NAX_INVALID_ARGUMENT', /options/],
    ];
    for (const [fn, code, message] of cases) {
      const err = await rejection(fn);
      expect(err.name).toBe('NaxError');
      expect(err.code).toBe(code);
      expect(err.message).toMatch(message);
    }
  });

  it('rejects bad run inputs without touching the layer', async () => {
    const layer = await CrossbarLayer.program({ weights: w, k: 4, n: 3 });
    const cases: Array<[() => Promise<unknown>, string, RegExp]> = [
      [() => layer.run(new Float32Array(7), 2), 'ERR_NAX_SIZE_MISMATCH', /inputs to have 8/],
      [() => layer.run([0, 1, 2, 3] as unknown as Float32Array, 1), 'ERR_NAX_INVALID_ARGUMENT', /Float32Array for inputs/],
      [() => layer.run(x, -1), 'ERR_NAX_OUT_OF_RANGE', /for batch/],
      [() => layer.run(x, 1.5), 'ERR_NAX_INVALID_ARGUMENT', /for batch/],
      [() => layer.run(new Float32Array([0, 1, Infinity, 0]), 1), 'ERR_NAX_INVALID_ARGUMENT', /inputs\[2\]/],
      [() => layer.run(new Float32Array([0, NaN, 0, 0]), 1), 'ERR_NAX_INVALID_ARGUMENT', /inputs\[1\]/],
    ];
    for (const [fn, code, message] of cases) {
      const err = await rejection(fn);
      expect(err.name).toBe('NaxError');
      expect(err.code).toBe(code);
      expect(err.message).toMatch(message);
    }
    expect((await layer.run(x, 2)).length).toBe(6); // still usable
    layer.dispose();
    const err = await rejection(() => layer.run(x, 2));
    expect(err.code).toBe('ERR_NAX_INVALID_ARGUMENT');
    expect(err.message).toMatch(/disposed/);
    await expect(crossbarMatMul(x, 2, w, 4, 3)).resolves.toHaveLength(6);
  });

  it('the native entry checks its own arguments (bypassing the TypeScript checks)', async () => {
    const addon = loadAddon();
    const good: NativeCrossbarConfig = toNativeConfig(resolveCrossbarConfig({}));
    const cases: Array<[() => Promise<unknown>, string]> = [
      [() => addon.crossbarProgram({ weights: w, k: 4, n: 3, config: { ...good, rows: 10000 } }), 'ERR_NAX_OUT_OF_RANGE'],
      [() => addon.crossbarProgram({ weights: w, k: 4, n: 3, config: { ...good, gOn: NaN } }), 'ERR_NAX_INVALID_ARGUMENT'],
      [() => addon.crossbarProgram({ weights: w, k: 4, n: 3, config: { ...good, dacBits: 8, inputBits: 4 } }), 'ERR_NAX_CONFIG'],
      [() => addon.crossbarProgram({ weights: w, k: 4, n: 3, config: { ...good, rSink: -5 } }), 'ERR_NAX_OUT_OF_RANGE'],
      [() => addon.crossbarProgram({ weights: w, k: 5, n: 3, config: good }), 'ERR_NAX_SIZE_MISMATCH'],
      [() => addon.crossbarProgram({ weights: w, k: 4, n: 3, config: undefined as unknown as NativeCrossbarConfig }), 'ERR_NAX_INVALID_ARGUMENT'],
    ];
    for (const [fn, code] of cases) {
      const err = await rejection(async () => fn());
      expect(err.name).toBe('NaxError');
      expect(err.code).toBe(code);
    }
    // The binding defaults nothing: a missing field is named, and the core has no "adcBits 0 = lossless".
    const { adcBits: _omitted, ...missing } = good;
    const absent = await rejection(() => addon.crossbarProgram({ weights: w, k: 4, n: 3, config: missing as NativeCrossbarConfig }));
    expect([absent.name, absent.code, absent.message]).toEqual(['NaxError', 'ERR_NAX_INVALID_ARGUMENT', 'expected a number for config.adcBits, got undefined']);
    const zero = await rejection(() => addon.crossbarProgram({ weights: w, k: 4, n: 3, config: { ...good, adcBits: 0 } }));
    expect(zero.code).toBe('ERR_NAX_OUT_OF_RANGE');
    expect(zero.message).toMatch(/config\.adcBits/);
    // The wrapped layer class cannot be built from JS without a programmed layer.
    const Ctor = (addon as unknown as { NativeCrossbarLayer: new (...args: unknown[]) => unknown }).NativeCrossbarLayer;
    const err = await rejection(() => new Ctor({}));
    expect(err.name).toBe('NaxError');
    expect(err.code).toBe('ERR_NAX_INVALID_ARGUMENT');
  });
});
