import {
  createSearchSpace, spaceSize, encodeGenome, decodeGenome, genomeKey, parseGenomeKey, randomGenome, mutateGenome,
  uniformCrossover, validateGenome, type Genome, type SearchSpace,
} from '../../lib/search';
import { Rng } from '../../lib/search/random';
import { allGenomes } from './synthetic';
import { errorOf } from '../errors-helper';

function inSpace(space: SearchSpace, g: Genome): boolean {
  return space.layers.every((l, i) => l.kernelSizes.includes(g.kernels[i]) && l.crossbarSizes.includes(g.crossbars[i]));
}

describe('search space', () => {
  test('defaults: kernels {3,5,7}, crossbars {16,32,64,128}; lists sorted; 256 allowed', () => {
    const s = createSearchSpace({ layers: ['conv1', 'conv2'] });
    expect(s.layers.map((l) => l.name)).toEqual(['conv1', 'conv2']);
    expect(s.layers[0].kernelSizes).toEqual([3, 5, 7]);
    expect(s.layers[0].crossbarSizes).toEqual([16, 32, 64, 128]);
    expect(spaceSize(s)).toBe(144);
    const t = createSearchSpace({ layers: 3, crossbarSizes: [256, 64], kernelSizes: [5, 3] });
    expect(t.layers[2]).toEqual({ name: 'layer2', kernelSizes: [3, 5], crossbarSizes: [64, 256] });
    const u = createSearchSpace({ layers: [{ name: 'a', kernelSizes: [3] }, { name: 'b' }] });
    expect(u.layers[0].kernelSizes).toEqual([3]);
    expect(u.layers[1].kernelSizes).toEqual([3, 5, 7]);
  });

  test('invalid spaces are NaxErrors naming the field', () => {
    expect(errorOf(() => createSearchSpace({ layers: 2, kernelSizes: [4] })).message).toContain('kernelSizes[0]');
    expect(errorOf(() => createSearchSpace({ layers: 2, crossbarSizes: [0] })).message).toContain('crossbarSizes[0]');
    expect(errorOf(() => createSearchSpace({ layers: 2, crossbarSizes: [16, 16] })).message).toContain('distinct');
    expect(errorOf(() => createSearchSpace({ layers: 0 })).code).toBe('ERR_NAX_OUT_OF_RANGE');
    expect(errorOf(() => createSearchSpace({ layers: ['a', 'a'] })).message).toContain('distinct layer names');
    expect(errorOf(() => createSearchSpace({ layers: 1, kernels: [3] } as never)).code).toBe('ERR_NAX_CONFIG');
    expect(errorOf(() => createSearchSpace({ layers: 1, kernelSizes: [] })).name).toBe('NaxError');
  });
});

describe('genome encoding', () => {
  const space = createSearchSpace({ layers: ['c1', 'c2'], crossbarSizes: [16, 32, 64, 128, 256] });

  test('encode/decode and key/parse round-trip over the whole space; keys are distinct', () => {
    const all = allGenomes(space);
    expect(all.length).toBe(spaceSize(space));
    const keys = new Set<string>();
    for (const g of all) {
      const code = encodeGenome(space, g);
      expect(decodeGenome(space, code)).toEqual(g);
      const key = genomeKey(g);
      expect(parseGenomeKey(space, key)).toEqual(g);
      keys.add(key);
    }
    expect(keys.size).toBe(all.length);
    expect(genomeKey({ kernels: [3, 7], crossbars: [64, 256] })).toBe('k3x64-k7x256');
    expect(encodeGenome(space, { kernels: [3, 7], crossbars: [64, 256] })).toEqual([0, 2, 2, 4]);
  });

  test('out-of-space genomes, codes and keys are rejected', () => {
    expect(errorOf(() => validateGenome(space, { kernels: [3, 9], crossbars: [16, 16] })).message).toContain('kernels[1] (c2)');
    expect(errorOf(() => validateGenome(space, { kernels: [3], crossbars: [16] })).code).toBe('ERR_NAX_INVALID_ARGUMENT');
    expect(errorOf(() => decodeGenome(space, [0, 5, 0, 0])).code).toBe('ERR_NAX_OUT_OF_RANGE');
    expect(errorOf(() => parseGenomeKey(space, 'k3x16-kx')).name).toBe('NaxError');
    expect(errorOf(() => parseGenomeKey(space, 'k3x16-k3x512')).message).toContain('crossbars[1]');
  });

  test('random genomes lie in the space and reach every value', () => {
    const rng = new Rng(5);
    const seenK = new Set<number>();
    const seenX = new Set<number>();
    for (let i = 0; i < 300; i++) {
      const g = randomGenome(space, rng);
      expect(inSpace(space, g)).toBe(true);
      g.kernels.forEach((k) => seenK.add(k));
      g.crossbars.forEach((x) => seenX.add(x));
    }
    expect([...seenK].sort((a, b) => a - b)).toEqual([3, 5, 7]);
    expect([...seenX].sort((a, b) => a - b)).toEqual([16, 32, 64, 128, 256]);
  });
});

describe('mutation and crossover', () => {
  const space = createSearchSpace({ layers: [{ name: 'fixed', kernelSizes: [3], crossbarSizes: [64] }, { name: 'a' }, { name: 'b' }, { name: 'c' }] });

  test('mutants stay in the space, differ from the parent, and never touch single-choice genes', () => {
    const rng = new Rng(11);
    for (let i = 0; i < 500; i++) {
      const parent = randomGenome(space, rng);
      const child = mutateGenome(space, parent, rng);
      expect(inSpace(space, child)).toBe(true);
      expect(genomeKey(child)).not.toBe(genomeKey(parent));
      expect(child.kernels[0]).toBe(3);
      expect(child.crossbars[0]).toBe(64);
    }
  });

  test('rate 0 without atLeastOne keeps the genome; rate 1 changes every mutable gene; parent untouched', () => {
    const rng = new Rng(2);
    const parent: Genome = { kernels: [3, 3, 5, 7], crossbars: [64, 16, 32, 128] };
    const copy = JSON.parse(JSON.stringify(parent));
    expect(mutateGenome(space, parent, rng, { rate: 0, atLeastOne: false })).toEqual(parent);
    const all = mutateGenome(space, parent, rng, { rate: 1 });
    for (let i = 1; i < 4; i++) {
      expect(all.kernels[i]).not.toBe(parent.kernels[i]);
      expect(all.crossbars[i]).not.toBe(parent.crossbars[i]);
    }
    expect(parent).toEqual(copy);
  });

  test('uniform crossover: each gene from one parent, children complementary, both genes mix', () => {
    const rng = new Rng(3);
    const a: Genome = { kernels: [3, 3, 3, 3], crossbars: [64, 16, 16, 16] };
    const b: Genome = { kernels: [3, 7, 7, 7], crossbars: [64, 128, 128, 128] };
    let mixedKernels = 0;
    let fromB = 0;
    for (let t = 0; t < 200; t++) {
      const [c1, c2] = uniformCrossover(a, b, rng);
      for (let i = 0; i < 4; i++) {
        expect([a.kernels[i], b.kernels[i]]).toContain(c1.kernels[i]);
        expect(c1.kernels[i] === a.kernels[i] ? c2.kernels[i] === b.kernels[i] : c2.kernels[i] === a.kernels[i]).toBe(true);
        expect(c1.crossbars[i] === a.crossbars[i] ? c2.crossbars[i] === b.crossbars[i] : c2.crossbars[i] === a.crossbars[i]).toBe(true);
        if (i > 0 && c1.crossbars[i] === 128) fromB++;
      }
      if (new Set(c1.kernels.slice(1)).size > 1) mixedKernels++;
    }
    expect(mixedKernels).toBeGreaterThan(100);
    expect(fromB / 600).toBeGreaterThan(0.4);
    expect(fromB / 600).toBeLessThan(0.6);
  });
});

describe('column and ADC genes', () => {
  const space = createSearchSpace({ layers: ['c1', 'c2', 'c3'], kernelSizes: [3, 5], crossbarSizes: [32, 64], colSizes: [64, 16, 32], adcBits: ['lossless', 6, 4] });

  test('lists sorted (lossless last), every layer gets both genes, the size multiplies', () => {
    expect(space.layers[1].colSizes).toEqual([16, 32, 64]);
    expect(space.layers[1].adcBits).toEqual([4, 6, 'lossless']);
    expect(spaceSize(space)).toBe((2 * 2 * 3 * 3) ** 3);
    // A column list on one layer gives the others their rows as columns.
    const partial = createSearchSpace({ layers: [{ name: 'a', colSizes: [16] }, { name: 'b', crossbarSizes: [64] }] });
    expect(partial.layers[1].colSizes).toEqual([64]);
  });

  test('keys, codes and random draws carry rows, columns and ADC; round trips over many genomes', () => {
    const g: Genome = { kernels: [3, 5, 3], crossbars: [64, 32, 64], cols: [32, 32, 16], adcBits: [6, 'lossless', 4] };
    expect(genomeKey(g)).toBe('k3x64x32a6-k5x32x32aL-k3x64x16a4');
    expect(parseGenomeKey(space, genomeKey(g))).toEqual(g);
    expect(encodeGenome(space, g)).toEqual([0, 1, 1, 1, 1, 0, 1, 2, 0, 1, 0, 0]);
    expect(decodeGenome(space, encodeGenome(space, g))).toEqual(g);
    const rng = new Rng(9);
    const seenCols = new Set<number>();
    const seenAdc = new Set<unknown>();
    let nonSquare = 0;
    for (let i = 0; i < 200; i++) {
      const r = randomGenome(space, rng);
      expect(validateGenome(space, r)).toBe(r);
      expect(parseGenomeKey(space, genomeKey(r))).toEqual(r);
      r.cols!.forEach((c) => seenCols.add(c));
      r.adcBits!.forEach((a) => seenAdc.add(a));
      nonSquare += r.cols!.filter((c, j) => c !== r.crossbars[j]).length;
    }
    expect([...seenCols].sort((a, b) => a - b)).toEqual([16, 32, 64]);
    expect(seenAdc.size).toBe(3);
    expect(nonSquare).toBeGreaterThan(200);
  });

  test('mutation reaches columns and ADC; crossover takes them from either parent', () => {
    const rng = new Rng(12);
    const parent: Genome = { kernels: [3, 3, 3], crossbars: [32, 32, 32], cols: [32, 32, 32], adcBits: [4, 4, 4] };
    const all = mutateGenome(space, parent, rng, { rate: 1 });
    for (let i = 0; i < 3; i++) {
      expect(all.cols![i]).not.toBe(32);
      expect(all.adcBits![i]).not.toBe(4);
    }
    const other: Genome = { kernels: [5, 5, 5], crossbars: [64, 64, 64], cols: [16, 16, 16], adcBits: ['lossless', 'lossless', 'lossless'] };
    let colsFromOther = 0;
    for (let t = 0; t < 100; t++) {
      const [c1, c2] = uniformCrossover(parent, other, rng);
      for (let i = 0; i < 3; i++) {
        expect(c1.cols![i] === 32 ? c2.cols![i] === 16 : c2.cols![i] === 32).toBe(true);
        expect(c1.adcBits![i] === 4 ? c2.adcBits![i] === 'lossless' : c2.adcBits![i] === 4).toBe(true);
        if (c1.cols![i] === 16) colsFromOther++;
      }
    }
    expect(colsFromOther / 300).toBeGreaterThan(0.4);
    expect(colsFromOther / 300).toBeLessThan(0.6);
  });

  test('square spaces keep their keys and draws; genomes must match the space\'s genes', () => {
    const square = createSearchSpace({ layers: 2 });
    expect(randomGenome(square, new Rng(1)).cols).toBeUndefined();
    expect(errorOf(() => validateGenome(square, { kernels: [3, 3], crossbars: [16, 16], cols: [16, 16] })).message).toContain('no cols');
    expect(errorOf(() => validateGenome(space, { kernels: [3, 3, 3], crossbars: [32, 32, 32] })).message).toContain('3 cols');
    expect(errorOf(() => validateGenome(space, { kernels: [3, 3, 3], crossbars: [32, 32, 32], cols: [32, 32, 128], adcBits: [4, 4, 4] })).message).toContain('cols[2] (c3)');
    expect(errorOf(() => createSearchSpace({ layers: 1, adcBits: [1] })).message).toContain('adcBits[0]');
    expect(errorOf(() => createSearchSpace({ layers: 1, colSizes: [2048] })).message).toContain('colSizes[0]');
    expect(errorOf(() => createSearchSpace({ layers: [{ name: 'a', adcBits: [4] }, { name: 'b', adcBits: ['nax' as never] }] })).message).toContain('layers[1].adcBits[0]');
    expect(errorOf(() => parseGenomeKey(space, 'k3x32-k3x32-k3x32')).message).toContain('k<kernel>x<rows>x<cols>a<bits|L>');
  });
});
