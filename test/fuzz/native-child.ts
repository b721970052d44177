/**
 * Fuzz worker for the native entries (raw addon, no TypeScript checks in front): random sizes,
 * lengths, element types, NaN/Inf, zero and negative conductances and resistances, missing and
 * wrong-typed fields. Every call must resolve or throw/reject a NaxError; a signal in this child is
 * a crash. Prints one JSON line per case, like onnx-child.ts. argv: seed start end
 */
import { loadAddon } from '../../lib/native';
import { NaxError } from '../../lib/errors';
import { Rng } from '../../lib/search/random';
import { buildNetwork } from '../../lib/train';

const SPECIAL = [NaN, Infinity, -Infinity, -1, 0, 1e-300, 1e300, 2 ** 31, -(2 ** 53), 0.5];

// Chance that a field is bad, drawn per case: some cases have none, so calls also go deep.
let bad = 0.45;

function numberLike(rng: Rng, typical: number): unknown {
  const r = rng.nextFloat();
  if (r >= bad) return typical;
  const q = r / bad;
  if (q < 0.55) return rng.pick(SPECIAL);
  if (q < 0.75) return Math.floor(typical * (0.5 + rng.nextFloat() * 2));
  return rng.pick([undefined, null, 'x', {}, [], true, 3n]);
}

function arrayLike(rng: Rng, type: 'f32' | 'f64' | 'u8', length: number, positive = false): unknown {
  const r = rng.nextFloat();
  const len = r < 0.7 ? length : r < 0.8 ? Math.max(0, length - 1 - rng.int(Math.max(1, length))) : r < 0.85 ? length + 1 + rng.int(16) : 0;
  if (rng.chance(0.06)) return rng.pick([undefined, null, [1, 2, 3], new Int32Array(len), new Float32Array(new SharedArrayBuffer(4 * len))]);
  const C = type === 'f32' ? (rng.chance(0.9) ? Float32Array : Float64Array) : type === 'f64' ? (rng.chance(0.9) ? Float64Array : Float32Array) : Uint8Array;
  const a = new C(len);
  for (let i = 0; i < len; i++) a[i] = type === 'u8' ? rng.int(12) : positive ? 1e-6 * (1 + rng.nextFloat()) : rng.nextFloat() * 2 - 1;
  if (len && rng.chance(0.2)) a[rng.int(len)] = type === 'u8' ? 255 : rng.pick(SPECIAL);
  return a;
}

function crossbarConfig(rng: Rng): Record<string, unknown> {
  const rows = rng.pick([8, 16, 32, 64]);
  const c: Record<string, unknown> = {
    rows: numberLike(rng, rows), cols: numberLike(rng, rng.pick([8, 16, 32])), bitsPerCell: numberLike(rng, 2), weightBits: numberLike(rng, 8),
    inputBits: numberLike(rng, 8), dacBits: numberLike(rng, 1), adcBits: numberLike(rng, 9), adcCalibrated: numberLike(rng, 0), gOn: numberLike(rng, 1e-5),
    gOff: numberLike(rng, 1 / 6e5), vRead: numberLike(rng, 0.25), parasitics: numberLike(rng, rng.int(2)), rWordLine: numberLike(rng, 2.82),
    rBitLine: numberLike(rng, 2.82), rSource: numberLike(rng, 0), rSink: numberLike(rng, 0), variation: numberLike(rng, rng.int(3)),
    variationSigma: numberLike(rng, 0.1), stuckAtOn: numberLike(rng, 0), stuckAtOff: numberLike(rng, 0), readNoise: numberLike(rng, 0.5),
    perChannel: numberLike(rng, 0), inputScale: numberLike(rng, 1), seed: numberLike(rng, 1), threads: numberLike(rng, 1), ideal: numberLike(rng, 0),
  };
  if (rng.chance(0.05)) delete c[rng.pick(Object.keys(c))];
  return c;
}

type Call = () => unknown;

function makeCall(rng: Rng): { name: string; call: Call } {
  const addon = loadAddon() as unknown as Record<string, (...a: unknown[]) => unknown> & { runtime: Record<string, (o: unknown) => unknown> };
  const kind = rng.pick(['gemm', 'program', 'run', 'transfer', 'solve', 'conv2d', 'pool2d', 'gap', 'matmul', 'bias', 'im2row', 'scatter', 'elementwise', 'train']);
  const m = 1 + rng.int(40), n = 1 + rng.int(40), k = 1 + rng.int(40);
  switch (kind) {
    case 'gemm':
      return { name: kind, call: () => addon.gemm({ transA: rng.chance(0.5), transB: rng.chance(0.5), m: numberLike(rng, m), n: numberLike(rng, n), k: numberLike(rng, k), alpha: numberLike(rng, 1), beta: numberLike(rng, 0), a: arrayLike(rng, 'f32', m * k), lda: numberLike(rng, k), b: arrayLike(rng, 'f32', k * n), ldb: numberLike(rng, n), c: arrayLike(rng, 'f32', m * n), ldc: numberLike(rng, n), threads: numberLike(rng, 1) }) };
    case 'program':
      return { name: kind, call: () => addon.crossbarProgram({ weights: arrayLike(rng, 'f32', k * n), k: numberLike(rng, k), n: numberLike(rng, n), config: crossbarConfig(rng) }) };
    case 'run':
      return {
        name: kind,
        call: async () => {
          const layer = (await addon.crossbarProgram({ weights: new Float32Array(k * n).fill(0.3), k, n, config: { ...crossbarConfig(new Rng(1)), ...{ rows: 16, cols: 16, bitsPerCell: 2, weightBits: 8, inputBits: 8, dacBits: 1, adcBits: 9, gOn: 1e-5, gOff: 1e-6, vRead: 0.25, parasitics: 0, variation: 0, variationSigma: 0, stuckAtOn: 0, stuckAtOff: 0, readNoise: 0.5, inputScale: 1, threads: 1, ideal: 0, adcCalibrated: 0, perChannel: 0, seed: 1, rWordLine: 0, rBitLine: 0, rSource: 0, rSink: 0 } } })) as { run: (x: unknown, b: unknown) => unknown };
          const batch = 1 + rng.int(5);
          return layer.run(arrayLike(rng, 'f32', batch * k), numberLike(rng, batch));
        },
      };
    case 'transfer':
    case 'solve': {
      const rows = 1 + rng.int(24), cols = 1 + rng.int(24);
      const g = arrayLike(rng, 'f64', rows * cols, true);
      const base = { rows: numberLike(rng, rows), cols: numberLike(rng, cols), conductances: g, rWordLine: numberLike(rng, 2.82), rBitLine: numberLike(rng, 2.82), rSource: numberLike(rng, 0), rSink: numberLike(rng, 0), threads: numberLike(rng, 1) };
      return kind === 'transfer'
        ? { name: kind, call: () => addon.circuitTransferMatrix({ ...base, method: rng.pick(['fast', 'banded', 'bogus', undefined]) }) }
        : { name: kind, call: () => addon.circuitSolve({ ...base, voltages: arrayLike(rng, 'f64', rows * (1 + rng.int(3))) }) };
    }
    case 'conv2d': {
      const b = 1 + rng.int(2), ci = 1 + rng.int(4), co = 1 + rng.int(4), h = 1 + rng.int(8), w = 1 + rng.int(8), kh = 1 + rng.int(3), kw = 1 + rng.int(3);
      return { name: kind, call: () => addon.runtime.conv2d({ batch: numberLike(rng, b), inChannels: numberLike(rng, ci), height: numberLike(rng, h), width: numberLike(rng, w), outChannels: numberLike(rng, co), groups: numberLike(rng, 1), kernelH: numberLike(rng, kh), kernelW: numberLike(rng, kw), padTop: numberLike(rng, 1), padLeft: numberLike(rng, 1), padBottom: numberLike(rng, 1), padRight: numberLike(rng, 1), strideH: numberLike(rng, 1), strideW: numberLike(rng, 1), dilationH: numberLike(rng, 1), dilationW: numberLike(rng, 1), threads: 1, input: arrayLike(rng, 'f32', b * ci * h * w), weights: arrayLike(rng, 'f32', co * ci * kh * kw), output: arrayLike(rng, 'f32', b * co * (h + 2 - kh + 1) * (w + 2 - kw + 1)) }) };
    }
    case 'pool2d': {
      const planes = 1 + rng.int(4), h = 2 + rng.int(8), w = 2 + rng.int(8);
      return { name: kind, call: () => addon.runtime.pool2d({ batch: numberLike(rng, 1), channels: numberLike(rng, planes), height: numberLike(rng, h), width: numberLike(rng, w), outH: numberLike(rng, h >> 1), outW: numberLike(rng, w >> 1), kernelH: numberLike(rng, 2), kernelW: numberLike(rng, 2), strideH: numberLike(rng, 2), strideW: numberLike(rng, 2), isMax: numberLike(rng, 1), threads: 1, input: arrayLike(rng, 'f32', planes * h * w), output: arrayLike(rng, 'f32', planes * (h >> 1) * (w >> 1)) }) };
    }
    case 'gap':
      return { name: kind, call: () => addon.runtime.globalAveragePool({ planes: numberLike(rng, m), spatial: numberLike(rng, n), threads: 1, input: arrayLike(rng, 'f32', m * n), output: arrayLike(rng, 'f32', m) }) };
    case 'matmul': {
      const batch = 1 + rng.int(3);
      const offs = (stride: number) => (rng.chance(0.85) ? BigInt64Array.from({ length: batch }, (_, i) => BigInt(i * stride)) : BigInt64Array.from({ length: batch }, () => BigInt(rng.pick([-1, 2 ** 40, 7]))));
      return { name: kind, call: () => addon.runtime.batchedMatmul({ m: numberLike(rng, m), n: numberLike(rng, n), k: numberLike(rng, k), threads: 1, a: arrayLike(rng, 'f32', batch * m * k), b: arrayLike(rng, 'f32', batch * k * n), aOffsets: offs(m * k), bOffsets: offs(k * n), output: arrayLike(rng, 'f32', batch * m * n) }) };
    }
    case 'bias':
      return { name: kind, call: () => addon.runtime.biasActivation({ batch: numberLike(rng, 2), channels: numberLike(rng, m), inner: numberLike(rng, n), activation: numberLike(rng, rng.int(4)), clipMin: numberLike(rng, 0), clipMax: numberLike(rng, 6), alpha: numberLike(rng, 0.1), threads: 1, data: arrayLike(rng, 'f32', 2 * m * n), bias: rng.chance(0.5) ? arrayLike(rng, 'f32', m) : undefined }) };
    case 'im2row': {
      const ci = 1 + rng.int(3), h = 2 + rng.int(6), w = 2 + rng.int(6);
      return { name: kind, call: () => addon.runtime.im2rowBatch({ batch: numberLike(rng, 1), inChannels: numberLike(rng, ci), height: numberLike(rng, h), width: numberLike(rng, w), outChannels: numberLike(rng, 2), groups: numberLike(rng, 1), kernelH: numberLike(rng, 2), kernelW: numberLike(rng, 2), group: numberLike(rng, 0), input: arrayLike(rng, 'f32', ci * h * w), rows: arrayLike(rng, 'f32', (h - 1) * (w - 1) * ci * 4) }) };
    }
    case 'scatter':
      return { name: kind, call: () => addon.runtime.scatterRows({ batch: numberLike(rng, 1), pixels: numberLike(rng, m), n: numberLike(rng, n), outChannels: numberLike(rng, n), group: numberLike(rng, 0), threads: 1, rows: arrayLike(rng, 'f32', m * n), output: arrayLike(rng, 'f32', n * m) }) };
    case 'elementwise':
      return { name: kind, call: () => addon.runtime.elementwise({ op: numberLike(rng, rng.int(3)), relu: numberLike(rng, 0), threads: 1, a: arrayLike(rng, 'f32', m), b: arrayLike(rng, 'f32', m), output: arrayLike(rng, 'f32', m) }) };
    default: {
      const spec = buildNetwork('lenet', { inputShape: [1, 12, 12], classes: 4 });
      return {
        name: kind,
        call: () => {
          const net = new (addon as unknown as { TrainNet: new (o: unknown) => { trainStep: (o: unknown) => unknown } }).TrainNet({ nodes: spec.nodes, inputShape: spec.inputShape, threads: 1 });
          const count = 1 + rng.int(6);
          return net.trainStep({ images: arrayLike(rng, 'f32', count * 144), labels: arrayLike(rng, 'u8', count), count: numberLike(rng, count), lr: numberLike(rng, 0.01), momentum: numberLike(rng, 0.9) });
        },
      };
    }
  }
}

async function main(): Promise<void> {
  const [seed, start, end] = process.argv.slice(2).map(Number);
  for (let i = start; i < end; i++) {
    process.stdout.write(JSON.stringify({ i, started: true }) + '\n');
    const rng = new Rng(seed * 7_000_003 + i);
    bad = rng.pick([0, 0.02, 0.08, 0.45]);
    let name = '?';
    let error: unknown;
    try {
      const c = makeCall(rng);
      name = c.name;
      await c.call();
    } catch (e) {
      error = e;
    }
    const e = error as { name?: string; code?: string; message?: string; stack?: string } | undefined;
    process.stdout.write(
      JSON.stringify({ i, model: 'native', kind: name, stage: name, outcome: !e ? 'ok' : e instanceof NaxError ? 'nax' : 'foreign', code: e?.code, name: e?.name, message: e?.message?.slice(0, 300), where: e instanceof NaxError ? undefined : e?.stack?.split('\n').slice(1, 3).join(' | ') }) + '\n',
    );
  }
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exit(3);
});
