/**
 * Child of detach.test.ts (run with --expose-gc): starts every async native entry, transfers
 * (detaches) one of its typed arrays while the work runs, drops it and collects garbage, then
 * reports how each call ended. A crash shows up in the parent as a signal. argv[2] 'worker' runs
 * the same inside a worker_threads Worker.
 */
import { isMainThread, Worker } from 'worker_threads';
import { loadAddon } from '../../lib/native';
import { NaxError } from '../../lib/errors';
import { buildNetwork } from '../../lib/train';
import { resolveCrossbarConfig, toNativeConfig } from '../../lib/crossbar/config';
import { resolveDeviceConfig, toNativeDevice } from '../../lib/crossbar/devices';

type Case = { name: string; start: () => { promise: Promise<unknown>; victim: ArrayBufferView } };

const rand = (n: number, seed = 1) => {
  const a = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    a[i] = (s / 2 ** 32) * 2 - 1;
  }
  return a;
};

function cases(): Case[] {
  const addon = loadAddon();
  const rt = addon.runtime;
  const cfg = toNativeConfig(resolveCrossbarConfig({ rows: 128, cols: 128, inputScale: 1, seed: 1, threads: 2 }));
  const k = 1024, n = 256;
  const conv = { batch: 16, inChannels: 16, height: 32, width: 32, outChannels: 32, kernelH: 3, kernelW: 3, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1, threads: 2 };
  return [
    { name: 'crossbarProgram weights', start: () => { const w = rand(k * n); return { promise: addon.crossbarProgram({ weights: w, k, n, config: cfg as never }), victim: w }; } },
    {
      name: 'crossbar run inputs',
      start: () => {
        const x = rand(2048 * k, 2);
        const promise = addon.crossbarProgram({ weights: rand(k * n), k, n, config: cfg as never }).then((layer) => {
          const p = layer.run(x, 2048);
          detach(x);
          return p;
        });
        return { promise, victim: new Float32Array(1) };
      },
    },
    {
      name: 'crossbar calibrateAdc inputs',
      start: () => {
        const x = rand(2048 * k, 4);
        const calibrated = toNativeConfig(resolveCrossbarConfig({ rows: 128, cols: 128, inputScale: 1, seed: 1, threads: 2, adcRange: 'calibrated' }));
        const promise = addon.crossbarProgram({ weights: rand(k * n), k, n, config: calibrated }).then((layer) => {
          const p = layer.calibrateAdc(x, 2048);
          detach(x);
          return p;
        });
        return { promise, victim: new Float32Array(1) };
      },
    },
    {
      name: 'crossbar columnCurrents digits',
      start: () => {
        const digits = new Float64Array(128).fill(1);
        const parasitic = toNativeConfig(resolveCrossbarConfig({ rows: 128, cols: 128, inputScale: 1, seed: 1, threads: 2, parasitics: true }));
        const promise = addon.crossbarProgram({ weights: rand(128 * 128), k: 128, n: 128, config: parasitic }).then((layer) => {
          const p = layer.columnCurrents(0, digits);
          detach(digits);
          return p;
        });
        return { promise, victim: new Float32Array(1) };
      },
    },
    {
      name: 'deviceConductances targets',
      start: () => {
        const device = resolveDeviceConfig('pcm-aihwkit');
        const targets = new Float64Array(1 << 20).fill(10e-6);
        return { promise: addon.deviceConductances({ device: toNativeDevice(device), gMin: device.gMin!, gMax: device.gMax!, targets, seed: 1, array: 0 }), victim: targets };
      },
    },
    { name: 'gemm a', start: () => { const a = rand(600 * 600); return { promise: addon.gemm({ transA: false, transB: false, m: 600, n: 600, k: 600, alpha: 1, beta: 0, a, lda: 600, b: rand(360000, 3), ldb: 600, c: new Float32Array(360000), ldc: 600, threads: 2 }), victim: a }; } },
    { name: 'gemm c (output)', start: () => { const c = new Float32Array(360000); return { promise: addon.gemm({ transA: false, transB: false, m: 600, n: 600, k: 600, alpha: 1, beta: 1, a: rand(360000), lda: 600, b: rand(360000, 3), ldb: 600, c, ldc: 600, threads: 2 }), victim: c }; } },
    {
      name: 'transferMatrix conductances',
      start: () => {
        const g = new Float64Array(96 * 96).fill(5e-6);
        return { promise: addon.circuitTransferMatrix({ rows: 96, cols: 96, conductances: g, rWordLine: 2.8, rBitLine: 2.8, rSource: 0, rSink: 0, threads: 1, method: 'banded' } as never), victim: g };
      },
    },
    {
      name: 'solveCircuit voltages',
      start: () => {
        const v = new Float64Array(96 * 400).fill(0.1);
        return { promise: addon.circuitSolve({ rows: 96, cols: 96, conductances: new Float64Array(96 * 96).fill(5e-6), rWordLine: 2.8, rBitLine: 2.8, rSource: 0, rSink: 0, threads: 1, voltages: v } as never), victim: v };
      },
    },
    { name: 'conv2d input', start: () => { const input = rand(16 * 16 * 32 * 32); return { promise: rt.conv2d({ ...conv, input, weights: rand(32 * 16 * 9), output: new Float32Array(16 * 32 * 32 * 32) }), victim: input }; } },
    { name: 'conv2d output', start: () => { const output = new Float32Array(16 * 32 * 32 * 32); return { promise: rt.conv2d({ ...conv, input: rand(16 * 16 * 32 * 32), weights: rand(32 * 16 * 9), output }), victim: output }; } },
    { name: 'pool2d input', start: () => { const input = rand(64 * 32 * 64 * 64); return { promise: rt.pool2d({ batch: 64, channels: 32, height: 64, width: 64, outH: 32, outW: 32, kernelH: 2, kernelW: 2, strideH: 2, strideW: 2, isMax: 1, threads: 2, input, output: new Float32Array(64 * 32 * 32 * 32) }), victim: input }; } },
    { name: 'globalAveragePool input', start: () => { const input = rand(4096 * 1024); return { promise: rt.globalAveragePool({ planes: 4096, spatial: 1024, threads: 2, input, output: new Float32Array(4096) }), victim: input }; } },
    {
      name: 'batchedMatmul b',
      start: () => {
        const b = rand(200 * 200 * 8);
        const offs = BigInt64Array.from([0n, 40000n, 80000n, 120000n]);
        return { promise: rt.batchedMatmul({ m: 200, n: 200, k: 200, threads: 2, a: rand(200 * 200 * 8), b, aOffsets: offs, bOffsets: offs, output: new Float32Array(4 * 40000) }), victim: b };
      },
    },
    { name: 'biasActivation data (in place)', start: () => { const data = rand(64 * 64 * 4096); return { promise: rt.biasActivation({ batch: 64, channels: 64, inner: 4096, activation: 1, threads: 2, data, bias: rand(64) }), victim: data }; } },
    { name: 'im2rowBatch input', start: () => { const input = rand(16 * 16 * 32 * 32); return { promise: rt.im2rowBatch({ ...conv, input, rows: new Float32Array(16 * 32 * 32 * 16 * 9) }), victim: input }; } },
    { name: 'scatterRows output', start: () => { const output = new Float32Array(64 * 64 * 1024); return { promise: rt.scatterRows({ batch: 64, pixels: 1024, n: 64, outChannels: 64, threads: 2, rows: rand(64 * 1024 * 64), output }), victim: output }; } },
    // Pinned memory (allocPinned: what the executor's tensors use) is read and written in place,
    // the work holding the block. Node cannot detach an external ArrayBuffer: a transfer copies
    // it and leaves the original attached, so these calls complete.
    {
      name: 'conv2d pinned input',
      start: () => {
        const input = pinned(16 * 16 * 32 * 32);
        input.set(rand(input.length));
        return { promise: rt.conv2d({ ...conv, input, weights: rand(32 * 16 * 9), output: pinned(16 * 32 * 32 * 32) }), victim: input };
      },
    },
    { name: 'conv2d pinned output', start: () => { const output = pinned(16 * 32 * 32 * 32); return { promise: rt.conv2d({ ...conv, input: rand(16 * 16 * 32 * 32), weights: rand(32 * 16 * 9), output }), victim: output }; } },
    {
      name: 'elementwise pinned a = output (in place)',
      start: () => {
        const a = pinned(1 << 23);
        a.set(rand(a.length));
        return { promise: rt.elementwise({ op: 0, threads: 2, a, b: rand(1 << 23, 5), output: a }), victim: a };
      },
    },
    { name: 'elementwise a', start: () => { const a = rand(1 << 23); return { promise: rt.elementwise({ op: 0, threads: 2, a, b: rand(1 << 23, 5), output: new Float32Array(1 << 23) }), victim: a }; } },
    {
      name: 'trainStep images',
      start: () => {
        const spec = buildNetwork('lenet', { inputShape: [1, 28, 28], classes: 10 });
        const net = new addon.TrainNet({ nodes: spec.nodes, inputShape: spec.inputShape, threads: 2 });
        const images = rand(256 * 784);
        return { promise: net.trainStep({ images, labels: new Uint8Array(256), count: 256, lr: 0.01 }), victim: images };
      },
    },
  ];
}

function pinned(n: number): Float32Array {
  return new Float32Array(loadAddon().runtime.allocPinned(n * 4));
}

function detach(v: ArrayBufferView): void {
  if (v.buffer.byteLength > 0) structuredClone(v.buffer, { transfer: [v.buffer as ArrayBuffer] });
}

async function main(): Promise<string[]> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with --expose-gc');
  const lines: string[] = [];
  const victimOf = new Map<string, ArrayBufferView>();
  for (const c of cases()) {
    let promise: Promise<unknown>;
    try {
      const started = c.start();
      victimOf.set(c.name, started.victim);
      promise = started.promise;
      detach(started.victim);
    } catch (err) {
      lines.push(`${c.name}: threw at start ${(err as Error).message}`);
      continue;
    }
    for (let i = 0; i < 5; i++) {
      new Float32Array(1 << 22).fill(i); // reuse freed memory
      gc();
    }
    try {
      await promise;
      lines.push(`${c.name}: ok${/pinned/.test(c.name) ? ` (${victimOf.get(c.name)!.byteLength > 0 ? 'still attached' : 'detached'})` : ''}`);
    } catch (err) {
      lines.push(`${c.name}: ${err instanceof NaxError ? `NaxError ${(err as NaxError).code}` : `not a NaxError: ${(err as Error).message}`} ${(err as Error).message}`);
    }
  }
  return lines;
}

if (isMainThread && process.argv[2] === 'worker') {
  const w = new Worker(__filename, { execArgv: ['--require', require.resolve('tsx/cjs')] });
  w.on('message', (lines: string[]) => console.log(lines.join('\n')));
  w.on('error', (e) => {
    console.error(e);
    process.exit(1);
  });
} else if (isMainThread) {
  main().then((lines) => console.log(lines.join('\n')), (e) => { console.error(e); process.exit(1); });
} else {
  main().then((lines) => require('worker_threads').parentPort.postMessage(lines));
}
