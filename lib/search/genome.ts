/**
 * The co-design genome: for each searchable layer a kernel size and a crossbar size (rows =
 * columns). A genome is stored by value ({kernels, crossbars}) so checkpoints and results.json
 * stay readable; `encodeGenome` gives the index vector and `genomeKey` a canonical string, so two
 * genomes are the same candidate exactly when their keys are equal.
 */
import { NaxError, ErrorCodes, expectNumber, invalid, rejectUnknownKeys } from '../errors';
import type { Rng } from './random';
import { KERNEL_SIZE_RULE, isKernelSize } from '../train/network';

export const DEFAULT_KERNEL_SIZES: readonly number[] = [3, 5, 7];
export const DEFAULT_CROSSBAR_SIZES: readonly number[] = [16, 32, 64, 128];
export const MAX_CROSSBAR_SIZE = 1024;

export interface LayerSpace {
  /** The layer this gene pair controls (a conv node name in the supernet). */
  name: string;
  kernelSizes: number[];
  crossbarSizes: number[];
}

export interface SearchSpace {
  layers: LayerSpace[];
}

export interface Genome {
  /** Kernel size (k x k) per searchable layer. */
  kernels: number[];
  /** Crossbar rows = columns per searchable layer. */
  crossbars: number[];
}

export interface SearchSpaceOptions {
  /** Number of searchable layers, their names, or per-layer specs (each may override the lists). */
  layers: number | string[] | Array<{ name: string; kernelSizes?: number[]; crossbarSizes?: number[] }>;
  kernelSizes?: number[];
  crossbarSizes?: number[];
}

function checkChoices(name: string, list: unknown, check: (v: number) => boolean, expected: string): number[] {
  if (!Array.isArray(list) || list.length === 0) throw invalid(name, `a non-empty array of ${expected}`, list);
  for (let i = 0; i < list.length; i++)
    if (typeof list[i] !== 'number' || !check(list[i])) throw invalid(`${name}[${i}]`, expected, list[i]);
  if (new Set(list).size !== list.length) throw invalid(name, `distinct values`, JSON.stringify(list));
  // Sorted, so that index order means size order and keys do not depend on how the user listed them.
  return (list as number[]).slice().sort((a, b) => a - b);
}

const isCrossbar = (v: number) => Number.isInteger(v) && v >= 2 && v <= MAX_CROSSBAR_SIZE;

/**
 * Builds and checks a search space. Kernel sizes: the network builder's rule (KERNEL_SIZE_RULE,
 * lib/train/network.ts). Crossbar sizes: integers 2..1024 (NAX: 16..128; 256 is allowed).
 */
export function createSearchSpace(options: SearchSpaceOptions): SearchSpace {
  if (typeof options !== 'object' || options === null) throw invalid('space', 'an object', options);
  rejectUnknownKeys('space', options, ['layers', 'kernelSizes', 'crossbarSizes']);
  const kernelSizes = checkChoices('kernelSizes', options.kernelSizes ?? DEFAULT_KERNEL_SIZES, isKernelSize, KERNEL_SIZE_RULE);
  const crossbarSizes = checkChoices('crossbarSizes', options.crossbarSizes ?? DEFAULT_CROSSBAR_SIZES, isCrossbar, `integers in [2, ${MAX_CROSSBAR_SIZE}]`);
  let specs: Array<{ name: string; kernelSizes?: number[]; crossbarSizes?: number[] }>;
  if (typeof options.layers === 'number') {
    expectNumber('layers', options.layers, { integer: true, min: 1 });
    specs = Array.from({ length: options.layers }, (_, i) => ({ name: `layer${i}` }));
  } else if (Array.isArray(options.layers) && options.layers.length > 0) {
    specs = options.layers.map((l, i) => {
      if (typeof l === 'string') return { name: l };
      if (typeof l !== 'object' || l === null) throw invalid(`layers[${i}]`, 'a name or {name, kernelSizes?, crossbarSizes?}', l);
      return l;
    });
  } else throw invalid('layers', 'a positive count, or a non-empty array of names or layer specs', options.layers);
  const layers = specs.map((spec, i) => {
    if (typeof spec.name !== 'string' || spec.name === '') throw invalid(`layers[${i}].name`, 'a non-empty string', spec.name);
    rejectUnknownKeys(`layers[${i}]`, spec, ['name', 'kernelSizes', 'crossbarSizes']);
    return {
      name: spec.name,
      kernelSizes: spec.kernelSizes ? checkChoices(`layers[${i}].kernelSizes`, spec.kernelSizes, isKernelSize, KERNEL_SIZE_RULE) : kernelSizes.slice(),
      crossbarSizes: spec.crossbarSizes
        ? checkChoices(`layers[${i}].crossbarSizes`, spec.crossbarSizes, isCrossbar, `integers in [2, ${MAX_CROSSBAR_SIZE}]`)
        : crossbarSizes.slice(),
    };
  });
  const names = new Set(layers.map((l) => l.name));
  if (names.size !== layers.length) throw invalid('layers', 'distinct layer names', layers.map((l) => l.name).join(','));
  return { layers };
}

/** Number of distinct genomes (may exceed 2^53 for huge spaces; then only a bound). */
export function spaceSize(space: SearchSpace): number {
  return space.layers.reduce((n, l) => n * l.kernelSizes.length * l.crossbarSizes.length, 1);
}

/** Throws unless `genome` lies in `space`. */
export function validateGenome(space: SearchSpace, genome: Genome, name = 'genome'): Genome {
  const L = space.layers.length;
  if (!genome || !Array.isArray(genome.kernels) || !Array.isArray(genome.crossbars) || genome.kernels.length !== L || genome.crossbars.length !== L)
    throw new NaxError(ErrorCodes.invalidArgument, `expected ${name} to have ${L} kernels and ${L} crossbars, got ${JSON.stringify(genome)}`);
  space.layers.forEach((layer, i) => {
    if (!layer.kernelSizes.includes(genome.kernels[i]))
      throw invalid(`${name}.kernels[${i}] (${layer.name})`, `one of ${layer.kernelSizes.join(', ')}`, genome.kernels[i]);
    if (!layer.crossbarSizes.includes(genome.crossbars[i]))
      throw invalid(`${name}.crossbars[${i}] (${layer.name})`, `one of ${layer.crossbarSizes.join(', ')}`, genome.crossbars[i]);
  });
  return genome;
}

/** Index vector [k0, x0, k1, x1, ...]: positions in each layer's sorted choice lists. */
export function encodeGenome(space: SearchSpace, genome: Genome): number[] {
  validateGenome(space, genome);
  const code: number[] = [];
  space.layers.forEach((layer, i) => code.push(layer.kernelSizes.indexOf(genome.kernels[i]), layer.crossbarSizes.indexOf(genome.crossbars[i])));
  return code;
}

export function decodeGenome(space: SearchSpace, code: readonly number[]): Genome {
  if (!Array.isArray(code) || code.length !== 2 * space.layers.length)
    throw invalid('code', `an array of ${2 * space.layers.length} indices`, code);
  const kernels: number[] = [];
  const crossbars: number[] = [];
  space.layers.forEach((layer, i) => {
    const k = code[2 * i];
    const x = code[2 * i + 1];
    if (!Number.isInteger(k) || k < 0 || k >= layer.kernelSizes.length) throw invalid(`code[${2 * i}]`, `an index in [0, ${layer.kernelSizes.length - 1}]`, k, ErrorCodes.outOfRange);
    if (!Number.isInteger(x) || x < 0 || x >= layer.crossbarSizes.length)
      throw invalid(`code[${2 * i + 1}]`, `an index in [0, ${layer.crossbarSizes.length - 1}]`, x, ErrorCodes.outOfRange);
    kernels.push(layer.kernelSizes[k]);
    crossbars.push(layer.crossbarSizes[x]);
  });
  return { kernels, crossbars };
}

/** Canonical key, e.g. "k3x64-k5x32-k7x128" (layer order; kernel then crossbar size). */
export function genomeKey(genome: Genome): string {
  return genome.kernels.map((k, i) => `k${k}x${genome.crossbars[i]}`).join('-');
}

export function parseGenomeKey(space: SearchSpace, key: string): Genome {
  const parts = typeof key === 'string' ? key.split('-') : [];
  const kernels: number[] = [];
  const crossbars: number[] = [];
  for (const part of parts) {
    const m = /^k(\d+)x(\d+)$/.exec(part);
    if (!m) throw invalid('genome key', 'k<kernel>x<crossbar> parts joined by "-"', key);
    kernels.push(Number(m[1]));
    crossbars.push(Number(m[2]));
  }
  return validateGenome(space, { kernels, crossbars }, `genome key ${key}`);
}

export function cloneGenome(genome: Genome): Genome {
  return { kernels: genome.kernels.slice(), crossbars: genome.crossbars.slice() };
}

export function randomGenome(space: SearchSpace, rng: Rng): Genome {
  const kernels: number[] = [];
  const crossbars: number[] = [];
  for (const layer of space.layers) {
    kernels.push(rng.pick(layer.kernelSizes));
    crossbars.push(rng.pick(layer.crossbarSizes));
  }
  return { kernels, crossbars };
}

/**
 * Per-gene mutation: each of the 2L genes is redrawn with probability `rate` (default 1/(2L))
 * to a *different* value of its list. With `atLeastOne` (default), a genome that came through
 * unchanged gets one random gene changed, so a mutant is never its parent. Genes with a single
 * choice never change.
 */
export function mutateGenome(space: SearchSpace, genome: Genome, rng: Rng, options: { rate?: number; atLeastOne?: boolean } = {}): Genome {
  const L = space.layers.length;
  const rate = options.rate ?? 1 / (2 * L);
  expectNumber('mutation rate', rate, { min: 0, max: 1 });
  const child = cloneGenome(genome);
  const redraw = (choices: number[], current: number): number => {
    const others = choices.filter((c) => c !== current);
    return others.length ? rng.pick(others) : current;
  };
  let changed = false;
  for (let i = 0; i < L; i++) {
    const layer = space.layers[i];
    if (rng.chance(rate) && layer.kernelSizes.length > 1) {
      child.kernels[i] = redraw(layer.kernelSizes, child.kernels[i]);
      changed = true;
    }
    if (rng.chance(rate) && layer.crossbarSizes.length > 1) {
      child.crossbars[i] = redraw(layer.crossbarSizes, child.crossbars[i]);
      changed = true;
    }
  }
  if (!changed && options.atLeastOne !== false) {
    const mutable: Array<[number, 'kernels' | 'crossbars']> = [];
    space.layers.forEach((layer, i) => {
      if (layer.kernelSizes.length > 1) mutable.push([i, 'kernels']);
      if (layer.crossbarSizes.length > 1) mutable.push([i, 'crossbars']);
    });
    if (mutable.length) {
      const [i, field] = rng.pick(mutable);
      const choices = field === 'kernels' ? space.layers[i].kernelSizes : space.layers[i].crossbarSizes;
      child[field][i] = redraw(choices, child[field][i]);
    }
  }
  return child;
}

/** Uniform crossover: each gene (kernel and crossbar independently) from either parent with p = 1/2; returns two complementary children. */
export function uniformCrossover(a: Genome, b: Genome, rng: Rng): [Genome, Genome] {
  const c1 = cloneGenome(a);
  const c2 = cloneGenome(b);
  for (let i = 0; i < a.kernels.length; i++) {
    if (rng.chance(0.5)) {
      c1.kernels[i] = b.kernels[i];
      c2.kernels[i] = a.kernels[i];
    }
    if (rng.chance(0.5)) {
      c1.crossbars[i] = b.crossbars[i];
      c2.crossbars[i] = a.crossbars[i];
    }
  }
  return [c1, c2];
}
