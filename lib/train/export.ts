/**
 * ONNX export of a trained model (a plain network or one subnet of a
 * supernet, with its active kernels) through the shared graph IR and writer.
 * BatchNorm is exported as BatchNormalization with the running statistics.
 */
import { attr, createGraph, node, tensor, valueInfo } from '../onnx/ir';
import type { Graph, Node } from '../onnx/ir';
import { writeOnnx } from '../onnx/writer';
import { centreKernel } from './supernet';
import type { TrainModel } from './model';

export function toOnnxGraph(model: TrainModel, name = model.spec.arch): Graph {
  const spec = model.spec;
  const kernels = model.kernels();
  const nodes: Node[] = [];
  const initializers = new Map();
  const outName: string[] = [];
  const param = (p: string): Float32Array => Float32Array.from(model.getParam(p));
  const init = (n: string, dims: number[], data: Float32Array) => {
    initializers.set(n, tensor(n, dims, data));
    return n;
  };
  let searchIndex = 0;
  spec.nodes.forEach((n, i) => {
    const out = i === spec.nodes.length - 1 ? 'logits' : `${n.name}:out`;
    outName.push(out);
    const x = n.inputs.map((j) => outName[j]);
    switch (n.op) {
      case 'input':
        outName[i] = 'input';
        return;
      case 'conv': {
        const shape = model.params[model.paramIndex(`${n.name}.weight`)].shape;
        const k = n.kernelChoices ? kernels[searchIndex++] : n.kernel ?? 1;
        const pad = n.kernelChoices ? Math.floor(k / 2) : n.pad ?? 0;
        const full = model.getParam(`${n.name}.weight`);
        const w = k === shape[2] ? Float32Array.from(full) : centreKernel(full, shape, k);
        const inputs = [x[0], init(`${n.name}.weight`, [shape[0], shape[1], k, k], w)];
        if (n.bias) inputs.push(init(`${n.name}.bias`, [shape[0]], param(`${n.name}.bias`)));
        nodes.push(node('Conv', inputs, [out], {
          kernel_shape: attr.ints([k, k]), strides: attr.ints([n.stride ?? 1, n.stride ?? 1]), pads: attr.ints([pad, pad, pad, pad]),
        }, n.name));
        return;
      }
      case 'batchnorm': {
        const c = model.params[model.paramIndex(`${n.name}.weight`)].shape[0];
        const ins = ['weight', 'bias', 'running_mean', 'running_var'].map((s) => init(`${n.name}.${s}`, [c], param(`${n.name}.${s}`)));
        nodes.push(node('BatchNormalization', [x[0], ...ins], [out], { epsilon: attr.float(n.eps ?? 1e-5) }, n.name));
        return;
      }
      case 'relu':
        nodes.push(node('Relu', x, [out], {}, n.name));
        return;
      case 'add':
        nodes.push(node('Add', x, [out], {}, n.name));
        return;
      case 'maxpool':
      case 'avgpool': {
        const k = n.kernel ?? 2, s = n.stride ?? 2, p = n.pad ?? 0;
        nodes.push(node(n.op === 'maxpool' ? 'MaxPool' : 'AveragePool', x, [out], {
          kernel_shape: attr.ints([k, k]), strides: attr.ints([s, s]), pads: attr.ints([p, p, p, p]),
        }, n.name));
        return;
      }
      case 'gap':
        nodes.push(node('GlobalAveragePool', x, [out], {}, n.name));
        return;
      case 'flatten':
        nodes.push(node('Flatten', x, [out], { axis: attr.int(1) }, n.name));
        return;
      case 'linear': {
        let input = x[0];
        if (spec.nodes[n.inputs[0]].op !== 'flatten') {
          input = `${n.name}:flat`;
          nodes.push(node('Flatten', x, [input], { axis: attr.int(1) }, `${n.name}.flatten`));
        }
        const shape = model.params[model.paramIndex(`${n.name}.weight`)].shape;
        nodes.push(node('Gemm', [input, init(`${n.name}.weight`, shape, param(`${n.name}.weight`)), init(`${n.name}.bias`, [shape[0]], param(`${n.name}.bias`))],
          [out], { transB: attr.int(1) }, n.name));
        return;
      }
    }
  });
  const [c, h, w] = spec.inputShape;
  return createGraph({
    name,
    nodes,
    inputs: [valueInfo('input', ['batch', c, h, w])],
    outputs: [valueInfo('logits', ['batch', spec.classes])],
    initializers,
    opset: 13,
    docString: `nax-native train: ${spec.arch}, kernels [${kernels.join(', ')}]`,
  });
}

/** ONNX ModelProto bytes of the model with its current kernels. */
export function exportOnnx(model: TrainModel, name?: string): Uint8Array {
  return writeOnnx(toOnnxGraph(model, name));
}
