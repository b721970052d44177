/**
 * Genome <-> network glue and the candidate evaluator of the co-design search.
 *
 * Every crossbar layer of the supernet (each Conv and the final Linear) is one gene pair of the
 * genome: searchable convs choose a kernel size from the supernet's choices, the others have a
 * single fixed kernel (1 for 1x1 shortcut convs and the Linear layer); every layer chooses a
 * crossbar size. So a homogeneous baseline puts the whole network on one crossbar size, and a
 * searched model may give any layer its own.
 *
 * A candidate is evaluated exactly as a user's ONNX model would be: subnet with inherited weights
 * and recalibrated BatchNorm -> ONNX bytes -> reader -> executor in crossbar mode under the
 * genome's per-layer mapping (device non-idealities on) -> validation accuracy; the executor's
 * lowered layers + the same mapping -> cost model -> EDAP.
 */
import { NaxError, ErrorCodes } from '../errors';
import { resolveCrossbarConfig, resolvedAdcBits, type CrossbarConfigInput } from '../crossbar';
import { hardwareCost, type CostLayer, type CostMapping, type HardwareConfig, type NetworkCost } from '../hardware';
import type { Graph } from '../onnx/ir';
import { readOnnx } from '../onnx/reader';
import { calibrateInputRanges } from '../runtime/calibrate';
import { GraphExecutor } from '../runtime/executor';
import { crossbarBackend, type CrossbarMapping } from '../runtime/mapping';
import type { LoweredLayer } from '../runtime/lower';
import { exportOnnx, extractSubnet, type ImageSet, type NetworkSpec, type TrainModel } from '../train';
import { createSearchSpace, validateGenome, type Genome, type SearchSpace } from '../search/genome';
import type { Objectives } from '../search/pareto';

/** One crossbar layer of the network as the genome sees it. */
export interface GeneLayer {
  /** Node name (Conv or Linear); the key of per-layer mapping overrides. */
  name: string;
  /** True when the supernet offers several kernels for this conv. */
  searchable: boolean;
}

/** Crossbar layers of a network spec in graph order (the order the ONNX export and lowering use). */
export function geneLayers(spec: NetworkSpec): GeneLayer[] {
  return spec.nodes
    .filter((n) => n.op === 'conv' || n.op === 'linear')
    .map((n) => ({ name: n.name, searchable: n.op === 'conv' && n.kernelChoices !== undefined }));
}

/** A supernet's search space and which of its layers are searchable convs. */
export interface GenomeLayout {
  space: SearchSpace;
  /** Aligned with space.layers. */
  layers: GeneLayer[];
}

/**
 * The search space of a supernet: kernel choices for its searchable convs (the supernet's own
 * elastic choices), a single fixed kernel elsewhere, and `crossbarSizes` for every layer.
 */
export function networkSearchSpace(spec: NetworkSpec, crossbarSizes: number[]): GenomeLayout {
  const nodes = spec.nodes.filter((n) => n.op === 'conv' || n.op === 'linear');
  const space = createSearchSpace({
    layers: nodes.map((n) => ({
      name: n.name,
      kernelSizes: n.op === 'linear' ? [1] : n.kernelChoices ? [...n.kernelChoices] : [n.kernel ?? 1],
      crossbarSizes: [...crossbarSizes],
    })),
  });
  return { space, layers: geneLayers(spec) };
}

/** Kernel per searchable conv (what extractSubnet takes) from a genome. */
export function subnetKernels(layout: GenomeLayout, genome: Genome): number[] {
  validateGenome(layout.space, genome);
  return genome.kernels.filter((_, i) => layout.layers[i].searchable);
}

/** The genome with the smallest kernel of every searchable conv and one crossbar size everywhere. */
export function homogeneousGenome(space: SearchSpace, crossbar: number, kernel?: number): Genome {
  return {
    kernels: space.layers.map((l) => (kernel !== undefined && l.kernelSizes.includes(kernel) ? kernel : l.kernelSizes[0])),
    crossbars: space.layers.map(() => crossbar),
  };
}

/**
 * The per-layer mapping of a genome: the device/converter config as the default, each layer's
 * crossbar size (rows = cols) as its override. Valid for the executor's backend and the cost
 * model alike.
 */
export function genomeMapping(space: SearchSpace, genome: Genome, device: CrossbarConfigInput): CrossbarMapping {
  validateGenome(space, genome);
  const layers: Record<string, CrossbarConfigInput> = {};
  space.layers.forEach((l, i) => (layers[l.name] = { rows: genome.crossbars[i], cols: genome.crossbars[i] }));
  return { default: { ...device }, layers };
}

/**
 * The cost model's view of a mapping: every converter setting resolved the way the crossbar
 * engine resolves it (so the ADC bits the cost model charges for are the ones the accuracy run
 * used).
 */
export function costMapping(mapping: CrossbarMapping, layerNames: string[]): CostMapping {
  const layers: CostMapping['layers'] = {};
  for (const name of layerNames) {
    const c = resolveCrossbarConfig({ ...(mapping.default ?? {}), ...(mapping.layers?.[name] ?? {}) });
    layers[name] = { rows: c.rows, cols: c.cols, bitsPerCell: c.bitsPerCell, weightBits: c.weightBits, inputBits: c.inputBits, dacBits: c.dacBits, adcBits: resolvedAdcBits(c) };
  }
  return { layers };
}

/** What the search records per candidate (JSON-serialisable; identical on every rerun). */
export interface CandidateResult extends Objectives {
  /** Validation accuracy in crossbar mode with the device's non-idealities (maximised). */
  accuracy: number;
  /** Network EDAP, J*s*mm^2 (minimised). */
  edap: number;
  /** Validation accuracy of the same subnet in float (no crossbars). */
  idealAccuracy: number;
  energyJoules: number;
  latencySeconds: number;
  areaMm2: number;
  arrays: number;
}

/** A subnet ready for crossbar evaluation (depends on the kernels only, not on crossbar sizes). */
interface PreparedSubnet {
  graph: Graph;
  onnx: Uint8Array;
  inputScales: Map<string, number>;
  /** Layers whose calibrated inputs go negative: they need a positive and a negative pass. */
  signedInputs: Set<string>;
  idealAccuracy: number;
}

export interface EvaluatorOptions {
  layout: GenomeLayout;
  /** Device/converter config every layer starts from (crossbar size comes from the genome). */
  device: CrossbarConfigInput;
  hardware: HardwareConfig;
  /** Training images for BatchNorm recalibration of each subnet. */
  calibration: ImageSet;
  calibrationBatches: number;
  calibrationBatchSize: number;
  /** Images whose max |x| per layer sets the DAC input ranges. */
  scaleImages: number;
  /** Held-out images the search scores accuracy on. */
  validation: ImageSet;
  batchSize: number;
  threads: number;
  /** Subnets kept prepared (several candidates share kernels and differ only in crossbars). */
  cacheSize?: number;
}

export class CandidateEvaluator {
  private prepared = new Map<string, Promise<PreparedSubnet>>();

  constructor(
    private readonly supernet: TrainModel,
    readonly options: EvaluatorOptions,
  ) {}

  get inputShape(): [number, number, number] {
    return this.supernet.spec.inputShape;
  }

  /** Subnet model with inherited weights and recalibrated BatchNorm (a fresh copy each call). */
  async subnetModel(genome: Genome): Promise<TrainModel> {
    const o = this.options;
    return extractSubnet(this.supernet, subnetKernels(o.layout, genome), {
      threads: o.threads,
      calibration: o.calibration,
      calibrationBatches: o.calibrationBatches,
      calibrationBatchSize: o.calibrationBatchSize,
    });
  }

  /** Prepares (or reuses) the float subnet of a genome's kernels. */
  private prepare(genome: Genome): Promise<PreparedSubnet> {
    const key = subnetKernels(this.options.layout, genome).join(',');
    let p = this.prepared.get(key);
    if (p) {
      // Most recently used last.
      this.prepared.delete(key);
      this.prepared.set(key, p);
      return p;
    }
    p = (async () => {
      const model = await this.subnetModel(genome);
      return this.prepareModel(model, await model.evaluate(this.options.validation, this.options.batchSize).then((r) => r.accuracy));
    })();
    this.prepared.set(key, p);
    p.catch(() => this.prepared.delete(key));
    const limit = this.options.cacheSize ?? 8;
    while (this.prepared.size > limit) this.prepared.delete(this.prepared.keys().next().value as string);
    return p;
  }

  /** ONNX bytes, graph and calibrated input scales of a trained (sub)network. */
  async prepareModel(model: TrainModel, idealAccuracy: number): Promise<PreparedSubnet> {
    const onnx = exportOnnx(model);
    const graph = readOnnx(onnx, { source: 'candidate subnet' });
    const { inputScales, signedInputs } = await calibrate(graph, this.options.calibration, this.options.scaleImages, this.inputShape, this.options.threads);
    return { graph, onnx, inputScales, signedInputs, idealAccuracy };
  }

  /** Non-ideal accuracy and EDAP of one genome on the validation images. */
  async evaluate(genome: Genome, signal?: AbortSignal): Promise<CandidateResult> {
    const sub = await this.prepare(genome);
    const mapping = genomeMapping(this.options.layout.space, genome, this.options.device);
    const { accuracy, cost } = await this.crossbarRun(sub, mapping, this.options.validation, signal);
    return {
      accuracy,
      edap: cost.total.edap,
      idealAccuracy: sub.idealAccuracy,
      energyJoules: cost.total.energyJoules.total,
      latencySeconds: cost.total.latencySeconds,
      areaMm2: cost.total.areaMm2.total,
      arrays: cost.total.arrays,
    };
  }

  /** Runs `data` through the crossbar executor under `mapping`; also costs the same lowered layers. */
  async crossbarRun(sub: PreparedSubnet, mapping: CrossbarMapping, data: ImageSet, signal?: AbortSignal): Promise<{ accuracy: number; cost: NetworkCost; layers: LoweredLayer[] }> {
    const backend = crossbarBackend(mapping, { threads: this.options.threads });
    try {
      const executor = await GraphExecutor.create(sub.graph, { mode: 'crossbar', backend, inputScales: sub.inputScales, threads: this.options.threads });
      const layers = [...executor.layers.values()];
      const cost = networkCost(layers, mapping, sub.signedInputs, this.options.hardware);
      const accuracy = await classify(executor, data, this.inputShape, this.options.batchSize, signal);
      return { accuracy, cost, layers };
    } finally {
      backend.dispose();
    }
  }

  /** Ideal (float) accuracy through the executor on `data` (the exported ONNX as any user would run it). */
  async idealRun(sub: PreparedSubnet, data: ImageSet, signal?: AbortSignal): Promise<number> {
    const executor = await GraphExecutor.create(sub.graph, { mode: 'ideal', threads: this.options.threads });
    return classify(executor, data, this.inputShape, this.options.batchSize, signal);
  }
}

/** Cost of lowered layers under a mapping; signed-input layers pay their second pass. */
export function networkCost(layers: readonly LoweredLayer[], mapping: CrossbarMapping, signedInputs: Set<string>, hardware: HardwareConfig): NetworkCost {
  const costLayers: CostLayer[] = layers.map((l) => ({
    name: l.name,
    opType: l.opType,
    k: l.k,
    n: l.n,
    outputPixels: l.outputPixels,
    groups: l.groups,
    signedInput: signedInputs.has(l.name),
  }));
  return hardwareCost({ model: costLayers, mapping: costMapping(mapping, layers.map((l) => l.name)), hardware });
}

/** Per-layer max |input| (DAC full scale) and which layers see negative inputs, on the first `count` images. */
async function calibrate(graph: Graph, data: ImageSet, count: number, shape: [number, number, number], threads: number) {
  const n = Math.min(count, data.count);
  const size = shape[0] * shape[1] * shape[2];
  const ranges = await calibrateInputRanges(graph, [{ images: data.images.subarray(0, n * size), dims: [n, ...shape] }], { threads });
  const inputScales = new Map<string, number>();
  const signedInputs = new Set<string>();
  for (const [name, r] of ranges) {
    inputScales.set(name, r.maxAbs);
    if (r.min < 0) signedInputs.add(name);
  }
  return { inputScales, signedInputs };
}

/** Top-1 accuracy of an executor on a labelled image set. */
export async function classify(executor: GraphExecutor, data: ImageSet, shape: [number, number, number], batchSize: number, signal?: AbortSignal): Promise<number> {
  const size = shape[0] * shape[1] * shape[2];
  let correct = 0;
  for (let start = 0; start < data.count; start += batchSize) {
    if (signal?.aborted) throw new NaxError(ErrorCodes.cancelled, 'evaluation was cancelled');
    const n = Math.min(batchSize, data.count - start);
    const out = await executor.runBatch(data.images.subarray(start * size, (start + n) * size), [n, ...shape]);
    const classes = out.data.length / n;
    for (let i = 0; i < n; i++) {
      let best = 0;
      for (let c = 1; c < classes; c++) if (out.data[i * classes + c] > out.data[i * classes + best]) best = c;
      if (best === data.labels[start + i]) correct++;
    }
  }
  return correct / Math.max(1, data.count);
}
