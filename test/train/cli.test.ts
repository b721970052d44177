/**
 * `nax-native train` handler: trains on a tiny MNIST subset, checkpoints,
 * exports ONNX; the same seed gives the same bytes; --resume of a finished
 * run changes nothing.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { trainHandler } from '../../lib/cli/commands/train';
import { parseKernelSizes } from '../../lib/cli/flags';
import { loadCheckpoint } from '../../lib/train';

let mnist = true;
beforeAll(async () => {
  try {
    await (await import('../../lib/data')).loadDataset({ name: 'mnist', split: 'test', limit: 1 });
  } catch (err) {
    mnist = false;
    console.warn(`skipping CLI training tests: MNIST not available (${(err as Error).message})`);
  }
});

describe('nax-native train', () => {
  test('kernel lists', () => {
    expect(parseKernelSizes('--kernels', '3,5,7')).toEqual([3, 5, 7]);
    expect(parseKernelSizes('--kernels', undefined)).toBeUndefined();
    expect(() => parseKernelSizes('--kernels', '3,4')).toThrow(expect.objectContaining({ name: 'NaxError', code: 'ERR_NAX_INVALID_ARGUMENT' }));
  });

  test('supernet on a tiny subset: checkpoint + ONNX, identical bytes for the same seed', async () => {
    if (!mnist) return;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nax-train-cli-'));
    const run = (name: string, extra: object = {}) =>
      trainHandler({
        dataset: 'mnist', limit: 256, testLimit: 64, epochs: 1, batchSize: 64, width: 4, kernels: [3, 5], supernet: true,
        subnet: [5, 3, 5, 3, 5, 3, 5], out: path.join(dir, `${name}.onnx`), log: () => undefined, ...extra,
      });
    const a = await run('a');
    const b = await run('b');
    expect(a.exportedKernels).toEqual([5, 3, 5, 3, 5, 3, 5]);
    expect(fs.readFileSync(path.join(dir, 'a.onnx')).equals(fs.readFileSync(path.join(dir, 'b.onnx')))).toBe(true);
    expect(loadCheckpoint(a.checkpoint).epoch).toBe(1);
    expect(a.testAccuracy).toBe(b.testAccuracy);
    // Resuming a finished run trains nothing more and exports the same model.
    const c = await run('a', { resume: true });
    expect(c.epochs.length).toBe(1);
    expect(fs.readFileSync(path.join(dir, 'a.onnx')).equals(fs.readFileSync(path.join(dir, 'b.onnx')))).toBe(true);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
