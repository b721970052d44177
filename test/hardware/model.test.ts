import { foldBatchNorm, lowerFolded } from '../../lib/runtime/lower';
import { mappingGeometry, losslessAdcBits, naxAdcBits } from '../../lib/crossbar/geometry';
import {
  type CostLayer,
  adcConversionJoules,
  combineLayerCosts,
  costBySize,
  crossbarFigures,
  defaultHardware,
  hardwareCost,
  registerFigures,
  resnetCifarLayers,
  resolveHardware,
} from '../../lib/hardware';
import { attr, createGraph, node, tensor, valueInfo } from '../../lib/onnx/ir';
import type { LoweredLayer } from '../../lib/runtime/lower';
import { planLayers } from '../../lib/plan';
import { resolveCrossbarConfig } from '../../lib/crossbar/config';

const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-300);
function expectClose(actual: number, expected: number, tol = 1e-12): void {
  if (rel(actual, expected) > tol) throw new Error(`expected ${expected}, got ${actual} (rel ${rel(actual, expected)})`);
}

describe('models from graphs (hand-computed examples per template: test/hardware/templates.test.ts)', () => {
  test('a conv read from a graph (lowered by lib/runtime/lower.ts) costs the same as its hand-built layer', () => {
    const w = tensor('w', [8, 3, 3, 3], new Float32Array(8 * 27).map((_, i) => Math.sin(i)));
    const graph = createGraph({
      nodes: [node('Conv', ['x', 'w'], ['y'], { pads: attr.ints([1, 1, 1, 1]), kernel_shape: attr.ints([3, 3]) }, 'conv')],
      inputs: [valueInfo('x', [1, 3, 8, 8])],
      outputs: [valueInfo('y', [1, 8, 8, 8])],
      initializers: new Map([['w', w]]),
    });
    const mapping = { default: { rows: 32, cols: 32, weightBits: 4, inputBits: 4, dacBits: 2, adcBits: 'lossless' as const } };
    const fromGraph = hardwareCost({ model: graph, mapping, graphInputSigned: false });
    const byHand = hardwareCost({ model: [{ name: 'conv', opType: 'Conv', k: 27, n: 8, outputPixels: 64 }], mapping });
    // weights: 'model' uses the graph's programmed levels (the conv's [8,3,3,3] weights as the K x N matrix lowering makes).
    const weights = { conv: lowerFolded(foldBatchNorm(graph))[0].weights };
    expect(hardwareCost({ model: graph, mapping, graphInputSigned: false, weights: 'model' }).total).toEqual(
      hardwareCost({ model: [{ name: 'conv', opType: 'Conv', k: 27, n: 8, outputPixels: 64 }], mapping, weights }).total,
    );
    expect(() => hardwareCost({ model: [{ name: 'conv', k: 27, n: 8, outputPixels: 64 }], weights: 'model' })).toThrow(/weights: 'model'/);
    expect(fromGraph.layers[0].arrays).toBe(byHand.layers[0].arrays);
    expect(fromGraph.total.edap).toBe(byHand.total.edap);
    // Its input is the graph input: assumed signed by default (normalised images), so two passes.
    const signed = hardwareCost({ model: graph, mapping });
    expect(signed.layers[0].readsPerMvm).toBe(2 * byHand.layers[0].readsPerMvm);
    expect(hardwareCost({ model: [{ name: 'conv', opType: 'Conv', k: 27, n: 8, outputPixels: 64, signedInput: true }], mapping }).total).toEqual(signed.total);
  });
});

describe('array counts: one definition with the crossbar engine (lib/crossbar/geometry.ts)', () => {
  test('arrays, cycles and utilization equal mappingGeometry for many shapes and mappings', () => {
    let seed = 7;
    const rnd = (n: number) => 1 + ((seed = (seed * 1103515245 + 12345) % 2147483648) % n);
    for (let i = 0; i < 200; i++) {
      const layer = { name: 'l', k: rnd(1200), n: rnd(600), outputPixels: rnd(50) };
      const weightBits = 1 + rnd(15);
      const inputBits = rnd(16);
      const s = {
        rows: [16, 32, 64, 128, 256, 48, 100][rnd(7) - 1],
        cols: [16, 32, 64, 128, 256, 24][rnd(6) - 1],
        weightBits,
        bitsPerCell: Math.min(rnd(4), weightBits - 1),
        inputBits,
        dacBits: Math.min(rnd(4), inputBits),
      };
      const l = hardwareCost({ model: [layer], mapping: { default: s } }).layers[0];
      const g = mappingGeometry({ k: layer.k, n: layer.n, ...s });
      expect(l.arrays).toBe(g.arrays);
      expect(l.readsPerMvm).toBe(g.cycles);
      expect(l.utilization).toBe(g.utilization);
      expect(l.crossbarReads).toBe(layer.outputPixels * g.cycles * g.arrays);
    }
  });

  test("per-layer settings are the plan's, which the executor's backend programs", () => {
    const layers = resnetCifarLayers();
    const mapping = {
      default: { rows: 32, cols: 32, inputBits: 6, parasitics: true },
      layers: { conv1: { rows: 16, cols: 16, dacBits: 2 }, 'layer2.1.conv2': { rows: 128, cols: 64, adcBits: 'lossless' as const }, fc: { adcBits: 5 } },
    };
    const plan = planLayers(layers, { mapping });
    const cost = hardwareCost({ model: layers, mapping });
    expect(hardwareCost({ plan }).total).toEqual(cost.total);
    cost.layers.forEach((l, i) => {
      const c = plan.layers[i].config;
      expect([l.name, l.crossbar]).toEqual([plan.layers[i].name, { rows: c.rows, cols: c.cols, bitsPerCell: c.bitsPerCell, weightBits: c.weightBits, inputBits: c.inputBits, dacBits: c.dacBits, adcBits: c.adcBits }]);
      expect(l.arrays).toBe(plan.layers[i].arrays);
      // The plan's config is fully resolved: resolving it again changes nothing.
      expect(resolveCrossbarConfig(c)).toEqual(c);
    });
    // 'lossless' is resolved to a number once, in the plan (the default reference-column ADC: a sign bit more).
    expect(plan.layers.find((l) => l.name === 'layer2.1.conv2')!.config.adcBits).toBe(Math.ceil(Math.log2(128 * 3 + 1)) + 1);
  });

  test('grouped convs: groups independent matrices, groups x the arrays, latency of one group', () => {
    const one = hardwareCost({ model: [{ name: 'dw', k: 9, n: 1, outputPixels: 256 }] }).layers[0];
    const dw = hardwareCost({ model: [{ name: 'dw', k: 9, n: 1, outputPixels: 256, groups: 32 }] }).layers[0];
    expect(dw.arrays).toBe(32 * one.arrays);
    expectClose(dw.energyJoules.total, 32 * one.energyJoules.total);
    expectClose(dw.areaMm2.total, 32 * one.areaMm2.total);
    expect(dw.latencySeconds).toBe(one.latencySeconds);
  });

  test('signed inputs run a positive and a negative pass: twice the reads and latency', () => {
    const u = hardwareCost({ model: [{ name: 'c', k: 27, n: 16, outputPixels: 100 }] }).layers[0];
    const s = hardwareCost({ model: [{ name: 'c', k: 27, n: 16, outputPixels: 100, signedInput: true }] }).layers[0];
    expect(s.crossbarReads).toBe(2 * u.crossbarReads);
    expect(s.adcConversions).toBe(2 * u.adcConversions);
    // Twice the read steps; pipelined steps overlap, so one read's fill is paid once.
    expectClose(s.latencySeconds - s.readLatencySeconds, 2 * (u.latencySeconds - u.readLatencySeconds) + s.stepSeconds);
    expect(s.areaMm2.total).toBe(u.areaMm2.total);
  });
});

describe('properties', () => {
  const sizes = [16, 32, 64, 128, 256];

  test('bigger crossbars need more ADC bits (default: NAX ceil(log2(3*rows)) plus the bipolar sign; lossless: ISAAC rule)', () => {
    const bits = sizes.map((x) => hardwareCost({ model: [{ name: 'l', k: 512, n: 512, outputPixels: 1 }], mapping: { default: { rows: x, cols: x } } }).layers[0].crossbar.adcBits);
    expect(bits).toEqual([7, 8, 9, 10, 11]);
    expect(bits).toEqual(sizes.map((x) => naxAdcBits(x) + 1));
    for (const [dacBits, bitsPerCell] of [[1, 1], [2, 2], [1, 4]]) {
      const b = sizes.map((x) => hardwareCost({ model: [{ name: 'l', k: 8, n: 8, outputPixels: 1 }], mapping: { default: { rows: x, cols: x, dacBits, bitsPerCell, adcBits: 'lossless' } } }).layers[0].crossbar.adcBits);
      for (let i = 1; i < b.length; i++) expect(b[i]).toBeGreaterThan(b[i - 1]);
      // The default reference-column readout: the signal's bits plus a sign (lib/crossbar/geometry.ts).
      expect(b).toEqual(sizes.map((x) => losslessAdcBits(x, dacBits, bitsPerCell, { readout: 'reference-column', gOn: 1e-5, gOff: 1 / 600e3 })));
    }
  });

  test('a fixed adcBits in the mapping overrides the lossless rule (per layer too)', () => {
    const layers = [{ name: 'a', k: 64, n: 64, outputPixels: 1 }, { name: 'b', k: 64, n: 64, outputPixels: 1 }];
    const c = hardwareCost({ model: layers, mapping: { default: { rows: 64, cols: 64, adcBits: 6 }, layers: { b: { adcBits: 'lossless' } } } });
    expect(c.layers.map((l) => l.crossbar.adcBits)).toEqual([6, 9]);
    expect(c.layers[0].energyJoules.adc).toBeLessThan(c.layers[1].energyJoules.adc);
  });

  test('a layer that does not fill its arrays wastes area: same arrays and area as a full layer, utilization < 1', () => {
    const small = hardwareCost({ model: [{ name: 'l', k: 10, n: 10, outputPixels: 1 }], mapping: { default: { rows: 64, cols: 64 } } }).layers[0];
    const full = hardwareCost({ model: [{ name: 'l', k: 64, n: 64, outputPixels: 1 }], mapping: { default: { rows: 64, cols: 64 } } }).layers[0];
    expect(small.utilization).toBeCloseTo(100 / 4096, 12);
    expect(full.utilization).toBe(1);
    expect(small.arrays).toBe(full.arrays);
    expect(small.areaMm2.total).toBe(full.areaMm2.total);
    // Per weight, the half-empty mapping costs 4096/100 times the area.
    expectClose(small.areaMm2.total / 100 / (full.areaMm2.total / 4096), 4096 / 100);
    // On 16x16 the small layer wastes less: utilization 100/256 and less area.
    const on16 = hardwareCost({ model: [{ name: 'l', k: 10, n: 10, outputPixels: 1 }], mapping: { default: { rows: 16, cols: 16 } } }).layers[0];
    expect(on16.utilization).toBeGreaterThan(small.utilization);
    expect(on16.areaMm2.total).toBeLessThan(small.areaMm2.total);
  });

  test("a network's cost is built from its layers: energy and area add, latency adds over layers, EDAP from the totals", () => {
    const layers = resnetCifarLayers();
    const mapping = { default: { rows: 32, cols: 32 }, layers: { fc: { rows: 16, cols: 16 }, 'layer3.2.conv2': { rows: 128, cols: 128 } } };
    const net = hardwareCost({ model: layers, mapping });
    const sum = (f: (l: (typeof net.layers)[number]) => number) => net.layers.reduce((a, l) => a + f(l), 0);
    expectClose(net.total.energyJoules.total, sum((l) => l.energyJoules.total));
    expectClose(net.total.energyJoules.adc, sum((l) => l.energyJoules.adc));
    expectClose(net.total.areaMm2.total, sum((l) => l.areaMm2.total));
    expectClose(net.total.latencySeconds, sum((l) => l.latencySeconds));
    expect(net.total.arrays).toBe(sum((l) => l.arrays));
    expectClose(net.total.edap, net.total.energyJoules.total * net.total.latencySeconds * net.total.areaMm2.total);
    // Not the sum of layer EDAPs: a network's EDAP grows faster than its layers'.
    expect(net.total.edap).toBeGreaterThan(sum((l) => l.edap));
    // Each layer costs the same alone as inside the network (per-layer overrides by node name).
    const alone = hardwareCost({ model: [layers[19]], mapping: { default: { rows: 16, cols: 16 } } }).layers[0];
    expect(net.layers[19]).toEqual(alone);
    // Combining per-layer results gives the network's totals.
    const combined = combineLayerCosts(net.layers, net.hardware);
    expectClose(combined.total.edap, net.total.edap);
    // Each component adds up to the total.
    const e = net.total.energyJoules;
    expectClose(e.crossbar + e.wires + e.adc + e.dac + e.sampleHold + e.shiftAdd + e.subtractor + e.registers + e.buffers + e.interconnect, e.total);
    const a = net.total.areaMm2;
    expectClose(a.crossbar + a.adc + a.dac + a.sampleHold + a.shiftAdd + a.subtractor + a.registers + a.buffers + a.interconnect + a.digital, a.total);
  });

  test('ResNet-20 shapes: 19 convs + FC, 0.27M weights', () => {
    const layers = resnetCifarLayers();
    expect(layers).toHaveLength(20);
    expect(layers.reduce((a, l) => a + l.k * l.n, 0)).toBe(268336); // 3*9*16 + 6*144*16 + 144*32 + 5*288*32 + 288*64 + 5*576*64 + 640
    expect(layers.map((l) => l.outputPixels)).toEqual([...Array(7).fill(1024), ...Array(6).fill(256), ...Array(6).fill(64), 1]);
    expect(resnetCifarLayers({ shortcut: 'B' })).toHaveLength(22);
  });

  test('homogeneous ResNet-20: EDAP is lowest at a mid-size crossbar (NAX trend), not at 16 or 256', () => {
    const rows = costBySize(resnetCifarLayers(), sizes);
    const edap = rows.map((r) => r.cost.total.edap);
    const best = edap.indexOf(Math.min(...edap));
    expect(best).toBeGreaterThan(0);
    expect(best).toBeLessThan(sizes.length - 1);
    // Latency grows with size (longer reads, more conversions per ADC); area falls then rises as cells go unused.
    const lat = rows.map((r) => r.cost.total.latencySeconds);
    for (let i = 1; i < lat.length; i++) expect(lat[i]).toBeGreaterThan(lat[i - 1]);
    expect(rows[0].cost.total.areaMm2.total).toBeGreaterThan(rows[2].cost.total.areaMm2.total);
    const util = rows.map((r) => r.cost.total.utilization);
    for (let i = 1; i < util.length; i++) expect(util[i]).toBeLessThan(util[i - 1]);
    expect(Math.min(...rows.map((r) => r.edapRelative))).toBe(1);
  });

  test('ADC energy scaling: power-time (b^2), linear (b) and survey (4^b) agree at the 8-bit anchor', () => {
    const linear = resolveHardware({ adc: { energyScaling: 'linear' } });
    const survey = resolveHardware({ adc: { energyScaling: 'survey' } });
    const pumaForm = resolveHardware();
    const anchor = 1.8e-3 / 1.28e9;
    expectClose(adcConversionJoules(pumaForm, 8), anchor);
    expectClose(adcConversionJoules(linear, 8), anchor);
    expectClose(adcConversionJoules(survey, 8), anchor);
    expectClose(adcConversionJoules(pumaForm, 10), anchor * (10 / 8) ** 2);
    expectClose(adcConversionJoules(linear, 10), (anchor * 10) / 8);
    expectClose(adcConversionJoules(survey, 10), anchor * 16);
    expectClose(adcConversionJoules(survey, 6), anchor / 16);
    // With a floor, E = Emin + k*4^b still passes the anchor.
    const floored = resolveHardware({ adc: { energyScaling: 'survey', surveyFloorJoules: 0.5e-12 } });
    expectClose(adcConversionJoules(floored, 8), anchor);
    expectClose(adcConversionJoules(floored, 9) - 0.5e-12, 4 * (anchor - 0.5e-12));
    // 64x64 under the digital offset uses 8-bit ADCs: the scalings cost the same there; 256x256 (10 bits) costs more under 'survey'.
    const layer = [{ name: 'l', k: 256, n: 256, outputPixels: 4 }];
    const at = (x: number, s: 'linear' | 'survey' | 'power-time') =>
      hardwareCost({ model: layer, mapping: { default: { rows: x, cols: x, readout: 'digital-offset' } }, hardware: { adc: { energyScaling: s } } }).total;
    expectClose(at(64, 'linear').energyJoules.total, at(64, 'survey').energyJoules.total);
    expectClose(at(64, 'linear').energyJoules.total, at(64, 'power-time').energyJoules.total);
    expect(at(256, 'survey').energyJoules.adc).toBeGreaterThan(at(256, 'power-time').energyJoules.adc);
    expect(at(256, 'power-time').energyJoules.adc).toBeGreaterThan(at(256, 'linear').energyJoules.adc);
    expect(at(16, 'survey').energyJoules.adc).toBeLessThan(at(16, 'linear').energyJoules.adc);
  });

  test('ADCs per array: more ADCs shorten the readout of a read, add ADC area, keep conversion energy (isaac: no leakage)', () => {
    const layer: CostLayer[] = [{ name: 'l', k: 128, n: 128, outputPixels: 10 }];
    const one = hardwareCost({ model: layer, mapping: { default: { rows: 128, cols: 128 } }, hardware: { template: 'isaac' } }).layers[0];
    const four = hardwareCost({ model: layer, mapping: { default: { rows: 128, cols: 128 } }, hardware: { template: 'isaac', adc: { adcsPerArray: 4 } } }).layers[0];
    // 128 conversions of 10 bits (9 + the reference-column ADC's sign) on one ADC vs 32 on each of four; isaac's 128x128 read takes 100 ns.
    const tConv = 0.78125e-9 * (10 / 8);
    expectClose(one.readLatencySeconds, 100e-9 + 1e-9 + 128 * tConv + 1e-9);
    expectClose(four.readLatencySeconds, 100e-9 + 1e-9 + 32 * tConv + 1e-9);
    // Pipelined: 128 conversions (125 ns) outlast the 101 ns read, 32 do not.
    expectClose(one.stepSeconds, 128 * tConv);
    expectClose(four.stepSeconds, 101e-9);
    expectClose(four.areaMm2.adc, 4 * one.areaMm2.adc);
    expectClose(four.energyJoules.adc, one.energyJoules.adc);
  });

  test('crossbar figures: table sizes exactly, other shapes scaled (power, area ~ rows*cols; latency ~ rows)', () => {
    const hw = resolveHardware();
    for (const x of sizes) expect(crossbarFigures(hw, x, x)).toEqual(defaultHardware.crossbar[String(x)]);
    // The PUMAsim table is itself per-cell: 16 and 256 are the 64 entry scaled.
    expectClose(crossbarFigures(hw, 16, 16).readPowerWatts, 0.075e-3 / 16);
    expectClose(crossbarFigures(hw, 256, 256).areaMm2, 6.25e-6 * 16);
    const f = crossbarFigures(hw, 64, 128);
    expectClose(f.readPowerWatts, 0.075e-3 * 2);
    expectClose(f.areaMm2, 6.25e-6 * 2);
    expectClose(f.readLatencySeconds, 64e-9);
    expectClose(crossbarFigures(hw, 512, 512).readLatencySeconds, 512e-9);
    expectClose(crossbarFigures(hw, 48, 48).readPowerWatts, 0.075e-3 * (48 * 48) / (64 * 64));
    // Registers between table sizes interpolate, beyond them scale.
    expectClose(registerFigures(hw, 96, 96).inputReadPowerWatts, (0.7e-3 + 1.7e-3) / 2);
    expectClose(registerFigures(hw, 512, 512).inputAreaMm2, 0.0019 * 2);
    expectClose(registerFigures(hw, 8, 8).outputPowerWatts, 0.1e-3 / 2);
    // A size added through the config is used as given.
    const custom = resolveHardware({ crossbar: { '48': { readPowerWatts: 1e-4, readLatencySeconds: 50e-9, areaMm2: 4e-6 } } });
    expect(crossbarFigures(custom, 48, 48)).toEqual({ readPowerWatts: 1e-4, readLatencySeconds: 50e-9, areaMm2: 4e-6 });
    expect(custom.crossbar['64']).toEqual(defaultHardware.crossbar['64']);
  });
});

describe('array counts agree with the crossbar engine (programmed layers)', () => {
  test('CrossbarLayer.program reports the arrays the cost model counts, and the same ADC bits', async () => {
    const { CrossbarLayer } = await import('../../lib/crossbar');
    const cases = [
      { k: 100, n: 10, config: { rows: 64, cols: 64 } },
      { k: 27, n: 8, config: { rows: 32, cols: 32, weightBits: 4, inputBits: 4, dacBits: 2 } },
      { k: 300, n: 70, config: { rows: 16, cols: 32, weightBits: 6, bitsPerCell: 1 } },
      { k: 576, n: 64, config: { rows: 128, cols: 128, adcBits: 'lossless' as const } },
      { k: 5, n: 200, config: { rows: 256, cols: 64, bitsPerCell: 3, weightBits: 8, dacBits: 2, inputBits: 6 } },
    ];
    for (const c of cases) {
      const weights = new Float32Array(c.k * c.n).map((_, i) => Math.cos(i * 0.37));
      const layer = await CrossbarLayer.program({ weights, k: c.k, n: c.n, config: c.config });
      try {
        const cost = hardwareCost({ model: [{ name: 'l', k: c.k, n: c.n, outputPixels: 1 }], mapping: { default: c.config } }).layers[0];
        const state = layer.state();
        expect([c, cost.arrays]).toEqual([c, state.arrays]);
        expect(cost.arrays).toBe(layer.geometry.arrays);
        expect(cost.crossbar.adcBits).toBe(state.adcBits);
        expect(cost.readsPerMvm).toBe(layer.geometry.cycles);
      } finally {
        layer.dispose();
      }
    }
  });
});
