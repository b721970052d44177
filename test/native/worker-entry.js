// Entry of the worker_threads test (test/native/worker.test.ts): plain Node,
// outside jest's module sandbox, with tsx compiling lib/ on the fly. Runs a
// small crossbar layer and circuit solve and reports a native error's shape.
const { parentPort, workerData } = require('worker_threads');
require(workerData.tsx);
const path = require('path');
const lib = (p) => require(path.join(workerData.root, 'lib', p));
const { crossbarMatMul } = lib('crossbar');
const { transferMatrix } = lib('circuit');
const { NaxError } = lib('errors');
const { callNative, loadAddon } = lib('native');

(async () => {
  const { inputs, weights, conductances } = workerData;
  const crossbar = await crossbarMatMul(inputs, 2, weights, 6, 3, { rows: 4, cols: 2, inputScale: 1, seed: 5, readNoise: 0.3 });
  const circuit = await transferMatrix({ rows: 3, cols: 2, conductances, rWordLine: 2, rBitLine: 3, rSource: 5, rSink: 7 });
  let error;
  try {
    // Past the TypeScript checks: the core rejects the zero conductance on a native thread.
    await callNative(() => loadAddon().circuitTransferMatrix({ rows: 1, cols: 1, conductances: new Float64Array([0]), rWordLine: 1, rBitLine: 1, rSource: 1, rSink: 1 }));
  } catch (err) {
    error = { instanceOfNaxError: err instanceof NaxError, name: err.name, code: err.code, message: err.message, stack: err.stack };
  }
  parentPort.postMessage({ crossbar, circuit, error });
})().catch((err) => parentPort.postMessage({ failure: String(err && err.stack ? err.stack : err) }));
