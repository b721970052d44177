/**
 * The executor's buffer reuse (values.ts BufferArena): activation buffers go back to the arena when
 * the last value viewing them is released, and are taken again by kernels that overwrite them.
 * Nothing a caller holds may change, views (Reshape/Flatten/Identity) keep their buffer alive, and
 * results equal a fresh executor's bit for bit.
 */
import { Graph, valueInfo } from '../../lib/onnx/ir';
import { GraphBuilder } from '../../lib/onnx/builder';
import { GraphExecutor } from '../../lib/runtime/executor';
import type { Value } from '../../lib/runtime/values';
import { randomImages } from './ort';
import { resNet20 } from './models';

/** A conv output that is both a graph output (through Reshape and Flatten views) and the input of more convs, pools and residual adds. */
function aliasing(): Graph {
  const b = new GraphBuilder({ inputs: [valueInfo('input', ['batch', 4, 16, 16])], seed: 21 });
  const c1 = b.conv('input', { outChannels: 16, kernel: 3 });
  const view = b.flatten(c1);
  let x = b.relu(b.conv(c1, { outChannels: 16, kernel: 3 }));
  x = b.add(x, c1);
  const id = b.op('Identity', [x]);
  x = b.relu(b.conv(id, { outChannels: 16, kernel: 3 }));
  x = b.add(x, id);
  x = b.maxPool(x, 2);
  const pooled = b.globalAvgPool(b.conv(x, { outChannels: 16, kernel: 3 }));
  return b.finish([view, b.gemm(b.flatten(pooled), 10)], 'aliasing');
}

const copy = (o: Record<string, Value>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, Float32Array.from(v.data as Float32Array)]));

describe.each([
  ['aliasing views of arena buffers', aliasing, [3, 4, 16, 16]],
  ['ResNet-20', resNet20, [2, 3, 32, 32]],
] as [string, () => Graph, number[]][])('%s', (_name, build, dims) => {
  test('reused buffers: same results as fresh executors, earlier results untouched, buffers actually reused', async () => {
    const graph = build();
    const n = dims.reduce((a, b) => a * b, 1);
    const inputs = [randomImages(n, 1), randomImages(n, 2), randomImages(n, 3)];
    const name = graph.inputs[0].name;
    const reused = await GraphExecutor.create(graph, { mode: 'ideal' });
    const held: Record<string, Value>[] = [];
    for (const images of inputs) held.push(await reused.run({ [name]: { dims, data: images } }));
    // The arena holds freed buffers after a run (else nothing was reused).
    expect((reused as unknown as { arena: { freeBuffers: number } }).arena.freeBuffers).toBeGreaterThan(0);
    for (let i = 0; i < inputs.length; i++) {
      const fresh = await GraphExecutor.create(graph, { mode: 'ideal' });
      const want = copy(await fresh.run({ [name]: { dims, data: inputs[i] } }));
      // Results of run i, held across later runs on the same executor, are still exactly run i's.
      expect(copy(held[i])).toEqual(want);
    }
    // Another batch size in between, then the first again.
    const small = [1, ...dims.slice(1)];
    const fresh = await GraphExecutor.create(graph, { mode: 'ideal' });
    const smallInput = randomImages(small.reduce((a, b) => a * b, 1), 9);
    expect(copy(await reused.run({ [name]: { dims: small, data: smallInput } }))).toEqual(copy(await fresh.run({ [name]: { dims: small, data: smallInput } })));
    expect(copy(await reused.run({ [name]: { dims, data: inputs[0] } }))).toEqual(copy(held[0]));
  });

  test('two runs in flight on one executor do not share buffers', async () => {
    const graph = build();
    const n = dims.reduce((a, b) => a * b, 1);
    const name = graph.inputs[0].name;
    const ex = await GraphExecutor.create(graph, { mode: 'ideal' });
    await ex.run({ [name]: { dims, data: randomImages(n, 5) } }); // fill the arena
    const a = randomImages(n, 6), b = randomImages(n, 7);
    const [ra, rb] = await Promise.all([ex.run({ [name]: { dims, data: a } }), ex.run({ [name]: { dims, data: b } })]);
    const fresh = await GraphExecutor.create(graph, { mode: 'ideal' });
    expect(copy(ra)).toEqual(copy(await fresh.run({ [name]: { dims, data: a } })));
    expect(copy(rb)).toEqual(copy(await fresh.run({ [name]: { dims, data: b } })));
  });
});
