/**
 * The crossbar-size comparison (issue 7's "network" suite): a reference
 * network trained by the project's own trainer (bench/_reference.ts, cached
 * in .nax-cache/) evaluated on homogeneous crossbars of each size 16..256 —
 * ideal (float) and non-ideal accuracy (DEFAULT_NON_IDEAL: parasitics,
 * programming variation; mean, std and 95% CI over 5 chips in the full run), energy, latency, area and EDAP
 * from the cost model for the same mapping, and simulation throughput.
 *
 * Throughput is wall time over the whole evaluation pass (thousands of
 * images in the full run), so tinybench's repeated sampling adds nothing but
 * time here. bench/network.ts (ResNet-20 speed against onnxruntime-node) is
 * the other network suite.
 *
 * Run: npx tsx bench/crossbar-sizes.ts [--quick]   (or npm run bench -- --only crossbar-sizes)
 */
import { loadDataset } from '../lib/data';
import { DEFAULT_SWEEP_SIZES, sweep, sweepTableRows } from '../lib/sweep';
import { FULL_REFERENCE, QUICK_REFERENCE, referenceModel } from './_reference';
import { writeResult } from './run';

export async function run(opts: { quick: boolean }) {
  const reference = await referenceModel(opts.quick ? QUICK_REFERENCE : FULL_REFERENCE);
  const testImages = opts.quick ? 200 : 2000;
  const [test, calibration] = await Promise.all([
    loadDataset({ name: reference.spec.dataset, split: 'test', limit: testImages }),
    loadDataset({ name: reference.spec.dataset, split: 'train', limit: 256 }),
  ]);
  // Five device instances per size in the full run (one in --quick): accuracy is decided over
  // chips, not one draw of variation (sweep --chips).
  const chips = opts.quick ? 1 : 5;
  const result = await sweep({ model: reference.file, dataset: test, calibration, sizes: DEFAULT_SWEEP_SIZES, chips });
  console.log(
    `reference ${reference.spec.arch} (${reference.spec.epochs} epochs on ${reference.spec.trainImages} images, ` +
      `trainer test accuracy ${(100 * reference.testAccuracy).toFixed(2)}%${reference.cached ? ', cached' : ''}); ` +
      `${test.count} test images; ideal executor ${Math.round(result.idealImagesPerSecond)} img/s; ` +
      `non-ideal: ${JSON.stringify(result.mapping.default)}`,
  );
  console.table(sweepTableRows(result));
  const { file: _file, ...referenceInfo } = reference;
  const summary = {
    reference: referenceInfo,
    testImages: test.count,
    calibrationImages: result.calibrationImages,
    nonIdeal: result.mapping.default,
    idealAccuracy: result.idealAccuracy,
    idealImagesPerSecond: result.idealImagesPerSecond,
    rows: result.rows,
  };
  writeResult('crossbar-sizes', summary);
  return summary;
}

if (require.main === module) {
  run({ quick: process.argv.includes('--quick') }).catch((err) => {
    console.error(err);
    process.exitCode = 1;
  });
}
