import type { CommandModule } from 'yargs';
import * as os from 'os';
import * as path from 'path';
import { cpuFlags, supportedIsaLevels } from '../../cpu';
import { addonSource, callNativeSync, loadAddon, packageRoot } from '../../native';
import { sharedOptions } from '../flags';

export interface InfoResult {
  node: string;
  napi: number;
  threads: number;
  cpu: string;
  /** Path of the loaded addon, relative to the package when inside it. */
  addon: string;
  /** 'source' (built on this machine), 'prebuilt' (shipped in the package) or 'env' (NAX_NATIVE_ADDON). */
  addonKind: string;
  /** Instruction set the kernels were compiled for (native = tuned for the machine that built it). */
  isa: string;
  /** Kernel vector width: sse/neon 16 bytes, avx2 32, avx512 64. */
  simd: string;
  fma: boolean;
  /** Best prebuilt level this CPU supports (what a compiler-free install loads). */
  cpuLevel: string;
  compiler: string;
  /** The optional CUDA path: "available (device, ...)" or "not available (reason)". */
  cuda: string;
}

export function infoHandler(): InfoResult {
  const v = callNativeSync(() => loadAddon().version());
  const source = addonSource();
  const rel = path.relative(packageRoot, source.path);
  const simd = v.avx512 ? 'avx512' : v.avx2 ? 'avx2' : v.neon ? 'neon' : v.vectorBytes >= 32 ? 'avx' : 'sse';
  return {
    node: process.version,
    napi: v.napi,
    threads: v.threads,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    addon: rel.startsWith('..') ? source.path : rel,
    addonKind: source.kind,
    isa: v.isa,
    simd: `${simd} (${v.vectorBytes * 8}-bit vectors)`,
    fma: v.fma,
    cpuLevel: supportedIsaLevels(process.arch, cpuFlags())[0] ?? 'unknown',
    compiler: v.compiler,
    cuda: v.cuda ? v.cuda.description : 'not available (the addon predates the CUDA path)',
  };
}

export const infoCommand: CommandModule<object, { json?: boolean }> = {
  command: 'info',
  describe: 'Show the native addon (source build or prebuilt, instruction set), thread count and machine',
  builder: (y) => y.option('json', sharedOptions.json) as never,
  handler: (args) => {
    const info = infoHandler();
    if (args.json) console.log(JSON.stringify(info, null, 2));
    else {
      console.table(info);
      console.log(`cuda: ${info.cuda}`);
    }
  },
};
