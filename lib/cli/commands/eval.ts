/**
 * `nax-native eval model.onnx --dataset mnist --xbar 64`: accuracy from
 * onnxruntime-node, from the executor in ideal mode (they must agree) and on
 * crossbars under a per-layer mapping, with the per-layer mapping table and
 * the cost model's energy, latency and EDAP.
 */
import type { CommandModule } from 'yargs';
import type { DatasetName } from '../../data';
import { DATASET_NAMES } from '../../data';
import type { Normalization } from '../../data';
import { DEFAULT_NORMALIZATION } from '../../data';
import { ErrorCodes, NaxError, expectOneOf } from '../../errors';
import { evaluateModel, EvaluateResult } from '../../runtime/evaluate';
import { GROUP_PACKINGS, loadMapping } from '../../plan';
import { readOnnxFile } from '../../onnx/reader';
import { describeInputActivity, expectInputActivityChoice } from '../../hardware';
import { type OpList, formatOpList, listOps } from '../../runtime/op-list';
import { createProgressBar, formatChipAccuracy, parseChips, parseThreads, sharedOptions } from '../flags';

export interface EvalCommandOptions {
  model: string;
  dataset?: DatasetName;
  dataPath?: string;
  xbar?: number;
  mapping?: string;
  limit?: number;
  batchSize?: number;
  threads?: number;
  /** Device instances (default 1). */
  chips?: number;
  json?: boolean;
  progress?: boolean;
  skipOrt?: boolean;
  /** 'dataset' (default), 'none', or "MEAN:STD" with comma-separated per-channel values. */
  normalize?: string;
  /** 'per-group' (default) or 'block-diagonal' packing of grouped/depthwise convs onto arrays. */
  groupPacking?: string;
  /** Only list the model's ops (count, crossbars or digital) and exit; no data is read. */
  listOps?: boolean;
  /** 'measured' (default) or 'default': the input activity of the read energy. */
  inputActivity?: string;
}

/** `eval --list-ops`: per op type, count and where it runs, from the model file alone. */
export function listOpsHandler(model: string): OpList {
  return listOps(readOnnxFile(model, { checkOps: false }));
}

/**
 * `--normalize`: 'dataset' (the data set's documented mean/std, as torchvision examples train
 * with), 'none' (plain [0, 1] pixels) or "MEAN:STD" (e.g. "0.5:0.5" or "0.49,0.48,0.45:0.25,0.24,0.26").
 */
export function parseNormalizeFlag(value: string | undefined): boolean | Normalization {
  if (value === undefined || value === 'dataset') return true;
  if (value === 'none') return false;
  const parts = value.split(':');
  const list = (text: string | undefined) => (text ?? '').split(',').map((v) => (v.trim() === '' ? NaN : Number(v)));
  const mean = list(parts[0]);
  const std = list(parts[1]);
  if (parts.length !== 2 || mean.length !== std.length || [...mean, ...std].some((v) => !Number.isFinite(v)) || std.some((v) => v <= 0))
    throw new NaxError(
      ErrorCodes.invalidArgument,
      `expected dataset, none or MEAN:STD (per-channel comma-separated numbers, std > 0, e.g. 0.5:0.5) for --normalize, got ${JSON.stringify(value)}`,
    );
  return { mean, std };
}

function describeNormalization(r: EvaluateResult): string {
  if (!r.normalization) return 'plain [0, 1] pixels (--normalize none)';
  const isDefault = JSON.stringify(r.normalization) === JSON.stringify(DEFAULT_NORMALIZATION[r.dataset]);
  return `(x - mean) / std with mean ${r.normalization.mean.join(', ')}, std ${r.normalization.std.join(', ')}${isDefault ? ` (the ${r.dataset} default; --normalize none for [0, 1] pixels)` : ''}`;
}

export async function evalHandler(o: EvalCommandOptions): Promise<EvaluateResult> {
  const threads = parseThreads(o.threads);
  const chips = parseChips(o.chips, 1);
  const dataset = expectOneOf('dataset', o.dataset ?? 'mnist', DATASET_NAMES);
  const normalize = parseNormalizeFlag(o.normalize);
  const mapping = o.mapping ? loadMapping(o.mapping) : undefined;
  const groupPacking = expectOneOf('--group-packing', o.groupPacking ?? 'per-group', GROUP_PACKINGS);
  const inputActivity = expectInputActivityChoice('--input-activity', o.inputActivity ?? 'measured');
  const bar = createProgressBar('eval [{bar}] {percentage}% | {value}/{total} images | {phase}', o);
  try {
    return await evaluateModel({
      model: o.model,
      dataset,
      dataPath: o.dataPath,
      limit: o.limit,
      xbar: o.xbar,
      mapping,
      batchSize: o.batchSize,
      threads,
      chips,
      skipOrt: o.skipOrt,
      normalize,
      groupPacking,
      inputActivity,
      // One bar over every phase (the total counts each phase's images).
      onProgress: (done, total, phase) => bar.update('eval', done, total, { phase }),
    });
  } finally {
    bar.stop();
  }
}

const pct = (x: number | null) => (x === null ? 'n/a' : `${(100 * x).toFixed(2)}%`);

export function formatEval(r: EvaluateResult): string {
  const lines = [
    `model ${r.model} on ${r.dataset} (${r.images} test images)`,
    `  input            : ${describeNormalization(r)}`,
    `  onnxruntime-node : ${r.onnxruntimeSkipped === null ? pct(r.accuracy.onnxruntime) : `n/a: ${r.onnxruntimeSkipped}`}`,
    `  executor ideal   : ${pct(r.accuracy.ideal)}  (top-1 agreement with onnxruntime-node ${pct(r.idealOrtAgreement)}, max logit rel. error ${r.idealOrtMaxRelativeError === null ? 'n/a' : r.idealOrtMaxRelativeError.toExponential(2)})`,
    `  crossbars        : ${formatChipAccuracy(r.crossbarChips)}`,
    `  signed inputs    : ${r.signedInputLayers.length ? `${r.signedInputLayers.join(', ')} (calibration inputs go negative: a positive and a negative pass, run and costed)` : 'none'}`,
    `  total: ${r.total.arrays} arrays, ${(r.total.energyJoules * 1e6).toFixed(3)} uJ, ${(r.total.latencySeconds * 1e6).toFixed(2)} us, ${r.total.areaMm2.toFixed(3)} mm^2, EDAP ${r.total.edap.toExponential(3)} J*s*mm^2 per image`,
    `  ${describeInputActivity(r.inputActivity)}`,
  ];
  return lines.join('\n');
}

export const evalCommand: CommandModule<object, EvalCommandOptions> = {
  command: 'eval <model>',
  describe: 'Accuracy of an ONNX model: onnxruntime-node, ideal executor and crossbars, with per-layer arrays and EDAP',
  builder: (y) =>
    y
      .positional('model', { type: 'string', describe: 'ONNX model file', demandOption: true })
      .option('dataset', { type: 'string', choices: [...DATASET_NAMES], default: 'mnist', describe: 'data set (test split)' })
      .option('data-path', { type: 'string', describe: 'directory of the data set files (MNIST: embedded by default)' })
      .option('xbar', { type: 'number', describe: 'square crossbar size for every layer (default 64)' })
      .option('mapping', { type: 'string', describe: 'JSON mapping: { "default": {...}, "layers": { "<node name>": {...} } }' })
      .option('limit', { type: 'number', describe: 'evaluate only the first N test images' })
      .option('batch-size', { type: 'number', default: 100 })
      .option('threads', sharedOptions.threads)
      .option('chips', { ...sharedOptions.chips, default: 1 })
      .option('input-activity', sharedOptions.inputActivity)
      .option('skip-ort', { type: 'boolean', describe: 'do not run onnxruntime-node' })
      .option('normalize', {
        type: 'string',
        default: 'dataset',
        describe: "input normalisation the model was trained with: 'dataset' (the data set's mean/std), 'none' ([0, 1] pixels) or MEAN:STD",
      })
      .option('group-packing', {
        type: 'string',
        choices: [...GROUP_PACKINGS],
        default: 'per-group',
        describe: "grouped/depthwise convs: one matrix per group, or P groups on the diagonal of one matrix (fewer arrays and reads)",
      })
      .option('list-ops', { type: 'boolean', describe: 'only list the ops (count per type, crossbars or digital) and exit, reading no data' })
      .option('progress', sharedOptions.progress)
      .option('json', sharedOptions.json) as never,
  handler: async (args) => {
    if (args.listOps) {
      const list = listOpsHandler(args.model);
      console.log(args.json ? JSON.stringify(list, null, 2) : formatOpList(list));
      return;
    }
    const r = await evalHandler(args);
    if (args.json) {
      console.log(JSON.stringify(r, null, 2));
      return;
    }
    console.log(formatEval(r));
    console.table(
      r.layers.map((l) => ({
        layer: l.name,
        op: l.opType,
        'K x N': l.shape,
        crossbar: l.crossbar,
        arrays: l.arrays,
        utilization: `${(100 * l.utilization).toFixed(1)}%`,
        'energy (nJ)': Number((l.energyJoules * 1e9).toFixed(3)),
        'latency (us)': Number((l.latencySeconds * 1e6).toFixed(3)),
        EDAP: l.edap.toExponential(2),
      })),
    );
  },
};
