/**
 * What hardware-aware fine-tuning recovers (not a bench suite: run it by hand,
 * `npx tsx bench/_train_hw.ts CHECKPOINT [images] [steps]`). Takes a trained
 * model, measures its test accuracy ideal and on crossbars with the default
 * non-idealities (DEFAULT_NON_IDEAL, 64x64), then fine-tunes it for `steps`
 * batches twice from the same start, once plainly and once hardware-aware,
 * and measures both again. HW_SIGMA (default 0.1, the preset) sets the
 * programming variation (lognormal sigma of ln G) of the crossbars and of the
 * training noise; with HW_SIGMA set, stuck-at faults are HW_STUCK (default 1%) each way.
 */
import { loadDataset } from '../lib/data';
import { DEFAULT_NON_IDEAL } from '../lib/crossbar/presets';
import { evaluateModel } from '../lib/runtime/evaluate';
import { buildNetwork, exportOnnx, loadCheckpoint, TrainModel, trainModel } from '../lib/train';
import type { TrainCheckpointMeta } from '../lib/train';

const sigma = Number(process.env.HW_SIGMA ?? 0.1);
const device = process.env.HW_SIGMA
  ? { ...DEFAULT_NON_IDEAL, variation: { sigma, distribution: 'lognormal' as const }, stuckAtOn: Number(process.env.HW_STUCK ?? 0.01), stuckAtOff: Number(process.env.HW_STUCK ?? 0.01) }
  : { ...DEFAULT_NON_IDEAL };

async function crossbarAccuracy(model: TrainModel, dataset: 'mnist' | 'fashion-mnist', limit: number) {
  const r = await evaluateModel({ model: exportOnnx(model), dataset, limit, xbar: 64, mapping: { default: device }, skipOrt: true });
  return { ideal: r.accuracy.ideal, crossbar: r.accuracy.crossbar };
}

/** The checkpoint's model (checkpoints of older builds lack the spec: the default resnet-mnist). */
function load(file: string): TrainModel {
  const c = loadCheckpoint<TrainCheckpointMeta>(file);
  const model = new TrainModel(c.meta.spec ?? buildNetwork('resnet-mnist'));
  model.loadState(c.state);
  return model;
}

async function main() {
  const [file, imagesArg, stepsArg, datasetArg] = process.argv.slice(2);
  const limit = Number(imagesArg ?? 1000), steps = Number(stepsArg ?? 100);
  const dataset = (datasetArg ?? 'mnist') as 'mnist' | 'fashion-mnist';
  const train = await loadDataset({ name: dataset, split: 'train', limit: steps * 128 });
  const rows: Record<string, unknown>[] = [];
  const t0 = Date.now();
  const base = load(file);
  rows.push({ model: 'trained', ...(await crossbarAccuracy(base, dataset, limit)) });
  for (const hw of [false, true]) {
    const model = load(file);
    await trainModel(model, train, {
      epochs: 1, lr: 0.01, warmupEpochs: 0, seed: 7,
      hardwareAware: hw ? { weightBits: 8, multiplicativeSigma: sigma, additiveSigma: 0.3 * sigma } : undefined,
    });
    rows.push({ model: hw ? `+${steps} steps hardware-aware` : `+${steps} steps plain`, ...(await crossbarAccuracy(model, dataset, limit)) });
  }
  console.table(rows);
  console.log(`${((Date.now() - t0) / 1000).toFixed(0)} s`);
}
main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
