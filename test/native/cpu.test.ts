/**
 * Choosing a prebuilt addon: the CPU's instruction-set level from /proc/cpuinfo
 * flags (x86-64 psABI levels), and the loader's candidate order.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { cpuFlags, supportedIsaLevels } from '../../lib/cpu';
import { addonSource, addonSources, loadAddon, prebuiltCandidates } from '../../lib/native';

const V2 = 'fpu sse sse2 pni ssse3 cx16 sse4_1 sse4_2 popcnt lahf_lm';
const V3 = `${V2} avx avx2 bmi1 bmi2 f16c fma abm movbe xsave`;
const V4 = `${V3} avx512f avx512bw avx512cd avx512dq avx512vl`;
const cpuinfo = (flags: string) => `processor\t: 0\nvendor_id\t: GenuineIntel\nflags\t\t: ${flags}\nbugs\t\t: spectre_v1\n\nprocessor\t: 1\nflags\t\t: ${flags}\n`;

describe('instruction-set levels', () => {
  it('follows the x86-64 psABI levels, best first', () => {
    expect(supportedIsaLevels('x64', cpuFlags(cpuinfo('fpu sse sse2')))).toEqual(['x86-64']);
    expect(supportedIsaLevels('x64', cpuFlags(cpuinfo(V2)))).toEqual(['x86-64-v2', 'x86-64']);
    expect(supportedIsaLevels('x64', cpuFlags(cpuinfo(V3)))).toEqual(['x86-64-v3', 'x86-64-v2', 'x86-64']);
    expect(supportedIsaLevels('x64', cpuFlags(cpuinfo(V4)))).toEqual(['x86-64-v4', 'x86-64-v3', 'x86-64-v2', 'x86-64']);
  });

  it('needs every flag of a level (AVX2 without FMA stays at v2; AVX-512F alone is not v4)', () => {
    expect(supportedIsaLevels('x64', cpuFlags(cpuinfo(V3.replace(' fma', ''))))[0]).toBe('x86-64-v2');
    expect(supportedIsaLevels('x64', cpuFlags(cpuinfo(`${V3} avx512f`)))[0]).toBe('x86-64-v3');
    // Levels are cumulative: AVX-512 flags without v3's do not skip ahead.
    expect(supportedIsaLevels('x64', cpuFlags(cpuinfo(`${V2} avx512f avx512bw avx512cd avx512dq avx512vl`)))[0]).toBe('x86-64-v2');
  });

  it('reads arm64 "Features" lines, and assumes nothing on unknown architectures', () => {
    expect(cpuFlags('processor\t: 0\nFeatures\t: fp asimd evtstrm aes\n').has('asimd')).toBe(true);
    expect(supportedIsaLevels('arm64', new Set())).toEqual(['armv8-a']);
    expect(supportedIsaLevels('ia32', cpuFlags(cpuinfo(V4)))).toEqual([]);
    expect(cpuFlags('no flags here')).toEqual(new Set());
  });

  it('agrees with this machine: the level the kernels need is one the CPU has', () => {
    const levels = supportedIsaLevels();
    if (os.arch() === 'x64') expect(levels[levels.length - 1]).toBe('x86-64');
    const v = loadAddon().version();
    if (v.isa !== 'native' && v.isa !== 'none' && !v.isa.startsWith('native')) expect(levels).toContain(v.isa);
    if (v.avx512) expect(levels[0]).toBe('x86-64-v4');
  });
});

describe('addon loader', () => {
  it('tries NAX_NATIVE_ADDON, then source builds, then the prebuilt levels this CPU runs (best first)', () => {
    const saved = process.env.NAX_NATIVE_ADDON;
    process.env.NAX_NATIVE_ADDON = '/tmp/custom.node';
    try {
      const sources = addonSources();
      expect(sources[0]).toEqual({ path: '/tmp/custom.node', kind: 'env' });
      expect(sources[1].kind).toBe('source');
      const prebuilt = sources.filter((s) => s.kind === 'prebuilt');
      expect(prebuilt.map((s) => s.level)).toEqual(supportedIsaLevels());
      expect(sources.findIndex((s) => s.kind === 'prebuilt')).toBeGreaterThan(sources.map((s) => s.kind).lastIndexOf('source'));
    } finally {
      if (saved === undefined) delete process.env.NAX_NATIVE_ADDON;
      else process.env.NAX_NATIVE_ADDON = saved;
    }
  });

  it('names prebuilt binaries in the prebuildify layout', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'nax-prebuilt-'));
    const c = prebuiltCandidates(root, 'linux', 'x64');
    for (const s of c) expect(s.path).toBe(path.join(root, 'prebuilds', 'linux-x64', `nax_native.${s.level}.node`));
    fs.rmSync(root, { recursive: true });
  });

  it('reports what it loaded and what the kernels were compiled for', () => {
    const s = addonSource();
    expect(fs.existsSync(s.path)).toBe(true);
    const v = loadAddon().version();
    expect([16, 32, 64]).toContain(v.vectorBytes);
    expect(typeof v.isa).toBe('string');
    expect(v.avx512 ? v.vectorBytes : 64).toBe(64);
  });
});
