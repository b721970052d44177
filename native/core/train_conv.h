// Conv2d forward/backward on CNHW batches: batched im2col + one GEMM per
// group of images. Square kernels, symmetric padding, any stride.
#pragma once
#include <vector>

#include "train_tensor.h"

namespace nax {
namespace train {

struct ConvShape {
  int cin = 0, cout = 0, kernel = 1, stride = 1, pad = 0;
  int outH(int h) const { return (h + 2 * pad - kernel) / stride + 1; }
  int outW(int w) const { return (w + 2 * pad - kernel) / stride + 1; }
  std::size_t patch() const { return static_cast<std::size_t>(cin) * kernel * kernel; }
};

// Per-call working memory, kept by the caller between batches.
template <typename T>
struct ConvScratch {
  std::vector<std::vector<T>> cols;  // one column buffer per worker
  std::vector<T> partial;            // per-chunk weight gradients
  std::vector<T> flippedWeight;      // data gradient: w flipped, cin/cout swapped (stride 1), or the phases' sub-kernels
};

// Images per GEMM group: bounded so a group's column matrix stays cache-sized.
// Depends only on shapes (never on threads), which keeps results deterministic.
int convGroupSize(const ConvShape& cs, const Shape& in);

// Whether convForward (and convBackward's weight gradient) run cs on `in` as an
// implicit GEMM, strided convs on phase planes, rather than through im2col.
bool convRunsImplicitly(const ConvShape& cs, const Shape& in);

// y (cout x N x OH x OW) = conv(x) [+ bias]. w is [cout][cin][k][k].
template <typename T>
void convForward(const ConvShape& cs, const Shape& in, const T* x, const T* w, const T* bias, T* y,
                 ConvScratch<T>& scratch, int threads);

// dx += d conv / dx (dx may be null); dw = d/dw (overwritten); db = d/dbias
// (overwritten, may be null).
template <typename T>
void convBackward(const ConvShape& cs, const Shape& in, const T* x, const T* w, const T* dy, T* dx, T* dw, T* db,
                  ConvScratch<T>& scratch, int threads);

// Column matrix of images [n0, n0+g): rows (c, kh, kw), columns (n, oy, ox).
template <typename T>
void im2colBatch(const ConvShape& cs, const Shape& in, const T* x, int n0, int g, T* cols, int threads);
// Accumulates a column matrix back into images [n0, n0+g) of dx.
template <typename T>
void col2imBatch(const ConvShape& cs, const Shape& in, const T* cols, int n0, int g, T* dx, int threads);

}  // namespace train
}  // namespace nax
