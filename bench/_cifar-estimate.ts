/**
 * Figures for the README's on-paper estimate of a CIFAR-10 default `evolve` run on 16 machines:
 * CPU seconds per candidate of the CIFAR-10 default search (ResNet-20 width 8, kernels {3,5,7},
 * crossbars {16..128}, 800 validation images, 8 x 128 calibration images) and per supernet training
 * step (batch 128), on synthetic 32x32x3 images (the work does not depend on the pixels or on
 * trained weights). CPU seconds / 2 is an idle 2-core machine's wall time.
 *   npx tsx bench/_cifar-estimate.ts [candidates]
 */
import { resolveHardware } from '../lib/hardware';
import { buildNetwork, TrainModel } from '../lib/train';
import { Rng } from '../lib/search/random';
import { randomGenome } from '../lib/search/genome';
import { CandidateEvaluator, networkSearchSpace } from '../lib/codesign/candidate';
import { EVOLVE_DEFAULTS, EVOLVE_DEVICE_DEFAULTS } from '../lib/codesign/evolve-options';

async function main(): Promise<void> {
  const count = Number(process.argv[2] ?? 3);
  const shape: [number, number, number] = [3, 32, 32];
  const size = 3 * 32 * 32;
  const n = 1024 + EVOLVE_DEFAULTS.evaluation.validationImages;
  const rng = new Rng(1);
  const images = Float32Array.from({ length: n * size }, () => rng.nextFloat() * 2 - 1);
  const labels = Uint8Array.from({ length: n }, (_, i) => i % 10);
  const spec = buildNetwork('resnet20', { inputShape: shape, classes: 10, kernels: [3, 5, 7], width: EVOLVE_DEFAULTS.network.width, blocks: 3 });
  const model = new TrainModel(spec, { seed: 1 });
  const layout = networkSearchSpace(spec, [16, 32, 64, 128]);
  const e = EVOLVE_DEFAULTS.evaluation;
  const evaluator = new CandidateEvaluator(model, {
    layout, device: EVOLVE_DEVICE_DEFAULTS, hardware: resolveHardware(),
    calibration: { images, labels, count: 1024 }, calibrationBatches: e.calibrationBatches, calibrationBatchSize: e.calibrationBatchSize, scaleImages: e.scaleImages,
    validation: { images: images.subarray(1024 * size), labels: labels.subarray(1024), count: e.validationImages }, batchSize: e.batchSize, threads: 0,
  });
  const genomes = Array.from({ length: count }, () => randomGenome(layout.space, rng));
  let cpu0 = process.cpuUsage();
  let t0 = Date.now();
  for (const g of genomes) await evaluator.evaluate(g);
  let cpu = process.cpuUsage(cpu0);
  const candidateCpu = (cpu.user + cpu.system) / 1e6 / count;
  console.log(`CIFAR-10 default candidate: ${candidateCpu.toFixed(1)} CPU s (${((Date.now() - t0) / 1000 / count).toFixed(1)} wall s on this machine now)`);
  const batch = EVOLVE_DEFAULTS.supernet.batchSize;
  const steps = 5;
  await model.native.trainStep({ images: images.subarray(0, batch * size), labels: labels.subarray(0, batch), count: batch, lr: 0.01, momentum: 0.9, weightDecay: 5e-4 });
  cpu0 = process.cpuUsage();
  t0 = Date.now();
  for (let s = 0; s < steps; s++) await model.native.trainStep({ images: images.subarray(0, batch * size), labels: labels.subarray(0, batch), count: batch, lr: 0.01, momentum: 0.9, weightDecay: 5e-4 });
  cpu = process.cpuUsage(cpu0);
  console.log(`CIFAR-10 supernet step (batch ${batch}): ${((cpu.user + cpu.system) / 1e6 / steps).toFixed(2)} CPU s (${((Date.now() - t0) / 1000 / steps).toFixed(2)} wall s)`);
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
