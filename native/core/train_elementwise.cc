#include "train_elementwise.h"

#include "parallel.h"

namespace nax {
namespace train {

template <typename T>
void reluForward(std::size_t count, const T* x, T* y, int threads) {
  parallelFor(count, threads, [&](std::size_t i0, std::size_t i1, int) {
    for (std::size_t i = i0; i < i1; ++i) y[i] = x[i] > T(0) ? x[i] : T(0);
  });
}

template <typename T>
void reluBackward(std::size_t count, const T* y, const T* dy, T* dx, int threads) {
  parallelFor(count, threads, [&](std::size_t i0, std::size_t i1, int) {
    for (std::size_t i = i0; i < i1; ++i) dx[i] += y[i] > T(0) ? dy[i] : T(0);
  });
}

template <typename T>
void addForward(std::size_t count, const T* a, const T* b, T* y, int threads) {
  parallelFor(count, threads, [&](std::size_t i0, std::size_t i1, int) {
    for (std::size_t i = i0; i < i1; ++i) y[i] = a[i] + b[i];
  });
}

template <typename T>
void accumulate(std::size_t count, const T* dy, T* dx, int threads) {
  parallelFor(count, threads, [&](std::size_t i0, std::size_t i1, int) {
    for (std::size_t i = i0; i < i1; ++i) dx[i] += dy[i];
  });
}

#define NAX_INSTANTIATE(T)                                                        \
  template void reluForward<T>(std::size_t, const T*, T*, int);                   \
  template void reluBackward<T>(std::size_t, const T*, const T*, T*, int);        \
  template void addForward<T>(std::size_t, const T*, const T*, T*, int);          \
  template void accumulate<T>(std::size_t, const T*, T*, int);
NAX_INSTANTIATE(float)
NAX_INSTANTIATE(double)
#undef NAX_INSTANTIATE

}  // namespace train
}  // namespace nax
