import * as fs from 'fs';
import * as path from 'path';
import { loadDataset, DEFAULT_NORMALIZATION } from '../../lib/data';
import { tempDir, cifarRecord } from './helpers';

function writeCifar(dir: string, recordsPerFile: number[], test: number): void {
  let serial = 0;
  recordsPerFile.forEach((n, f) => {
    const recs: Buffer[] = [];
    for (let r = 0; r < n; r++, serial++) {
      const s = serial;
      recs.push(cifarRecord(s % 10, (p) => (p + s) & 255, (p) => (2 * p + s) & 255, (p) => (3 * p + s) & 255));
    }
    fs.writeFileSync(path.join(dir, `data_batch_${f + 1}.bin`), Buffer.concat(recs));
  });
  const recs: Buffer[] = [];
  for (let r = 0; r < test; r++) recs.push(cifarRecord(9 - r, () => 255, () => 0, () => 128));
  fs.writeFileSync(path.join(dir, 'test_batch.bin'), Buffer.concat(recs));
}

async function datasetError(promise: Promise<unknown>): Promise<{ name: string; code: string; message: string }> {
  const err = await promise.then(() => null, (e: unknown) => e as { name: string; code: string; message: string });
  expect(err).not.toBeNull();
  expect(err!.name).toBe('NaxError');
  expect(err!.code).toBe('ERR_NAX_DATASET');
  return err!;
}

describe('CIFAR-10 binary loader', () => {
  test('reads all five train batches in order; the 3072 bytes are R, G, B planes (CHW)', async () => {
    const dir = tempDir('cifar');
    writeCifar(dir, [2, 1, 3, 1, 2], 2);
    const ds = await loadDataset({ name: 'cifar10', path: dir, split: 'train', normalize: false });
    expect(ds.count).toBe(9);
    expect(ds.shape).toEqual([3, 32, 32]);
    expect(ds.classes).toBe(10);
    expect(ds.classNames?.[0]).toBe('airplane');
    expect(Array.from(ds.labels)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(ds.files.map((f) => path.basename(f))).toEqual(['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin']);
    for (const n of [0, 4, 8])
      for (const p of [0, 5, 33, 1023]) {
        // channel c, row y, col x at ((n*3 + c)*32 + y)*32 + x
        expect(ds.images[(n * 3 + 0) * 1024 + p]).toBe(Math.fround(((p + n) & 255) / 255));
        expect(ds.images[(n * 3 + 1) * 1024 + p]).toBe(Math.fround(((2 * p + n) & 255) / 255));
        expect(ds.images[(n * 3 + 2) * 1024 + p]).toBe(Math.fround(((3 * p + n) & 255) / 255));
      }
  });

  test('limit stops inside the file list; the parent of cifar-10-batches-bin is accepted', async () => {
    const parent = tempDir('cifar-parent');
    const dir = path.join(parent, 'cifar-10-batches-bin');
    fs.mkdirSync(dir);
    writeCifar(dir, [2, 2, 2, 2, 2], 3);
    const ds = await loadDataset({ name: 'cifar10', path: parent, split: 'train', limit: 3, normalize: false });
    expect(ds.count).toBe(3);
    expect(ds.files.map((f) => path.basename(f))).toEqual(['data_batch_1.bin', 'data_batch_2.bin']);
    expect(ds.source).toBe(dir);
    expect(ds.images[2 * 3072]).toBe(Math.fround(2 / 255)); // record 2 = first of batch 2, R pixel 0
  });

  test('per-channel default normalisation on the test split', async () => {
    const dir = tempDir('cifar-norm');
    writeCifar(dir, [1, 1, 1, 1, 1], 2);
    const ds = await loadDataset({ name: 'cifar10', path: dir, split: 'test' });
    const { mean, std } = DEFAULT_NORMALIZATION.cifar10;
    expect(ds.count).toBe(2);
    expect(Array.from(ds.labels)).toEqual([9, 8]);
    expect(ds.images[0]).toBeCloseTo((1 - mean[0]) / std[0], 6);
    expect(ds.images[1024]).toBeCloseTo((0 - mean[1]) / std[1], 6);
    expect(ds.images[2048 + 7]).toBeCloseTo((128 / 255 - mean[2]) / std[2], 6);
    expect(ds.normalization).toEqual({ mean, std });
  });

  test('wrong record size names the file and the record size', async () => {
    const dir = tempDir('cifar-size');
    writeCifar(dir, [1, 1, 1, 1, 1], 1);
    const file = path.join(dir, 'test_batch.bin');
    fs.appendFileSync(file, Buffer.alloc(100));
    const err = await datasetError(loadDataset({ name: 'cifar10', path: dir, split: 'test' }));
    expect(err.message).toContain(file);
    expect(err.message).toContain('3073-byte records');
    expect(err.message).toContain('1 records + 100 bytes');
  });

  test('label outside 0..9 is rejected', async () => {
    const dir = tempDir('cifar-label');
    writeCifar(dir, [1, 1, 1, 1, 1], 1);
    fs.writeFileSync(path.join(dir, 'test_batch.bin'), cifarRecord(42, () => 0, () => 0, () => 0));
    const err = await datasetError(loadDataset({ name: 'cifar10', path: dir, split: 'test' }));
    expect(err.message).toContain('label 42');
  });

  test('a missing batch file is listed with every place looked', async () => {
    const dir = tempDir('cifar-missing');
    writeCifar(dir, [1, 1, 1, 1, 1], 1);
    fs.unlinkSync(path.join(dir, 'data_batch_3.bin'));
    const err = await datasetError(loadDataset({ name: 'cifar10', path: dir, split: 'train' }));
    expect(err.message).toContain(`${dir} (missing data_batch_3.bin)`);
    expect(err.message).toContain(path.join(dir, 'cifar-10-batches-bin'));
    expect(err.message).toContain('cifar-10-binary.tar.gz');
  });
});
