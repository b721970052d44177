/**
 * End-to-end `evolve()` with the optional genes (issue 14's search space): crossbar columns
 * searched apart from the rows (non-square arrays) and the ADC resolution per layer. The chosen
 * model's exported ONNX + mapping, re-run from the files as `nax-native eval` would, must
 * reproduce the test accuracy results.json records for chip 0, under the non-square plan.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { evolve } from '../../lib/codesign/evolve';
import type { EvolveResults } from '../../lib/codesign/results';
import { loadDataset } from '../../lib/data';
import { readOnnx } from '../../lib/onnx/reader';
import { planGraph } from '../../lib/plan';
import { classifyOnCrossbars } from '../../lib/runtime/classify';
import { tiny } from './tiny-evolve';

describe('evolve with column and ADC genes (tiny end-to-end)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nax-evolve-nonsquare-'));
  let results: EvolveResults;

  beforeAll(async () => {
    results = await evolve({ ...tiny(dir), seed: 9, cols: [16, 32, 64], adcBitsGene: [5, 'lossless'] });
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('every genome carries rows, columns and ADC genes; the search visits non-square arrays; baselines stay square and lossless', () => {
    expect(results.config.cols).toEqual([16, 32, 64]);
    expect(results.config.adcBitsGene).toEqual([5, 'lossless']);
    const all = results.search.candidates;
    for (const c of all) {
      expect(c.genome.cols).toHaveLength(c.genome.crossbars.length);
      expect(c.genome.adcBits).toHaveLength(c.genome.crossbars.length);
    }
    const nonSquare = all.filter((c) => c.genome.cols!.some((cols, i) => cols !== c.genome.crossbars[i]));
    expect(nonSquare.length).toBeGreaterThan(0);
    for (const b of results.baselines) {
      expect(b.genome.cols).toEqual(b.genome.crossbars);
      expect(new Set(b.genome.adcBits)).toEqual(new Set(['lossless']));
    }
  });

  test("the final models' layer records, plan and mapping files agree with their genomes", () => {
    for (const m of [...results.finals, ...results.baselines]) {
      m.layers.forEach((l, i) => {
        expect([l.crossbar, l.cols, l.adcBits]).toEqual([m.genome.crossbars[i], m.genome.cols![i], m.genome.adcBits![i]]);
        expect([m.plan[i].rows, m.plan[i].cols]).toEqual([l.crossbar, l.cols]);
        if (l.adcBits === 5) expect(m.plan[i].adcBits).toBe(5);
      });
      expect(m.crossbarShapes.sort()).toEqual([...new Set(m.layers.map((l) => `${l.crossbar}x${l.cols}`))].sort());
      const mapping = JSON.parse(fs.readFileSync(path.join(dir, m.files.mapping), 'utf8'));
      m.layers.forEach((l) => expect(mapping.layers[l.layer]).toMatchObject({ rows: l.crossbar, cols: l.cols, ...(m.genome.adcBits ? { adcBits: l.adcBits } : {}) }));
    }
  });

  test("the chosen model re-run from its files reproduces chip 0's test accuracy", async () => {
    const chosen = results.finals[0];
    const graph = readOnnx(fs.readFileSync(path.join(dir, chosen.files.onnx)));
    const mapping = JSON.parse(fs.readFileSync(path.join(dir, chosen.files.mapping), 'utf8'));
    const inputRanges = new Map(chosen.plan.map((l) => [l.layer, { maxAbs: l.inputScale ?? 0, min: l.signedInput ? -1 : 0 }]));
    const plan = planGraph(graph, { mapping, inputRanges });
    expect(plan.layers.map((l) => [l.config.rows, l.config.cols, l.config.adcBits, l.arrays])).toEqual(chosen.plan.map((l) => [l.rows, l.cols, l.adcBits, l.arrays]));
    // The test split exactly as evolve() loads it (normalised, the first testImages images).
    const test = await loadDataset({ name: 'mnist', split: 'test', limit: results.config.evaluation.testImages });
    const images = test.images, n = test.count;
    const run = await classifyOnCrossbars(graph, plan, { images, labels: test.labels, count: n, shape: [1, 28, 28] }, { batchSize: 40 });
    expect(run.accuracy).toBe(chosen.test.chips.accuracies[0]);
  });
});
