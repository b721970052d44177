/**
 * The graph IR shared by the ONNX reader/writer, the runtime (executor and
 * lowering), the cost model, the trainer's export and the search.
 *
 * It mirrors the parts of ONNX's ModelProto that classic CNNs and MLPs use,
 * as plain objects with typed arrays: no protobuf types leak out of
 * lib/onnx/. Build graphs by hand with {@link tensor}, {@link node},
 * {@link valueInfo} and the {@link attr} helpers, then `writeOnnx(graph)`.
 */

/** Element types the IR carries (ONNX TensorProto.DataType names, lower-cased). */
export type DataType = 'float32' | 'float64' | 'int8' | 'uint8' | 'int16' | 'uint16' | 'int32' | 'int64' | 'bool';

/**
 * Storage per data type. int64 uses BigInt64Array so that round trips are
 * exact; bool uses Uint8Array (0/1).
 */
export interface TensorStorage {
  float32: Float32Array;
  float64: Float64Array;
  int8: Int8Array;
  uint8: Uint8Array;
  int16: Int16Array;
  uint16: Uint16Array;
  int32: Int32Array;
  int64: BigInt64Array;
  bool: Uint8Array;
}
export type TensorData = TensorStorage[DataType];

/** A constant tensor (an initializer, a Constant node's value, a test input). */
export interface Tensor<T extends DataType = DataType> {
  name: string;
  /** Shape; [] for a scalar. Row-major (C order) data. */
  dims: number[];
  dataType: T;
  data: TensorStorage[T];
}

/**
 * A graph input or output's declared type. A dim is a number, a symbolic
 * name (e.g. 'batch') or null when unknown.
 */
export interface ValueInfo {
  name: string;
  dataType: DataType;
  dims: (number | string | null)[];
}

/** ONNX attribute values, tagged so the writer emits the exact ONNX type. */
export type AttributeValue =
  | { type: 'float'; value: number }
  | { type: 'int'; value: number }
  | { type: 'string'; value: string }
  | { type: 'tensor'; value: Tensor }
  | { type: 'floats'; value: number[] }
  | { type: 'ints'; value: number[] }
  | { type: 'strings'; value: string[] };

export interface Node {
  /** Unique within the graph (the reader names unnamed nodes `${opType}_${index}`). */
  name: string;
  opType: string;
  /** Operator domain; '' (default ONNX domain) unless stated. */
  domain?: string;
  /** Value names; '' marks an omitted optional input. */
  inputs: string[];
  outputs: string[];
  attributes: Record<string, AttributeValue>;
}

export interface Graph {
  name: string;
  /** Topological order (the reader sorts if the file was not). */
  nodes: Node[];
  /** Runtime inputs (initializers are not listed here even if the file did). */
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  /** Constant tensors by name (weights, biases, shape constants). */
  initializers: Map<string, Tensor>;
  /** Version of the default ('' / ai.onnx) operator set. */
  opset: number;
  /** Optional metadata carried through read/write. */
  producerName?: string;
  docString?: string;
}

// ---- builders ----------------------------------------------------------------

const storageCtors: { [K in DataType]: new (n: number) => TensorStorage[K] } = {
  float32: Float32Array,
  float64: Float64Array,
  int8: Int8Array,
  uint8: Uint8Array,
  int16: Int16Array,
  uint16: Uint16Array,
  int32: Int32Array,
  int64: BigInt64Array,
  bool: Uint8Array,
};

/** Bytes per stored element of a data type. */
export function storageBytesPerElement(dataType: DataType): number {
  return (storageCtors[dataType] as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT;
}

/** Allocates zeroed storage of `length` elements for a data type. */
export function allocateStorage<T extends DataType>(dataType: T, length: number): TensorStorage[T] {
  return new storageCtors[dataType](length) as TensorStorage[T];
}

/** Number of elements of a shape (1 for a scalar). */
export function shapeSize(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}

/** Makes a float32 tensor (the common case) or, with `dataType`, any other. */
export function tensor(name: string, dims: number[], data: Float32Array | number[]): Tensor<'float32'>;
export function tensor<T extends DataType>(name: string, dims: number[], data: TensorStorage[T], dataType: T): Tensor<T>;
export function tensor(name: string, dims: number[], data: TensorData | number[], dataType: DataType = 'float32'): Tensor {
  const storage = Array.isArray(data) ? Float32Array.from(data) : data;
  if (storage.length !== shapeSize(dims))
    throw new RangeError(`tensor ${name}: ${storage.length} elements do not fill dims [${dims.join(', ')}]`);
  return { name, dims: [...dims], dataType, data: storage };
}

/** An int64 tensor from plain numbers (shapes, axes, pads as inputs). */
export function int64Tensor(name: string, values: number[], dims: number[] = [values.length]): Tensor<'int64'> {
  return tensor(name, dims, BigInt64Array.from(values.map((v) => BigInt(v))), 'int64');
}

export function node(
  opType: string,
  inputs: string[],
  outputs: string[],
  attributes: Record<string, AttributeValue> = {},
  name?: string,
): Node {
  return { name: name ?? `${opType}_${outputs[0] ?? ''}`, opType, inputs, outputs, attributes };
}

export function valueInfo(name: string, dims: (number | string | null)[], dataType: DataType = 'float32'): ValueInfo {
  return { name, dims, dataType };
}

/** Tagged attribute constructors: `attr.ints([1, 1])`, `attr.float(0.1)`. */
export const attr = {
  float: (value: number): AttributeValue => ({ type: 'float', value }),
  int: (value: number): AttributeValue => ({ type: 'int', value }),
  string: (value: string): AttributeValue => ({ type: 'string', value }),
  tensor: (value: Tensor): AttributeValue => ({ type: 'tensor', value }),
  floats: (value: number[]): AttributeValue => ({ type: 'floats', value }),
  ints: (value: number[]): AttributeValue => ({ type: 'ints', value }),
  strings: (value: string[]): AttributeValue => ({ type: 'strings', value }),
};

/** An empty graph to fill in; opset defaults to 13. */
export function createGraph(init: Partial<Graph> & Pick<Graph, 'nodes' | 'inputs' | 'outputs'>): Graph {
  return {
    name: init.name ?? 'graph',
    nodes: init.nodes,
    inputs: init.inputs,
    outputs: init.outputs,
    initializers: init.initializers ?? new Map(),
    opset: init.opset ?? 13,
    producerName: init.producerName ?? 'nax-native',
    docString: init.docString,
  };
}

// ---- attribute readers (used by the runtime; defaults per the ONNX spec) ----

export function attrInt(n: Node, key: string, fallback: number): number;
export function attrInt(n: Node, key: string): number | undefined;
export function attrInt(n: Node, key: string, fallback?: number): number | undefined {
  const a = n.attributes[key];
  if (!a) return fallback;
  if (a.type === 'int' || a.type === 'float') return a.value;
  throw new TypeError(`node ${n.name}: attribute ${key} is ${a.type}, expected int`);
}

export function attrFloat(n: Node, key: string, fallback: number): number;
export function attrFloat(n: Node, key: string): number | undefined;
export function attrFloat(n: Node, key: string, fallback?: number): number | undefined {
  const a = n.attributes[key];
  if (!a) return fallback;
  if (a.type === 'int' || a.type === 'float') return a.value;
  throw new TypeError(`node ${n.name}: attribute ${key} is ${a.type}, expected float`);
}

export function attrInts(n: Node, key: string, fallback: number[]): number[];
export function attrInts(n: Node, key: string): number[] | undefined;
export function attrInts(n: Node, key: string, fallback?: number[]): number[] | undefined {
  const a = n.attributes[key];
  if (!a) return fallback;
  if (a.type === 'ints' || a.type === 'floats') return a.value;
  if (a.type === 'int') return [a.value];
  throw new TypeError(`node ${n.name}: attribute ${key} is ${a.type}, expected ints`);
}

export function attrString(n: Node, key: string, fallback: string): string;
export function attrString(n: Node, key: string): string | undefined;
export function attrString(n: Node, key: string, fallback?: string): string | undefined {
  const a = n.attributes[key];
  if (!a) return fallback;
  if (a.type === 'string') return a.value;
  throw new TypeError(`node ${n.name}: attribute ${key} is ${a.type}, expected string`);
}

/** Consumers of each value name (node indices), for folding and liveness. */
export function consumersOf(graph: Graph): Map<string, number[]> {
  const out = new Map<string, number[]>();
  graph.nodes.forEach((nd, i) => {
    for (const input of nd.inputs) {
      if (!input) continue;
      const list = out.get(input);
      if (list) list.push(i);
      else out.set(input, [i]);
    }
  });
  return out;
}

/** Shallow copy of a graph with copied node list and initializer map (tensors shared). */
export function cloneGraph(graph: Graph): Graph {
  return {
    ...graph,
    nodes: graph.nodes.map((nd) => ({ ...nd, inputs: [...nd.inputs], outputs: [...nd.outputs], attributes: { ...nd.attributes } })),
    inputs: graph.inputs.map((v) => ({ ...v, dims: [...v.dims] })),
    outputs: graph.outputs.map((v) => ({ ...v, dims: [...v.dims] })),
    initializers: new Map(graph.initializers),
  };
}
