import { scalarizedScore, scalarizedPick, chooseModel } from '../../lib/codesign';
import { CANDIDATES, scored as c } from '../search/fixtures';
import { errorOf } from '../errors-helper';

describe('model choice', () => {
  test('scalarised score = accuracy - lambda * edap / reference', () => {
    expect(scalarizedScore({ accuracy: 0.9, edap: 50 }, 0.1, 200)).toBeCloseTo(0.9 - 0.025, 12);
    // default reference without baselines: the largest EDAP (1000)
    const pick = scalarizedPick(CANDIDATES, { lambda: 0.05 });
    expect(pick.edapReference).toBe(1000);
    // scores: a .895, b .94, c .95, d .9275, e .94 -> c
    expect(pick.candidate.key).toBe('c');
    expect(pick.score).toBeCloseTo(0.95, 12);
    // lambda 1: a and f tie at .8 (same objectives) -> smaller key
    expect(scalarizedPick(CANDIDATES, { lambda: 1 }).candidate.key).toBe('a');
  });

  test('chooseModel: cheapest candidate at least as accurate as the best baseline', () => {
    const baselines = [c('base16', 0.93, 300), c('base64', 0.95, 350), c('base128', 0.9, 150)];
    const chosen = chooseModel(CANDIDATES, { baselines });
    expect(chosen.rule).toBe('matches-best-baseline');
    expect(chosen.candidate.key).toBe('b'); // 0.95 >= 0.95 at EDAP 200
    expect(chosen.baseline?.key).toBe('base64');
    expect(chosen.edapReduction).toBeCloseTo(1 - 200 / 350, 12);
    expect(chosen.edapReference).toBe(350);
  });

  test('chooseModel with images: one binomial standard error of the best baseline counts as matching it', () => {
    const baselines = [c('base16', 0.93, 300), c('base64', 0.95, 350)];
    // 100 images: SE = sqrt(0.95 * 0.05 / 100) = 2.18%, so 0.93 at EDAP 50 qualifies; 10,000 images: SE 0.22%, it does not.
    const cheap = c('cheap', 0.93, 50);
    const wide = chooseModel([...CANDIDATES, cheap], { baselines, images: 100 });
    expect(wide.tolerance).toBeCloseTo(Math.sqrt((0.95 * 0.05) / 100), 12);
    expect(wide.rule).toBe('matches-best-baseline');
    expect(wide.candidate.key).toBe('cheap');
    const narrow = chooseModel([...CANDIDATES, cheap], { baselines, images: 10000 });
    expect(narrow.candidate.key).toBe('b');
    expect(chooseModel(CANDIDATES, { baselines }).tolerance).toBe(0);
    expect(errorOf(() => chooseModel(CANDIDATES, { baselines, images: 0 })).code).toBe('ERR_NAX_OUT_OF_RANGE');
  });

  test('chooseModel falls back to the scalarised score when nothing matches the best baseline', () => {
    const chosen = chooseModel(CANDIDATES, { baselines: [c('huge', 0.995, 500)], lambda: 0.05 });
    expect(chosen.rule).toBe('scalarized');
    // reference 500: a .89, b .93, c .93, d .915, e .89, f .89 -> b and c tie at .93; lower EDAP wins
    expect(chosen.candidate.key).toBe('b');
    expect(chosen.edapReduction).toBeCloseTo(1 - 200 / 500, 12);
    expect(chooseModel(CANDIDATES).rule).toBe('scalarized');
  });

  test('errors', () => {

    expect(errorOf(() => chooseModel([])).code).toBe('ERR_NAX_INVALID_ARGUMENT');
    expect(errorOf(() => scalarizedPick(CANDIDATES, { edapReference: 0 })).code).toBe('ERR_NAX_OUT_OF_RANGE');
    expect(errorOf(() => scalarizedPick(CANDIDATES, { lambda: -1 })).name).toBe('NaxError');
  });
});
