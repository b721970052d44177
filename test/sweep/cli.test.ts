/**
 * `nax-native sweep`: flag validation (before any data is loaded) and an
 * end-to-end run through the yargs parser writing sweep.json/.svg/.html.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { buildCli } from '../../lib/cli';
import { sweepHandler, formatSweepResult } from '../../lib/cli/commands/sweep';
import { loadDataset } from '../../lib/data';
import { writeOnnxFile } from '../../lib/onnx/writer';
import type { SweepResult } from '../../lib/sweep';
import { templateClassifier } from './models';

jest.setTimeout(120_000);

let dir: string;
let modelPath: string;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nax-sweep-'));
  modelPath = path.join(dir, 'template.onnx');
  writeOnnxFile(modelPath, templateClassifier(await loadDataset({ name: 'mnist', split: 'train', limit: 300 })));
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

test('validation errors name the flag and what it allows', async () => {
  const cases: [Record<string, unknown>, string, RegExp][] = [
    [{ sizes: '16,3' }, 'ERR_NAX_OUT_OF_RANGE', /\[8, 1024\] for --sizes, got "16,3"/],
    [{ sizes: '16,x' }, 'ERR_NAX_INVALID_ARGUMENT', /--sizes, got "16,x"/],
    [{ sizes: '' }, 'ERR_NAX_INVALID_ARGUMENT', /--sizes/],
    [{ sizes: '16,4096' }, 'ERR_NAX_OUT_OF_RANGE', /\[8, 1024\] for --sizes/],
    [{ limit: 0 }, 'ERR_NAX_OUT_OF_RANGE', /--limit/],
    [{ calibration: 1.5 }, 'ERR_NAX_INVALID_ARGUMENT', /--calibration/],
    [{ dataset: 'imagenet' }, 'ERR_NAX_INVALID_ARGUMENT', /--dataset/],
    [{ mapping: path.join(os.tmpdir(), 'no-such-mapping.json') }, 'ERR_NAX_IO', /no-such-mapping\.json/],
    [{ hardware: path.join(os.tmpdir(), 'no-such-hw.json') }, 'ERR_NAX_IO', /no-such-hw\.json/],
    [{ chips: 0 }, 'ERR_NAX_OUT_OF_RANGE', /--chips/],
    [{ chips: 1001 }, 'ERR_NAX_OUT_OF_RANGE', /\[1, 1000\]|1000/],
    [{ chips: 1.5 }, 'ERR_NAX_INVALID_ARGUMENT', /--chips/],
  ];
  for (const [extra, code, message] of cases)
    await expect(sweepHandler({ model: modelPath, ...extra })).rejects.toMatchObject({ name: 'NaxError', code, message: expect.stringMatching(message) });
  await expect(sweepHandler({ model: path.join(dir, 'missing.onnx') })).rejects.toMatchObject({
    name: 'NaxError',
    code: 'ERR_NAX_IO',
    message: expect.stringContaining('missing.onnx'),
  });
  await expect(sweepHandler({})).rejects.toMatchObject({ name: 'NaxError', code: 'ERR_NAX_INVALID_ARGUMENT' });
  // A bad hardware figure is rejected with its key path.
  const hw = path.join(dir, 'hw.json');
  fs.writeFileSync(hw, JSON.stringify({ clockHz: -1 }));
  await expect(sweepHandler({ model: modelPath, sizes: '16', limit: 10, hardware: hw })).rejects.toMatchObject({
    name: 'NaxError',
    message: expect.stringContaining('clockHz'),
  });
});

test('the command prints the table and writes sweep.json, sweep.svg and sweep.html', async () => {
  const out = path.join(dir, 'out');
  const mapping = path.join(dir, 'mapping.json');
  fs.writeFileSync(mapping, JSON.stringify({ default: { readNoise: 0, variation: { sigma: 0.05 } } }));
  const logs: string[] = [];
  const spy = jest.spyOn(console, 'log').mockImplementation((s: string) => void logs.push(s));
  try {
    await buildCli(['sweep', modelPath, '--sizes', '32,16', '--limit', '60', '--calibration', '64', '--mapping', mapping, '--out', out]).parseAsync();
  } finally {
    spy.mockRestore();
  }
  const text = logs.join('\n');
  expect(text).toMatch(/16x16/);
  expect(text).toMatch(/32x32/);
  expect(text).toContain('non-ideal acc');
  const json = JSON.parse(fs.readFileSync(path.join(out, 'sweep.json'), 'utf8')) as SweepResult;
  expect(json.rows.map((r) => r.size)).toEqual([16, 32]);
  expect(json.dataset.images).toBe(60);
  expect(json.calibrationImages).toBe(64);
  // The mapping's settings merge over the non-ideal defaults.
  expect(json.mapping.default).toMatchObject({ readNoise: 0, variation: { sigma: 0.05 }, parasitics: true });
  expect(fs.readFileSync(path.join(out, 'sweep.svg'), 'utf8').startsWith('<svg')).toBe(true);
  expect(fs.readFileSync(path.join(out, 'sweep.html'), 'utf8')).toContain('<svg');
  // --json prints the summary without the per-layer costs.
  const summary = JSON.parse(formatSweepResult(json, { json: true }));
  expect(summary.rows).toHaveLength(2);
  expect(summary.costs).toBeUndefined();
});

test('--chips 3: each size reports 3 per-chip accuracies under variation, their mean, std and 95% CI', async () => {
  const mapping = path.join(dir, 'variation.json');
  fs.writeFileSync(mapping, JSON.stringify({ default: { variation: { sigma: 0.3 }, parasitics: false } }));
  const r = await sweepHandler({ model: modelPath, sizes: '16,32', limit: 60, calibration: 64, mapping, chips: 3 });
  expect(r.chips).toBe(3);
  for (const row of r.rows) {
    expect(row.nonIdealChips.accuracies).toHaveLength(3);
    expect(row.nonIdealAccuracy).toBeCloseTo(row.nonIdealChips.accuracies.reduce((a, b) => a + b) / 3, 12);
    expect(row.nonIdealChips.ci95).not.toBeNull();
  }
  expect(r.rows.some((row) => new Set(row.nonIdealChips.accuracies).size > 1)).toBe(true);
  const text = formatSweepResult(r);
  expect(text).toContain('non-ideal acc (mean of 3 chips)');
  expect(text).toContain('95% CI');
  // One chip: chip 0 of the same run, and no spread columns.
  const one = await sweepHandler({ model: modelPath, sizes: '16,32', limit: 60, calibration: 64, mapping });
  expect(one.rows.map((row) => row.nonIdealAccuracy)).toEqual(r.rows.map((row) => row.nonIdealChips.accuracies[0]));
  expect(one.rows[0].nonIdealChips).toMatchObject({ chips: 1, std: null, ci95: null });
  expect(formatSweepResult(one)).not.toContain('95% CI');
});
