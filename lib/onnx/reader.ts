/**
 * ONNX reader: ModelProto bytes -> graph IR, decoded with the `onnx-proto`
 * package (protobufjs code generated from the official onnx.proto). Handles
 * raw_data and the typed *_data fields; rejects external data with a clear
 * error; sorts nodes topologically; names unnamed nodes.
 */
import * as fs from 'fs';
import { onnx } from 'onnx-proto';
import { NaxError, ErrorCodes } from '../errors';
import { AttributeValue, DataType, Graph, Node, Tensor, TensorData, ValueInfo, allocateStorage, shapeSize, storageBytesPerElement } from './ir';
import { supportedOps } from './supported';

type Long = { toString(): string; toNumber(): number };
type IntLike = number | Long | null | undefined;

const toNum = (v: IntLike): number => (v == null ? 0 : typeof v === 'number' ? v : v.toNumber());

/** ONNX TensorProto.DataType codes for the IR's types. */
export const onnxDataTypes: Record<DataType, number> = {
  float32: 1,
  uint8: 2,
  int8: 3,
  uint16: 4,
  int16: 5,
  int32: 6,
  int64: 7,
  bool: 9,
  float64: 11,
};
const fromOnnxType = new Map<number, DataType>(Object.entries(onnxDataTypes).map(([k, v]) => [v, k as DataType]));
const onnxTypeNames: Record<number, string> = { 8: 'string', 10: 'float16', 12: 'uint32', 13: 'uint64', 14: 'complex64', 15: 'complex128', 16: 'bfloat16' };

export interface ReadOptions {
  /** Name used in error messages (the file path when reading a file). */
  source?: string;
  /** Throw ERR_NAX_ONNX_UNSUPPORTED for ops the runtime lacks (default true). */
  checkOps?: boolean;
}

function parseError(source: string, what: string, cause?: unknown): NaxError {
  return new NaxError(ErrorCodes.onnxParse, `could not parse ONNX ${source}: ${what}`, { cause });
}

/** Decodes ONNX model bytes into the IR. */
export function readOnnx(bytes: Uint8Array, options: ReadOptions = {}): Graph {
  const source = options.source ?? 'model bytes';
  let model: onnx.ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (err) {
    throw parseError(source, (err as Error).message, err);
  }
  if (!model.graph) throw parseError(source, 'no graph in the model (is this an ONNX ModelProto?)');
  let opset = 0;
  for (const imp of model.opsetImport ?? []) {
    if (!imp.domain || imp.domain === 'ai.onnx') opset = toNum(imp.version as IntLike);
  }
  if (opset === 0) opset = 1;
  const graph = readGraph(model.graph, opset, source);
  graph.producerName = model.producerName || undefined;
  graph.docString = model.docString || undefined;
  if (options.checkOps !== false) checkSupported(graph);
  return graph;
}

/** Reads an ONNX file; errors name the file. */
export function readOnnxFile(path: string, options: Omit<ReadOptions, 'source'> = {}): Graph {
  let bytes: Buffer;
  try {
    // A FIFO, socket or device would block or never end: only regular files are models.
    const st = fs.statSync(path);
    if (!st.isFile())
      throw new NaxError(
        ErrorCodes.io,
        `expected a regular file for the ONNX model ${path}, got ${st.isDirectory() ? 'a directory' : st.isFIFO() ? 'a FIFO (named pipe)' : 'a special file'}`,
      );
    // protobuf messages are limited to 2 GiB (ONNX's own limit without external data).
    if (st.size > 2 ** 31 - 1)
      throw new NaxError(ErrorCodes.io, `expected an ONNX file under 2 GiB (the protobuf limit) for ${path}, got ${st.size} bytes`);
    bytes = fs.readFileSync(path);
  } catch (err) {
    if (err instanceof NaxError) throw err;
    throw new NaxError(ErrorCodes.io, `could not read ONNX file ${path}: ${(err as Error).message}`, { cause: err });
  }
  return readOnnx(bytes, { ...options, source: path });
}

/** Decodes a serialized TensorProto (the backend test data's input_*.pb / output_*.pb). */
export function readTensorProto(bytes: Uint8Array, source = 'tensor bytes'): Tensor {
  let t: onnx.TensorProto;
  try {
    t = onnx.TensorProto.decode(bytes);
  } catch (err) {
    throw parseError(source, (err as Error).message, err);
  }
  return decodeTensor(t, source);
}

/** The nodes the runtime has no kernel for (another domain, or an op outside supportedOps), in graph order. */
export function unsupportedNodes(graph: Graph): Node[] {
  return graph.nodes.filter((nd) => (nd.domain && nd.domain !== 'ai.onnx') || !supportedOps.includes(nd.opType));
}

/**
 * Throws ERR_NAX_ONNX_UNSUPPORTED listing every node the runtime has no kernel for at once
 * (node name and op, grouped by op with counts), then the supported ops.
 */
export function checkSupported(graph: Graph): void {
  const bad = unsupportedNodes(graph);
  if (bad.length === 0) return;
  const opOf = (nd: Node) => `${nd.domain ? nd.domain + '.' : ''}${nd.opType}`;
  const byOp = new Map<string, number>();
  for (const nd of bad) byOp.set(opOf(nd), (byOp.get(opOf(nd)) ?? 0) + 1);
  const summary = [...byOp.entries()].map(([op, c]) => `${op} x${c}`).join(', ');
  throw new NaxError(
    ErrorCodes.onnxUnsupported,
    `${bad.length} node${bad.length === 1 ? ' has an' : 's have'} unsupported op type${bad.length === 1 ? '' : 's'} (${summary}): ` +
      `${bad.map((nd) => `node ${nd.name} (${opOf(nd)})`).join(', ')}; supported ops: ${supportedOps.join(', ')}`,
  );
}

function readGraph(g: onnx.IGraphProto, opset: number, source: string): Graph {
  const initializers = new Map<string, Tensor>();
  for (const t of g.initializer ?? []) {
    const tensor = decodeTensor(t, source);
    initializers.set(tensor.name, tensor);
  }
  if ((g.sparseInitializer ?? []).length > 0) throw parseError(source, 'sparse initializers are not supported');
  const nodes: Node[] = (g.node ?? []).map((n, i) => readNode(n, i, source));
  const names = new Set<string>();
  for (const nd of nodes) {
    // Unique names matter: mapping overrides are keyed by node name.
    let name = nd.name;
    for (let k = 1; names.has(name); k++) name = `${nd.name}_${k}`;
    nd.name = name;
    names.add(name);
  }
  return {
    name: g.name ?? 'graph',
    nodes: topoSort(nodes, initializers, g.input ?? [], source),
    inputs: (g.input ?? []).filter((v) => !initializers.has(v.name ?? '')).map((v) => readValueInfo(v, source)),
    outputs: (g.output ?? []).map((v) => readValueInfo(v, source)),
    initializers,
    opset,
  };
}

function readValueInfo(v: onnx.IValueInfoProto, source: string): ValueInfo {
  const tt = v.type?.tensorType;
  if (v.type && !tt) throw parseError(source, `value ${v.name}: only tensor types are supported (not sequences, maps or optionals)`);
  const elem = tt?.elemType ?? 1;
  const dataType = fromOnnxType.get(elem);
  if (!dataType) throw parseError(source, `value ${v.name}: unsupported element type ${onnxTypeNames[elem] ?? elem}`);
  const dims = (tt?.shape?.dim ?? []).map((d) => {
    if (d.dimParam) return d.dimParam;
    if (d.dimValue != null && toNum(d.dimValue as IntLike) > 0) return toNum(d.dimValue as IntLike);
    return null;
  });
  return { name: v.name ?? '', dataType, dims };
}

function readNode(n: onnx.INodeProto, index: number, source: string): Node {
  const opType = n.opType ?? '';
  const attributes: Record<string, AttributeValue> = {};
  for (const a of n.attribute ?? []) attributes[a.name ?? ''] = readAttribute(a, source, n.name ?? opType);
  return {
    name: n.name || `${opType}_${index}`,
    opType,
    domain: n.domain || undefined,
    inputs: [...(n.input ?? [])],
    outputs: [...(n.output ?? [])],
    attributes,
  };
}

const utf8 = new TextDecoder();

function readAttribute(a: onnx.IAttributeProto, source: string, nodeName: string): AttributeValue {
  const T = onnx.AttributeProto.AttributeType;
  switch (a.type) {
    case T.FLOAT:
      return { type: 'float', value: a.f ?? 0 };
    case T.INT:
      return { type: 'int', value: toNum(a.i as IntLike) };
    case T.STRING:
      return { type: 'string', value: utf8.decode(a.s ?? new Uint8Array()) };
    case T.TENSOR:
      return { type: 'tensor', value: decodeTensor(a.t ?? {}, source) };
    case T.FLOATS:
      return { type: 'floats', value: [...(a.floats ?? [])] };
    case T.INTS:
      return { type: 'ints', value: (a.ints ?? []).map((v) => toNum(v as IntLike)) };
    case T.STRINGS:
      return { type: 'strings', value: (a.strings ?? []).map((s) => utf8.decode(s)) };
    default:
      throw parseError(source, `node ${nodeName}: attribute ${a.name} has unsupported type ${a.type}`);
  }
}

/** TensorProto -> IR tensor, from raw_data (little-endian) or the typed fields. */
export function decodeTensor(t: onnx.ITensorProto, source: string): Tensor {
  const name = t.name ?? '';
  const dims = (t.dims ?? []).map((d) => toNum(d as IntLike));
  if (t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL || (t.externalData ?? []).length > 0) {
    const loc = (t.externalData ?? []).find((e) => e.key === 'location')?.value;
    throw parseError(
      source,
      `tensor ${name} stores its data externally${loc ? ` (in ${loc})` : ''}; external data is not supported — re-export with the weights embedded (e.g. onnx.save(model, path, save_as_external_data=False))`,
    );
  }
  const code = t.dataType ?? 0;
  const dataType = fromOnnxType.get(code);
  if (!dataType) throw parseError(source, `tensor ${name}: unsupported data type ${onnxTypeNames[code] ?? code}`);
  // Dims are checked before anything is allocated: a corrupt file must not ask for 2^40 elements.
  for (const d of dims)
    if (!Number.isSafeInteger(d) || d < 0)
      throw parseError(source, `tensor ${name}: expected non-negative integer dims, got [${dims.join(', ')}]`);
  const count = shapeSize(dims);
  const bytesPer = storageBytesPerElement(dataType);
  const raw = t.rawData;
  const stored =
    raw && raw.length > 0
      ? raw.length / bytesPer
      : (dataType === 'float32' ? t.floatData : dataType === 'float64' ? t.doubleData : dataType === 'int64' ? t.int64Data : t.int32Data)?.length ?? 0;
  if (!Number.isSafeInteger(count) || count !== stored)
    throw parseError(
      source,
      `tensor ${name}: dims [${dims.join(', ')}] need ${count} values, the file holds ${raw && raw.length > 0 ? `${raw.length} bytes of raw_data (${stored} values)` : `${stored} values`}`,
    );
  const data = allocateStorage(dataType, count);
  if (raw && raw.length > 0) {
    // Copy through a byte view: raw_data may be unaligned inside the file buffer (little-endian hosts).
    new Uint8Array(data.buffer, data.byteOffset, raw.length).set(raw);
    return { name, dims, dataType, data };
  }
  const fill = (values: ArrayLike<number | bigint>) => {
    if (values.length !== count)
      throw parseError(source, `tensor ${name}: ${values.length} values for dims [${dims.join(', ')}]`);
    for (let i = 0; i < count; i++) (data as unknown as (number | bigint)[])[i] = values[i];
  };
  switch (dataType) {
    case 'float32':
      fill(t.floatData ?? []);
      break;
    case 'float64':
      fill(t.doubleData ?? []);
      break;
    case 'int64':
      fill((t.int64Data ?? []).map((v) => BigInt(typeof v === 'number' ? v : v.toString())));
      break;
    default:
      // int8/uint8/int16/uint16/int32/bool all live in int32_data.
      fill(t.int32Data ?? []);
  }
  return { name, dims, dataType, data: data as TensorData };
}

/** Kahn's algorithm; keeps file order among ready nodes. Fails on cycles or dangling inputs. */
function topoSort(nodes: Node[], initializers: Map<string, Tensor>, inputs: onnx.IValueInfoProto[], source: string): Node[] {
  const available = new Set<string>(['', ...initializers.keys(), ...inputs.map((v) => v.name ?? '')]);
  const done = new Array<boolean>(nodes.length).fill(false);
  const out: Node[] = [];
  let progress = true;
  while (out.length < nodes.length && progress) {
    progress = false;
    for (let i = 0; i < nodes.length; i++) {
      if (done[i]) continue;
      if (nodes[i].inputs.every((n) => available.has(n))) {
        done[i] = true;
        out.push(nodes[i]);
        nodes[i].outputs.forEach((o) => available.add(o));
        progress = true;
      }
    }
  }
  if (out.length < nodes.length) {
    const stuck = nodes.find((_, i) => !done[i])!;
    const missing = stuck.inputs.filter((n) => !available.has(n));
    throw parseError(source, `node ${stuck.name} (${stuck.opType}) reads ${missing.join(', ')}, which no node, input or initializer provides`);
  }
  return out;
}
