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
import type { CrossbarConfigInput } from '../crossbar';
import { hardwareCost, InputActivityCache, type HardwareConfig, type NetworkCost } from '../hardware';
import type { Graph } from '../onnx/ir';
import { readOnnx } from '../onnx/reader';
import { type CrossbarMapping, type CrossbarPlan, planGraph } from '../plan';
import { GraphExecutor } from '../runtime/executor';
import type { InputRange } from '../runtime/calibrate';
import { type ChipsClassifyResult, calibrate, calibrationBatches, classify, classifyOnCrossbars, classifyOverChips, type LabelledImages } from '../runtime/classify';
import { exportOnnx, extractSubnet, type ImageSet, type NetworkSpec, type TrainModel } from '../train';
import { createSearchSpace, genomeCols, validateGenome, type AdcGeneValue, type Genome, type SearchSpace } from '../search/genome';
import { invalid } from '../errors';
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
export function networkSearchSpace(spec: NetworkSpec, crossbarSizes: number[], genes: { colSizes?: number[]; adcBits?: AdcGeneValue[] } = {}): GenomeLayout {
  const nodes = spec.nodes.filter((n) => n.op === 'conv' || n.op === 'linear');
  const space = createSearchSpace({
    layers: nodes.map((n) => ({
      name: n.name,
      kernelSizes: n.op === 'linear' ? [1] : n.kernelChoices ? [...n.kernelChoices] : [n.kernel ?? 1],
      crossbarSizes: [...crossbarSizes],
    })),
    ...(genes.colSizes ? { colSizes: [...genes.colSizes] } : {}),
    ...(genes.adcBits ? { adcBits: [...genes.adcBits] } : {}),
  });
  return { space, layers: geneLayers(spec) };
}

/** Kernel per searchable conv (what extractSubnet takes) from a genome. */
export function subnetKernels(layout: GenomeLayout, genome: Genome): number[] {
  validateGenome(layout.space, genome);
  return genome.kernels.filter((_, i) => layout.layers[i].searchable);
}

/**
 * The genome with the smallest kernel of every searchable conv and one square crossbar size
 * everywhere (with a column gene: cols = rows, which must be among the column choices; with an
 * ADC gene: the most precise choice, 'lossless' when offered, so the baseline is the homogeneous
 * network with the converters NAX assumes).
 */
export function homogeneousGenome(space: SearchSpace, crossbar: number, kernel?: number): Genome {
  const genome: Genome = {
    kernels: space.layers.map((l) => (kernel !== undefined && l.kernelSizes.includes(kernel) ? kernel : l.kernelSizes[0])),
    crossbars: space.layers.map(() => crossbar),
  };
  if (space.layers[0]?.colSizes) genome.cols = space.layers.map(() => crossbar);
  if (space.layers[0]?.adcBits) genome.adcBits = space.layers.map((l) => l.adcBits![l.adcBits!.length - 1]);
  return genome;
}

/**
 * The per-layer mapping of a genome: the device/converter config as the default, each layer's
 * crossbar rows and columns (equal unless the genome has a column gene) and, with an ADC gene,
 * its ADC resolution as its override. Valid for the executor's backend and the cost
 * model alike.
 */
export function genomeMapping(space: SearchSpace, genome: Genome, device: CrossbarConfigInput): CrossbarMapping {
  validateGenome(space, genome);
  const layers: Record<string, CrossbarConfigInput> = {};
  space.layers.forEach(
    (l, i) =>
      (layers[l.name] = {
        rows: genome.crossbars[i],
        cols: genomeCols(genome, i),
        // The ADC gene overrides the device config's rule for this layer only.
        ...(genome.adcBits ? { adcBits: genome.adcBits[i] } : {}),
      }),
  );
  return { default: { ...device }, layers };
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

/** The first `count` images of a set (all of it when count is undefined or not smaller). */
export function firstImages(set: ImageSet, count: number | undefined, shape: readonly number[]): ImageSet {
  if (count === undefined || count >= set.count) return set;
  if (!Number.isInteger(count) || count < 1) throw invalid('validationImages', `an integer in [1, ${set.count}]`, count);
  const perImage = shape[0] * shape[1] * shape[2];
  return { images: set.images.subarray(0, count * perImage), labels: set.labels.subarray(0, count), count };
}

/** A subnet ready for crossbar evaluation (depends on the kernels only, not on crossbar sizes). */
export interface PreparedSubnet {
  graph: Graph;
  onnx: Uint8Array;
  /** Calibrated input range of each crossbar layer: its DAC full scale and input sign (the plan reads them). */
  inputRanges: Map<string, InputRange>;
  idealAccuracy: number;
  /**
   * The input digit statistics of the scale images, measured once per distinct input setting
   * (not per crossbar gene: sizes change no input scale), for the read energy of every plan.
   */
  activity: InputActivityCache;
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
  /** Input activity of the read energy: 'measured' on the scale images (default) or the template's 'default'. */
  inputActivity?: 'measured' | 'default';
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

  /** ONNX bytes, graph and calibrated input ranges of a trained (sub)network. */
  async prepareModel(model: TrainModel, idealAccuracy: number): Promise<PreparedSubnet> {
    const onnx = exportOnnx(model);
    const graph = readOnnx(onnx, { source: 'candidate subnet' });
    const inputRanges = await calibrate(graph, this.labelled(this.options.calibration), { images: this.options.scaleImages, threads: this.options.threads });
    const cal = this.calibrationSet();
    const activity = new InputActivityCache(graph, () => calibrationBatches(cal, { images: cal.count, batchSize: this.options.batchSize }), cal.count, { threads: this.options.threads });
    return { graph, onnx, inputRanges, idealAccuracy, activity };
  }

  /**
   * Non-ideal accuracy and EDAP of one genome on the validation images; with `validationImages`,
   * on the first that many of them only (a successive-halving rung: the subsets are nested, so a
   * candidate's rungs and its full score share their first images). EDAP does not depend on it.
   */
  async evaluate(genome: Genome, signal?: AbortSignal, validationImages?: number): Promise<CandidateResult> {
    const sub = await this.prepare(genome);
    const mapping = genomeMapping(this.options.layout.space, genome, this.options.device);
    const { accuracy, cost } = await this.crossbarRun(sub, mapping, firstImages(this.options.validation, validationImages, this.inputShape), signal);
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

  /** EDAP of one genome from the cost model alone (no crossbar run): what the cost-greedy seed descends on. */
  async edap(genome: Genome): Promise<number> {
    const sub = await this.prepare(genome);
    const plan = this.plan(sub, genomeMapping(this.options.layout.space, genome, this.options.device));
    return (await this.cost(sub, plan)).total.edap;
  }

  /** The images calibrating input scales, also the calibration set of calibrated ADC ranges. */
  private calibrationSet(): { images: Float32Array; count: number; shape: readonly number[] } {
    const cal = this.labelled(this.options.calibration);
    return { images: cal.images, shape: cal.shape, count: Math.min(cal.count, this.options.scaleImages) };
  }

  /** The plan of a prepared subnet under `mapping`: what both the crossbar run and the cost model read. */
  plan(sub: PreparedSubnet, mapping: CrossbarMapping): CrossbarPlan {
    return planGraph(sub.graph, { mapping, inputRanges: sub.inputRanges, threads: this.options.threads });
  }

  /** Runs `data` through the crossbar executor under `mapping`'s plan; the cost model costs the same plan. */
  async crossbarRun(sub: PreparedSubnet, mapping: CrossbarMapping, data: ImageSet, signal?: AbortSignal): Promise<{ accuracy: number; cost: NetworkCost; plan: CrossbarPlan }> {
    const plan = this.plan(sub, mapping);
    const cost = await this.cost(sub, plan);
    const { accuracy } = await classifyOnCrossbars(sub.graph, plan, this.labelled(data), {
      batchSize: this.options.batchSize, signal, threads: this.options.threads, adcCalibration: this.calibrationSet(),
    });
    return { accuracy, cost, plan };
  }

  /**
   * crossbarRun over `chips` device instances (chips 0 .. chips - 1 of the same plan): per-chip
   * accuracies and the per-(chip, image) correctness the paired tests read. `plan` is chip 0's.
   */
  async crossbarChipsRun(
    sub: PreparedSubnet,
    mapping: CrossbarMapping,
    data: ImageSet,
    chips: number,
    signal?: AbortSignal,
  ): Promise<{ run: ChipsClassifyResult; cost: NetworkCost; plan: CrossbarPlan }> {
    const plan = this.plan(sub, mapping);
    const cost = await this.cost(sub, plan);
    const run = await classifyOverChips(sub.graph, plan, this.labelled(data), {
      chips, batchSize: this.options.batchSize, signal, threads: this.options.threads, adcCalibration: this.calibrationSet(),
    });
    return { run, cost, plan };
  }

  /** The cost model on `plan`, with the subnet's measured input activity unless options.inputActivity is 'default'. */
  async cost(sub: PreparedSubnet, plan: CrossbarPlan): Promise<NetworkCost> {
    const devices = this.options.inputActivity === 'default' ? undefined : await sub.activity.devices(plan);
    return hardwareCost({ plan, hardware: this.options.hardware, devices });
  }

  /** Ideal (float) accuracy through the executor on `data` (the exported ONNX as any user would run it). */
  async idealRun(sub: PreparedSubnet, data: ImageSet, signal?: AbortSignal): Promise<number> {
    const executor = await GraphExecutor.create(sub.graph, { mode: 'ideal', threads: this.options.threads });
    return (await classify(executor, this.labelled(data), { batchSize: this.options.batchSize, signal })).accuracy;
  }

  private labelled(data: ImageSet): LabelledImages {
    return { ...data, shape: this.inputShape };
  }
}
