/**
 * Child process of crash.test.ts: runs one job to completion (unless killed). argv: kind (evolve |
 * train), folder, and 'resume' to continue a killed run. Prints 'done' at the end.
 */
import * as path from 'path';
import { evolve } from '../../lib/codesign/evolve';
import { loadDataset } from '../../lib/data';
import { buildNetwork, trainModel, TrainModel } from '../../lib/train';
import { crashTiny, crashTrainSettings } from './crash-settings';

async function main(): Promise<void> {
  const [kind, dir, resume] = process.argv.slice(2);
  if (kind === 'evolve') {
    await evolve({ ...crashTiny(dir), resume: resume === 'resume' });
  } else {
    const s = crashTrainSettings;
    const train = await loadDataset({ name: 'mnist', split: 'train', limit: s.images });
    const model = new TrainModel(buildNetwork('resnet-mnist', { inputShape: train.shape, classes: train.classes, width: 4 }), { seed: 3 });
    await trainModel(model, { images: train.images, labels: train.labels, count: train.count }, {
      epochs: s.epochs, batchSize: s.batchSize, lr: 0.05, seed: 3, checkpoint: path.join(dir, 'train.ckpt'), resume: resume === 'resume',
    });
  }
  process.stdout.write('done\n');
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exit(1);
});
