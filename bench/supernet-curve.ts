/**
 * Supernet training curve (issue 14): the elastic-kernel supernet trained with evolve's recipe
 * (--quick: 2 epochs of 20,000 MNIST images, batch 32, peak lr 0.2; the default recipe with
 * --defaults) against plain (non-elastic) networks of the same architecture trained for the
 * same steps with the same schedule and batch order: all-3x3 and all-largest-kernel. Reports
 * the batch loss (mean of every window of steps) along the way, and at the end each network's
 * accuracy on held-out test images, with the supernet's all-3x3 and all-largest subnets
 * (inherited weights, BatchNorm recalibrated as the search does: its batches of the training
 * images' prefix) next to the plain ones. A
 * gap between a subnet and its plain twin is what weight sharing costs.
 *
 * Run: npx tsx bench/supernet-curve.ts [--quick] [--defaults]   (or npm run bench -- --only supernet-curve)
 */
import { loadDataset } from '../lib/data';
import { EVOLVE_DEFAULTS, EVOLVE_QUICK, resolveEvolveOptions } from '../lib/codesign/evolve-options';
import { calibrationImages } from '../lib/codesign/search-inputs';
import { TrainModel, buildNetwork, extractSubnet, searchableConvs, trainModel } from '../lib/train';
import { writeResult } from './run';

export interface CurveRow {
  network: string;
  /** Mean batch loss over each window of steps (windows of `window` steps). */
  lossCurve: number[];
  window: number;
  steps: number;
  trainSeconds: number;
  /** Accuracy on the held-out test images (the plain network, or the subnet named). */
  testAccuracy: number;
  /** The supernet's subnets, scored the same way. */
  subnets?: Record<string, number>;
}

export async function run(opts: { quick: boolean; defaults?: boolean }): Promise<CurveRow[]> {
  const config = resolveEvolveOptions({ quick: !opts.defaults });
  const recipe = opts.defaults ? EVOLVE_DEFAULTS.supernet : EVOLVE_QUICK.supernet;
  // --quick shortens the bench itself: a quarter of the recipe's images, one epoch.
  const images = opts.quick ? Math.round(recipe.images / 4) : recipe.images;
  const epochs = opts.quick ? 1 : recipe.epochs;
  const testImages = opts.quick ? 1000 : 2000;
  const [train, test] = await Promise.all([
    loadDataset({ name: 'mnist', split: 'train', limit: images }),
    loadDataset({ name: 'mnist', split: 'test', limit: testImages }),
  ]);
  // BatchNorm recalibration exactly as the search does it (its prefix of the training images).
  const calibration = calibrationImages(train, config);
  const { calibrationBatches, calibrationBatchSize } = config.evaluation;
  const kernels = config.kernels;
  const largest = Math.max(...kernels);
  const arch = { inputShape: train.shape, classes: train.classes, width: config.network.width, blocks: config.network.blocks };
  const steps = Math.floor(train.count / recipe.batchSize) * epochs;
  const window = Math.max(1, Math.round(steps / 20));
  const rows: CurveRow[] = [];
  const runs: Array<{ name: string; kernels: number[]; supernet: boolean }> = [
    { name: `supernet {${kernels.join(',')}}`, kernels, supernet: true },
    { name: 'plain all-3x3', kernels: [3], supernet: false },
    { name: `plain all-${largest}x${largest}`, kernels: [largest], supernet: false },
  ];
  for (const r of runs) {
    const spec = buildNetwork('resnet-mnist', { ...arch, kernels: r.kernels });
    const model = new TrainModel(spec, { seed: config.seed, threads: config.threads });
    const losses: number[] = [];
    const result = await trainModel(model, train, {
      epochs, batchSize: recipe.batchSize, lr: recipe.lr, seed: config.seed, supernet: r.supernet,
      onProgress: (p) => losses.push(p.stepLoss),
    });
    const lossCurve: number[] = [];
    for (let i = 0; i < losses.length; i += window) {
      const w = losses.slice(i, i + window);
      lossCurve.push(w.reduce((a, b) => a + b, 0) / w.length);
    }
    const row: CurveRow = { network: r.name, lossCurve, window, steps: losses.length, trainSeconds: result.seconds, testAccuracy: NaN };
    if (r.supernet) {
      const searchable = searchableConvs(spec).length;
      row.subnets = {};
      for (const k of [3, largest]) {
        const sub = await extractSubnet(model, new Array(searchable).fill(k), { threads: config.threads, calibration, calibrationBatches, calibrationBatchSize });
        row.subnets[`all-${k}x${k}`] = (await sub.evaluate(test)).accuracy;
      }
      row.testAccuracy = row.subnets[`all-${largest}x${largest}`];
    } else {
      row.testAccuracy = (await model.evaluate(test)).accuracy;
    }
    rows.push(row);
  }
  console.log(`MNIST, ${train.count} training images x ${epochs} epochs, batch ${recipe.batchSize}, peak lr ${recipe.lr}: ${steps} steps; test accuracy on ${test.count} images`);
  console.table(rows.map((r) => ({
    network: r.network,
    'train s': r.trainSeconds.toFixed(1),
    'test acc': r.subnets ? Object.entries(r.subnets).map(([k, v]) => `${k} ${(100 * v).toFixed(2)}%`).join(', ') : `${(100 * r.testAccuracy).toFixed(2)}%`,
    ...Object.fromEntries(r.lossCurve.filter((_, i) => i % Math.ceil(r.lossCurve.length / 5) === 0 || i === r.lossCurve.length - 1)
      .map((v, i, a) => [i === a.length - 1 ? 'loss (last window)' : `loss @${Math.round((i * Math.ceil(r.lossCurve.length / 5) * window))}`, v.toFixed(3)])),
  })));
  writeResult('supernet-curve', rows);
  return rows;
}

if (require.main === module) {
  run({ quick: process.argv.includes('--quick'), defaults: process.argv.includes('--defaults') }).catch((err) => {
    console.error(err);
    process.exitCode = 1;
  });
}
