// Packed, cache-blocked GEMM (BLIS-style loop nest) with a register-blocked
// micro-kernel written in GCC/Clang vector extensions, so one source gives
// AVX-512, AVX2 or SSE code depending on the host flags (-march=native).
//
// Loop nest per worker:  jc (nc columns of C) -> pc (kc slice of K, B block
// packed once) -> ic (mc rows, A block packed) -> jr (NR) -> ir (MR) -> kernel.
//
// The register tile (MR rows x NR = NV vectors) is chosen per call from a
// short list so that C's padding to whole tiles is smallest (Goto & van de
// Geijn, "Anatomy of high-performance matrix multiplication", ACM TOMS 2008,
// sec. 6: the micro-tile is a free parameter within the register budget; BLIS
// registers several per architecture). The conv layers' products have 16, 32
// or 64 rows, where the fixed 14-row tile computed 28 rows for 16 (57% useful).
// Packing is skipped where it cannot pay: B is read in place (row-major, NR
// contiguous values per k) when few A panels meet each B panel, since packing
// then costs about as much as the FMAs it feeds.
//
// Determinism: every C element is computed by the same micro-kernel as
// sum_{p in kc block} a*b in increasing p (FMA chain), blocks folded into C in
// increasing pc order. Only kc is fixed; the tile, mc/nc, packed or in-place
// operands and threads vary freely without changing any element's arithmetic
// (so the baseline path, NAX_KERNELS=baseline, gives bit-identical products).
// Edge tiles run the same kernel on a zero-padded temporary tile, so a row's
// result does not depend on m either.
#include "gemm.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "aligned.h"
#include "kernel_path.h"
#include "parallel.h"
#include "simd.h"

#if defined(__AVX__)
#include <immintrin.h>
#endif

namespace nax {
namespace {

// Cache blocking per precision; KC fixes the summation order and never changes.
template <typename T>
struct Blocking;
template <>
struct Blocking<float> {
  static constexpr std::size_t KC = 384;
  static constexpr std::size_t MC = 336;   // rows of A per packed block (L2)
  static constexpr std::size_t NC = 4096;  // columns of B per packed block (L3)
};
template <>
struct Blocking<double> {
  static constexpr std::size_t KC = 256;
  static constexpr std::size_t MC = 168;
  static constexpr std::size_t NC = 2048;
};

// Register tiles. Budget: MR*NV accumulators + NV B vectors + 1 broadcast
// within the vector register file (32 zmm with AVX-512, 16 ymm/xmm otherwise).
// The first is the general-purpose tile (the only one before issue 16, and the
// baseline path's).
struct Tile {
  int mr, nv;
};
#if defined(__AVX512F__)
constexpr Tile kTiles[] = {{14, 2}, {8, 3}, {6, 4}, {28, 1}};
#else
constexpr Tile kTiles[] = {{6, 2}, {4, 3}, {12, 1}};
#endif
constexpr int kTileCount = sizeof(kTiles) / sizeof(kTiles[0]);

// The tile that pads m x n least (first on ties).
template <typename T>
int chooseTile(std::size_t m, std::size_t n) {
  if (baselineKernels()) return 0;
  int best = 0;
  double bestCells = 0;
  for (int t = 0; t < kTileCount; ++t) {
    const std::size_t mr = kTiles[t].mr, nr = static_cast<std::size_t>(kTiles[t].nv) * simd::kLanes<T>;
    const double cells = static_cast<double>((m + mr - 1) / mr * mr) * ((n + nr - 1) / nr * nr);
    if (t == 0 || cells < bestCells) best = t, bestCells = cells;
  }
  return best;
}

// acc = sum_p Ap[p][0..MR) (x) Bp[p][0..NR); then C = alpha*acc + beta*C
// (first kc block: beta given, beta == 0 never reads C) or C += alpha*acc.
// A is read either packed (kDirectA = false: ap[p*MR + i]) or straight from
// op(A) with strides (kDirectA = true: ap[i*rsA + p*csA]); B packed (bp[p*NR +
// j], aligned) or in place (kDirectB: bp[p*ldb + j]). The arithmetic is the
// same either way, so the choice never changes a result.
// B modes: packed panel, in place with a row stride, in place with a table of
// row offsets (implicit-GEMM convolution: row p of B is a shifted view of the
// padded image, never materialised as an im2col matrix).
enum BMode { kPackedB = 0, kStridedB = 1, kTableB = 2 };

// Kept out of line on purpose: inlined into gemmTiled's packing/loop lambda,
// GCC 12 ran out of the 16 ymm registers for the AVX2 4x3 tile (12
// accumulators + 3 B vectors + the A broadcast) and kept two accumulators on
// the stack, so every k step did an FMA from memory and a store back: a
// store-to-load-forwarding chain (perf on Zen 3). Out of line the register
// allocator sees only the kernel, no loop touches the stack (objdump scan of
// every instantiation) and an ideal ResNet-20 batch of 64 went 82 -> ~50 ms.
// The arithmetic (FMA order) is unchanged, so results are bit-identical.
#if defined(_MSC_VER)
#define NAX_KERNEL_NOINLINE __declspec(noinline)
#else
#define NAX_KERNEL_NOINLINE __attribute__((noinline))
#endif
template <typename T, int MR, int NV, bool kDirectA, int kB>
NAX_KERNEL_NOINLINE void microKernel(std::size_t kc, const T* __restrict ap, const T* __restrict bp,
                                     T* __restrict c, std::size_t ldc, T alpha, T beta, bool first,
                                     std::size_t rsA, std::size_t csA, std::size_t ldb,
                                     const std::ptrdiff_t* __restrict bRows) {
  using V = simd::Vec<T>;
  constexpr int W = simd::kLanes<T>, NR = W * NV;
  V acc[MR][NV];
#pragma GCC unroll 28
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) acc[i][v] = V{};
  for (std::size_t p = 0; p < kc; ++p) {
    V b[NV];
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v)
      b[v] = kB == kTableB    ? simd::loadU<V>(bp + bRows[p] + v * W)
             : kB == kStridedB ? simd::loadU<V>(bp + v * W)
                               : simd::load<V>(bp + v * W);
#pragma GCC unroll 28
    for (int i = 0; i < MR; ++i) {
      const T a = kDirectA ? ap[i * rsA] : ap[i];
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) acc[i][v] += a * b[v];
    }
    ap += kDirectA ? csA : MR;
    if (kB != kTableB) bp += kB == kStridedB ? ldb : NR;
  }
#pragma GCC unroll 28
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
void packA(int MR, bool transA, const T* a, std::size_t lda, std::size_t mc, std::size_t kc, T* out) {
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

// Packs op(B) rows [0, kc) x cols [0, nc) into NR-column micro-panels. With
// bRows, row p of op(B) starts at b + bRows[p] (not transposed) or column j
// of op(B) at b + bRows[j] (transposed).
// The transposed B panel's columns in blocks of 8 (columns j of op(B) are rows of B, contiguous
// in p): 8 x 8 register transposes instead of one strided scalar store per element. The weight
// gradient's product (C = dY . X^T, a small m of output channels) spent about a tenth of a
// training step in the scalar loop. Returns how many columns it packed (a multiple of 8; the
// caller packs the rest). Pure data movement: the packed panel is the same bit for bit.
template <typename T>
std::size_t packTransposed8(const T*, std::size_t, const std::ptrdiff_t*, std::size_t, std::size_t, std::size_t,
                            std::size_t, T*) {
  return 0;
}
#if defined(__AVX__)
template <>
std::size_t packTransposed8<float>(const float* b, std::size_t ldb, const std::ptrdiff_t* bRows, std::size_t s,
                                   std::size_t cols, std::size_t kc, std::size_t NR, float* out) {
  const std::size_t full = cols / 8 * 8;
  for (std::size_t j0 = 0; j0 < full; j0 += 8) {
    const float* src[8];
    for (int r = 0; r < 8; ++r) src[r] = bRows ? b + bRows[s + j0 + r] : b + (s + j0 + r) * ldb;
    std::size_t p = 0;
    for (; p + 8 <= kc; p += 8) {
      const __m256 r0 = _mm256_loadu_ps(src[0] + p), r1 = _mm256_loadu_ps(src[1] + p);
      const __m256 r2 = _mm256_loadu_ps(src[2] + p), r3 = _mm256_loadu_ps(src[3] + p);
      const __m256 r4 = _mm256_loadu_ps(src[4] + p), r5 = _mm256_loadu_ps(src[5] + p);
      const __m256 r6 = _mm256_loadu_ps(src[6] + p), r7 = _mm256_loadu_ps(src[7] + p);
      const __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1);
      const __m256 t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
      const __m256 t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5);
      const __m256 t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
      const __m256 u0 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(1, 0, 1, 0));
      const __m256 u1 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(3, 2, 3, 2));
      const __m256 u2 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(1, 0, 1, 0));
      const __m256 u3 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(3, 2, 3, 2));
      const __m256 u4 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(1, 0, 1, 0));
      const __m256 u5 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(3, 2, 3, 2));
      const __m256 u6 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(1, 0, 1, 0));
      const __m256 u7 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(3, 2, 3, 2));
      float* o = out + p * NR + j0;
      _mm256_storeu_ps(o + 0 * NR, _mm256_permute2f128_ps(u0, u4, 0x20));
      _mm256_storeu_ps(o + 1 * NR, _mm256_permute2f128_ps(u1, u5, 0x20));
      _mm256_storeu_ps(o + 2 * NR, _mm256_permute2f128_ps(u2, u6, 0x20));
      _mm256_storeu_ps(o + 3 * NR, _mm256_permute2f128_ps(u3, u7, 0x20));
      _mm256_storeu_ps(o + 4 * NR, _mm256_permute2f128_ps(u0, u4, 0x31));
      _mm256_storeu_ps(o + 5 * NR, _mm256_permute2f128_ps(u1, u5, 0x31));
      _mm256_storeu_ps(o + 6 * NR, _mm256_permute2f128_ps(u2, u6, 0x31));
      _mm256_storeu_ps(o + 7 * NR, _mm256_permute2f128_ps(u3, u7, 0x31));
    }
    for (; p < kc; ++p)
      for (int r = 0; r < 8; ++r) out[p * NR + j0 + r] = src[r][p];
  }
  return full;
}
#endif

template <typename T>
void packB(int NR, bool transB, const T* b, std::size_t ldb, std::size_t kc, std::size_t nc, T* out,
           const std::ptrdiff_t* bRows = nullptr) {
  for (std::size_t s = 0; s < nc; s += NR) {
    const std::size_t cols = std::min<std::size_t>(NR, nc - s);
    if (!transB) {
      for (std::size_t p = 0; p < kc; ++p) {
        const T* src = (bRows ? b + bRows[p] : b + p * ldb) + s;
        T* dst = out + p * NR;
        std::size_t j = 0;
        for (; j < cols; ++j) dst[j] = src[j];
        for (; j < static_cast<std::size_t>(NR); ++j) dst[j] = T(0);
      }
    } else {
      std::size_t j = 0;
      if (!baselineKernels()) j = packTransposed8(b, ldb, bRows, s, cols, kc, NR, out);
      for (; j < cols; ++j) {
        const T* src = bRows ? b + bRows[s + j] : b + (s + j) * ldb;
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

// Pack buffers kept per thread: the trainer calls single-threaded GEMMs on
// small groups thousands of times a step, and a fresh megabyte per call is an
// mmap + page faults each time.
template <typename T>
struct PackBuffers {
  AlignedArray<T> a, b;
};
template <typename T>
PackBuffers<T>& packBuffers() {
  thread_local PackBuffers<T> buffers;
  return buffers;
}

// One MR x NR tile of C at cp (mr x nr of it valid): runs the kernel in place
// when whole, else on a zero-padded copy (same arithmetic).
template <typename T, int MR, int NV, bool kDirectA, int kB>
inline void tileProduct(std::size_t mr, std::size_t nr, std::size_t kc, const T* ap, const T* bp, T* cp,
                        std::size_t ldc, T alpha, T beta, bool first, std::size_t rsA, std::size_t csA,
                        std::size_t ldb, const std::ptrdiff_t* bRows) {
  constexpr int NR = NV * simd::kLanes<T>;
  if (mr == static_cast<std::size_t>(MR) && nr == static_cast<std::size_t>(NR)) {
    microKernel<T, MR, NV, kDirectA, kB>(kc, ap, bp, cp, ldc, alpha, beta, first, rsA, csA, ldb, bRows);
    return;
  }
  alignas(64) T tile[MR * NR];
  for (std::size_t i = 0; i < mr; ++i) {
    std::memcpy(tile + i * NR, cp + i * ldc, nr * sizeof(T));
    std::fill(tile + i * NR + nr, tile + (i + 1) * NR, T(0));
  }
  for (std::size_t i = mr; i < static_cast<std::size_t>(MR); ++i) std::fill(tile + i * NR, tile + (i + 1) * NR, T(0));
  microKernel<T, MR, NV, kDirectA, kB>(kc, ap, bp, tile, NR, alpha, beta, first, rsA, csA, ldb, bRows);
  for (std::size_t i = 0; i < mr; ++i) std::memcpy(cp + i * ldc, tile + i * NR, nr * sizeof(T));
}

template <typename T, int MR, int NV>
void gemmTiled(bool transA, bool transB, std::size_t m, std::size_t n, std::size_t k, T alpha, const T* a,
               std::size_t lda, const T* b, std::size_t ldb, T beta, T* c, std::size_t ldc, int threads,
               const std::ptrdiff_t* bRowTable) {
  using Bk = Blocking<T>;
  constexpr std::size_t NR = static_cast<std::size_t>(NV) * simd::kLanes<T>;
  constexpr std::size_t KC = Bk::KC;
  const bool baseline = baselineKernels();
  // Small products are not worth a thread start (~tens of microseconds).
  const double flops = 2.0 * static_cast<double>(m) * n * k;
  int workers = resolveThreads(threads);
  workers = static_cast<int>(std::max<double>(1, std::min<double>(workers, flops / 4e6)));

  // Split C into a grid of (mc x nc) blocks with at least `workers` blocks
  // when the shape allows; block sizes never change any element's arithmetic.
  std::size_t mc = std::min<std::size_t>(Bk::MC / MR * MR, (m + MR - 1) / MR * MR);
  std::size_t nc = std::min<std::size_t>(Bk::NC / NR * NR, (n + NR - 1) / NR * NR);
  auto blocks = [&]() { return ((m + mc - 1) / mc) * ((n + nc - 1) / nc); };
  while (blocks() < static_cast<std::size_t>(workers) && (mc > MR || nc > NR)) {
    if (mc > MR && (mc >= nc || nc <= NR))
      mc = std::max<std::size_t>(MR, (mc / 2 + MR - 1) / MR * MR);
    else
      nc = std::max<std::size_t>(NR, (nc / 2 + NR - 1) / NR * NR);
  }
  const std::size_t mBlocks = (m + mc - 1) / mc, nBlocks = (n + nc - 1) / nc;
  // B in place when each of its panels meets at most a few A panels (small m,
  // the conv forward and the crossbar's narrow products).
  const bool directB = !transB && (bRowTable || (!baseline && (mc + MR - 1) / MR <= 8));
  constexpr int kInPlaceB = kStridedB;

  parallelFor(mBlocks * nBlocks, workers, [&](std::size_t t0, std::size_t t1, int) {
    const std::size_t kcMax = std::min(KC, k);
    PackBuffers<T>& buffers = packBuffers<T>();
    T* const bPack = buffers.b.reserve(kcMax * (directB ? NR : nc));
    T* const aPack = buffers.a.reserve(kcMax * mc);
    // Tasks are numbered jc-major, so each worker packs each B block once.
    for (std::size_t t = t0; t < t1;) {
      const std::size_t jb = t / mBlocks;
      const std::size_t icFirst = t % mBlocks;
      const std::size_t icEnd = std::min(mBlocks, icFirst + (t1 - t));
      const std::size_t j0 = jb * nc, ncCur = std::min(nc, n - j0);
      for (std::size_t p0 = 0; p0 < k; p0 += KC) {
        const std::size_t kc = std::min(KC, k - p0);
        const bool first = p0 == 0;
        const T* bBlock = bRowTable ? (transB ? b + p0 : b + j0) : transB ? b + j0 * ldb + p0 : b + p0 * ldb + j0;
        const std::ptrdiff_t* bRows = bRowTable ? bRowTable + (transB ? j0 : p0) : nullptr;
        // In place: only a partial last panel is packed (zero columns past n).
        const std::size_t fullCols = directB ? ncCur / NR * NR : 0;
        if (!directB)
          packB(static_cast<int>(NR), transB, bBlock, ldb, kc, ncCur, bPack, bRows);
        else if (fullCols < ncCur)
          packB(static_cast<int>(NR), false, bBlock + fullCols, ldb, kc, ncCur - fullCols, bPack, bRows);
        for (std::size_t ib = icFirst; ib < icEnd; ++ib) {
          const std::size_t i0 = ib * mc, mcCur = std::min(mc, m - i0);
          // Packing A pays off when each A panel meets many B panels; for
          // narrow C (conv layers with few output channels) read A in place.
          const bool directA = ncCur <= 8 * NR;
          const T* aBlock = transA ? a + p0 * lda + i0 : a + i0 * lda + p0;
          const std::size_t rsA = transA ? 1 : lda, csA = transA ? lda : 1;
          if (!directA) packA(MR, transA, aBlock, lda, mcCur, kc, aPack);
          for (std::size_t jr = 0; jr < ncCur; jr += NR) {
            const std::size_t nr = std::min(NR, ncCur - jr);
            const bool bInPlace = jr < fullCols;
            const T* bp = bInPlace ? bBlock + jr : directB ? bPack : bPack + jr * kc;
            for (std::size_t ir = 0; ir < mcCur; ir += MR) {
              const std::size_t mr = std::min<std::size_t>(MR, mcCur - ir);
              const T* ap = aPack + ir * kc;
              const T* aDirect = transA ? aBlock + ir : aBlock + ir * lda;
              bool aInPlace = directA;
              if (directA && mr < static_cast<std::size_t>(MR)) {  // partial panel: pack it (zero rows past m)
                packA(MR, transA, aDirect, lda, mr, kc, aPack);
                ap = aPack;
                aInPlace = false;
              }
              T* cp = c + (i0 + ir) * ldc + j0 + jr;
              if (bInPlace && bRowTable) {
                if (aInPlace)
                  tileProduct<T, MR, NV, true, kTableB>(mr, nr, kc, aDirect, bp, cp, ldc, alpha, beta, first, rsA,
                                                        csA, 0, bRows);
                else
                  tileProduct<T, MR, NV, false, kTableB>(mr, nr, kc, ap, bp, cp, ldc, alpha, beta, first, 0, 0, 0,
                                                         bRows);
              } else if (aInPlace && bInPlace)
                tileProduct<T, MR, NV, true, kInPlaceB>(mr, nr, kc, aDirect, bp, cp, ldc, alpha, beta, first, rsA,
                                                        csA, ldb, nullptr);
              else if (aInPlace)
                tileProduct<T, MR, NV, true, kPackedB>(mr, nr, kc, aDirect, bp, cp, ldc, alpha, beta, first, rsA,
                                                       csA, 0, nullptr);
              else if (bInPlace)
                tileProduct<T, MR, NV, false, kInPlaceB>(mr, nr, kc, ap, bp, cp, ldc, alpha, beta, first, 0, 0, ldb,
                                                         nullptr);
              else
                tileProduct<T, MR, NV, false, kPackedB>(mr, nr, kc, ap, bp, cp, ldc, alpha, beta, first, 0, 0, 0,
                                                        nullptr);
            }
          }
        }
      }
      t += icEnd - icFirst;
    }
  });
}

template <typename T>
void gemmBlocked(bool transA, bool transB, std::size_t m, std::size_t n, std::size_t k, T alpha, const T* a,
                 std::size_t lda, const T* b, std::size_t ldb, T beta, T* c, std::size_t ldc, int threads,
                 const std::ptrdiff_t* bRowTable = nullptr) {
  if (m == 0 || n == 0) return;
  if (k == 0 || alpha == T(0)) {
    scaleC(m, n, beta, c, ldc);
    return;
  }
  // Double precision (gradient checks, the circuit solver) keeps the general tile.
  const int tile = std::is_same<T, float>::value ? chooseTile<T>(m, n) : 0;
  switch (tile) {
#define NAX_TILE_CASE(i)                                                                                       \
  case i:                                                                                                      \
    if constexpr (i < kTileCount)                                                                              \
      return gemmTiled<T, kTiles[i].mr, kTiles[i].nv>(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, \
                                                       ldc, threads, bRowTable);                              \
    break;
    NAX_TILE_CASE(1)
    NAX_TILE_CASE(2)
    NAX_TILE_CASE(3)
#undef NAX_TILE_CASE
    default:
      break;
  }
  gemmTiled<T, kTiles[0].mr, kTiles[0].nv>(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, threads,
                                            bRowTable);
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

void sgemmTableB(bool transB, std::size_t m, std::size_t n, std::size_t k, float alpha, const float* a,
                 std::size_t lda, const float* b, const std::ptrdiff_t* bOffsets, float beta, float* c,
                 std::size_t ldc, int threads) {
  gemmBlocked<float>(false, transB, m, n, k, alpha, a, lda, b, 0, beta, c, ldc, threads, bOffsets);
}

void dgemmTableB(bool transB, std::size_t m, std::size_t n, std::size_t k, double alpha, const double* a,
                 std::size_t lda, const double* b, const std::ptrdiff_t* bOffsets, double beta, double* c,
                 std::size_t ldc, int threads) {
  gemmBlocked<double>(false, transB, m, n, k, alpha, a, lda, b, 0, beta, c, ldc, threads, bOffsets);
}

}  // namespace nax
