import { foldBatchNorm, lowerFolded } from '../../lib/runtime/lower';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { costHandler, formatCostResult } from '../../lib/cli/commands/cost';
import { hardwareCost, resnetCifarLayers } from '../../lib/hardware';
import { type Graph, type Node, type Tensor, attr, createGraph, node, tensor, valueInfo } from '../../lib/onnx/ir';
import { writeOnnx } from '../../lib/onnx/writer';

/**
 * A ResNet-20-shaped ONNX graph as PyTorch exports it (Conv + BatchNorm + Relu,
 * residual Add, 1x1 stride-2 projection shortcuts, GlobalAveragePool, Flatten,
 * Gemm), with node names matching resnetCifarLayers({ shortcut: 'B' }).
 */
function resnet20Graph(): Graph {
  const nodes: Node[] = [];
  const inits = new Map<string, Tensor>();
  let seed = 1;
  const values = (n: number) => new Float32Array(n).map(() => ((seed = (seed * 16807) % 2147483647) / 2147483647 - 0.5) * 0.2);
  const add = (t: Tensor) => (inits.set(t.name, t), t.name);
  const conv = (name: string, x: string, cin: number, cout: number, k: number, stride: number): string => {
    const w = add(tensor(`${name}.weight`, [cout, cin, k, k], values(cout * cin * k * k)));
    const p = Math.floor(k / 2);
    nodes.push(node('Conv', [x, w], [`${name}.out`], { kernel_shape: attr.ints([k, k]), strides: attr.ints([stride, stride]), pads: attr.ints([p, p, p, p]) }, name));
    const bn = [`scale`, `bias`, `mean`, `var`].map((s) => add(tensor(`${name}.bn.${s}`, [cout], s === 'var' ? new Float32Array(cout).fill(1) : values(cout))));
    nodes.push(node('BatchNormalization', [`${name}.out`, ...bn], [`${name}.bn`], {}, `${name}.bn`));
    return `${name}.bn`;
  };
  const relu = (x: string, name: string) => (nodes.push(node('Relu', [x], [name], {}, name)), name);
  let x = relu(conv('conv1', 'input', 3, 16, 3, 1), 'relu0');
  let channels = 16;
  [16, 32, 64].forEach((width, stage) => {
    for (let b = 0; b < 3; b++) {
      const stride = stage > 0 && b === 0 ? 2 : 1;
      const p = `layer${stage + 1}.${b}`;
      const h = relu(conv(`${p}.conv1`, x, channels, width, 3, stride), `${p}.relu1`);
      const y = conv(`${p}.conv2`, h, width, width, 3, 1);
      const shortcut = stride !== 1 ? conv(`${p}.downsample`, x, channels, width, 1, stride) : x;
      nodes.push(node('Add', [y, shortcut], [`${p}.sum`], {}, `${p}.add`));
      x = relu(`${p}.sum`, `${p}.relu2`);
      channels = width;
    }
  });
  nodes.push(node('GlobalAveragePool', [x], ['pooled'], {}, 'pool'));
  nodes.push(node('Flatten', ['pooled'], ['flat'], { axis: attr.int(1) }, 'flatten'));
  const fw = add(tensor('fc.weight', [10, 64], values(640)));
  const fb = add(tensor('fc.bias', [10], values(10)));
  nodes.push(node('Gemm', ['flat', fw, fb], ['logits'], { transB: attr.int(1) }, 'fc'));
  return createGraph({ nodes, inputs: [valueInfo('input', ['batch', 3, 32, 32])], outputs: [valueInfo('logits', ['batch', 10])], initializers: inits });
}

/** The graph's lowered weights (BatchNorm folded), which a graph's cost uses for the programmed levels. */
function weightsOf(graph: ReturnType<typeof resnet20Graph>): Record<string, Float32Array> {
  return Object.fromEntries(lowerFolded(foldBatchNorm(graph)).map((l) => [l.name, l.weights]));
}

function signedStem<T extends { signedInput?: boolean }>(layers: T[]): T[] {
  return layers.map((l, i) => (i === 0 ? { ...l, signedInput: true } : l));
}

describe('cost of ONNX models (reader + lowering)', () => {
  const mapping = { default: { rows: 32, cols: 32 }, layers: { 'layer3.2.conv2': { rows: 128, cols: 128 } } };

  test('a ResNet-20 ONNX model (bytes, graph) costs exactly what its layer shapes cost (with its weights too)', () => {
    const graph = resnet20Graph();
    // The graph's input (normalised images) is assumed signed; every later conv follows a ReLU.
    const shapes = signedStem(resnetCifarLayers({ shortcut: 'B' }));
    const fromShapes = hardwareCost({ model: shapes, mapping });
    // weights: 'model' takes the programmed levels from the graph's weights, as the same weights given by name.
    const weights = weightsOf(graph);
    const programmed = hardwareCost({ model: graph, mapping, weights: 'model' });
    expect(programmed.layers.every((l) => l.levelFraction.source === 'weights')).toBe(true);
    expect(programmed.total).toEqual(hardwareCost({ model: shapes, mapping, weights }).total);
    expect(programmed.total.energyJoules.crossbar).not.toBe(fromShapes.total.energyJoules.crossbar);
    expect(hardwareCost({ model: graph, mapping }).layers.every((l) => l.levelFraction.source === 'default')).toBe(true);
    const fromGraph = hardwareCost({ model: graph, mapping });
    const fromBytes = hardwareCost({ model: writeOnnx(graph), mapping });
    expect(fromGraph.layers.map((l) => [l.name, l.k, l.n, l.outputPixels])).toEqual(shapes.map((l) => [l.name, l.k, l.n, l.outputPixels]));
    expect(fromGraph.total).toEqual(fromShapes.total);
    expect(fromBytes.total).toEqual(fromShapes.total);
    expect(fromGraph.layers[fromGraph.layers.length - 1].opType).toBe('Gemm');
  });

  test('nax-native cost model.onnx --mapping reads the file', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nax-cost-onnx-'));
    try {
      const file = path.join(dir, 'resnet20.onnx');
      fs.writeFileSync(file, writeOnnx(resnet20Graph()));
      const mapFile = path.join(dir, 'map.json');
      fs.writeFileSync(mapFile, JSON.stringify(mapping));
      const r = costHandler({ model: file, mapping: mapFile });
      if (r.kind !== 'network') throw new Error('expected a network result');
      expect(r.cost.total).toEqual(hardwareCost({ model: signedStem(resnetCifarLayers({ shortcut: 'B' })), mapping }).total);
      // --levels-from-weights: the model's own programmed levels.
      const weights = weightsOf(resnet20Graph());
      const levels = costHandler({ model: file, mapping: mapFile, levelsFromWeights: true });
      if (levels.kind !== 'network') throw new Error('expected a network result');
      expect(levels.cost.total).toEqual(hardwareCost({ model: signedStem(resnetCifarLayers({ shortcut: 'B' })), mapping, weights }).total);
      expect(() => costHandler({ model: 'resnet20', levelsFromWeights: true })).toThrow(/--levels-from-weights/);
      expect(formatCostResult(r)).toContain('input signs inferred from the graph: the model input assumed signed');
      expect(formatCostResult(r)).toMatch(/two passes: conv1$/m);
      const unsigned = costHandler({ model: file, mapping: mapFile, nonNegativeInput: true });
      if (unsigned.kind !== 'network') throw new Error('expected a network result');
      expect(unsigned.cost.total).toEqual(hardwareCost({ model: resnetCifarLayers({ shortcut: 'B' }), mapping }).total);
      // The library reads the path too (default mapping: 64x64).
      expect(hardwareCost({ model: file }).total).toEqual(hardwareCost({ model: signedStem(resnetCifarLayers({ shortcut: 'B' })) }).total);
      expect(hardwareCost({ model: file, weights: 'model' }).total).toEqual(hardwareCost({ model: signedStem(resnetCifarLayers({ shortcut: 'B' })), weights }).total);
      const e = (() => {
        try {
          hardwareCost({ model: path.join(dir, 'missing.onnx') });
        } catch (err) {
          return err as { name: string; code: string };
        }
        throw new Error('expected an error');
      })();
      expect([e.name, e.code]).toEqual(['NaxError', 'ERR_NAX_IO']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
