/**
 * Runs the ONNX backend node tests (Debian libonnx-testdata) through the
 * executor: every case whose ops are all supported, compared to the expected
 * outputs. Shared by the conformance test and scripts.
 */
import * as fs from 'fs';
import * as path from 'path';
import { readOnnx, readTensorProto } from '../../lib/onnx/reader';
import { supportedOps } from '../../lib/onnx/supported';
import { GraphExecutor } from '../../lib/runtime/executor';
import { Value, fromTensor } from '../../lib/runtime/ops';

export const nodeTestRoot = '/usr/share/libonnx-testdata/data/node';

export interface CaseResult {
  name: string;
  ops: string[];
  status: 'pass' | 'fail' | 'unsupported-variant' | 'not-applicable';
  detail?: string;
}

export function compareValues(expected: Value, actual: Value, rtol = 1e-4, atol = 1e-5): string | undefined {
  if (expected.dims.join(',') !== actual.dims.join(','))
    return `dims [${actual.dims}] != expected [${expected.dims}]`;
  const e = expected.data, a = actual.data;
  for (let i = 0; i < e.length; i++) {
    const ev = e[i], av = a[i];
    if (Number.isNaN(ev) && Number.isNaN(av)) continue;
    if (ev === av) continue;
    if (!(Math.abs(ev - av) <= atol + rtol * Math.abs(ev))) return `element ${i}: ${av} != expected ${ev}`;
  }
  return undefined;
}

export async function runNodeCase(dir: string): Promise<CaseResult> {
  const name = path.basename(dir);
  let graph;
  try {
    graph = readOnnx(fs.readFileSync(path.join(dir, 'model.onnx')), { source: name, checkOps: false });
  } catch (err) {
    return { name, ops: [], status: 'not-applicable', detail: (err as Error).message };
  }
  const ops = [...new Set(graph.nodes.map((n) => n.opType))];
  const unsupported = ops.filter((o) => !supportedOps.includes(o));
  if (unsupported.length) return { name, ops, status: 'not-applicable', detail: `ops ${unsupported.join(', ')}` };
  const sets = fs.readdirSync(dir).filter((d) => d.startsWith('test_data_set_')).sort();
  try {
    const ex = await GraphExecutor.create(graph, { mode: 'ideal', threads: 2 });
    for (const set of sets) {
      const setDir = path.join(dir, set);
      const feeds: Record<string, Value> = {};
      graph.inputs.forEach((vi, i) => {
        const f = path.join(setDir, `input_${i}.pb`);
        if (fs.existsSync(f)) feeds[vi.name] = fromTensor(readTensorProto(fs.readFileSync(f), f));
      });
      const outs = await ex.run(feeds);
      for (let i = 0; i < graph.outputs.length; i++) {
        const f = path.join(setDir, `output_${i}.pb`);
        if (!fs.existsSync(f)) continue;
        const expected = fromTensor(readTensorProto(fs.readFileSync(f), f));
        const diff = compareValues(expected, outs[graph.outputs[i].name]);
        if (diff) return { name, ops, status: 'fail', detail: `${set} output ${i}: ${diff}` };
      }
    }
  } catch (err) {
    const e = err as { code?: string; message: string };
    // A documented unsupported feature of a supported op (3-D pooling, training mode, argmax output).
    if (e.code === 'ERR_NAX_ONNX_UNSUPPORTED') return { name, ops, status: 'unsupported-variant', detail: e.message };
    return { name, ops, status: 'fail', detail: `${e.code ?? ''} ${e.message}` };
  }
  return { name, ops, status: 'pass' };
}

export async function runAllNodeCases(): Promise<CaseResult[]> {
  const dirs = fs.readdirSync(nodeTestRoot).filter((d) => d.startsWith('test_')).sort();
  const results: CaseResult[] = [];
  for (const d of dirs) results.push(await runNodeCase(path.join(nodeTestRoot, d)));
  return results;
}
