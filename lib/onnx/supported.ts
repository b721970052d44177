/**
 * Op types (default ONNX domain, opset 7 and newer) that the runtime executes: what the
 * torchvision classification families (ResNet, ResNeXt, Wide ResNet, MobileNetV2/V3,
 * EfficientNet, RegNet, ShuffleNetV2, SqueezeNet, DenseNet, VGG, ConvNeXt, MNASNet) and common
 * timm blocks need when exported at opsets 11-18. The reader rejects any other op with
 * ERR_NAX_ONNX_UNSUPPORTED, listing every unsupported node at once.
 */
export const supportedOps: readonly string[] = [
  // crossbar layers (native; on crossbars in crossbar mode)
  'Conv', 'ConvTranspose', 'Gemm', 'MatMul',
  // pooling (native)
  'MaxPool', 'AveragePool', 'GlobalAveragePool', 'GlobalMaxPool',
  // elementwise arithmetic, comparison and logic
  'Add', 'Sub', 'Mul', 'Div', 'Pow', 'Max', 'Min', 'Sum', 'Mean', 'Neg', 'Abs', 'Exp', 'Log', 'Sqrt', 'Reciprocal',
  'Floor', 'Ceil', 'Round', 'Sign', 'Erf', 'Equal', 'Less', 'LessOrEqual', 'Greater', 'GreaterOrEqual', 'And', 'Or', 'Xor',
  'Not', 'Where',
  // activations
  'Relu', 'Clip', 'LeakyRelu', 'PRelu', 'Sigmoid', 'Tanh', 'HardSigmoid', 'HardSwish', 'Gelu', 'Elu', 'Selu', 'Softplus',
  'Softsign', 'Mish', 'Softmax', 'LogSoftmax',
  // normalisation and regularisation (inference)
  'BatchNormalization', 'LayerNormalization', 'Dropout', 'Identity',
  // reductions
  'ReduceMean', 'ReduceSum', 'ReduceMax', 'ReduceMin', 'ReduceProd', 'ReduceSumSquare', 'ReduceL1', 'ReduceL2', 'ReduceLogSumExp',
  // layout, shape and resampling
  'Flatten', 'Reshape', 'Pad', 'Concat', 'Split', 'Transpose', 'Expand', 'Tile', 'Constant', 'ConstantOfShape', 'Shape', 'Size',
  'Gather', 'Slice', 'Unsqueeze', 'Squeeze', 'Cast', 'Range', 'Resize', 'Upsample', 'Einsum',
];
