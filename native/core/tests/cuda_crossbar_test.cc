// The CUDA crossbar run against the CPU path on a real GPU: every output bit for bit (the
// kernels reproduce runFused's arithmetic, cuda_math_test checks that arithmetic on the host).
// Exits 77 (CTest: skipped) with a notice where no GPU or no CUDA library is found.
#include <cstring>

#include "check.h"
#include "crossbar.h"
#include "cuda_backend.h"
#include "cuda_cases.h"

namespace {

void compareCase(const cuda_cases::Case& tc, std::size_t batch) {
  nax::CrossbarConfig cpu = tc.config, gpu = tc.config;
  gpu.accelerator = nax::Accelerator::kCuda;
  const auto w = cuda_cases::weights(tc.k, tc.n, 5);
  nax::CrossbarLayer a(w.data(), tc.k, tc.n, cpu), b(w.data(), tc.k, tc.n, gpu);
  int mismatches = 0;
  double worst = 0;
  for (int call = 0; call < 3; ++call) {
    const auto x = cuda_cases::inputs(batch, tc.k, 200 + call);
    std::vector<float> ya(batch * tc.n), yb(batch * tc.n);
    a.run(x.data(), batch, ya.data());
    b.run(x.data(), batch, yb.data());
    for (size_t e = 0; e < ya.size(); ++e)
      if (std::memcmp(&ya[e], &yb[e], sizeof(float)) != 0) {
        ++mismatches;
        worst = std::max(worst, std::fabs(static_cast<double>(ya[e]) - yb[e]));
      }
  }
  std::printf("  %s, batch %zu: %d of %zu outputs differ (largest %.3g)\n", tc.name.c_str(), batch, mismatches,
              3 * batch * tc.n, worst);
  CHECK_EQ(mismatches, 0);
}

TEST_CASE("GPU crossbar run equals the CPU path bit for bit") {
  for (const auto& tc : cuda_cases::all()) compareCase(tc, tc.batch);
}

TEST_CASE("GPU crossbar run over a large batch (several GPU chunks) equals the CPU path") {
  auto cases = cuda_cases::all();
  compareCase(cases[1], 6000);  // output noise: keys by sample index across chunks
  compareCase(cases[3], 3000);
}

}  // namespace

int main() {
  const auto& s = nax::cuda::status();
  if (!s.available) {
    std::printf("cuda_crossbar_test skipped: cuda: not available (%s)\n", s.reason.c_str());
    return 77;
  }
  std::printf("cuda: %s\n", nax::cuda::describe().c_str());
  return nax_test::runAll("cuda_crossbar");
}
