/**
 * Finite-difference gradient checks of every training op, run in the
 * executor's double-precision path: central differences (h = 1e-5) on
 * parameters and inputs must match the analytic gradients to 1e-6 relative.
 */
import { loadAddon } from '../../lib/native';
import type { TrainNodeSpec, TrainNetNative } from '../../lib/train/native';

type Spec = Omit<TrainNodeSpec, 'name'> & { name?: string };

function makeNet(nodes: Spec[], inputShape: [number, number, number]): TrainNetNative {
  const addon = loadAddon();
  return new addon.TrainNet({ nodes: nodes.map((n, i) => ({ name: `n${i}`, ...n })), inputShape, precision: 'float64', threads: 2 });
}

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296 - 0.5;
  };
}

/** Randomises params (BN running stats positive) and checks grads of params and input. */
function check(nodes: Spec[], inputShape: [number, number, number], options: { batch?: number; train?: boolean; kernels?: number[]; seed?: number } = {}) {
  const net = makeNet(nodes, inputShape);
  if (options.kernels) net.setKernels(options.kernels);
  const rand = lcg(options.seed ?? 1);
  const info = net.paramInfo();
  info.forEach((p, i) => {
    const size = p.shape.reduce((a, b) => a * b, 1);
    const v = new Float64Array(size).map(() => (p.name.endsWith('running_var') ? 0.5 + Math.abs(rand()) : rand()));
    net.setParam(i, v);
  });
  const batch = options.batch ?? 3;
  const count = batch * inputShape[0] * inputShape[1] * inputShape[2];
  const images = new Float64Array(count).map(() => rand() * 2);
  const classes = 4;
  const labels = Uint8Array.from({ length: batch }, (_, i) => i % classes);
  const train = options.train ?? true;
  const base = net.gradients({ images, labels, count: batch, train, inputGrad: true });
  const lossAt = () => net.gradients({ images, labels, count: batch, train }).loss;
  const h = 1e-5;
  let worst = 0, checked = 0;
  const compare = (analytic: number, numeric: number) => {
    const err = Math.abs(analytic - numeric) / Math.max(1e-4, Math.abs(analytic) + Math.abs(numeric));
    worst = Math.max(worst, err);
    checked++;
  };
  info.forEach((p, i) => {
    if (!p.trainable) return;
    const values = net.getParam(i) as Float64Array;
    const step = Math.max(1, Math.floor(values.length / 12));
    for (let j = 0; j < values.length; j += step) {
      const keep = values[j];
      values[j] = keep + h; net.setParam(i, values);
      const up = lossAt();
      values[j] = keep - h; net.setParam(i, values);
      const down = lossAt();
      values[j] = keep; net.setParam(i, values);
      compare(base.grads[i][j], (up - down) / (2 * h));
    }
  });
  const step = Math.max(1, Math.floor(count / 24));
  for (let j = 0; j < count; j += step) {
    const keep = images[j];
    images[j] = keep + h;
    const up = lossAt();
    images[j] = keep - h;
    const down = lossAt();
    images[j] = keep;
    compare(base.inputGrad![j], (up - down) / (2 * h));
  }
  expect(checked).toBeGreaterThan(10);
  expect(worst).toBeLessThan(1e-6);
}

/** op under test -> global average pool -> linear(4): a scalar cross-entropy of everything. */
function head(n: number): Spec[] {
  return [{ op: 'gap', inputs: [n] }, { op: 'linear', inputs: [n + 1], channels: 4 }];
}

describe('finite-difference gradient checks (float64)', () => {
  test.each([
    [1, 1, 0], [3, 1, 1], [3, 2, 1], [5, 1, 2], [5, 2, 0], [7, 1, 3], [3, 1, 0],
  ])('conv kernel %i stride %i pad %i', (kernel, stride, pad) => {
    check([{ op: 'input', inputs: [] }, { op: 'conv', inputs: [0], channels: 3, kernel, stride, pad }, ...head(1)], [2, 8, 7]);
  });
  test('conv with bias, 1x1 stride 2', () => {
    check([{ op: 'input', inputs: [] }, { op: 'conv', inputs: [0], channels: 3, kernel: 1, stride: 2, bias: true }, ...head(1)], [2, 6, 6]);
  });
  test.each([[3], [5], [7]])('elastic conv (7x7 weight) at kernel %i', (k) => {
    check([{ op: 'input', inputs: [] }, { op: 'conv', inputs: [0], channels: 3, kernel: 7, kernelChoices: [3, 5, 7] }, ...head(1)], [2, 7, 7], { kernels: [k] });
  });
  test('batchnorm, training statistics', () => {
    check([{ op: 'input', inputs: [] }, { op: 'batchnorm', inputs: [0] }, ...head(1)], [3, 4, 4], { batch: 4 });
  });
  test('batchnorm, inference statistics', () => {
    check([{ op: 'input', inputs: [] }, { op: 'batchnorm', inputs: [0] }, ...head(1)], [3, 4, 4], { train: false });
  });
  test('batchnorm + relu (fused into one pass), training and inference statistics', () => {
    const nodes: Spec[] = [{ op: 'input', inputs: [] }, { op: 'conv', inputs: [0], channels: 3, kernel: 3, pad: 1 }, { op: 'batchnorm', inputs: [1] }, { op: 'relu', inputs: [2] }, ...head(3)];
    check(nodes, [2, 5, 5], { batch: 4 });
    check(nodes, [2, 5, 5], { train: false });
  });
  test('relu', () => {
    check([{ op: 'input', inputs: [] }, { op: 'relu', inputs: [0] }, ...head(1)], [2, 5, 5]);
  });
  test('an add of one tensor to itself, and a branch no op reads (gradients are cleared lazily)', () => {
    // The add's first input overwrites the conv's fresh gradient and its second adds to it; the
    // unread conv's gradient reads as zero. check() calls gradients() many times on one net, so
    // a buffer that kept a previous call's values would show.
    check([
      { op: 'input', inputs: [] }, { op: 'conv', inputs: [0], channels: 2, kernel: 3, pad: 1 }, { op: 'add', inputs: [1, 1] },
      { op: 'conv', inputs: [0], channels: 2, kernel: 1 }, { op: 'relu', inputs: [2] }, ...head(4),
    ], [2, 5, 5]);
  });
  test('residual add (input used twice)', () => {
    check([{ op: 'input', inputs: [] }, { op: 'conv', inputs: [0], channels: 2, kernel: 3, pad: 1 }, { op: 'add', inputs: [1, 0] }, ...head(2)], [2, 5, 5]);
  });
  test.each([[2, 2, 0], [3, 2, 1], [3, 1, 1]])('maxpool kernel %i stride %i pad %i', (kernel, stride, pad) => {
    check([{ op: 'input', inputs: [] }, { op: 'maxpool', inputs: [0], kernel, stride, pad }, ...head(1)], [2, 6, 6]);
  });
  test.each([[2, 2, 0], [3, 2, 1], [3, 1, 1]])('avgpool kernel %i stride %i pad %i', (kernel, stride, pad) => {
    check([{ op: 'input', inputs: [] }, { op: 'avgpool', inputs: [0], kernel, stride, pad }, ...head(1)], [2, 6, 6]);
  });
  test('flatten + linear + linear (softmax cross-entropy on top)', () => {
    check([{ op: 'input', inputs: [] }, { op: 'flatten', inputs: [0] }, { op: 'linear', inputs: [1], channels: 5 }, { op: 'relu', inputs: [2] }, { op: 'linear', inputs: [3], channels: 4 }], [2, 3, 3]);
  });
  test('a residual block: conv-bn-relu-conv-bn + 1x1 shortcut, stride 2', () => {
    check([
      { op: 'input', inputs: [] },
      { op: 'conv', inputs: [0], channels: 4, kernel: 3, stride: 2, pad: 1 }, { op: 'batchnorm', inputs: [1] }, { op: 'relu', inputs: [2] },
      { op: 'conv', inputs: [3], channels: 4, kernel: 5, kernelChoices: [3, 5] }, { op: 'batchnorm', inputs: [4] },
      { op: 'conv', inputs: [0], channels: 4, kernel: 1, stride: 2 }, { op: 'batchnorm', inputs: [6] },
      { op: 'add', inputs: [5, 7] }, { op: 'relu', inputs: [8] }, ...head(9),
    ], [2, 6, 6], { batch: 4, kernels: [3] });
  });
});
