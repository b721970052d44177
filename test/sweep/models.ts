/**
 * A tiny MNIST classifier that needs no training: a seeded random projection
 * (784 -> 64, Gemm) followed by nearest-class-mean scores in the projected
 * space (64 -> 10, Gemm), built with lib/onnx's builder and written as ONNX.
 * Scores are m_c . y - |m_c|^2 / 2 (a linear discriminant), so accuracy sits
 * well above chance and measurably moves under crossbar non-idealities.
 */
import { GraphBuilder } from '../../lib/onnx/builder';
import { type Graph, tensor, valueInfo } from '../../lib/onnx/ir';
import type { Dataset } from '../../lib/data';

export function templateClassifier(train: Dataset, hidden = 64): Graph {
  const [c, h, w] = train.shape;
  const k = c * h * w;
  const b = new GraphBuilder({ inputs: [valueInfo('input', ['batch', c, h, w])], seed: 17 });
  const y = b.gemm(b.flatten('input'), hidden, 'project');
  const out = b.gemm(y, train.classes, 'classify');
  const g = b.finish([out], 'template');
  const projection = g.initializers.get('project.weight')!.data as Float32Array; // [hidden, k]
  for (let i = 0; i < projection.length; i++) projection[i] /= Math.sqrt(2); // N(0, 1/k) entries
  g.initializers.set('project.bias', tensor('project.bias', [hidden], new Float32Array(hidden)));
  // Class means of the projected training images.
  const means = new Float64Array(train.classes * hidden);
  const counts = new Float64Array(train.classes);
  for (let n = 0; n < train.count; n++) {
    const label = train.labels[n];
    counts[label]++;
    const x = train.images.subarray(n * k, (n + 1) * k);
    for (let j = 0; j < hidden; j++) {
      let s = 0;
      for (let i = 0; i < k; i++) s += projection[j * k + i] * x[i];
      means[label * hidden + j] += s;
    }
  }
  const weight = new Float32Array(train.classes * hidden);
  const bias = new Float32Array(train.classes);
  for (let cl = 0; cl < train.classes; cl++) {
    let norm = 0;
    for (let j = 0; j < hidden; j++) {
      const m = means[cl * hidden + j] / Math.max(counts[cl], 1);
      weight[cl * hidden + j] = m;
      norm += m * m;
    }
    bias[cl] = -norm / 2;
  }
  g.initializers.set('classify.weight', tensor('classify.weight', [train.classes, hidden], weight));
  g.initializers.set('classify.bias', tensor('classify.bias', [train.classes], bias));
  return g;
}
