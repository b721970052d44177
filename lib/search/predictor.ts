/**
 * An objective predictor trained on the candidates evaluated so far, used to pre-screen
 * offspring before any is simulated (the predictor-guided search of AnalogNAS, Benmeziane et al.
 * 2023, and Gibbon, Sun et al. 2022, which train a model of accuracy and hardware cost on the
 * evaluated architectures and simulate only the ones it ranks best).
 *
 * The model is ridge regression on the one-hot encoding of the genome (one indicator per
 * layer, gene and choice, plus an intercept): an additive model of per-layer choices, which is
 * what a layer's kernel and array shape contribute to accuracy to first order and what it adds to
 * log EDAP. Solved exactly by Cholesky on the normal equations (a few dozen features), so it is
 * deterministic and independent of the thread count.
 */
import { NaxError, ErrorCodes, expectNumber } from '../errors';
import { encodeGenome, type Genome, type SearchSpace } from './genome';

/** Offsets of each gene's one-hot block in the feature vector, and the feature count. */
function featureLayout(space: SearchSpace): { offsets: number[]; sizes: number[]; features: number } {
  const sizes: number[] = [];
  for (const l of space.layers) {
    sizes.push(l.kernelSizes.length, l.crossbarSizes.length);
    if (l.colSizes) sizes.push(l.colSizes.length);
    if (l.adcBits) sizes.push(l.adcBits.length);
  }
  const offsets: number[] = [];
  let at = 1; // feature 0: intercept
  for (const s of sizes) {
    offsets.push(at);
    at += s;
  }
  return { offsets, sizes, features: at };
}

export class GenePredictor {
  private constructor(
    private readonly space: SearchSpace,
    private readonly weights: Float64Array,
    private readonly offsets: number[],
  ) {}

  /** Fits `values` (one per genome) with ridge penalty `ridge` (on every weight but the intercept). */
  static fit(space: SearchSpace, genomes: readonly Genome[], values: readonly number[], ridge = 1e-2): GenePredictor {
    if (genomes.length === 0 || genomes.length !== values.length)
      throw new NaxError(ErrorCodes.invalidArgument, `expected as many values as genomes (at least one) to fit a predictor, got ${genomes.length} genomes and ${values.length} values`);
    expectNumber('ridge', ridge, { above: 0 });
    const { offsets, features } = featureLayout(space);
    const a = new Float64Array(features * features);
    const b = new Float64Array(features);
    for (let s = 0; s < genomes.length; s++) {
      if (!Number.isFinite(values[s])) throw new NaxError(ErrorCodes.invalidArgument, `expected finite values to fit a predictor, got ${values[s]} at ${s}`);
      const active = [0, ...encodeGenome(space, genomes[s]).map((c, g) => offsets[g] + c)];
      for (const i of active) {
        b[i] += values[s];
        for (const j of active) a[i * features + j] += 1;
      }
    }
    for (let i = 1; i < features; i++) a[i * features + i] += ridge;
    // The intercept gets a tiny penalty too, so the system is positive definite even for one sample.
    a[0] += 1e-12;
    return new GenePredictor(space, choleskySolve(a, b, features), offsets);
  }

  predict(genome: Genome): number {
    let v = this.weights[0];
    encodeGenome(this.space, genome).forEach((c, g) => (v += this.weights[this.offsets[g] + c]));
    return v;
  }
}

/** Solves A x = b for symmetric positive definite A (n x n, row-major). */
function choleskySolve(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const l = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j <= i; j++) {
      let sum = a[i * n + j];
      for (let k = 0; k < j; k++) sum -= l[i * n + k] * l[j * n + k];
      if (i === j) {
        if (!(sum > 0)) throw new NaxError(ErrorCodes.numerical, `predictor normal equations are not positive definite (pivot ${sum} at ${i})`);
        l[i * n + i] = Math.sqrt(sum);
      } else l[i * n + j] = sum / l[j * n + j];
    }
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let sum = b[i];
    for (let k = 0; k < i; k++) sum -= l[i * n + k] * y[k];
    y[i] = sum / l[i * n + i];
  }
  const x = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let sum = y[i];
    for (let k = i + 1; k < n; k++) sum -= l[k * n + i] * x[k];
    x[i] = sum / l[i * n + i];
  }
  return x;
}
