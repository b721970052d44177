/**
 * Which instruction-set levels this CPU runs, for choosing a prebuilt addon
 * (scripts/prebuild.js builds one per level). x86-64 levels follow the x86-64
 * psABI (x86-64-v2: SSE4.2 & co.; v3: AVX2, FMA, BMI2; v4: AVX-512 F/BW/CD/DQ/VL);
 * on Linux the kernel's /proc/cpuinfo flags say what the CPU has and the OS
 * enabled. Elsewhere only the baseline level is assumed (never a binary that could
 * fault on an unsupported instruction).
 */
import * as fs from 'fs';
import * as os from 'os';

/** /proc/cpuinfo flag names each x86-64 level needs on top of the previous one. */
const X86_LEVELS: ReadonlyArray<{ level: string; flags: readonly string[] }> = [
  { level: 'x86-64', flags: [] },
  { level: 'x86-64-v2', flags: ['cx16', 'lahf_lm', 'popcnt', 'pni', 'ssse3', 'sse4_1', 'sse4_2'] },
  { level: 'x86-64-v3', flags: ['avx', 'avx2', 'bmi1', 'bmi2', 'f16c', 'fma', 'abm', 'movbe', 'xsave'] },
  { level: 'x86-64-v4', flags: ['avx512f', 'avx512bw', 'avx512cd', 'avx512dq', 'avx512vl'] },
];

/** The CPU's feature flags (Linux /proc/cpuinfo; empty elsewhere or when unreadable). */
export function cpuFlags(cpuinfo?: string): Set<string> {
  let text = cpuinfo;
  if (text === undefined) {
    if (os.platform() !== 'linux') return new Set();
    try {
      text = fs.readFileSync('/proc/cpuinfo', 'utf8');
    } catch {
      return new Set();
    }
  }
  // x86 kernels print "flags", arm64 kernels "Features"; the first processor is enough (all cores match).
  const line = text.split('\n').find((l) => /^(flags|Features)\s*:/.test(l));
  return new Set(line ? line.slice(line.indexOf(':') + 1).trim().split(/\s+/) : []);
}

/**
 * Instruction-set levels this CPU supports for an architecture, best first
 * (x64: x86-64-v4 .. x86-64; arm64: armv8-a). Levels are cumulative.
 */
export function supportedIsaLevels(arch: string = os.arch(), flags: Set<string> = cpuFlags()): string[] {
  if (arch === 'arm64') return ['armv8-a'];
  if (arch !== 'x64') return [];
  const levels: string[] = [];
  for (const { level, flags: need } of X86_LEVELS) {
    if (!need.every((f) => flags.has(f))) break;
    levels.push(level);
  }
  return levels.reverse();
}
