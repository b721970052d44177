/**
 * Calibration: runs batches through the executor in ideal mode and records each crossbar
 * layer's input range (the activation scale its DAC range maps to; signed inputs).
 */
import type { Graph } from '../onnx/ir';
import { GraphExecutor } from './executor';

/** Observed range of one crossbar layer's activation input over the calibration batches. */
export interface InputRange {
  /** max |x|: the input scale mapped to the DAC's full scale. */
  maxAbs: number;
  /** Smallest input seen; < 0 means the layer needs signed (two-pass) inputs. */
  min: number;
}

/** Runs calibration batches in ideal mode and records each crossbar layer's input range. */
export async function calibrateInputRanges(
  graph: Graph,
  batches: Iterable<{ images: Float32Array; dims: number[] }> | AsyncIterable<{ images: Float32Array; dims: number[] }>,
  options: { threads?: number } = {},
): Promise<Map<string, InputRange>> {
  const ranges = new Map<string, InputRange>();
  const ex = await GraphExecutor.create(graph, {
    mode: 'ideal',
    threads: options.threads,
    observe: (layer, input) => {
      const r = ranges.get(layer.name) ?? { maxAbs: 0, min: Infinity };
      const d = input.data;
      let m = r.maxAbs, lo = r.min;
      for (let i = 0; i < d.length; i++) {
        const v = d[i];
        if (v < lo) lo = v;
        const a = v < 0 ? -v : v;
        if (a > m) m = a;
      }
      ranges.set(layer.name, { maxAbs: m, min: lo });
    },
  });
  for await (const b of batches as AsyncIterable<{ images: Float32Array; dims: number[] }>) await ex.runBatch(b.images, b.dims);
  return ranges;
}

/**
 * Runs calibration batches in ideal mode and returns each crossbar layer's
 * max |input| (the activation scale its DAC range maps to).
 */
export async function calibrateInputScales(
  graph: Graph,
  batches: Iterable<{ images: Float32Array; dims: number[] }> | AsyncIterable<{ images: Float32Array; dims: number[] }>,
  options: { threads?: number } = {},
): Promise<Map<string, number>> {
  const ranges = await calibrateInputRanges(graph, batches, options);
  return new Map([...ranges].map(([k, r]) => [k, r.maxAbs]));
}
