import { validationSplit, subset, batches, type Dataset } from '../../lib/data';

function fakeDataset(count: number, classes = 10): Dataset {
  const images = new Float32Array(count * 4);
  for (let i = 0; i < images.length; i++) images[i] = i;
  const labels = Uint8Array.from({ length: count }, (_, i) => i % classes);
  return {
    images, labels, count, shape: [1, 2, 2], classes, name: 'idx', split: 'train', source: '/x', files: [], normalization: null,
  };
}

describe('validationSplit', () => {
  test('disjoint, covering, sorted, sized round(fraction*N)', () => {
    const { train, validation } = validationSplit(1000, { fraction: 0.15, seed: 7 });
    expect(validation.length).toBe(150);
    expect(train.length).toBe(850);
    const all = new Set<number>([...train, ...validation]);
    expect(all.size).toBe(1000);
    for (let i = 1; i < validation.length; i++) expect(validation[i]).toBeGreaterThan(validation[i - 1]);
    for (let i = 1; i < train.length; i++) expect(train[i]).toBeGreaterThan(train[i - 1]);
  });

  test('same seed same split; different seed different split; not just a prefix', () => {
    const a = validationSplit(500, { fraction: 0.2, seed: 1 });
    const b = validationSplit(500, { fraction: 0.2, seed: 1 });
    const c = validationSplit(500, { fraction: 0.2, seed: 2 });
    expect(Array.from(a.validation)).toEqual(Array.from(b.validation));
    expect(Array.from(a.validation)).not.toEqual(Array.from(c.validation));
    expect(a.validation[a.validation.length - 1]).toBeGreaterThan(400); // spread over the whole range
  });

  test('pinned: the split for seed 42 does not change between versions', () => {
    const { validation } = validationSplit(20, { fraction: 0.25, seed: 42 });
    expect(Array.from(validation)).toEqual([1, 2, 8, 9, 13]);
  });

  test('stratified keeps class shares', () => {
    const ds = fakeDataset(1000, 10); // 100 per class
    const { validation, train } = validationSplit(ds, { fraction: 0.1, seed: 3, stratify: true });
    expect(validation.length).toBe(100);
    expect(train.length).toBe(900);
    const perClass = new Array(10).fill(0);
    for (const i of validation) perClass[ds.labels[i]]++;
    expect(perClass).toEqual(new Array(10).fill(10));
  });

  test('bad options', () => {
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        expect((e as Error).name).toBe('NaxError');
        return (e as { code: string }).code;
      }
      return 'no error';
    };
    expect(code(() => validationSplit(100, { fraction: 0, seed: 1 }))).toBe('ERR_NAX_OUT_OF_RANGE');
    expect(code(() => validationSplit(100, { fraction: 1, seed: 1 }))).toBe('ERR_NAX_OUT_OF_RANGE');
    expect(code(() => validationSplit(10, { fraction: 0.01, seed: 1 }))).toBe('ERR_NAX_OUT_OF_RANGE');
    expect(code(() => validationSplit(100, { fraction: 0.5, seed: 1.5 }))).toBe('ERR_NAX_INVALID_ARGUMENT');
    expect(code(() => validationSplit(100, { fraction: 0.5, seed: 1, stratify: true }))).toBe('ERR_NAX_INVALID_ARGUMENT');
  });
});

describe('batches and subset', () => {
  test('plain batches are views on the data set buffers (no copies)', () => {
    const ds = fakeDataset(10);
    const list = [...batches(ds, 4)];
    expect(list.map((b) => b.count)).toEqual([4, 4, 2]);
    expect(list.map((b) => b.start)).toEqual([0, 4, 8]);
    expect(list[1].images.buffer).toBe(ds.images.buffer);
    expect(list[1].images.byteOffset).toBe(4 * 4 * 4);
    expect(list[1].labels.buffer).toBe(ds.labels.buffer);
    expect(list[2].images.length).toBe(8);
    expect([...batches(ds, 4, { dropLast: true })].length).toBe(2);
  });

  test('indexed batches gather the chosen records; subset copies them', () => {
    const ds = fakeDataset(10);
    const idx = Uint32Array.from([9, 2, 5]);
    const [first, second] = [...batches(ds, 2, { indices: idx })];
    expect(Array.from(first.labels)).toEqual([9, 2]);
    expect(Array.from(first.images.subarray(0, 4))).toEqual([36, 37, 38, 39]);
    expect(Array.from(second.images)).toEqual([20, 21, 22, 23]);
    const sub = subset(ds, idx);
    expect(sub.count).toBe(3);
    expect(Array.from(sub.labels)).toEqual([9, 2, 5]);
    expect(sub.images.buffer).not.toBe(ds.images.buffer);
    expect(() => [...batches(ds, 2, { indices: [10] })]).toThrow(/indices\[0\]/);
    expect(() => [...batches(ds, 0)]).toThrow(/batchSize/);
  });
});
