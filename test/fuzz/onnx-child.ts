/**
 * Fuzz worker (child process of onnx-fuzz.test.ts and scripts/fuzz.sh): runs cases [start, end)
 * of a seed and prints one JSON line per case as it finishes, so the parent can tell a crash
 * (signal) or a hang (no line within the time limit) from a clean error.
 * argv: seed start end
 */
import { NaxError } from '../../lib/errors';
import { readOnnx } from '../../lib/onnx/reader';
import { GraphExecutor } from '../../lib/runtime/executor';
import { crossbarBackend } from '../../lib/runtime/crossbar-backend';
import { planGraph } from '../../lib/plan';
import { hardwareCost } from '../../lib/hardware';
import { setMemoryLimit } from '../../lib/memory';
import type { Graph } from '../../lib/onnx/ir';
import { fuzzCase, seedModels } from './onnx-cases';

/** Random feeds for the graph inputs: symbolic dims become 2, sizes capped. */
function feeds(graph: Graph, nan: boolean): Record<string, { dims: number[]; data: Float32Array }> {
  const out: Record<string, { dims: number[]; data: Float32Array }> = {};
  for (const vi of graph.inputs) {
    const dims = (vi.dims ?? []).map((d) => (typeof d === 'number' && d > 0 ? d : 2));
    const size = dims.reduce((a, b) => a * b, 1);
    if (!(size <= 1 << 22)) throw new NaxError('ERR_NAX_OUT_OF_RANGE', `fuzz feed too large (${size})`);
    const data = new Float32Array(size).map((_, i) => Math.sin(i));
    if (nan && size > 0) data[size >> 1] = NaN;
    out[vi.name] = { dims, data };
  }
  return out;
}

async function runCase(seed: number, index: number, seeds: ReturnType<typeof seedModels>): Promise<{ stage: string; error?: unknown }> {
  const c = fuzzCase(seed, index, seeds);
  let stage = 'read';
  try {
    const graph = readOnnx(c.bytes, { source: `case ${index}` });
    stage = 'cost';
    hardwareCost({ model: graph, mapping: { default: { rows: 32, cols: 32 } } });
    stage = 'ideal';
    const ideal = await GraphExecutor.create(graph, { mode: 'ideal', threads: 1 });
    const out = await ideal.run(feeds(graph, !!c.nanInput));
    if (c.nanInput) {
      // A NaN input must propagate like onnxruntime's: some output element is NaN.
      const anyNaN = Object.values(out).some((v) => v.data instanceof Float32Array && v.data.some((x) => Number.isNaN(x)));
      if (!anyNaN) return { stage: 'nan', error: new Error('a NaN input gave all-finite outputs in ideal mode (onnxruntime gives NaN)') };
    }
    stage = 'crossbar';
    const plan = planGraph(graph, { mapping: { default: { rows: 32, cols: 32 } }, threads: 1 });
    const xb = await GraphExecutor.create(graph, { mode: 'crossbar', backend: crossbarBackend(plan), threads: 1 });
    await xb.run(feeds(graph, false));
    return { stage: 'ok' };
  } catch (error) {
    return { stage, error };
  }
}

async function main(): Promise<void> {
  const [seed, start, end] = process.argv.slice(2).map(Number);
  setMemoryLimit(2 * 2 ** 30); // a fuzz case may not take the machine: huge dims must be refused
  const seeds = seedModels();
  for (let i = start; i < end; i++) {
    const c = fuzzCase(seed, i, seeds);
    process.stdout.write(JSON.stringify({ i, started: true }) + '\n');
    const r = await runCase(seed, i, seeds);
    const e = r.error as { name?: string; code?: string; message?: string; stack?: string } | undefined;
    process.stdout.write(
      JSON.stringify({
        i,
        model: c.model,
        kind: c.kind,
        stage: r.stage,
        outcome: !e ? 'ok' : e instanceof NaxError ? 'nax' : 'foreign',
        code: e?.code,
        name: e?.name,
        message: e?.message?.slice(0, 300),
        where: e instanceof NaxError ? undefined : e?.stack?.split('\n').slice(1, 4).join(' | '),
      }) + '\n',
    );
  }
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exit(3);
});
