/**
 * Benchmark suite runner: `npm run bench` (all suites) or
 * `npm run bench -- --quick --only circuit,mvm`. Each suite is a module
 * bench/<name>.ts exporting `run({ quick })`; its rows are printed as a table
 * by the suite and written, with the machine and versions, to
 * bench/results/<name>.json and bench/results/summary.json.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

export interface BenchModule {
  run(opts: { quick: boolean }): Promise<unknown>;
}

export function machineInfo(): Record<string, unknown> {
  const cpus = os.cpus();
  let addonThreads: number | undefined;
  try {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    addonThreads = require('../lib/native').loadAddon().version().threads;
  } catch {
    addonThreads = undefined;
  }
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const pkg = require('../package.json');
  let ort: string | undefined;
  try {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    ort = require('onnxruntime-node/package.json').version;
  } catch {
    ort = undefined;
  }
  return {
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    node: process.version,
    naxNative: pkg.version,
    onnxruntimeNode: ort,
    addonThreads,
    date: new Date().toISOString(),
  };
}

export function writeResult(name: string, rows: unknown): string {
  const dir = path.join(__dirname, 'results');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}.json`);
  fs.writeFileSync(file, JSON.stringify({ suite: name, machine: machineInfo(), rows }, null, 2) + '\n');
  return file;
}

const ORDER = ['circuit', 'mvm', 'network', 'depthwise', 'crossbar-sizes', 'train', 'search'];

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const quick = args.includes('--quick');
  const onlyIdx = args.indexOf('--only');
  const only = onlyIdx >= 0 ? (args[onlyIdx + 1] ?? '').split(',').filter(Boolean) : undefined;
  const available = fs
    .readdirSync(__dirname)
    .filter((f) => f.endsWith('.ts') && f !== 'run.ts' && !f.startsWith('_'))
    .map((f) => f.replace(/\.ts$/, ''))
    .sort((a, b) => (ORDER.indexOf(a) + 1 || 99) - (ORDER.indexOf(b) + 1 || 99));
  if (only) {
    const unknown = only.filter((o) => !available.includes(o));
    if (unknown.length) throw new Error(`unknown suite(s) ${unknown.join(', ')}; expected some of ${available.join(', ')}`);
  }
  const suites = only ?? available;
  console.log(`nax-native bench (${quick ? 'quick' : 'full'}) on`, machineInfo());
  const summary: Record<string, unknown> = {};
  for (const name of suites) {
    console.log(`\n== ${name} ==`);
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const mod = require(path.join(__dirname, name)) as BenchModule;
    const started = Date.now();
    const rows = await mod.run({ quick });
    summary[name] = { seconds: (Date.now() - started) / 1000, file: writeResult(name, rows) };
  }
  writeResult('summary', summary);
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exitCode = 1;
  });
}
