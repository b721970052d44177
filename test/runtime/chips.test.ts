/**
 * classifyOverChips: device instances are independent draws of the same plan, scored on MNIST
 * test images with the sweep tests' closed-form template classifier (no training).
 */
import { loadDataset } from '../../lib/data';
import { calibrate, classifyOnCrossbars, classifyOverChips } from '../../lib/runtime/classify';
import { planGraph } from '../../lib/plan';
import { templateClassifier } from '../sweep/models';

const count = 100;

async function labelled() {
  const train = await loadDataset({ name: 'mnist', split: 'train', limit: 300 });
  const data = await loadDataset({ name: 'mnist', split: 'test', limit: count });
  const g = templateClassifier(train, 32);
  return { g, data, ranges: await calibrate(g, train, { images: 64 }) };
}

test('variation: chips draw different accuracies; chip 0 is the single run; correctness is per (chip, image)', async () => {
  const { g, data, ranges } = await labelled();
  const plan = planGraph(g, { mapping: { default: { rows: 32, cols: 32, variation: { sigma: 0.5, distribution: 'lognormal' } } }, inputRanges: ranges });
  const r = await classifyOverChips(g, plan, data, { batchSize: 50, chips: 3 });
  expect(r.chips).toEqual([0, 1, 2]);
  expect(r.accuracies).toHaveLength(3);
  expect(new Set(r.accuracies).size).toBeGreaterThan(1);
  expect(r.correct).toHaveLength(3 * count);
  r.accuracies.forEach((a, c) => expect(r.correct.subarray(c * count, (c + 1) * count).reduce((s, v) => s + v, 0) / count).toBe(a));
  expect(r.summary.n).toBe(3);
  expect(r.summary.std!).toBeGreaterThan(0);
  expect(r.summary.ci95![0]).toBeLessThan(r.summary.mean);
  // Chip 0 is bit-identical to a run of the plan as it was before chips existed.
  const single = await classifyOnCrossbars(g, plan, data, { batchSize: 50 });
  expect(r.accuracies[0]).toBe(single.accuracy);
  // Reproducible: the same chips again give the same scores.
  expect((await classifyOverChips(g, plan, data, { batchSize: 100, chips: 2 })).accuracies).toEqual(r.accuracies.slice(0, 2));
});

test('without random non-idealities every chip scores the same; one chip has no interval', async () => {
  const { g, data, ranges } = await labelled();
  for (const device of [{ ideal: true }, { rows: 32, cols: 32, variation: false as const }]) {
    const plan = planGraph(g, { mapping: { default: device }, inputRanges: ranges });
    const r = await classifyOverChips(g, plan, data, { batchSize: 100, chips: 3 });
    expect(new Set(r.accuracies).size).toBe(1);
    expect(r.summary.std).toBe(0);
  }
  const one = await classifyOverChips(g, planGraph(g, { mapping: { default: { ideal: true } } }), data, { batchSize: 100 });
  expect(one.summary).toMatchObject({ n: 1, std: null, ci95: null });
  await expect(classifyOverChips(g, planGraph(g), data, { batchSize: 100, chips: 0 })).rejects.toMatchObject({ code: 'ERR_NAX_OUT_OF_RANGE' });
});
