// Elementwise training ops on flat buffers: ReLU and residual Add.
#pragma once
#include <cstddef>

namespace nax {
namespace train {

template <typename T>
void reluForward(std::size_t count, const T* x, T* y, int threads);
// dx += dy where the output was positive.
template <typename T>
void reluBackward(std::size_t count, const T* y, const T* dy, T* dx, int threads);

template <typename T>
void addForward(std::size_t count, const T* a, const T* b, T* y, int threads);
// dx += dy (used for both inputs of an Add).
template <typename T>
void accumulate(std::size_t count, const T* dy, T* dx, int threads);

}  // namespace train
}  // namespace nax
