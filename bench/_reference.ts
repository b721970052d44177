/**
 * The benchmark's reference network: trained by the project's own trainer on
 * MNIST, exported to ONNX and cached under .nax-cache/ (git-ignored), so only
 * the first run pays for training. Delete .nax-cache/ to retrain (e.g. after
 * changing the trainer). The leading underscore keeps bench/run.ts from
 * treating this helper as a suite.
 */
import * as fs from 'fs';
import * as path from 'path';
import { loadDataset } from '../lib/data';
import { type ArchName, TrainModel, buildNetwork, exportOnnx, trainModel, writeFileAtomic } from '../lib/train';

export interface ReferenceSpec {
  arch: ArchName;
  dataset: 'mnist';
  epochs: number;
  /** First N training images. */
  trainImages: number;
  seed: number;
}

export interface ReferenceModel {
  /** The cached ONNX file. */
  file: string;
  spec: ReferenceSpec;
  /** Trainer's accuracy on the whole test split. */
  testAccuracy: number;
  trainSeconds: number;
  /** Whether this call found it in the cache. */
  cached: boolean;
  trainedAt: string;
}

/** The full bench: the 28x28 ResNet on all of MNIST's training images. */
export const FULL_REFERENCE: ReferenceSpec = { arch: 'resnet-mnist', dataset: 'mnist', epochs: 2, trainImages: 60000, seed: 0 };
/** --quick: the same network trained briefly (a couple of minutes on 2 cores). */
export const QUICK_REFERENCE: ReferenceSpec = { arch: 'resnet-mnist', dataset: 'mnist', epochs: 2, trainImages: 6400, seed: 0 };

export const CACHE_DIR = path.join(__dirname, '..', '.nax-cache');

function cacheName(s: ReferenceSpec): string {
  return `reference-${s.arch}-${s.dataset}-e${s.epochs}-n${s.trainImages}-s${s.seed}`;
}

/** Returns the cached reference model, training and caching it first when absent. */
export async function referenceModel(spec: ReferenceSpec, log: (line: string) => void = console.log): Promise<ReferenceModel> {
  const base = path.join(CACHE_DIR, cacheName(spec));
  const file = `${base}.onnx`;
  const metaFile = `${base}.json`;
  if (fs.existsSync(file) && fs.existsSync(metaFile)) {
    const meta = JSON.parse(fs.readFileSync(metaFile, 'utf8')) as ReferenceModel;
    return { ...meta, file, cached: true };
  }
  log(`training the reference network (${cacheName(spec)}); cached in ${path.relative(process.cwd(), CACHE_DIR) || '.'} for later runs`);
  const [train, test] = await Promise.all([
    loadDataset({ name: spec.dataset, split: 'train', limit: spec.trainImages }),
    loadDataset({ name: spec.dataset, split: 'test' }),
  ]);
  const model = new TrainModel(buildNetwork(spec.arch, { inputShape: train.shape, classes: train.classes }), { seed: spec.seed });
  const result = await trainModel(model, train, {
    epochs: spec.epochs,
    seed: spec.seed,
    onEpoch: (r) => log(`  epoch ${r.epoch}/${spec.epochs}: loss ${r.loss.toFixed(4)}, train acc ${(100 * r.trainAccuracy).toFixed(2)}%, ${r.seconds.toFixed(1)} s`),
  });
  const evaluated = await model.evaluate(test);
  fs.mkdirSync(CACHE_DIR, { recursive: true });
  writeFileAtomic(file, exportOnnx(model));
  const meta: ReferenceModel = {
    file,
    spec,
    testAccuracy: evaluated.accuracy,
    trainSeconds: result.seconds,
    cached: false,
    trainedAt: new Date().toISOString(),
  };
  writeFileAtomic(metaFile, Buffer.from(JSON.stringify(meta, null, 2) + '\n'));
  log(`  test accuracy ${(100 * evaluated.accuracy).toFixed(2)}% after ${result.seconds.toFixed(1)} s of training`);
  return meta;
}
