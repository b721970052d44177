/**
 * Hand-computed examples: one linear and one conv layer under each template (puma, isaac,
 * neurosim), under the digital-offset readout (no reference column, no subtractors; the default
 * reference-column readout is hand-computed in counts.test.ts). Every expected number is written out from the template's published figures
 * (lib/hardware/templates.ts names them) and the counting rules, not from the model's functions.
 */
import { type LayerCost, hardwareCost } from '../../lib/hardware';

const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-300);
function close(actual: number, expected: number, what: string, tol = 1e-9): void {
  if (rel(actual, expected) > tol) throw new Error(`${what}: expected ${expected}, got ${actual}`);
}

const gOn = 1e-5, gOff = 1 / 600e3, V2 = 0.25 ** 2;
const PUMA_CORE_DIGITAL = 0.00108 * Math.sqrt(8) + 0.00392 + (0.00567 * 32) / 45 + 0.0003 + 0.00145 * 2.25;

interface Expected {
  latency: number;
  energy: Partial<Record<keyof LayerCost['energyJoules'], number>>;
  area: Partial<Record<keyof LayerCost['areaMm2'], number>>;
  adcs: number;
}

function check(l: LayerCost, e: Expected): void {
  close(l.latencySeconds, e.latency, 'latency');
  expect(l.counts.components.adcs).toBe(e.adcs);
  for (const [k, v] of Object.entries(e.energy)) close(l.energyJoules[k as keyof LayerCost['energyJoules']], v!, `energy.${k}`);
  for (const [k, v] of Object.entries(e.area)) close(l.areaMm2[k as keyof LayerCost['areaMm2']], v!, `area.${k}`);
  const eSum = Object.entries(l.energyJoules).filter(([k]) => k !== 'total').reduce((a, [, v]) => a + v, 0);
  close(l.energyJoules.total, eSum, 'energy.total');
  close(l.edap, l.energyJoules.total * l.latencySeconds * l.areaMm2.total, 'edap');
}

describe('linear layer: K=100, N=10 on 64x64, 8-bit weights (4 slices), 8-bit unsigned inputs, 1-bit DAC, 8-bit ADC', () => {
  const model = [{ name: 'fc', opType: 'Gemm', k: 100, n: 10, outputPixels: 1 }];
  const mapping = { default: { rows: 64, cols: 64, weightBits: 8, inputBits: 8, bitsPerCell: 2, dacBits: 1, readout: 'digital-offset' as const } };
  // 2 row tiles x 1 col tile x 4 slices x 2 = 16 arrays, 2 logical matrices; 8 read steps.
  // Conversions: 8 steps x 2 row tiles x 2 polarities x 4 slices x 10 used columns = 1280.
  // Driven cells per step: 100 rows x 8 arrays per row tile x 64 columns = 51200; used cells 100*10*8 = 8000.
  const conversions = 1280;
  const xbar = 8 * V2 * 0.5 * 64e-9 * (gOff * 51200 + 0.25 * (gOn - gOff) * 8000);
  const buffers = 5 * 17.2e-12; // ceil(100*8/256) = 4 reads + 1 write per MVM
  const bus = 5 * 6e-12;

  test('puma: 4 ADCs (0.25 per array) convert 40 columns each per step; DACs, S&H, S+A, registers per logical matrix', () => {
    const l = hardwareCost({ model, mapping, hardware: { template: 'puma' } }).layers[0];
    // Step: read 64 ns + hand-off 1 ns | 40 x 0.78125 ns = 31.25 ns of conversions: pipelined at 65 ns; first read 97.25 ns.
    const latency = 7 * 65e-9 + 97.25e-9;
    check(l, {
      latency,
      adcs: 4,
      energy: {
        crossbar: xbar,
        adc: conversions * 1.8e-3 * 0.78125e-9 + 4 * 0.2e-3 * latency, // 1.40625 pJ per conversion + leakage
        dac: 8 * 100 * 3.9e-6 * 64e-9, // one DAC row per matrix: 100 rows driven per step
        sampleHold: conversions * 9.7e-9 * 32.25e-9,
        shiftAdd: conversions * 0.05e-3 * 1e-9,
        registers: 8 * 2 * (0.7e-3 + 0.1e-3) * 1e-9,
        buffers,
        interconnect: bus,
        wires: 0,
        subtractor: 0,
      },
      area: {
        crossbar: 16 * 6.25e-6,
        adc: 4 * 0.0012,
        dac: 2 * 64 * 1.67e-7,
        sampleHold: 2 * 64 * 3.90625e-8,
        shiftAdd: 2 * 6e-5,
        registers: 2 * (0.00033 + 0.00033),
        buffers: (1 / 8) * 0.086, // 1 core of the 8 in a tile
        interconnect: (1 / 8) * (0.09 + 0.047 / 4),
        digital: PUMA_CORE_DIGITAL,
      },
    });
  });

  test('isaac: an ADC per array (10 conversions per step), DACs and S&H per array, IR/OR and 4 S+A per IMA', () => {
    const l = hardwareCost({ model, mapping, hardware: { template: 'isaac' } }).layers[0];
    // Step: 65 ns | 10 x 0.78125 = 7.8125 ns: pipelined at 65 ns; first read 64 + 1 + 7.8125 + 1 = 73.8125 ns.
    // One layer: inter-layer pipelining has nothing to balance (replication 1).
    const latency = 7 * 65e-9 + 73.8125e-9;
    check(l, {
      latency,
      adcs: 16,
      energy: {
        crossbar: xbar,
        adc: conversions * 1.5625e-12, // 2 mW / 1.28 GS/s, no separate leakage
        dac: 8 * 800 * 3.9e-6 * 64e-9, // 100 rows on each of 8 arrays per row tile
        sampleHold: conversions * 9.7e-9 * 8.8125e-9,
        shiftAdd: conversions * 0.05e-3 * 1e-9,
        registers: 8 * 2 * (1.24e-3 + 0.23e-3) * 1e-9, // one IR read and one OR write per matrix and step
        buffers,
        interconnect: bus,
      },
      area: {
        crossbar: 16 * 6.25e-6,
        adc: 16 * 0.0012,
        dac: 16 * 64 * 1.67e-7,
        sampleHold: 16 * 64 * 3.90625e-8,
        shiftAdd: 2 * 4 * 6e-5, // 2 IMAs of 8 arrays
        registers: 2 * (0.0021 + 0.00077),
        buffers: (2 / 12) * (0.083 + 0.0006 + 0.00006 + 0.00024 + 0.0032),
        interconnect: (2 / 12) * (0.09 + 0.151 / 4),
        digital: 0,
      },
    });
    expect(l.replication).toBe(1);
  });

  test("neurosim: NeuroSim's MLSA, one per 8 columns, 1 ns per column at 1.7 uW per level; 1 ns of conduction per read; its 22 nm cell", () => {
    const l = hardwareCost({ model, mapping, hardware: { template: 'neurosim' } }).layers[0];
    // Clock 2.05141 ns (Fig. 24). Step: max(1 ns read + 2.05141 ns hand-off, 8 columns x 1 ns) = 8 ns;
    // first read 1 + 2.05141 + 8 + 2.05141 = 13.10282 ns.
    const cycle = 2.05141e-9;
    const latency = 7 * 8e-9 + 13.10282e-9;
    check(l, {
      latency,
      adcs: 16 * 8,
      energy: {
        crossbar: 8 * V2 * 0.5 * 1e-9 * (gOff * 51200 + 0.25 * (gOn - gOff) * 8000),
        adc: conversions * 1.7e-6 * 255 * 1e-9, // 8-bit: 255 levels
        dac: 8 * 100 * 3.9e-6 * 1e-9,
        sampleHold: conversions * 9.7e-9 * (cycle + 8e-9),
        shiftAdd: conversions * 0.05e-3 * cycle,
        registers: 8 * 2 * (0.7e-3 + 0.1e-3) * cycle,
      },
      // 1T1R cell 4F x 12F at F = 22 nm; MLSA 14.6062 mm^2 / 66048 (Fig. 24).
      area: { adc: (128 * 14.6062) / 66048, crossbar: 16 * 64 * 64 * 48 * 22e-6 * 22e-6, digital: PUMA_CORE_DIGITAL },
    });
  });
});

describe('conv: 3->8 channels 3x3, 8x8 output, signed input, on 32x32; 4-bit weights, 4-bit inputs, 2-bit DAC, 9-bit ADC', () => {
  const model = [{ name: 'conv', opType: 'Conv', k: 27, n: 8, outputPixels: 64, signedInput: true }];
  const mapping = { default: { rows: 32, cols: 32, weightBits: 4, inputBits: 4, bitsPerCell: 2, dacBits: 2, adcBits: 'lossless' as const, readout: 'digital-offset' as const } };
  // 1 x 1 tiles x 2 slices x 2 = 4 arrays, 1 matrix; 64 MVMs x 2 passes x 2 DAC cycles = 256 steps.
  // Conversions 256 x 2 x 2 x 8 = 8192; driven cells 27 x 4 x 32 = 3456, used 27 x 8 x 4 = 864; 2-bit DAC digits: E[(d/3)^2] = 7/18.
  const conversions = 8192;
  const xbar = 256 * V2 * (7 / 18) * 32e-9 * (gOff * 3456 + 0.25 * (gOn - gOff) * 864);
  const buffers = 64 * 2 * 17.2e-12;
  const t9 = 0.78125e-9 * (9 / 8);

  test('lossless 9-bit ADC; puma: one ADC for the 4 arrays converts all 32 used columns per step', () => {
    const l = hardwareCost({ model, mapping, hardware: { template: 'puma' } }).layers[0];
    expect(l.crossbar.adcBits).toBe(9);
    expect(l.readsPerMvm).toBe(4);
    // Step: max(32 + 1, 32 x 0.87890625 = 28.125) = 33 ns; first read 32 + 1 + 28.125 + 1 = 62.125 ns.
    const latency = 255 * 33e-9 + 62.125e-9;
    check(l, {
      latency,
      adcs: 1,
      energy: {
        crossbar: xbar,
        adc: conversions * (1.8e-3 * (9 / 8)) * t9 + 1 * 0.2e-3 * (9 / 8) * latency, // b^2: 1.78 pJ at 9 bits vs 1.41 at 8
        dac: 256 * 27 * (2 * 3.9e-6) * 32e-9,
        sampleHold: conversions * 9.7e-9 * (1e-9 + 32 * t9),
        shiftAdd: conversions * 0.05e-3 * 1e-9,
        registers: 256 * (0.3e-3 + 0.1e-3) * 1e-9,
        buffers,
        interconnect: 64 * 2 * 6e-12,
      },
      area: {
        crossbar: 4 * 1.5625e-6,
        adc: 0.0012,
        dac: 32 * 1.67e-7,
        sampleHold: 32 * 3.90625e-8,
        shiftAdd: 6e-5,
        registers: 0.00015 + 0.00015,
        buffers: (1 / 8) * 0.086,
        digital: PUMA_CORE_DIGITAL,
      },
    });
  });

  test('isaac: 4 ADCs, 8 conversions each per step', () => {
    const l = hardwareCost({ model, mapping, hardware: { template: 'isaac' } }).layers[0];
    const latency = 255 * 33e-9 + (32 + 1 + 8 * 0.87890625 + 1) * 1e-9;
    check(l, {
      latency,
      adcs: 4,
      energy: {
        adc: conversions * (2e-3 * (9 / 8)) * t9,
        dac: 256 * 4 * 27 * (2 * 3.9e-6) * 32e-9,
        registers: 256 * (1.24e-3 + 0.23e-3) * 1e-9,
        sampleHold: conversions * 9.7e-9 * (1e-9 + 8 * t9),
      },
      area: { adc: 4 * 0.0012, shiftAdd: 4 * 6e-5, registers: 0.0021 + 0.00077, dac: 4 * 32 * 1.67e-7 },
    });
  });

  test('neurosim: 16 MLSAs (4 per array), 8 columns of 1 ns each per step, 511 levels at 9 bits', () => {
    const l = hardwareCost({ model, mapping, hardware: { template: 'neurosim' } }).layers[0];
    const latency = 255 * 8e-9 + 13.10282e-9;
    check(l, {
      latency,
      adcs: 16,
      energy: { adc: conversions * 1.7e-6 * 511 * 1e-9, crossbar: 256 * V2 * (7 / 18) * 1e-9 * (gOff * 3456 + 0.25 * (gOn - gOff) * 864) },
      area: { adc: (16 * 14.6062) / 66048 },
    });
  });
});

describe('timing and scaling options', () => {
  const model = [{ name: 'fc', k: 100, n: 10, outputPixels: 1 }];
  const mapping = { default: { rows: 64, cols: 64, weightBits: 8, inputBits: 8, bitsPerCell: 2, dacBits: 1, readout: 'digital-offset' as const } };

  test("'serial' adds read, hand-off, conversions and shift-add at every step", () => {
    const l = hardwareCost({ model, mapping, hardware: { template: 'puma', pipeline: { intraLayer: 'serial' } } }).layers[0];
    close(l.latencySeconds, 8 * 97.25e-9, 'latency');
  });

  test("ADC energy: 'power-time' grows as b^2 (PUMA 0.225*b mW for 12.5*b/128 ns), 'linear' as b, 'survey' 4x per bit", async () => {
    const { adcConversionJoules, resolveHardware } = await import('../../lib/hardware');
    const puma = resolveHardware({ template: 'puma' });
    for (const b of [4, 6, 8, 9, 10]) close(adcConversionJoules(puma, b), 0.225e-3 * b * ((12.5e-9 * b) / 128), `puma ${b} bits`);
    close(adcConversionJoules(puma, 10) / adcConversionJoules(puma, 5), 4, 'b^2');
    const linear = resolveHardware({ adc: { energyScaling: 'linear' } });
    close(adcConversionJoules(linear, 10) / adcConversionJoules(linear, 5), 2, 'b');
    const survey = resolveHardware({ adc: { energyScaling: 'survey' } });
    close(adcConversionJoules(survey, 9) / adcConversionJoules(survey, 8), 4, '4^b');
    // All three agree at the 8-bit anchor.
    close(adcConversionJoules(linear, 8), adcConversionJoules(puma, 8), 'anchor');
    close(adcConversionJoules(survey, 8), adcConversionJoules(puma, 8), 'anchor');
  });

  test('inter-layer pipelining: the slowest layer, replicated up to maxReplication, sets the time per image; area pays the copies', () => {
    const layers = [
      { name: 'slow', k: 27, n: 16, outputPixels: 1024 },
      { name: 'fast', k: 64, n: 10, outputPixels: 1 },
    ];
    const seq = hardwareCost({ model: layers, mapping: { default: { rows: 32, cols: 32 } }, hardware: { template: 'isaac', pipeline: { interLayer: 'sequential' } } });
    const pipe = hardwareCost({ model: layers, mapping: { default: { rows: 32, cols: 32 } }, hardware: { template: 'isaac', pipeline: { interLayer: 'pipelined', maxReplication: 4 } } });
    expect(pipe.layers.map((l) => l.replication)).toEqual([4, 1]);
    close(pipe.total.latencySeconds, seq.layers[0].latencySeconds / 4, 'interval');
    close(pipe.layers[0].areaMm2.total, 4 * seq.layers[0].areaMm2.total, 'replicated area');
    close(pipe.total.energyJoules.total, seq.total.energyJoules.total, 'energy unchanged');
  });
});
