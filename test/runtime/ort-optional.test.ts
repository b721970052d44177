/**
 * onnxruntime-node is an optional dependency (its install script fails offline on linux-x64 and
 * npm then leaves it out): without it, loading reports why and how to add it; other load errors
 * are not hidden.
 */
describe('onnxruntime-node as an optional dependency', () => {
  afterEach(() => {
    jest.resetModules();
    jest.dontMock('onnxruntime-node');
  });

  it('is loaded when installed', () => {
    jest.isolateModules(() => {
      const { loadOnnxRuntime } = require('../../lib/runtime/ort') as typeof import('../../lib/runtime/ort');
      const r = loadOnnxRuntime();
      expect(r.reason).toBeNull();
      expect(typeof r.ort?.InferenceSession.create).toBe('function');
    });
  });

  it('missing: null with the reason and an offline-safe install command', () => {
    jest.isolateModules(() => {
      jest.doMock('onnxruntime-node', () => {
        throw Object.assign(new Error("Cannot find module 'onnxruntime-node'"), { code: 'MODULE_NOT_FOUND' });
      });
      const { loadOnnxRuntime } = require('../../lib/runtime/ort') as typeof import('../../lib/runtime/ort');
      const r = loadOnnxRuntime();
      expect(r.ort).toBeNull();
      expect(r.reason).toMatch(/not installed \(optional dependency\).*ONNXRUNTIME_NODE_INSTALL=skip npm install onnxruntime-node/);
    });
  });

  it('a broken install (any other error) is thrown, not reported as missing', () => {
    jest.isolateModules(() => {
      jest.doMock('onnxruntime-node', () => {
        throw new Error('libonnxruntime.so.1: cannot open shared object file');
      });
      const { loadOnnxRuntime } = require('../../lib/runtime/ort') as typeof import('../../lib/runtime/ort');
      expect(() => loadOnnxRuntime()).toThrow(/libonnxruntime/);
    });
  });
});
