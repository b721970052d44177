/** The tiny evolve() settings of evolve.test.ts (a 4-channel ResNet, a few hundred MNIST images) and the comparison that ignores timings. */
import type { EvolveOptions } from '../../lib/codesign/evolve';
import type { EvolveResults } from '../../lib/codesign/results';

export const tiny = (outDir: string): EvolveOptions => ({
  outDir,
  seed: 5,
  population: 4,
  generations: 2,
  kernels: [3, 5],
  crossbars: [16, 32],
  network: { width: 4 },
  supernet: { epochs: 1, images: 384, batchSize: 64 },
  finetune: { epochs: 1, images: 128, models: 2 },
  evaluation: { validationImages: 40, testImages: 60, calibrationBatches: 2, calibrationBatchSize: 64, scaleImages: 16, batchSize: 40, chips: 3 },
});

/** The parts of results that must not depend on timing, resumption, the folder or the queue. */
export function comparable(r: EvolveResults) {
  const { timings: _t, resumed: _r, config, supernet, ...rest } = r;
  const epochs = supernet.epochs.map(({ seconds: _s, ...e }) => e);
  return { ...rest, supernet: { epochs }, config: { ...config, outDir: '' } };
}
