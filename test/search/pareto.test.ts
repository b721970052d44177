import { Rng } from '../../lib/search/random';
import { fastNonDominatedSort, objectiveVector, paretoFront } from '../../lib/search';
import { CANDIDATES, scored as c } from './fixtures';

describe('Pareto front', () => {
  test('paretoFront: non-dominated subset, EDAP ascending, equal points kept and ordered by key', () => {
    expect(paretoFront(CANDIDATES).map((x) => x.key)).toEqual(['a', 'f', 'b', 'c', 'e']);
    expect(paretoFront([])).toEqual([]);
  });

  test('paretoFront sweep agrees with non-dominated sorting on random sets with ties', () => {
    const rng = new Rng(12);
    for (let trial = 0; trial < 50; trial++) {
      const cands = Array.from({ length: 1 + rng.int(80) }, (_, i) => c(`k${i}`, rng.int(6) / 5, 1 + rng.int(6)));
      const expected = fastNonDominatedSort(cands.map((x) => objectiveVector(x.result))).fronts[0].map((i) => cands[i].key).sort();
      expect(paretoFront(cands).map((x) => x.key).sort()).toEqual(expected);
    }
  });
});
