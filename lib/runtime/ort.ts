/**
 * onnxruntime-node, the outside reference executor, is an optional dependency:
 * its install script downloads CUDA libraries on linux-x64 and fails offline,
 * and npm then leaves it out instead of failing the whole install. Everything
 * that uses it loads it here and says how to add it when it is missing.
 */
type Ort = typeof import('onnxruntime-node');

let cached: { ort: Ort | null; reason: string | null } | undefined;

/** How to install the reference executor (offline-safe). */
export const ORT_INSTALL_HINT =
  'install it with `ONNXRUNTIME_NODE_INSTALL=skip npm install onnxruntime-node@1.30` (its CPU build ships in the package; the variable skips the CUDA download)';

/** onnxruntime-node, or null with the reason when it is not installed. Other load errors are thrown. */
export function loadOnnxRuntime(): { ort: Ort | null; reason: string | null } {
  if (cached) return cached;
  try {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    cached = { ort: require('onnxruntime-node') as Ort, reason: null };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code !== 'MODULE_NOT_FOUND' || !/onnxruntime-node/.test(e.message)) throw err;
    cached = { ort: null, reason: `onnxruntime-node is not installed (optional dependency); ${ORT_INSTALL_HINT}` };
  }
  return cached;
}
