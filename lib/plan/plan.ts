/**
 * The resolved layer plan: a model's crossbar layers + a mapping, resolved ONCE into one fully
 * resolved crossbar config per layer (defaults, per-layer overrides, the ADC rule, the seed of
 * every group, the input scale and sign), with its array geometry. The executor's crossbar
 * backend, the cost model, `sweep`, `eval` and the search all read a plan; none of them looks at
 * the mapping again or applies a default of its own (shared/DESIGN.md, "Data flow").
 */
import { ErrorCodes, NaxError, describeValue, expectNumber, expectOneOf } from '../errors';
import { type CrossbarConfig, type CrossbarConfigInput, MAX_THREADS, resolveCrossbarConfig } from '../crossbar/config';
import { type MappingGeometry, mappingGeometry } from '../crossbar/geometry';
import type { Graph } from '../onnx/ir';
import { type LowerOptions, type LoweredLayer, groupsPerArray, lowerFolded, prepareGraph } from '../runtime/lower';
import { type CrossbarMapping, validateMapping } from './mapping';
import { nonNegativeValues } from './signs';

/** The structure of one crossbar layer that a plan needs (a LoweredLayer, or a cost-model layer list entry). */
export interface PlanLayerInput {
  /** Node name: the key of per-layer mapping overrides. */
  name: string;
  opType?: string;
  /** Inputs of one group's weight matrix (Cin/groups*kh*kw). */
  k: number;
  /** Outputs of one group's weight matrix (Cout/groups). */
  n: number;
  /** MVMs per inference for each group (H_out*W_out for a conv, 1 for a linear layer on a vector). */
  outputPixels: number;
  /** Independent K x N matrices of a grouped conv; 1 otherwise. */
  groups?: number;
  /** Whether the layer's inputs can be negative, when the caller knows (layer lists; no calibration). */
  signedInput?: boolean;
}

/** Observed range of a layer's activation input (calibration). */
export interface PlanInputRange {
  /** max |x|: the input value mapped to the DAC's full scale. */
  maxAbs: number;
  /** Smallest input seen; < 0 means the layer needs signed (two-pass) inputs. */
  min: number;
}

/** How the plan decided which layers take signed inputs. */
export type InputSignSource =
  /** From calibration: a layer is signed when its calibration inputs went negative. */
  | 'calibrated'
  /** From the graph: a layer is unsigned when its input is provably >= 0 (after ReLU, ...). */
  | 'inferred'
  /** From the layer list (`signedInput` of each layer; absent = unsigned). */
  | 'given';

/** The structure of one crossbar layer: what the plan and the cost model both report per layer. */
export interface LayerShape {
  name: string;
  opType?: string;
  /** Inputs of one group's weight matrix. */
  k: number;
  /** Outputs of one group's weight matrix. */
  n: number;
  groups: number;
  /** MVMs per inference for each group. */
  outputPixels: number;
}

/**
 * How a grouped (depthwise) conv's groups sit on crossbars:
 * - 'per-group' (default): every group is its own K x N matrix on its own arrays
 *   (groups * ceil(K/rows) * ceil(N/cols) * slices * 2 arrays). A depthwise 3x3 group is a 9 x 1
 *   matrix, so each array holds 9 of rows*cols cells (0.2% of a 64x64 array) and each output
 *   pixel reads every group's arrays;
 * - 'block-diagonal': P groups share one matrix of P*K x P*N with the groups on its diagonal
 *   (P: the largest divisor of groups with P*K <= rows and P*N <= cols), so a read serves P
 *   groups: P times fewer arrays and reads. The off-diagonal cells are programmed at gOff (they
 *   carry baseline current and IR drop in the circuit model); utilisation counts only the
 *   diagonal blocks' cells as holding weights.
 */
export type GroupPacking = 'per-group' | 'block-diagonal';
export const GROUP_PACKINGS: readonly GroupPacking[] = ['per-group', 'block-diagonal'];

/** A layer packed block-diagonally: what each packed matrix holds. */
export interface GroupPackingPlan {
  /** Groups of the ONNX node on each packed matrix (P). */
  groupsPerMatrix: number;
  /** The node's groups, and one group's K x N, before packing. */
  nodeGroups: number;
  groupK: number;
  groupN: number;
}

export interface LayerPlan extends LayerShape {
  /**
   * The layer's fully resolved crossbar config: every group runs with it, except for `seed`,
   * which each group takes from `groupSeeds`. `inputScale` is the fixed or calibrated DAC full
   * scale (undefined: the engine latches the first run's max |x|).
   */
  config: CrossbarConfig;
  /** Seed of each group's random draws (variation, faults, read noise). */
  groupSeeds: number[];
  /** Array geometry of one group's matrix (mappingGeometry). */
  geometry: MappingGeometry;
  /** Arrays of the whole layer: groups * geometry.arrays. */
  arrays: number;
  /** Inputs can be negative: the layer runs (and is costed as) a positive and a negative pass. */
  signedInput: boolean;
  /**
   * Present when the layer's groups are packed block-diagonally ('block-diagonal' group packing
   * and P > 1): k, n and groups above are then the packed matrices' (P*K, P*N, groups/P), so the
   * cost model and the engine count the arrays that exist, and `geometry.utilization` counts only
   * the diagonal blocks' cells.
   */
  packing?: GroupPackingPlan;
}

export interface CrossbarPlan {
  /** In the model's layer order. */
  layers: LayerPlan[];
  inputSigns: InputSignSource;
  /** With inputSigns 'inferred': what was assumed about the graph's own inputs. */
  graphInputSigned?: boolean;
  /** The mapping the plan was resolved from (for records; never read again). */
  mapping: CrossbarMapping;
  /**
   * The device instance: chip c draws its own variation, faults and read noise (groupSeeds come
   * from `chipGroupSeed`); chip 0 is the seeds every earlier result used.
   */
  chip: number;
}

export interface PlanOptions {
  mapping?: CrossbarMapping;
  /**
   * Calibrated input ranges by layer name: they set each layer's input scale (unless the mapping
   * fixes `inputScale`) and its input sign. Layers without a range keep an unset scale and are
   * unsigned.
   */
  inputRanges?: ReadonlyMap<string, PlanInputRange>;
  /** Native threads for programming and runs, unless the mapping sets `threads` (default 0: all cores). */
  threads?: number;
  /** Device instance whose random draws the group seeds give (integer >= 0, default 0; see chipGroupSeed). */
  chip?: number;
  /** How grouped/depthwise convs map onto arrays (default 'per-group'; see GroupPacking). */
  groupPacking?: GroupPacking;
}

export interface GraphPlanOptions extends PlanOptions, LowerOptions {
  /**
   * Without calibration ranges, whether the graph's inputs may be negative (default true: the
   * data sets are normalised to zero mean). Signs of the other layers follow from the graph.
   */
  graphInputSigned?: boolean;
}

/** FNV-1a of a string: each layer (and group) draws its own non-idealities from one seed. */
function nameHash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/** Seed of group `group` of layer `name` under a base seed. */
export function groupSeed(baseSeed: number, name: string, group: number): number {
  return (baseSeed + nameHash(`${name}#${group}`)) % 2 ** 32;
}

/** Largest chip index a plan takes (chip seeds are 32-bit; far more instances than any study scores). */
export const MAX_CHIP = 2 ** 31 - 1;

/** murmur3's 32-bit finalizer: a bijection on uint32 that spreads every input bit over the output. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * Seed of group `group` of layer `name` on device instance `chip`. Chip 0 is exactly
 * `groupSeed(baseSeed, name, group)` (every result before chips existed stays bit-identical);
 * chip c > 0 is fmix32(groupSeed(...) XOR (c * 0x9E3779B9 mod 2^32)) (murmur3 finalizer of the chip-0
 * seed with the chip index hashed in by the golden-ratio constant), so each chip's variation,
 * faults and read noise are an independent-looking draw rather than the chip-0 seed plus a small
 * offset (which would overlap the seeds of neighbouring base seeds and layers).
 */
export function chipGroupSeed(baseSeed: number, name: string, group: number, chip: number): number {
  const seed = groupSeed(baseSeed, name, group);
  return chip === 0 ? seed : fmix32((seed ^ Math.imul(chip, 0x9e3779b9)) >>> 0);
}

function checkChip(chip: unknown): number {
  return expectNumber('chip', chip, { integer: true, min: 0, max: MAX_CHIP });
}

/**
 * The same plan on another device instance: only the group seeds change (configs, geometry,
 * input scales and signs are the chip-independent resolution of the mapping).
 */
export function planForChip(plan: CrossbarPlan, chip: number): CrossbarPlan {
  const c = checkChip(chip);
  return {
    ...plan,
    chip: c,
    layers: plan.layers.map((l) => ({ ...l, groupSeeds: Array.from({ length: l.groups }, (_, g) => chipGroupSeed(l.config.seed, l.name, g, c)) })),
  };
}

/** Re-labels a crossbar-config error with the mapping path it came from ("config.rows" -> "mapping.layers.conv1.rows"). */
function atPath<T>(path: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    const err = e as { name?: string; code?: string; message?: string };
    if (err?.name !== 'NaxError' || typeof err.message !== 'string') throw e;
    throw new NaxError(err.code ?? ErrorCodes.config, err.message.replace(/\bconfig\b/g, path), { cause: e });
  }
}

function checkLayer(i: number, l: PlanLayerInput): void {
  const path = `model[${i}]`;
  if (typeof l !== 'object' || l === null) throw new NaxError(ErrorCodes.invalidArgument, `expected a layer object for ${path}, got ${describeValue(l)}`);
  if (typeof l.name !== 'string' || l.name === '')
    throw new NaxError(ErrorCodes.invalidArgument, `expected a non-empty string for ${path}.name, got ${describeValue(l.name)}`);
  expectNumber(`${path}.k`, l.k, { integer: true, min: 1 });
  expectNumber(`${path}.n`, l.n, { integer: true, min: 1 });
  expectNumber(`${path}.outputPixels`, l.outputPixels, { integer: true, min: 1 });
  if (l.groups !== undefined) expectNumber(`${path}.groups`, l.groups, { integer: true, min: 1 });
}

function resolveLayers(
  layers: readonly PlanLayerInput[],
  options: PlanOptions,
  signOf: (l: PlanLayerInput) => boolean,
): LayerPlan[] {
  if (!Array.isArray(layers)) throw new NaxError(ErrorCodes.invalidArgument, `expected an array of crossbar layers, got ${describeValue(layers)}`);
  if (layers.length === 0) throw new NaxError(ErrorCodes.invalidArgument, 'expected at least one crossbar layer (Conv, Gemm or MatMul) in model, got none');
  layers.forEach((l, i) => checkLayer(i, l));
  const seen = new Set<string>();
  for (const l of layers) {
    if (seen.has(l.name)) throw new NaxError(ErrorCodes.invalidArgument, `expected unique layer names in model, got ${JSON.stringify(l.name)} twice`);
    seen.add(l.name);
  }
  const mapping = validateMapping(options.mapping ?? {});
  const threads = options.threads === undefined ? undefined : expectNumber('threads', options.threads, { integer: true, min: 0, max: MAX_THREADS });
  const chip = checkChip(options.chip ?? 0);
  const groupPacking = expectOneOf('groupPacking', options.groupPacking ?? 'per-group', GROUP_PACKINGS);
  const base = mapping.default ?? {};
  atPath('mapping.default', () => resolveCrossbarConfig(base));
  const overrides = mapping.layers ?? {};
  for (const name of Object.keys(overrides))
    if (!seen.has(name))
      throw new NaxError(ErrorCodes.config, `unknown layer mapping.layers.${name}; the model's crossbar layers are ${[...seen].join(', ')}`);
  return layers.map((l) => {
    const own = overrides[l.name];
    const path = own === undefined ? 'mapping.default' : `mapping.layers.${l.name}`;
    const merged: CrossbarConfigInput = { ...base, ...(own ?? {}) };
    const range = options.inputRanges?.get(l.name);
    if (merged.threads === undefined && threads !== undefined) merged.threads = threads;
    if (merged.inputScale === undefined && range && range.maxAbs > 0) merged.inputScale = range.maxAbs;
    const config = atPath(path, () => resolveCrossbarConfig(merged));
    const nodeGroups = l.groups ?? 1;
    // Block-diagonal packing of grouped convs (transposed convs and linear layers have no groups to pack).
    const P = groupPacking === 'block-diagonal' && nodeGroups > 1 && (l.opType === undefined || l.opType === 'Conv')
      ? groupsPerArray(l.k, l.n, nodeGroups, config.rows, config.cols)
      : 1;
    const k = P * l.k, n = P * l.n, groups = nodeGroups / P;
    const packedGeometry = mappingGeometry({ k, n, ...config });
    // Only the P diagonal K x N blocks of a packed matrix hold weights.
    const geometry = P > 1 ? { ...packedGeometry, utilization: packedGeometry.utilization / P } : packedGeometry;
    return {
      name: l.name,
      ...(l.opType !== undefined ? { opType: l.opType } : {}),
      k,
      n,
      groups,
      outputPixels: l.outputPixels,
      config,
      groupSeeds: Array.from({ length: groups }, (_, g) => chipGroupSeed(config.seed, l.name, g, chip)),
      geometry,
      arrays: groups * geometry.arrays,
      signedInput: signOf(l),
      ...(P > 1 ? { packing: { groupsPerMatrix: P, nodeGroups, groupK: l.k, groupN: l.n } } : {}),
    };
  });
}

/**
 * The plan of a list of crossbar layers. Input signs come from `inputRanges` when given
 * (calibration), else from each layer's own `signedInput` (absent: unsigned).
 */
export function planLayers(layers: readonly PlanLayerInput[], options: PlanOptions = {}): CrossbarPlan {
  const ranges = options.inputRanges;
  const layerPlans = resolveLayers(layers, options, (l) => (ranges ? (ranges.get(l.name)?.min ?? 0) < 0 : l.signedInput === true));
  return { layers: layerPlans, inputSigns: ranges ? 'calibrated' : 'given', mapping: options.mapping ?? {}, chip: options.chip ?? 0 };
}

/**
 * The plan of a graph: its crossbar layers as the executor lowers them (BatchNorm folded). Input
 * signs come from `inputRanges` when given; otherwise they are inferred from the graph (a layer
 * whose input is provably >= 0, e.g. after a ReLU, is unsigned), with the graph's own inputs
 * assumed signed unless `graphInputSigned` is false.
 */
export function planGraph(graph: Graph, options: GraphPlanOptions = {}): CrossbarPlan {
  const folded = prepareGraph(graph);
  const lowered = lowerFolded(folded, options.inputShapes ? { inputShapes: options.inputShapes } : {});
  return planLoweredLayers(folded, lowered, options);
}

/** planGraph for layers already lowered from the BatchNorm-folded `folded` graph (the executor's). */
export function planLoweredLayers(folded: Graph, lowered: readonly LoweredLayer[], options: GraphPlanOptions = {}): CrossbarPlan {
  const mapping = options.mapping ?? {};
  if (options.inputRanges) return planLayers(lowered, options);
  const graphInputSigned = options.graphInputSigned ?? true;
  const nonNegative = nonNegativeValues(folded, { graphInputSigned });
  const inputOf = new Map(lowered.map((l) => [l.name, l.input]));
  const layerPlans = resolveLayers(lowered, options, (l) => !nonNegative.has(inputOf.get(l.name)!));
  return { layers: layerPlans, inputSigns: 'inferred', graphInputSigned, mapping, chip: options.chip ?? 0 };
}

/** The plan entry of `name`; a clear error when the plan was made for another model. */
export function layerPlanOf(plan: CrossbarPlan, name: string): LayerPlan {
  const found = plan.layers.find((l) => l.name === name);
  if (!found)
    throw new NaxError(
      ErrorCodes.invalidArgument,
      `layer ${name} is not in the crossbar plan (plan layers: ${plan.layers.map((l) => l.name).join(', ')}); make the plan from the same model`,
    );
  return found;
}

/** The config group `group` of a planned layer runs with (its own seed). */
export function groupConfig(layer: LayerPlan, group: number): CrossbarConfig {
  return { ...layer.config, seed: layer.groupSeeds[group] };
}
