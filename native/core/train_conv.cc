// The column layout spans a group of images (K x g*P), unlike nax::im2col's
// one-image K x P, so each conv becomes one large GEMM per group instead of
// N small ones; rows are independent, so the parallel split is deterministic.
#include "train_conv.h"

#include <algorithm>
#include <cstring>

#include "parallel.h"

namespace nax {
namespace train {

namespace {
constexpr std::size_t kColumnBudget = std::size_t(1) << 17;  // elements: ~512 KB of floats, cache-resident
constexpr std::size_t kWeightGradChunks = 16;
}

int convGroupSize(const ConvShape& cs, const Shape& in) {
  const std::size_t perImage = cs.patch() * cs.outH(in.h) * cs.outW(in.w);
  std::size_t g = perImage == 0 ? 1 : kColumnBudget / perImage;
  return static_cast<int>(std::max<std::size_t>(1, std::min<std::size_t>(g, in.n)));
}

template <typename T>
void im2colBatch(const ConvShape& cs, const Shape& in, const T* x, int n0, int g, T* cols, int threads) {
  const int k = cs.kernel, oh = cs.outH(in.h), ow = cs.outW(in.w);
  const std::size_t P = static_cast<std::size_t>(oh) * ow, rowLen = P * g;
  parallelFor(cs.patch(), threads, [&](std::size_t r0, std::size_t r1, int) {
    for (std::size_t r = r0; r < r1; ++r) {
      const int c = static_cast<int>(r / (k * k)), kh = static_cast<int>((r / k) % k), kw = static_cast<int>(r % k);
      T* row = cols + r * rowLen;
      for (int n = 0; n < g; ++n) {
        const T* plane = x + (static_cast<std::size_t>(c) * in.n + n0 + n) * in.plane();
        T* out = row + n * P;
        for (int oy = 0; oy < oh; ++oy) {
          const int iy = oy * cs.stride - cs.pad + kh;
          T* orow = out + static_cast<std::size_t>(oy) * ow;
          if (iy < 0 || iy >= in.h) {
            std::memset(orow, 0, sizeof(T) * ow);
            continue;
          }
          const T* irow = plane + static_cast<std::size_t>(iy) * in.w;
          if (cs.stride == 1) {
            const int shift = kw - cs.pad;  // ix = ox + shift
            const int lo = std::max(0, -shift), hi = std::min(ow, in.w - shift);
            for (int ox = 0; ox < std::min(lo, ow); ++ox) orow[ox] = T(0);
            for (int ox = lo; ox < hi; ++ox) orow[ox] = irow[ox + shift];
            for (int ox = std::max(hi, lo); ox < ow; ++ox) orow[ox] = T(0);
          } else {
            for (int ox = 0; ox < ow; ++ox) {
              const int ix = ox * cs.stride - cs.pad + kw;
              orow[ox] = (ix >= 0 && ix < in.w) ? irow[ix] : T(0);
            }
          }
        }
      }
    }
  });
}

template <typename T>
void col2imBatch(const ConvShape& cs, const Shape& in, const T* cols, int n0, int g, T* dx, int threads) {
  const int k = cs.kernel, oh = cs.outH(in.h), ow = cs.outW(in.w);
  const std::size_t P = static_cast<std::size_t>(oh) * ow, rowLen = P * g;
  // One channel per task: every write to a channel comes from its own rows,
  // in a fixed order.
  parallelFor(static_cast<std::size_t>(cs.cin), threads, [&](std::size_t c0, std::size_t c1, int) {
    for (std::size_t c = c0; c < c1; ++c) {
      for (int kh = 0; kh < k; ++kh) {
        for (int kw = 0; kw < k; ++kw) {
          const T* row = cols + ((c * k + kh) * k + kw) * rowLen;
          for (int n = 0; n < g; ++n) {
            T* plane = dx + (c * in.n + n0 + n) * in.plane();
            const T* src = row + n * P;
            for (int oy = 0; oy < oh; ++oy) {
              const int iy = oy * cs.stride - cs.pad + kh;
              if (iy < 0 || iy >= in.h) continue;
              T* irow = plane + static_cast<std::size_t>(iy) * in.w;
              const T* crow = src + static_cast<std::size_t>(oy) * ow;
              // Valid ox: 0 <= ox*stride - pad + kw < w.
              const int shift = kw - cs.pad;
              const int lo = shift >= 0 ? 0 : (-shift + cs.stride - 1) / cs.stride;
              const int hi = std::min(ow, (in.w - 1 - shift) / cs.stride + 1);
              if (cs.stride == 1) {
                T* dst = irow + shift;
                for (int ox = lo; ox < hi; ++ox) dst[ox] += crow[ox];
              } else {
                for (int ox = lo; ox < hi; ++ox) irow[ox * cs.stride + shift] += crow[ox];
              }
            }
          }
        }
      }
    }
  });
}

// Work is split into groups of images whose column matrix fits in cache: each
// worker builds a group's columns and multiplies them right away (single-
// threaded GEMM), so the columns never travel through main memory.
template <typename T>
void convForward(const ConvShape& cs, const Shape& in, const T* x, const T* w, const T* bias, T* y,
                 ConvScratch<T>& scratch, int threads) {
  const std::size_t K = cs.patch(), P = static_cast<std::size_t>(cs.outH(in.h)) * cs.outW(in.w);
  const std::size_t NP = P * in.n;
  const int g = convGroupSize(cs, in);
  const std::size_t groups = (in.n + g - 1) / g;
  const bool direct = cs.kernel == 1 && cs.stride == 1 && cs.pad == 0;
  const int workers = static_cast<int>(std::min<std::size_t>(resolveThreads(threads), groups));
  if (scratch.cols.size() < static_cast<std::size_t>(workers)) scratch.cols.resize(workers);
  parallelFor(groups, workers, [&](std::size_t g0, std::size_t g1, int worker) {
    std::vector<T>& cols = scratch.cols[worker];
    if (!direct && cols.size() < K * P * g) cols.resize(K * P * g);
    for (std::size_t gi = g0; gi < g1; ++gi) {
      const int n0 = static_cast<int>(gi) * g, gn = std::min(g, in.n - n0);
      if (direct) {  // 1x1 stride-1 conv: the CNHW input already is the column matrix
        gemm(false, false, cs.cout, P * gn, K, T(1), w, K, x + n0 * P, NP, T(0), y + n0 * P, NP, 1);
        continue;
      }
      im2colBatch(cs, in, x, n0, gn, cols.data(), 1);
      gemm(false, false, cs.cout, P * gn, K, T(1), w, K, cols.data(), P * gn, T(0), y + n0 * P, NP, 1);
    }
  });
  if (bias) {
    parallelFor(static_cast<std::size_t>(cs.cout), threads, [&](std::size_t c0, std::size_t c1, int) {
      for (std::size_t c = c0; c < c1; ++c) {
        T* row = y + c * NP;
        const T b = bias[c];
        for (std::size_t i = 0; i < NP; ++i) row[i] += b;
      }
    });
  }
}

// Weight gradients are summed per fixed chunk of groups (the chunking depends
// only on shapes), then the chunks are added in order: bit-identical results
// for any thread count.
template <typename T>
void convBackward(const ConvShape& cs, const Shape& in, const T* x, const T* w, const T* dy, T* dx, T* dw, T* db,
                  ConvScratch<T>& scratch, int threads) {
  const std::size_t K = cs.patch(), P = static_cast<std::size_t>(cs.outH(in.h)) * cs.outW(in.w);
  const std::size_t NP = P * in.n, wSize = K * cs.cout;
  const int g = convGroupSize(cs, in);
  const std::size_t groups = (in.n + g - 1) / g;
  const std::size_t chunks = std::min<std::size_t>(groups, kWeightGradChunks);
  const bool direct = cs.kernel == 1 && cs.stride == 1 && cs.pad == 0;
  const int workers = static_cast<int>(std::min<std::size_t>(resolveThreads(threads), chunks));
  if (scratch.cols.size() < static_cast<std::size_t>(workers)) scratch.cols.resize(workers);
  if (scratch.partial.size() < chunks * wSize) scratch.partial.resize(chunks * wSize);
  T* partial = scratch.partial.data();
  parallelFor(chunks, workers, [&](std::size_t c0, std::size_t c1, int worker) {
    std::vector<T>& cols = scratch.cols[worker];
    if (cols.size() < K * P * g) cols.resize(K * P * g);
    for (std::size_t chunk = c0; chunk < c1; ++chunk) {
      T* dwChunk = partial + chunk * wSize;
      const std::size_t gBegin = groups * chunk / chunks, gEnd = groups * (chunk + 1) / chunks;
      for (std::size_t gi = gBegin; gi < gEnd; ++gi) {
        const int n0 = static_cast<int>(gi) * g, gn = std::min(g, in.n - n0);
        const T* dyg = dy + n0 * P;
        const T beta = gi == gBegin ? T(0) : T(1);
        if (direct) {
          gemm(false, true, cs.cout, K, P * gn, T(1), dyg, NP, x + n0 * P, NP, beta, dwChunk, K, 1);
          if (dx) gemm(true, false, K, P * gn, cs.cout, T(1), w, K, dyg, NP, T(1), dx + n0 * P, NP, 1);
          continue;
        }
        im2colBatch(cs, in, x, n0, gn, cols.data(), 1);
        gemm(false, true, cs.cout, K, P * gn, T(1), dyg, NP, cols.data(), P * gn, beta, dwChunk, K, 1);
        if (dx) {
          // dcols = W^T . dY_g, reusing the column buffer, then scattered back
          // into this group's own images.
          gemm(true, false, K, P * gn, cs.cout, T(1), w, K, dyg, NP, T(0), cols.data(), P * gn, 1);
          col2imBatch(cs, in, cols.data(), n0, gn, dx, 1);
        }
      }
    }
  });
  parallelFor(wSize, threads, [&](std::size_t i0, std::size_t i1, int) {
    for (std::size_t i = i0; i < i1; ++i) {
      T sum = partial[i];
      for (std::size_t c = 1; c < chunks; ++c) sum += partial[c * wSize + i];
      dw[i] = sum;
    }
  });
  if (db) {
    parallelFor(static_cast<std::size_t>(cs.cout), threads, [&](std::size_t c0, std::size_t c1, int) {
      for (std::size_t c = c0; c < c1; ++c) {
        const T* row = dy + c * NP;
        double s = 0;
        for (std::size_t i = 0; i < NP; ++i) s += row[i];
        db[c] = static_cast<T>(s);
      }
    });
  }
}

#define NAX_INSTANTIATE(T)                                                                                       \
  template void im2colBatch<T>(const ConvShape&, const Shape&, const T*, int, int, T*, int);                     \
  template void col2imBatch<T>(const ConvShape&, const Shape&, const T*, int, int, T*, int);                     \
  template void convForward<T>(const ConvShape&, const Shape&, const T*, const T*, const T*, T*, ConvScratch<T>&, \
                               int);                                                                             \
  template void convBackward<T>(const ConvShape&, const Shape&, const T*, const T*, const T*, T*, T*, T*,         \
                                ConvScratch<T>&, int);
NAX_INSTANTIATE(float)
NAX_INSTANTIATE(double)
#undef NAX_INSTANTIATE

}  // namespace train
}  // namespace nax
