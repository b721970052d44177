/** Hand-made scored candidates shared by the Pareto-front and model-choice tests. */
import type { Scored } from '../../lib/search';

export const scored = (key: string, accuracy: number, edap: number): Scored => ({ key, result: { accuracy, edap } });

export const CANDIDATES: Scored[] = [
  scored('a', 0.9, 100),
  scored('b', 0.95, 200),
  scored('c', 0.97, 400),
  scored('d', 0.94, 250), // dominated by b
  scored('e', 0.99, 1000),
  scored('f', 0.9, 100), // same objectives as a
];
