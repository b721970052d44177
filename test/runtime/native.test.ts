/**
 * The executor's native kernels: bad input is a NaxError with a stable code
 * (never a crash), and conv2d agrees with a direct TypeScript convolution
 * for strides, dilations, asymmetric pads and groups.
 */
import { loadAddon } from '../../lib/native';
import { randomImages } from './ort';

// The binding's entries themselves (lib/ calls them through runtimeNative(), routed through callNative).
const rt = () => loadAddon().runtime;

function directConv(x: Float32Array, w: Float32Array, n: number, c: number, h: number, wd: number, m: number, g: number, kh: number, kw: number, pads: number[], s: number[], d: number[]) {
  const oh = Math.floor((h + pads[0] + pads[2] - d[0] * (kh - 1) - 1) / s[0]) + 1;
  const ow = Math.floor((wd + pads[1] + pads[3] - d[1] * (kw - 1) - 1) / s[1]) + 1;
  const cg = c / g, mg = m / g;
  const out = new Float32Array(n * m * oh * ow);
  for (let b = 0; b < n; b++)
    for (let o = 0; o < m; o++) {
      const grp = Math.floor(o / mg);
      for (let y = 0; y < oh; y++)
        for (let xx = 0; xx < ow; xx++) {
          let acc = 0;
          for (let ci = 0; ci < cg; ci++)
            for (let i = 0; i < kh; i++)
              for (let j = 0; j < kw; j++) {
                const iy = y * s[0] - pads[0] + i * d[0], ix = xx * s[1] - pads[1] + j * d[1];
                if (iy < 0 || iy >= h || ix < 0 || ix >= wd) continue;
                acc += x[((b * c + grp * cg + ci) * h + iy) * wd + ix] * w[((o * cg + ci) * kh + i) * kw + j];
              }
          out[((b * m + o) * oh + y) * ow + xx] = acc;
        }
    }
  return { out, oh, ow };
}

test.each([
  ['plain 3x3', 2, 3, 7, 6, 4, 1, 3, 3, [1, 1, 1, 1], [1, 1], [1, 1]],
  ['stride 2, asymmetric pads', 2, 4, 9, 8, 6, 2, 3, 2, [0, 1, 2, 0], [2, 3], [1, 1]],
  ['dilated depthwise', 1, 6, 10, 10, 6, 6, 3, 3, [2, 2, 2, 2], [1, 1], [2, 2]],
  ['1x1 direct path', 3, 5, 4, 4, 7, 1, 1, 1, [0, 0, 0, 0], [1, 1], [1, 1]],
  // Stride 1 with padding: the implicit-GEMM path (padded planes, wide rows).
  ['implicit: stride 1, asymmetric pads, dilation, groups', 2, 4, 7, 8, 6, 2, 3, 3, [1, 2, 0, 1], [1, 1], [2, 1]],
  ['implicit: 5x5, pad 2', 3, 3, 9, 9, 5, 1, 5, 5, [2, 2, 2, 2], [1, 1], [1, 1]],
  ['implicit: 1x3 row kernel, one image', 1, 2, 5, 12, 3, 1, 1, 3, [0, 1, 0, 1], [1, 1], [1, 1]],
] as const)('conv2d matches a direct convolution: %s', async (_n, n, c, h, wd, m, g, kh, kw, pads, s, d) => {
  const x = randomImages(n * c * h * wd, 1);
  const w = randomImages(m * (c / g) * kh * kw, 2);
  const ref = directConv(x, w, n, c, h, wd, m, g, kh, kw, [...pads], [...s], [...d]);
  for (const threads of [1, 2]) {
    const output = new Float32Array(ref.out.length);
    await rt().conv2d({
      batch: n, inChannels: c, height: h, width: wd, outChannels: m, groups: g, kernelH: kh, kernelW: kw,
      padTop: pads[0], padLeft: pads[1], padBottom: pads[2], padRight: pads[3], strideH: s[0], strideW: s[1], dilationH: d[0], dilationW: d[1],
      threads, input: x, weights: w, output,
    });
    for (let i = 0; i < output.length; i++) expect(output[i]).toBeCloseTo(ref.out[i], 4);
  }
});

test('the implicit-GEMM conv (stride 1) equals the im2col path with bias and activation fused, pinned or plain memory', async () => {
  const { setKernelPath } = await import('../../lib/native');
  const { float32Zeros } = await import('../../lib/runtime/values');
  const cases = [
    { n: 4, c: 16, h: 16, w: 16, m: 8, k: 3, pad: 1, activation: 1 as const },
    { n: 3, c: 8, h: 10, w: 12, m: 5, k: 3, pad: 1, activation: 2 as const, clipMin: -0.1, clipMax: 0.2 },
    { n: 1, c: 6, h: 7, w: 7, m: 4, k: 5, pad: 2, activation: 0 as const },
  ];
  for (const cs of cases) {
    const x = randomImages(cs.n * cs.c * cs.h * cs.w, 3);
    const w = randomImages(cs.m * cs.c * cs.k * cs.k, 4);
    const bias = randomImages(cs.m, 5);
    const geometry = {
      batch: cs.n, inChannels: cs.c, height: cs.h, width: cs.w, outChannels: cs.m, kernelH: cs.k, kernelW: cs.k,
      padTop: cs.pad, padLeft: cs.pad, padBottom: cs.pad, padRight: cs.pad, activation: cs.activation, clipMin: cs.clipMin, clipMax: cs.clipMax,
    };
    const outLen = cs.n * cs.m * cs.h * cs.w;
    const baseline = new Float32Array(outLen);
    setKernelPath('baseline');
    try {
      await rt().conv2d({ ...geometry, threads: 1, input: x, weights: w, bias, output: baseline });
    } finally {
      setKernelPath('default');
    }
    for (const pinned of [false, true]) {
      for (const threads of [1, 2]) {
        const input = pinned ? float32Zeros(x.length) : new Float32Array(x.length);
        input.set(x);
        const output = pinned ? float32Zeros(outLen) : new Float32Array(outLen);
        await rt().conv2d({ ...geometry, threads, input, weights: w, bias, output });
        for (let i = 0; i < outLen; i++) expect(output[i]).toBeCloseTo(baseline[i], 5);
      }
    }
  }
});

describe('bad input never crashes', () => {
  const base = () => ({
    batch: 1, inChannels: 2, height: 4, width: 4, outChannels: 2, kernelH: 3, kernelW: 3, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1,
    input: new Float32Array(32), weights: new Float32Array(36), output: new Float32Array(32),
  });
  const expectNax = (fn: () => unknown, code: string) => {
    let err: { name?: string; code?: string } = {};
    try {
      fn();
    } catch (e) {
      err = e as typeof err;
    }
    expect(err.name).toBe('NaxError');
    expect(err.code).toBe(code);
  };
  test('wrong lengths, types, groups and sizes', () => {
    expectNax(() => rt().conv2d({ ...base(), input: new Float32Array(31) }), 'ERR_NAX_SIZE_MISMATCH');
    expectNax(() => rt().conv2d({ ...base(), weights: new Float64Array(36) as unknown as Float32Array }), 'ERR_NAX_INVALID_ARGUMENT');
    expectNax(() => rt().conv2d({ ...base(), groups: 3 }), 'ERR_NAX_INVALID_ARGUMENT');
    expectNax(() => rt().conv2d({ ...base(), kernelH: 9, padTop: 0, padBottom: 0 }), 'ERR_NAX_INVALID_ARGUMENT');
    expectNax(() => rt().conv2d({ ...base(), strideH: 0 }), 'ERR_NAX_OUT_OF_RANGE');
    expectNax(() => rt().conv2d(undefined as never), 'ERR_NAX_INVALID_ARGUMENT');
    expectNax(
      () => rt().batchedMatmul({ m: 2, n: 2, k: 2, a: new Float32Array(4), b: new Float32Array(4), aOffsets: BigInt64Array.from([4n]), bOffsets: BigInt64Array.from([0n]), output: new Float32Array(4) }),
      'ERR_NAX_OUT_OF_RANGE',
    );
    expectNax(() => rt().pool2d({ batch: 1, channels: 1, height: 2, width: 2, outH: 1, outW: 1, kernelH: 2, kernelW: 2, isMax: 1, input: new Float32Array(4), output: new Float32Array(2) }), 'ERR_NAX_SIZE_MISMATCH');
    expectNax(() => rt().scatterRows({ batch: 1, pixels: 1, n: 2, outChannels: 3, group: 1, rows: new Float32Array(2), output: new Float32Array(3) }), 'ERR_NAX_OUT_OF_RANGE');
  });
});
