/**
 * End-to-end `evolve()` on a tiny problem (a 4-channel ResNet, a few hundred MNIST images, two
 * kernel and two crossbar sizes): outputs, invariants of results.json and report.html, and
 * pipeline-level checkpoint/resume equality (abort mid-search, resume, same result as an
 * uninterrupted run).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { evolve } from '../../lib/codesign/evolve';
import type { EvolveResults } from '../../lib/codesign/results';
import { pairedTTest } from '../../lib/stats';
import { edapChange, summaryLines } from '../../lib/cli/commands/evolve';
import { genomeKey } from '../../lib/search/genome';
import { readOnnx } from '../../lib/onnx/reader';
import { planGraph } from '../../lib/plan';
import { crossbarBackend } from '../../lib/runtime/crossbar-backend';
import { GraphExecutor } from '../../lib/runtime/executor';
import { hardwareCost } from '../../lib/hardware';
import { comparable, tiny } from './tiny-evolve';

function tmp(tag: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `nax-evolve-${tag}-`));
}



describe('evolve (tiny end-to-end)', () => {
  const dir = tmp('e2e');
  let results: EvolveResults;
  const phases = new Set<string>();

  beforeAll(async () => {
    results = await evolve({ ...tiny(dir), onProgress: (e) => phases.add(e.phase) });
  });

  test('writes results.json, report.html and an ONNX + mapping per final model', () => {
    for (const f of ['results.json', 'report.html', 'models/chosen.onnx', 'models/chosen.mapping.json', 'models/baseline.onnx', 'models/baseline-xbar16.mapping.json', 'models/baseline-xbar32.mapping.json'])
      expect(fs.existsSync(path.join(dir, f))).toBe(true);
    const onnx = readOnnx(fs.readFileSync(path.join(dir, 'models/chosen.onnx')));
    const mapping = JSON.parse(fs.readFileSync(path.join(dir, 'models/chosen.mapping.json'), 'utf8'));
    const convs = onnx.nodes.filter((n) => n.opType === 'Conv' || n.opType === 'Gemm').map((n) => n.name);
    expect(Object.keys(mapping.layers).sort()).toEqual([...convs].sort());
    expect(mapping.default.parasitics).toBeTruthy();
    expect([...phases]).toEqual(expect.arrayContaining(['data', 'supernet', 'search', 'final', 'report']));
  });

  test('the plan is the single source: arrays, ADC bits and seeds agree in the executor, the cost model and results.json', async () => {
    const saved = JSON.parse(fs.readFileSync(path.join(dir, 'results.json'), 'utf8')) as EvolveResults;
    const chosen = saved.finals[0];
    const graph = readOnnx(fs.readFileSync(path.join(dir, chosen.files.onnx)));
    const mapping = JSON.parse(fs.readFileSync(path.join(dir, chosen.files.mapping), 'utf8'));
    // The test run's calibration, as results.json records it: DAC full scale and input sign per layer.
    const inputRanges = new Map(chosen.plan.map((l) => [l.layer, { maxAbs: l.inputScale ?? 0, min: l.signedInput ? -1 : 0 }]));
    const plan = planGraph(graph, { mapping, inputRanges });
    // The read energy used the scale images' measured input bits, recorded per layer.
    const devices = Object.fromEntries(chosen.costLayers.map((l) => [l.layer, { activity: { meanDigit: l.meanDigit!, meanSquareDigit: l.meanSquareDigit! } }]));
    expect(chosen.costLayers.map((l) => l.inputActivity)).toEqual(chosen.costLayers.map(() => 'calibration'));
    expect(chosen.inputActivity).toMatchObject({ source: 'measured', defaultLayers: 0 });
    const cost = hardwareCost({ plan, hardware: saved.config.hardware, devices });
    const backend = crossbarBackend(plan);
    try {
      await GraphExecutor.create(graph, { mode: 'crossbar', backend });
      const programmed = backend.programmed();
      expect(plan.layers.map((l) => l.name)).toEqual(chosen.plan.map((l) => l.layer));
      plan.layers.forEach((l, i) => {
        const recorded = chosen.plan[i];
        const groups = programmed.filter((p) => p.layer === l.name);
        // Executor (what the native engine programmed) == plan == results.json == cost model.
        expect(groups.map((g) => g.config.seed)).toEqual(recorded.groupSeeds);
        expect(groups.map((g) => g.state.adcBits)).toEqual(groups.map(() => recorded.adcBits));
        expect(groups.reduce((a, g) => a + g.state.arrays, 0)).toBe(recorded.arrays);
        expect([l.config.adcBits, l.arrays, l.groupSeeds, l.signedInput]).toEqual([recorded.adcBits, recorded.arrays, recorded.groupSeeds, recorded.signedInput]);
        expect([cost.layers[i].crossbar.adcBits, cost.layers[i].arrays]).toEqual([recorded.adcBits, recorded.arrays]);
        expect(chosen.costLayers[i]).toMatchObject({ layer: l.name, arrays: recorded.arrays, adcBits: recorded.adcBits });
        expect(groups.map((g) => g.config.inputScale)).toEqual(groups.map(() => recorded.inputScale ?? undefined));
      });
      expect(cost.total.edap).toBe(chosen.test.edap);
    } finally {
      backend.dispose();
    }
  });

  test('results.json: every candidate once, baselines among them, a non-dominated front, the claims computed', () => {
    const saved = JSON.parse(fs.readFileSync(path.join(dir, 'results.json'), 'utf8')) as EvolveResults;
    expect(saved.format).toBe('nax-evolve-results');
    expect(saved.seed).toBe(5);
    const keys = saved.search.candidates.map((c) => c.key);
    expect(new Set(keys).size).toBe(keys.length);
    expect(saved.search.evaluations).toBe(keys.length);
    for (const c of saved.search.candidates) expect(genomeKey(c.genome)).toBe(c.key);
    expect(saved.baselines.map((b) => b.name)).toEqual(['baseline-xbar16', 'baseline-xbar32']);
    for (const b of saved.baselines) {
      expect(keys).toContain(b.key);
      expect(b.crossbarSizes).toHaveLength(1);
      expect(b.layers.filter((l) => l.searchableKernel).every((l) => l.kernel === 3)).toBe(true);
    }
    // The cost-greedy seed: no more EDAP than the cheapest baseline, arrays no larger than its, and
    // scored in generation 0 when it is not a baseline itself.
    const seed = saved.search.costSeed!;
    expect(keys).toContain(seed.start);
    expect(seed.edap).toBeLessThanOrEqual(seed.startEdap);
    expect(seed.startEdap).toBe(Math.min(...saved.search.candidates.filter((c) => saved.baselines.some((b) => b.key === c.key)).map((c) => c.result.edap)));
    expect(seed.inInitialPopulation).toBe(seed.key !== seed.start);
    const seedCandidate = saved.search.candidates.find((c) => c.key === seed.key)!;
    expect(seedCandidate.generation).toBe(0);
    const startGenome = saved.search.candidates.find((c) => c.key === seed.start)!.genome;
    seedCandidate.genome.crossbars.forEach((x, i) => expect(x).toBeLessThanOrEqual(startGenome.crossbars[i]));
    const front = saved.search.front.map((k) => saved.search.candidates.find((c) => c.key === k)!.result);
    for (const a of front)
      for (const c of saved.search.candidates)
        expect(c.result.accuracy >= a.accuracy && c.result.edap <= a.edap && (c.result.accuracy > a.accuracy || c.result.edap < a.edap)).toBe(false);
    expect(saved.finals[0].name).toBe('chosen');
    expect(saved.finals[0].key).toBe(saved.chosen.key);
    expect(saved.search.front).toContain(saved.chosen.key);
    for (const m of [...saved.finals, ...saved.baselines]) {
      expect(m.test.accuracy).toBeGreaterThanOrEqual(0);
      expect(m.test.idealAccuracy).toBeLessThanOrEqual(1);
      expect(m.test.edap).toBeGreaterThan(0);
      expect(m.costLayers).toHaveLength(10);
    }
    const best = saved.baselines.find((b) => b.name === saved.claims.bestBaseline)!;
    expect(saved.claims.bestBaselineAccuracy).toBe(Math.max(...saved.baselines.map((b) => b.test.accuracy)));
    expect(saved.claims.edapReduction).toBeCloseTo(1 - saved.finals[0].test.edap / best.test.edap, 12);
    expect(saved.claims.chosenUsesMixedCrossbars).toBe(new Set(saved.finals[0].genome.crossbars).size > 1);
    expect(saved.config.device.parasitics).toBeTruthy();
    expect(typeof saved.timings.totalSeconds).toBe('number');
    expect(saved).toEqual(JSON.parse(JSON.stringify(results)));
  });

  test('results.json: per-chip test accuracies of every final model and baseline, and the paired-test claim', () => {
    const saved = JSON.parse(fs.readFileSync(path.join(dir, 'results.json'), 'utf8')) as EvolveResults;
    expect(saved.version).toBe(3);
    expect(saved.config.evaluation.chips).toBe(3);
    for (const m of [...saved.finals, ...saved.baselines]) {
      expect(m.test.chips.chips).toBe(3);
      expect(m.test.chips.accuracies).toHaveLength(3);
      expect(m.test.accuracy).toBeCloseTo(m.test.chips.accuracies.reduce((a, b) => a + b) / 3, 12);
      expect(m.test.chips.std).not.toBeNull();
      expect(m.test.chips.ci95![0]).toBeLessThanOrEqual(m.test.accuracy);
      // Test accuracies are counts over 60 images.
      for (const a of m.test.chips.accuracies) expect(Math.abs(a * 60 - Math.round(a * 60))).toBeLessThan(1e-9);
      expect(m.planChip).toBe(0);
    }
    // Lognormal variation is on by default: chips differ for some model.
    expect([...saved.finals, ...saved.baselines].some((m) => new Set(m.test.chips.accuracies).size > 1)).toBe(true);
    const c = saved.claims.accuracyComparison;
    const best = saved.baselines.find((b) => b.name === saved.claims.bestBaseline)!;
    // Three chips: the t-test has 2 degrees of freedom, so McNemar's test must agree.
    expect([c.chosen, c.baseline, c.chips, c.images, c.decidedBy]).toEqual(['chosen', best.name, 3, 60, 'both']);
    const t = pairedTTest(saved.finals[0].test.chips.accuracies, best.test.chips.accuracies);
    expect(c.pairedT).toEqual(JSON.parse(JSON.stringify(t)));
    expect(c.mcnemar.pairs).toBe(180);
    // The discordant counts agree with the per-chip accuracies: b - c = total correct (chosen) - total correct (baseline).
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0) * 60;
    expect(c.mcnemar.b - c.mcnemar.c).toBeCloseTo(sum(saved.finals[0].test.chips.accuracies) - sum(best.test.chips.accuracies), 9);
    expect(c.mcnemar.p).toBeGreaterThan(0);
    expect(c.mcnemar.p).toBeLessThanOrEqual(1);
    const mcnemarWorse = c.mcnemar.p < 0.05 && c.mcnemar.c > c.mcnemar.b;
    const mcnemarBetter = c.mcnemar.p < 0.05 && c.mcnemar.b > c.mcnemar.c;
    if (t.ci95 !== null) {
      expect(saved.claims.accuracyAtLeastBaseline).toBe(t.ci95[1] >= 0 && !mcnemarWorse);
      expect(saved.claims.accuracySignificantlyHigher).toBe(t.ci95[0] > 0 && mcnemarBetter);
    } else {
      expect(saved.claims.accuracyAtLeastBaseline).toBe(!mcnemarWorse);
      expect(saved.claims.accuracySignificantlyHigher).toBe(mcnemarBetter);
    }
    expect(saved.claims.chosenAccuracy).toBe(saved.finals[0].test.accuracy);
    expect(saved).toEqual(JSON.parse(JSON.stringify(results)));
  });

  test('report.html is self-contained and shows the scatter, the comparison and per-layer choices', () => {
    const html = fs.readFileSync(path.join(dir, 'report.html'), 'utf8');
    expect(html).toMatch(/^<!doctype html>/);
    expect((html.match(/<svg/g) ?? []).length).toBeGreaterThanOrEqual(2);
    expect(html).not.toMatch(/<script|<link|src="http/);
    expect(html).toContain('Comparison on the test split');
    expect(html).toContain('Per-layer choices of the final models');
    expect(html).toContain('baseline-xbar16');
    expect(html).toContain('stage3.block1.2.conv');
    expect(html).toContain(results.chosen.key);
    expect(html).toContain('mean ± std over chips');
    expect(html).toContain('paired t over 3 chips');
    expect(html).toContain('McNemar exact over 180 (chip, image) pairs');
  });

  test("the CLI's final table shows mean ± std and the 95% CI over the chips, and both tests' numbers", () => {
    const text = summaryLines(results).join('\n');
    expect(text).toContain('test split, 3 chips');
    for (const m of [...results.finals, ...results.baselines])
      expect(text).toMatch(new RegExp(`${m.name} +\\d+\\.\\d\\d% +\\d+\\.\\d\\d% ± \\d+\\.\\d\\d% \\(95% CI `));
    expect(text).toMatch(/paired t over 3 chips: mean difference [+-]\d+\.\d\d% \(95% CI .*McNemar exact over 180 .*decided by both tests \(each claim needs both\)/);
    // The EDAP change is worded by its sign, never as a negative reduction.
    const change = results.claims.edapReduction;
    expect(text).toContain(`EDAP ${(100 * Math.abs(change)).toFixed(1)}% ${change >= 0 ? 'lower' : 'higher'}`);
    expect(edapChange(-0.993)).toBe('99.3% higher');
    expect(edapChange(0.187)).toBe('18.7% lower');
  });

  test('a rerun in the same folder reuses the trained supernet and gives the same result', async () => {
    const again = await evolve(tiny(dir));
    expect(comparable(again)).toEqual(comparable(results));
    expect(again.timings.supernetSeconds as number).toBeLessThan(results.timings.supernetSeconds as number);
  });

  test('abort mid-search, then --resume: exactly the uninterrupted result', async () => {
    const dir2 = tmp('resume');
    const controller = new AbortController();
    let seen = 0;
    const err = await evolve({
      ...tiny(dir2),
      signal: controller.signal,
      onProgress: (e) => {
        if (e.phase === 'search' && e.generation === 1 && ++seen === 2) controller.abort();
      },
    }).then(
      () => null,
      (e) => e,
    );
    expect(err).not.toBeNull();
    expect(err.name).toBe('NaxError');
    expect(err.code).toBe('ERR_NAX_CANCELLED');
    expect(err.message).toMatch(/--resume/);
    expect(fs.existsSync(path.join(dir2, 'evolution-checkpoint.json'))).toBe(true);
    const resumed = await evolve({ ...tiny(dir2), resume: true });
    expect(resumed.resumed).toBe(true);
    expect((resumed.timings.evaluatedThisRun as number) < results.search.evaluations).toBe(true);
    expect(comparable(resumed)).toEqual(comparable(results));
  });

  test('abort in the test split, then --resume: the models already scored come from test-checkpoint.json, same result', async () => {
    const dir3 = tmp('resume-test');
    const controller = new AbortController();
    const err = await evolve({
      ...tiny(dir3),
      signal: controller.signal,
      onProgress: (e) => {
        if (e.phase === 'final' && / \(3\/\d+\)$/.test(e.message ?? '')) controller.abort();
      },
    }).then(
      () => null,
      (e) => e,
    );
    expect(err?.code).toBe('ERR_NAX_CANCELLED');
    expect(fs.existsSync(path.join(dir3, 'test-checkpoint.json'))).toBe(true);
    const lines: string[] = [];
    const resumed = await evolve({ ...tiny(dir3), resume: true, log: (l) => lines.push(l) });
    expect(lines.filter((l) => /^test split \d+\/\d+: .*from test-checkpoint\.json/.test(l))).toHaveLength(2);
    expect(lines.filter((l) => /^test split \d+\/\d+: .*\(\d+ s\)$/.test(l)).length).toBeGreaterThan(0);
    expect(comparable(resumed)).toEqual(comparable(results));
    // Without --resume the checkpoint is dropped and every model is scored again.
    const fresh: string[] = [];
    await evolve({ ...tiny(dir3), log: (l) => fresh.push(l) });
    expect(fresh.some((l) => l.includes('from test-checkpoint.json'))).toBe(false);
  });

  test('--resume with other settings is refused, naming them', async () => {
    const err = await evolve({ ...tiny(dir), crossbars: [16, 64], resume: true }).then(
      () => null,
      (e) => e,
    );
    expect(err.name).toBe('NaxError');
    expect(err.code).toBe('ERR_NAX_CONFIG');
    expect(err.message).toMatch(/crossbars/);
  });

  test('--resume validates before it writes: a folder with no run, or a corrupt run.json, is refused untouched', async () => {
    const rejection = (p: Promise<unknown>) => p.then(() => null, (e) => e as { code: string; message: string });
    // An unrelated folder: refused, nothing written there.
    const empty = tmp('unrelated');
    fs.writeFileSync(path.join(empty, 'notes.txt'), 'mine');
    const e1 = await rejection(evolve({ ...tiny(empty), resume: true }));
    expect(e1).toMatchObject({ code: 'ERR_NAX_CONFIG', message: expect.stringMatching(/holds no nax-native run/) });
    expect(fs.readdirSync(empty)).toEqual(['notes.txt']);
    // The finished run's folder with run.json corrupted, then deleted: refused, and the seed-0
    // supernet checkpoint is not retrained or overwritten under other settings.
    const copy = tmp('corrupt');
    for (const f of fs.readdirSync(dir)) if (fs.statSync(path.join(dir, f)).isFile()) fs.copyFileSync(path.join(dir, f), path.join(copy, f));
    const ckpt = fs.readdirSync(copy).find((f) => f.endsWith('.ckpt') && f.startsWith('supernet')) as string;
    const before = fs.readFileSync(path.join(copy, ckpt));
    fs.writeFileSync(path.join(copy, 'run.json'), '{"fingerpr');
    const e2 = await rejection(evolve({ ...tiny(copy), seed: 5, resume: true }));
    expect(e2).toMatchObject({ code: 'ERR_NAX_CONFIG', message: expect.stringMatching(/run\.json is corrupt/) });
    fs.rmSync(path.join(copy, 'run.json'));
    const e3 = await rejection(evolve({ ...tiny(copy), seed: 5, resume: true }));
    expect(e3).toMatchObject({ code: 'ERR_NAX_CONFIG', message: expect.stringMatching(/no run\.json, although supernet/) });
    expect(fs.readFileSync(path.join(copy, ckpt)).equals(before)).toBe(true);
    expect(fs.existsSync(path.join(copy, 'run.json'))).toBe(false);
  });
});
