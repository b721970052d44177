// BatchNorm's vectorised float path (train_norm.cc) against the double path
// (the one the finite-difference gradient checks cover) on the same inputs,
// with and without the fused ReLU, odd per-channel sizes (a tail past the
// 16-lane groups), a large mean (cancellation); bit-identical for 1..3 threads.
#include <cmath>
#include <vector>

#include "check.h"
#include "kernel_path.h"
#include "rng.h"
#include "train_norm.h"

namespace {

using nax::train::Shape;

template <typename T>
struct Out {
  std::vector<T> y, mean, invStd, runMean, runVar, dx, dgamma, dbeta;
};

template <typename T>
Out<T> run(const Shape& s, const std::vector<double>& x0, const std::vector<double>& dy0, bool relu, int threads) {
  std::vector<T> x(x0.begin(), x0.end()), dy(dy0.begin(), dy0.end());
  std::vector<T> gamma(s.c), beta(s.c);
  for (int c = 0; c < s.c; ++c) gamma[c] = T(0.5 + 0.1 * c), beta[c] = T(0.2 * c - 0.3);
  Out<T> o;
  o.y.resize(x.size());
  o.mean.resize(s.c);
  o.invStd.resize(s.c);
  o.runMean.assign(s.c, T(0.1));
  o.runVar.assign(s.c, T(2));
  nax::train::batchNormTrain(s, x.data(), gamma.data(), beta.data(), 1e-5, 0.1, o.y.data(), o.mean.data(),
                             o.invStd.data(), o.runMean.data(), o.runVar.data(), threads, relu);
  o.dx.assign(x.size(), T(0.25));
  o.dgamma.resize(s.c);
  o.dbeta.resize(s.c);
  nax::train::batchNormBackward(s, x.data(), gamma.data(), o.mean.data(), o.invStd.data(), dy.data(), o.dx.data(),
                                o.dgamma.data(), o.dbeta.data(), threads, relu ? o.y.data() : nullptr);
  return o;
}

double relError(const std::vector<float>& got, const std::vector<double>& want) {
  double scale = 1e-30, worst = 0;
  for (double v : want) scale = std::max(scale, std::fabs(v));
  for (std::size_t i = 0; i < got.size(); ++i) worst = std::max(worst, std::fabs(got[i] - want[i]));
  return worst / scale;
}

TEST_CASE("float BatchNorm (vectorised) matches the double path, forward and backward") {
  const Shape shapes[] = {{3, 4, 5, 7}, {2, 2, 16, 16}, {4, 3, 1, 1}, {1, 5, 3, 3}};
  std::uint64_t seed = 5;
  for (const Shape& s : shapes)
    for (bool relu : {false, true})
      for (double offset : {0.0, 300.0}) {
        nax::Rng rng(seed++);
        std::vector<double> x(s.size()), dy(s.size());
        for (double& v : x) v = static_cast<float>(offset + 2 * rng.uniform() - 1);
        for (double& v : dy) v = static_cast<float>(2 * rng.uniform() - 1);
        const Out<double> want = run<double>(s, x, dy, relu, 1);
        const Out<float> got = run<float>(s, x, dy, relu, 2);
        CHECK(relError(got.y, want.y) < 1e-5);
        CHECK(relError(got.mean, want.mean) < 1e-6);
        CHECK(relError(got.invStd, want.invStd) < 1e-5);
        CHECK(relError(got.runMean, want.runMean) < 1e-6);
        CHECK(relError(got.runVar, want.runVar) < 1e-5);
        CHECK(relError(got.dx, want.dx) < 1e-4);
        // dgamma carries the float-rounded saved mean (sum(dy) * rounding): at a large mean that
        // error is the baseline's too, so the bound is the baseline's.
        if (offset == 0) CHECK(relError(got.dgamma, want.dgamma) < 1e-5);
        CHECK(relError(got.dbeta, want.dbeta) < 1e-5);
        for (int threads : {1, 3}) {
          const Out<float> other = run<float>(s, x, dy, relu, threads);
          CHECK(other.y == got.y);
          CHECK(other.dx == got.dx);
          CHECK(other.dgamma == got.dgamma);
          CHECK(other.runVar == got.runVar);
        }
        nax::setKernelPath(nax::KernelPath::Baseline);
        const Out<float> base = run<float>(s, x, dy, relu, 2);
        nax::setKernelPath(nax::KernelPath::Default);
        CHECK(relError(base.y, want.y) < 1e-5);
        CHECK(relError(base.dx, want.dx) < 1e-4);
        CHECK(relError(got.dgamma, want.dgamma) <= 1.01 * relError(base.dgamma, want.dgamma) + 1e-6);
      }
}

}  // namespace

NAX_TEST_MAIN("norm")
