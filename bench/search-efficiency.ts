/**
 * Search efficiency at equal budget (issue 14): the hypervolume of the front that random search,
 * plain NSGA-II, NSGA-II with the successive-halving screen, with the predictor pre-screen and
 * with both reach when each may spend the same number of full-evaluation equivalents (a full
 * candidate simulation costs 1, a screening rung at fidelity f costs f), mean +- sample std over
 * seeds (lib/search/efficiency.ts).
 *
 * Two problems:
 * - surrogate (default, seconds): lib/search/efficiency.ts surrogateProblem, 6 layers, accuracy
 *   measured on 400 simulated images (binomial noise); the hypervolume scores each method's
 *   measured front by its true objectives.
 * - real (`--real`, tens of minutes): the --quick supernet trained on MNIST, every candidate
 *   scored by the co-design evaluator (subnet, BatchNorm recalibration, ONNX, crossbar executor
 *   with the default non-idealities, cost model) on the validation images; a rung scores the
 *   first round(f * images) of them. The hypervolume is on the measured objectives.
 * Hypervolume: exact 2-D, log10 EDAP axis, reference (accuracy floor, 1.01 x the largest EDAP any
 * run evaluated), the same for every method and seed; printed with the table.
 *
 *   npm run bench -- --only search-efficiency [--quick]
 *   npx tsx bench/search-efficiency.ts --real [--seeds 5] [--budget 48]
 */
import { loadDataset, subset, validationSplit } from '../lib/data';
import { resolveHardware } from '../lib/hardware';
import { buildNetwork, TrainModel, trainModel } from '../lib/train';
import { compareSearchEfficiency, surrogateProblem, type EfficiencyComparison, type FidelityProblem } from '../lib/search';
import { CandidateEvaluator, homogeneousGenome, networkSearchSpace } from '../lib/codesign/candidate';
import { EVOLVE_DEVICE_DEFAULTS, EVOLVE_QUICK } from '../lib/codesign/evolve-options';
import { writeResult } from './run';

const SCREENING = { fidelities: [0.25], keep: 0.5 };
const PRESCREEN = { oversample: 3 };

function print(title: string, c: EfficiencyComparison): void {
  console.log(`${title}: budget ${c.budget} full-evaluation equivalents; hypervolume on ${c.scoredOn} objectives, log10 EDAP axis, reference accuracy ${c.reference.accuracy}, EDAP ${c.reference.edap.toExponential(4)}`);
  console.table(
    c.summary.map((s) => ({
      method: s.method,
      seeds: s.seeds,
      'hypervolume mean': s.hypervolumeMean.toFixed(4),
      'hypervolume std': s.hypervolumeStd === null ? '' : s.hypervolumeStd.toFixed(4),
      'full simulations (mean)': s.fullEvaluationsMean.toFixed(1),
      'ruled out by the screen (mean)': s.savedFullEvaluationsMean.toFixed(1),
      'passed over by the predictor (mean)': c.rows.filter((r) => r.method === s.method).reduce((a, r) => a + r.predictorRejected, 0) / s.seeds,
    })),
  );
}

async function realProblem(options: { validationImages: number; trainImages: number; epochs: number }): Promise<FidelityProblem> {
  const train = await loadDataset({ name: 'mnist', split: 'train' });
  const split = validationSplit(train, { fraction: options.validationImages / train.count, seed: 0, stratify: true });
  const trainSet = subset(train, split.train.subarray(0, options.trainImages));
  const validation = subset(train, split.validation);
  const spec = buildNetwork('resnet-mnist', { kernels: [3, 5, 7], width: EVOLVE_QUICK.network.width, blocks: EVOLVE_QUICK.network.blocks });
  const supernet = new TrainModel(spec, { seed: 0 });
  const t = Date.now();
  await trainModel(supernet, trainSet, { epochs: options.epochs, batchSize: 128, lr: EVOLVE_QUICK.supernet.lr, seed: 0, supernet: true });
  console.log(`supernet: ${options.epochs} epoch(s) on ${trainSet.count} images in ${((Date.now() - t) / 1000).toFixed(0)} s`);
  const layout = networkSearchSpace(spec, [16, 32, 64, 128]);
  const evaluator = new CandidateEvaluator(supernet, {
    layout,
    device: EVOLVE_DEVICE_DEFAULTS,
    hardware: resolveHardware(),
    calibration: trainSet,
    calibrationBatches: EVOLVE_QUICK.evaluation.calibrationBatches,
    calibrationBatchSize: 128,
    scaleImages: 64,
    validation,
    batchSize: 125,
    threads: 0,
    cacheSize: 64,
  });
  // Every method and seed asks for many of the same candidates: score each (genome, fidelity) once.
  const cache = new Map<string, { accuracy: number; edap: number }>();
  return {
    space: layout.space,
    images: validation.count,
    initialGenomes: [16, 32, 64, 128].map((x) => homogeneousGenome(layout.space, x, 3)),
    async evaluate(genomes, fidelity) {
      const images = fidelity < 1 ? Math.max(1, Math.round(fidelity * validation.count)) : undefined;
      const out = [];
      for (const g of genomes) {
        const key = `${images ?? 'all'}:${JSON.stringify(g)}`;
        let r = cache.get(key);
        if (!r) {
          const full = await evaluator.evaluate(g, undefined, images);
          r = { accuracy: full.accuracy, edap: full.edap };
          cache.set(key, r);
        }
        out.push(r);
      }
      return out;
    },
  };
}

export async function run(opts: { quick: boolean; real?: boolean; seeds?: number; budget?: number }): Promise<unknown> {
  const seeds = Array.from({ length: opts.seeds ?? (opts.quick ? 3 : 10) }, (_, i) => i + 1);
  const rows: Record<string, unknown> = {};
  const t = Date.now();
  const surrogate = await compareSearchEfficiency(surrogateProblem({ layers: 6, images: 400 }), {
    budget: opts.budget ?? (opts.quick ? 64 : 128), seeds, population: 16, screening: SCREENING, prescreen: PRESCREEN, accuracyFloor: 0.5,
  });
  print(`surrogate (${((Date.now() - t) / 1000).toFixed(1)} s)`, surrogate);
  rows.surrogate = surrogate;
  if (opts.real) {
    const problem = await realProblem({ validationImages: opts.quick ? 200 : 400, trainImages: opts.quick ? 4000 : 10000, epochs: 1 });
    const t1 = Date.now();
    const real = await compareSearchEfficiency(problem, {
      budget: opts.budget ?? (opts.quick ? 16 : 48), seeds, population: opts.quick ? 6 : 12, screening: SCREENING, prescreen: { oversample: 3, minSamples: opts.quick ? 6 : 16 }, accuracyFloor: 0.1,
    });
    print(`real supernet, MNIST (${((Date.now() - t1) / 1000).toFixed(0)} s)`, real);
    rows.real = real;
  }
  writeResult('search-efficiency', rows);
  return rows;
}

if (require.main === module) {
  const arg = (name: string) => {
    const i = process.argv.indexOf(name);
    return i >= 0 ? Number(process.argv[i + 1]) : undefined;
  };
  run({ quick: process.argv.includes('--quick'), real: process.argv.includes('--real'), seeds: arg('--seeds'), budget: arg('--budget') }).catch((err) => {
    console.error(err);
    process.exitCode = 1;
  });
}
