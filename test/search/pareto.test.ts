import { Rng } from '../../lib/search/random';
import { fastNonDominatedSort, objectiveVector, paretoFront, type Scored } from '../../lib/search';

const c = (key: string, accuracy: number, edap: number): Scored => ({ key, result: { accuracy, edap } });

const CANDIDATES = [
  c('a', 0.9, 100),
  c('b', 0.95, 200),
  c('c', 0.97, 400),
  c('d', 0.94, 250), // dominated by b
  c('e', 0.99, 1000),
  c('f', 0.9, 100), // same objectives as a
];

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
