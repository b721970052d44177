/** Checkpoints carry a SHA-256 of their contents: a damaged file is reported by name, never resumed from. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { decodeCheckpoint, encodeCheckpoint, loadCheckpoint, saveCheckpoint } from '../../lib/train';
import { loadCheckpoint as loadSearchCheckpoint, saveCheckpoint as saveSearchCheckpoint } from '../../lib/search/checkpoint';
import { errorOf } from '../errors-helper';

const state = () => ({
  params: { 'conv.w': new Float32Array([1, -2, 3.5, 4]), 'fc.b': new Float32Array([0.25]) },
  velocity: { 'conv.w': new Float32Array([0.1, 0.2, 0.3, 0.4]) },
  kernels: [3, 5],
});

describe('training checkpoints', () => {
  it('round-trip, and any flipped byte or truncation is caught by the digest', () => {
    const bytes = encodeCheckpoint({ state: state(), epoch: 3, meta: { seed: 1 } });
    expect(bytes.toString('latin1', 0, 8)).toBe('NAXTRN02');
    const back = decodeCheckpoint<{ seed: number }>(bytes, 'c.ckpt');
    expect(back.epoch).toBe(3);
    expect(Array.from(back.state.params['conv.w'])).toEqual([1, -2, 3.5, 4]);
    // A flipped bit in a tensor (the JSON header still parses): only the digest can tell.
    for (const at of [bytes.length - 3, 12 + 32 + 5]) {
      const bad = Buffer.from(bytes);
      bad[at] ^= 0x10;
      const e = errorOf(() => decodeCheckpoint(bad, 'c.ckpt'));
      expect(e).toMatchObject({ name: 'NaxError', code: 'ERR_NAX_IO' });
      expect(e.message).toMatch(/checkpoint c\.ckpt is corrupt/);
    }
    expect(errorOf(() => decodeCheckpoint(bytes.subarray(0, bytes.length - 4), 'c.ckpt')).message).toMatch(/corrupt/);
  });

  it('still reads version-1 files (no digest)', () => {
    const v2 = encodeCheckpoint({ state: state(), epoch: 1, meta: null });
    const v1 = Buffer.concat([Buffer.from('NAXTRN01'), v2.subarray(8, 12), v2.subarray(12 + 32)]);
    expect(decodeCheckpoint(v1).epoch).toBe(1);
  });

  it('are written atomically: no temp files left, the old file replaced whole', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nax-ckpt-'));
    const file = path.join(dir, 'a.ckpt');
    saveCheckpoint(file, { state: state(), epoch: 1, meta: null });
    saveCheckpoint(file, { state: state(), epoch: 2, meta: null });
    expect(fs.readdirSync(dir)).toEqual(['a.ckpt']);
    expect(loadCheckpoint(file).epoch).toBe(2);
  });
});

describe('search checkpoints', () => {
  const checkpoint = () => ({
    format: 'nax-evolution-checkpoint', version: 1, generation: 2, population: ['a'], archive: [], rng: { s: [1, 2, 3, 4] },
  });
  it('carry a digest line; an edited or truncated file is refused by name', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nax-ckpt-'));
    const file = path.join(dir, 'evolution-checkpoint.json');
    // The loader validates format and version; take them from a real save to stay in step.
    const { CHECKPOINT_FORMAT, CHECKPOINT_VERSION } = await import('../../lib/search/checkpoint');
    const c = { ...checkpoint(), format: CHECKPOINT_FORMAT, version: CHECKPOINT_VERSION } as never;
    await saveSearchCheckpoint(file, c);
    const text = fs.readFileSync(file, 'utf8');
    expect(text).toMatch(/\n#sha256:[0-9a-f]{64}\n$/);
    expect((await loadSearchCheckpoint(file))!.generation).toBe(2);
    fs.writeFileSync(file, text.replace('"generation":2', '"generation":7'));
    await expect(loadSearchCheckpoint(file)).rejects.toMatchObject({ code: 'ERR_NAX_IO', message: expect.stringMatching(/evolution-checkpoint\.json is corrupt/) });
    // Files from before the digest (plain JSON) are still read.
    fs.writeFileSync(file, text.slice(0, text.indexOf('\n#sha256:')));
    expect((await loadSearchCheckpoint(file))!.generation).toBe(2);
  });
});
