/** Work that needs more memory than the limit is refused up front, with the estimate and the limit. */
import { CrossbarLayer } from '../lib/crossbar/layer';
import { crossbarProgramBytes, crossbarRunBytes } from '../lib/crossbar/memory';
import { resolveCrossbarConfig } from '../lib/crossbar/config';
import { checkMemory, formatBytes, memoryLimit, parseMemorySize, setMemoryLimit } from '../lib/memory';
import { buildCli } from '../lib/cli';
import { errorOf } from './errors-helper';

afterEach(() => setMemoryLimit(undefined));

describe('memory limit', () => {
  it('parses sizes with units and rejects anything else, naming the setting', () => {
    expect(parseMemorySize('--max-memory', '8G')).toBe(8 * 2 ** 30);
    expect(parseMemorySize('--max-memory', '512MiB')).toBe(512 * 2 ** 20);
    expect(parseMemorySize('--max-memory', '1.5gb')).toBe(1.5 * 2 ** 30);
    expect(parseMemorySize('--max-memory', 4096)).toBe(4096);
    for (const bad of ['', 'lots', '-1G', '8X', '0'])
      expect(errorOf(() => parseMemorySize('--max-memory', bad))).toMatchObject({ code: 'ERR_NAX_INVALID_ARGUMENT', message: expect.stringContaining('--max-memory') });
  });

  it('defaults to 90% of the machine (or cgroup), and --max-memory / setMemoryLimit override it', () => {
    const d = memoryLimit();
    expect(d.bytes).toBeGreaterThan(0);
    expect(d.source).toMatch(/90% of the/);
    setMemoryLimit(2 ** 30);
    expect(memoryLimit()).toEqual({ bytes: 2 ** 30, source: '--max-memory' });
    const e = errorOf(() => checkMemory(3 * 2 ** 30, 'this job', 'make it smaller'));
    expect(e).toMatchObject({ name: 'NaxError', code: 'ERR_NAX_MEMORY' });
    expect(e.message).toBe('this job would need about 3.0 GiB, more than the memory limit of 1.0 GiB (--max-memory); make it smaller, or raise the limit with --max-memory (NAX_MAX_MEMORY)');
    expect(formatBytes(1536)).toBe('2 KiB');
  });

  it('the CLI takes --max-memory on every command and rejects a bad value before any work', async () => {
    await expect((async () => buildCli(['info', '--max-memory', 'huge']).parseAsync())()).rejects.toMatchObject({ code: 'ERR_NAX_INVALID_ARGUMENT', message: expect.stringContaining('--max-memory') });
  });
});

describe('crossbar estimates and refusals', () => {
  it('4096 x 4096 arrays with parasitics: refused before programming, with the estimate', async () => {
    const config = { rows: 4096, cols: 4096, bitsPerCell: 1, parasitics: true };
    const bytes = crossbarProgramBytes(8192, 4096, resolveCrossbarConfig(config));
    expect(bytes).toBeGreaterThan(8 * 2 ** 30); // effective matrices alone: 2 tiles x 4096 x 2*7*4096 floats x 2
    setMemoryLimit(4 * 2 ** 30);
    const t0 = Date.now();
    await expect(CrossbarLayer.program({ weights: new Float32Array(8192 * 4096), k: 8192, n: 4096, config })).rejects.toMatchObject({
      code: 'ERR_NAX_MEMORY',
      message: expect.stringMatching(/programming a 8192 x 4096 layer onto 4096 x 4096 arrays with parasitics would need about .* GiB, more than the memory limit of 4\.0 GiB/),
    });
    expect(Date.now() - t0).toBeLessThan(2000); // refused up front, nothing computed
  });

  it('a run whose batch would not fit is refused; estimates grow with batch and array size', async () => {
    const layer = await CrossbarLayer.program({ weights: new Float32Array(64 * 8).fill(0.5), k: 64, n: 8, config: { rows: 32, cols: 8 } });
    const c = resolveCrossbarConfig({ rows: 32, cols: 8 });
    expect(crossbarRunBytes(2000, 64, 8, c)).toBeGreaterThan(crossbarRunBytes(1000, 64, 8, c));
    expect(crossbarProgramBytes(64, 8, resolveCrossbarConfig({ rows: 128, cols: 128, parasitics: true }))).toBeGreaterThan(crossbarProgramBytes(64, 8, c));
    setMemoryLimit(4 * 2 ** 20);
    await expect(layer.run(new Float32Array(64 * 100000), 100000)).rejects.toMatchObject({ code: 'ERR_NAX_MEMORY', message: expect.stringContaining('run a smaller batch') });
    setMemoryLimit(undefined);
    expect((await layer.run(new Float32Array(64 * 4).fill(0.1), 4)).length).toBe(32);
    layer.dispose();
  });
});
