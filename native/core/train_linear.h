// Fully connected layer and the Flatten that feeds it. On the CNHW layout a
// flattened batch is a features x N matrix, so Linear is one GEMM.
#pragma once
#include <vector>

#include "train_tensor.h"

namespace nax {
namespace train {

// xf[(c*H + y)*W + x][n] = x[c][n][y][x]: ONNX Flatten order of an NCHW tensor.
template <typename T>
void flattenForward(const Shape& in, const T* x, T* xf, int threads);
template <typename T>
void flattenBackward(const Shape& in, const T* dxf, T* dx, int threads);

// y (out x N) = w (out x in) . x (in x N) + bias.
template <typename T>
void linearForward(int inFeatures, int outFeatures, int n, const T* x, const T* w, const T* bias, T* y, int threads);
// dx += w^T dy (dx may be null); dw, db overwritten.
template <typename T>
void linearBackward(int inFeatures, int outFeatures, int n, const T* x, const T* w, const T* dy, T* dx, T* dw, T* db,
                    int threads);

}  // namespace train
}  // namespace nax
