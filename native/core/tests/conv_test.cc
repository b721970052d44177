// Training convolution (train_conv.cc) against a naive direct convolution in
// long double, for the implicit-GEMM stride-1 path, the im2col path (stride 2,
// small images) and the baseline kernels (NAX_KERNELS=baseline): forward, data
// gradient and weight gradient, kernels 1/3/5/7 with several paddings. Also
// bit-identical results for 1, 2 and 3 threads, and the GEMM's row-offset B
// (sgemmTableB) against sgemm on the materialised matrix.
#include <cmath>
#include <cstring>
#include <vector>

#include "check.h"
#include "gemm.h"
#include "kernel_path.h"
#include "rng.h"
#include "train_conv.h"

namespace {

using nax::train::ConvScratch;
using nax::train::ConvShape;
using nax::train::Shape;

template <typename T>
std::vector<T> randomValues(std::size_t count, std::uint64_t seed) {
  nax::Rng rng(seed);
  std::vector<T> v(count);
  for (T& x : v) x = static_cast<T>(2 * rng.uniform() - 1);
  return v;
}

struct Case {
  int cin, cout, kernel, stride, pad, h, w, n;
};
// 3x3 at 32/16/8 (the ResNets' stages), 5 and 7 (elastic supernet), pad 0,
// odd sizes, stride 2 and a 5x5 on a 5x5 image (im2col), 1x1 with and without
// padding (padding past k-1: the data gradient cannot run implicitly), then
// strided shapes (implicit on phase planes, data gradients as per-phase GEMMs).
const Case kCases[] = {{3, 16, 3, 1, 1, 32, 32, 2}, {16, 32, 3, 1, 1, 16, 16, 3}, {32, 8, 3, 1, 1, 8, 8, 3},
                       {5, 7, 5, 1, 2, 13, 11, 2},  {4, 6, 7, 1, 3, 14, 14, 2},  {3, 5, 3, 1, 0, 9, 10, 2},
                       {6, 4, 3, 2, 1, 15, 15, 3},  {5, 9, 1, 2, 0, 8, 8, 2},    {4, 4, 1, 1, 0, 7, 7, 2},
                       {3, 4, 1, 1, 1, 6, 6, 2},    {2, 3, 5, 1, 1, 12, 12, 2}, {3, 3, 5, 1, 2, 5, 5, 2},
                       // Strided convs on phase planes: the ResNets' stage entries (3x3 and the 1x1
                       // shortcut), odd sizes, 5x5 and 7x7 (elastic), pad 0, stride 3, padding past k - 1.
                       {8, 16, 3, 2, 1, 28, 28, 2}, {6, 5, 1, 2, 0, 15, 15, 2}, {4, 6, 5, 2, 2, 14, 13, 2},
                       {3, 4, 7, 2, 3, 15, 15, 2},  {3, 5, 3, 2, 0, 9, 9, 2},     {3, 4, 3, 3, 1, 10, 11, 2},
                       {2, 3, 1, 2, 1, 6, 7, 2},    {4, 4, 7, 2, 3, 7, 7, 2}};

struct Reference {
  std::vector<long double> y, dx, dw;
};

// Naive CNHW convolution and its gradients for loss = sum(y * dy).
template <typename T>
Reference naive(const Case& c, const std::vector<T>& x, const std::vector<T>& w, const std::vector<T>& dy) {
  ConvShape cs{c.cin, c.cout, c.kernel, c.stride, c.pad};
  const int oh = cs.outH(c.h), ow = cs.outW(c.w), k = c.kernel;
  Reference r;
  r.y.assign(static_cast<std::size_t>(c.cout) * c.n * oh * ow, 0);
  r.dx.assign(x.size(), 0);
  r.dw.assign(w.size(), 0);
  for (int o = 0; o < c.cout; ++o)
    for (int s = 0; s < c.n; ++s)
      for (int oy = 0; oy < oh; ++oy)
        for (int ox = 0; ox < ow; ++ox) {
          const std::size_t yi = ((static_cast<std::size_t>(o) * c.n + s) * oh + oy) * ow + ox;
          for (int ci = 0; ci < c.cin; ++ci)
            for (int kh = 0; kh < k; ++kh)
              for (int kw = 0; kw < k; ++kw) {
                const int iy = oy * c.stride - c.pad + kh, ix = ox * c.stride - c.pad + kw;
                if (iy < 0 || iy >= c.h || ix < 0 || ix >= c.w) continue;
                const std::size_t xi = ((static_cast<std::size_t>(ci) * c.n + s) * c.h + iy) * c.w + ix;
                const std::size_t wi = ((static_cast<std::size_t>(o) * c.cin + ci) * k + kh) * k + kw;
                r.y[yi] += static_cast<long double>(w[wi]) * x[xi];
                r.dx[xi] += static_cast<long double>(w[wi]) * dy[yi];
                r.dw[wi] += static_cast<long double>(x[xi]) * dy[yi];
              }
        }
  return r;
}

template <typename T>
struct Result {
  std::vector<T> y, dx, dw;
};

template <typename T>
Result<T> run(const Case& c, const std::vector<T>& x, const std::vector<T>& w, const std::vector<T>& dy, int threads) {
  ConvShape cs{c.cin, c.cout, c.kernel, c.stride, c.pad};
  Shape in{c.cin, c.n, c.h, c.w};
  Result<T> r;
  r.y.assign(dy.size(), T(7));  // overwritten
  r.dx.assign(x.size(), T(0.5));  // accumulated into
  r.dw.assign(w.size(), T(9));  // overwritten
  ConvScratch<T> scratch;
  nax::train::convForward(cs, in, x.data(), w.data(), static_cast<const T*>(nullptr), r.y.data(), scratch, threads);
  nax::train::convBackward(cs, in, x.data(), w.data(), dy.data(), r.dx.data(), r.dw.data(), static_cast<T*>(nullptr),
                           scratch, threads);
  for (T& v : r.dx) v -= T(0.5);
  return r;
}

template <typename T>
double maxRelError(const std::vector<T>& got, const std::vector<long double>& want) {
  long double scale = 1;
  for (long double v : want) scale = std::max(scale, std::fabs(v));
  long double worst = 0;
  for (std::size_t i = 0; i < got.size(); ++i) worst = std::max(worst, std::fabs(got[i] - want[i]) / scale);
  return static_cast<double>(worst);
}

template <typename T>
void checkAgainstNaive(nax::KernelPath path, double tol) {
  nax::setKernelPath(path);
  std::uint64_t seed = 1;
  for (const Case& c : kCases) {
    ConvShape cs{c.cin, c.cout, c.kernel, c.stride, c.pad};
    const std::size_t ySize = static_cast<std::size_t>(c.cout) * c.n * cs.outH(c.h) * cs.outW(c.w);
    const auto x = randomValues<T>(static_cast<std::size_t>(c.cin) * c.n * c.h * c.w, seed++);
    const auto w = randomValues<T>(cs.patch() * c.cout, seed++);
    const auto dy = randomValues<T>(ySize, seed++);
    const Reference ref = naive(c, x, w, dy);
    const Result<T> got = run(c, x, w, dy, 2);
    CHECK(maxRelError(got.y, ref.y) < tol);
    CHECK(maxRelError(got.dx, ref.dx) < tol);
    CHECK(maxRelError(got.dw, ref.dw) < tol);
    for (int threads : {1, 3}) {
      const Result<T> other = run(c, x, w, dy, threads);
      CHECK(other.y == got.y);
      CHECK(other.dx == got.dx);
      CHECK(other.dw == got.dw);
    }
  }
  nax::setKernelPath(nax::KernelPath::Default);
}

TEST_CASE("float convolution matches a naive one (implicit-GEMM and im2col paths)") {
  checkAgainstNaive<float>(nax::KernelPath::Default, 2e-6);
}
TEST_CASE("double convolution matches a naive one (the gradient checks' precision)") {
  checkAgainstNaive<double>(nax::KernelPath::Default, 1e-14);
}
TEST_CASE("strided convs run implicitly on phase planes; only the baseline kernels use im2col for them") {
  for (const Case& c : kCases)
    if (c.stride > 1) CHECK(nax::train::convRunsImplicitly(ConvShape{c.cin, c.cout, c.kernel, c.stride, c.pad},
                                                           nax::train::Shape{c.cin, c.n, c.h, c.w}));
  // The ResNets' stage entries at their real sizes: 3x3 and 1x1 stride 2, 28 -> 14 and 14 -> 7.
  CHECK(nax::train::convRunsImplicitly(ConvShape{16, 32, 3, 2, 1}, nax::train::Shape{16, 128, 28, 28}));
  CHECK(nax::train::convRunsImplicitly(ConvShape{32, 64, 1, 2, 0}, nax::train::Shape{32, 128, 14, 14}));
  nax::setKernelPath(nax::KernelPath::Baseline);
  CHECK(!nax::train::convRunsImplicitly(ConvShape{16, 32, 3, 2, 1}, nax::train::Shape{16, 128, 28, 28}));
  nax::setKernelPath(nax::KernelPath::Default);
}

TEST_CASE("the weight gradient is the same bits with and without the data gradient (fused same-conv pass)") {
  std::uint64_t seed = 77;
  for (const Case& c : kCases) {
    const ConvShape cs{c.cin, c.cout, c.kernel, c.stride, c.pad};
    const nax::train::Shape in{c.cin, c.n, c.h, c.w};
    const std::size_t ySize = static_cast<std::size_t>(c.cout) * c.n * cs.outH(c.h) * cs.outW(c.w);
    const auto x = randomValues<float>(static_cast<std::size_t>(c.cin) * c.n * c.h * c.w, seed++);
    const auto w = randomValues<float>(cs.patch() * c.cout, seed++);
    const auto dy = randomValues<float>(ySize, seed++);
    std::vector<float> dx(x.size(), 0.0f), dwWith(w.size()), dwWithout(w.size());
    ConvScratch<float> scratch;
    nax::train::convBackward(cs, in, x.data(), w.data(), dy.data(), dx.data(), dwWith.data(), static_cast<float*>(nullptr),
                             scratch, 2);
    nax::train::convBackward(cs, in, x.data(), w.data(), dy.data(), static_cast<float*>(nullptr), dwWithout.data(),
                             static_cast<float*>(nullptr), scratch, 2);
    CHECK(dwWith == dwWithout);
  }
}

TEST_CASE("baseline kernels still match a naive convolution") {
  checkAgainstNaive<float>(nax::KernelPath::Baseline, 2e-6);
}

TEST_CASE("the default and baseline forward passes differ only by rounding") {
  const Case c = kCases[0];
  ConvShape cs{c.cin, c.cout, c.kernel, c.stride, c.pad};
  const auto x = randomValues<float>(static_cast<std::size_t>(c.cin) * c.n * c.h * c.w, 11);
  const auto w = randomValues<float>(cs.patch() * c.cout, 12);
  const auto dy = randomValues<float>(static_cast<std::size_t>(c.cout) * c.n * c.h * c.w, 13);
  nax::setKernelPath(nax::KernelPath::Baseline);
  const Result<float> base = run(c, x, w, dy, 2);
  nax::setKernelPath(nax::KernelPath::Default);
  const Result<float> now = run(c, x, w, dy, 2);
  double worst = 0;
  for (std::size_t i = 0; i < now.y.size(); ++i) worst = std::max(worst, double(std::fabs(now.y[i] - base.y[i])));
  CHECK(worst < 1e-5);
}

TEST_CASE("sgemmTableB equals sgemm on the matrix its offsets describe (rows, and columns of op(B))") {
  const std::size_t m = 19, n = 101, k = 450;  // k past one K block, n past several tiles
  const auto a = randomValues<float>(m * k, 21);
  const auto pool = randomValues<float>(5000, 22);
  std::vector<std::ptrdiff_t> rows(k);
  std::vector<float> b(k * n);
  for (std::size_t p = 0; p < k; ++p) {
    rows[p] = static_cast<std::ptrdiff_t>((p * 37) % (pool.size() - n));
    std::memcpy(b.data() + p * n, pool.data() + rows[p], n * sizeof(float));
  }
  std::vector<float> want(m * n, 1.0f), got(m * n, 1.0f);
  nax::sgemm(false, false, m, n, k, 0.5f, a.data(), k, b.data(), n, 2.0f, want.data(), n, 2);
  nax::sgemmTableB(false, m, n, k, 0.5f, a.data(), k, pool.data(), rows.data(), 2.0f, got.data(), n, 2);
  CHECK(got == want);
  // Transposed: column j of op(B) (k values) at pool + cols[j]; wantT against the explicit B^T.
  std::vector<std::ptrdiff_t> cols(n);
  std::vector<float> bt(n * k);
  for (std::size_t j = 0; j < n; ++j) {
    cols[j] = static_cast<std::ptrdiff_t>((j * 29) % (pool.size() - k));
    std::memcpy(bt.data() + j * k, pool.data() + cols[j], k * sizeof(float));
  }
  std::vector<float> wantT(m * n, 1.0f), gotT(m * n, 1.0f);
  nax::sgemm(false, true, m, n, k, 0.5f, a.data(), k, bt.data(), k, 2.0f, wantT.data(), n, 2);
  nax::sgemmTableB(true, m, n, k, 0.5f, a.data(), k, pool.data(), cols.data(), 2.0f, gotT.data(), n, 2);
  CHECK(gotT == wantT);
}

}  // namespace

NAX_TEST_MAIN("conv")
