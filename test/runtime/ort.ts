/** onnxruntime-node as the reference: run ONNX bytes on one float32 input. */
import * as ort from 'onnxruntime-node';

export async function ortRun(bytes: Uint8Array, inputName: string, dims: number[], data: Float32Array): Promise<Record<string, { dims: number[]; data: Float32Array }>> {
  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 2 });
  const out = await session.run({ [inputName]: new ort.Tensor('float32', data, dims) });
  const result: Record<string, { dims: number[]; data: Float32Array }> = {};
  for (const [k, v] of Object.entries(out)) result[k] = { dims: [...v.dims], data: v.data as Float32Array };
  await session.release();
  return result;
}

/** max |a - b| / max |ref|: the relative error over a whole output. */
export function relativeError(ref: ArrayLike<number>, got: ArrayLike<number>): number {
  let maxRef = 0, maxDiff = 0;
  for (let i = 0; i < ref.length; i++) {
    maxRef = Math.max(maxRef, Math.abs(ref[i]));
    maxDiff = Math.max(maxDiff, Math.abs(ref[i] - got[i]));
  }
  return maxRef === 0 ? maxDiff : maxDiff / maxRef;
}

export function randomImages(count: number, seed = 1): Float32Array {
  const out = new Float32Array(count);
  let s = seed >>> 0;
  for (let i = 0; i < count; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s / 4294967296) * 2 - 1;
  }
  return out;
}
