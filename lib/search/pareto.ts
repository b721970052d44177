/**
 * The Pareto front of evaluated candidates over (accuracy, EDAP), and the minimisation vector
 * NSGA-II sorts by.
 */
export interface Objectives {
  /** Fraction correct in [0, 1] (maximised). */
  accuracy: number;
  /** Energy-delay-area product (minimised); any consistent unit, e.g. J*s*mm^2. */
  edap: number;
}

export interface Scored {
  key: string;
  result: Objectives;
}

/** Minimisation vector used by NSGA-II. */
export function objectiveVector(result: Objectives): [number, number] {
  return [-result.accuracy, result.edap];
}

/**
 * Non-dominated subset, sorted by EDAP ascending (ties: accuracy descending, then key). Equal
 * objective pairs do not dominate each other, so duplicates are all kept. O(N log N) sweep:
 * after sorting, a point survives iff no earlier (cheaper or equal) point is more accurate, or
 * equally accurate and strictly cheaper.
 */
export function paretoFront<T extends Scored>(candidates: readonly T[]): T[] {
  const sorted = candidates.slice().sort(byEdapThenAccuracy);
  const front: T[] = [];
  let bestAccuracy = -Infinity;
  let bestAccuracyEdap = Infinity;
  for (const c of sorted) {
    const { accuracy, edap } = c.result;
    if (accuracy > bestAccuracy) {
      front.push(c);
      bestAccuracy = accuracy;
      bestAccuracyEdap = edap;
    } else if (accuracy === bestAccuracy && edap === bestAccuracyEdap) front.push(c);
  }
  return front;
}

/** Front order: EDAP ascending, then accuracy descending, then key. */
export function byEdapThenAccuracy(a: Scored, b: Scored): number {
  return a.result.edap - b.result.edap || b.result.accuracy - a.result.accuracy || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
}
