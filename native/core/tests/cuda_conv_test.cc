// The CUDA training convolutions against train_conv.h's CPU kernels on a real GPU: forward,
// data gradient (accumulated into dx), weight and bias gradients, in float and double, for
// 1x1/3x3/5x5/7x7 kernels, strides 1-2 and padding; and repeat runs bit for bit identical.
// Exits 77 (CTest: skipped) with a notice where no GPU or no CUDA library is found.
#include <cstring>

#include "check.h"
#include "cuda_backend.h"
#include "rng.h"
#include "train_conv.h"
#include "train_conv_cuda.h"

namespace {

using nax::train::ConvShape;
using nax::train::Shape;

template <typename T>
std::vector<T> randomVec(std::size_t n, std::uint64_t seed) {
  nax::Rng rng(seed);
  std::vector<T> v(n);
  for (T& x : v) x = static_cast<T>(rng.normal());
  return v;
}

// Largest |a - b| relative to the largest |b|.
template <typename T>
double relError(const std::vector<T>& a, const std::vector<T>& b) {
  double diff = 0, scale = 1e-30;
  for (std::size_t i = 0; i < a.size(); ++i) {
    diff = std::max(diff, std::fabs(static_cast<double>(a[i]) - b[i]));
    scale = std::max(scale, std::fabs(static_cast<double>(b[i])));
  }
  return diff / scale;
}

template <typename T>
void checkShape(ConvShape cs, Shape in, double tol) {
  const std::size_t K = cs.patch(), P = static_cast<std::size_t>(cs.outH(in.h)) * cs.outW(in.w);
  const auto x = randomVec<T>(static_cast<std::size_t>(cs.cin) * in.perChannel(), 1);
  const auto w = randomVec<T>(K * cs.cout, 2);
  const auto bias = randomVec<T>(cs.cout, 3);
  const auto dy = randomVec<T>(cs.cout * P * in.n, 4);
  std::vector<T> yCpu(cs.cout * P * in.n), yGpu(yCpu.size()), yGpu2(yCpu.size());
  nax::train::ConvScratch<T> scratch;
  nax::train::convForward(cs, in, x.data(), w.data(), bias.data(), yCpu.data(), scratch, 2);
  nax::train::convForwardCuda(cs, in, x.data(), w.data(), bias.data(), yGpu.data());
  nax::train::convForwardCuda(cs, in, x.data(), w.data(), bias.data(), yGpu2.data());
  const auto dx0 = randomVec<T>(x.size(), 5);  // dx accumulates
  std::vector<T> dxCpu = dx0, dxGpu = dx0, dwCpu(w.size()), dwGpu(w.size()), dwGpu2(w.size()), dbCpu(cs.cout),
                 dbGpu(cs.cout);
  nax::train::convBackward(cs, in, x.data(), w.data(), dy.data(), dxCpu.data(), dwCpu.data(), dbCpu.data(), scratch, 2);
  nax::train::convBackwardCuda(cs, in, x.data(), w.data(), dy.data(), dxGpu.data(), dwGpu.data(), dbGpu.data());
  nax::train::convBackwardCuda<T>(cs, in, x.data(), w.data(), dy.data(), nullptr, dwGpu2.data(), nullptr);
  const double ey = relError(yGpu, yCpu), edx = relError(dxGpu, dxCpu), edw = relError(dwGpu, dwCpu),
               edb = relError(dbGpu, dbCpu);
  std::printf("  %s cin %d cout %d k %d stride %d pad %d, n %d %dx%d: y %.2g dx %.2g dw %.2g db %.2g\n",
              sizeof(T) == 4 ? "float" : "double", cs.cin, cs.cout, cs.kernel, cs.stride, cs.pad, in.n, in.h, in.w, ey,
              edx, edw, edb);
  CHECK(ey < tol);
  CHECK(edx < tol);
  CHECK(edw < tol);
  CHECK(edb < tol);
  CHECK(std::memcmp(yGpu.data(), yGpu2.data(), yGpu.size() * sizeof(T)) == 0);
  CHECK(std::memcmp(dwGpu.data(), dwGpu2.data(), dwGpu.size() * sizeof(T)) == 0);
}

struct ShapeCase {
  ConvShape cs;
  Shape in;
};

std::vector<ShapeCase> shapes() {
  return {
      {{3, 16, 3, 1, 1}, {3, 8, 32, 32}},   // ResNet-20 stem
      {{16, 32, 3, 2, 1}, {16, 6, 17, 15}},  // strided, odd sizes
      {{16, 32, 1, 2, 0}, {16, 4, 16, 16}},  // 1x1 shortcut
      {{8, 8, 5, 1, 2}, {8, 3, 12, 12}},
      {{4, 6, 7, 1, 3}, {4, 2, 9, 11}},
      {{32, 64, 3, 1, 1}, {32, 16, 8, 8}},   // many weight-gradient chunks
  };
}

TEST_CASE("float convolutions match the CPU kernels") {
  for (const auto& s : shapes()) checkShape<float>(s.cs, s.in, 2e-5);
}

TEST_CASE("double convolutions match the CPU kernels") {
  for (const auto& s : shapes()) checkShape<double>(s.cs, s.in, 1e-12);
}

}  // namespace

int main() {
  const auto& s = nax::cuda::status();
  if (!s.available) {
    std::printf("cuda_conv_test skipped: cuda: not available (%s)\n", s.reason.c_str());
    return 77;
  }
  std::printf("cuda: %s\n", nax::cuda::describe().c_str());
  return nax_test::runAll("cuda_conv");
}
