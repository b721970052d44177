/** Shared by crash.test.ts and its child process: a tiny evolve run and a tiny training run. */
import type { EvolveOptions } from '../../lib/codesign/evolve';

export const crashTiny = (outDir: string): EvolveOptions => ({
  outDir,
  seed: 2,
  population: 4,
  generations: 2,
  kernels: [3, 5],
  crossbars: [16, 32],
  network: { width: 4 },
  supernet: { epochs: 2, images: 256, batchSize: 64 },
  finetune: { epochs: 1, images: 128, models: 1 },
  evaluation: { validationImages: 40, testImages: 60, calibrationBatches: 2, calibrationBatchSize: 64, scaleImages: 16, batchSize: 40, chips: 2 },
});

export const crashTrainSettings = { images: 1024, epochs: 6, batchSize: 64 };
