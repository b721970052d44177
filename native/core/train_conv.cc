// The column layout spans a group of images (K x g*P), unlike nax::im2col's
// one-image K x P, so each conv becomes one large GEMM per group instead of
// N small ones; rows are independent, so the parallel split is deterministic.
#include "train_conv.h"

#include <algorithm>
#include <cstring>

#include "kernel_path.h"
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

// Implicit GEMM (the im2col matrix is never formed; Chetlur et al., "cuDNN:
// efficient primitives for deep learning", 2014, sec. 3.1): each image is
// copied once into zero-padded planes, and row (c, kh, kw) of the column
// matrix is then those planes shifted by a per-row offset, read in place by
// the GEMM over "wide" output rows (the columns past each row's end are
// computed and dropped). Stride s > 1 first splits each channel into its s x s
// phases (polyphase decomposition: input row s*oy + kh - pad is row oy + q of
// phase p, kh - pad = s*q + p), so a strided conv is a stride-1 one on the
// phase planes and the same table GEMM runs it; for s = 1 the one phase is the
// padded image itself. Measured on the training bench's layers, im2col alone
// took about twice as long as the GEMM it fed, and col2im longer still; a 7x7
// stride-2 im2col copies each input value 12 times, the phases once.
struct PhaseLayout {
  int s = 1, qpad = 0, hq = 0, wq = 0;  // stride; padding rows/cols before phase row/col 0; plane rows, cols
  std::size_t plane = 0, size = 0;      // hq*wq; buffer elements (the GEMM reads up to qspan - 1 past the planes)
  std::vector<std::ptrdiff_t> rows;     // column-matrix row (c, kh, kw) -> offset in the planes
  std::vector<char> used;               // phase (ph, pw) read by some row
  std::vector<int> count;               // per column phase pw: image columns it holds, from column qpad on
};

// Tap offsets q of a stride-s conv's phases span [-qpad, qmax]: qpad = -floor(-pad / s),
// qmax = floor((k - 1 - pad) / s). A phase plane has out + qpad + qmax rows (columns).
struct PhaseSpan {
  int qpad, qmax;
};
PhaseSpan phaseSpan(const ConvShape& cs) {
  const int s = cs.stride, k = cs.kernel;
  return {(cs.pad + s - 1) / s, k - 1 - cs.pad >= 0 ? (k - 1 - cs.pad) / s : -((cs.pad - k + 1 + s - 1) / s)};
}

PhaseLayout phaseLayout(const ConvShape& cs, const Shape& in) {
  PhaseLayout L;
  const int s = cs.stride, k = cs.kernel;
  const PhaseSpan span = phaseSpan(cs);
  L.s = s;
  L.qpad = span.qpad;
  L.hq = cs.outH(in.h) + span.qmax + L.qpad;
  L.wq = cs.outW(in.w) + span.qmax + L.qpad;
  L.plane = static_cast<std::size_t>(L.hq) * L.wq;
  L.size = static_cast<std::size_t>(cs.cin) * s * s * L.plane + (span.qmax + L.qpad);
  L.rows.resize(cs.patch());
  L.used.assign(static_cast<std::size_t>(s) * s, 0);
  L.count.resize(s);
  for (int pw = 0; pw < s; ++pw) {
    const int lastJ = in.w - 1 - pw >= 0 ? (in.w - 1 - pw) / s + L.qpad : -1;
    L.count[pw] = std::max(0, std::min(L.wq, lastJ + 1) - L.qpad);
  }
  auto split = [&](int kk, int& phase, int& q) {  // kk - pad = s*q + phase, 0 <= phase < s
    const int d = kk - cs.pad;
    phase = ((d % s) + s) % s;
    q = (d - phase) / s;
  };
  for (int c = 0; c < cs.cin; ++c)
    for (int kh = 0; kh < k; ++kh)
      for (int kw = 0; kw < k; ++kw) {
        int ph, qh, pw, qw;
        split(kh, ph, qh);
        split(kw, pw, qw);
        L.used[ph * s + pw] = 1;
        L.rows[(static_cast<std::size_t>(c) * k + kh) * k + kw] = static_cast<std::ptrdiff_t>(
            ((static_cast<std::size_t>(c) * s + ph) * s + pw) * L.plane + static_cast<std::size_t>(qh + L.qpad) * L.wq +
            (qw + L.qpad));
      }
  return L;
}

// Copies image n of x (CNHW) into its phase planes: phase (ph, pw) row i, col j
// holds x[s*(i - qpad) + ph][s*(j - qpad) + pw]. Entries outside the image are
// never written, so the buffer's zeros stay the padding. Input rows are read in
// order; stride 2 writes both column phases in one pass (a de-interleave the
// compiler vectorises).
template <typename T>
void fillPhases(const ConvShape& cs, const Shape& in, const PhaseLayout& L, const T* x, std::size_t n, T* planes) {
  const std::size_t inNP = in.plane() * in.n;
  const int s = L.s;
  const std::vector<int>& count = L.count;
  for (int c = 0; c < cs.cin; ++c) {
    const T* src = x + c * inNP + n * in.plane();
    T* channel = planes + static_cast<std::size_t>(c) * s * s * L.plane;
    for (int iy = 0; iy < in.h; ++iy) {
      const int ph = iy % s, i = iy / s + L.qpad;
      if (i >= L.hq) continue;
      const T* row = src + static_cast<std::size_t>(iy) * in.w;
      T* out = channel + static_cast<std::size_t>(ph) * s * L.plane + static_cast<std::size_t>(i) * L.wq + L.qpad;
      if (s == 1) {
        std::memcpy(out, row, sizeof(T) * count[0]);
      } else if (s == 2 && L.used[ph * 2] && L.used[ph * 2 + 1]) {
        T* __restrict o0 = out;
        T* __restrict o1 = out + L.plane;
        const int both = count[1];  // count[0] is count[1] or one more
        for (int t = 0; t < both; ++t) {
          o0[t] = row[2 * t];
          o1[t] = row[2 * t + 1];
        }
        if (count[0] > both) o0[both] = row[2 * both];
      } else {
        for (int pw = 0; pw < s; ++pw) {
          if (!L.used[ph * s + pw]) continue;
          T* o = out + static_cast<std::size_t>(pw) * L.plane;
          for (int t = 0; t < count[pw]; ++t) o[t] = row[s * t + pw];
        }
      }
    }
  }
}

template <typename T>
bool implicitConv(const ConvShape& cs, const Shape& in) {
  if (baselineKernels() || cs.stride < 1 || cs.pad < 0) return false;
  if (cs.kernel == 1 && cs.pad == 0 && cs.stride == 1) return false;  // already a plain GEMM on the input
  const int ow = cs.outW(in.w), oh = cs.outH(in.h);
  if (ow <= 0 || oh <= 0) return false;
  // The wide rows waste wq/ow of the work: worth it up to twice as much (im2col
  // costs about two GEMMs; a 7x7 kernel on a 7x7 map, 13/7, ran 2% faster
  // implicitly in the elastic supernet's step).
  const PhaseSpan span = phaseSpan(cs);
  return ow + span.qmax + span.qpad <= 2 * ow;
}

// Adds (or copies) the first `cols` of each of `rows` wide rows (stride wq) into dst (stride cols).
template <typename T>
void addWideRows(const T* wide, std::size_t wq, int rows, int cols, T* dst, bool accumulate) {
  for (int r = 0; r < rows; ++r) {
    const T* sr = wide + static_cast<std::size_t>(r) * wq;
    T* d = dst + static_cast<std::size_t>(r) * cols;
    if (accumulate)
      for (int c = 0; c < cols; ++c) d[c] += sr[c];
    else
      std::memcpy(d, sr, sizeof(T) * cols);
  }
}

bool convRunsImplicitly(const ConvShape& cs, const Shape& in) { return implicitConv<float>(cs, in); }

// out[o][n][oy][ox] (+)= sum_{c,kh,kw} w[o][c][kh][kw] * x[c][n][s*oy - pad + kh][s*ox - pad + kw],
// one image per task (results do not depend on threads).
template <typename T>
void implicitConvImages(const ConvShape& cs, const Shape& in, const T* x, const T* w, T* out, bool accumulate,
                        std::vector<std::vector<T>>& buffers, int threads) {
  const int oh = cs.outH(in.h), ow = cs.outW(in.w);
  const PhaseLayout L = phaseLayout(cs, in);
  const std::size_t K = cs.patch(), wq = L.wq, wideN = static_cast<std::size_t>(oh) * wq;
  const std::size_t P = static_cast<std::size_t>(oh) * ow, NP = P * in.n;
  const std::size_t padSize = L.size, wideSize = static_cast<std::size_t>(cs.cout) * wideN;
  const int workers = static_cast<int>(std::min<std::size_t>(resolveThreads(threads), in.n));
  if (buffers.size() < static_cast<std::size_t>(workers)) buffers.resize(workers);
  parallelFor(static_cast<std::size_t>(in.n), workers, [&](std::size_t n0, std::size_t n1, int worker) {
    std::vector<T>& buffer = buffers[worker];
    if (buffer.size() < padSize + wideSize) buffer.resize(padSize + wideSize);
    T* padded = buffer.data();
    T* wide = padded + padSize;
    std::fill(padded, padded + padSize, T(0));
    for (std::size_t n = n0; n < n1; ++n) {
      fillPhases(cs, in, L, x, n, padded);
      gemmTableB(false, cs.cout, wideN, K, T(1), w, K, padded, L.rows.data(), T(0), wide, wideN, 1);
      for (int o = 0; o < cs.cout; ++o) addWideRows(wide + o * wideN, wq, oh, ow, out + o * NP + n * P, accumulate);
    }
  });
}

// Weight gradient without im2col: per image, dw += dYwide . Bᵀ, where dYwide
// is dy laid out on the wide rows (zeros in the dropped columns, so they add
// nothing) and column (c, kh, kw) of Bᵀ is the phase planes shifted as in the
// forward pass. Images are summed per fixed chunk (shape-dependent only) into
// partial, chunks x (cout x K).
//
// With flippedW (a stride-1 "same" conv, k - 1 = 2 pad: fusedSameGradients) the
// same pass also adds the data gradient into dx: each image's dy is padded once
// into the data gradient's planes (the flipped conv's input, pad k - 1 - pad =
// pad), and dYwide is read from those planes in place: row oy of channel o
// starts at (oy + pad) * wq + pad, wq = in.w + 2 pad on both sides, and the
// columns past a row's end are the next row's left padding, zero as the wide
// layout needs. So dy is copied once instead of twice and is still in cache for
// the data gradient's product, which is implicitConvImages' (the same GEMMs on
// the same values: bit for bit the unfused results).
bool fusedSameGradients(const ConvShape& cs) { return cs.stride == 1 && cs.kernel - 1 == 2 * cs.pad && cs.pad > 0; }

template <typename T>
void implicitWeightGradChunks(const ConvShape& cs, const Shape& in, const T* x, const T* dy, std::size_t chunks,
                              T* partial, std::vector<std::vector<T>>& buffers, int threads,
                              const T* flippedW = nullptr, T* dx = nullptr) {
  const int oh = cs.outH(in.h), ow = cs.outW(in.w);
  const bool withData = flippedW != nullptr;
  const ConvShape flipped{cs.cout, cs.cin, cs.kernel, 1, cs.kernel - 1 - cs.pad};
  const Shape dyShape{cs.cout, in.n, oh, ow};
  const PhaseLayout L = phaseLayout(cs, in);
  const PhaseLayout LD = withData ? phaseLayout(flipped, dyShape) : PhaseLayout{};
  const std::size_t K = cs.patch(), KD = flipped.patch(), wq = L.wq, wideN = static_cast<std::size_t>(oh) * wq;
  const std::size_t P = static_cast<std::size_t>(oh) * ow, NP = P * in.n, wSize = K * cs.cout;
  const std::size_t inP = in.plane(), inNP = inP * in.n;
  const std::size_t dxWideN = static_cast<std::size_t>(in.h) * LD.wq;  // the flipped conv's output rows
  // Second part of each worker's buffer: dYwide, or the padded dy planes and the data gradient's wide rows.
  const std::size_t padSize = L.size,
                    restSize = withData ? LD.size + static_cast<std::size_t>(cs.cin) * dxWideN
                                        : static_cast<std::size_t>(cs.cout) * wideN;
  const std::ptrdiff_t view = static_cast<std::ptrdiff_t>(cs.pad) * LD.wq + cs.pad;  // dy(0, 0) in the planes
  const int workers = static_cast<int>(std::min<std::size_t>(resolveThreads(threads), chunks));
  if (buffers.size() < static_cast<std::size_t>(workers)) buffers.resize(workers);
  parallelFor(chunks, workers, [&](std::size_t c0, std::size_t c1, int worker) {
    std::vector<T>& buffer = buffers[worker];
    if (buffer.size() < padSize + restSize) buffer.resize(padSize + restSize);
    T* padded = buffer.data();
    T* rest = padded + padSize;  // dYwide, or the padded dy planes then the data gradient's wide rows
    std::fill(padded, padded + padSize + (withData ? LD.size : restSize), T(0));
    const T* wide = withData ? rest + view : rest;
    const std::size_t ldWide = withData ? LD.plane : wideN;
    for (std::size_t chunk = c0; chunk < c1; ++chunk) {
      T* dwChunk = partial + chunk * wSize;
      const std::size_t nBegin = in.n * chunk / chunks, nEnd = in.n * (chunk + 1) / chunks;
      for (std::size_t n = nBegin; n < nEnd; ++n) {
        fillPhases(cs, in, L, x, n, padded);
        if (withData)
          fillPhases(flipped, dyShape, LD, dy, n, rest);
        else
          for (int o = 0; o < cs.cout; ++o)
            for (int oy = 0; oy < oh; ++oy)
              std::memcpy(rest + o * wideN + oy * wq, dy + o * NP + n * P + static_cast<std::size_t>(oy) * ow,
                          sizeof(T) * ow);
        gemmTableB(true, cs.cout, K, wideN, T(1), wide, ldWide, padded, L.rows.data(), n == nBegin ? T(0) : T(1),
                   dwChunk, K, 1);
        if (!withData) continue;
        T* wideOut = rest + LD.size;
        gemmTableB(false, cs.cin, dxWideN, KD, T(1), flippedW, KD, rest, LD.rows.data(), T(0), wideOut, dxWideN, 1);
        for (int c = 0; c < cs.cin; ++c) addWideRows(wideOut + c * dxWideN, LD.wq, in.h, in.w, dx + c * inNP + n * inP, true);
      }
    }
  });
}

// Data gradient of a strided conv without col2im. Input row s*a + p receives
// dy row oy exactly from the taps kh with s*oy = s*a + p + pad - kh, so phase p
// of dx is a stride-1 correlation of dy with those taps: row a of the phase
// reads dy row a + d, d = (p + pad - kh) / s. Per image and input phase (ph, pw)
// one table GEMM forms cin x (phase rows x wide dy columns) from the padded dy
// planes and the phase's sub-kernel (its taps' weights, transposed), and the
// phase is added into dx's strided positions: a copy of dx's size, where col2im
// scattered the whole column matrix (k^2 / s^2 times it).
struct StridedDataLayout {
  int s = 1, dmin = 0, hd = 0, wd = 0;      // stride; smallest tap offset; padded dy plane rows, cols
  std::size_t plane = 0, size = 0;          // hd*wd; dy buffer elements (+ the wide rows' overrun)
  std::vector<std::vector<int>> taps, offs;  // per phase p: taps kk and their dy offsets d
};

StridedDataLayout stridedDataLayout(const ConvShape& cs, const Shape& in) {
  StridedDataLayout L;
  const int s = cs.stride, k = cs.kernel;
  L.s = s;
  L.taps.resize(s);
  L.offs.resize(s);
  int dmin = 0, dmax = 0;
  bool any = false;
  for (int p = 0; p < s; ++p) {
    for (int kk = 0; kk < k; ++kk) {
      const int diff = p + cs.pad - kk;
      if (((diff % s) + s) % s != 0) continue;
      const int d = diff / s;  // exact
      L.taps[p].push_back(kk);
      L.offs[p].push_back(d);
      dmin = any ? std::min(dmin, d) : d;
      dmax = any ? std::max(dmax, d) : d;
      any = true;
    }
  }
  const int countH = (in.h + s - 1) / s, countW = (in.w + s - 1) / s;  // phase 0 has the most
  L.dmin = dmin;
  L.hd = countH + dmax - dmin;
  L.wd = countW + dmax - dmin;
  L.plane = static_cast<std::size_t>(L.hd) * L.wd;
  L.size = static_cast<std::size_t>(cs.cout) * L.plane + (dmax - dmin);
  return L;
}

template <typename T>
void implicitStridedDataGrad(const ConvShape& cs, const Shape& in, const StridedDataLayout& L, const T* w, const T* dy,
                             T* dx, std::vector<std::vector<T>>& buffers, std::vector<T>& phaseWeights, int threads) {
  const int s = cs.stride, k = cs.kernel, oh = cs.outH(in.h), ow = cs.outW(in.w);
  const std::size_t P = static_cast<std::size_t>(oh) * ow, NP = P * in.n, inNP = in.plane() * in.n;
  auto phaseRows = [&](int p, int extent) { return p < extent ? (extent - p + s - 1) / s : 0; };
  // Per phase (ph, pw): its sub-kernel, cin x (cout * taps), and its dy row offsets.
  struct Phase {
    int ph, pw, rowsA, colsB;
    std::size_t K, weight;  // rows of the column matrix; offset of its weights in phaseWeights
    std::vector<std::ptrdiff_t> rows;
  };
  std::vector<Phase> phases;
  std::size_t weightSize = 0;
  for (int ph = 0; ph < s; ++ph)
    for (int pw = 0; pw < s; ++pw) {
      const std::size_t nh = L.taps[ph].size(), nw = L.taps[pw].size();
      Phase f{ph, pw, phaseRows(ph, in.h), phaseRows(pw, in.w), cs.cout * nh * nw, weightSize, {}};
      if (f.K == 0 || f.rowsA == 0 || f.colsB == 0) continue;  // no tap reaches this phase: dx += 0
      f.rows.resize(f.K);
      for (int o = 0; o < cs.cout; ++o)
        for (std::size_t ih = 0; ih < nh; ++ih)
          for (std::size_t iw = 0; iw < nw; ++iw)
            f.rows[(o * nh + ih) * nw + iw] = static_cast<std::ptrdiff_t>(
                o * L.plane + static_cast<std::size_t>(L.offs[ph][ih] - L.dmin) * L.wd + (L.offs[pw][iw] - L.dmin));
      weightSize += static_cast<std::size_t>(cs.cin) * f.K;
      phases.push_back(std::move(f));
    }
  phaseWeights.resize(weightSize);
  for (const Phase& f : phases) {
    const std::size_t nh = L.taps[f.ph].size(), nw = L.taps[f.pw].size();
    T* a = phaseWeights.data() + f.weight;
    for (int c = 0; c < cs.cin; ++c)
      for (int o = 0; o < cs.cout; ++o)
        for (std::size_t ih = 0; ih < nh; ++ih)
          for (std::size_t iw = 0; iw < nw; ++iw)
            a[c * f.K + (o * nh + ih) * nw + iw] =
                w[((static_cast<std::size_t>(o) * cs.cin + c) * k + L.taps[f.ph][ih]) * k + L.taps[f.pw][iw]];
  }
  const std::size_t outSize = static_cast<std::size_t>(cs.cin) * ((in.h + s - 1) / s) * L.wd;
  const int workers = static_cast<int>(std::min<std::size_t>(resolveThreads(threads), in.n));
  if (buffers.size() < static_cast<std::size_t>(workers)) buffers.resize(workers);
  parallelFor(static_cast<std::size_t>(in.n), workers, [&](std::size_t n0, std::size_t n1, int worker) {
    std::vector<T>& buffer = buffers[worker];
    if (buffer.size() < L.size + outSize) buffer.resize(L.size + outSize);
    T* padded = buffer.data();
    T* out = padded + L.size;
    std::fill(padded, padded + L.size, T(0));
    // dy row y, column x of channel o at plane row y - dmin, column x - dmin (what lies past the
    // plane is never read).
    const int x0 = std::max(0, L.dmin), x1 = std::min(ow, L.wd + L.dmin);
    for (std::size_t n = n0; n < n1 && x1 > x0; ++n) {
      for (int o = 0; o < cs.cout; ++o)
        for (int y = 0; y < oh; ++y) {
          const int r = y - L.dmin;
          if (r < 0 || r >= L.hd) continue;
          std::memcpy(padded + o * L.plane + static_cast<std::size_t>(r) * L.wd + (x0 - L.dmin),
                      dy + o * NP + n * P + static_cast<std::size_t>(y) * ow + x0, sizeof(T) * (x1 - x0));
        }
      for (const Phase& f : phases) {
        const std::size_t wideN = static_cast<std::size_t>(f.rowsA) * L.wd;
        gemmTableB(false, cs.cin, wideN, f.K, T(1), phaseWeights.data() + f.weight, f.K, padded, f.rows.data(), T(0),
                   out, wideN, 1);
        for (int c = 0; c < cs.cin; ++c) {
          T* img = dx + c * inNP + n * in.plane();
          const T* src = out + c * wideN;
          for (int a = 0; a < f.rowsA; ++a) {
            T* row = img + static_cast<std::size_t>(s * a + f.ph) * in.w + f.pw;
            const T* sr = src + static_cast<std::size_t>(a) * L.wd;
            for (int b = 0; b < f.colsB; ++b) row[static_cast<std::size_t>(s) * b] += sr[b];
          }
        }
      }
    }
  });
}

// The stride-1 data gradient's weights: w flipped in kh and kw, cin and cout swapped.
template <typename T>
void flipWeights(const ConvShape& cs, const T* w, std::vector<T>& flipped) {
  const int k = cs.kernel;
  flipped.resize(cs.patch() * cs.cout);
  for (int o = 0; o < cs.cout; ++o)
    for (int c = 0; c < cs.cin; ++c)
      for (int kh = 0; kh < k; ++kh)
        for (int kw = 0; kw < k; ++kw)
          flipped[((static_cast<std::size_t>(c) * cs.cout + o) * k + (k - 1 - kh)) * k + (k - 1 - kw)] =
              w[((static_cast<std::size_t>(o) * cs.cin + c) * k + kh) * k + kw];
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
  if (implicitConv<T>(cs, in)) {
    implicitConvImages(cs, in, x, w, y, false, scratch.cols, threads);
  } else parallelFor(groups, workers, [&](std::size_t g0, std::size_t g1, int worker) {
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
  T* partial = nullptr;
  // Stride 1: the data gradient is itself a stride-1 convolution of dy (pad
  // k-1-pad) with the weights flipped and cin/cout swapped, run implicitly;
  // the column pass below then only forms dw.
  T* const dxFull = dx;
  const bool implicitData = dx && cs.stride == 1 && implicitConv<T>(cs, in) &&
                            implicitConv<T>(ConvShape{cs.cout, cs.cin, cs.kernel, 1, cs.kernel - 1 - cs.pad},
                                            Shape{cs.cout, in.n, cs.outH(in.h), cs.outW(in.w)});
  // The weight gradient runs implicitly wherever the forward pass does; a data
  // gradient that cannot (strided, or padding past k - 1) takes the column path
  // below without its im2col.
  const bool implicitWeights = implicitConv<T>(cs, in);
  // A strided data gradient as per-phase table GEMMs (implicitStridedDataGrad), where the dy
  // planes' wide rows waste at most twice the work.
  const StridedDataLayout stridedLayout =
      dx && cs.stride > 1 && implicitWeights ? stridedDataLayout(cs, in) : StridedDataLayout{};
  const bool stridedData = dx && cs.stride > 1 && implicitWeights &&
                           stridedLayout.wd <= 2 * ((in.w + cs.stride - 1) / cs.stride);
  const std::size_t weightChunks = implicitWeights ? std::min<std::size_t>(in.n, kWeightGradChunks) : chunks;
  if (scratch.partial.size() < weightChunks * wSize) scratch.partial.resize(weightChunks * wSize);
  partial = scratch.partial.data();
  if (implicitData || stridedData) dx = nullptr;
  // Stride-1 "same" convs with both gradients: one pass over the images (implicitWeightGradChunks).
  const bool fused = implicitData && implicitWeights && fusedSameGradients(cs);
  if (fused) {
    flipWeights(cs, w, scratch.flippedWeight);
    implicitWeightGradChunks(cs, in, x, dy, weightChunks, partial, scratch.cols, threads, scratch.flippedWeight.data(),
                             dxFull);
  } else if (implicitWeights) {
    implicitWeightGradChunks(cs, in, x, dy, weightChunks, partial, scratch.cols, threads);
  }
  if (!implicitWeights || dx) parallelFor(chunks, workers, [&](std::size_t c0, std::size_t c1, int worker) {
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
          if (!implicitWeights) gemm(false, true, cs.cout, K, P * gn, T(1), dyg, NP, x + n0 * P, NP, beta, dwChunk, K, 1);
          if (dx) gemm(true, false, K, P * gn, cs.cout, T(1), w, K, dyg, NP, T(1), dx + n0 * P, NP, 1);
          continue;
        }
        if (!implicitWeights) {
          im2colBatch(cs, in, x, n0, gn, cols.data(), 1);
          gemm(false, true, cs.cout, K, P * gn, T(1), dyg, NP, cols.data(), P * gn, beta, dwChunk, K, 1);
        }
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
      for (std::size_t c = 1; c < weightChunks; ++c) sum += partial[c * wSize + i];
      dw[i] = sum;
    }
  });
  if (implicitData && !fused) {
    const int k = cs.kernel;
    const ConvShape flipped{cs.cout, cs.cin, k, 1, k - 1 - cs.pad};
    flipWeights(cs, w, scratch.flippedWeight);
    implicitConvImages(flipped, Shape{cs.cout, in.n, cs.outH(in.h), cs.outW(in.w)}, dy, scratch.flippedWeight.data(),
                       dxFull, true, scratch.cols, threads);
  }
  if (stridedData)
    implicitStridedDataGrad(cs, in, stridedLayout, w, dy, dxFull, scratch.cols, scratch.flippedWeight, threads);
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
