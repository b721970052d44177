/**
 * Input-digit statistics of a calibration set for the device energy: runs batches through the
 * graph in ideal mode and, for every crossbar layer of `plan`, accumulates the DAC digits of its
 * input activations with the layer's planned input scale, bits and sign (DigitStatistics). The
 * activations are taken before im2col, so zero padding and the repetition of border pixels
 * across windows are not weighted as the arrays see them (a small difference for 3x3 convs).
 * The result goes to hardwareCost({ plan, devices }).
 *
 * eval, sweep and evolve cost their plans with the measured statistics through
 * {@link InputActivityCache}: one ideal pass over the calibration images per distinct set of
 * layer input settings (input scale, bits, DAC bits, sign), so a sweep over crossbar sizes or a
 * search over crossbar genes of one subnet measures once.
 */
import { expectOneOf } from '../errors';
import type { Graph } from '../onnx/ir';
import type { CrossbarPlan, LayerPlan } from '../plan/plan';
import { GraphExecutor } from '../runtime/executor';
import { DigitStatistics, type InputActivity } from './devices';
import type { LayerDeviceData, NetworkCost } from './model';

type Batches = Iterable<{ images: Float32Array; dims: number[] }> | AsyncIterable<{ images: Float32Array; dims: number[] }>;

export async function calibrateInputActivity(
  graph: Graph,
  plan: CrossbarPlan,
  batches: Batches,
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

/** What decides a layer's digit statistics besides the data: its name and input settings. */
function activityKey(l: LayerPlan): string {
  return JSON.stringify([l.name, l.config.inputScale ?? null, l.config.inputBits, l.config.dacBits, l.signedInput]);
}

/**
 * Measured input activity of one graph's calibration set, per plan: `devices(plan)` returns the
 * hardwareCost `devices` entry of every layer with a calibrated input scale, measuring (one ideal
 * pass over `batches()`) only the layers whose input settings it has not seen.
 */
export class InputActivityCache {
  private readonly known = new Map<string, InputActivity>();
  /** Ideal passes run and the seconds they took (what measuring the activity costs). */
  passes = 0;
  seconds = 0;

  constructor(
    private readonly graph: Graph,
    private readonly batches: () => Batches,
    /** Images in one pass of `batches()` (reported with the cost). */
    readonly images: number,
    private readonly options: { threads?: number } = {},
  ) {}

  async devices(plan: CrossbarPlan): Promise<Record<string, LayerDeviceData>> {
    const measurable = plan.layers.filter((l) => l.config.inputScale !== undefined && l.config.inputScale > 0);
    const missing = measurable.filter((l) => !this.known.has(activityKey(l)));
    if (missing.length > 0) {
      const t0 = performance.now();
      const measured = await calibrateInputActivity(this.graph, { ...plan, layers: missing }, this.batches(), this.options);
      this.seconds += (performance.now() - t0) / 1000;
      this.passes++;
      for (const l of missing) if (measured[l.name]?.activity) this.known.set(activityKey(l), measured[l.name].activity!);
    }
    const out: Record<string, LayerDeviceData> = {};
    for (const l of measurable) {
      const a = this.known.get(activityKey(l));
      if (a) out[l.name] = { activity: a };
    }
    return out;
  }
}

/** Which input activity a cost used: measured on a calibration set, the template's default, or both (some layers uncalibrated). */
export interface InputActivitySummary {
  source: 'measured' | 'default' | 'mixed';
  /** Calibration images the measured statistics came from (absent when none was measured). */
  images?: number;
  /** Layers costed with measured statistics, and with the default. */
  measuredLayers: number;
  defaultLayers: number;
  /** Mean DAC digit (fraction of full scale) over the layers' read steps: 1/2 for the default p = 1/2 with a 1-bit DAC. */
  meanDigit: number;
  /** Mean square DAC digit, the factor of the crossbar read energy V^2 G t. */
  meanSquareDigit: number;
}

/** The input activity behind a network cost (LayerCost.activity), weighted by each layer's read steps. */
export function inputActivitySummary(cost: NetworkCost, images?: number): InputActivitySummary {
  let measured = 0, fallback = 0, steps = 0, m1 = 0, m2 = 0;
  for (const l of cost.layers) {
    if (l.activity.source === 'calibration') measured++;
    else fallback++;
    const w = l.counts.readSteps;
    steps += w;
    m1 += w * l.activity.meanDigit;
    m2 += w * l.activity.meanSquareDigit;
  }
  const source = measured === 0 ? 'default' : fallback === 0 ? 'measured' : 'mixed';
  return {
    source,
    ...(measured > 0 && images !== undefined ? { images } : {}),
    measuredLayers: measured,
    defaultLayers: fallback,
    meanDigit: steps > 0 ? m1 / steps : 0,
    meanSquareDigit: steps > 0 ? m2 / steps : 0,
  };
}

/** One line for the CLI: which activity the EDAP used. */
export function describeInputActivity(s: InputActivitySummary): string {
  const stats = `mean input digit ${s.meanDigit.toFixed(3)}, mean square ${s.meanSquareDigit.toFixed(3)}`;
  if (s.source === 'default') return `input activity: default (each input bit 1 with the template's probability; ${stats})`;
  const where = `measured on ${s.images ?? '?'} calibration images`;
  if (s.source === 'measured') return `input activity: ${where} (${stats})`;
  return `input activity: ${where} for ${s.measuredLayers} layers, default for ${s.defaultLayers} without a calibrated scale (${stats})`;
}

/** Checks an input-activity choice ('measured' or 'default') for option `name`. */
export function expectInputActivityChoice(name: string, value: unknown): 'measured' | 'default' {
  return expectOneOf(name, value, ['measured', 'default'] as const);
}
