/**
 * Exact 2-D hypervolume (Zitzler and Thiele 1998, the "S metric") of a set of (accuracy, EDAP)
 * points, accuracy maximised and EDAP minimised, against a stated reference point
 * (accuracy floor, EDAP ceiling): the area of the region that some point dominates and that
 * itself dominates the reference point. Points that do not strictly dominate the reference point
 * add nothing. With `logEdap`, EDAP is measured on a log10 axis (EDAP spans decades, so a linear
 * axis would let the cheapest point decide everything); the reference then stays in EDAP units.
 *
 * Algorithm: sort by EDAP ascending and sweep; each point adds the strip between its EDAP and the
 * next point's EDAP (or the reference) at the best accuracy seen so far. O(N log N).
 */
import { invalid } from '../errors';

export interface HypervolumeReference {
  /** Accuracy floor (a point must be more accurate to count). */
  accuracy: number;
  /** EDAP ceiling (a point must be cheaper to count). */
  edap: number;
}

export function hypervolume(
  points: ReadonlyArray<{ accuracy: number; edap: number }>,
  reference: HypervolumeReference,
  options: { logEdap?: boolean } = {},
): number {
  if (!reference || !Number.isFinite(reference.accuracy) || !Number.isFinite(reference.edap))
    throw invalid('hypervolume reference', 'finite {accuracy, edap}', reference);
  const log = options.logEdap === true;
  if (log && !(reference.edap > 0)) throw invalid('hypervolume reference.edap', 'a positive EDAP with logEdap', reference.edap);
  const x = (edap: number) => (log ? Math.log10(edap) : edap);
  points.forEach((p, i) => {
    if (!Number.isFinite(p?.accuracy) || !Number.isFinite(p?.edap) || (log && !(p.edap > 0)))
      throw invalid(`points[${i}]`, `finite {accuracy, edap}${log ? ' with edap > 0' : ''}`, p);
  });
  const inside = points.filter((p) => p.accuracy > reference.accuracy && p.edap < reference.edap).sort((a, b) => a.edap - b.edap);
  let volume = 0;
  let best = reference.accuracy;
  for (let i = 0; i < inside.length; i++) {
    best = Math.max(best, inside[i].accuracy);
    const next = i + 1 < inside.length ? inside[i + 1].edap : reference.edap;
    volume += (x(next) - x(inside[i].edap)) * (best - reference.accuracy);
  }
  return volume;
}
