/**
 * NSGA-II building blocks (Deb, Pratap, Agarwal, Meyarivan 2002) on plain objective vectors,
 * every objective MINIMISED (the search passes [-accuracy, edap]). Ties are broken by index so
 * every result is deterministic.
 */
import type { Rng } from './random';

/** a dominates b: no worse in every objective and strictly better in at least one. */
export function dominates(a: readonly number[], b: readonly number[]): boolean {
  let strictly = false;
  for (let m = 0; m < a.length; m++) {
    if (a[m] > b[m]) return false;
    if (a[m] < b[m]) strictly = true;
  }
  return strictly;
}

export interface FrontSorting {
  /** fronts[0] is the non-dominated set; each lists point indices ascending. */
  fronts: number[][];
  /** rank[i] = index of the front holding point i (0 = best). */
  rank: Int32Array;
}

/** Deb's fast non-dominated sort, O(M N^2). Equal points share a front. */
export function fastNonDominatedSort(points: readonly (readonly number[])[]): FrontSorting {
  const n = points.length;
  const dominatedBy = new Int32Array(n); // how many points dominate i
  const dominatesList: number[][] = Array.from({ length: n }, () => []);
  for (let i = 0; i < n; i++)
    for (let j = i + 1; j < n; j++) {
      if (dominates(points[i], points[j])) {
        dominatesList[i].push(j);
        dominatedBy[j]++;
      } else if (dominates(points[j], points[i])) {
        dominatesList[j].push(i);
        dominatedBy[i]++;
      }
    }
  const rank = new Int32Array(n);
  const fronts: number[][] = [];
  let current: number[] = [];
  for (let i = 0; i < n; i++) if (dominatedBy[i] === 0) current.push(i);
  while (current.length) {
    fronts.push(current);
    const next: number[] = [];
    for (const i of current)
      for (const j of dominatesList[i]) {
        if (--dominatedBy[j] === 0) {
          rank[j] = fronts.length;
          next.push(j);
        }
      }
    next.sort((a, b) => a - b);
    current = next;
  }
  return { fronts, rank };
}

/**
 * Crowding distance of each member of one front (returned aligned with `front`). Per objective,
 * members are sorted by value; the two extremes get Infinity, each interior member adds the
 * normalised gap (f[next] - f[prev]) / (f_max - f_min). An objective with no spread adds 0.
 */
export function crowdingDistance(points: readonly (readonly number[])[], front: readonly number[]): Float64Array {
  const size = front.length;
  const distance = new Float64Array(size);
  if (size === 0) return distance;
  if (size <= 2) return distance.fill(Infinity);
  const objectives = points[front[0]].length;
  const order = Array.from({ length: size }, (_, k) => k);
  for (let m = 0; m < objectives; m++) {
    order.sort((a, b) => points[front[a]][m] - points[front[b]][m] || front[a] - front[b]);
    const lo = points[front[order[0]]][m];
    const hi = points[front[order[size - 1]]][m];
    distance[order[0]] = Infinity;
    distance[order[size - 1]] = Infinity;
    const span = hi - lo;
    if (!(span > 0)) continue;
    for (let k = 1; k < size - 1; k++) {
      distance[order[k]] += (points[front[order[k + 1]]][m] - points[front[order[k - 1]]][m]) / span;
    }
  }
  return distance;
}

export interface RankedPoints {
  rank: Int32Array;
  /** Crowding distance of every point within its own front. */
  crowding: Float64Array;
  fronts: number[][];
}

/** Rank and crowding distance for every point. */
export function rankAndCrowd(points: readonly (readonly number[])[]): RankedPoints {
  const { fronts, rank } = fastNonDominatedSort(points);
  const crowding = new Float64Array(points.length);
  for (const front of fronts) {
    const d = crowdingDistance(points, front);
    front.forEach((i, k) => (crowding[i] = d[k]));
  }
  return { rank, crowding, fronts };
}

/** Crowded-comparison operator: negative when i is preferred (lower rank, then larger crowding). */
export function crowdedCompare(i: number, j: number, ranked: Pick<RankedPoints, 'rank' | 'crowding'>): number {
  if (ranked.rank[i] !== ranked.rank[j]) return ranked.rank[i] - ranked.rank[j];
  const ci = ranked.crowding[i];
  const cj = ranked.crowding[j];
  if (ci === cj) return 0;
  return ci > cj ? -1 : 1;
}

/** Binary tournament with the crowded comparison: two distinct random contestants; an exact tie is a coin flip. */
export function binaryTournament(rng: Rng, ranked: Pick<RankedPoints, 'rank' | 'crowding'>): number {
  const n = ranked.rank.length;
  if (n === 1) return 0;
  const a = rng.int(n);
  let b = rng.int(n - 1);
  if (b >= a) b++;
  const c = crowdedCompare(a, b, ranked);
  if (c < 0) return a;
  if (c > 0) return b;
  return rng.chance(0.5) ? a : b;
}

/**
 * Environmental selection: keep whole fronts while they fit, then fill from the next front by
 * descending crowding distance (ties by index). Returns the chosen indices in that order.
 */
export function environmentalSelection(points: readonly (readonly number[])[], size: number): number[] {
  if (size >= points.length) return rankedOrder(points);
  const { fronts } = fastNonDominatedSort(points);
  const chosen: number[] = [];
  for (const front of fronts) {
    if (chosen.length + front.length <= size) {
      chosen.push(...front);
      if (chosen.length === size) break;
      continue;
    }
    const d = crowdingDistance(points, front);
    const order = front.map((_, k) => k).sort((a, b) => (d[b] === d[a] ? front[a] - front[b] : d[b] > d[a] ? 1 : -1));
    for (const k of order.slice(0, size - chosen.length)) chosen.push(front[k]);
    break;
  }
  return chosen;
}

/** All indices, front by front (each front ascending by index). */
function rankedOrder(points: readonly (readonly number[])[]): number[] {
  return fastNonDominatedSort(points).fronts.flat();
}
