import { gemm, loadAddon } from '../../lib/native';

function rand(count: number, seed: number): Float64Array {
  let s = seed >>> 0 || 1;
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

// Textbook triple loop in float64: C = alpha * op(A) op(B) + beta * C.
function reference(
  transA: boolean, transB: boolean, m: number, n: number, k: number, alpha: number,
  a: ArrayLike<number>, lda: number, b: ArrayLike<number>, ldb: number, beta: number, c: ArrayLike<number>, ldc: number,
): Float64Array {
  const out = Float64Array.from(c);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += (transA ? a[p * lda + i] : a[i * lda + p]) * (transB ? b[j * ldb + p] : b[p * ldb + j]);
      out[i * ldc + j] = alpha * s + (beta === 0 ? 0 : beta * c[i * ldc + j]);
    }
  return out;
}

const shapes: Array<[number, number, number]> = [
  [1, 1, 1], [3, 5, 7], [13, 33, 17], [29, 31, 400], [50, 70, 385], [100, 3, 9], [3, 100, 800], [15, 64, 1],
];

describe('gemm', () => {
  it.each(shapes)('sgemm and dgemm match a reference on %i x %i x %i, all transposes, with strides', async (m, n, k) => {
    for (const transA of [false, true])
      for (const transB of [false, true])
        for (const [alpha, beta] of [[1, 0], [0.7, 0.3], [-2, 1]]) {
          const lda = (transA ? m : k) + 3, ldb = (transB ? k : n) + 1, ldc = n + 2;
          const a64 = rand((transA ? k : m) * lda, m + 3 * n + k);
          const b64 = rand((transB ? n : k) * ldb, 7 * m + n + k);
          const c64 = rand(m * ldc, m + n + 11 * k);
          const ref = reference(transA, transB, m, n, k, alpha, a64, lda, b64, ldb, beta, c64, ldc);
          const c32 = Float32Array.from(c64);
          const a32 = Float32Array.from(a64), b32 = Float32Array.from(b64);
          const ref32 = reference(transA, transB, m, n, k, alpha, a32, lda, b32, ldb, beta, Float32Array.from(c64), ldc);
          await gemm({ transA, transB, m, n, k, alpha, beta, a: a32, lda, b: b32, ldb, c: c32, ldc, threads: 2 });
          const cd = Float64Array.from(c64);
          await gemm({ transA, transB, m, n, k, alpha, beta, a: a64, lda, b: b64, ldb, c: cd, ldc, threads: 2 });
          for (let i = 0; i < m; i++) {
            for (let j = 0; j < n; j++) {
              const e = i * ldc + j;
              expect(Math.abs(c32[e] - ref32[e])).toBeLessThanOrEqual(2e-6 * Math.sqrt(k) * (1 + Math.abs(ref32[e])) * 4);
              expect(Math.abs(cd[e] - ref[e])).toBeLessThanOrEqual(1e-13 * k);
            }
            // Padding between rows is never written.
            for (let j = n; j < ldc && i < m - 1; j++) expect(c32[i * ldc + j]).toBe(Math.fround(c64[i * ldc + j]));
          }
        }
  });

  it('beta = 0 never reads C (NaN in C does not leak), k = 0 scales C', async () => {
    const c = new Float32Array(6).fill(NaN);
    await gemm({ m: 2, n: 3, k: 2, a: new Float32Array([1, 2, 3, 4]), b: new Float32Array([1, 0, 0, 0, 1, 0]), c });
    expect(Array.from(c)).toEqual([1, 2, 0, 3, 4, 0]);
    const c2 = new Float32Array([1, 2, 3]);
    await gemm({ m: 1, n: 3, k: 0, a: new Float32Array(0), b: new Float32Array(0), c: c2, beta: 2 });
    expect(Array.from(c2)).toEqual([2, 4, 6]);
  });

  it('checks its own arguments: bad sizes, mixed precisions and short strides are NaxErrors', async () => {
    const cases: Array<[() => Promise<unknown>, string]> = [
      [() => gemm({ m: 2, n: 2, k: 2, a: new Float32Array(3), b: new Float32Array(4), c: new Float32Array(4) }), 'ERR_NAX_SIZE_MISMATCH'],
      [() => gemm({ m: 2, n: 2, k: 2, a: new Float32Array(4), b: new Float64Array(4) as unknown as Float32Array, c: new Float32Array(4) }), 'ERR_NAX_INVALID_ARGUMENT'],
      [() => gemm({ m: 2, n: 2, k: 3, lda: 2, a: new Float32Array(6), b: new Float32Array(6), c: new Float32Array(4) }), 'ERR_NAX_OUT_OF_RANGE'],
    ];
    for (const [call, code] of cases) {
      let caught: { name?: string; code?: string } | undefined;
      try {
        await call();
      } catch (err) {
        caught = err as typeof caught;
      }
      expect(caught?.name).toBe('NaxError');
      expect(caught?.code).toBe(code);
    }
  });

  it('the binding defaults nothing: gemm() resolves transposes, alpha, beta and strides', async () => {
    const addon = loadAddon();
    const a = new Float32Array(4), b = new Float32Array(4), c = new Float32Array(4);
    const full = { transA: false, transB: false, m: 2, n: 2, k: 2, alpha: 1, beta: 0, a, lda: 2, b, ldb: 2, c, ldc: 2, threads: 1 };
    await expect(addon.gemm(full)).resolves.toBeUndefined();
    const { lda: _lda, ...noLda } = full;
    await expect(async () => addon.gemm(noLda as typeof full)).rejects.toMatchObject({ code: 'ERR_NAX_INVALID_ARGUMENT', message: 'expected a number for lda, got undefined' });
    await expect(async () => addon.gemm({ ...full, transA: 0 as unknown as boolean })).rejects.toMatchObject({ code: 'ERR_NAX_INVALID_ARGUMENT', message: expect.stringMatching(/^expected a boolean for transA, got number/) });
  });

  it('is bit-identical for any thread count and independent of m', async () => {
    const m = 301, n = 97, k = 1000;
    const a = Float32Array.from(rand(m * k, 1)), b = Float32Array.from(rand(k * n, 2));
    const results: Float32Array[] = [];
    for (const threads of [1, 2, 3, 4]) {
      const c = new Float32Array(m * n);
      await gemm({ m, n, k, a, b, c, threads });
      results.push(c);
    }
    for (const r of results.slice(1)) expect(Buffer.compare(Buffer.from(r.buffer), Buffer.from(results[0].buffer))).toBe(0);
    // The first 5 rows computed alone equal rows 0..4 of the big product.
    const small = new Float32Array(5 * n);
    await gemm({ m: 5, n, k, a: a.subarray(0, 5 * k), b, c: small, threads: 1 });
    expect(Array.from(small)).toEqual(Array.from(results[0].subarray(0, 5 * n)));
    const rows = new Float32Array(20 * n); // rows 200..219: a different position in the blocking
    await gemm({ m: 20, n, k, a: a.subarray(200 * k, 220 * k), b, c: rows, threads: 2 });
    expect(Array.from(rows)).toEqual(Array.from(results[0].subarray(200 * n, 220 * n)));
  });
});
