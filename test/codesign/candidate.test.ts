/**
 * Genome <-> network glue of the co-design search: search space from a supernet, subnet kernels,
 * per-layer mappings, and the candidate evaluator against the cost model and the trainer.
 */
import { loadDataset } from '../../lib/data';
import { buildNetwork, TrainModel, exportOnnx } from '../../lib/train';
import { calibrateInputActivity, hardwareCost, resolveHardware } from '../../lib/hardware';
import { readOnnx } from '../../lib/onnx/reader';
import { planGraph } from '../../lib/plan';
import { calibrate } from '../../lib/runtime/classify';
import { naxAdcBits } from '../../lib/crossbar';
import { planLayers } from '../../lib/plan';
import { genomeKey, validateGenome } from '../../lib/search/genome';
import {
  CandidateEvaluator,
  genomeMapping,
  homogeneousGenome,
  networkSearchSpace,
  subnetKernels,
} from '../../lib/codesign/candidate';
import { EVOLVE_DEVICE_DEFAULTS } from '../../lib/codesign/evolve-options';

const spec = buildNetwork('resnet-mnist', { kernels: [3, 5, 7], width: 4 });

describe('networkSearchSpace', () => {
  const layout = networkSearchSpace(spec, [16, 32, 64]);

  test('one gene pair per crossbar layer, in graph order; kernels searchable only on elastic convs', () => {
    const names = layout.space.layers.map((l) => l.name);
    expect(names).toEqual([
      'stem.conv',
      'stage1.block1.1.conv',
      'stage1.block1.2.conv',
      'stage2.block1.1.conv',
      'stage2.block1.2.conv',
      'stage2.block1.down.conv',
      'stage3.block1.1.conv',
      'stage3.block1.2.conv',
      'stage3.block1.down.conv',
      'fc',
    ]);
    layout.space.layers.forEach((l, i) => {
      expect(l.crossbarSizes).toEqual([16, 32, 64]);
      if (layout.layers[i].searchable) expect(l.kernelSizes).toEqual([3, 5, 7]);
      else expect(l.kernelSizes).toEqual([1]);
    });
    expect(layout.layers.filter((l) => l.searchable)).toHaveLength(7);
  });

  test('subnetKernels keeps the searchable convs only, in order', () => {
    const g = homogeneousGenome(layout.space, 32, 5);
    g.kernels[0] = 7;
    g.kernels[9] = 1;
    expect(subnetKernels(layout, g)).toEqual([7, 5, 5, 5, 5, 5, 5]);
  });

  test('homogeneous genome: smallest (or given) kernel everywhere it can be, one crossbar size', () => {
    const g = homogeneousGenome(layout.space, 64, 3);
    validateGenome(layout.space, g);
    expect(new Set(g.crossbars)).toEqual(new Set([64]));
    expect(genomeKey(g)).toBe('k3x64-k3x64-k3x64-k3x64-k3x64-k1x64-k3x64-k3x64-k1x64-k1x64');
  });

  test('a genome outside the space is rejected with the layer named', () => {
    const g = homogeneousGenome(layout.space, 16);
    g.crossbars[3] = 128;
    expect(() => genomeMapping(layout.space, g, {})).toThrow(/stage2\.block1\.1\.conv/);
    try {
      subnetKernels(layout, { kernels: [3], crossbars: [16] });
      throw new Error('expected a throw');
    } catch (e) {
      expect((e as Error).name).toBe('NaxError');
      expect((e as { code: string }).code).toBe('ERR_NAX_INVALID_ARGUMENT');
    }
  });

  test('genomeMapping: device config as default, each layer its own crossbar; the plan resolves the ADC like the engine', () => {
    const g = homogeneousGenome(layout.space, 16);
    g.crossbars[1] = 64;
    const m = genomeMapping(layout.space, g, EVOLVE_DEVICE_DEFAULTS);
    expect(m.default).toEqual({ ...EVOLVE_DEVICE_DEFAULTS });
    expect(m.layers!['stage1.block1.1.conv']).toEqual({ rows: 64, cols: 64 });
    expect(m.layers!['fc']).toEqual({ rows: 16, cols: 16 });
    const plan = planLayers(Object.keys(m.layers!).map((name) => ({ name, k: 9, n: 8, outputPixels: 1 })), { mapping: m });
    const byName = new Map(plan.layers.map((l) => [l.name, l.config]));
    // The default reference-column readout converts a signed difference: NAX's rule plus a sign bit.
    expect(byName.get('stage1.block1.1.conv')!.adcBits).toBe(naxAdcBits(64) + 1);
    expect(byName.get('stem.conv')!.adcBits).toBe(naxAdcBits(16) + 1);
    expect(byName.get('stem.conv')!.weightBits).toBe(8);
  });
});

describe('CandidateEvaluator', () => {
  let evaluator: CandidateEvaluator;
  const layout = networkSearchSpace(spec, [16, 32]);
  let model: TrainModel;
  let validation: { images: Float32Array; labels: Uint8Array; count: number };
  let calibration: { images: Float32Array; labels: Uint8Array; count: number };

  beforeAll(async () => {
    const data = await loadDataset({ name: 'mnist', split: 'train', limit: 400 });
    calibration = { images: data.images.subarray(0, 256 * 784), labels: data.labels.subarray(0, 256), count: 256 };
    validation = { images: data.images.subarray(300 * 784), labels: data.labels.subarray(300), count: 100 };
    model = new TrainModel(spec, { seed: 3 });
    evaluator = new CandidateEvaluator(model, {
      layout,
      device: EVOLVE_DEVICE_DEFAULTS,
      hardware: resolveHardware(),
      calibration,
      calibrationBatches: 2,
      calibrationBatchSize: 64,
      scaleImages: 32,
      validation,
      batchSize: 50,
      threads: 0,
    });
  });

  test('evaluation is deterministic and its EDAP is the cost model of the exported ONNX under the same mapping', async () => {
    const g = homogeneousGenome(layout.space, 16);
    g.kernels[0] = 5;
    g.crossbars[6] = 32;
    const a = await evaluator.evaluate(g);
    const b = await evaluator.evaluate({ kernels: [...g.kernels], crossbars: [...g.crossbars] });
    expect(b).toEqual(a);
    expect(a.accuracy).toBeGreaterThanOrEqual(0);
    expect(a.accuracy).toBeLessThanOrEqual(1);
    // Independent route: the subnet's ONNX bytes straight into the cost model.
    const sub = await evaluator.subnetModel(g);
    const mapping = genomeMapping(layout.space, g, EVOLVE_DEVICE_DEFAULTS);
    const names = layout.space.layers.map((l) => l.name);
    // The read energy's input bits, measured independently on the 32 scale images (one batch;
    // 1-bit DAC digits sum to integers, so batching cannot change them).
    const graph = readOnnx(exportOnnx(sub));
    const scaled = planGraph(graph, { mapping, inputRanges: await calibrate(graph, { ...calibration, shape: [1, 28, 28] }, { images: 32 }) });
    const devices = await calibrateInputActivity(graph, scaled, [{ images: calibration.images.subarray(0, 32 * 784), dims: [32, 1, 28, 28] }]);
    expect(Object.keys(devices)).toEqual(names);
    const direct = hardwareCost({ model: exportOnnx(sub), mapping, devices });
    // Without calibration the plan infers input signs from the graph: the stem sees normalised
    // (signed) pixels, every later layer a ReLU output. Calibration finds the same, so the
    // independent route gives the same EDAP.
    expect(direct.inputSigns).toBe('inferred');
    expect(direct.layers.map((l) => l.name)).toEqual(names);
    expect(a.arrays).toBe(direct.total.arrays);
    expect(a.edap).toBe(direct.total.edap);
    // The default activity (input bits 1 with probability 1/2) costs more read energy than these images' bits.
    expect(hardwareCost({ model: exportOnnx(sub), mapping }).total.energyJoules.crossbar).toBeGreaterThan(direct.total.energyJoules.crossbar);
    // With the input assumed non-negative the stem loses its second pass.
    const unsignedStem = hardwareCost({ model: exportOnnx(sub), mapping, graphInputSigned: false, devices });
    expect(unsignedStem.layers[0].readsPerMvm * 2).toBe(direct.layers[0].readsPerMvm);
    expect(a.edap).toBeGreaterThan(unsignedStem.total.edap);
    const stem = direct.layers[0];
    expect(stem.k).toBe(25);
    expect(a.areaMm2).toBeCloseTo(direct.total.areaMm2.total, 12);
  });

  test('the exported subnet run by the executor (ideal) agrees with the trainer on the same images', async () => {
    const g = homogeneousGenome(layout.space, 32, 3);
    const sub = await evaluator.subnetModel(g);
    const trainer = await sub.evaluate(validation);
    const prepared = await evaluator.prepareModel(sub, trainer.accuracy);
    const viaOnnx = await evaluator.idealRun(prepared, validation);
    expect(viaOnnx).toBeCloseTo(trainer.accuracy, 10);
  });

  test('crossbar size changes EDAP; kernel choice changes the array count', async () => {
    const small = await evaluator.evaluate(homogeneousGenome(layout.space, 16));
    const large = await evaluator.evaluate(homogeneousGenome(layout.space, 32));
    expect(small.edap).not.toBeCloseTo(large.edap, 20);
    const g5 = homogeneousGenome(layout.space, 16, 5);
    const k5 = await evaluator.evaluate(g5);
    expect(k5.arrays).toBeGreaterThan(small.arrays);
  });
});
