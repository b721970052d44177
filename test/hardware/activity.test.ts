/**
 * The crossbar read energy follows the input bits of the data: calibrateInputActivity /
 * InputActivityCache measure the DAC digits the engine forms, and hardwareCost turns them into
 * sum V^2 G t. Checked against the hand-computed V^2 G t of inputs whose bit patterns are known
 * (all ones, alternate ones, zeros), and on real MNIST pixels against the same formula with the
 * counted mean square digit.
 */
import { GraphBuilder } from '../../lib/onnx/builder';
import { attr, valueInfo } from '../../lib/onnx/ir';
import { InputActivityCache, calibrateInputActivity, describeInputActivity, hardwareCost, inputActivitySummary } from '../../lib/hardware';
import { planGraph } from '../../lib/plan';
import { loadDataset } from '../../lib/data';

const K = 16, N = 8;

/** One Gemm layer 'fc' (K inputs, N outputs), weights irrelevant to the default level fraction. */
function gemmGraph() {
  const b = new GraphBuilder({ inputs: [valueInfo('x', [1, K])] });
  b.constant('w', [N, K], Float32Array.from({ length: N * K }, (_, i) => Math.sin(i + 1)));
  b.constant('b', [N], new Float32Array(N));
  const y = b.op('Gemm', ['x', 'w', 'b'], { transB: attr.int(1) }, 'fc');
  return b.finish([y]);
}

const graph = gemmGraph();
// Input scale 1 (the DAC full scale), inputs never negative: one pass of 8 one-bit DAC cycles.
const plan = planGraph(graph, { mapping: { default: { rows: 64, cols: 64, readout: 'digital-offset' } }, inputRanges: new Map([['fc', { maxAbs: 1, min: 0 }]]) });
const batchOf = (value: number, images = 3) => [{ images: new Float32Array(images * K).fill(value), dims: [images, K] }];

/** Hand-computed device energy of the layer: 8 read steps x V^2 x E[d^2] x (driven cells' G) x t_read (64x64, PUMA table: 64 ns). */
function handJoules(meanSquareDigit: number): number {
  const layer = plan.layers[0].config;
  const slices = 4; // 7 magnitude bits in 2-bit cells
  const drivenCells = K * 64 * slices * 2; // K driven rows across every column of the G+ and G- arrays
  const usedCells = K * N * slices * 2;
  const levelFraction = 0.25; // the template's stated default without weights
  const g = layer.gOff * drivenCells + (layer.gOn - layer.gOff) * levelFraction * usedCells;
  return 8 * layer.vRead ** 2 * meanSquareDigit * g * 64e-9;
}

test('inputs of known bit patterns: all ones, alternate ones and zeros give V^2 G t with E[d^2] = 1, 1/2 and 0', async () => {
  const cases: [number, number][] = [
    [1, 1], // u = 255: every cycle's digit is 1
    [85 / 255, 0.5], // u = 85 = 0b01010101: half the cycles
    [0, 0],
  ];
  for (const [value, expected] of cases) {
    const devices = await calibrateInputActivity(graph, plan, batchOf(value));
    expect(devices.fc.activity!.meanSquareDigit).toBeCloseTo(expected, 12);
    const cost = hardwareCost({ plan, devices });
    expect(cost.layers[0].activity.source).toBe('calibration');
    const e = cost.layers[0].energyJoules.crossbar;
    if (expected === 0) expect(e).toBe(0);
    else expect(Math.abs(e - handJoules(expected)) / handJoules(expected)).toBeLessThan(1e-12);
  }
  // The default (p = 1/2 per bit) sits at E[d^2] = 1/2: the alternate-ones input.
  const byDefault = hardwareCost({ plan });
  expect(byDefault.layers[0].activity.source).toBe('default');
  expect(byDefault.layers[0].energyJoules.crossbar).toBeCloseTo(handJoules(0.5), 25);
  // Everything but the devices' (and wires') energy is independent of the data.
  const ones = hardwareCost({ plan, devices: await calibrateInputActivity(graph, plan, batchOf(1)) });
  expect(ones.total.latencySeconds).toBe(byDefault.total.latencySeconds);
  expect(ones.total.areaMm2.total).toBe(byDefault.total.areaMm2.total);
  expect(ones.total.energyJoules.adc).toBe(byDefault.total.energyJoules.adc);
});

test('a changed pixel distribution changes the read energy by the ratio of mean square digits (MNIST: dark vs brightened images)', async () => {
  const mnist = await loadDataset({ name: 'mnist', split: 'train', limit: 64, normalize: false });
  const pixels = (scale: number) => [{ images: mnist.images.map((p) => Math.min(1, p * scale)), dims: [64, 784] }];
  // A 784-input layer over [0, 1] pixels.
  const b = new GraphBuilder({ inputs: [valueInfo('x', [1, 784])] });
  b.constant('w', [10, 784], Float32Array.from({ length: 7840 }, (_, i) => Math.cos(i)));
  b.constant('b', [10], new Float32Array(10));
  const g = b.finish([b.op('Gemm', ['x', 'w', 'b'], { transB: attr.int(1) }, 'fc')]);
  const p = planGraph(g, { mapping: { default: { rows: 128, cols: 128 } }, inputRanges: new Map([['fc', { maxAbs: 1, min: 0 }]]) });
  const plain = await calibrateInputActivity(g, p, pixels(1));
  const bright = await calibrateInputActivity(g, p, pixels(4));
  const m2plain = plain.fc.activity!.meanSquareDigit, m2bright = bright.fc.activity!.meanSquareDigit;
  // MNIST is about 19% ink: far below the default's 1/2, and brightening raises it.
  expect(m2plain).toBeGreaterThan(0.05);
  expect(m2plain).toBeLessThan(0.25);
  expect(m2bright).toBeGreaterThan(m2plain * 1.2);
  const e = (devices: typeof plain) => hardwareCost({ plan: p, devices }).layers[0].energyJoules.crossbar;
  expect(e(bright) / e(plain)).toBeCloseTo(m2bright / m2plain, 12);
});

test('InputActivityCache measures once per input setting, reports its source; the summary says measured or default', async () => {
  let passes = 0;
  const cache = new InputActivityCache(graph, () => (passes++, batchOf(1)), 3);
  const a = await cache.devices(plan);
  // Another crossbar size: the same input scale, bits and sign, so no second pass.
  const other = planGraph(graph, { mapping: { default: { rows: 32, cols: 32 } }, inputRanges: new Map([['fc', { maxAbs: 1, min: 0 }]]) });
  const b = await cache.devices(other);
  expect(b).toEqual(a);
  expect(passes).toBe(1);
  expect(cache.passes).toBe(1);
  // Another input scale is another setting: measured again.
  const rescaled = planGraph(graph, { mapping: { default: { rows: 32, cols: 32 } }, inputRanges: new Map([['fc', { maxAbs: 2, min: 0 }]]) });
  const c = await cache.devices(rescaled);
  expect(passes).toBe(2);
  // Inputs at half the full scale: u = round(127.5) = 128 = 0b10000000, one cycle in eight.
  expect(c.fc.activity!.meanSquareDigit).toBeCloseTo(1 / 8, 12);
  const measured = inputActivitySummary(hardwareCost({ plan, devices: a }), 3);
  expect(measured).toEqual({ source: 'measured', images: 3, measuredLayers: 1, defaultLayers: 0, meanDigit: 1, meanSquareDigit: 1 });
  expect(describeInputActivity(measured)).toBe('input activity: measured on 3 calibration images (mean input digit 1.000, mean square 1.000)');
  const fallback = inputActivitySummary(hardwareCost({ plan }));
  expect(fallback.source).toBe('default');
  expect(describeInputActivity(fallback)).toContain('input activity: default');
});
