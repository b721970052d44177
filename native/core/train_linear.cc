#include "train_linear.h"

#include "parallel.h"

namespace nax {
namespace train {

template <typename T>
void flattenForward(const Shape& in, const T* x, T* xf, int threads) {
  const std::size_t P = in.plane();
  parallelFor(static_cast<std::size_t>(in.c), threads, [&](std::size_t c0, std::size_t c1, int) {
    for (std::size_t c = c0; c < c1; ++c)
      for (int n = 0; n < in.n; ++n)
        for (std::size_t p = 0; p < P; ++p) xf[(c * P + p) * in.n + n] = x[(c * in.n + n) * P + p];
  });
}

template <typename T>
void flattenBackward(const Shape& in, const T* dxf, T* dx, int threads) {
  const std::size_t P = in.plane();
  parallelFor(static_cast<std::size_t>(in.c), threads, [&](std::size_t c0, std::size_t c1, int) {
    for (std::size_t c = c0; c < c1; ++c)
      for (int n = 0; n < in.n; ++n)
        for (std::size_t p = 0; p < P; ++p) dx[(c * in.n + n) * P + p] += dxf[(c * P + p) * in.n + n];
  });
}

template <typename T>
void linearForward(int inFeatures, int outFeatures, int n, const T* x, const T* w, const T* bias, T* y, int threads) {
  gemm(false, false, outFeatures, n, inFeatures, T(1), w, inFeatures, x, n, T(0), y, n, threads);
  if (bias)
    for (int o = 0; o < outFeatures; ++o)
      for (int j = 0; j < n; ++j) y[static_cast<std::size_t>(o) * n + j] += bias[o];
}

template <typename T>
void linearBackward(int inFeatures, int outFeatures, int n, const T* x, const T* w, const T* dy, T* dx, T* dw, T* db,
                    int threads) {
  gemm(false, true, outFeatures, inFeatures, n, T(1), dy, n, x, n, T(0), dw, inFeatures, threads);
  if (dx) gemm(true, false, inFeatures, n, outFeatures, T(1), w, inFeatures, dy, n, T(1), dx, n, threads);
  if (db)
    for (int o = 0; o < outFeatures; ++o) {
      double s = 0;
      for (int j = 0; j < n; ++j) s += dy[static_cast<std::size_t>(o) * n + j];
      db[o] = static_cast<T>(s);
    }
}

#define NAX_INSTANTIATE(T)                                                                          \
  template void flattenForward<T>(const Shape&, const T*, T*, int);                                 \
  template void flattenBackward<T>(const Shape&, const T*, T*, int);                                \
  template void linearForward<T>(int, int, int, const T*, const T*, const T*, T*, int);             \
  template void linearBackward<T>(int, int, int, const T*, const T*, const T*, T*, T*, T*, int);
NAX_INSTANTIATE(float)
NAX_INSTANTIATE(double)
#undef NAX_INSTANTIATE

}  // namespace train
}  // namespace nax
