// Inference kernels of the graph executor (NCHW, float32, batches of images):
// convolution through im2col + nax::sgemm with fused bias and activation,
// max/average pooling, global average pooling, batched matmul, and the
// im2row / row-scatter steps that feed crossbar layers.
#pragma once
#include <cstddef>
#include <cstdint>

namespace nax {

enum class Activation : int { kNone = 0, kRelu = 1, kClip = 2, kLeakyRelu = 3 };

struct ActivationParams {
  Activation kind = Activation::kNone;
  float clipMin = 0, clipMax = 0;  // kClip
  float alpha = 0.01f;             // kLeakyRelu
};

struct Conv2dParams {
  int batch = 1;
  int inChannels = 0, height = 0, width = 0;
  int outChannels = 0, groups = 1;
  int kernelH = 1, kernelW = 1;
  int padTop = 0, padLeft = 0, padBottom = 0, padRight = 0;
  int strideH = 1, strideW = 1;
  int dilationH = 1, dilationW = 1;
  ActivationParams activation;
  int threads = 0;  // 0 = hardware concurrency
  // Depthwise convs (one input channel per group) take the direct kernel; false forces the
  // generic per-group im2col + sgemm path (the reference the direct kernel is tested against).
  bool depthwiseKernel = true;
  int outH() const;
  int outW() const;
};

// input: batch*inChannels*H*W; weights: outChannels*(inChannels/groups)*kh*kw
// (ONNX layout); bias: outChannels or nullptr; output: batch*outChannels*outH*outW.
void conv2dForward(const Conv2dParams& p, const float* input, const float* weights, const float* bias, float* output);

// Direct depthwise convolution (inChannels == groups): each output plane is a kh x kw stencil
// over its one input plane, accumulated row by row (stride-1 rows vectorise), bias and activation
// fused; planes run in parallel and each output is summed in the same order for any thread count.
void depthwiseConv2dForward(const Conv2dParams& p, const float* input, const float* weights, const float* bias,
                            float* output);

// ConvTranspose output scatter (col2im from pixel-major MVM results): rows holds, for group
// `group`, batch*H*W rows of n = (outChannels/groups)*kh*kw values ordered (c, ky, kx) (the
// ONNX weight layout [Cin, Cout/g, kh, kw]); row (b, iy, ix) adds value (c, ky, kx) into output
// (b, group*Cout/g + c, iy*strideH - padTop + ky*dilationH, ix*strideW - padLeft + kx*dilationW)
// when inside. Output (batch x outChannels x outH x outW) must be zeroed (or hold earlier groups).
struct ConvTransposeParams {
  int batch = 1;
  int inChannels = 0, height = 0, width = 0;  // the ConvTranspose input
  int outChannels = 0, groups = 1;
  int outH = 0, outW = 0;
  int kernelH = 1, kernelW = 1;
  int padTop = 0, padLeft = 0;
  int strideH = 1, strideW = 1;
  int dilationH = 1, dilationW = 1;
  int threads = 0;
};

void convTransposeScatter(const ConvTransposeParams& p, int group, const float* rows, float* output);

struct Pool2dParams {
  int batch = 1, channels = 0, height = 0, width = 0;
  int outH = 0, outW = 0;  // computed by the caller (ceil_mode rules live in one place, lib/runtime/shapes.ts)
  int kernelH = 1, kernelW = 1;
  int padTop = 0, padLeft = 0, padBottom = 0, padRight = 0;
  int strideH = 1, strideW = 1;
  int dilationH = 1, dilationW = 1;
  bool isMax = true;
  bool countIncludePad = false;  // average pooling divisor
  int threads = 0;
};

void pool2dForward(const Pool2dParams& p, const float* input, float* output);

// Mean over `spatial` elements of each of `planes` planes.
void globalAveragePool(std::size_t planes, std::size_t spatial, const float* input, float* output, int threads);

// For b in [0, batch): out[b] (m x n) = a[aOffsets[b]] (m x k) * b[bOffsets[b]] (k x n).
void batchedMatmul(std::size_t batch, std::size_t m, std::size_t n, std::size_t k, const float* a,
                   const std::int64_t* aOffsets, const float* b, const std::int64_t* bOffsets, float* out,
                   int threads);

// Applies bias (per channel, `inner` elements per channel) and an activation in place.
void biasActivation(float* data, std::size_t batch, std::size_t channels, std::size_t inner, const float* bias,
                    const ActivationParams& act, int threads);

// Crossbar-mode input: for group g, rows[(b*P + p) * K + k] with K = (C/groups)*kh*kw, P = outH*outW.
void im2rowBatch(const Conv2dParams& p, int group, const float* input, float* rows);

// Crossbar-mode output: rows (batch*P x n, pixel-major) -> NCHW channels [group*n, group*n+n) of
// output (batch x outChannels x P), adding bias and applying the activation.
void scatterRows(std::size_t batch, std::size_t pixels, std::size_t n, std::size_t outChannels, int group,
                 const float* rows, const float* bias, const ActivationParams& act, float* output, int threads);

// out[i] = a[i] (op) b[i] for same-shape tensors, op 0 add, 1 sub, 2 mul; optional ReLU.
// out may alias a or b (in-place residual adds).
void elementwiseSame(int op, const float* a, const float* b, float* out, std::size_t n, bool relu, int threads);

}  // namespace nax
