/**
 * @jest-environment ./test/runtime/ort-environment.js
 */
/**
 * Issue 17 beyond the family parity runs (./families.test.ts): constant folding of shape/pad
 * sub-graphs (never of batch-dependent values), the unsupported-op error naming every node,
 * `eval --list-ops`, the direct depthwise kernel against the generic im2col path, ConvTranspose
 * and Conv1d lowering, Einsum as MatMul, and block-diagonal packing of depthwise convs costed
 * from the arrays the crossbar engine really programs.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { buildCli } from '../../lib/cli';
import { listOpsHandler } from '../../lib/cli/commands/eval';
import { writeOnnx } from '../../lib/onnx/writer';
import { checkSupported, readOnnx } from '../../lib/onnx/reader';
import { attr, createGraph, node, tensor, valueInfo } from '../../lib/onnx/ir';
import { GraphExecutor } from '../../lib/runtime/executor';
import { crossbarBackend } from '../../lib/runtime/crossbar-backend';
import { groupsPerArray, lowerToCrossbarLayers, packGroups, prepareGraph } from '../../lib/runtime/lower';
import { foldConstants } from '../../lib/runtime/graph-passes';
import { formatOpList, listOps } from '../../lib/runtime/op-list';
import { runtimeNative } from '../../lib/runtime/native';
import { planGraph } from '../../lib/plan';
import { hardwareCost } from '../../lib/hardware';
import { convTransposeNet, einsumNet, mobileNetV2, mobileNetV3, padResizeExport, shuffleNetV2 } from './families';
import { ortRun, randomImages, relativeError } from './ort';

describe('constant folding', () => {
  test.each([['reflect', 13], ['edge', 11], ['constant', 17]] as const)('F.pad %s export (opset %d): the Pad pads become a constant', (mode, opset) => {
    const g = padResizeExport(mode, opset);
    const folded = foldConstants(g);
    const pad = folded.nodes.find((nd) => nd.opType === 'Pad')!;
    const pads = folded.initializers.get(pad.inputs[1])!;
    expect(Array.from(pads.data as BigInt64Array, Number)).toEqual([0, 0, 1, 1, 0, 0, 1, 1]);
    // The whole chain (Constant, ConstantOfShape, Concat, Reshape, Slice, Transpose, Reshape, Cast) is gone.
    for (const op of ['Constant', 'ConstantOfShape', 'Slice', 'Transpose', 'Cast']) expect(folded.nodes.map((nd) => nd.opType)).not.toContain(op);
    // Crossbar planning needs every conv's geometry: the conv after the Pad lowers.
    expect(lowerToCrossbarLayers(g).map((l) => l.opType)).toEqual(['Conv', 'Conv', 'Gemm']);
  });

  test('batch-dependent shapes are not folded: channel shuffle runs for any batch size and matches onnxruntime-node', async () => {
    const g = shuffleNetV2();
    const folded = foldConstants(g);
    expect(folded.nodes.filter((nd) => nd.opType === 'Shape')).toHaveLength(2);
    const bytes = writeOnnx(g);
    const ex = await GraphExecutor.create(g, { threads: 2 });
    for (const batch of [1, 3, 5]) {
      const dims = [batch, 3, 16, 16];
      const images = randomImages(batch * 768, batch);
      const ref = await ortRun(bytes, 'input', dims, images);
      const out = await ex.runBatch(images, dims);
      expect(out.dims).toEqual([batch, 10]);
      expect(relativeError(ref[g.outputs[0].name].data, out.data)).toBeLessThan(1e-5);
      // An export without dynamic axes declares batch 1; its batch-dependent shapes are not baked in either.
      const fixed = await GraphExecutor.create({ ...g, inputs: [valueInfo('input', [1, 3, 16, 16])] }, { threads: 2 });
      expect(Array.from((await fixed.runBatch(images, dims)).data)).toEqual(Array.from(out.data));
    }
  });
});

describe('unsupported ops', () => {
  const g = createGraph({
    nodes: [
      node('Relu', ['x'], ['a'], {}, 'relu0'),
      node('LSTM', ['a'], ['b'], {}, 'rnn1'),
      node('GridSample', ['b', 'a'], ['c'], {}, 'warp'),
      { ...node('CustomOp', ['c'], ['d'], {}, 'mine'), domain: 'com.example' },
      node('LSTM', ['d'], ['y'], {}, 'rnn2'),
    ],
    inputs: [valueInfo('x', [1, 4])],
    outputs: [valueInfo('y', [1, 4])],
  });

  test('the error lists every unsupported node at once (name and op)', () => {
    let message = '';
    try {
      checkSupported(g);
    } catch (e) {
      expect(e).toMatchObject({ name: 'NaxError', code: 'ERR_NAX_ONNX_UNSUPPORTED' });
      message = (e as Error).message;
    }
    expect(message).toMatch(/^4 nodes have unsupported op types \(LSTM x2, GridSample x1, com\.example\.CustomOp x1\)/);
    for (const part of ['node rnn1 (LSTM)', 'node warp (GridSample)', 'node mine (com.example.CustomOp)', 'node rnn2 (LSTM)'])
      expect(message).toContain(part);
    expect(message).not.toContain('node relu0');
    expect(() => readOnnx(writeOnnx(g))).toThrow(expect.objectContaining({ message: expect.stringContaining('node rnn2 (LSTM)') }));
  });

  test('listOps marks them without throwing', () => {
    const list = listOps(g);
    expect(list.unsupported.map((u) => u.name)).toEqual(['rnn1', 'warp', 'mine', 'rnn2']);
    expect(list.ops.find((o) => o.opType === 'LSTM')).toEqual({ opType: 'LSTM', count: 2, placements: { unsupported: 2 } });
    expect(formatOpList(list)).toMatch(/^LSTM +2 +UNSUPPORTED$/m);
  });
});

describe('eval --list-ops', () => {
  let dir: string;
  beforeAll(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nax-ops-'))));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('per op type: count and crossbars/digital/folded, with no data read', async () => {
    const file = path.join(dir, 'mnv3.onnx');
    fs.writeFileSync(file, writeOnnx(mobileNetV3()));
    const list = listOpsHandler(file);
    const byOp = new Map(list.ops.map((o) => [o.opType, o]));
    // Stem, 2 x (depthwise + SE pair), expand, 2 projections, final 1x1: 11 convs, 7 with BatchNorm.
    expect(byOp.get('Conv')).toEqual({ opType: 'Conv', count: 11, placements: { crossbar: 11 } });
    expect(byOp.get('BatchNormalization')?.placements).toEqual({ folded: 7 });
    expect(byOp.get('HardSwish')?.placements).toEqual({ digital: 5 });
    expect(byOp.get('Gemm')?.placements).toEqual({ crossbar: 2 });
    expect(list.crossbarLayers).toBe(13);
    const lines: string[] = [];
    const spy = jest.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void lines.push(a.join(' ')));
    try {
      // A data path that does not exist: --list-ops must not touch it.
      await buildCli(['eval', file, '--list-ops', '--dataset', 'cifar10', '--data-path', path.join(dir, 'missing')]).parseAsync();
    } finally {
      spy.mockRestore();
    }
    const text = lines.join('\n');
    expect(text).toMatch(/^op type +count +runs on$/m);
    expect(text).toMatch(/^Conv +11 +crossbars$/m);
    expect(text).toMatch(/^BatchNormalization +7 +folded at load$/m);
    expect(text).toMatch(/^HardSigmoid +2 +digital$/m);
    expect(text).toMatch(/13 crossbar layers/);
  });
});

describe('direct depthwise kernel', () => {
  const cases = [
    { channels: 8, multiplier: 1, size: [9, 11], kernel: [3, 3], stride: [1, 1], dilation: [1, 1], pads: [1, 1, 1, 1], activation: 0 as const },
    { channels: 6, multiplier: 2, size: [12, 10], kernel: [5, 5], stride: [2, 2], dilation: [1, 1], pads: [2, 1, 2, 3], activation: 1 as const },
    { channels: 4, multiplier: 1, size: [15, 15], kernel: [7, 7], stride: [1, 1], dilation: [1, 1], pads: [3, 3, 3, 3], activation: 2 as const },
    { channels: 5, multiplier: 1, size: [13, 9], kernel: [3, 1], stride: [2, 3], dilation: [2, 1], pads: [0, 2, 1, 0], activation: 3 as const },
  ];
  test.each(cases)('equals the generic im2col path and is identical for any thread count (%o)', async (c) => {
    const rt = runtimeNative();
    const batch = 3;
    const [H, W] = c.size;
    const outChannels = c.channels * c.multiplier;
    const input = randomImages(batch * c.channels * H * W, 5);
    const weights = randomImages(outChannels * c.kernel[0] * c.kernel[1], 6);
    const bias = randomImages(outChannels, 7);
    const outH = Math.floor((H + c.pads[0] + c.pads[2] - c.dilation[0] * (c.kernel[0] - 1) - 1) / c.stride[0]) + 1;
    const outW = Math.floor((W + c.pads[1] + c.pads[3] - c.dilation[1] * (c.kernel[1] - 1) - 1) / c.stride[1]) + 1;
    const run = async (depthwiseKernel: 0 | 1, threads: number) => {
      const output = new Float32Array(batch * outChannels * outH * outW);
      await rt.conv2d({
        batch, inChannels: c.channels, height: H, width: W, outChannels, groups: c.channels, kernelH: c.kernel[0], kernelW: c.kernel[1],
        strideH: c.stride[0], strideW: c.stride[1], dilationH: c.dilation[0], dilationW: c.dilation[1],
        padTop: c.pads[0], padLeft: c.pads[1], padBottom: c.pads[2], padRight: c.pads[3],
        activation: c.activation, clipMin: -0.5, clipMax: 0.5, alpha: 0.1, threads, depthwiseKernel, input, weights, bias, output,
      });
      return output;
    };
    const generic = await run(0, 1);
    const direct1 = await run(1, 1);
    const direct3 = await run(1, 3);
    expect(relativeError(generic, direct1)).toBeLessThan(1e-5);
    expect(Buffer.from(direct3.buffer).equals(Buffer.from(direct1.buffer))).toBe(true);
  });
});

describe('lowering of the new weighted ops', () => {
  test('ConvTranspose is K = Cin/g, N = Cout/g*kh*kw, one MVM per input pixel; Conv1d has kernel [1, k]', () => {
    const layers = lowerToCrossbarLayers(convTransposeNet());
    const [t2, , c1, t1] = layers;
    expect(t2).toMatchObject({ opType: 'ConvTranspose', k: 2, n: 4 * 9, groups: 2, outputPixels: 64, inChannels: 4, outChannels: 8, outputShape: [8, 16, 16], stride: [2, 2], pads: [1, 1, 1, 1] });
    expect(c1).toMatchObject({ opType: 'Conv', name: 'conv1d', k: 12, n: 6, groups: 2, kernel: [1, 3], stride: [1, 2], pads: [0, 1, 0, 1], outputPixels: 32, inputShape: [8, 64], outputShape: [12, 32] });
    expect(t1).toMatchObject({ opType: 'ConvTranspose', k: 12, n: 24, groups: 1, kernel: [1, 4], outputPixels: 32, outputShape: [6, 66] });
  });

  test('Einsum matrix products become MatMul; the one with a constant operand is a crossbar layer', () => {
    const prepared = prepareGraph(einsumNet());
    expect(prepared.nodes.filter((nd) => nd.opType === 'Einsum')).toHaveLength(0);
    const layers = lowerToCrossbarLayers(einsumNet());
    expect(layers.map((l) => [l.opType, l.k, l.n])).toEqual([['Conv', 27, 8], ['MatMul', 64, 10]]);
  });

  test('packGroups puts groups on the diagonal and refuses a non-divisor', () => {
    const dw = lowerToCrossbarLayers(mobileNetV2()).find((l) => l.groups === 16)!;
    const packed = packGroups(dw, 4);
    expect(packed).toMatchObject({ k: 36, n: 4, groups: 4, groupsPerMatrix: 4 });
    // Group 5 = pack 1, slot 1: rows 9..17, column 1.
    for (let r = 0; r < 9; r++) expect(packed.weights[1 * 36 * 4 + (9 + r) * 4 + 1]).toBe(dw.weights[5 * 9 + r]);
    expect(packed.weights.filter((v) => v !== 0).length).toBe(dw.weights.filter((v) => v !== 0).length);
    expect(() => packGroups(dw, 3)).toThrow(expect.objectContaining({ code: 'ERR_NAX_INVALID_ARGUMENT', message: expect.stringContaining('groupsPerMatrix') }));
    expect(groupsPerArray(9, 1, 96, 64, 64)).toBe(6);
    expect(groupsPerArray(9, 1, 32, 128, 128)).toBe(8);
    expect(groupsPerArray(9, 1, 7, 64, 64)).toBe(7);
    expect(groupsPerArray(49, 1, 16, 64, 64)).toBe(1);
  });
});

describe('depthwise convs on crossbars: one array per group vs block-diagonal packing', () => {
  test('the plan, the engine and the cost model count the same arrays; packing divides arrays and reads by P', async () => {
    const g = mobileNetV2();
    const mapping = { default: { rows: 64, cols: 64 } };
    const perGroup = planGraph(g, { mapping });
    const packed = planGraph(g, { mapping, groupPacking: 'block-diagonal' });
    const dwNames = perGroup.layers.filter((l) => l.groups > 1).map((l) => l.name);
    expect(dwNames).toHaveLength(3);
    for (const name of dwNames) {
      const a = perGroup.layers.find((l) => l.name === name)!;
      const b = packed.layers.find((l) => l.name === name)!;
      const P = b.packing!.groupsPerMatrix;
      expect(P).toBe(groupsPerArray(a.k, a.n, a.groups, 64, 64));
      expect(P).toBeGreaterThan(1);
      expect(b).toMatchObject({ k: P * a.k, n: P * a.n, groups: a.groups / P, packing: { nodeGroups: a.groups, groupK: a.k, groupN: a.n } });
      expect(b.arrays * P).toBe(a.arrays);
      // Utilisation: only the diagonal blocks hold weights (9 cells of 4096 per group either way).
      expect(a.geometry.utilization).toBeCloseTo(9 / 4096, 12);
      expect(b.geometry.utilization).toBeCloseTo(a.geometry.utilization * P, 12);
    }
    const costA = hardwareCost({ plan: perGroup });
    const costB = hardwareCost({ plan: packed });
    for (const name of dwNames) {
      const la = costA.layers.find((l) => l.name === name)!;
      const lb = costB.layers.find((l) => l.name === name)!;
      const P = packed.layers.find((l) => l.name === name)!.packing!.groupsPerMatrix;
      expect(la.crossbarReads).toBe(lb.crossbarReads * P);
      expect(lb.areaMm2.total).toBeCloseTo(la.areaMm2.total / P, 12);
    }
    expect(costB.total.edap).toBeLessThan(costA.total.edap);
    // The engine programs exactly the planned arrays, and both mappings compute the same network.
    const images = randomImages(2 * 768, 3);
    const dims = [2, 3, 16, 16];
    const ideal = await (await GraphExecutor.create(g)).runBatch(images, dims);
    for (const plan of [planGraph(g, { mapping: { default: { rows: 64, cols: 64, ideal: true } } }), planGraph(g, { mapping: { default: { rows: 64, cols: 64, ideal: true } }, groupPacking: 'block-diagonal' })]) {
      const backend = crossbarBackend(plan);
      const ex = await GraphExecutor.create(g, { mode: 'crossbar', backend });
      const out = await ex.runBatch(images, dims);
      expect(relativeError(ideal.data, out.data)).toBeLessThan(1e-5);
      const programmed = new Map<string, number>();
      for (const p of backend.programmed()) programmed.set(p.layer, (programmed.get(p.layer) ?? 0) + p.state.arrays);
      for (const l of plan.layers) expect(programmed.get(l.name)).toBe(l.arrays);
      backend.dispose();
    }
    expect(() => planGraph(g, { groupPacking: 'diagonal' as never })).toThrow(
      expect.objectContaining({ code: 'ERR_NAX_INVALID_ARGUMENT', message: expect.stringMatching(/per-group.*block-diagonal.*for groupPacking, got "diagonal"/) }),
    );
  });
});

describe('evaluateModel with block-diagonal group packing', () => {
  test('runs and costs the packed depthwise layer; the table says how it is packed', async () => {
    const { GraphBuilder } = await import('../../lib/onnx/builder');
    const { evaluateModel } = await import('../../lib/runtime/evaluate');
    const b = new GraphBuilder({ inputs: [valueInfo('image', ['batch', 1, 28, 28])], seed: 21 });
    let x = b.relu(b.conv('image', { outChannels: 8, kernel: 3, stride: 2 }));
    x = b.relu(b.conv(x, { outChannels: 8, kernel: 3, groups: 8, name: 'dw' }));
    const g = b.finish([b.gemm(b.flatten(b.globalAvgPool(x)), 10)], 'dw_mnist');
    const common = { model: g, dataset: 'mnist' as const, limit: 40, calibrationImages: 40, skipOrt: true, threads: 2 };
    const perGroup = await evaluateModel(common);
    const packed = await evaluateModel({ ...common, groupPacking: 'block-diagonal' });
    const rowA = perGroup.layers.find((l) => l.name === 'dw')!;
    const rowB = packed.layers.find((l) => l.name === 'dw')!;
    expect(rowA.shape).toBe('9 x 1 x 8 groups');
    // 64x64 arrays fit floor(64/9) = 7 groups; the largest divisor of 8 not above that is 4.
    expect(rowB.shape).toBe('36 x 4 x 2 block-diagonal (4 groups of 9 x 1 each)');
    expect(rowB.arrays * 4).toBe(rowA.arrays);
    expect(rowB.utilization).toBeCloseTo(4 * rowA.utilization, 12);
    expect(packed.total.edap).toBeLessThan(perGroup.total.edap);
    expect(packed.accuracy.ideal).toBe(perGroup.accuracy.ideal);
    expect(packed.accuracy.crossbar).not.toBeNull();
  }, 120000);
});

describe('ConvTranspose and Conv1d on the crossbar engine', () => {
  test('ideal crossbars reproduce ideal mode; the engine programs the planned arrays', async () => {
    const g = convTransposeNet();
    const dims = [2, 4, 8, 8];
    const images = randomImages(2 * 256, 4);
    const ideal = await (await GraphExecutor.create(g)).runBatch(images, dims);
    const plan = planGraph(g, { mapping: { default: { rows: 32, cols: 32, ideal: true } } });
    expect(plan.layers.map((l) => l.opType)).toEqual(['ConvTranspose', 'Conv', 'Conv', 'ConvTranspose', 'Gemm']);
    const backend = crossbarBackend(plan);
    const out = await (await GraphExecutor.create(g, { mode: 'crossbar', backend })).runBatch(images, dims);
    expect(relativeError(ideal.data, out.data)).toBeLessThan(1e-5);
    const programmed = new Map<string, number>();
    for (const p of backend.programmed()) programmed.set(p.layer, (programmed.get(p.layer) ?? 0) + p.state.arrays);
    for (const l of plan.layers) expect(programmed.get(l.name)).toBe(l.arrays);
    backend.dispose();
    // Quantized 8-bit crossbars stay close.
    const quant = crossbarBackend(planGraph(g, { mapping: { default: { rows: 32, cols: 32 } } }));
    const q = await (await GraphExecutor.create(g, { mode: 'crossbar', backend: quant })).runBatch(images, dims);
    const err = relativeError(ideal.data, q.data);
    expect(err).toBeGreaterThan(0);
    expect(err).toBeLessThan(0.1);
    quant.dispose();
  });
});

describe('ops newer than the Debian test data, against onnxruntime-node', () => {
  const cases: [string, number, (b: import('../../lib/onnx/builder').GraphBuilder) => string][] = [
    ['Gelu (opset 20, exact)', 20, (b) => b.op('Gelu', ['input'])],
    ['Gelu (opset 20, tanh)', 20, (b) => b.op('Gelu', ['input'], { approximate: attr.string('tanh') })],
    ['Mish (opset 18)', 18, (b) => b.op('Mish', ['input'])],
    ['ReduceMax (opset 18, axes input)', 18, (b) => {
      b.initializers.set('axes', { name: 'axes', dims: [2], dataType: 'int64', data: BigInt64Array.from([2n, -1n]) });
      return b.op('ReduceMax', ['input', 'axes'], { keepdims: attr.int(1) });
    }],
    ['Split (opset 18, num_outputs, uneven)', 18, (b) => b.op('Split', ['input'], { axis: attr.int(3), num_outputs: attr.int(3) }, 'split3', 3)],
    ['Resize (opset 18, bilinear sizes on axes, align_corners)', 18, (b) => {
      b.initializers.set('sizes', { name: 'sizes', dims: [2], dataType: 'int64', data: BigInt64Array.from([5n, 11n]) });
      return b.op('Resize', ['input', '', '', 'sizes'], { mode: attr.string('linear'), axes: attr.ints([2, 3]), coordinate_transformation_mode: attr.string('align_corners') });
    }],
    ['Resize (opset 13, nearest, asymmetric floor, scales 3)', 13, (b) => {
      b.initializers.set('scales', { name: 'scales', dims: [4], dataType: 'float32', data: new Float32Array([1, 1, 3, 1.5]) });
      return b.op('Resize', ['input', '', 'scales'], { mode: attr.string('nearest'), coordinate_transformation_mode: attr.string('asymmetric'), nearest_mode: attr.string('floor') });
    }],
    ['LayerNormalization (opset 17, axis 1, no bias)', 17, (b) => {
      b.constant('ln.w', [4, 6, 7], b.uniform(4 * 6 * 7, 0.5, 1.5));
      return b.op('LayerNormalization', ['input', 'ln.w'], { axis: attr.int(1), epsilon: attr.float(1e-3) });
    }],
  ];
  test.each(cases)('%s', async (_name, opset, make) => {
    const { GraphBuilder } = await import('../../lib/onnx/builder');
    const b = new GraphBuilder({ inputs: [valueInfo('input', [2, 4, 6, 7])], seed: 3, opset });
    const out = make(b);
    const g = b.finish([out]);
    const dims = [2, 4, 6, 7];
    const images = Float32Array.from(randomImages(336, 12), (v) => 4 * v);
    const ref = await ortRun(writeOnnx(g), 'input', dims, images);
    const got = await (await GraphExecutor.create(g)).runBatch(images, dims);
    expect(got.dims).toEqual(ref[out].dims);
    expect(relativeError(ref[out].data, got.data)).toBeLessThan(1e-6);
  });
});

describe('grouped convs on crossbars run their groups concurrently', () => {
  test('non-ideal results are identical across runs and thread counts (every draw seeded per group)', async () => {
    const g = mobileNetV2();
    const dims = [2, 3, 16, 16];
    const images = randomImages(2 * 768, 5);
    const mapping = { default: { rows: 32, cols: 32, readNoise: 0.5, variation: { sigma: 0.1, distribution: 'lognormal' as const }, seed: 9 } };
    const outputs: Float32Array[] = [];
    for (const threads of [1, 2, 2]) {
      const backend = crossbarBackend(planGraph(g, { mapping, threads }));
      const ex = await GraphExecutor.create(g, { mode: 'crossbar', backend, threads });
      outputs.push((await ex.runBatch(images, dims)).data as Float32Array);
      backend.dispose();
    }
    expect(Array.from(outputs[1])).toEqual(Array.from(outputs[0]));
    expect(Array.from(outputs[2])).toEqual(Array.from(outputs[0]));
  });
});
