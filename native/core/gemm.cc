// Packed, cache-blocked GEMM (BLIS-style loop nest) with a register-blocked
// micro-kernel written in GCC/Clang vector extensions, so one source gives
// AVX-512, AVX2 or SSE code depending on the host flags (-march=native).
//
// Loop nest per worker:  jc (nc columns of C) -> pc (kc slice of K, B block
// packed once) -> ic (mc rows, A block packed) -> jr (NR) -> ir (MR) -> kernel.
//
// Determinism: every C element is computed by the same micro-kernel as
// sum_{p in kc block} a*b in increasing p (FMA chain), blocks folded into C in
// increasing pc order. Only kc is fixed; mc/nc/threads vary freely without
// changing any element's arithmetic. Edge tiles run the same kernel on a
// zero-padded temporary tile, so a row's result does not depend on m either.
#include "gemm.h"

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "aligned.h"
#include "parallel.h"
#include "simd.h"

namespace nax {
namespace {

template <typename T>
struct Kernel;

// Register budget: MR*NV accumulators + NV B vectors + 1 broadcast must fit
// the vector register file (32 zmm with AVX-512, 16 ymm/xmm otherwise).
template <>
struct Kernel<float> {
  using V = simd::Vec<float>;
  static constexpr int W = simd::kLanes<float>;
  static constexpr int NV = 2;
  static constexpr int MR = simd::kBytes == 64 ? 14 : 6;
  static constexpr int NR = W * NV;
  static constexpr std::size_t KC = 384;  // fixed: defines the summation order
  static constexpr std::size_t MC = MR * 24;
  static constexpr std::size_t NC = NR * 128;
};

template <>
struct Kernel<double> {
  using V = simd::Vec<double>;
  static constexpr int W = simd::kLanes<double>;
  static constexpr int NV = 2;
  static constexpr int MR = simd::kBytes == 64 ? 14 : 6;
  static constexpr int NR = W * NV;
  static constexpr std::size_t KC = 256;
  static constexpr std::size_t MC = MR * 12;
  static constexpr std::size_t NC = NR * 128;
};

// acc = sum_p Ap[p][0..MR) (x) Bp[p][0..NR); then C = alpha*acc + beta*C
// (first kc block: beta given, beta == 0 never reads C) or C += alpha*acc.
// A is read either packed (kDirectA = false: ap[p*MR + i]) or straight from
// op(A) with strides (kDirectA = true: ap[i*rsA + p*csA]); the arithmetic is
// the same either way, so the choice never changes a result.
template <typename T, bool kDirectA = false>
inline void microKernel(std::size_t kc, const T* __restrict ap, const T* __restrict bp, T* __restrict c,
                        std::size_t ldc, T alpha, T beta, bool first, std::size_t rsA = 0, std::size_t csA = 0) {
  using K = Kernel<T>;
  using V = typename K::V;
  constexpr int MR = K::MR, NV = K::NV, W = K::W;
  V acc[MR][NV];
#pragma GCC unroll 16
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) acc[i][v] = V{};
  for (std::size_t p = 0; p < kc; ++p) {
    V b[NV];
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) b[v] = simd::load<V>(bp + v * W);
#pragma GCC unroll 16
    for (int i = 0; i < MR; ++i) {
      const T a = kDirectA ? ap[i * rsA] : ap[i];
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) acc[i][v] += a * b[v];
    }
    ap += kDirectA ? csA : MR;
    bp += K::NR;
  }
#pragma GCC unroll 16
  for (int i = 0; i < MR; ++i) {
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) {
      T* cp = c + i * ldc + v * W;
      if (!first)
        simd::storeU(cp, alpha * acc[i][v] + simd::loadU<V>(cp));
      else if (beta == T(0))
        simd::storeU(cp, alpha * acc[i][v]);
      else
        simd::storeU(cp, alpha * acc[i][v] + beta * simd::loadU<V>(cp));
    }
  }
}

// Packs rows [0, mc) x cols [0, kc) of op(A) into MR-row micro-panels:
// panel r holds ap[p*MR + i] = op(A)(r*MR + i, p), zero-padded past mc.
template <typename T>
void packA(bool transA, const T* a, std::size_t lda, std::size_t mc, std::size_t kc, T* out) {
  constexpr int MR = Kernel<T>::MR;
  for (std::size_t r = 0; r < mc; r += MR) {
    const std::size_t rows = std::min<std::size_t>(MR, mc - r);
    if (!transA) {
      for (std::size_t i = 0; i < rows; ++i) {
        const T* src = a + (r + i) * lda;
        for (std::size_t p = 0; p < kc; ++p) out[p * MR + i] = src[p];
      }
      for (std::size_t i = rows; i < static_cast<std::size_t>(MR); ++i)
        for (std::size_t p = 0; p < kc; ++p) out[p * MR + i] = T(0);
    } else {
      for (std::size_t p = 0; p < kc; ++p) {
        const T* src = a + p * lda + r;
        T* dst = out + p * MR;
        std::size_t i = 0;
        for (; i < rows; ++i) dst[i] = src[i];
        for (; i < static_cast<std::size_t>(MR); ++i) dst[i] = T(0);
      }
    }
    out += kc * MR;
  }
}

// Packs op(B) rows [0, kc) x cols [0, nc) into NR-column micro-panels.
template <typename T>
void packB(bool transB, const T* b, std::size_t ldb, std::size_t kc, std::size_t nc, T* out) {
  constexpr int NR = Kernel<T>::NR;
  for (std::size_t s = 0; s < nc; s += NR) {
    const std::size_t cols = std::min<std::size_t>(NR, nc - s);
    if (!transB) {
      for (std::size_t p = 0; p < kc; ++p) {
        const T* src = b + p * ldb + s;
        T* dst = out + p * NR;
        std::size_t j = 0;
        for (; j < cols; ++j) dst[j] = src[j];
        for (; j < static_cast<std::size_t>(NR); ++j) dst[j] = T(0);
      }
    } else {
      for (std::size_t j = 0; j < cols; ++j) {
        const T* src = b + (s + j) * ldb;
        for (std::size_t p = 0; p < kc; ++p) out[p * NR + j] = src[p];
      }
      for (std::size_t j = cols; j < static_cast<std::size_t>(NR); ++j)
        for (std::size_t p = 0; p < kc; ++p) out[p * NR + j] = T(0);
    }
    out += kc * NR;
  }
}

template <typename T>
void scaleC(std::size_t m, std::size_t n, T beta, T* c, std::size_t ldc) {
  for (std::size_t i = 0; i < m; ++i) {
    T* row = c + i * ldc;
    if (beta == T(0))
      std::fill(row, row + n, T(0));
    else if (beta != T(1))
      for (std::size_t j = 0; j < n; ++j) row[j] *= beta;
  }
}

template <typename T>
void gemmBlocked(bool transA, bool transB, std::size_t m, std::size_t n, std::size_t k, T alpha, const T* a,
                 std::size_t lda, const T* b, std::size_t ldb, T beta, T* c, std::size_t ldc, int threads) {
  using K = Kernel<T>;
  constexpr std::size_t MR = K::MR, NR = K::NR, KC = K::KC;
  if (m == 0 || n == 0) return;
  if (k == 0 || alpha == T(0)) {
    scaleC(m, n, beta, c, ldc);
    return;
  }
  // Small products are not worth a thread start (~tens of microseconds).
  const double flops = 2.0 * static_cast<double>(m) * n * k;
  int workers = resolveThreads(threads);
  workers = static_cast<int>(std::max<double>(1, std::min<double>(workers, flops / 4e6)));

  // Split C into a grid of (mc x nc) blocks with at least `workers` blocks
  // when the shape allows; block sizes never change any element's arithmetic.
  std::size_t mc = std::min<std::size_t>(K::MC, (m + MR - 1) / MR * MR);
  std::size_t nc = std::min<std::size_t>(K::NC, (n + NR - 1) / NR * NR);
  auto blocks = [&]() { return ((m + mc - 1) / mc) * ((n + nc - 1) / nc); };
  while (blocks() < static_cast<std::size_t>(workers) && (mc > MR || nc > NR)) {
    if (mc > MR && (mc >= nc || nc <= NR))
      mc = std::max<std::size_t>(MR, (mc / 2 + MR - 1) / MR * MR);
    else
      nc = std::max<std::size_t>(NR, (nc / 2 + NR - 1) / NR * NR);
  }
  const std::size_t mBlocks = (m + mc - 1) / mc, nBlocks = (n + nc - 1) / nc;

  parallelFor(mBlocks * nBlocks, workers, [&](std::size_t t0, std::size_t t1, int) {
    const std::size_t kcMax = std::min(KC, k);
    AlignedArray<T> bBuffer(kcMax * nc), aBuffer(kcMax * mc);
    T* const bPack = bBuffer.data();
    T* const aPack = aBuffer.data();
    alignas(64) T tile[MR * NR];
    // Tasks are numbered jc-major, so each worker packs each B block once.
    for (std::size_t t = t0; t < t1;) {
      const std::size_t jb = t / mBlocks;
      const std::size_t icFirst = t % mBlocks;
      const std::size_t icEnd = std::min(mBlocks, icFirst + (t1 - t));
      const std::size_t j0 = jb * nc, ncCur = std::min(nc, n - j0);
      for (std::size_t p0 = 0; p0 < k; p0 += KC) {
        const std::size_t kc = std::min(KC, k - p0);
        const bool first = p0 == 0;
        packB(transB, transB ? b + j0 * ldb + p0 : b + p0 * ldb + j0, ldb, kc, ncCur, bPack);
        for (std::size_t ib = icFirst; ib < icEnd; ++ib) {
          const std::size_t i0 = ib * mc, mcCur = std::min(mc, m - i0);
          // Packing A pays off when each A panel meets many B panels; for
          // narrow C (conv layers with few output channels) read A in place.
          const bool directA = ncCur <= 8 * NR;
          const T* aBlock = transA ? a + p0 * lda + i0 : a + i0 * lda + p0;
          const std::size_t rsA = transA ? 1 : lda, csA = transA ? lda : 1;
          if (!directA) packA(transA, aBlock, lda, mcCur, kc, aPack);
          for (std::size_t jr = 0; jr < ncCur; jr += NR) {
            const std::size_t nr = std::min(NR, ncCur - jr);
            const T* bp = bPack + jr * kc;
            for (std::size_t ir = 0; ir < mcCur; ir += MR) {
              const std::size_t mr = std::min(MR, mcCur - ir);
              const T* ap = aPack + ir * kc;
              if (directA && mr < MR) {  // partial panel: pack it (zero rows past m)
                packA(transA, transA ? aBlock + ir : aBlock + ir * lda, lda, mr, kc, aPack);
                ap = aPack;
              }
              T* cp = c + (i0 + ir) * ldc + j0 + jr;
              if (mr == MR && nr == NR) {
                if (directA)
                  microKernel<T, true>(kc, transA ? aBlock + ir : aBlock + ir * lda, bp, cp, ldc, alpha, beta, first,
                                       rsA, csA);
                else
                  microKernel<T>(kc, ap, bp, cp, ldc, alpha, beta, first);
              } else if (directA && mr == MR) {
                for (std::size_t i = 0; i < mr; ++i) {
                  std::memcpy(tile + i * NR, cp + i * ldc, nr * sizeof(T));
                  std::fill(tile + i * NR + nr, tile + (i + 1) * NR, T(0));
                }
                microKernel<T, true>(kc, transA ? aBlock + ir : aBlock + ir * lda, bp, tile, NR, alpha, beta, first,
                                     rsA, csA);
                for (std::size_t i = 0; i < mr; ++i) std::memcpy(cp + i * ldc, tile + i * NR, nr * sizeof(T));
              } else {
                // Same kernel, same arithmetic, on a padded copy of the tile.
                for (std::size_t i = 0; i < mr; ++i) {
                  std::memcpy(tile + i * NR, cp + i * ldc, nr * sizeof(T));
                  std::fill(tile + i * NR + nr, tile + (i + 1) * NR, T(0));
                }
                for (std::size_t i = mr; i < MR; ++i) std::fill(tile + i * NR, tile + (i + 1) * NR, T(0));
                microKernel<T>(kc, ap, bp, tile, NR, alpha, beta, first);
                for (std::size_t i = 0; i < mr; ++i) std::memcpy(cp + i * ldc, tile + i * NR, nr * sizeof(T));
              }
            }
          }
        }
      }
      t += icEnd - icFirst;
    }
  });
}

}  // namespace

void sgemm(bool transA, bool transB, std::size_t m, std::size_t n, std::size_t k, float alpha, const float* a,
           std::size_t lda, const float* b, std::size_t ldb, float beta, float* c, std::size_t ldc, int threads) {
  gemmBlocked<float>(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, threads);
}

void dgemm(bool transA, bool transB, std::size_t m, std::size_t n, std::size_t k, double alpha, const double* a,
           std::size_t lda, const double* b, std::size_t ldb, double beta, double* c, std::size_t ldc,
           int threads) {
  gemmBlocked<double>(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, threads);
}

}  // namespace nax
