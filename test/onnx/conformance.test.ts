/**
 * ONNX backend node tests (Debian libonnx-testdata) for every supported op:
 * each case whose ops are all supported runs through the ideal executor and
 * must match the expected outputs (rtol 1e-4, atol 1e-5). Cases exercising a
 * documented unsupported variant (3-D pooling and transposed convs, training
 * mode, MaxPool indices, cubic and tf_crop_and_resize Resize) must fail with
 * ERR_NAX_ONNX_UNSUPPORTED, never silently.
 */
import * as fs from 'fs';
import { supportedOps } from '../../lib/onnx/supported';
import { CaseResult, nodeTestRoot, runAllNodeCases } from './conformance-util';

const present = fs.existsSync(nodeTestRoot);
if (!present) console.warn(`libonnx-testdata not found at ${nodeTestRoot}: skipping ONNX node conformance (apt-get install libonnx-testdata)`);
const maybe = present ? describe : describe.skip;

// Variants we reject on purpose; anything else unsupported is a regression.
const expectedVariants = /(_3d_|_3d$|training|with_argmax|cubic|tf_crop_and_resize)/;

maybe('ONNX backend node tests', () => {
  let results: CaseResult[] = [];
  beforeAll(async () => {
    results = await runAllNodeCases();
  }, 600000);

  test('every applicable case passes', () => {
    const failures = results.filter((r) => r.status === 'fail').map((r) => `${r.name}: ${r.detail}`);
    expect(failures).toEqual([]);
  });

  test('only documented variants are unsupported', () => {
    const variants = results.filter((r) => r.status === 'unsupported-variant');
    for (const v of variants) expect(v.name).toMatch(expectedVariants);
  });

  test('every supported op with backend cases is covered', () => {
    const perOp = new Map<string, { pass: number; total: number }>();
    for (const r of results) {
      if (r.status === 'not-applicable') continue;
      for (const op of r.ops) {
        const e = perOp.get(op) ?? { pass: 0, total: 0 };
        e.total++;
        if (r.status === 'pass') e.pass++;
        perOp.set(op, e);
      }
    }
    console.log(
      'ONNX node conformance (passed/total incl. unsupported variants):\n' +
        [...perOp.entries()].sort().map(([op, e]) => `  ${op}: ${e.pass}/${e.total}`).join('\n'),
    );
    // Ops the exporter emits for CNNs must each have passing cases.
    const cnnOps = [
      'Conv', 'Gemm', 'MatMul', 'Add', 'Mul', 'Sub', 'Relu', 'Clip', 'LeakyRelu', 'Sigmoid', 'BatchNormalization', 'MaxPool', 'AveragePool',
      'GlobalAveragePool', 'Flatten', 'Reshape', 'Pad', 'Concat', 'Constant', 'Identity', 'Dropout', 'Softmax',
      // Issue 17: what torchvision/timm exports add at opsets 11-18.
      'Erf', 'HardSwish', 'HardSigmoid', 'LayerNormalization', 'Resize', 'Upsample', 'LogSoftmax', 'Split', 'Expand', 'Where', 'Equal',
      'Max', 'Min', 'Pow', 'ReduceSum', 'ReduceMax', 'ReduceMean', 'Einsum', 'ConvTranspose', 'Transpose', 'Slice', 'Cast', 'Gather',
      'Unsqueeze', 'Squeeze', 'Shape', 'ConstantOfShape', 'Div', 'Sqrt',
    ];
    for (const op of cnnOps) {
      expect(supportedOps).toContain(op);
      expect(perOp.get(op)?.pass ?? 0).toBeGreaterThan(0);
    }
    // Every supported op with a passing case passes all of its cases apart from documented variants.
    for (const [op, e] of perOp) {
      const variants = results.filter((r) => r.status === 'unsupported-variant' && r.ops.includes(op)).length;
      expect({ op, passed: e.pass }).toEqual({ op, passed: e.total - variants });
    }
    // 190 before issue 17; 475 with its ops (Debian libonnx-testdata 1.12.0).
    expect(results.filter((r) => r.status === 'pass').length).toBeGreaterThanOrEqual(470);
  });
});
