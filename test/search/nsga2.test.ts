import {
  dominates, fastNonDominatedSort, crowdingDistance, rankAndCrowd, crowdedCompare, binaryTournament, environmentalSelection,
} from '../../lib/search';
import { Rng } from '../../lib/search/random';

// Hand-made minimisation set with known fronts.
const POINTS = [
  [1, 5], [2, 3], [4, 1], // 0-2: front 0
  [2, 6], [3, 4], [5, 2], // 3-5: front 1
  [4, 5], [6, 3], //         6-7: front 2
  [7, 7], //                 8:   front 3
  [2, 3], //                 9:   duplicate of 1 -> front 0
];

/** Naive reference: peel off the non-dominated set repeatedly. */
function naiveRanks(points: number[][]): number[] {
  const rank = new Array(points.length).fill(-1);
  let left = points.map((_, i) => i);
  for (let r = 0; left.length; r++) {
    const front = left.filter((i) => !left.some((j) => dominates(points[j], points[i])));
    front.forEach((i) => (rank[i] = r));
    left = left.filter((i) => rank[i] === -1);
  }
  return rank;
}

describe('non-dominated sorting', () => {
  test('dominance', () => {
    expect(dominates([1, 1], [1, 2])).toBe(true);
    expect(dominates([1, 2], [1, 2])).toBe(false);
    expect(dominates([0, 3], [1, 2])).toBe(false);
  });

  test('hand-made set: known fronts, duplicates share a front', () => {
    const { fronts, rank } = fastNonDominatedSort(POINTS);
    expect(fronts).toEqual([[0, 1, 2, 9], [3, 4, 5], [6, 7], [8]]);
    expect(Array.from(rank)).toEqual([0, 0, 0, 1, 1, 1, 2, 2, 3, 0]);
  });

  test('agrees with naive peeling on random sets with ties, 2 and 3 objectives', () => {
    const rng = new Rng(8);
    for (let trial = 0; trial < 40; trial++) {
      const m = trial % 2 ? 3 : 2;
      const points = Array.from({ length: 5 + rng.int(60) }, () => Array.from({ length: m }, () => rng.int(8)));
      expect(Array.from(fastNonDominatedSort(points).rank)).toEqual(naiveRanks(points));
    }
  });
});

describe('crowding distance', () => {
  test('boundary points get Infinity; interior points sum normalised neighbour gaps', () => {
    const pts = [[0, 10], [1, 6], [4, 2], [10, 0]];
    const d = crowdingDistance(pts, [0, 1, 2, 3]);
    expect(d[0]).toBe(Infinity);
    expect(d[3]).toBe(Infinity);
    expect(d[1]).toBeCloseTo((4 - 0) / 10 + (10 - 2) / 10, 12);
    expect(d[2]).toBeCloseTo((10 - 1) / 10 + (6 - 0) / 10, 12);
    // order of the front list does not matter
    const e = crowdingDistance(pts, [2, 0, 3, 1]);
    expect(Array.from(e)).toEqual([d[2], d[0], d[3], d[1]]);
  });

  test('fronts of one or two points are all Infinity; flat objective adds nothing', () => {
    expect(Array.from(crowdingDistance([[1, 1]], [0]))).toEqual([Infinity]);
    expect(Array.from(crowdingDistance([[1, 1], [2, 0]], [0, 1]))).toEqual([Infinity, Infinity]);
    const flat = crowdingDistance([[0, 5], [1, 5], [3, 5], [4, 5]], [0, 1, 2, 3]);
    expect(flat[1]).toBeCloseTo(3 / 4, 12);
    expect(flat[2]).toBeCloseTo(3 / 4, 12);
  });

  test('rankAndCrowd computes crowding within each front', () => {
    const r = rankAndCrowd(POINTS);
    expect(r.crowding[3]).toBe(Infinity);
    expect(r.crowding[5]).toBe(Infinity);
    expect(r.crowding[4]).toBeCloseTo((5 - 2) / 3 + (6 - 2) / 4, 12);
    expect(r.crowding[8]).toBe(Infinity);
  });
});

describe('selection', () => {
  test('crowded comparison: lower rank wins, then larger crowding', () => {
    const r = { rank: Int32Array.from([0, 0, 1]), crowding: Float64Array.from([1, Infinity, Infinity]) };
    expect(crowdedCompare(0, 2, r)).toBeLessThan(0);
    expect(crowdedCompare(1, 0, r)).toBeLessThan(0);
    expect(crowdedCompare(0, 0, r)).toBe(0);
  });

  test('binary tournament: the worst never wins; the best wins with probability 2/n', () => {
    const n = 5;
    const ranked = { rank: Int32Array.from([0, 1, 2, 3, 4]), crowding: new Float64Array(n).fill(Infinity) };
    const rng = new Rng(4);
    const wins = new Array(n).fill(0);
    const trials = 20000;
    for (let t = 0; t < trials; t++) wins[binaryTournament(rng, ranked)]++;
    expect(wins[4]).toBe(0);
    expect(wins[0] / trials).toBeCloseTo(2 / n, 1.5);
    for (let i = 1; i < n; i++) expect(wins[i - 1]).toBeGreaterThan(wins[i]);
    // ties are split evenly
    const tie = { rank: new Int32Array(2), crowding: Float64Array.from([1, 1]) };
    let first = 0;
    for (let t = 0; t < 4000; t++) if (binaryTournament(rng, tie) === 0) first++;
    expect(first / 4000).toBeGreaterThan(0.45);
    expect(first / 4000).toBeLessThan(0.55);
  });

  test('environmental selection: whole fronts first, then the most crowded-apart of the split front', () => {
    expect(environmentalSelection(POINTS, 4)).toEqual([0, 1, 2, 9]);
    // Front 1 is split: its extremes (3 and 5, Infinity) beat the interior point 4.
    expect(environmentalSelection(POINTS, 6).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 5, 9]);
    expect(environmentalSelection(POINTS, 5)).toEqual([0, 1, 2, 9, 3]);
    expect(environmentalSelection(POINTS, 20).length).toBe(POINTS.length);
  });

  test('environmental selection on random sets: exact size, never skips a better front', () => {
    const rng = new Rng(21);
    for (let trial = 0; trial < 30; trial++) {
      const points = Array.from({ length: 10 + rng.int(40) }, () => [rng.nextFloat(), rng.nextFloat()]);
      const size = 1 + rng.int(points.length - 1);
      const chosen = environmentalSelection(points, size);
      expect(new Set(chosen).size).toBe(size);
      const { rank } = fastNonDominatedSort(points);
      const worstChosen = Math.max(...chosen.map((i) => rank[i]));
      for (let i = 0; i < points.length; i++) if (rank[i] < worstChosen) expect(chosen).toContain(i);
    }
  });
});
