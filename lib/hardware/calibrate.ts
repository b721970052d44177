/**
 * Input-digit statistics of a calibration set for the device energy: runs batches through the
 * graph in ideal mode and, for every crossbar layer of `plan`, accumulates the DAC digits of its
 * input activations with the layer's planned input scale, bits and sign (DigitStatistics). The
 * activations are taken before im2col, so zero padding and the repetition of border pixels
 * across windows are not weighted as the arrays see them (a small difference for 3x3 convs).
 * The result goes to hardwareCost({ plan, devices }).
 */
import type { Graph } from '../onnx/ir';
import type { CrossbarPlan } from '../plan/plan';
import { GraphExecutor } from '../runtime/executor';
import { DigitStatistics } from './devices';
import type { LayerDeviceData } from './model';

export async function calibrateInputActivity(
  graph: Graph,
  plan: CrossbarPlan,
  batches: Iterable<{ images: Float32Array; dims: number[] }> | AsyncIterable<{ images: Float32Array; dims: number[] }>,
  options: { threads?: number } = {},
): Promise<Record<string, LayerDeviceData>> {
  const stats = new Map<string, DigitStatistics>();
  for (const l of plan.layers)
    if (l.config.inputScale !== undefined && l.config.inputScale > 0)
      stats.set(l.name, new DigitStatistics({ inputScale: l.config.inputScale, inputBits: l.config.inputBits, dacBits: l.config.dacBits, signed: l.signedInput }));
  const ex = await GraphExecutor.create(graph, { mode: 'ideal', threads: options.threads, observe: (layer, input) => void stats.get(layer.name)?.add(input.data) });
  for await (const b of batches as AsyncIterable<{ images: Float32Array; dims: number[] }>) await ex.runBatch(b.images, b.dims);
  const out: Record<string, LayerDeviceData> = {};
  for (const [name, s] of stats) if (s.samples > 0) out[name] = { activity: s.activity() };
  return out;
}
