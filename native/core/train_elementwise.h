// Elementwise training ops on flat buffers: ReLU and residual Add.
#pragma once
#include <cstddef>

namespace nax {
namespace train {

template <typename T>
void reluForward(std::size_t count, const T* x, T* y, int threads);
// dx += dy where the output was positive (overwrite: dx = that, dx's old contents unread).
template <typename T>
void reluBackward(std::size_t count, const T* y, const T* dy, T* dx, int threads, bool overwrite = false);

template <typename T>
void addForward(std::size_t count, const T* a, const T* b, T* y, int threads);
// dx += dy (used for both inputs of an Add; overwrite: dx = dy).
template <typename T>
void accumulate(std::size_t count, const T* dy, T* dx, int threads, bool overwrite = false);

}  // namespace train
}  // namespace nax
