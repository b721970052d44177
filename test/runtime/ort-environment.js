// Jest environment for tests that call onnxruntime-node: the addon builds
// typed arrays in the outer realm, and ORT checks `instanceof Float32Array`,
// so the sandbox shares the outer realm's typed-array constructors.
const { TestEnvironment } = require('jest-environment-node');

class OrtEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    for (const T of [Float32Array, Float64Array, Int8Array, Uint8Array, Int16Array, Uint16Array, Int32Array, Uint32Array, BigInt64Array, BigUint64Array, ArrayBuffer]) {
      this.global[T.name] = T;
    }
  }
}
module.exports = OrtEnvironment;
