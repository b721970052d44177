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

// C (m x n) = alpha * A (m x k, row-major, lda) * op(B) + beta * C, where B is
// given by offsets instead of a stride: row p of op(B) is the n values from
// b + bOffsets[p] (transB false), or column j of op(B) the k values from
// b + bOffsets[j] (transB true); rows may overlap. This is implicit-GEMM
// convolution's product: the im2col matrix's rows are shifted views of a
// padded image. Same per-element arithmetic as sgemm.
void sgemmTableB(bool transB, std::size_t m, std::size_t n, std::size_t k, float alpha, const float* a,
                 std::size_t lda, const float* b, const std::ptrdiff_t* bOffsets, float beta, float* c,
                 std::size_t ldc, int threads = 1);
void dgemmTableB(bool transB, std::size_t m, std::size_t n, std::size_t k, double alpha, const double* a,
                 std::size_t lda, const double* b, const std::ptrdiff_t* bOffsets, double beta, double* c,
                 std::size_t ldc, int threads = 1);

}  // namespace nax
