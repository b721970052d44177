/** The test split's checkpoint: exact round trip, keys that change with every input, earlier vs this run. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { TestCheckpoint } from '../../lib/codesign/test-checkpoint';
import type { ChipsClassifyResult } from '../../lib/runtime/classify';

function fakeRun(chips: number, images: number, seed: number): ChipsClassifyResult {
  const correct = new Uint8Array(chips * images);
  let s = seed;
  for (let e = 0; e < correct.length; e++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    correct[e] = s >>> 31;
  }
  const accuracies = Array.from({ length: chips }, (_, c) => correct.subarray(c * images, (c + 1) * images).reduce((a, b) => a + b, 0) / images);
  return { chips: Array.from({ length: chips }, (_, c) => c), accuracies, summary: { n: chips, mean: 0.5, std: 0.1, ci95: [0.4, 0.6] }, images, correct, seconds: 3.5, programSeconds: 0.25 };
}

describe('TestCheckpoint', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nax-testckpt-'));
  const file = path.join(dir, 'test-checkpoint.json');
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const parts = { onnx: new Uint8Array([1, 2, 3]), mapping: { default: { rows: 32, cols: 32 } }, chips: 3, testHash: 'abc', settings: '{"seed":0}' };

  it('stores every (chip, image) bit exactly and tells an earlier run from this one', async () => {
    const run = fakeRun(3, 1001, 7); // 3003 entries: not a multiple of 8
    const key = TestCheckpoint.key(parts);
    const now = new TestCheckpoint(file, false);
    expect(now.get(key)).toBeUndefined();
    await now.put(key, run);
    expect(now.get(key)).toEqual({ run, earlier: false });
    const later = new TestCheckpoint(file, true);
    expect(later.get(key)).toEqual({ run, earlier: true });
    // Without resume the file is dropped.
    const fresh = new TestCheckpoint(file, false);
    expect(fresh.get(key)).toBeUndefined();
    expect(fs.existsSync(file)).toBe(false);
  });

  it('keys differ for any other ONNX byte, mapping, chip count, test set or settings', () => {
    const base = TestCheckpoint.key(parts);
    expect(TestCheckpoint.key({ ...parts })).toBe(base);
    for (const other of [
      { ...parts, onnx: new Uint8Array([1, 2, 4]) },
      { ...parts, mapping: { default: { rows: 64, cols: 32 } } },
      { ...parts, chips: 4 },
      { ...parts, testHash: 'abd' },
      { ...parts, settings: '{"seed":1}' },
    ])
      expect(TestCheckpoint.key(other)).not.toBe(base);
  });

  it('a torn or foreign file is an empty checkpoint, never an error', () => {
    fs.writeFileSync(file, '{"format": 1, "runs": {"x": ');
    expect(new TestCheckpoint(file, true).get('x')).toBeUndefined();
    fs.writeFileSync(file, JSON.stringify({ format: 1, runs: { x: { chips: [0], accuracies: [1], images: 10, correctBits: 'AA==' } } }));
    expect(new TestCheckpoint(file, true).get('x')).toBeUndefined(); // 10 entries need 2 bytes
  });
});
