/**
 * Seeded fuzz cases over the ONNX reader, lowering, the cost model and the executor (ideal and
 * crossbar modes): real models (the builder's networks and, when installed, the PyTorch exports of
 * Debian's libonnx-testdata), mutated by bit flips, truncation, byte overwrites and protobuf field
 * edits (op types, attributes, dims, missing initializers, cycles, retyped tensors, NaN inputs).
 * Case i of seed s is always the same bytes. Every failure must be a NaxError.
 */
import * as fs from 'fs';
import * as path from 'path';
import { onnx } from 'onnx-proto';
import { Rng } from '../../lib/search/random';
import { writeOnnx } from '../../lib/onnx/writer';
import { leNet, mlp, mobileNetBlock, legacyExport, resNet20 } from '../runtime/models';

const TESTDATA = '/usr/share/libonnx-testdata/data/pytorch-converted';
const PYTORCH = ['test_Conv2d_groups', 'test_Conv2d_depthwise_padded', 'test_Linear', 'test_MaxPool2d', 'test_ConstantPad2d', 'test_Softmax', 'test_PReLU_3d'];

/** The seed corpus: name and bytes. */
export function seedModels(): Array<{ name: string; bytes: Uint8Array }> {
  const out = [
    { name: 'lenet', bytes: writeOnnx(leNet()) },
    { name: 'resnet20', bytes: writeOnnx(resNet20()) },
    { name: 'mobilenet-block', bytes: writeOnnx(mobileNetBlock()) },
    { name: 'mlp', bytes: writeOnnx(mlp()) },
    { name: 'legacy-export', bytes: writeOnnx(legacyExport()) },
  ];
  for (const t of PYTORCH) {
    const file = path.join(TESTDATA, t, 'model.onnx');
    if (fs.existsSync(file)) out.push({ name: `pytorch:${t}`, bytes: new Uint8Array(fs.readFileSync(file)) });
  }
  return out;
}

const HUGE = [2 ** 31, 2 ** 31 - 1, 2 ** 40, -1, -(2 ** 31), 0, 2 ** 53, 1e6];
const OPS = ['Conv', 'Gemm', 'MatMul', 'Gather', 'Concat', 'Reshape', 'Relu', 'Add', 'Softmax', 'Flatten', 'MaxPool', 'Pad', 'Transpose', 'Slice', 'NoSuchOp'];

type Mutation = { kind: string; bytes: Uint8Array; nanInput?: boolean };

function protoEdit(rng: Rng, bytes: Uint8Array): Mutation {
  const m = onnx.ModelProto.decode(bytes);
  const g = m.graph as onnx.GraphProto;
  const nodes = g.node ?? [];
  const inits = g.initializer ?? [];
  const kinds = ['op-type', 'attribute', 'init-dims', 'input-dims', 'drop-init', 'cycle', 'data-type', 'gemm-to-gather', 'concat-axis', 'drop-output', 'duplicate-output', 'empty-graph', 'nan-input'];
  const kind = rng.pick(kinds);
  const node = nodes.length ? nodes[rng.int(nodes.length)] : undefined;
  switch (kind) {
    case 'op-type':
      if (node) node.opType = rng.pick(OPS);
      break;
    case 'attribute':
      if (node?.attribute?.length) {
        const a = node.attribute[rng.int(node.attribute.length)];
        if (a.ints && a.ints.length) a.ints = a.ints.map((v) => (rng.chance(0.5) ? rng.pick(HUGE) : v));
        else if (a.type === onnx.AttributeProto.AttributeType.FLOAT) a.f = rng.pick([NaN, Infinity, -1, 1e30]);
        else a.i = rng.pick(HUGE);
      }
      break;
    case 'init-dims':
      if (inits.length) {
        const t = inits[rng.int(inits.length)];
        t.dims = (t.dims ?? []).map((d) => (rng.chance(0.5) ? rng.pick(HUGE) : Number(d) + 1));
      }
      break;
    case 'input-dims': {
      const vi = g.input?.[0];
      const dims = vi?.type?.tensorType?.shape?.dim;
      if (dims?.length) {
        const d = dims[rng.int(dims.length)];
        d.dimParam = undefined;
        d.dimValue = rng.pick(HUGE);
      }
      break;
    }
    case 'drop-init':
      if (inits.length) inits.splice(rng.int(inits.length), 1);
      break;
    case 'cycle':
      if (nodes.length >= 2) {
        const i = rng.int(nodes.length - 1);
        const j = i + 1 + rng.int(nodes.length - i - 1);
        if (nodes[i].input?.length && nodes[j].output?.length) nodes[i].input[0] = nodes[j].output[0];
      }
      break;
    case 'data-type':
      if (inits.length) inits[rng.int(inits.length)].dataType = rng.pick([7, 6, 10, 11, 0, 99]);
      break;
    case 'gemm-to-gather': {
      const target = nodes.find((n) => n.opType === 'Gemm' || n.opType === 'MatMul') ?? node;
      if (target) {
        target.opType = 'Gather';
        target.attribute = [];
      }
      break;
    }
    case 'concat-axis': {
      const target = nodes.find((n) => n.opType === 'Concat' || n.opType === 'Flatten' || n.opType === 'Softmax') ?? node;
      if (target) target.attribute = [{ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: rng.pick([2 ** 31, -(2 ** 31), 7, -9, 2 ** 40]) }];
      break;
    }
    case 'drop-output':
      if (g.output?.length) {
        const producer = nodes.findIndex((n) => n.output?.includes(g.output![0].name as string));
        if (producer >= 0) nodes.splice(producer, 1);
      }
      break;
    case 'duplicate-output':
      if (nodes.length >= 2 && nodes[0].output?.length && nodes[1].output?.length) nodes[1].output[0] = nodes[0].output[0];
      break;
    case 'empty-graph':
      g.node = [];
      break;
    case 'nan-input':
      return { kind, bytes, nanInput: true };
  }
  return { kind: `proto:${kind}`, bytes: onnx.ModelProto.encode(m).finish() };
}

/** Case `index` of `seed`: one mutated model (bytes) and how it was made. */
export function fuzzCase(seed: number, index: number, seeds = seedModels()): Mutation & { model: string } {
  const rng = new Rng(seed * 1_000_003 + index);
  const base = seeds[rng.int(seeds.length)];
  const bytes = new Uint8Array(base.bytes);
  const kind = rng.pick(['bitflip', 'truncate', 'overwrite', 'proto', 'proto', 'proto']);
  if (kind === 'bitflip') {
    const flips = 1 + rng.int(8);
    for (let f = 0; f < flips; f++) bytes[rng.int(bytes.length)] ^= 1 << rng.int(8);
    return { kind, bytes, model: base.name };
  }
  if (kind === 'truncate') return { kind, bytes: bytes.subarray(0, rng.int(bytes.length)), model: base.name };
  if (kind === 'overwrite') {
    const at = rng.int(bytes.length);
    const len = 1 + rng.int(16);
    for (let k = at; k < Math.min(bytes.length, at + len); k++) bytes[k] = rng.int(256);
    return { kind, bytes, model: base.name };
  }
  return { ...protoEdit(rng, bytes), model: base.name };
}
