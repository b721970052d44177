// Reference GEMM (to be replaced by a blocked, packed kernel). Kept simple and
// correct first: other kernels are tested against it.
#include "gemm.h"

#include "parallel.h"

namespace nax {

template <typename T>
static void gemmImpl(bool transA, bool transB, std::size_t m, std::size_t n, std::size_t k, T alpha,
                     const T* a, std::size_t lda, const T* b, std::size_t ldb, T beta, T* c, std::size_t ldc,
                     int threads) {
  parallelFor(m, threads, [&](std::size_t i0, std::size_t i1, int) {
    for (std::size_t i = i0; i < i1; ++i) {
      T* crow = c + i * ldc;
      if (beta == T(0)) {
        for (std::size_t j = 0; j < n; ++j) crow[j] = T(0);
      } else if (beta != T(1)) {
        for (std::size_t j = 0; j < n; ++j) crow[j] *= beta;
      }
      for (std::size_t p = 0; p < k; ++p) {
        T av = alpha * (transA ? a[p * lda + i] : a[i * lda + p]);
        if (av == T(0)) continue;
        if (!transB) {
          const T* brow = b + p * ldb;
          for (std::size_t j = 0; j < n; ++j) crow[j] += av * brow[j];
        } else {
          for (std::size_t j = 0; j < n; ++j) crow[j] += av * b[j * ldb + p];
        }
      }
    }
  });
}

void sgemm(bool transA, bool transB, std::size_t m, std::size_t n, std::size_t k, float alpha, const float* a,
           std::size_t lda, const float* b, std::size_t ldb, float beta, float* c, std::size_t ldc, int threads) {
  gemmImpl<float>(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, threads);
}

void dgemm(bool transA, bool transB, std::size_t m, std::size_t n, std::size_t k, double alpha, const double* a,
           std::size_t lda, const double* b, std::size_t ldb, double beta, double* c, std::size_t ldc,
           int threads) {
  gemmImpl<double>(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, threads);
}

}  // namespace nax
