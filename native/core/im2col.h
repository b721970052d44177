// im2col / col2im for NCHW convolutions (one image, one channel group).
// Shared by the inference runtime, the crossbar layers and the training ops.
#pragma once
#include <cstddef>

namespace nax {

struct ConvGeometry {
  int channels = 0;  // input channels of this group
  int height = 0, width = 0;
  int kernelH = 1, kernelW = 1;
  int padTop = 0, padLeft = 0, padBottom = 0, padRight = 0;
  int strideH = 1, strideW = 1;
  int dilationH = 1, dilationW = 1;
  int outH() const { return (height + padTop + padBottom - dilationH * (kernelH - 1) - 1) / strideH + 1; }
  int outW() const { return (width + padLeft + padRight - dilationW * (kernelW - 1) - 1) / strideW + 1; }
  // Rows of the column matrix: K = channels * kernelH * kernelW, ordered
  // (c, kh, kw) to match ONNX weight layout [N, C, kh, kw] flattened per output.
  std::size_t patchSize() const { return static_cast<std::size_t>(channels) * kernelH * kernelW; }
  std::size_t outPixels() const { return static_cast<std::size_t>(outH()) * outW(); }
};

// image: channels*height*width. cols: patchSize() x outPixels() (row-major,
// "K x P"): cols[k * P + p]. Padding reads as zero.
void im2col(const ConvGeometry& g, const float* image, float* cols);

// Transposed layout "P x K": rowsOut[p * K + k], the input matrix of an MVM
// where each output pixel is one input vector.
void im2row(const ConvGeometry& g, const float* image, float* rows);

// Accumulates (+=) a K x P column matrix back into image (gradient of im2col).
void col2im(const ConvGeometry& g, const float* cols, float* image);

}  // namespace nax
