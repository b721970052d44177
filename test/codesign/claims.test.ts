/**
 * The decision rule behind "at least as accurate as the best baseline" (results.ts): with 2-4 chips
 * the paired t-test has 1-3 degrees of freedom and would let a clear deficit through, so McNemar's
 * exact test over the (chip, image) pairs must agree.
 */
import { accuracyClaims, compareAccuracy, PAIRED_T_MIN_CHIPS } from '../../lib/codesign/results';
import type { FinalModel } from '../../lib/codesign/results';
import { pairedTTest } from '../../lib/stats';

/** A final model whose chip c gets exactly correct[c] of `images` test images right (the first ones, or from `offset`). */
function model(name: string, correct: number[], images: number, offset = 0): FinalModel {
  const flags = new Uint8Array(correct.length * images);
  correct.forEach((n, chip) => {
    for (let i = 0; i < n; i++) flags[chip * images + ((i + offset) % images)] = 1;
  });
  const accuracies = correct.map((n) => n / images);
  return {
    name,
    test: { chips: { chips: correct.length, accuracies } },
    testCorrect: flags,
  } as unknown as FinalModel;
}

describe('accuracy claims', () => {
  test('two chips: a deficit McNemar finds significant is not "at least as accurate", though the df = 1 t-test would pass it', () => {
    // The lent-GPU evolve run: chosen 94.70% vs baseline 96.10% over 2 chips x 1000 images.
    const chosen = model('chosen', [944, 950], 1000, 0);
    const baseline = model('baseline', [955, 967], 1000, 0);
    const c = compareAccuracy(chosen, baseline);
    expect(c.decidedBy).toBe('both');
    // The t-test alone: a CI that reaches above 0 (df = 1, critical t 12.7).
    const t = pairedTTest([0.944, 0.95], [0.955, 0.967]);
    expect(t.df).toBe(1);
    expect(t.ci95![1]).toBeGreaterThan(0);
    expect(c.mcnemar.c).toBe(28);
    expect(c.mcnemar.b).toBe(0);
    expect(c.mcnemar.p).toBeLessThan(1e-6);
    expect(accuracyClaims(c)).toEqual({ atLeast: false, higher: false });
    expect(c.rule).toMatch(/both tests grant it/);
  });

  test('two chips, no real difference: at least as accurate, not higher', () => {
    // Same counts, different images: discordant pairs balance.
    const c = compareAccuracy(model('chosen', [950, 955], 1000, 3), model('baseline', [951, 954], 1000, 0));
    expect(c.decidedBy).toBe('both');
    expect(c.mcnemar.p).toBeGreaterThan(0.05);
    expect(accuracyClaims(c)).toEqual({ atLeast: true, higher: false });
  });

  test(`from ${PAIRED_T_MIN_CHIPS} chips the paired t-test decides alone`, () => {
    // Chip spread large against a small per-chip gain: McNemar over the pooled pairs calls it
    // significant, the t-test over chips does not, and the t-test is the one that models chips.
    const base = [900, 960, 920, 980, 940];
    const chosenCounts = [908, 960, 930, 980, 945];
    const c = compareAccuracy(model('chosen', chosenCounts, 1000), model('baseline', base, 1000));
    expect(c.decidedBy).toBe('paired-t');
    expect(c.mcnemar.p).toBeLessThan(0.05);
    expect(c.pairedT.ci95![0]).toBeLessThan(0);
    expect(accuracyClaims(c)).toEqual({ atLeast: true, higher: false });
  });

  test('one chip: McNemar decides', () => {
    const c = compareAccuracy(model('chosen', [980], 1000), model('baseline', [950], 1000));
    expect(c.decidedBy).toBe('mcnemar');
    expect(accuracyClaims(c)).toEqual({ atLeast: true, higher: true });
    const worse = compareAccuracy(model('chosen', [950], 1000), model('baseline', [980], 1000));
    expect(accuracyClaims(worse)).toEqual({ atLeast: false, higher: false });
  });
});
