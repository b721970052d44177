import type { CommandModule } from 'yargs';
import * as fs from 'fs';
import * as path from 'path';
import { ErrorCodes, NaxError, expectNumber, expectOneOf } from '../../errors';
import { DATASET_NAMES, loadDataset } from '../../data';
import type { Dataset, DatasetName } from '../../data';
import { loadMapping } from '../../plan';
import type { HardwareOverrides } from '../../hardware';
import { describeInputActivity, expectInputActivityChoice, textTable } from '../../hardware';
import { type SweepProgress, type SweepResult, parseSweepSizes, sweep, sweepReportFiles, sweepTableRows, DEFAULT_SWEEP_SIZES } from '../../sweep';
import { prepareOutputDir } from '../../out-dir';
import { createProgressBar, parseChips, parseThreads, readJsonObject, sharedOptions } from '../flags';

export interface SweepArgs {
  model?: string;
  dataset?: string;
  dataPath?: string;
  sizes?: string;
  limit?: number;
  calibration?: number;
  mapping?: string;
  hardware?: string;
  batchSize?: number;
  threads?: number;
  /** Device instances per size (default 1). */
  chips?: number;
  json?: boolean;
  out?: string;
  /** Continue a killed sweep from <out>/sweep-checkpoint.json. */
  resume?: boolean;
  progress?: boolean;
  /** 'measured' (default) or 'default': the input activity of the read energy. */
  inputActivity?: string;
}

/**
 * Runs the sweep for the CLI's arguments (exported for tests); validates every flag before
 * loading data. With `out`, writes sweep.json, sweep.svg and sweep.html there.
 */
export async function sweepHandler(args: SweepArgs, onProgress?: (p: SweepProgress) => void): Promise<SweepResult> {
  const threads = parseThreads(args.threads);
  const chips = parseChips(args.chips, 1);
  if (args.model === undefined) throw new NaxError(ErrorCodes.invalidArgument, 'expected a model (an .onnx file) for model, got none');
  if (!fs.existsSync(args.model)) throw new NaxError(ErrorCodes.io, `model file ${args.model} does not exist (expected an .onnx file)`);
  const sizes = parseSweepSizes(args.sizes ?? DEFAULT_SWEEP_SIZES.join(','), '--sizes');
  const name = expectOneOf('--dataset', args.dataset ?? 'mnist', DATASET_NAMES) as DatasetName;
  const limit = args.limit === undefined ? undefined : expectNumber('--limit', args.limit, { integer: true, min: 1 });
  const calibration = expectNumber('--calibration', args.calibration ?? 256, { integer: true, min: 1 });
  const batchSize = args.batchSize === undefined ? undefined : expectNumber('--batch-size', args.batchSize, { integer: true, min: 1 });
  const mapping = args.mapping ? loadMapping(args.mapping) : undefined;
  const inputActivity = expectInputActivityChoice('--input-activity', args.inputActivity ?? 'measured');
  const hardware = args.hardware ? readJsonObject<HardwareOverrides>(args.hardware, '--hardware') : undefined;
  if (args.resume && !args.out) throw new NaxError(ErrorCodes.invalidArgument, 'expected --out with --resume (the checkpoint lives in the output folder), got no --out');

  const dataset = await loadDataset({ name, split: 'test', path: args.dataPath, limit });
  // Input scales come from training images, so the test images stay unseen.
  let calibrationSet: Dataset;
  try {
    calibrationSet = await loadDataset({ name, split: 'train', path: args.dataPath, limit: calibration });
  } catch (e) {
    if ((e as NaxError).code !== ErrorCodes.dataset) throw e;
    process.stderr.write(`nax-native sweep: no ${name} training split found; calibrating on the first test images\n`);
    calibrationSet = dataset;
  }
  // Checked before the (long) sweep, not after it.
  if (args.out) prepareOutputDir(args.out, '--out');
  const result = await sweep({
    model: args.model,
    dataset,
    calibration: calibrationSet,
    calibrationImages: calibration,
    sizes,
    mapping,
    hardware,
    inputActivity,
    batchSize,
    threads,
    chips,
    onProgress,
    // With --out, every finished size is checkpointed there (kill -9 safe); --resume continues.
    checkpoint: args.out ? { path: path.join(args.out, 'sweep-checkpoint.json'), resume: args.resume } : undefined,
  });
  if (args.out) {
    const { svg, html } = await sweepReportFiles(result);
    fs.writeFileSync(path.join(args.out, 'sweep.json'), JSON.stringify(result, null, 2) + '\n');
    fs.writeFileSync(path.join(args.out, 'sweep.svg'), svg);
    fs.writeFileSync(path.join(args.out, 'sweep.html'), html);
  }
  return result;
}

/** The text the command prints. */
export function formatSweepResult(result: SweepResult, options: { json?: boolean } = {}): string {
  if (options.json) {
    const { costs: _costs, hardware: _hw, ...summary } = result;
    return JSON.stringify(summary, null, 2);
  }
  const head =
    `${result.model} on ${result.dataset.name} ${result.dataset.split}: ${result.dataset.images} images ` +
    `(${result.calibrationImages} calibration), ideal accuracy ${(result.idealAccuracy * 100).toFixed(2)}% ` +
    `at ${Math.round(result.idealImagesPerSecond)} img/s; non-ideal: ${JSON.stringify(result.mapping.default)}`;
  return `${head}\n${describeInputActivity(result.inputActivity)}\n${textTable(sweepTableRows(result))}`;
}

export const sweepCommand: CommandModule<object, SweepArgs> = {
  command: 'sweep <model>',
  describe: 'Ideal and non-ideal accuracy, energy, latency, area and EDAP of a model on each homogeneous crossbar size',
  builder: (y) =>
    y
      .positional('model', { type: 'string', describe: 'an ONNX model' })
      .option('dataset', { type: 'string', choices: [...DATASET_NAMES], default: 'mnist', describe: 'evaluation data set' })
      .option('data-path', { type: 'string', describe: 'folder holding the data set files' })
      .option('sizes', { type: 'string', default: DEFAULT_SWEEP_SIZES.join(','), describe: 'crossbar sizes (rows = cols), comma-separated' })
      .option('limit', { type: 'number', describe: 'evaluate the first N test images' })
      .option('calibration', { type: 'number', default: 256, describe: 'training images for the per-layer input scales' })
      .option('mapping', {
        type: 'string',
        describe: 'mapping JSON with device/converter settings { "default": {...}, "layers": {...} } (merged over the default non-idealities; sizes are swept)',
      })
      .option('hardware', { type: 'string', describe: 'hardware config JSON for the cost model (overrides the defaults)' })
      .option('batch-size', { type: 'number', describe: 'images per executor batch (default 100)' })
      .option('threads', sharedOptions.threads)
      .option('chips', { ...sharedOptions.chips, default: 1 })
      .option('input-activity', sharedOptions.inputActivity)
      .option('json', sharedOptions.json)
      .option('out', { type: 'string', describe: 'folder for sweep.json, sweep.svg and sweep.html' })
      .option('resume', { type: 'boolean', describe: 'continue a stopped sweep from <out>/sweep-checkpoint.json (needs --out)' })
      .option('progress', sharedOptions.progress) as never,
  handler: async (args) => {
    const bar = createProgressBar('{phase} |{bar}| {value}/{total} images | ETA {eta_formatted}', args);
    const onProgress = (p: SweepProgress) => {
      const phase = p.size === undefined ? p.phase : `${p.phase} ${p.size}x${p.size}${p.chip !== undefined ? ` chip ${p.chip}` : ''}`;
      bar.update(phase, p.done, p.total, { phase });
    };
    try {
      const result = await sweepHandler(args, onProgress);
      bar.stop();
      console.log(formatSweepResult(result, args));
      if (args.out) console.log(`\nwrote ${['sweep.json', 'sweep.svg', 'sweep.html'].map((f) => path.join(args.out!, f)).join(', ')}`);
    } finally {
      bar.stop();
    }
  },
};
