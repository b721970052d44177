/**
 * The resolved layer plan (lib/plan): one resolved config per layer, seeds per group, input
 * scales and signs from calibration or from the graph, and errors that name the mapping path.
 */
import { attr, createGraph, node, tensor, valueInfo } from '../../lib/onnx/ir';
import { planGraph, planLayers, groupSeed, chipGroupSeed, planForChip, nonNegativeValues, withCrossbarSize } from '../../lib/plan';
import { resolveCrossbarConfig, losslessAdcBits, naxAdcBits, mappingGeometry } from '../../lib/crossbar';
import { mobileNetBlock, leNet } from '../runtime/models';
import { errorOf } from '../errors-helper';

const layers = [
  { name: 'a', k: 100, n: 20, outputPixels: 16 },
  { name: 'b', k: 9, n: 4, outputPixels: 16, groups: 3 },
];

test('every layer gets a fully resolved config: defaults, overrides, the ADC rule, geometry', () => {
  const plan = planLayers(layers, { mapping: { default: { rows: 32, cols: 32 }, layers: { b: { rows: 16, cols: 8, adcBits: 'lossless', dacBits: 2 } } } });
  const [a, b] = plan.layers;
  expect(a.config).toEqual(resolveCrossbarConfig({ rows: 32, cols: 32 }));
  // The default reference-column readout: NAX's bits for the signal plus the bipolar ADC's sign.
  expect(a.config.adcBits).toBe(naxAdcBits(32) + 1);
  expect(b.config.adcBits).toBe(losslessAdcBits(16, 2, 2) + 1);
  expect(b.geometry).toEqual(mappingGeometry({ k: 9, n: 4, ...b.config }));
  expect(b.arrays).toBe(3 * b.geometry.arrays);
  // Resolved means resolved: a second resolution is a fixed point.
  for (const l of plan.layers) expect(resolveCrossbarConfig(l.config)).toEqual(l.config);
  expect(plan.inputSigns).toBe('given');
});

test('a mapping can pick a device model per layer; resolved configs stay fixed points', () => {
  const plan = planLayers(layers, {
    mapping: { default: { device: { preset: 'pcm-aihwkit', time: 3600 } }, layers: { b: { device: 'rram-neurram' } } },
  });
  const [a, b] = plan.layers;
  expect(a.config.device).toMatchObject({ name: 'pcm-aihwkit', time: 3600 });
  expect(a.config.gOn).toBeCloseTo(25e-6, 15);
  expect(b.config.device.name).toBe('rram-neurram');
  expect(b.config.gOn).toBeCloseTo(40e-6, 15);
  for (const l of plan.layers) expect(resolveCrossbarConfig(l.config)).toEqual(l.config);
});

test('seeds: one per group, derived from the mapping seed and the layer name, stable', () => {
  const p0 = planLayers(layers, { mapping: { default: { seed: 7 } } });
  const p1 = planLayers(layers, { mapping: { default: { seed: 7 } } });
  expect(p1).toEqual(p0);
  const b = p0.layers[1];
  expect(b.groupSeeds).toEqual([0, 1, 2].map((g) => groupSeed(7, 'b', g)));
  expect(new Set([...p0.layers[0].groupSeeds, ...b.groupSeeds]).size).toBe(4);
  const other = planLayers(layers, { mapping: { default: { seed: 8 } } });
  expect(other.layers[1].groupSeeds).not.toEqual(b.groupSeeds);
});

test('chips: chip 0 is exactly the seeds of a plan without chips; other chips draw their own, documented seeds', () => {
  const today = planLayers(layers, { mapping: { default: { seed: 7 } } });
  expect(today.chip).toBe(0);
  // The seeds before chips existed: groupSeed(7, name, g) = (7 + FNV-1a("name#g")) mod 2^32, pinned as numbers.
  const fnv = (s: string) => [...s].reduce((h, ch) => Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0, 0x811c9dc5);
  expect(today.layers[1].groupSeeds).toEqual([0, 1, 2].map((g) => (7 + fnv(`b#${g}`)) % 2 ** 32));
  expect(planLayers(layers, { mapping: { default: { seed: 7 } }, chip: 0 })).toEqual(today);
  expect(planForChip(today, 0)).toEqual(today);

  const chip1 = planLayers(layers, { mapping: { default: { seed: 7 } }, chip: 1 });
  expect(chip1.chip).toBe(1);
  expect(planForChip(today, 1)).toEqual(chip1);
  // Only the seeds move: configs, geometry and signs are the same resolution.
  expect(chip1.layers.map((l) => [l.config, l.geometry, l.signedInput])).toEqual(today.layers.map((l) => [l.config, l.geometry, l.signedInput]));
  // The derivation documented on chipGroupSeed: murmur3 fmix32 of (chip-0 seed XOR chip * 0x9E3779B9).
  const fmix32 = (h: number) => {
    h ^= h >>> 16; h = Math.imul(h, 0x85ebca6b); h ^= h >>> 13; h = Math.imul(h, 0xc2b2ae35); h ^= h >>> 16;
    return h >>> 0;
  };
  expect(chip1.layers[1].groupSeeds).toEqual([0, 1, 2].map((g) => fmix32((groupSeed(7, 'b', g) ^ Math.imul(1, 0x9e3779b9)) >>> 0)));
  expect(chipGroupSeed(7, 'b', 2, 3)).toBe(planForChip(today, 3).layers[1].groupSeeds[2]);
  // 20 chips x 4 groups: all seeds distinct.
  const all = Array.from({ length: 20 }, (_, c) => planForChip(today, c).layers.flatMap((l) => l.groupSeeds)).flat();
  expect(new Set(all).size).toBe(all.length);
  for (const bad of [-1, 1.5, '2']) expect(errorOf(() => planLayers(layers, { chip: bad as number })).code).toMatch(/ERR_NAX_(OUT_OF_RANGE|INVALID_ARGUMENT)/);
});

test('input scales and signs from calibration; a fixed inputScale and threads in the mapping win', () => {
  const inputRanges = new Map([
    ['a', { maxAbs: 2.5, min: -1 }],
    ['b', { maxAbs: 0.75, min: 0 }],
  ]);
  const plan = planLayers(layers, { mapping: { layers: { b: { inputScale: 4, threads: 1 } } }, inputRanges, threads: 2 });
  expect(plan.inputSigns).toBe('calibrated');
  expect(plan.layers.map((l) => [l.config.inputScale, l.signedInput, l.config.threads])).toEqual([
    [2.5, true, 2],
    [4, false, 1],
  ]);
  // Without calibration a layer list's own signedInput decides.
  const given = planLayers([{ ...layers[0], signedInput: true }, layers[1]]);
  expect(given.layers.map((l) => [l.signedInput, l.config.inputScale])).toEqual([
    [true, undefined],
    [false, undefined],
  ]);
});

test('errors name the mapping path, the unknown layer, or the bad layer field', () => {
  let e = errorOf(() => planLayers(layers, { mapping: { layers: { b: { rows: 0 } } } }));
  expect([e.name, e.code]).toEqual(['NaxError', 'ERR_NAX_OUT_OF_RANGE']);
  expect(e.message).toContain('mapping.layers.b.rows');
  e = errorOf(() => planLayers(layers, { mapping: { default: { adcBits: 'auto' as never } } }));
  expect(e.message).toContain('mapping.default.adcBits');
  e = errorOf(() => planLayers(layers, { mapping: { layers: { c: { rows: 8 } } } }));
  expect([e.code, e.message]).toEqual(['ERR_NAX_CONFIG', 'unknown layer mapping.layers.c; the model\'s crossbar layers are a, b']);
  e = errorOf(() => planLayers([{ name: 'a', k: 0, n: 1, outputPixels: 1 }]));
  expect(e.message).toContain('model[0].k');
  e = errorOf(() => planLayers(layers, { threads: -1 }));
  expect(e.message).toContain('threads');
  e = errorOf(() => planLayers(layers, { mapping: { layers: { a: 5 as never } } }));
  expect([e.code, e.message]).toEqual(['ERR_NAX_CONFIG', 'expected an object for mapping.layers.a, got 5']);
});

test('withCrossbarSize puts every layer on size x size, keeping the other per-layer settings', () => {
  const m = withCrossbarSize({ default: { rows: 64, cols: 64, parasitics: true }, layers: { a: { rows: 8, cols: 8, adcBits: 5 } } }, 16);
  expect(m).toEqual({ default: { rows: 16, cols: 16, parasitics: true }, layers: { a: { adcBits: 5 } } });
});

describe('input signs inferred from the graph', () => {
  test('LeNet: only the first conv sees the (signed) graph input; after ReLU and MaxPool inputs are >= 0', () => {
    const plan = planGraph(leNet());
    expect(plan.inputSigns).toBe('inferred');
    expect(plan.layers.map((l) => l.signedInput)).toEqual([true, false, false, false, false]);
    expect(planGraph(leNet(), { graphInputSigned: false }).layers.every((l) => !l.signedInput)).toBe(true);
  });

  test('MobileNet block: Clip(0, 6), BatchNorm, residual Add of a signed value, LeakyRelu, Concat', () => {
    const plan = planGraph(mobileNetBlock(), { graphInputSigned: false });
    // conv0 <- input (non-negative here), conv1 <- Clip, conv2 <- Clip, conv3 <- BN output (signed),
    // conv4 <- Add(signed, relu) (signed), fc <- GAP(Concat(pools of LeakyRelu(signed))) (signed).
    expect(plan.layers.map((l) => l.signedInput)).toEqual([false, false, false, true, true, true]);
  });

  test('op rules: constants, Pad values, Max/Min, Sub', () => {
    const pos = tensor('pos', [1], new Float32Array([2]));
    const neg = tensor('neg', [1], new Float32Array([-2]));
    const g = createGraph({
      nodes: [
        node('Relu', ['x'], ['r']),
        node('Add', ['r', 'pos'], ['addPos']),
        node('Add', ['r', 'neg'], ['addNeg']),
        node('Sub', ['r', 'r'], ['sub']),
        node('Max', ['x', 'r'], ['max']),
        node('Min', ['x', 'r'], ['min']),
        node('Pad', ['r'], ['padZero'], { mode: attr.string('constant'), pads: attr.ints([0, 0, 1, 1]) }),
        node('Pad', ['r'], ['padNeg'], { mode: attr.string('constant'), pads: attr.ints([0, 0, 1, 1]), value: attr.float(-1) }),
        node('Clip', ['x'], ['clip'], { min: attr.float(0), max: attr.float(6) }),
      ],
      inputs: [valueInfo('x', [1, 4])],
      outputs: [valueInfo('addPos', [1, 4])],
      initializers: new Map([['pos', pos], ['neg', neg]]),
      opset: 9,
    });
    const s = nonNegativeValues(g, { graphInputSigned: true });
    for (const name of ['r', 'pos', 'addPos', 'max', 'padZero', 'clip']) expect([name, s.has(name)]).toEqual([name, true]);
    for (const name of ['x', 'neg', 'addNeg', 'sub', 'min', 'padNeg']) expect([name, s.has(name)]).toEqual([name, false]);
  });
});

test("ADC bits: the default is the largest column code of the cells and DAC; 'nax' keeps NAX's rule", () => {
  const bits = (adcBits: Parameters<typeof resolveCrossbarConfig>[0]) => resolveCrossbarConfig(adcBits).adcBits;
  // 2-bit cells, 1-bit DAC, digital offset: both rules agree (3 * rows is never a power of two);
  // the default bipolar reference-column ADC adds its sign bit.
  const digital = { readout: 'digital-offset' as const };
  for (const rows of [16, 32, 64, 128, 256]) {
    expect(bits({ rows, ...digital })).toBe(naxAdcBits(rows));
    expect(bits({ rows })).toBe(naxAdcBits(rows) + 1);
    expect(bits({ rows, adcBits: 'nax' })).toBe(naxAdcBits(rows));
  }
  // 4-bit cells or a 2-bit DAC: NAX's rule would be lossy; the default is not (the
  // digital-offset readout also digitises the gOff current: 15 + 3 LSB per digit at 4-bit cells).
  expect(bits({ rows: 64, bitsPerCell: 4, ...digital })).toBe(Math.ceil(Math.log2(64 * 18 + 1)));
  expect(bits({ rows: 64, bitsPerCell: 4 })).toBe(Math.ceil(Math.log2(64 * 15 + 1)) + 1);
  expect(bits({ rows: 64, bitsPerCell: 4, adcBits: 'nax' })).toBe(8);
  expect(bits({ rows: 64, dacBits: 2, ...digital })).toBe(losslessAdcBits(64, 2, 2, { readout: 'digital-offset', gOn: 1e-5, gOff: 1 / 600e3 }));
  // 1-bit cells: NAX's rule is one bit too many.
  expect(bits({ rows: 64, bitsPerCell: 1, ...digital })).toBe(7);
  expect(bits({ rows: 64, bitsPerCell: 1, adcBits: 'nax' })).toBe(8);
  const e = errorOf(() => resolveCrossbarConfig({ adcBits: 'auto' as never }));
  expect([e.code, e.message]).toEqual(['ERR_NAX_INVALID_ARGUMENT', `expected an integer in [1, 24], 'lossless' or 'nax' for config.adcBits, got "auto"`]);
});
