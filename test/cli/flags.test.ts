/**
 * The CLI's shared flag rules (lib/cli/flags.ts): one JSON-object reader, one integer-list
 * parser, one kernel-size rule, one --threads bound checked before any data loads, and one
 * progress bar.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { PassThrough } from 'stream';
import { buildCli } from '../../lib/cli';
import { evalHandler } from '../../lib/cli/commands/eval';
import { evolveOptionsFromArgs } from '../../lib/cli/commands/evolve';
import { sweepHandler } from '../../lib/cli/commands/sweep';
import { trainHandler } from '../../lib/cli/commands/train';
import { choicesRule, createProgressBar, parseIntegerList, parseKernelSizes, parseThreads, progressEnabled, readJsonObject } from '../../lib/cli/flags';
import { resolveEvolveOptions } from '../../lib/codesign/evolve-options';
import { MAX_THREADS, resolveCrossbarConfig } from '../../lib/crossbar';
import { createSearchSpace } from '../../lib/search/genome';
import { KERNEL_SIZE_RULE, MAX_KERNEL_SIZE, buildNetwork, isKernelSize } from '../../lib/train';

type Caught = { name: string; code: string; message: string };
function caught(fn: () => unknown): Caught {
  try {
    fn();
  } catch (e) {
    return e as Caught;
  }
  throw new Error('expected a throw');
}

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nax-flags-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('readJsonObject', () => {
  const write = (name: string, text: string) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, text);
    return file;
  };

  test('returns the object; a missing file, bad JSON and a non-object each name the flag', () => {
    expect(readJsonObject(write('hw.json', '{"clockHz": 1e9}'), '--hardware')).toEqual({ clockHz: 1e9 });
    const missing = caught(() => readJsonObject(path.join(dir, 'none.json'), '--hardware'));
    expect(missing).toMatchObject({ name: 'NaxError', code: 'ERR_NAX_IO', message: expect.stringContaining('--hardware file') });
    const bad = caught(() => readJsonObject(write('bad.json', '{ nope'), '--device'));
    expect(bad).toMatchObject({ code: 'ERR_NAX_CONFIG', message: expect.stringContaining('expected JSON in --device file') });
    for (const text of ['[1, 2]', '3', 'null', '"x"'])
      expect(caught(() => readJsonObject(write('other.json', text), '--device'))).toMatchObject({
        code: 'ERR_NAX_CONFIG',
        message: expect.stringMatching(/^expected a JSON object in --device file .*other\.json, got /),
      });
  });

  test('every command reads --hardware through it', async () => {
    const list = write('list.json', '[]');
    const { costHandler } = await import('../../lib/cli/commands/cost');
    const expected = { code: 'ERR_NAX_CONFIG', message: expect.stringContaining('expected a JSON object in --hardware file') };
    expect(caught(() => costHandler({ model: 'resnet20', hardware: list }))).toMatchObject(expected);
    expect(caught(() => evolveOptionsFromArgs({ hardware: list }))).toMatchObject(expected);
    expect(caught(() => evolveOptionsFromArgs({ device: list }))).toMatchObject({ code: 'ERR_NAX_CONFIG', message: expect.stringContaining('--device file') });
    const model = write('model.onnx', '');
    await expect(sweepHandler({ model, hardware: list })).rejects.toMatchObject(expected);
  });
});

describe('parseIntegerList', () => {
  test('one error shape: expected <what> for <flag>, got <the bad entry>', () => {
    const rule = { what: 'positive integers', allows: (v: number) => v >= 1 };
    expect(parseIntegerList('--sizes', '16, 32,8', rule)).toEqual([16, 32, 8]);
    expect(parseIntegerList('--sizes', 64, rule)).toEqual([64]);
    expect(parseIntegerList('--sizes', ['16,32', 64], rule)).toEqual([16, 32, 64]);
    expect(parseIntegerList('--sizes', undefined, rule)).toBeUndefined();
    for (const [value, got] of [['16,abc', '"abc"'], ['16,,32', '""'], ['', '""'], ['0', '"0"'], ['-4', '"-4"'], ['1.5', '"1.5"'], ['1e3', '"1e3"']])
      expect(caught(() => parseIntegerList('--sizes', value, rule))).toMatchObject({
        name: 'NaxError',
        code: 'ERR_NAX_INVALID_ARGUMENT',
        message: `expected a comma-separated list of positive integers for --sizes, got ${got}`,
      });
  });

  test('choices: each value at most once', () => {
    expect(parseIntegerList('--xbars', '32,16', choicesRule([16, 32, 64]))).toEqual([32, 16]);
    expect(caught(() => parseIntegerList('--xbars', '16,16', choicesRule([16, 32])))).toMatchObject({
      message: 'expected a comma-separated list of distinct values from {16, 32} for --xbars, got "16,16"',
    });
    expect(caught(() => parseIntegerList('--xbars', '16,48', choicesRule([16, 32]))).message).toContain('got "48"');
  });

  test('cost --sizes uses it', async () => {
    const { costHandler } = await import('../../lib/cli/commands/cost');
    expect(caught(() => costHandler({ model: 'resnet20', sizes: '16,0' })).message).toBe('expected a comma-separated list of positive integers for --sizes, got "0"');
  });
});

describe('the kernel-size rule', () => {
  test('odd integers in [1, MAX_KERNEL_SIZE], in words once', () => {
    expect(MAX_KERNEL_SIZE).toBe(15);
    expect(KERNEL_SIZE_RULE).toBe('odd integers in [1, 15]');
    expect([1, 3, 13, 15].every(isKernelSize)).toBe(true);
    expect([0, 4, 17, -1, 3.5, NaN, '3'].some(isKernelSize)).toBe(false);
  });

  test('13 is accepted by evolve --kernels and by every library entry point', () => {
    expect(evolveOptionsFromArgs({ kernels: '3,13' }).kernels).toEqual([3, 13]);
    expect(parseKernelSizes('--kernels', '13,15')).toEqual([13, 15]);
    expect(resolveEvolveOptions({ kernels: [3, 13] }).kernels).toEqual([3, 13]);
    expect(createSearchSpace({ layers: 1, kernelSizes: [13] }).layers[0].kernelSizes).toEqual([13]);
    expect(() => buildNetwork('lenet', { kernels: [13] })).not.toThrow();
  });

  test.each([17, 4, 0])('%i is rejected everywhere with the same rule text', (k) => {
    const errors: Array<[string, Caught]> = [
      ['--kernels', caught(() => evolveOptionsFromArgs({ kernels: `3,${k}` }))],
      ['--kernels', caught(() => parseKernelSizes('--kernels', `3,${k}`))], // train --kernels
      ['--subnet', caught(() => parseKernelSizes('--subnet', `3,${k}`))], // train --subnet
      ['kernels[1]', caught(() => resolveEvolveOptions({ kernels: [3, k] }))],
      ['kernelSizes[1]', caught(() => createSearchSpace({ layers: 1, kernelSizes: [3, k] }))],
      ['kernels[1]', caught(() => buildNetwork('lenet', { kernels: [3, k] }))],
    ];
    for (const [name, e] of errors) {
      expect(e).toMatchObject({ name: 'NaxError', code: 'ERR_NAX_INVALID_ARGUMENT' });
      expect(e.message).toContain(`${KERNEL_SIZE_RULE} for ${name}, got `);
      expect(e.message).toContain(String(k));
    }
  });
});

describe('--threads', () => {
  test('one bound, shared with the crossbar config', () => {
    expect(parseThreads(0)).toBe(0);
    expect(parseThreads(MAX_THREADS)).toBe(MAX_THREADS);
    expect(parseThreads(undefined)).toBeUndefined();
    expect(resolveCrossbarConfig({ threads: MAX_THREADS }).threads).toBe(MAX_THREADS);
    expect(caught(() => resolveCrossbarConfig({ threads: MAX_THREADS + 1 })).code).toBe('ERR_NAX_OUT_OF_RANGE');
    expect(caught(() => parseThreads(MAX_THREADS + 1)).message).toBe(`expected an integer in [0, ${MAX_THREADS}] for --threads, got ${MAX_THREADS + 1}`);
    expect(caught(() => parseThreads(Number.NaN)).code).toBe('ERR_NAX_INVALID_ARGUMENT');
  });

  // Paths that do not exist: had a handler loaded a model or data set first, it would fail with ERR_NAX_IO / ERR_NAX_DATASET instead.
  const noModel = '/nonexistent/nax-model.onnx';
  const noData = '/nonexistent/nax-data';
  const bad: Array<[number, string]> = [
    [1_000_000, 'ERR_NAX_OUT_OF_RANGE'],
    [-1, 'ERR_NAX_OUT_OF_RANGE'],
    [1.5, 'ERR_NAX_INVALID_ARGUMENT'],
  ];
  const handlers: Record<string, (threads: number) => Promise<unknown>> = {
    eval: (threads) => evalHandler({ model: noModel, dataPath: noData, threads, progress: false }),
    sweep: (threads) => sweepHandler({ model: noModel, dataPath: noData, threads }),
    evolve: async (threads) => evolveOptionsFromArgs({ dataPath: noData, threads }),
    train: (threads) => trainHandler({ dataset: 'cifar10', dataPath: noData, threads, progress: false, log: () => undefined }),
  };

  test.each(Object.keys(handlers))('%s rejects a bad --threads before loading anything', async (command) => {
    const started = Date.now();
    for (const [threads, code] of bad)
      await expect(handlers[command](threads)).rejects.toMatchObject({ name: 'NaxError', code, message: expect.stringContaining(`for --threads, got ${threads}`) });
    expect(Date.now() - started).toBeLessThan(2000);
  });

  const argv: Record<string, string[]> = {
    eval: ['eval', noModel, '--data-path', noData],
    sweep: ['sweep', noModel, '--data-path', noData],
    evolve: ['evolve', '--data-path', noData, '--out', '/nonexistent/never-written'],
    train: ['train', '--dataset', 'cifar10', '--data-path', noData],
  };

  test.each(Object.keys(argv))('nax-native %s --threads is checked through the yargs parser', async (command) => {
    for (const [threads, code] of bad) {
      const err = await buildCli([...argv[command], `--threads=${threads}`])
        .parseAsync()
        .then(
          () => null,
          (e) => e,
        );
      expect(err).toMatchObject({ name: 'NaxError', code, message: expect.stringContaining('--threads') });
    }
  });
});

describe('createProgressBar', () => {
  const capture = (isTTY?: boolean) => {
    const stream = Object.assign(new PassThrough(), { isTTY });
    let text = '';
    stream.on('data', (chunk) => (text += chunk));
    return { stream, text: () => text };
  };

  test('on by default only on a terminal, off for --json, and --progress decides when given', () => {
    expect(progressEnabled({}, { isTTY: true })).toBe(true);
    expect(progressEnabled({}, { isTTY: false })).toBe(false);
    expect(progressEnabled({ json: true }, { isTTY: true })).toBe(false);
    expect(progressEnabled({ progress: true }, {})).toBe(true);
    expect(progressEnabled({ progress: false }, { isTTY: true })).toBe(false);
    const { stream, text } = capture(undefined);
    const off = createProgressBar('{phase} {value}/{total}', {}, { stream });
    expect(off.enabled).toBe(false);
    off.update('x', 1, 2, { phase: 'x' });
    off.stop();
    expect(text()).toBe('');
  });

  test('--progress on a pipe prints the command format as lines, one bar per stage', async () => {
    const { stream, text } = capture(undefined);
    const bar = createProgressBar('{phase} |{bar}| {value}/{total} images', { progress: true }, { stream });
    expect(bar.enabled).toBe(true);
    bar.update('ideal', 3, 10, { phase: 'ideal' });
    bar.update('ideal', 10, 10, { phase: 'ideal' });
    bar.update('crossbar 16x16', 2, 4, { phase: 'crossbar 16x16' });
    bar.stop();
    bar.stop(); // twice is harmless
    await new Promise((resolve) => setImmediate(resolve));
    expect(text()).toContain('ideal |');
    expect(text()).toContain('10/10 images');
    expect(text()).toContain('crossbar 16x16 |');
    expect(text()).toContain('2/4 images');
  });
});

test('no command re-implements a shared helper (progress bar, JSON reading)', () => {
  const commandsDir = path.join(__dirname, '..', '..', 'lib', 'cli', 'commands');
  for (const file of fs.readdirSync(commandsDir)) {
    const source = fs.readFileSync(path.join(commandsDir, file), 'utf8');
    expect({ file, cliProgress: source.includes("'cli-progress'"), jsonParse: source.includes('JSON.parse') }).toEqual({ file, cliProgress: false, jsonParse: false });
  }
});
