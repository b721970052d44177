import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';
import { loadDataset, readIdx } from '../../lib/data';
import { tempDir, idxBytes, writeIdxPair } from './helpers';

/** 5 images of 2x3 with pixel = 10*n + p, labels n % 4. */
function smallSet(count = 5): { images: Uint8Array; labels: Uint8Array } {
  const images = new Uint8Array(count * 6);
  for (let n = 0; n < count; n++) for (let p = 0; p < 6; p++) images[n * 6 + p] = 10 * n + p;
  const labels = Uint8Array.from({ length: count }, (_, n) => n % 4);
  return { images, labels };
}

async function expectDatasetError(promise: Promise<unknown>, ...fragments: string[]): Promise<void> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e as { name: string; code: string; message: string },
  );
  expect(err).not.toBeNull();
  expect(err!.name).toBe('NaxError');
  expect(err!.code).toBe('ERR_NAX_DATASET');
  for (const f of fragments) expect(err!.message).toContain(f);
}

describe('IDX loader', () => {
  const { images, labels } = smallSet();

  test.each([false, true])('reads a plain/gzip (gzip=%s) pair from a directory, values scaled to [0,1]', async (gzip) => {
    const dir = tempDir('idx');
    writeIdxPair(dir, 'train', images, labels, 2, 3, gzip);
    const ds = await loadDataset({ name: 'idx', path: dir, split: 'train', normalize: false });
    expect(ds.count).toBe(5);
    expect(ds.shape).toEqual([1, 2, 3]);
    expect(ds.classes).toBe(4);
    expect(Array.from(ds.labels)).toEqual([0, 1, 2, 3, 0]);
    expect(ds.images.length).toBe(30);
    for (let i = 0; i < 30; i++) expect(ds.images[i]).toBe(Math.fround(images[i] / 255));
    expect(ds.files[0].endsWith(gzip ? '.gz' : 'ubyte')).toBe(true);
    expect(ds.source).toBe(dir);
    expect(ds.normalization).toBeNull();
  });

  test('test split accepts the t10k prefix, explicit file pair and limit', async () => {
    const dir = tempDir('idx-t10k');
    const { imagesFile, labelsFile } = writeIdxPair(dir, 't10k', images, labels, 2, 3, true);
    const a = await loadDataset({ name: 'idx', path: dir, split: 'test', limit: 2, normalize: false });
    expect(a.count).toBe(2);
    expect(a.images.length).toBe(12);
    expect(a.images[11]).toBe(Math.fround(15 / 255));
    const b = await loadDataset({ name: 'idx', imagesPath: imagesFile, labelsPath: labelsFile, split: 'test', normalize: false });
    expect(b.count).toBe(5);
    expect(b.source).toBe(imagesFile);
  });

  test('readIdx with a limit reads only the records asked for, plain and gzip', async () => {
    const dir = tempDir('idx-limit');
    const { imagesFile } = writeIdxPair(dir, 'train', images, labels, 2, 3);
    const plain = await readIdx(imagesFile, 3);
    expect(plain.dims).toEqual([5, 2, 3]);
    expect(plain.count).toBe(3);
    expect(Array.from(plain.bytes)).toEqual(Array.from(images.subarray(0, 18)));
    const gz = path.join(dir, 'x.gz');
    fs.writeFileSync(gz, zlib.gzipSync(fs.readFileSync(imagesFile)));
    const zipped = await readIdx(gz, 3);
    expect(zipped.gzip).toBe(true);
    expect(Array.from(zipped.bytes)).toEqual(Array.from(plain.bytes));
  });

  test('bad magic names the file', async () => {
    const dir = tempDir('idx-magic');
    const { imagesFile } = writeIdxPair(dir, 'train', images, labels, 2, 3);
    const bytes = fs.readFileSync(imagesFile);
    bytes[0] = 0x01;
    fs.writeFileSync(imagesFile, bytes);
    await expectDatasetError(loadDataset({ name: 'idx', path: dir, split: 'train' }), imagesFile, 'bad magic');
  });

  test('non-byte element type is rejected with its name', async () => {
    const dir = tempDir('idx-type');
    const file = path.join(dir, 'f');
    fs.writeFileSync(file, idxBytes([1], new Uint8Array(4), 0x0d));
    await expectDatasetError(readIdx(file), file, '0x0d (float32)');
  });

  test('truncated and over-long files are rejected with expected sizes', async () => {
    const dir = tempDir('idx-trunc');
    const { imagesFile } = writeIdxPair(dir, 'train', images, labels, 2, 3);
    const full = fs.readFileSync(imagesFile);
    fs.writeFileSync(imagesFile, full.subarray(0, full.length - 1));
    await expectDatasetError(loadDataset({ name: 'idx', path: dir, split: 'train' }), imagesFile, 'truncated', `needs ${full.length} bytes`);
    fs.writeFileSync(imagesFile, Buffer.concat([full, Buffer.from([1, 2])]));
    await expectDatasetError(readIdx(imagesFile), '2 extra bytes');
    fs.writeFileSync(imagesFile, full.subarray(0, 10));
    await expectDatasetError(readIdx(imagesFile), 'truncated header');
  });

  test('corrupt gzip is rejected', async () => {
    const dir = tempDir('idx-gz');
    const file = path.join(dir, 'train-images-idx3-ubyte.gz');
    fs.writeFileSync(file, Buffer.from([0x1f, 0x8b, 0x08, 0x00, 1, 2, 3, 4, 5, 6, 7]));
    await expectDatasetError(readIdx(file), file, 'does not decompress');
  });

  test('image/label count mismatch names both files', async () => {
    const dir = tempDir('idx-count');
    const { imagesFile, labelsFile } = writeIdxPair(dir, 'train', images, labels, 2, 3);
    fs.writeFileSync(labelsFile, idxBytes([4], labels.subarray(0, 4)));
    await expectDatasetError(loadDataset({ name: 'idx', path: dir, split: 'train' }), 'count mismatch', imagesFile, labelsFile, '5 images', '4 labels');
  });

  test('swapped image and label files are caught by their dimensions', async () => {
    const dir = tempDir('idx-swap');
    const { imagesFile, labelsFile } = writeIdxPair(dir, 'train', images, labels, 2, 3);
    await expectDatasetError(
      loadDataset({ name: 'idx', imagesPath: labelsFile, labelsPath: imagesFile, split: 'train' }),
      'expected an image file with 3 dimensions',
    );
  });

  test('missing files list every place looked and how to fix it', async () => {
    const dir = tempDir('idx-empty');
    await expectDatasetError(loadDataset({ name: 'idx', path: dir, split: 'train' }), dir, 'train-images-idx3-ubyte[.gz]', '--data-path');
    await expectDatasetError(loadDataset({ name: 'idx', split: 'train' }), '--data-path');
    await expectDatasetError(
      loadDataset({ name: 'idx', imagesPath: path.join(dir, 'nope'), labelsPath: path.join(dir, 'nope2'), split: 'train' }),
      path.join(dir, 'nope'),
      'file does not exist',
    );
  });
});
