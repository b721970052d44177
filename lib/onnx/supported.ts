/**
 * Op types (default ONNX domain, opset 9 and newer) that the runtime executes.
 * The reader rejects any other op with ERR_NAX_ONNX_UNSUPPORTED naming this list.
 */
export const supportedOps: readonly string[] = [
  // crossbar layers (native)
  'Conv', 'Gemm', 'MatMul',
  // pooling (native)
  'MaxPool', 'AveragePool', 'GlobalAveragePool', 'GlobalMaxPool',
  // elementwise and activations
  'Add', 'Sub', 'Mul', 'Div', 'Relu', 'Clip', 'LeakyRelu', 'Sigmoid', 'Tanh', 'Neg', 'Abs', 'Exp', 'Sqrt',
  'BatchNormalization', 'Softmax', 'Dropout', 'Identity',
  // layout and shape
  'Flatten', 'Reshape', 'Pad', 'Concat', 'Transpose', 'Constant', 'ConstantOfShape', 'Shape', 'Gather', 'Slice',
  'Unsqueeze', 'Squeeze', 'Cast', 'ReduceMean',
];
