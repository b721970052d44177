// Pooling on CNHW batches: max, average (padding excluded from the count, as
// ONNX AveragePool's default) and global average.
#pragma once
#include <cstdint>

#include "train_tensor.h"

namespace nax {
namespace train {

struct PoolShape {
  int kernel = 2, stride = 2, pad = 0;
  int outH(int h) const { return (h + 2 * pad - kernel) / stride + 1; }
  int outW(int w) const { return (w + 2 * pad - kernel) / stride + 1; }
};

// argmax: per output, the flat index of the chosen input within its plane.
template <typename T>
void maxPoolForward(const PoolShape& ps, const Shape& in, const T* x, T* y, std::int32_t* argmax, int threads);
template <typename T>
void maxPoolBackward(const PoolShape& ps, const Shape& in, const std::int32_t* argmax, const T* dy, T* dx, int threads);

template <typename T>
void avgPoolForward(const PoolShape& ps, const Shape& in, const T* x, T* y, int threads);
template <typename T>
void avgPoolBackward(const PoolShape& ps, const Shape& in, const T* dy, T* dx, int threads);

// y[c][n] = mean over the plane; dx += dy / plane.
template <typename T>
void globalAvgPoolForward(const Shape& in, const T* x, T* y, int threads);
template <typename T>
void globalAvgPoolBackward(const Shape& in, const T* dy, T* dx, int threads);

}  // namespace train
}  // namespace nax
