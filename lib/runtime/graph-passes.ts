/**
 * Graph rewrites applied before lowering and execution (the executor and planGraph run the same
 * ones, so layer names and shapes agree):
 *
 * - constant folding: every node whose outputs are computable from initializers and input
 *   shapes alone (PyTorch's Shape/Gather/Unsqueeze/Concat/Cast/Slice/Transpose/Reshape chains
 *   that build Pad pads, Reshape targets and Resize sizes) becomes an initializer, and the nodes
 *   left without consumers are dropped. A value is folded only when it is the same for two
 *   different sizes of every symbolic input dim (the batch), so nothing batch-dependent is baked
 *   in (the batch dim counts as symbolic even where the model declares it as 1);
 * - Einsum as a plain (batched) matrix product becomes MatMul, so a constant operand maps onto
 *   crossbars like any Linear layer.
 */
import { Graph, Node, attrString, cloneGraph, consumersOf } from '../onnx/ir';
import { Value, toTensor } from './ops';
import { parseEinsum } from './ops-tensor';
import { inferShapes } from './shapes';

/**
 * Input shapes with every symbolic dim, and the batch dim (dim 0 of inputs of rank >= 2, even
 * when declared as a number: exports without dynamic axes declare batch 1, yet run any batch),
 * set to `size`.
 */
function shapesWithSymbolic(graph: Graph, size: number): Record<string, number[]> {
  const shapes: Record<string, number[]> = {};
  for (const vi of graph.inputs)
    shapes[vi.name] = vi.dims.map((d, i) => ((i === 0 && vi.dims.length >= 2) || typeof d !== 'number' || d <= 0 ? size : d));
  return shapes;
}

function sameValue(a: Value, b: Value): boolean {
  if (a.dataType !== b.dataType || a.dims.length !== b.dims.length || a.data.length !== b.data.length) return false;
  for (let i = 0; i < a.dims.length; i++) if (a.dims[i] !== b.dims[i]) return false;
  for (let i = 0; i < a.data.length; i++) if (a.data[i] !== b.data[i] && !(a.data[i] !== a.data[i] && b.data[i] !== b.data[i])) return false;
  return true;
}

/** Drops nodes none of whose outputs is read by another node or is a graph output (repeatedly). */
export function removeDeadNodes(graph: Graph): void {
  const outputs = new Set(graph.outputs.map((o) => o.name));
  for (;;) {
    const consumers = consumersOf(graph);
    const keep = graph.nodes.filter((nd) => nd.outputs.some((o) => o && (outputs.has(o) || consumers.has(o))));
    if (keep.length === graph.nodes.length) return;
    graph.nodes = keep;
  }
}

/** Constant folding of shape and pad sub-graphs (see the file comment). Returns a new graph. */
export function foldConstants(graph: Graph): Graph {
  const out = cloneGraph(graph);
  const knownA = new Map<string, Value>();
  inferShapes(out, shapesWithSymbolic(out, 2), { lenient: true, known: knownA });
  const knownB = new Map<string, Value>();
  inferShapes(out, shapesWithSymbolic(out, 3), { lenient: true, known: knownB });
  const graphOutputs = new Set(out.outputs.map((o) => o.name));
  const constantOf = (name: string): Value | undefined => {
    const a = knownA.get(name), b = knownB.get(name);
    return a && b && sameValue(a, b) && !graphOutputs.has(name) ? a : undefined;
  };
  const kept: Node[] = [];
  for (const nd of out.nodes) {
    const outs = nd.outputs.filter((o) => o);
    const values = outs.map(constantOf);
    if (outs.length > 0 && values.every((v) => v)) {
      outs.forEach((o, i) => out.initializers.set(o, toTensor(o, values[i]!)));
      continue;
    }
    kept.push(nd);
  }
  out.nodes = kept;
  removeDeadNodes(out);
  const used = new Set<string>(out.outputs.map((o) => o.name));
  for (const nd of out.nodes) for (const i of nd.inputs) used.add(i);
  for (const name of [...out.initializers.keys()]) if (!used.has(name)) out.initializers.delete(name);
  return out;
}

/**
 * Einsum nodes that are a plain matrix product become MatMul: "…ij,jk->…ik" (also batched,
 * "bij,bjk->bik", when both operands share the batch letters), and "ij,kj->ik" with a constant
 * second operand (PyTorch's Linear written as einsum), whose constant is transposed once.
 * Returns a new graph; other Einsum equations stay (the TS kernel runs them).
 */
export function rewriteEinsumMatMul(graph: Graph): Graph {
  if (!graph.nodes.some((nd) => nd.opType === 'Einsum')) return graph;
  const out = cloneGraph(graph);
  const shapes = inferShapes(out, shapesWithSymbolic(out, 1), { lenient: true });
  out.nodes = out.nodes.map((nd) => {
    if (nd.opType !== 'Einsum' || nd.inputs.length !== 2) return nd;
    const equation = attrString(nd, 'equation', '');
    if (equation.includes('.') || !equation.includes('->')) return nd;
    const ra = shapes.get(nd.inputs[0])?.length, rb = shapes.get(nd.inputs[1])?.length;
    if (ra === undefined || rb === undefined) return nd;
    let parsed;
    try {
      parsed = parseEinsum(nd, equation, [ra, rb]);
    } catch {
      return nd;
    }
    const [a, b] = parsed.inputs;
    const o = parsed.output;
    const distinct = (s: string) => new Set(s).size === s.length;
    if (a.length < 2 || b.length < 2 || !distinct(a) || !distinct(b) || !distinct(o)) return nd;
    const i = a[a.length - 2], j = a[a.length - 1];
    const prefix = a.slice(0, -2);
    const bPrefix = b.slice(0, -2);
    if (b[b.length - 2] === j) {
      const k = b[b.length - 1];
      if (o === prefix + i + k && (bPrefix === '' || bPrefix === prefix) && !o.includes(j))
        return { ...nd, opType: 'MatMul', attributes: {}, inputs: [...nd.inputs] };
      return nd;
    }
    const w = out.initializers.get(nd.inputs[1]);
    if (b.length === 2 && b[1] === j && w && w.dataType === 'float32' && w.dims.length === 2) {
      const k = b[0];
      if (o !== prefix + i + k || o.includes(j)) return nd;
      const [rows, cols] = w.dims;
      const t = new Float32Array(rows * cols);
      const src = w.data as Float32Array;
      for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = src[r * cols + c];
      const name = `${nd.inputs[1]}__einsum_T_${nd.name}`;
      out.initializers.set(name, { name, dims: [cols, rows], dataType: 'float32', data: t });
      return { ...nd, opType: 'MatMul', attributes: {}, inputs: [nd.inputs[0], name] };
    }
    return nd;
  });
  return out;
}
