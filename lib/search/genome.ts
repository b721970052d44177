/**
 * The co-design genome: for each searchable layer a kernel size and a crossbar shape, and
 * optionally the layer's ADC precision.
 *
 * Genes per layer, in this order (the order every random draw follows):
 * - `kernels`: kernel size (k x k);
 * - `crossbars`: crossbar rows (word lines); also its columns unless the space has a column gene;
 * - `cols` (optional): crossbar columns (bit lines), chosen independently of the rows, so a layer
 *   may sit on non-square arrays such as 64 x 32 (a tall K x N matrix with few outputs wastes
 *   fewer cells and ADCs on narrow arrays);
 * - `adcBits` (optional): the layer's ADC resolution in bits, or 'lossless' (the array's largest
 *   column code: NAX's ceil(log2(3 * rows)) for 2-bit cells and a 1-bit DAC).
 * A space either has the column (or ADC) gene on every layer or on none, and so does each of its
 * genomes. A genome is stored by value so checkpoints and results.json stay readable;
 * `encodeGenome` gives the index vector and `genomeKey` a canonical string, so two genomes are the
 * same candidate exactly when their keys are equal. Square spaces keep the keys and the random
 * draws they had before the column and ADC genes existed.
 */
import { NaxError, ErrorCodes, expectNumber, invalid, rejectUnknownKeys } from '../errors';
import type { Rng } from './random';
import { KERNEL_SIZE_RULE, isKernelSize } from '../train/network';

export const DEFAULT_KERNEL_SIZES: readonly number[] = [3, 5, 7];
export const DEFAULT_CROSSBAR_SIZES: readonly number[] = [16, 32, 64, 128];
export const MAX_CROSSBAR_SIZE = 1024;
/** ADC resolutions a gene may take (the crossbar config's range). */
export const MIN_ADC_GENE_BITS = 2;
export const MAX_ADC_GENE_BITS = 24;

/** One ADC gene value: bits, or 'lossless' (resolved per array size by the plan). */
export type AdcGeneValue = number | 'lossless';

export interface LayerSpace {
  /** The layer this gene group controls (a conv node name in the supernet). */
  name: string;
  kernelSizes: number[];
  /** Row counts (= column counts when `colSizes` is absent). */
  crossbarSizes: number[];
  /** Column counts, when columns are a gene of their own. */
  colSizes?: number[];
  /** ADC resolutions, when the ADC is a gene. */
  adcBits?: AdcGeneValue[];
}

export interface SearchSpace {
  layers: LayerSpace[];
}

export interface Genome {
  /** Kernel size (k x k) per searchable layer. */
  kernels: number[];
  /** Crossbar rows per layer; also the columns when the genome has no `cols`. */
  crossbars: number[];
  /** Crossbar columns per layer (present exactly when the space has a column gene). */
  cols?: number[];
  /** ADC resolution per layer (present exactly when the space has an ADC gene). */
  adcBits?: AdcGeneValue[];
}

type GeneField = 'kernels' | 'crossbars' | 'cols' | 'adcBits';
type GeneValue = number | 'lossless';

type LayerSpec = { name: string; kernelSizes?: number[]; crossbarSizes?: number[]; colSizes?: number[]; adcBits?: AdcGeneValue[] };

export interface SearchSpaceOptions {
  /** Number of searchable layers, their names, or per-layer specs (each may override the lists). */
  layers: number | string[] | LayerSpec[];
  kernelSizes?: number[];
  crossbarSizes?: number[];
  /** Column counts searched independently of the rows (default: square arrays, no column gene). */
  colSizes?: number[];
  /** ADC resolutions to search per layer (default: no ADC gene, the device config's rule). */
  adcBits?: AdcGeneValue[];
}

function checkChoices<T extends GeneValue>(name: string, list: unknown, check: (v: unknown) => boolean, expected: string): T[] {
  if (!Array.isArray(list) || list.length === 0) throw invalid(name, `a non-empty array of ${expected}`, list);
  for (let i = 0; i < list.length; i++) if (!check(list[i])) throw invalid(`${name}[${i}]`, expected, list[i]);
  if (new Set(list).size !== list.length) throw invalid(name, `distinct values`, JSON.stringify(list));
  // Sorted, so that index order means size order and keys do not depend on how the user listed them.
  return (list as T[]).slice().sort(compareGeneValues);
}

/** Numbers ascending, 'lossless' (the most precise) last. */
function compareGeneValues(a: GeneValue, b: GeneValue): number {
  if (a === b) return 0;
  if (a === 'lossless') return 1;
  if (b === 'lossless') return -1;
  return a - b;
}

const isCrossbar = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= 2 && v <= MAX_CROSSBAR_SIZE;
const isKernel = (v: unknown) => typeof v === 'number' && isKernelSize(v);
const isAdcGene = (v: unknown) => v === 'lossless' || (typeof v === 'number' && Number.isInteger(v) && v >= MIN_ADC_GENE_BITS && v <= MAX_ADC_GENE_BITS);
const CROSSBAR_RULE = `integers in [2, ${MAX_CROSSBAR_SIZE}]`;
const ADC_RULE = `integers in [${MIN_ADC_GENE_BITS}, ${MAX_ADC_GENE_BITS}] or 'lossless'`;

/**
 * Builds and checks a search space. Kernel sizes: the network builder's rule (KERNEL_SIZE_RULE,
 * lib/train/network.ts). Crossbar rows and columns: integers 2..1024 (NAX: 16..128; 256 is
 * allowed). ADC genes: 2..24 bits or 'lossless'.
 */
export function createSearchSpace(options: SearchSpaceOptions): SearchSpace {
  if (typeof options !== 'object' || options === null) throw invalid('space', 'an object', options);
  rejectUnknownKeys('space', options, ['layers', 'kernelSizes', 'crossbarSizes', 'colSizes', 'adcBits']);
  const kernelSizes = checkChoices<number>('kernelSizes', options.kernelSizes ?? DEFAULT_KERNEL_SIZES, isKernel, KERNEL_SIZE_RULE);
  const crossbarSizes = checkChoices<number>('crossbarSizes', options.crossbarSizes ?? DEFAULT_CROSSBAR_SIZES, isCrossbar, CROSSBAR_RULE);
  const colSizes = options.colSizes === undefined ? undefined : checkChoices<number>('colSizes', options.colSizes, isCrossbar, CROSSBAR_RULE);
  const adcBits = options.adcBits === undefined ? undefined : checkChoices<AdcGeneValue>('adcBits', options.adcBits, isAdcGene, ADC_RULE);
  let specs: LayerSpec[];
  if (typeof options.layers === 'number') {
    expectNumber('layers', options.layers, { integer: true, min: 1 });
    specs = Array.from({ length: options.layers }, (_, i) => ({ name: `layer${i}` }));
  } else if (Array.isArray(options.layers) && options.layers.length > 0) {
    specs = (options.layers as Array<string | LayerSpec>).map((l, i) => {
      if (typeof l === 'string') return { name: l };
      if (typeof l !== 'object' || l === null) throw invalid(`layers[${i}]`, 'a name or {name, kernelSizes?, crossbarSizes?, colSizes?, adcBits?}', l);
      return l;
    });
  } else throw invalid('layers', 'a positive count, or a non-empty array of names or layer specs', options.layers);
  const withCols = colSizes !== undefined || specs.some((s) => s.colSizes !== undefined);
  const withAdc = adcBits !== undefined || specs.some((s) => s.adcBits !== undefined);
  const layers = specs.map((spec, i) => {
    if (typeof spec.name !== 'string' || spec.name === '') throw invalid(`layers[${i}].name`, 'a non-empty string', spec.name);
    rejectUnknownKeys(`layers[${i}]`, spec, ['name', 'kernelSizes', 'crossbarSizes', 'colSizes', 'adcBits']);
    const rows = spec.crossbarSizes ? checkChoices<number>(`layers[${i}].crossbarSizes`, spec.crossbarSizes, isCrossbar, CROSSBAR_RULE) : crossbarSizes.slice();
    const layer: LayerSpace = {
      name: spec.name,
      kernelSizes: spec.kernelSizes ? checkChoices<number>(`layers[${i}].kernelSizes`, spec.kernelSizes, isKernel, KERNEL_SIZE_RULE) : kernelSizes.slice(),
      crossbarSizes: rows,
    };
    // A column gene on some layers means one on all: the others take the space's list, or their rows.
    if (withCols)
      layer.colSizes = spec.colSizes ? checkChoices<number>(`layers[${i}].colSizes`, spec.colSizes, isCrossbar, CROSSBAR_RULE) : (colSizes ?? rows).slice();
    if (withAdc) {
      const list = spec.adcBits ?? adcBits;
      if (!list) throw invalid(`layers[${i}].adcBits`, "an ADC list (other layers search the ADC, so every layer must; give adcBits for the space or for this layer)", undefined);
      layer.adcBits = checkChoices<AdcGeneValue>(`layers[${i}].adcBits`, list, isAdcGene, ADC_RULE);
    }
    return layer;
  });
  const names = new Set(layers.map((l) => l.name));
  if (names.size !== layers.length) throw invalid('layers', 'distinct layer names', layers.map((l) => l.name).join(','));
  return { layers };
}

/** The genes of one layer, in draw order, with their choice lists. */
function layerGenes(layer: LayerSpace): Array<{ field: GeneField; choices: readonly GeneValue[] }> {
  const genes: Array<{ field: GeneField; choices: readonly GeneValue[] }> = [
    { field: 'kernels', choices: layer.kernelSizes },
    { field: 'crossbars', choices: layer.crossbarSizes },
  ];
  if (layer.colSizes) genes.push({ field: 'cols', choices: layer.colSizes });
  if (layer.adcBits) genes.push({ field: 'adcBits', choices: layer.adcBits });
  return genes;
}

/** Which optional genes a space has (all layers agree; createSearchSpace makes sure). */
export function spaceGenes(space: SearchSpace): { cols: boolean; adcBits: boolean } {
  return { cols: space.layers[0]?.colSizes !== undefined, adcBits: space.layers[0]?.adcBits !== undefined };
}

/** Number of genes of a genome in this space (kernel, rows, and the optional columns and ADC, per layer). */
export function geneCount(space: SearchSpace): number {
  return space.layers.reduce((n, l) => n + layerGenes(l).length, 0);
}

/** Number of distinct genomes (may exceed 2^53 for huge spaces; then only a bound). */
export function spaceSize(space: SearchSpace): number {
  return space.layers.reduce((n, l) => n * layerGenes(l).reduce((m, g) => m * g.choices.length, 1), 1);
}

const fieldValue = (genome: Genome, field: GeneField, i: number): GeneValue | undefined => genome[field]?.[i];

function setField(genome: Genome, field: GeneField, i: number, value: GeneValue): void {
  (genome[field] as GeneValue[])[i] = value;
}

/** Columns of layer i: the column gene, or the rows for square arrays. */
export function genomeCols(genome: Genome, i: number): number {
  return genome.cols ? genome.cols[i] : genome.crossbars[i];
}

/** Throws unless `genome` lies in `space`. */
export function validateGenome(space: SearchSpace, genome: Genome, name = 'genome'): Genome {
  const L = space.layers.length;
  const want = spaceGenes(space);
  const sized = (v: unknown) => Array.isArray(v) && v.length === L;
  if (!genome || !sized(genome.kernels) || !sized(genome.crossbars) || (want.cols ? !sized(genome.cols) : genome.cols !== undefined) || (want.adcBits ? !sized(genome.adcBits) : genome.adcBits !== undefined)) {
    const expected = [`${L} kernels`, `${L} crossbars`, ...(want.cols ? [`${L} cols`] : []), ...(want.adcBits ? [`${L} adcBits`] : [])].join(', ');
    const extra = [!want.cols && genome?.cols !== undefined ? 'cols' : '', !want.adcBits && genome?.adcBits !== undefined ? 'adcBits' : ''].filter(Boolean);
    throw new NaxError(ErrorCodes.invalidArgument, `expected ${name} to have ${expected}${extra.length ? ` and no ${extra.join(' or ')} (the space has no such gene)` : ''}, got ${JSON.stringify(genome)}`);
  }
  space.layers.forEach((layer, i) => {
    for (const { field, choices } of layerGenes(layer)) {
      const v = fieldValue(genome, field, i) as GeneValue;
      if (!choices.includes(v)) throw invalid(`${name}.${field}[${i}] (${layer.name})`, `one of ${choices.join(', ')}`, v);
    }
  });
  return genome;
}

/** Index vector, per layer [kernel, rows, (cols), (adc)]: positions in each layer's sorted choice lists. */
export function encodeGenome(space: SearchSpace, genome: Genome): number[] {
  validateGenome(space, genome);
  const code: number[] = [];
  space.layers.forEach((layer, i) => {
    for (const { field, choices } of layerGenes(layer)) code.push(choices.indexOf(fieldValue(genome, field, i) as GeneValue));
  });
  return code;
}

export function decodeGenome(space: SearchSpace, code: readonly number[]): Genome {
  const length = geneCount(space);
  if (!Array.isArray(code) || code.length !== length) throw invalid('code', `an array of ${length} indices`, code);
  const genome = emptyGenome(space);
  let at = 0;
  space.layers.forEach((layer) => {
    for (const { field, choices } of layerGenes(layer)) {
      const x = code[at];
      if (!Number.isInteger(x) || x < 0 || x >= choices.length) throw invalid(`code[${at}]`, `an index in [0, ${choices.length - 1}]`, x, ErrorCodes.outOfRange);
      (genome[field] as GeneValue[]).push(choices[x]);
      at++;
    }
  });
  return genome;
}

function emptyGenome(space: SearchSpace): Genome {
  const want = spaceGenes(space);
  return { kernels: [], crossbars: [], ...(want.cols ? { cols: [] } : {}), ...(want.adcBits ? { adcBits: [] } : {}) };
}

/**
 * Canonical key, layer order joined by "-": "k3x64" (kernel 3 on 64 x 64), "k3x64x32" with a
 * column gene (64 rows, 32 columns), "...a6" / "...aL" with an ADC gene (6 bits / lossless).
 */
export function genomeKey(genome: Genome): string {
  return genome.kernels
    .map((k, i) => {
      let part = `k${k}x${genome.crossbars[i]}`;
      if (genome.cols) part += `x${genome.cols[i]}`;
      if (genome.adcBits) part += `a${genome.adcBits[i] === 'lossless' ? 'L' : genome.adcBits[i]}`;
      return part;
    })
    .join('-');
}

export function parseGenomeKey(space: SearchSpace, key: string): Genome {
  const parts = typeof key === 'string' ? key.split('-') : [];
  const want = spaceGenes(space);
  const genome = emptyGenome(space);
  const pattern = new RegExp(`^k(\\d+)x(\\d+)${want.cols ? 'x(\\d+)' : ''}${want.adcBits ? 'a(\\d+|L)' : ''}$`);
  const shape = `k<kernel>x<rows>${want.cols ? 'x<cols>' : ''}${want.adcBits ? 'a<bits|L>' : ''}`;
  for (const part of parts) {
    const m = pattern.exec(part);
    if (!m) throw invalid('genome key', `${shape} parts joined by "-"`, key);
    let g = 1;
    genome.kernels.push(Number(m[g++]));
    genome.crossbars.push(Number(m[g++]));
    if (want.cols) genome.cols!.push(Number(m[g++]));
    if (want.adcBits) {
      const a = m[g++];
      genome.adcBits!.push(a === 'L' ? 'lossless' : Number(a));
    }
  }
  return validateGenome(space, genome, `genome key ${key}`);
}

export function cloneGenome(genome: Genome): Genome {
  return {
    kernels: genome.kernels.slice(),
    crossbars: genome.crossbars.slice(),
    ...(genome.cols ? { cols: genome.cols.slice() } : {}),
    ...(genome.adcBits ? { adcBits: genome.adcBits.slice() } : {}),
  };
}

export function randomGenome(space: SearchSpace, rng: Rng): Genome {
  const genome = emptyGenome(space);
  for (const layer of space.layers) for (const { field, choices } of layerGenes(layer)) (genome[field] as GeneValue[]).push(rng.pick(choices));
  return genome;
}

/**
 * Per-gene mutation: each gene is redrawn with probability `rate` (default 1 / geneCount) to a
 * *different* value of its list. With `atLeastOne` (default), a genome that came through
 * unchanged gets one random gene changed, so a mutant is never its parent. Genes with a single
 * choice never change.
 */
export function mutateGenome(space: SearchSpace, genome: Genome, rng: Rng, options: { rate?: number; atLeastOne?: boolean } = {}): Genome {
  const rate = options.rate ?? 1 / geneCount(space);
  expectNumber('mutation rate', rate, { min: 0, max: 1 });
  const child = cloneGenome(genome);
  const redraw = (choices: readonly GeneValue[], current: GeneValue): GeneValue => {
    const others = choices.filter((c) => c !== current);
    return others.length ? rng.pick(others) : current;
  };
  let changed = false;
  const mutable: Array<[number, GeneField, readonly GeneValue[]]> = [];
  space.layers.forEach((layer, i) => {
    for (const { field, choices } of layerGenes(layer)) {
      // The draw happens for every gene (single-choice ones too), so the stream does not depend on the lists' lengths.
      if (rng.chance(rate) && choices.length > 1) {
        setField(child, field, i, redraw(choices, fieldValue(child, field, i) as GeneValue));
        changed = true;
      }
    }
  });
  if (!changed && options.atLeastOne !== false) {
    space.layers.forEach((layer, i) => {
      for (const { field, choices } of layerGenes(layer)) if (choices.length > 1) mutable.push([i, field, choices]);
    });
    if (mutable.length) {
      const [i, field, choices] = rng.pick(mutable);
      setField(child, field, i, redraw(choices, fieldValue(child, field, i) as GeneValue));
    }
  }
  return child;
}

/** Uniform crossover: each gene (kernel, rows, columns, ADC independently) from either parent with p = 1/2; returns two complementary children. */
export function uniformCrossover(a: Genome, b: Genome, rng: Rng): [Genome, Genome] {
  const c1 = cloneGenome(a);
  const c2 = cloneGenome(b);
  const fields: GeneField[] = ['kernels', 'crossbars'];
  if (a.cols && b.cols) fields.push('cols');
  if (a.adcBits && b.adcBits) fields.push('adcBits');
  for (let i = 0; i < a.kernels.length; i++)
    for (const field of fields)
      if (rng.chance(0.5)) {
        setField(c1, field, i, fieldValue(b, field, i)!);
        setField(c2, field, i, fieldValue(a, field, i)!);
      }
  return [c1, c2];
}
