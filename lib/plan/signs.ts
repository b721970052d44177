/**
 * Which graph values are provably never negative: a crossbar layer fed by one needs only the
 * positive input pass (DESIGN.md: signed inputs run as a positive and a negative pass). Used by
 * plans made without calibration data (`nax-native cost model.onnx`), so that they charge the
 * second pass exactly where a calibrated run (`nax-native eval`) finds negative inputs in
 * ordinary networks: after a ReLU (or pooling, reshaping and concatenation of such values) a
 * layer is unsigned; after a conv, a BatchNorm or the normalised image it is signed.
 */
import { type Graph, type Node, attrFloat, attrString } from '../onnx/ir';

/** Ops whose output is >= 0 whatever their input. */
const ALWAYS_NON_NEGATIVE = new Set([
  'Relu', 'Sigmoid', 'Softmax', 'Exp', 'Abs', 'Sqrt', 'HardSigmoid', 'Shape', 'Size', 'Softplus', 'ReduceL1', 'ReduceL2',
  'ReduceSumSquare', 'Equal', 'Less', 'LessOrEqual', 'Greater', 'GreaterOrEqual', 'And', 'Or', 'Xor', 'Not',
]);

/** Ops that move or select values of their first input (>= 0 in, >= 0 out). */
const FORWARDS_FIRST_INPUT = new Set([
  'Identity', 'Dropout', 'Flatten', 'Reshape', 'Transpose', 'Squeeze', 'Unsqueeze', 'Slice', 'Gather', 'Expand', 'Split',
  'MaxPool', 'AveragePool', 'GlobalAveragePool', 'GlobalMaxPool', 'ReduceMean', 'ReduceMax', 'ReduceMin', 'Resize', 'Upsample',
  'Cast', 'SpaceToDepth', 'DepthToSpace', 'Tile', 'Floor', 'Ceil', 'Round', 'Elu', 'Celu',
]);

/** Ops that are >= 0 when all their inputs are. */
const NEEDS_ALL_INPUTS = new Set(['Add', 'Mul', 'Div', 'Concat', 'Min', 'Sum', 'Mean', 'ReduceSum', 'ReduceProd']);

export interface SignOptions {
  /** Whether the graph's own inputs may be negative (true for zero-mean normalised images). */
  graphInputSigned: boolean;
}

function constantNonNegative(graph: Graph, name: string): boolean | undefined {
  const t = graph.initializers.get(name);
  if (!t) return undefined;
  for (let i = 0; i < t.data.length; i++) if (Number(t.data[i]) < 0) return false;
  return true;
}

function outputNonNegative(graph: Graph, nd: Node, known: (name: string) => boolean): boolean {
  const op = nd.opType;
  if (ALWAYS_NON_NEGATIVE.has(op)) return true;
  if (FORWARDS_FIRST_INPUT.has(op)) return known(nd.inputs[0]);
  if (NEEDS_ALL_INPUTS.has(op)) return nd.inputs.filter((n) => n).every(known);
  if (op === 'Max') return nd.inputs.filter((n) => n).some(known);
  if (op === 'Pad') {
    const mode = attrString(nd, 'mode', 'constant');
    const value = nd.inputs[2] ? constantNonNegative(graph, nd.inputs[2]) !== false : attrFloat(nd, 'value', 0) >= 0;
    return known(nd.inputs[0]) && (mode !== 'constant' || value);
  }
  if (op === 'Clip') {
    const lower = graph.opset < 11 ? attrFloat(nd, 'min', -Infinity) : nd.inputs[1] ? minOf(graph, nd.inputs[1]) : -Infinity;
    return lower >= 0 || known(nd.inputs[0]);
  }
  if (op === 'LeakyRelu' || op === 'PRelu') return known(nd.inputs[0]);
  // Where picks from its second and third inputs.
  if (op === 'Where') return known(nd.inputs[1]) && known(nd.inputs[2]);
  return false;
}

function minOf(graph: Graph, name: string): number {
  const t = graph.initializers.get(name);
  if (!t || t.data.length === 0) return -Infinity;
  let m = Infinity;
  for (let i = 0; i < t.data.length; i++) m = Math.min(m, Number(t.data[i]));
  return m;
}

/** Names of the values of `graph` (nodes in topological order, as ONNX requires) that are never negative. */
export function nonNegativeValues(graph: Graph, options: SignOptions): Set<string> {
  const nonNegative = new Set<string>();
  if (!options.graphInputSigned) for (const vi of graph.inputs) nonNegative.add(vi.name);
  for (const name of graph.initializers.keys()) if (constantNonNegative(graph, name)) nonNegative.add(name);
  const known = (name: string) => nonNegative.has(name);
  for (const nd of graph.nodes) {
    if (outputNonNegative(graph, nd, known)) for (const o of nd.outputs) if (o) nonNegative.add(o);
  }
  return nonNegative;
}
