// Dense matrix products used by the crossbar engine and the training kernels.
// Row-major throughout. C = alpha * op(A) * op(B) + beta * C.
#pragma once
#include <cstddef>
#include <cstdint>

namespace nax {

// Single precision. lda/ldb/ldc are row strides in elements. Deterministic:
// each output element's summation order is fixed regardless of threads.
void sgemm(bool transA, bool transB, std::size_t m, std::size_t n, std::size_t k, float alpha,
           const float* a, std::size_t lda, const float* b, std::size_t ldb, float beta, float* c,
           std::size_t ldc, int threads = 1);

// Double precision, used by the circuit solver.
void dgemm(bool transA, bool transB, std::size_t m, std::size_t n, std::size_t k, double alpha,
           const double* a, std::size_t lda, const double* b, std::size_t ldb, double beta, double* c,
           std::size_t ldc, int threads = 1);

// C (m x n) = alpha * A (m x k, row-major, lda) * B + beta * C, where row p of
// B is the n values starting at b + bRowOffsets[p] (rows may overlap). This is
// implicit-GEMM convolution's product: B's rows are shifted views of a padded
// image instead of an im2col matrix. Same per-element arithmetic as sgemm.
void sgemmRowsB(std::size_t m, std::size_t n, std::size_t k, float alpha, const float* a, std::size_t lda,
                const float* b, const std::ptrdiff_t* bRowOffsets, float beta, float* c, std::size_t ldc,
                int threads = 1);
void dgemmRowsB(std::size_t m, std::size_t n, std::size_t k, double alpha, const double* a, std::size_t lda,
                const double* b, const std::ptrdiff_t* bRowOffsets, double beta, double* c, std::size_t ldc,
                int threads = 1);

}  // namespace nax
