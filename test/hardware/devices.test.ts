/** Crossbar read energy from the devices, and the first-order wire dissipation against the circuit solver. */
import { solveCircuit } from '../../lib/circuit';
import { defaultInputActivity, hardwareCost, inputActivity, weightLevelFraction, wirePowerWatts } from '../../lib/hardware';

const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

describe('crossbar read energy from gOn, gOff, vRead and the programmed levels', () => {
  const layer = [{ name: 'fc', opType: 'Gemm', k: 100, n: 10, outputPixels: 1 }];
  const device = { rows: 64, cols: 64, weightBits: 8, inputBits: 8, dacBits: 1, bitsPerCell: 2 };

  test('doubling vRead quadruples the crossbar read energy (and nothing else)', () => {
    const a = hardwareCost({ model: layer, mapping: { default: { ...device, vRead: 0.25 } } }).layers[0];
    const b = hardwareCost({ model: layer, mapping: { default: { ...device, vRead: 0.5 } } }).layers[0];
    expect(rel(b.energyJoules.crossbar, 4 * a.energyJoules.crossbar)).toBeLessThan(1e-12);
    expect(b.energyJoules.adc).toBe(a.energyJoules.adc);
  });

  test('all-gOff weights give the device-physics minimum: vRead^2 * E[d^2] * gOff * t_read over every driven cell', () => {
    const zeros = new Float32Array(100 * 10);
    const l = hardwareCost({ model: layer, mapping: { default: device }, weights: { fc: zeros } }).layers[0];
    expect(l.levelFraction).toEqual({ value: 0, source: 'weights' });
    // 2 row tiles (64 + 36 rows) x 1 col tile x 4 slices x 2 polarities; every array has 65 physical columns
    // (64 + the default reference-column readout's gOff column);
    // driven cells per read step = 100 rows x 8 arrays-per-row-tile... = k * colTiles * slices * 2 * (cols + 1).
    const drivenCells = 100 * 1 * 4 * 2 * 65;
    const steps = 8; // 1 MVM x 8 DAC cycles
    const tRead = 64e-9; // puma template, 64x64 read latency
    const minimum = steps * 0.25 ** 2 * 0.5 * (1 / 600e3) * tRead * drivenCells; // E[d^2] = 1/2 at p = 1/2 with a 1-bit DAC
    expect(rel(l.energyJoules.crossbar, minimum)).toBeLessThan(1e-12);
    // Any programmed weights cost more.
    const w = new Float32Array(1000).map((_, i) => Math.sin(i));
    const some = hardwareCost({ model: layer, mapping: { default: device }, weights: { fc: w } }).layers[0];
    expect(some.energyJoules.crossbar).toBeGreaterThan(l.energyJoules.crossbar);
    // All weights at full scale: magnitude 127 = slices 3, 3, 3, 1 on one polarity, 0 on the other: 10 / (3 * 4 * 2).
    const ones = hardwareCost({ model: layer, mapping: { default: device }, weights: { fc: new Float32Array(1000).fill(1) } }).layers[0];
    expect(ones.levelFraction.value).toBeCloseTo(10 / 24, 12);
  });

  test("the default activity and level fraction are the template's stated ones", () => {
    const l = hardwareCost({ model: layer, mapping: { default: device } }).layers[0];
    expect(l.activity).toEqual({ meanDigit: 0.5, meanSquareDigit: 0.5, source: 'default' });
    expect(l.levelFraction).toEqual({ value: 0.25, source: 'default' });
    // Per driven cell and read: 0.25^2 V^2 * 0.5 * (gOff + 0.25 (gOn - gOff)) * 64 ns = 7.5 fJ at these devices.
    const perCell = 0.0625 * 0.5 * (1 / 600e3 + 0.25 * (1e-5 - 1 / 600e3)) * 64e-9;
    const usedCells = 100 * 10 * 8, drivenCells = 100 * 8 * 65; // 64 columns + the reference column
    const expected = 8 * 0.0625 * 0.5 * 64e-9 * ((1 / 600e3) * drivenCells + 0.25 * (1e-5 - 1 / 600e3) * usedCells);
    expect(rel(l.energyJoules.crossbar, expected)).toBeLessThan(1e-12);
    expect(perCell).toBeGreaterThan(7e-15);
    expect(perCell).toBeLessThan(8e-15);
  });
});

describe('device statistics (hand-computed)', () => {
  test('weightLevelFraction quantizes as the engine: sign + magnitude, round half up, 2-bit slices', () => {
    // 5-bit weights: qMax = 15, scale = 1/15: |w| -> 15, 7.5 -> 8, 3.75 -> 4, 0; slices (low, high): (3,3), (0,2), (0,1), (0,0).
    const f = weightLevelFraction([1, -0.5, 0.25, 0], 2, 2, { weightBits: 5, bitsPerCell: 2, weightScale: 'per-layer' });
    expect(f).toBeCloseTo(9 / (3 * 4 * 2 * 2), 15);
  });

  test('inputActivity: digits of the quantized magnitudes, both passes for signed inputs', () => {
    // 2-bit inputs, scale 3 (LSB 1), 1-bit DAC: 3 -> bits 1,1; 1 -> 1,0; 0 -> 0,0; -2 -> pass 1: 0,0, pass 2: 0,1.
    const a = inputActivity([3, 1, 0, -2], { inputScale: 3, inputBits: 2, dacBits: 1, signed: true });
    expect(a.meanDigit).toBeCloseTo(4 / 16, 15);
    expect(a.meanSquareDigit).toBeCloseTo(4 / 16, 15);
    // 2-bit DAC: one digit per input; digits 3, 1, 0 (pass 1) and 0, 0, 0, 2 (pass 2) of 3.
    const b = inputActivity([3, 1, 0, -2], { inputScale: 3, inputBits: 2, dacBits: 2, signed: true });
    expect(b.meanDigit).toBeCloseTo((1 + 1 / 3 + 2 / 3) / 8, 15);
    expect(b.meanSquareDigit).toBeCloseTo((1 + 1 / 9 + 4 / 9) / 8, 15);
    // Uniform random bits: E[d/3] = 1/2, E[(d/3)^2] = (0 + 1 + 4 + 9) / 9 / 4 = 7/18.
    expect(defaultInputActivity(0.5, 2).meanSquareDigit).toBeCloseTo(7 / 18, 15);
  });

  test('inputActivity (a histogram of quantized magnitudes) equals the digit-by-digit sums of every value and pass', () => {
    let state = 12345;
    const next = () => ((state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32);
    const values = Array.from({ length: 5000 }, () => (next() - 0.3) * 4.2);
    for (const [inputBits, dacBits] of [[8, 1], [8, 2], [8, 3], [5, 2], [4, 8]])
      for (const signed of [false, true]) {
        const inputScale = 3.1, xMax = 2 ** inputBits - 1, lsb = inputScale / xMax, mask = 2 ** dacBits - 1;
        const cycles = Math.ceil(inputBits / dacBits);
        let sum = 0, sumSq = 0, count = 0;
        for (const x of values)
          for (const mag of signed ? [Math.max(x, 0), Math.max(-x, 0)] : [Math.max(x, 0)]) {
            const u = Math.min(xMax, Math.floor(mag / lsb + 0.5));
            for (let c = 0; c < cycles; c++) {
              const d = (Math.floor(u / 2 ** (c * dacBits)) & mask) / mask;
              sum += d;
              sumSq += d * d;
              count++;
            }
          }
        const a = inputActivity(values, { inputScale, inputBits, dacBits, signed });
        expect(a.meanDigit).toBeCloseTo(sum / count, 12);
        expect(a.meanSquareDigit).toBeCloseTo(sumSq / count, 12);
      }
  });
});

describe('wire dissipation: the first-order estimate against the circuit solver (lib/circuit)', () => {
  const wires = { rWordLine: 2.82, rBitLine: 2.82, rSource: 5, rSink: 3 };
  function randomArray(rows: number, cols: number, seed: number) {
    let s = seed;
    const next = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
    return new Float64Array(rows * cols).map(() => 1 / 600e3 + next() * (1e-5 - 1 / 600e3));
  }

  test.each([[16, 16, 0.03], [32, 32, 0.03], [64, 48, 0.05]])('%dx%d, every row at vRead: ideal minus drawn power equals the estimate within %f', async (rows, cols, tol) => {
    const vRead = 0.25;
    const G = randomArray(rows, cols, rows * 7 + cols);
    const currents = await solveCircuit({ rows, cols, conductances: G, ...wires, voltages: new Float64Array(rows).fill(vRead) });
    const drawn = vRead * currents.reduce((a, b) => a + b, 0);
    const ideal = vRead * vRead * G.reduce((a, b) => a + b, 0);
    const estimate = wirePowerWatts({ rows, cols, conductances: G, drivenRows: rows, ...wires }, vRead, { meanDigit: 1, meanSquareDigit: 1 });
    expect(estimate).toBeGreaterThan(0);
    expect(rel(ideal - drawn, estimate)).toBeLessThan(tol);
  });

  test('random 1-bit inputs (p = 1/2): the expectation over independent rows equals the mean of the per-vector estimate (2000 vectors, 3%)', () => {
    // Per vector the first-order formula is the one checked against the solver above (driven rows at vRead,
    // the others carry no current); this checks the mean/variance algebra of the expectation.
    const rows = 32, cols = 32, vRead = 0.25, batch = 2000;
    const G = randomArray(rows, cols, 5);
    let s = 17;
    const bit = () => ((s = (s * 1103515245 + 12345) % 2147483648) >> 16) & 1;
    let sum = 0;
    for (let b = 0; b < batch; b++) {
      const masked = new Float64Array(G);
      for (let i = 0; i < rows; i++) if (!bit()) masked.fill(0, i * cols, (i + 1) * cols);
      sum += wirePowerWatts({ rows, cols, conductances: masked, drivenRows: rows, ...wires }, vRead, { meanDigit: 1, meanSquareDigit: 1 });
    }
    const expected = wirePowerWatts({ rows, cols, conductances: G, drivenRows: rows, ...wires }, vRead, { meanDigit: 0.5, meanSquareDigit: 0.5 });
    expect(rel(sum / batch, expected)).toBeLessThan(0.03);
  });

  test('parasitics on: wires appear in the cost, devices + wires = ideal - wires (first order), more than without', () => {
    const layer = [{ name: 'l', k: 64, n: 64, outputPixels: 2 }];
    const off = hardwareCost({ model: layer, mapping: { default: { rows: 64, cols: 64 } } }).layers[0];
    const on = hardwareCost({ model: layer, mapping: { default: { rows: 64, cols: 64, parasitics: true } } }).layers[0];
    expect(off.energyJoules.wires).toBe(0);
    expect(on.energyJoules.wires).toBeGreaterThan(0);
    expect(rel(on.energyJoules.crossbar + on.energyJoules.wires, off.energyJoules.crossbar - on.energyJoules.wires)).toBeLessThan(1e-12);
  });
});

describe('calibrateInputActivity: digit statistics of a calibration set through the graph', () => {
  test("a conv's statistics are its input's digits at the planned scale; they replace the default in hardwareCost", async () => {
    const { attr, createGraph, node, tensor, valueInfo } = await import('../../lib/onnx/ir');
    const { calibrateInputRanges } = await import('../../lib/runtime/calibrate');
    const { planGraph } = await import('../../lib/plan');
    const { calibrateInputActivity } = await import('../../lib/hardware');
    const w = tensor('w', [8, 3, 3, 3], new Float32Array(8 * 27).map((_, i) => Math.sin(i)));
    const graph = createGraph({
      nodes: [node('Conv', ['x', 'w'], ['y'], { pads: attr.ints([1, 1, 1, 1]), kernel_shape: attr.ints([3, 3]) }, 'conv')],
      inputs: [valueInfo('x', [2, 3, 8, 8])],
      outputs: [valueInfo('y', [2, 8, 8, 8])],
      initializers: new Map([['w', w]]),
    });
    // Mostly small inputs with a few large ones: far fewer 1-bits than the default 1/2.
    const images = new Float32Array(2 * 3 * 64).map((_, i) => (i % 50 === 0 ? 1 : 0.05 * Math.cos(i)));
    const batches = [{ images, dims: [2, 3, 8, 8] }];
    const inputRanges = await calibrateInputRanges(graph, batches);
    const plan = planGraph(graph, { inputRanges, mapping: { default: { rows: 32, cols: 32 } } });
    const devices = await calibrateInputActivity(graph, plan, batches);
    const c = plan.layers[0].config;
    const expected = inputActivity(images, { inputScale: c.inputScale!, inputBits: c.inputBits, dacBits: c.dacBits, signed: true });
    expect(devices.conv.activity!.meanDigit).toBeCloseTo(expected.meanDigit, 12);
    expect(devices.conv.activity!.meanSquareDigit).toBeLessThan(0.25);
    const calibrated = hardwareCost({ plan, devices }).layers[0];
    const assumed = hardwareCost({ plan }).layers[0];
    expect(calibrated.activity.source).toBe('calibration');
    expect(rel(calibrated.energyJoules.crossbar / assumed.energyJoules.crossbar, devices.conv.activity!.meanSquareDigit / 0.5)).toBeLessThan(1e-12);
  });
});
