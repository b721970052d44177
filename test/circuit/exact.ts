/**
 * Exact oracle for small crossbars: the nodal equations in rational
 * arithmetic (BigInt), so the result has no rounding error at all. Each
 * double conductance is an exact dyadic rational; zero resistances merge their
 * endpoints (union-find, written here independently of the native code).
 */
import type { Case } from './helpers';

interface Q {
  n: bigint;
  d: bigint; // > 0
}

function gcd(a: bigint, b: bigint): bigint {
  if (a < 0n) a = -a;
  if (b < 0n) b = -b;
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}
function q(n: bigint, d = 1n): Q {
  if (d < 0n) [n, d] = [-n, -d];
  const g = gcd(n, d);
  return g > 1n ? { n: n / g, d: d / g } : { n, d };
}
const ZERO: Q = { n: 0n, d: 1n };
const add = (a: Q, b: Q): Q => q(a.n * b.d + b.n * a.d, a.d * b.d);
const sub = (a: Q, b: Q): Q => q(a.n * b.d - b.n * a.d, a.d * b.d);
const mul = (a: Q, b: Q): Q => q(a.n * b.n, a.d * b.d);
const div = (a: Q, b: Q): Q => q(a.n * b.d, a.d * b.n);

/** Exact rational value of a finite double. */
export function fromDouble(x: number): Q {
  if (x === 0) return ZERO;
  const buf = new DataView(new ArrayBuffer(8));
  buf.setFloat64(0, x);
  const bits = buf.getBigUint64(0);
  const sign = bits >> 63n ? -1n : 1n;
  const exp = Number((bits >> 52n) & 0x7ffn);
  let mant = bits & ((1n << 52n) - 1n);
  let e: number;
  if (exp === 0) e = -1074;
  else {
    mant |= 1n << 52n;
    e = exp - 1075;
  }
  return e >= 0 ? q(sign * mant * (1n << BigInt(e))) : q(sign * mant, 1n << BigInt(-e));
}

/** Nearest double to a rational (correct to well under 1 ulp for our use). */
export function toDouble(x: Q): number {
  if (x.n === 0n) return 0;
  const neg = x.n < 0n;
  const n = neg ? -x.n : x.n;
  // Scale so the integer quotient has ~80 bits, then convert.
  const shift = BigInt(n.toString(2).length - x.d.toString(2).length - 80);
  const quo = shift >= 0n ? n / (x.d << shift) : (n << -shift) / x.d;
  // Two steps so tiny results do not underflow through 2^shift alone.
  const half = Math.trunc(Number(shift) / 2);
  const v = Number(quo) * Math.pow(2, half) * Math.pow(2, Number(shift) - half);
  return neg ? -v : v;
}

/** Exact transfer matrix (rows*cols, row-major) of a small crossbar, rounded to doubles at the end. */
export function exactTransferMatrix(c: Case): Float64Array {
  const { rows: R, cols: C } = c;
  const RC = R * C;
  const total = 2 * RC + R + C;
  const aId = (i: number, j: number) => i * C + j;
  const bId = (i: number, j: number) => RC + i * C + j;
  const dId = (i: number) => 2 * RC + i;
  const gId = (j: number) => 2 * RC + R + j;
  const parent = Array.from({ length: total }, (_, k) => k);
  const find = (x: number): number => (parent[x] === x ? x : (parent[x] = find(parent[x])));
  const edges: Array<[number, number, Q]> = [];
  const link = (u: number, v: number, ohms: number) => {
    if (ohms === 0) parent[find(u)] = find(v);
    else edges.push([u, v, div({ n: 1n, d: 1n }, fromDouble(ohms))]);
  };
  for (let i = 0; i < R; i++) link(dId(i), aId(i, 0), c.rSource);
  for (let j = 0; j < C; j++) link(bId(R - 1, j), gId(j), c.rSink);
  for (let i = 0; i < R; i++)
    for (let j = 0; j < C; j++) {
      edges.push([aId(i, j), bId(i, j), fromDouble(c.conductances[i * C + j])]);
      if (j + 1 < C) link(aId(i, j), aId(i, j + 1), c.rWordLine);
      if (i + 1 < R) link(bId(i, j), bId(i + 1, j), c.rBitLine);
    }
  const driverOf = new Map<number, number>();
  const groundOf = new Map<number, number>();
  for (let i = 0; i < R; i++) driverOf.set(find(dId(i)), i);
  for (let j = 0; j < C; j++) groundOf.set(find(gId(j)), j);
  const unknown = new Map<number, number>();
  for (let x = 0; x < total; x++) {
    const r = find(x);
    if (!driverOf.has(r) && !groundOf.has(r) && !unknown.has(r)) unknown.set(r, unknown.size);
  }
  const n = unknown.size;
  // Augmented system [K | B], B: one column per driver at 1 V.
  const A: Q[][] = Array.from({ length: n }, () => Array.from({ length: n + R }, () => ZERO));
  const M: Q[] = Array.from({ length: RC }, () => ZERO);
  const sense: Array<[number, number, Q]> = []; // (unknown, ground j, g)
  for (const [u0, v0, g] of edges) {
    const u = find(u0);
    const v = find(v0);
    if (u === v) continue;
    const iu = unknown.get(u);
    const iv = unknown.get(v);
    if (iu !== undefined && iv !== undefined) {
      A[iu][iu] = add(A[iu][iu], g);
      A[iv][iv] = add(A[iv][iv], g);
      A[iu][iv] = sub(A[iu][iv], g);
      A[iv][iu] = sub(A[iv][iu], g);
    } else if (iu === undefined && iv === undefined) {
      const [dr, gr] = driverOf.has(u) ? [driverOf.get(u)!, groundOf.get(v)!] : [driverOf.get(v)!, groundOf.get(u)!];
      M[dr * C + gr] = add(M[dr * C + gr], g);
    } else {
      const x = (iu ?? iv)!;
      const t = iu === undefined ? u : v;
      A[x][x] = add(A[x][x], g);
      if (driverOf.has(t)) A[x][n + driverOf.get(t)!] = add(A[x][n + driverOf.get(t)!], g);
      else sense.push([x, groundOf.get(t)!, g]);
    }
  }
  // Gauss-Jordan (SPD: no pivoting needed), exact.
  for (let k = 0; k < n; k++) {
    const p = A[k][k];
    for (let col = k; col < n + R; col++) A[k][col] = div(A[k][col], p);
    for (let r = 0; r < n; r++) {
      if (r === k || A[r][k].n === 0n) continue;
      const f = A[r][k];
      for (let col = k; col < n + R; col++) if (A[k][col].n !== 0n) A[r][col] = sub(A[r][col], mul(f, A[k][col]));
    }
  }
  for (const [x, j, g] of sense)
    for (let i = 0; i < R; i++) M[i * C + j] = add(M[i * C + j], mul(g, A[x][n + i]));
  return Float64Array.from(M, toDouble);
}
