/**
 * Search throughput: candidates evaluated per minute by the co-design search's evaluator (subnet
 * extraction + BatchNorm recalibration, ONNX export and read, input-scale calibration, programming
 * every layer under the genome's mapping with the default non-idealities, crossbar-mode inference
 * on the validation images, cost model), for the default `evolve` network and validation size and
 * for the --quick ones. Genomes are drawn at random (seeded), so kernels and crossbar sizes vary as
 * they do in a search; weights are untrained (the work does not depend on them).
 *
 * The machine is shared: wall time and this process's CPU time are both reported; CPU seconds / 2
 * is what an idle 2-core machine would take when both cores are kept busy.
 */
import { Bench } from 'tinybench';
import { loadDataset } from '../lib/data';
import { resolveHardware } from '../lib/hardware';
import { buildNetwork, TrainModel } from '../lib/train';
import { Rng } from '../lib/search/random';
import { randomGenome } from '../lib/search/genome';
import { CandidateEvaluator, networkSearchSpace } from '../lib/codesign/candidate';
import { EVOLVE_DEFAULTS, EVOLVE_DEVICE_DEFAULTS, EVOLVE_QUICK } from '../lib/codesign/evolve-options';
import { writeResult } from './run';

export interface SearchBenchRow {
  setting: string;
  width: number;
  validationImages: number;
  candidates: number;
  wallSecondsPerCandidate: number;
  cpuSecondsPerCandidate: number;
  candidatesPerMinute: number;
  /** Candidates per minute if the CPU time were spread over 2 idle cores. */
  candidatesPerMinuteIdle2Cores: number;
}

export async function run(opts: { quick: boolean }): Promise<SearchBenchRow[]> {
  const cases = [
    { setting: 'evolve --quick', width: EVOLVE_QUICK.network.width, validation: EVOLVE_QUICK.evaluation.validationImages, calibration: EVOLVE_QUICK.evaluation.calibrationBatches },
    { setting: 'evolve (defaults)', width: EVOLVE_DEFAULTS.network.width, validation: EVOLVE_DEFAULTS.evaluation.validationImages, calibration: EVOLVE_DEFAULTS.evaluation.calibrationBatches },
  ];
  const data = await loadDataset({ name: 'mnist', split: 'train', limit: 2000 });
  const rows: SearchBenchRow[] = [];
  for (const c of opts.quick ? cases.slice(0, 1) : cases) {
    const spec = buildNetwork('resnet-mnist', { kernels: [3, 5, 7], width: c.width });
    const layout = networkSearchSpace(spec, [16, 32, 64, 128]);
    const model = new TrainModel(spec, { seed: 1 });
    const evaluator = new CandidateEvaluator(model, {
      layout,
      device: EVOLVE_DEVICE_DEFAULTS,
      hardware: resolveHardware(),
      calibration: { images: data.images, labels: data.labels, count: 1024 },
      calibrationBatches: c.calibration,
      calibrationBatchSize: 128,
      scaleImages: 64,
      validation: { images: data.images.subarray(1024 * 784), labels: data.labels.subarray(1024), count: c.validation },
      batchSize: 200,
      threads: 0,
    });
    const rng = new Rng(7);
    const count = opts.quick ? 3 : 6;
    const genomes = Array.from({ length: count }, () => randomGenome(layout.space, rng));
    let next = 0;
    const cpu0 = process.cpuUsage();
    const bench = new Bench({ iterations: count, time: 0, warmupIterations: 0, warmupTime: 0 });
    bench.add(c.setting, async () => {
      await evaluator.evaluate(genomes[next++ % genomes.length]);
    });
    await bench.run();
    const cpu = process.cpuUsage(cpu0);
    const wall = bench.tasks[0].result!.mean / 1000;
    const cpuPer = (cpu.user + cpu.system) / 1e6 / count;
    rows.push({
      setting: c.setting,
      width: c.width,
      validationImages: c.validation,
      candidates: count,
      wallSecondsPerCandidate: wall,
      cpuSecondsPerCandidate: cpuPer,
      candidatesPerMinute: 60 / wall,
      candidatesPerMinuteIdle2Cores: 60 / (cpuPer / 2),
    });
  }
  console.table(
    rows.map((r) => ({
      setting: r.setting,
      width: r.width,
      'validation images': r.validationImages,
      candidates: r.candidates,
      's/candidate (wall)': r.wallSecondsPerCandidate.toFixed(2),
      'CPU s/candidate': r.cpuSecondsPerCandidate.toFixed(2),
      'candidates/min': r.candidatesPerMinute.toFixed(1),
      'candidates/min (2 idle cores)': r.candidatesPerMinuteIdle2Cores.toFixed(1),
    })),
  );
  writeResult('search', rows);
  return rows;
}

if (require.main === module) {
  run({ quick: process.argv.includes('--quick') }).catch((err) => {
    console.error(err);
    process.exitCode = 1;
  });
}
