/**
 * Dimension arithmetic shared by the op kernels (./ops.ts) and shape inference (./shapes.ts):
 * numpy broadcasting, matmul output shapes, Reshape targets.
 */
import { NaxError, ErrorCodes } from '../errors';
import type { Node } from '../onnx/ir';

/** Numpy-style broadcast of two shapes. */
export function broadcastShapes(a: readonly number[], b: readonly number[], where = ''): number[] {
  const r = Math.max(a.length, b.length);
  const out = new Array<number>(r);
  for (let i = 0; i < r; i++) {
    const da = a[a.length - r + i] ?? 1;
    const db = b[b.length - r + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1)
      throw new NaxError(ErrorCodes.sizeMismatch, `${where}cannot broadcast [${a.join(', ')}] with [${b.join(', ')}]`);
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** Output shape of numpy matmul. */
export function matmulShape(a: number[], b: number[], where = ''): number[] {
  const A = a.length === 1 ? [1, a[0]] : a;
  const B = b.length === 1 ? [b[0], 1] : b;
  if (A[A.length - 1] !== B[B.length - 2])
    throw new NaxError(ErrorCodes.sizeMismatch, `${where}matmul of [${a.join(', ')}] and [${b.join(', ')}]`);
  const batch = broadcastShapes(A.slice(0, -2), B.slice(0, -2), where);
  const out = [...batch, A[A.length - 2], B[B.length - 1]];
  if (a.length === 1) out.splice(out.length - 2, 1);
  if (b.length === 1) out.splice(out.length - 1, 1);
  return out;
}

/** Reshape target resolution: 0 copies the input dim (unless allowzero), -1 is inferred. */
export function reshapeDims(input: number[], target: number[], allowZero: boolean, nd?: Node): number[] {
  const total = input.reduce((p, q) => p * q, 1);
  const out = target.map((d, i) => (d === 0 && !allowZero ? input[i] : d));
  const neg = out.indexOf(-1);
  if (neg >= 0) {
    const rest = out.reduce((p, q, i) => (i === neg ? p : p * q), 1);
    out[neg] = rest === 0 ? 0 : total / rest;
  }
  if (out.reduce((p, q) => p * q, 1) !== total || out.some((d) => !Number.isInteger(d) || d < 0))
    throw new NaxError(
      ErrorCodes.sizeMismatch,
      `${nd ? `node ${nd.name} (Reshape): ` : ''}cannot reshape [${input.join(', ')}] to [${target.join(', ')}]`,
    );
  return out;
}
