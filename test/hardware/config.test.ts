import { ErrorCodes } from '../../lib/errors';
import { defaultHardware, hardwareCost, hardwareSource, resolveHardware, validateHardware } from '../../lib/hardware';
import { errorOf } from '../errors-helper';

function leafPaths(value: unknown, prefix = ''): string[] {
  if (typeof value !== 'object' || value === null) return [prefix];
  return Object.entries(value).flatMap(([k, v]) => leafPaths(v, prefix ? `${prefix}.${k}` : k));
}

describe('hardware configuration', () => {
  test('defaults are JSON-serialisable and valid; every figure names a source', () => {
    const copy = JSON.parse(JSON.stringify(defaultHardware));
    expect(validateHardware(copy)).toEqual(defaultHardware);
    const paths = leafPaths(defaultHardware);
    expect(paths.length).toBeGreaterThan(40);
    for (const p of paths) expect([p, typeof hardwareSource(p)]).toEqual([p, 'string']);
    expect(hardwareSource('crossbar.16.readPowerWatts')).toMatch(/constants-16/);
    expect(hardwareSource('adc.powerWatts')).toMatch(/ISAAC/);
  });

  test('overrides merge deeply and do not touch the defaults', () => {
    const before = JSON.stringify(defaultHardware);
    const hw = resolveHardware({ adc: { powerWatts: 4e-3 }, registers: { '64': { inputReadPowerWatts: 1e-3 } } });
    expect(hw.adc.powerWatts).toBe(4e-3);
    expect(hw.adc.sampleRateHz).toBe(1.28e9);
    expect(hw.registers['64'].inputReadPowerWatts).toBe(1e-3);
    expect(hw.registers['64'].inputAreaMm2).toBe(0.00033);
    expect(hw.crossbar).toEqual(defaultHardware.crossbar);
    expect(JSON.stringify(defaultHardware)).toBe(before);
    // Doubling the ADC's dynamic power doubles its conversion energy (not its leakage) and nothing else.
    const layer = [{ name: 'l', k: 64, n: 64, outputPixels: 1 }];
    const al = hardwareCost({ model: layer }).layers[0];
    const bl = hardwareCost({ model: layer, hardware: { adc: { powerWatts: 3.6e-3 } } }).layers[0];
    expect(bl.energyJoules.adc - bl.adcLeakageJoules).toBeCloseTo(2 * (al.energyJoules.adc - al.adcLeakageJoules), 20);
    expect(bl.adcLeakageJoules).toBe(al.adcLeakageJoules);
    const a = al, b = bl;
    expect(b.energyJoules.crossbar).toBe(a.energyJoules.crossbar);
    expect(b.latencySeconds).toBe(a.latencySeconds);
  });

  test.each([
    [{ adc: { powerWatts: -2e-3 } }, 'hardware.adc.powerWatts', ErrorCodes.outOfRange],
    [{ adc: { powerWatts: 'two' } }, 'hardware.adc.powerWatts', ErrorCodes.invalidArgument],
    [{ adc: { sampleRateHz: 0 } }, 'hardware.adc.sampleRateHz', ErrorCodes.outOfRange],
    [{ adc: { adcsPerArray: 0 } }, 'hardware.adc.adcsPerArray', ErrorCodes.outOfRange],
    [{ adc: { columnsPerAdc: 1.5 } }, 'hardware.adc.columnsPerAdc', ErrorCodes.invalidArgument],
    [{ template: 'eyeriss' }, 'hardware.template', ErrorCodes.invalidArgument],
    [{ sharing: { dac: 'ima' } }, 'hardware.sharing.dac', ErrorCodes.invalidArgument],
    [{ pipeline: { interLayer: 'sometimes' } }, 'hardware.pipeline.interLayer', ErrorCodes.invalidArgument],
    [{ adc: { latencyFloorSeconds: 1e-6 } }, 'hardware.adc.latencyFloorSeconds', ErrorCodes.outOfRange],
    [{ activity: { inputBitProbability: 2 } }, 'hardware.activity.inputBitProbability', ErrorCodes.outOfRange],
    [{ adc: { energyScaling: 'cubic' } }, 'hardware.adc.energyScaling', ErrorCodes.invalidArgument],
    [{ adc: { surveyFloorJoules: 2e-12 } }, 'hardware.adc.surveyFloorJoules', ErrorCodes.outOfRange],
    [{ adc: { powerWatt: 1 } }, 'hardware.adc.powerWatt', ErrorCodes.config],
    [{ clock: 1e9 }, 'hardware.clock', ErrorCodes.config],
    [{ clockHz: Number.NaN }, 'hardware.clockHz', ErrorCodes.invalidArgument],
    [{ crossbar: { '64': { readPowerWatts: -1 } } }, 'hardware.crossbar.64.readPowerWatts', ErrorCodes.outOfRange],
    [{ crossbar: { '64': { power: 1 } } }, 'hardware.crossbar.64.power', ErrorCodes.config],
    [{ crossbar: { '512': { readPowerWatts: 1e-3 } } }, 'hardware.crossbar.512.readLatencySeconds', ErrorCodes.invalidArgument],
    [{ crossbar: { big: {} } }, 'hardware.crossbar', ErrorCodes.config],
    [{ registers: { '32': 5 } }, 'hardware.registers.32', ErrorCodes.config],
    [{ dac: { areaMm2: 0 } }, 'hardware.dac.areaMm2', ErrorCodes.outOfRange],
    [{ sampleHold: { powerWatts: Infinity } }, 'hardware.sampleHold.powerWatts', ErrorCodes.invalidArgument],
    [{ buffer: { accessBits: 0 } }, 'hardware.buffer.accessBits', ErrorCodes.outOfRange],
    [{ shiftAdd: { latencyCycles: -1 } }, 'hardware.shiftAdd.latencyCycles', ErrorCodes.outOfRange],
  ])('rejects %j naming %s', (overrides, pathName, code) => {
    const e = errorOf(() => resolveHardware(overrides));
    expect(e.name).toBe('NaxError');
    expect(e.code).toBe(code);
    expect(e.message).toContain(pathName);
    // hardwareCost reports the same error.
    const e2 = errorOf(() => hardwareCost({ model: [{ name: 'l', k: 1, n: 1, outputPixels: 1 }], hardware: overrides as never }));
    expect(e2.code).toBe(code);
  });

  test('a non-object configuration is rejected', () => {
    const e = errorOf(() => resolveHardware(42));
    expect(e.name).toBe('NaxError');
    expect(e.code).toBe(ErrorCodes.config);
    expect(e.message).toContain('hardware');
  });
});

describe('mapping and model validation', () => {
  const layer = [{ name: 'conv1', k: 27, n: 16, outputPixels: 1024 }];
  test.each([
    [{ default: { rows: 0 } }, 'mapping.default.rows', ErrorCodes.outOfRange],
    [{ default: { dacBits: 1.5 } }, 'mapping.default.dacBits', ErrorCodes.invalidArgument],
    [{ default: { adcBits: 'auto' } }, 'mapping.default.adcBits', ErrorCodes.invalidArgument],
    [{ layers: { conv1: { cols: -4 } } }, 'mapping.layers.conv1.cols', ErrorCodes.outOfRange],
    [{ layers: { conv2: { rows: 32 } } }, 'mapping.layers.conv2', ErrorCodes.config],
    [{ default: { row: 32 } }, 'mapping.default.row', ErrorCodes.config],
    [{ default: { dacBits: 4, inputBits: 2 } }, 'mapping.default.dacBits', ErrorCodes.config],
    [{ default: { inputBits: 4 }, layers: { conv1: { dacBits: 8 } } }, 'mapping.layers.conv1.dacBits', ErrorCodes.config],
    [{ defaults: {} }, 'mapping.defaults', ErrorCodes.config],
  ])('rejects mapping %j naming %s', (mapping, pathName, code) => {
    const e = errorOf(() => hardwareCost({ model: layer, mapping: mapping as never }));
    expect(e.name).toBe('NaxError');
    expect(e.code).toBe(code);
    expect(e.message).toContain(pathName);
  });

  test('keys the cost model does not read (device settings) are allowed in a mapping', () => {
    const c = hardwareCost({ model: layer, mapping: { default: { rows: 32, cols: 32, gOn: 1e-5, seed: 3 } } });
    expect(c.layers[0].crossbar.rows).toBe(32);
  });

  test.each([
    [[{ name: 'a', k: 0, n: 1, outputPixels: 1 }], 'model[0].k'],
    [[{ name: 'a', k: 1, n: 1, outputPixels: 2.5 }], 'model[0].outputPixels'],
    [[{ k: 1, n: 1, outputPixels: 1 }], 'model[0].name'],
    [[{ name: 'a', k: 1, n: 1, outputPixels: 1 }, { name: 'a', k: 1, n: 1, outputPixels: 1 }], '"a" twice'],
    [[], 'at least one crossbar layer'],
    [42, 'crossbar layers, a graph, or an ONNX path or bytes'],
    [{ layers: [] }, 'crossbar layers, a graph, or an ONNX path or bytes'],
  ])('rejects model %j (%s)', (model, text) => {
    const e = errorOf(() => hardwareCost({ model: model as never }));
    expect(e.name).toBe('NaxError');
    expect(e.message).toContain(text);
  });
});
