/**
 * The addon keeps its per-environment state in napi instance data, so it loads
 * and works in worker_threads as on the main thread, concurrently, and errors
 * thrown by native code are the project's own NaxError (setErrorClass).
 */
import * as path from 'path';
import { Worker } from 'worker_threads';
import { crossbarMatMul } from '../../lib/crossbar';
import { transferMatrix } from '../../lib/circuit';
import { callNative, callNativeSync, loadAddon, packageRoot } from '../../lib/native';

const inputs = Float32Array.from({ length: 12 }, (_, i) => Math.sin(i + 1));
const weights = Float32Array.from({ length: 18 }, (_, i) => Math.cos(3 * i));
const conductances = Float64Array.from({ length: 6 }, (_, i) => 1e-5 * (1 + i / 7));

interface WorkerResult {
  crossbar: Float32Array;
  circuit: Float64Array;
  error: { instanceOfNaxError: boolean; name: string; code: string; message: string; stack: string };
  failure?: string;
}

function runWorker(): Promise<WorkerResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(path.join(__dirname, 'worker-entry.js'), {
      workerData: { root: packageRoot, tsx: require.resolve('tsx/cjs'), inputs, weights, conductances },
    });
    worker.once('message', (m: WorkerResult) => {
      void worker.terminate();
      if (m.failure) reject(new Error(m.failure));
      else resolve(m);
    });
    worker.once('error', reject);
  });
}

async function mainThread(): Promise<{ crossbar: Float32Array; circuit: Float64Array }> {
  const crossbar = await crossbarMatMul(inputs, 2, weights, 6, 3, { rows: 4, cols: 2, inputScale: 1, seed: 5, readNoise: 0.3 });
  const circuit = await transferMatrix({ rows: 3, cols: 2, conductances, rWordLine: 2, rBitLine: 3, rSource: 5, rSink: 7 });
  return { crossbar, circuit };
}

describe('native addon in worker_threads', () => {
  it('crossbar and circuit calls give the main thread results in two workers running at once', async () => {
    const [a, b, main] = await Promise.all([runWorker(), runWorker(), mainThread()]);
    for (const w of [a, b]) {
      expect(Array.from(w.crossbar)).toEqual(Array.from(main.crossbar));
      expect(Array.from(w.circuit)).toEqual(Array.from(main.circuit));
    }
    // The main thread's state survives the workers' environments being torn down.
    expect(Array.from((await mainThread()).crossbar)).toEqual(Array.from(main.crossbar));
  });

  it('native errors are NaxError instances with a code and the call site stack (worker: outside jest)', async () => {
    const { error } = await runWorker();
    expect(error.instanceOfNaxError).toBe(true);
    expect(error.name).toBe('NaxError');
    expect(error.code).toBe('ERR_NAX_OUT_OF_RANGE');
    expect(error.message).toMatch(/conductances\[0\]/);
    expect(error.stack).toMatch(/worker-entry\.js/);
  });
});

describe('native errors on the main thread', () => {
  const expectNax = (err: unknown, code: string) => {
    const e = err as { name?: string; code?: string; stack?: string };
    expect(e.name).toBe('NaxError');
    expect(e.code).toBe(code);
    expect(e.stack).toMatch(/worker\.test\.ts/); // the JS call site
  };
  it('async rejections (made after a native worker finished) and sync throws', async () => {
    const addon = loadAddon();
    let rejected: unknown;
    try {
      await callNative(() => addon.circuitTransferMatrix({ rows: 1, cols: 1, conductances: new Float64Array([0]), rWordLine: 1, rBitLine: 1, rSource: 1, rSink: 1 }));
    } catch (err) {
      rejected = err;
    }
    expectNax(rejected, 'ERR_NAX_OUT_OF_RANGE');
    let thrown: unknown;
    try {
      callNativeSync(() => addon.crossbarGeometry({ k: 0 } as never));
    } catch (err) {
      thrown = err;
    }
    expectNax(thrown, 'ERR_NAX_OUT_OF_RANGE');
  });
  it('setErrorClass checks its argument', () => {
    let thrown: unknown;
    try {
      loadAddon().setErrorClass(42 as never);
    } catch (err) {
      thrown = err;
    }
    expect((thrown as { code?: string }).code).toBe('ERR_NAX_INVALID_ARGUMENT');
  });
});
