/**
 * Pinned memory (native/binding/napi_util.h PinnedRegistry): addon-owned ArrayBuffers that async
 * entries read and write in place instead of copying. They must read as zeros when handed out
 * (also when a collected block is recycled), be recognised as views, fall back to copies where an
 * output aliases a pinned input (so results equal the copied path's), and carry the executor's
 * intermediate tensors with results unchanged.
 */
import * as v8 from 'v8';
import * as vm from 'vm';
import { gemm, loadAddon } from '../../lib/native';
import { float32Zeros } from '../../lib/runtime/values';
import { GraphExecutor } from '../../lib/runtime/executor';
import { buildResNet20 } from '../../lib/onnx/builder';
import { NaxError } from '../../lib/errors';
import { randomImages } from '../runtime/ort';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;
const rt = loadAddon().runtime;


describe('pinned memory', () => {
  it('allocPinned gives zeroed memory that isPinned recognises, views included', () => {
    const a = new Float32Array(rt.allocPinned(4 * 10_000));
    expect(a.every((v) => v === 0)).toBe(true);
    expect(rt.isPinned(a)).toBe(true);
    expect(rt.isPinned(a.subarray(100, 200))).toBe(true);
    expect(rt.isPinned(new Float32Array(10_000))).toBe(false);
    expect(rt.isPinned(new Float32Array(0))).toBe(false);
  });

  it('rejects bad byte counts with a NaxError that says what is expected', () => {
    expect(() => rt.allocPinned(-1)).toThrow(NaxError);
    expect(() => rt.allocPinned(1.5)).toThrow(/non-negative integer byte count/);
    expect(() => (rt.allocPinned as unknown as (x: unknown) => ArrayBuffer)('8')).toThrow(/expected a byte count/);
  });

  it('a recycled block reads as zeros again', () => {
    const n = 1 << 18;
    for (let round = 0; round < 4; round++) {
      for (let i = 0; i < 8; i++) new Float32Array(rt.allocPinned(4 * n)).fill(7 + i);
      gc();
      const fresh = Array.from({ length: 8 }, () => new Float32Array(rt.allocPinned(4 * n)));
      for (const f of fresh) expect(f.every((v) => v === 0)).toBe(true);
    }
  });

  it('float32Zeros pins from 4096 elements on, and keeps small arrays plain', () => {
    expect(rt.isPinned(float32Zeros(4096))).toBe(true);
    expect(rt.isPinned(float32Zeros(100))).toBe(false);
  });

  it('an output that aliases a pinned input is computed on a copy: same result as separate arrays', async () => {
    const n = 96;
    const a = new Float32Array(rt.allocPinned(4 * n * n));
    a.set(randomImages(n * n, 1));
    const b = randomImages(n * n, 2);
    const separate = new Float32Array(n * n);
    await gemm({ m: n, n, k: n, a: a.slice(), b, c: separate, threads: 2 });
    // c is a itself: reading a while writing c in place would change the product.
    await gemm({ m: n, n, k: n, a, b, c: a, threads: 2 });
    expect(Array.from(a)).toEqual(Array.from(separate));
  });

  it("elementwise may write into its pinned input (each index read once, then written)", async () => {
    const n = 1 << 16;
    const x = new Float32Array(rt.allocPinned(4 * n));
    x.set(randomImages(n, 3));
    const y = randomImages(n, 4);
    const expected = Float32Array.from(x, (v, i) => Math.fround(v + y[i]));
    await rt.elementwise({ op: 0, threads: 2, a: x, b: y, output: x });
    expect(Array.from(x)).toEqual(Array.from(expected));
  });

  it('the ideal executor gives identical logits run after run (recycled pinned tensors) and for 1 and 2 threads', async () => {
    const graph = buildResNet20({ seed: 3 });
    const batch = 8;
    const input = randomImages(batch * 3 * 32 * 32, 5);
    const runs: number[][] = [];
    for (const threads of [1, 2]) {
      const ex = await GraphExecutor.create(graph, { mode: 'ideal', threads });
      for (let r = 0; r < 2; r++) runs.push(Array.from((await ex.runBatch(input, [batch, 3, 32, 32])).data as Float32Array));
    }
    for (const r of runs.slice(1)) expect(r).toEqual(runs[0]);
  });
});
