/** Output folders and files are checked before any work starts (issue: raw EEXIST/EACCES after a whole sweep). */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { prepareOutputDir, prepareOutputFile } from '../lib/out-dir';
import { errorOf } from './errors-helper';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'nax-out-'));

describe('prepareOutputDir', () => {
  it('creates missing folders with their parents and returns the absolute path', () => {
    const dir = path.join(tmp(), 'a', 'b');
    expect(prepareOutputDir(dir, '--out')).toBe(path.resolve(dir));
    expect(fs.statSync(dir).isDirectory()).toBe(true);
    expect(fs.readdirSync(dir)).toEqual([]); // the write probe is removed
  });

  it('refuses a file, naming the option and the path', () => {
    const file = path.join(tmp(), 'results.json');
    fs.writeFileSync(file, '{}');
    const e = errorOf(() => prepareOutputDir(file, '--out'));
    expect(e).toMatchObject({ name: 'NaxError', code: 'ERR_NAX_IO' });
    expect(e.message).toMatch(/expected a folder for --out, got .*results\.json, which is a file/);
    expect(errorOf(() => prepareOutputDir(path.join(file, 'sub'), '--out')).code).toBe('ERR_NAX_IO');
  });

  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  (root ? it.skip : it)('refuses a read-only folder (not checkable as root: root writes anyway)', () => {
    const dir = tmp();
    fs.chmodSync(dir, 0o555);
    try {
      const e = errorOf(() => prepareOutputDir(dir, '--out'));
      expect(e.code).toBe('ERR_NAX_IO');
      expect(e.message).toMatch(/cannot write to the --out folder .* \(not writable\)/);
    } finally {
      fs.chmodSync(dir, 0o755);
    }
  });
});

describe('prepareOutputFile', () => {
  it('accepts a new file in a new folder and refuses a folder', () => {
    const dir = tmp();
    expect(prepareOutputFile(path.join(dir, 'x', 'model.onnx'), '--out')).toBe(path.join(dir, 'x', 'model.onnx'));
    const e = errorOf(() => prepareOutputFile(dir, '--checkpoint'));
    expect(e.message).toMatch(/expected a file path for --checkpoint, got .*, which is a folder/);
  });
});
