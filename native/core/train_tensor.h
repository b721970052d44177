// Shared pieces of the training ops: the activation layout and a GEMM that
// dispatches on precision (float for training, double for gradient checks).
//
// Activations are stored CNHW ([channel][sample][y][x]) so that a whole
// batch of convolution patches forms one K x (N*P) matrix and each conv is a
// single large GEMM; BatchNorm statistics are then contiguous per channel.
#pragma once
#include <cstddef>
#include <cstdint>

#include "gemm.h"

namespace nax {
namespace train {

struct Shape {
  int c = 0, n = 0, h = 0, w = 0;
  std::size_t plane() const { return static_cast<std::size_t>(h) * w; }
  std::size_t perChannel() const { return static_cast<std::size_t>(n) * h * w; }
  std::size_t size() const { return static_cast<std::size_t>(c) * n * h * w; }
};

inline void gemm(bool ta, bool tb, std::size_t m, std::size_t n, std::size_t k, float alpha, const float* a,
                 std::size_t lda, const float* b, std::size_t ldb, float beta, float* c, std::size_t ldc,
                 int threads) {
  sgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, threads);
}
inline void gemm(bool ta, bool tb, std::size_t m, std::size_t n, std::size_t k, double alpha, const double* a,
                 std::size_t lda, const double* b, std::size_t ldb, double beta, double* c, std::size_t ldc,
                 int threads) {
  dgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, threads);
}

inline void gemmTableB(bool tb, std::size_t m, std::size_t n, std::size_t k, float alpha, const float* a,
                       std::size_t lda, const float* b, const std::ptrdiff_t* offsets, float beta, float* c,
                       std::size_t ldc, int threads) {
  sgemmTableB(tb, m, n, k, alpha, a, lda, b, offsets, beta, c, ldc, threads);
}
inline void gemmTableB(bool tb, std::size_t m, std::size_t n, std::size_t k, double alpha, const double* a,
                       std::size_t lda, const double* b, const std::ptrdiff_t* offsets, double beta, double* c,
                       std::size_t ldc, int threads) {
  dgemmTableB(tb, m, n, k, alpha, a, lda, b, offsets, beta, c, ldc, threads);
}

}  // namespace train
}  // namespace nax
