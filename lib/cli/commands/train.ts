/**
 * `nax-native train`: trains a network (optionally a weight-sharing supernet
 * with elastic kernels) on a data set with the native trainer, checkpoints
 * every epoch, evaluates on the test split and exports ONNX.
 */
import type { CommandModule } from 'yargs';
import { prepareOutputFile } from '../../out-dir';
import * as fs from 'fs';
import { loadDataset } from '../../data';
import type { DatasetName } from '../../data';
import { expectOneOf } from '../../errors';
import { ARCHS, buildNetwork, exportOnnx, extractSubnet, trainModel, TrainModel, writeFileAtomic } from '../../train';
import type { ArchName, EpochRecord, TrainProgress } from '../../train';
import { createProgressBar, parseKernelSizes, parseThreads, sharedOptions } from '../flags';

export interface TrainCommandOptions {
  arch?: ArchName;
  dataset?: DatasetName;
  dataPath?: string;
  epochs?: number;
  batchSize?: number;
  lr?: number;
  weightDecay?: number;
  kernels?: number[];
  supernet?: boolean;
  /** Kernel per searchable conv of the exported subnet (default: the largest choice everywhere). */
  subnet?: number[];
  width?: number;
  blocks?: number;
  seed?: number;
  threads?: number;
  limit?: number;
  testLimit?: number;
  out?: string;
  checkpoint?: string;
  resume?: boolean;
  progress?: boolean;
  /** The result goes to stdout as JSON: no progress bar unless `progress` asks for one. */
  json?: boolean;
  log?: (line: string) => void;
}

export interface TrainCommandResult {
  arch: ArchName;
  dataset: DatasetName;
  epochs: EpochRecord[];
  trainSeconds: number;
  secondsPerEpoch: number;
  testAccuracy: number;
  exportedKernels: number[];
  out?: string;
  checkpoint: string;
}

export async function trainHandler(o: TrainCommandOptions): Promise<TrainCommandResult> {
  const log = o.log ?? ((line: string) => process.stderr.write(line + '\n'));
  const threads = parseThreads(o.threads);
  const dataset = expectOneOf('dataset', o.dataset ?? 'mnist', ['mnist', 'fashion-mnist', 'cifar10'] as const);
  const arch = expectOneOf('arch', o.arch ?? (dataset === 'cifar10' ? 'resnet20' : 'resnet-mnist'), ARCHS);
  const [trainSet, testSet] = await Promise.all([
    loadDataset({ name: dataset, split: 'train', path: o.dataPath, limit: o.limit }),
    loadDataset({ name: dataset, split: 'test', path: o.dataPath, limit: o.testLimit }),
  ]);
  const spec = buildNetwork(arch, { inputShape: trainSet.shape, classes: trainSet.classes, kernels: o.kernels, width: o.width, blocks: o.blocks });
  const seed = o.seed ?? 0;
  const model = new TrainModel(spec, { seed, threads });
  const epochs = o.epochs ?? 4;
  const checkpoint = o.checkpoint ?? (o.out ? `${o.out}.ckpt` : 'nax-train.ckpt');
  // Before training: a bad --out or --checkpoint fails now, not after the last epoch.
  if (o.out) prepareOutputFile(o.out, '--out');
  prepareOutputFile(checkpoint, '--checkpoint');
  const batchSize = o.batchSize ?? 128;
  // One bar over the whole run (ETA to the last epoch), restarted below each epoch's log line.
  const bar = createProgressBar('epoch {epoch}/{epochs} |{bar}| {percentage}% | loss {loss} | acc {acc} | {speed} img/s | ETA {eta_formatted}', o, { etaBuffer: 50 });
  const onProgress = (p: TrainProgress) =>
    bar.update(`epoch ${p.epoch}`, (p.epoch - 1) * p.stepsPerEpoch + p.step, p.epochs * p.stepsPerEpoch, {
      epoch: p.epoch, epochs: p.epochs, loss: p.loss.toFixed(4), acc: (100 * p.accuracy).toFixed(2) + '%', speed: p.imagesPerSecond.toFixed(0),
    });
  let result;
  try {
    result = await trainModel(model, trainSet, {
      epochs, batchSize, seed, lr: o.lr, weightDecay: o.weightDecay, supernet: o.supernet ?? false,
      augment: dataset === 'cifar10' ? { pad: 4, flip: true } : undefined,
      validation: o.supernet ? undefined : testSet,
      checkpoint, resume: o.resume, onProgress,
      onEpoch: (r: EpochRecord) => {
        bar.stop();
        log(`epoch ${r.epoch}/${epochs}: loss ${r.loss.toFixed(4)}, train acc ${(100 * r.trainAccuracy).toFixed(2)}%` +
          (r.validation ? `, test acc ${(100 * r.validation.accuracy).toFixed(2)}%` : '') + `, ${r.seconds.toFixed(1)} s`);
      },
    });
  } finally {
    bar.stop();
  }
  // The exported model: the trained network, or one subnet of the supernet
  // with BatchNorm statistics recalibrated on training batches.
  const choices = model.kernelChoices();
  const exportedKernels = o.subnet ?? choices.map((c) => Math.max(...c));
  const final = o.supernet || o.subnet
    ? await extractSubnet(model, exportedKernels, { threads, calibration: trainSet, calibrationBatches: 20 })
    : model;
  const test = await final.evaluate(testSet);
  log(`test accuracy ${(100 * test.accuracy).toFixed(2)}% (${test.correct}/${test.count}), kernels [${exportedKernels.join(',')}]`);
  if (o.out) {
    writeFileAtomic(o.out, exportOnnx(final));
    log(`wrote ${o.out}`);
  }
  const trained = result.epochs.filter((e) => e.seconds > 0);
  return {
    arch, dataset, epochs: result.epochs, trainSeconds: result.seconds,
    secondsPerEpoch: trained.reduce((a, e) => a + e.seconds, 0) / Math.max(1, trained.length),
    testAccuracy: test.accuracy, exportedKernels, out: o.out, checkpoint,
  };
}

interface TrainArgs {
  arch?: string; dataset?: string; dataPath?: string; epochs?: number; batchSize?: number; lr?: number; weightDecay?: number;
  kernels?: string; supernet?: boolean; subnet?: string; width?: number; blocks?: number; seed?: number; threads?: number;
  limit?: number; testLimit?: number; out?: string; checkpoint?: string; resume?: boolean; progress?: boolean; json?: boolean;
}

export const trainCommand: CommandModule<object, TrainArgs> = {
  command: 'train',
  describe: 'Train a network (or an elastic-kernel supernet) natively; checkpoint every epoch; export ONNX',
  builder: (y) =>
    y
      .option('arch', { type: 'string', choices: [...ARCHS], describe: 'network (default: resnet20 for cifar10, resnet-mnist otherwise)' })
      .option('dataset', { type: 'string', choices: ['mnist', 'fashion-mnist', 'cifar10'], default: 'mnist' })
      .option('data-path', { type: 'string', describe: 'folder holding the data set files' })
      .option('epochs', { type: 'number', default: 4 })
      .option('batch-size', { type: 'number', default: 128 })
      .option('lr', { type: 'number', describe: 'peak learning rate (cosine schedule with warm-up)', default: 0.1 })
      .option('weight-decay', { type: 'number', default: 5e-4 })
      .option('kernels', { type: 'string', describe: 'kernel sizes of each searchable conv, e.g. 3,5,7' })
      .option('supernet', { type: 'boolean', describe: 'single-path one-shot training: one sampled kernel per layer per batch' })
      .option('subnet', { type: 'string', describe: 'kernel per searchable conv of the exported subnet (default: largest)' })
      .option('width', { type: 'number', describe: 'channels of the first stage' })
      .option('blocks', { type: 'number', describe: 'residual blocks per stage' })
      .option('seed', { type: 'number', default: 0 })
      .option('threads', sharedOptions.threads)
      .option('limit', { type: 'number', describe: 'train on the first N training images' })
      .option('test-limit', { type: 'number', describe: 'evaluate on the first N test images' })
      .option('out', { type: 'string', describe: 'ONNX file to write' })
      .option('checkpoint', { type: 'string', describe: 'checkpoint file (default: <out>.ckpt or nax-train.ckpt)' })
      .option('resume', { type: 'boolean', describe: 'continue from the checkpoint' })
      .option('progress', sharedOptions.progress)
      .option('json', { ...sharedOptions.json, describe: 'print the result as JSON' }) as never,
  handler: async (args) => {
    const r = await trainHandler({
      arch: args.arch as ArchName | undefined, dataset: args.dataset as DatasetName | undefined, dataPath: args.dataPath,
      epochs: args.epochs, batchSize: args.batchSize, lr: args.lr, weightDecay: args.weightDecay,
      kernels: parseKernelSizes('--kernels', args.kernels), supernet: args.supernet, subnet: parseKernelSizes('--subnet', args.subnet),
      width: args.width, blocks: args.blocks, seed: args.seed, threads: args.threads, limit: args.limit, testLimit: args.testLimit,
      out: args.out, checkpoint: args.checkpoint, resume: args.resume, progress: args.progress, json: args.json,
    });
    if (args.json) console.log(JSON.stringify(r, null, 2));
    else if (fs.existsSync(r.checkpoint)) console.log(`checkpoint: ${r.checkpoint}`);
  },
};
