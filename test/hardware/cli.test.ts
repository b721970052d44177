import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { buildCli } from '../../lib/cli';
import { costHandler, formatCostResult } from '../../lib/cli/commands/cost';
import { hardwareCost, resnetCifarLayers } from '../../lib/hardware';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nax-cost-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function write(name: string, value: unknown): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, typeof value === 'string' ? value : JSON.stringify(value));
  return file;
}

async function runCli(argv: string[]): Promise<string> {
  const lines: string[] = [];
  const spy = jest.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void lines.push(a.join(' ')));
  try {
    await buildCli(argv).parseAsync();
  } finally {
    spy.mockRestore();
  }
  return lines.join('\n');
}

describe('nax-native cost', () => {
  test('built-in resnet20 with --xbar: the same numbers as the library', () => {
    const r = costHandler({ model: 'resnet20', xbar: 32 });
    if (r.kind !== 'network') throw new Error('expected a network result');
    const lib = hardwareCost({ model: resnetCifarLayers(), mapping: { default: { rows: 32, cols: 32 } } });
    expect(r.cost.total).toEqual(lib.total);
    const text = formatCostResult(r);
    expect(text.split('\n')).toHaveLength(2 + 21 + 1 + 2 + 11 + 2);
    expect(text).toMatch(/input signs as listed/);
    expect(text).toMatch(/^layer3\.2\.conv2 +576 x 64 +32x32 +8 +/m); // 7 bits + the reference-column ADC's sign
    expect(text).toMatch(/^total/m);
  });

  test('a JSON layer list with a mapping file and a hardware file', () => {
    const layers = write('net.json', { layers: [{ name: 'c1', k: 27, n: 16, outputPixels: 1024 }, { name: 'fc', k: 64, n: 10, outputPixels: 1 }] });
    const mapping = write('map.json', { default: { rows: 64, cols: 64 }, layers: { fc: { rows: 16, cols: 16, adcBits: 4 } } });
    const hw = write('hw.json', { adc: { adcsPerArray: 2 } });
    const r = costHandler({ model: layers, mapping, hardware: hw, adcScaling: 'survey' });
    if (r.kind !== 'network') throw new Error('expected a network result');
    expect(r.cost.layers.map((l) => [l.crossbar.rows, l.crossbar.adcBits])).toEqual([[64, 9], [16, 4]]);
    expect(r.cost.hardware.adc.adcsPerArray).toBe(2);
    expect(r.cost.hardware.adc.energyScaling).toBe('survey');
    // --xbar overrides the mapping's default but not per-layer overrides.
    const r2 = costHandler({ model: layers, mapping, xbar: 32 });
    if (r2.kind !== 'network') throw new Error('expected a network result');
    expect(r2.cost.layers.map((l) => l.crossbar.rows)).toEqual([32, 16]);
  });

  test('--sizes compares homogeneous crossbars; --json and --markdown through the CLI parser', async () => {
    const out = await runCli(['cost', 'resnet20', '--sizes', '16,32,64,128,256', '--json']);
    const rows = JSON.parse(out) as { size: number; adcBits: number[]; edapRelative: number; total: { edap: number } }[];
    expect(rows.map((r) => r.size)).toEqual([16, 32, 64, 128, 256]);
    expect(rows.map((r) => r.adcBits)).toEqual([[7], [8], [9], [10], [11]]);
    expect(Math.min(...rows.map((r) => r.edapRelative))).toBe(1);
    const md = await runCli(['cost', 'resnet20', '--sizes', '32,64', '--markdown']);
    expect(md.split('\n')[0]).toMatch(/^\| crossbar \| adcBits \|/);
    expect(md).toContain('| 64x64 | 9 |');
    const one = JSON.parse(await runCli(['cost', 'resnet20', '--xbar', '64', '--json']));
    expect(one.layers).toHaveLength(20);
    expect(one.total.arrays).toBe(784);
  });

  test('--figures lists every hardware figure with its source (after --hardware overrides)', () => {
    const hw = write('fig.json', { adc: { powerWatts: 3e-3 }, crossbar: { '512': { readPowerWatts: 4.8e-3, readLatencySeconds: 5.12e-7, areaMm2: 4e-4 } } });
    const r = costHandler({ figures: true, hardware: hw });
    const text = formatCostResult(r);
    expect(text).toMatch(/^adc\.powerWatts +0\.003 +user override$/m);
    expect(text).toMatch(/^adc\.sampleRateHz +1280000000 +ISAAC/m);
    expect(text).toMatch(/^crossbar\.512\.areaMm2 +0\.0004 +user override$/m);
    expect(text).toMatch(/^crossbar\.16\.readPowerWatts .*constants-16\.py/m);
    expect(JSON.parse(formatCostResult(r, { json: true })).adc.powerWatts).toBe(3e-3);
  });

  test('bad inputs: clear NaxErrors', () => {
    const err = (fn: () => unknown) => {
      try {
        fn();
      } catch (e) {
        return e as { name: string; code: string; message: string };
      }
      throw new Error('expected an error');
    };
    let e = err(() => costHandler({ model: 'resnet99' }));
    expect([e.name, e.code]).toEqual(['NaxError', 'ERR_NAX_INVALID_ARGUMENT']);
    expect(e.message).toContain('resnet20');
    e = err(() => costHandler({ model: path.join(dir, 'missing.json') }));
    expect([e.name, e.code]).toEqual(['NaxError', 'ERR_NAX_IO']);
    e = err(() => costHandler({ model: write('bad.json', '{ nope') }));
    expect([e.name, e.code]).toEqual(['NaxError', 'ERR_NAX_CONFIG']);
    e = err(() => costHandler({ model: 'resnet20', hardware: write('badhw.json', { adc: { powerWatts: -1 } }) }));
    expect(e.code).toBe('ERR_NAX_OUT_OF_RANGE');
    expect(e.message).toContain('hardware.adc.powerWatts');
    e = err(() => costHandler({ model: 'resnet20', sizes: '16,abc' }));
    expect(e.message).toContain('--sizes');
    e = err(() => costHandler({}));
    expect([e.name, e.code]).toEqual(['NaxError', 'ERR_NAX_INVALID_ARGUMENT']);
  });
});

test("README's ResNet-20 EDAP table is what the CLI prints now", () => {
  const readme = fs.readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');
  const start = readme.indexOf('| crossbar | adcBits |');
  expect(start).toBeGreaterThan(0);
  const inReadme = readme.slice(start).split('\n').filter((line, i, all) => all.slice(0, i + 1).every((l) => l.startsWith('|'))).join('\n');
  const printed = formatCostResult(costHandler({ model: 'resnet20', sizes: '16,32,64,128,256' }), { markdown: true }).split('\n\n')[0];
  expect(inReadme).toBe(printed);
});

describe('nax-native cost --sensitivity and --template', () => {
  test('--sensitivity ranks 16/32/64/128 under the base and one changed assumption per row, and writes the plot', async () => {
    const plot = path.join(dir, 'sens.svg');
    const text = await runCli(['cost', 'resnet20', '--sensitivity', '--plot', plot]);
    expect(text).toMatch(/^base +base \(puma\) +[0-9.]+ +[0-9.]+ +[0-9.]+ +[0-9.]+ +\d+x\d+ +\d+ < \d+ < \d+ < \d+$/m);
    for (const v of ['isaac', 'neurosim', 'survey \\(4\\^b\\)', 'linear \\(b, earlier model\\)', 'every array its own', 'serial read steps', 'inter-layer pipelining', 'size table'])
      expect(text).toMatch(new RegExp(v));
    const svg = fs.readFileSync(plot, 'utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('EDAP / best size');
    // The base row equals --sizes under the same hardware.
    const r = costHandler({ model: 'resnet20', sensitivity: true, sizes: '16,32,64,128' });
    const s = costHandler({ model: 'resnet20', sizes: '16,32,64,128' });
    if (r.kind !== 'sensitivity' || s.kind !== 'sizes') throw new Error('kinds');
    expect(r.sensitivity.rows[0].relative).toEqual(s.sizes.map((x) => x.edapRelative));
    // The isaac row equals --template isaac.
    const isaac = costHandler({ model: 'resnet20', sizes: '16,32,64,128', template: 'isaac' });
    if (isaac.kind !== 'sizes') throw new Error('kind');
    expect(r.sensitivity.rows.find((x) => x.variant === 'isaac')!.edap).toEqual(isaac.sizes.map((x) => x.cost.total.edap));
  });

  test('--template changes the figures; bad values and --plot alone are errors naming the flag', async () => {
    const puma = costHandler({ model: 'resnet20', xbar: 128 });
    const isaac = costHandler({ model: 'resnet20', xbar: 128, template: 'isaac' });
    if (puma.kind !== 'network' || isaac.kind !== 'network') throw new Error('kind');
    expect(isaac.cost.hardware.template).toBe('isaac');
    expect(isaac.cost.total.edap).not.toBe(puma.cost.total.edap);
    expect(() => costHandler({ model: 'resnet20', template: 'eyeriss' })).toThrow(/--template/);
    expect(() => costHandler({ model: 'resnet20', plot: 'x.svg' })).toThrow(/--plot/);
    const figures = costHandler({ figures: true, template: 'isaac' });
    if (figures.kind !== 'figures') throw new Error('kind');
    expect(formatCostResult(figures)).toMatch(/ISAAC \(Shafiee et al\., ISCA 2016\) Table I/);
  });
});
