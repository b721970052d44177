// The training convolutions on the CUDA library (native/cuda/nax_cuda.cu: implicit GEMM, no
// materialised im2col), same contract as train_conv.h's convForward / convBackward: results
// agree with them to float rounding (a different summation order), deterministic on a given
// GPU. Each call copies its operands to the GPU and back. Throws nax::Error(kConfig) when CUDA
// cannot run here.
#pragma once
#include "train_conv.h"

namespace nax {
namespace train {

template <typename T>
void convForwardCuda(const ConvShape& cs, const Shape& in, const T* x, const T* w, const T* bias, T* y);

template <typename T>
void convBackwardCuda(const ConvShape& cs, const Shape& in, const T* x, const T* w, const T* dy, T* dx, T* dw, T* db);

}  // namespace train
}  // namespace nax
