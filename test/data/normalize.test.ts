import { resolveNormalization, loadDataset } from '../../lib/data';
import { pixelTables } from '../../lib/data/normalize';
import { tempDir, writeIdxPair } from './helpers';

describe('normalisation (torchvision ToTensor + Normalize)', () => {
  test('table values follow float32 (byte/255 - mean)/std', () => {
    const [table] = pixelTables(1, { mean: [0.1307], std: [0.3081] });
    // Reference values computed as torchvision does in float32: ((b/255) - 0.1307) / 0.3081.
    const ref = (b: number) => {
      const x = Math.fround(b / 255);
      return Math.fround(Math.fround(x - Math.fround(0.1307)) / Math.fround(0.3081));
    };
    for (const b of [0, 1, 127, 128, 254, 255]) expect(table[b]).toBe(ref(b));
    expect(table[0]).toBeCloseTo(-0.42421296, 6);
    expect(table[255]).toBeCloseTo(2.82148653, 6);
    const [raw] = pixelTables(1, null);
    expect(raw[255]).toBe(1);
    expect(raw[51]).toBe(Math.fround(0.2));
  });

  test('resolveNormalization: defaults, false, scalar broadcast, custom', () => {
    expect(resolveNormalization('cifar10', undefined, 3)).toEqual({ mean: [0.4914, 0.4822, 0.4465], std: [0.247, 0.2435, 0.2616] });
    expect(resolveNormalization('fashion-mnist', true, 1)).toEqual({ mean: [0.286], std: [0.353] });
    expect(resolveNormalization('mnist', false, 1)).toBeNull();
    expect(resolveNormalization('cifar10', { mean: 0.5, std: 0.5 } as never, 3)).toEqual({ mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] });
  });

  test('custom {mean: 0.5, std: 0.5} maps bytes onto [-1, 1]', async () => {
    const dir = tempDir('norm');
    writeIdxPair(dir, 'train', Uint8Array.from([0, 255, 51, 204]), Uint8Array.from([0]), 2, 2);
    const ds = await loadDataset({ name: 'idx', path: dir, split: 'train', normalize: { mean: [0.5], std: [0.5] } });
    expect(ds.images[0]).toBe(-1);
    expect(ds.images[1]).toBe(1);
    expect(ds.images[2]).toBeCloseTo(-0.6, 6);
    expect(ds.images[3]).toBeCloseTo(0.6, 6);
    // idx default: [0,1] scaling (mean 0, std 1)
    const plain = await loadDataset({ name: 'idx', path: dir, split: 'train' });
    expect(plain.images[1]).toBe(1);
    expect(plain.images[2]).toBe(Math.fround(0.2));
  });
});
