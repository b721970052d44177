/**
 * Up-front memory checks: work that would need more memory than the machine
 * (or its cgroup, or --max-memory) allows is refused with the estimate and the
 * limit, before it allocates, instead of ending in an out-of-memory kill
 * (Linux overcommits, so a native allocation rarely fails cleanly).
 */
import * as fs from 'fs';
import * as os from 'os';
import { ErrorCodes, NaxError } from './errors';

let override: number | undefined;
let machineLimit: { bytes: number; source: string } | undefined;

const UNITS: Record<string, number> = { '': 1, b: 1, k: 2 ** 10, kb: 2 ** 10, kib: 2 ** 10, m: 2 ** 20, mb: 2 ** 20, mib: 2 ** 20, g: 2 ** 30, gb: 2 ** 30, gib: 2 ** 30, t: 2 ** 40, tb: 2 ** 40, tib: 2 ** 40 };

/** Parses '8G', '512MiB', '1.5gb', '1000000' (bytes). Throws a NaxError naming `name`. */
export function parseMemorySize(name: string, value: unknown): number {
  const m = typeof value === 'number' ? [String(value), String(value), ''] : typeof value === 'string' ? /^\s*([0-9]*\.?[0-9]+)\s*([a-zA-Z]*)\s*$/.exec(value) : null;
  const unit = m ? UNITS[m[2].toLowerCase()] : undefined;
  const bytes = m && unit !== undefined ? Number(m[1]) * unit : NaN;
  if (!(bytes > 0) || !Number.isFinite(bytes))
    throw new NaxError(ErrorCodes.invalidArgument, `expected a memory size such as 8G, 512M or a number of bytes for ${name}, got ${JSON.stringify(value)}`);
  return Math.floor(bytes);
}

/** Sets (or with undefined clears) the limit every check uses; --max-memory and NAX_MAX_MEMORY set it. */
export function setMemoryLimit(bytes: number | undefined): void {
  override = bytes;
}

/** The cgroup's memory limit (v2 memory.max, v1 limit_in_bytes), when one is set. */
function cgroupLimit(): number | undefined {
  for (const file of ['/sys/fs/cgroup/memory.max', '/sys/fs/cgroup/memory/memory.limit_in_bytes']) {
    try {
      const text = fs.readFileSync(file, 'utf8').trim();
      const v = Number(text);
      if (text !== 'max' && Number.isFinite(v) && v > 0 && v < 2 ** 60) return v;
    } catch {
      /* not there */
    }
  }
  return undefined;
}

/** The limit in bytes and where it comes from. Default: 90% of the machine's (or cgroup's) memory. */
export function memoryLimit(): { bytes: number; source: string } {
  if (override !== undefined) return { bytes: override, source: '--max-memory' };
  if (process.env.NAX_MAX_MEMORY) return { bytes: parseMemorySize('NAX_MAX_MEMORY', process.env.NAX_MAX_MEMORY), source: 'NAX_MAX_MEMORY' };
  if (!machineLimit) {
    // Read once: checks sit on hot paths (every runtime tensor allocation).
    const machine = os.totalmem();
    const cgroup = cgroupLimit();
    const total = cgroup !== undefined ? Math.min(machine, cgroup) : machine;
    machineLimit = { bytes: Math.floor(0.9 * total), source: `90% of the ${cgroup !== undefined && cgroup < machine ? "cgroup's" : "machine's"} ${formatBytes(total)}` };
  }
  return machineLimit;
}

export function formatBytes(n: number): string {
  if (n >= 2 ** 40) return `${(n / 2 ** 40).toFixed(1)} TiB`;
  if (n >= 2 ** 30) return `${(n / 2 ** 30).toFixed(1)} GiB`;
  if (n >= 2 ** 20) return `${(n / 2 ** 20).toFixed(1)} MiB`;
  return `${Math.ceil(n / 1024)} KiB`;
}

/**
 * Throws ERR_NAX_MEMORY when `bytes` (an estimate of what `what` allocates) exceeds the limit.
 * `hint` says what to change.
 */
export function checkMemory(bytes: number, what: string, hint: string): void {
  const limit = memoryLimit();
  if (!(bytes <= limit.bytes))
    throw new NaxError(
      ErrorCodes.memory,
      `${what} would need about ${formatBytes(bytes)}, more than the memory limit of ${formatBytes(limit.bytes)} (${limit.source}); ${hint}, or raise the limit with --max-memory (NAX_MAX_MEMORY)`,
    );
}
