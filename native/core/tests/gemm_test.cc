// sgemm/dgemm against a naive triple loop in long double: odd shapes (edge
// tiles, several K blocks, narrow and wide C), all transposes, strides,
// alpha/beta, thread counts; and bit-identical results for 1, 2 and 4 threads.
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "check.h"
#include "gemm.h"
#include "rng.h"

namespace {

template <typename T>
std::vector<T> randomValues(std::size_t count, std::uint64_t seed) {
  nax::Rng rng(seed);
  std::vector<T> v(count);
  for (T& x : v) x = static_cast<T>(2 * rng.uniform() - 1);
  return v;
}

template <typename T>
void gemm(bool transA, bool transB, std::size_t m, std::size_t n, std::size_t k, T alpha, const T* a, std::size_t lda,
          const T* b, std::size_t ldb, T beta, T* c, std::size_t ldc, int threads) {
  if constexpr (std::is_same_v<T, float>)
    nax::sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, threads);
  else
    nax::dgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, threads);
}

struct Shape {
  std::size_t m, n, k;
};
// m past the register tile (6 or 14 rows), n narrow (A read in place) and wide
// (A packed), k across the fixed K blocks (384 float, 256 double).
const Shape kShapes[] = {{1, 1, 1},   {3, 5, 7},    {13, 33, 17}, {29, 31, 400}, {50, 70, 385},
                         {100, 3, 9}, {3, 300, 800}, {15, 64, 1},  {37, 257, 520}, {200, 129, 65}};

template <typename T>
void checkAgainstReference(const char* precision) {
  const double eps = std::numeric_limits<T>::epsilon();
  std::uint64_t seed = 1;
  for (const Shape& s : kShapes)
    for (bool transA : {false, true})
      for (bool transB : {false, true})
        for (const auto& [alpha, beta] : {std::pair<double, double>{1, 0}, {0.7, 0.3}, {-2, 1}}) {
          const std::size_t m = s.m, n = s.n, k = s.k;
          const std::size_t lda = (transA ? m : k) + 3, ldb = (transB ? k : n) + 1, ldc = n + 2;
          const auto A = randomValues<T>((transA ? k : m) * lda, seed++);
          const auto B = randomValues<T>((transB ? n : k) * ldb, seed++);
          auto C = randomValues<T>(m * ldc, seed++);
          if (beta == 0)
            for (std::size_t i = 0; i < m; ++i)
              for (std::size_t j = 0; j < n; ++j) C[i * ldc + j] = std::numeric_limits<T>::quiet_NaN();  // never read
          const auto C0 = C;
          const int threads = static_cast<int>(seed % 3) + 1;
          gemm<T>(transA, transB, m, n, k, static_cast<T>(alpha), A.data(), lda, B.data(), ldb, static_cast<T>(beta),
                  C.data(), ldc, threads);
          std::size_t bad = 0;
          for (std::size_t i = 0; i < m; ++i) {
            for (std::size_t j = 0; j < n; ++j) {
              long double dot = 0, mag = 0;
              for (std::size_t p = 0; p < k; ++p) {
                const long double x = transA ? A[p * lda + i] : A[i * lda + p];
                const long double y = transB ? B[j * ldb + p] : B[p * ldb + j];
                dot += x * y;
                mag += std::fabs(x * y);
              }
              const long double c0 = beta == 0 ? 0 : static_cast<long double>(C0[i * ldc + j]);
              const long double want = alpha * dot + beta * c0;
              const double tol = 2.0 * (k + 2) * eps * (std::fabs(alpha) * mag + std::fabs(beta * c0));
              if (!(std::fabs(C[i * ldc + j] - want) <= tol)) ++bad;
            }
            // Padding between rows is untouched.
            for (std::size_t j = n; j < ldc; ++j)
              if (!(C[i * ldc + j] == C0[i * ldc + j])) ++bad;
          }
          if (bad)
            std::fprintf(stderr, "  %s %zux%zux%zu transA=%d transB=%d alpha=%g beta=%g: %zu bad\n", precision, m, n,
                         k, transA, transB, alpha, beta, bad);
          CHECK_EQ(bad, 0u);
        }
}

TEST_CASE("sgemm matches a naive triple loop") { checkAgainstReference<float>("f32"); }
TEST_CASE("dgemm matches a naive triple loop") { checkAgainstReference<double>("f64"); }

template <typename T>
void checkThreadsBitIdentical() {
  const Shape shapes[] = {{300, 64, 576}, {517, 300, 70}, {64, 1000, 390}, {7, 9, 11}};
  std::uint64_t seed = 77;
  for (const Shape& s : shapes)
    for (bool transA : {false, true})
      for (bool transB : {false, true}) {
        const auto A = randomValues<T>(s.m * s.k, seed++);
        const auto B = randomValues<T>(s.k * s.n, seed++);
        const auto C0 = randomValues<T>(s.m * s.n, seed++);
        const std::size_t lda = transA ? s.m : s.k, ldb = transB ? s.k : s.n;
        std::vector<T> one = C0;
        gemm<T>(transA, transB, s.m, s.n, s.k, T(0.5), A.data(), lda, B.data(), ldb, T(0.25), one.data(), s.n, 1);
        for (int threads : {2, 4}) {
          std::vector<T> many = C0;
          gemm<T>(transA, transB, s.m, s.n, s.k, T(0.5), A.data(), lda, B.data(), ldb, T(0.25), many.data(), s.n,
                  threads);
          CHECK(many == one);
        }
        // A row's result does not depend on how many rows are in the call.
        std::vector<T> rows(5 * s.n);
        std::copy(C0.begin() + 2 * s.n, C0.begin() + 7 * s.n, rows.begin());
        if (s.m >= 7) {
          const T* a = transA ? A.data() + 2 : A.data() + 2 * lda;
          gemm<T>(transA, transB, 5, s.n, s.k, T(0.5), a, lda, B.data(), ldb, T(0.25), rows.data(), s.n, 2);
          CHECK(std::equal(rows.begin(), rows.end(), one.begin() + 2 * s.n));
        }
      }
}

TEST_CASE("sgemm results are bit-identical for 1, 2 and 4 threads") { checkThreadsBitIdentical<float>(); }
TEST_CASE("dgemm results are bit-identical for 1, 2 and 4 threads") { checkThreadsBitIdentical<double>(); }

// The transposed B panels are packed with 8 x 8 register transposes (AVX) and the rest column by
// column: a product with transB must equal the same product on B^T written out, bit for bit
// (packing only moves data). Shapes with partial 8-blocks of columns and of k.
TEST_CASE("sgemm with transB equals sgemm on the explicit transpose, bit for bit") {
  const Shape shapes[] = {{16, 144, 840}, {13, 33, 17}, {64, 53, 300}, {300, 64, 576}, {5, 7, 9}};
  std::uint64_t seed = 901;
  for (const Shape& s : shapes) {
    const auto A = randomValues<float>(s.m * s.k, seed++);
    const auto Bt = randomValues<float>(s.n * (s.k + 3), seed++);  // op(B) columns, ldb = k + 3
    std::vector<float> B(s.k * s.n);
    for (std::size_t j = 0; j < s.n; ++j)
      for (std::size_t p = 0; p < s.k; ++p) B[p * s.n + j] = Bt[j * (s.k + 3) + p];
    std::vector<float> viaTrans(s.m * s.n), viaPlain(s.m * s.n);
    nax::sgemm(false, true, s.m, s.n, s.k, 1.0f, A.data(), s.k, Bt.data(), s.k + 3, 0.0f, viaTrans.data(), s.n, 1);
    nax::sgemm(false, false, s.m, s.n, s.k, 1.0f, A.data(), s.k, B.data(), s.n, 0.0f, viaPlain.data(), s.n, 1);
    CHECK(viaTrans == viaPlain);
  }
}

TEST_CASE("k = 0 or alpha = 0 scales C by beta; empty shapes do nothing") {
  std::vector<float> c = {1, 2, 3, 4, 5, 6};
  nax::sgemm(false, false, 2, 3, 0, 1.0f, nullptr, 1, nullptr, 3, 2.0f, c.data(), 3);
  CHECK((c == std::vector<float>{2, 4, 6, 8, 10, 12}));
  const std::vector<float> a(4, 1.0f), b(6, 1.0f);
  nax::sgemm(false, false, 2, 3, 2, 0.0f, a.data(), 2, b.data(), 3, 0.0f, c.data(), 3);
  CHECK((c == std::vector<float>(6, 0.0f)));
  nax::sgemm(false, false, 0, 3, 2, 1.0f, a.data(), 2, b.data(), 3, 0.0f, nullptr, 3);
  nax::sgemm(false, false, 2, 0, 2, 1.0f, a.data(), 2, b.data(), 3, 0.0f, nullptr, 3);
}

}  // namespace

NAX_TEST_MAIN("gemm")
