/**
 * ONNX writer: graph IR (with weights) -> ModelProto bytes that
 * onnxruntime-node loads. Tensors are written as little-endian raw_data.
 */
import * as fs from 'fs';
import { onnx } from 'onnx-proto';
import { AttributeValue, Graph, Tensor, ValueInfo } from './ir';
import { onnxDataTypes } from './reader';

export interface WriteOptions {
  /** Overrides the IR version; by default the lowest one that carries the graph's opset. */
  irVersion?: number;
  producerVersion?: string;
}

/** Lowest ONNX IR version that supports a default-domain opset (onnx/helper.py's table). */
export function irVersionForOpset(opset: number): number {
  if (opset >= 21) return 10;
  if (opset >= 19) return 9;
  if (opset >= 15) return 8;
  if (opset >= 12) return 7;
  if (opset >= 11) return 6;
  if (opset >= 10) return 5;
  if (opset >= 9) return 4;
  return 3;
}

const utf8 = new TextEncoder();

export function encodeTensor(t: Tensor): onnx.ITensorProto {
  const data = t.data;
  // Copy so raw_data owns exactly the tensor's bytes (the source may be a view).
  const raw = new Uint8Array(data.byteLength);
  raw.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  return { name: t.name, dims: t.dims, dataType: onnxDataTypes[t.dataType], rawData: raw };
}

function encodeAttribute(name: string, a: AttributeValue): onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  switch (a.type) {
    case 'float':
      return { name, type: T.FLOAT, f: a.value };
    case 'int':
      return { name, type: T.INT, i: a.value };
    case 'string':
      return { name, type: T.STRING, s: utf8.encode(a.value) };
    case 'tensor':
      return { name, type: T.TENSOR, t: encodeTensor(a.value) };
    case 'floats':
      return { name, type: T.FLOATS, floats: a.value };
    case 'ints':
      return { name, type: T.INTS, ints: a.value };
    case 'strings':
      return { name, type: T.STRINGS, strings: a.value.map((s) => utf8.encode(s)) };
  }
}

function encodeValueInfo(v: ValueInfo): onnx.IValueInfoProto {
  return {
    name: v.name,
    type: {
      tensorType: {
        elemType: onnxDataTypes[v.dataType],
        shape: {
          dim: v.dims.map((d) => (typeof d === 'number' ? { dimValue: d } : typeof d === 'string' ? { dimParam: d } : {})),
        },
      },
    },
  };
}

/** Serializes a graph as an ONNX model. */
export function writeOnnx(graph: Graph, options: WriteOptions = {}): Uint8Array {
  const model: onnx.IModelProto = {
    irVersion: options.irVersion ?? irVersionForOpset(graph.opset),
    opsetImport: [{ domain: '', version: graph.opset }],
    producerName: graph.producerName ?? 'nax-native',
    producerVersion: options.producerVersion ?? '',
    docString: graph.docString ?? '',
    graph: {
      name: graph.name,
      node: graph.nodes.map((nd) => ({
        name: nd.name,
        opType: nd.opType,
        domain: nd.domain ?? '',
        input: nd.inputs,
        output: nd.outputs,
        attribute: Object.entries(nd.attributes).map(([k, a]) => encodeAttribute(k, a)),
      })),
      initializer: [...graph.initializers.values()].map(encodeTensor),
      input: graph.inputs.map(encodeValueInfo),
      output: graph.outputs.map(encodeValueInfo),
    },
  };
  const err = onnx.ModelProto.verify(model);
  if (err) throw new Error(`internal: invalid ModelProto: ${err}`);
  return onnx.ModelProto.encode(model).finish();
}

/** Writes a graph to an .onnx file. */
export function writeOnnxFile(path: string, graph: Graph, options: WriteOptions = {}): void {
  fs.writeFileSync(path, writeOnnx(graph, options));
}
