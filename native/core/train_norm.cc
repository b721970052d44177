#include "train_norm.h"

#include <algorithm>
#include <cmath>
#include <type_traits>

#include "kernel_path.h"
#include "parallel.h"
#include "simd.h"

namespace nax {
namespace train {

// Every loop runs over channels: a channel's sums are taken in one fixed
// order (double accumulators), so results do not depend on threads.
//
// Float training (the trainer's hot path) runs vectorised: each sum is kept in
// kSumLanes double partial sums (element i goes to lane i % kSumLanes, the
// tail past the last whole group is added after the lanes, in order), the same
// fixed number of lanes on every instruction set, so the result does not
// depend on threads or on the vector width. The scalar code below is the
// double path (gradient checks) and the float baseline (NAX_KERNELS=baseline).
namespace {
constexpr int kSumLanes = 16;
// The kSumLanes partial sums live in native double vectors (lane l in vector l / kDoubleLanes):
// one 16-double generic vector GCC kept in memory, a store and reload of each accumulator per
// group (half of batchNormTrain's time by perf). Same lanes, same order of additions.
constexpr int kDoubleLanes = simd::kLanes<double>;
constexpr int kSumVecs = kSumLanes / kDoubleLanes;
using DoubleVec = simd::Vec<double>;
using FloatPart = simd::VecU<float, kDoubleLanes>;

struct Sums {
  DoubleVec v[kSumVecs] = {};
  double total() const {
    double s = 0;
    for (int q = 0; q < kSumVecs; ++q)
      for (int l = 0; l < kDoubleLanes; ++l) s += v[q][l];
    return s;
  }
};
inline FloatPart part(const float* p) { return *reinterpret_cast<const FloatPart*>(p); }
inline DoubleVec widen(FloatPart f) { return __builtin_convertvector(f, DoubleVec); }

// mean and biased variance (two passes, centred squares) of xc[0, M).
inline void meanVariance(const float* xc, std::size_t M, double& mean, double& var) {
  const std::size_t whole = M / kSumLanes * kSumLanes;
  Sums acc;
  for (std::size_t i = 0; i < whole; i += kSumLanes)
#pragma GCC unroll 8
    for (int q = 0; q < kSumVecs; ++q) acc.v[q] += widen(part(xc + i + q * kDoubleLanes));
  double sum = acc.total();
  for (std::size_t i = whole; i < M; ++i) sum += xc[i];
  mean = sum / M;
  Sums sq;
  for (std::size_t i = 0; i < whole; i += kSumLanes)
#pragma GCC unroll 8
    for (int q = 0; q < kSumVecs; ++q) {
      const DoubleVec d = widen(part(xc + i + q * kDoubleLanes)) - mean;
      sq.v[q] += d * d;
    }
  double sqSum = sq.total();
  for (std::size_t i = whole; i < M; ++i) sqSum += (xc[i] - mean) * (xc[i] - mean);
  var = sqSum / M;
}
}  // namespace

template <typename T>
void batchNormTrain(const Shape& s, const T* x, const T* gamma, const T* beta, double eps, double momentum, T* y,
                    T* saveMean, T* saveInvStd, T* runMean, T* runVar, int threads, bool relu) {
  const std::size_t M = s.perChannel();
  if constexpr (std::is_same<T, float>::value) {
    if (!baselineKernels()) {
      parallelFor(static_cast<std::size_t>(s.c), threads, [&](std::size_t c0, std::size_t c1, int) {
        for (std::size_t c = c0; c < c1; ++c) {
          const float* xc = x + c * M;
          double mean, var;
          meanVariance(xc, M, mean, var);
          const double invStd = 1.0 / std::sqrt(var + eps);
          saveMean[c] = static_cast<float>(mean);
          saveInvStd[c] = static_cast<float>(invStd);
          // y = (x - mean) * scale + beta in float, the mean split into two floats (hi + lo): x - hi
          // is exact for x near the mean, so a large mean costs no precision (x*scale + shift would cancel).
          const float m = static_cast<float>(mean), mLo = static_cast<float>(mean - m);
          const float scale = static_cast<float>(gamma[c] * invStd), b = beta[c];
          float* yc = y + c * M;
          if (relu)
            for (std::size_t i = 0; i < M; ++i) yc[i] = std::max(0.0f, ((xc[i] - m) - mLo) * scale + b);
          else
            for (std::size_t i = 0; i < M; ++i) yc[i] = ((xc[i] - m) - mLo) * scale + b;
          if (runMean) {
            const double unbiased = M > 1 ? var * M / (M - 1) : var;
            runMean[c] = static_cast<float>((1 - momentum) * runMean[c] + momentum * mean);
            runVar[c] = static_cast<float>((1 - momentum) * runVar[c] + momentum * unbiased);
          }
        }
      });
      return;
    }
  }
  parallelFor(static_cast<std::size_t>(s.c), threads, [&](std::size_t c0, std::size_t c1, int) {
    for (std::size_t c = c0; c < c1; ++c) {
      const T* xc = x + c * M;
      double sum = 0;
      for (std::size_t i = 0; i < M; ++i) sum += xc[i];
      const double mean = sum / M;
      double sq = 0;
      for (std::size_t i = 0; i < M; ++i) {
        const double d = xc[i] - mean;
        sq += d * d;
      }
      const double var = sq / M;
      const double invStd = 1.0 / std::sqrt(var + eps);
      saveMean[c] = static_cast<T>(mean);
      saveInvStd[c] = static_cast<T>(invStd);
      const double scale = gamma[c] * invStd, shift = beta[c] - mean * scale;
      T* yc = y + c * M;
      if (relu)
        for (std::size_t i = 0; i < M; ++i) yc[i] = std::max(T(0), static_cast<T>(xc[i] * scale + shift));
      else
        for (std::size_t i = 0; i < M; ++i) yc[i] = static_cast<T>(xc[i] * scale + shift);
      if (runMean) {
        const double unbiased = M > 1 ? sq / (M - 1) : var;
        runMean[c] = static_cast<T>((1 - momentum) * runMean[c] + momentum * mean);
        runVar[c] = static_cast<T>((1 - momentum) * runVar[c] + momentum * unbiased);
      }
    }
  });
}

template <typename T>
void batchNormInfer(const Shape& s, const T* x, const T* gamma, const T* beta, const T* runMean, const T* runVar,
                    double eps, T* y, int threads, bool relu) {
  const std::size_t M = s.perChannel();
  parallelFor(static_cast<std::size_t>(s.c), threads, [&](std::size_t c0, std::size_t c1, int) {
    for (std::size_t c = c0; c < c1; ++c) {
      const double invStd = 1.0 / std::sqrt(static_cast<double>(runVar[c]) + eps);
      const T scale = static_cast<T>(gamma[c] * invStd);
      const T shift = static_cast<T>(beta[c] - runMean[c] * (gamma[c] * invStd));
      const T* xc = x + c * M;
      T* yc = y + c * M;
      if (relu)
        for (std::size_t i = 0; i < M; ++i) yc[i] = std::max(T(0), xc[i] * scale + shift);
      else
        for (std::size_t i = 0; i < M; ++i) yc[i] = xc[i] * scale + shift;
    }
  });
}

template <typename T>
void batchNormBackward(const Shape& s, const T* x, const T* gamma, const T* saveMean, const T* saveInvStd, const T* dy,
                       T* dx, T* dgamma, T* dbeta, int threads, const T* reluOut, bool overwrite) {
  const std::size_t M = s.perChannel();
  if constexpr (std::is_same<T, float>::value) {
    if (!baselineKernels()) {
      parallelFor(static_cast<std::size_t>(s.c), threads, [&](std::size_t c0, std::size_t c1, int) {
        const std::size_t whole = M / kSumLanes * kSumLanes;
        for (std::size_t c = c0; c < c1; ++c) {
          const float* xc = x + c * M;
          const float* dyc = dy + c * M;
          const float* rc = reluOut ? reluOut + c * M : nullptr;
          const double mean = saveMean[c], invStd = saveInvStd[c];
          // sum(g) and sum(g * (x - mean)), g = dy masked by the fused ReLU: the mask is a vector
          // select (a scalar fill of a 16-float buffer read back as one vector stalled on store
          // forwarding, a quarter of this function's time by perf).
          Sums accDy, accDyX;
          auto sums = [&](auto masked) {
            for (std::size_t i = 0; i < whole; i += kSumLanes)
#pragma GCC unroll 8
              for (int q = 0; q < kSumVecs; ++q) {
                const std::size_t at = i + q * kDoubleLanes;
                const DoubleVec gv = widen(masked(at));
                accDy.v[q] += gv;
                accDyX.v[q] += gv * (widen(part(xc + at)) - mean);
              }
          };
          if (rc)
            sums([&](std::size_t at) { return part(rc + at) > 0.0f ? part(dyc + at) : FloatPart{}; });
          else
            sums([&](std::size_t at) { return part(dyc + at); });
          double sumDy = accDy.total(), sumDyX = accDyX.total();
          for (std::size_t i = whole; i < M; ++i) {
            const double gi = rc && !(rc[i] > 0.0f) ? 0.0 : static_cast<double>(dyc[i]);
            sumDy += gi;
            sumDyX += gi * (xc[i] - mean);
          }
          const double sumDyXhat = sumDyX * invStd;
          dgamma[c] = static_cast<float>(sumDyXhat);
          dbeta[c] = static_cast<float>(sumDy);
          if (!dx) continue;
          // dx += k * (g - mean(g)) - (x - mean) * k * invStd * mean(g * xhat), in float.
          const double k = gamma[c] * invStd;
          const float a = static_cast<float>(k), b = static_cast<float>(k * sumDy / M),
                      cx = static_cast<float>(k * invStd * sumDyXhat / M), m = static_cast<float>(mean);
          const float mLo = static_cast<float>(mean - m);  // as in the forward pass
          float* dxc = dx + c * M;
          // x + 0 == x: overwriting a zeroed dx gives the same bits as adding into it.
          auto apply = [&](auto value) {
            if (overwrite)
              for (std::size_t i = 0; i < M; ++i) dxc[i] = value(i);
            else
              for (std::size_t i = 0; i < M; ++i) dxc[i] += value(i);
          };
          if (rc)
            apply([&](std::size_t i) { return a * (rc[i] > 0.0f ? dyc[i] : 0.0f) - b - ((xc[i] - m) - mLo) * cx; });
          else
            apply([&](std::size_t i) { return a * dyc[i] - b - ((xc[i] - m) - mLo) * cx; });
        }
      });
      return;
    }
  }
  parallelFor(static_cast<std::size_t>(s.c), threads, [&](std::size_t c0, std::size_t c1, int) {
    for (std::size_t c = c0; c < c1; ++c) {
      const T* xc = x + c * M;
      const T* dyc = dy + c * M;
      const T* rc = reluOut ? reluOut + c * M : nullptr;
      auto g = [&](std::size_t i) -> double { return rc && !(rc[i] > T(0)) ? 0.0 : static_cast<double>(dyc[i]); };
      const double mean = saveMean[c], invStd = saveInvStd[c];
      double sumDy = 0, sumDyXhat = 0;
      for (std::size_t i = 0; i < M; ++i) {
        const double d = g(i);
        sumDy += d;
        sumDyXhat += d * (xc[i] - mean) * invStd;
      }
      dgamma[c] = static_cast<T>(sumDyXhat);
      dbeta[c] = static_cast<T>(sumDy);
      if (!dx) continue;
      // dx = gamma * invStd * (dy - mean(dy) - xhat * mean(dy * xhat))
      const double k = gamma[c] * invStd, meanDy = sumDy / M, meanDyXhat = sumDyXhat / M;
      T* dxc = dx + c * M;
      for (std::size_t i = 0; i < M; ++i) {
        const double xhat = (xc[i] - mean) * invStd;
        const T v = static_cast<T>(k * (g(i) - meanDy - xhat * meanDyXhat));
        dxc[i] = overwrite ? v : dxc[i] + v;
      }
    }
  });
}

template <typename T>
void batchNormInferBackward(const Shape& s, const T* x, const T* gamma, const T* runMean, const T* runVar, double eps,
                            const T* dy, T* dx, T* dgamma, T* dbeta, int threads, const T* reluOut) {
  const std::size_t M = s.perChannel();
  parallelFor(static_cast<std::size_t>(s.c), threads, [&](std::size_t c0, std::size_t c1, int) {
    for (std::size_t c = c0; c < c1; ++c) {
      const double invStd = 1.0 / std::sqrt(static_cast<double>(runVar[c]) + eps);
      const T* xc = x + c * M;
      const T* dyc = dy + c * M;
      const T* rc = reluOut ? reluOut + c * M : nullptr;
      auto g = [&](std::size_t i) -> T { return rc && !(rc[i] > T(0)) ? T(0) : dyc[i]; };
      double sumDy = 0, sumDyXhat = 0;
      for (std::size_t i = 0; i < M; ++i) {
        sumDy += g(i);
        sumDyXhat += g(i) * (xc[i] - runMean[c]) * invStd;
      }
      dgamma[c] = static_cast<T>(sumDyXhat);
      dbeta[c] = static_cast<T>(sumDy);
      if (!dx) continue;
      const T k = static_cast<T>(gamma[c] * invStd);
      T* dxc = dx + c * M;
      for (std::size_t i = 0; i < M; ++i) dxc[i] += k * g(i);
    }
  });
}

#define NAX_INSTANTIATE(T)                                                                                        \
  template void batchNormTrain<T>(const Shape&, const T*, const T*, const T*, double, double, T*, T*, T*, T*, T*, \
                                  int, bool);                                                                     \
  template void batchNormInfer<T>(const Shape&, const T*, const T*, const T*, const T*, const T*, double, T*, int, \
                                  bool);                                                                          \
  template void batchNormBackward<T>(const Shape&, const T*, const T*, const T*, const T*, const T*, T*, T*, T*,  \
                                     int, const T*, bool);                                                        \
  template void batchNormInferBackward<T>(const Shape&, const T*, const T*, const T*, const T*, double, const T*, \
                                          T*, T*, T*, int, const T*);
NAX_INSTANTIATE(float)
NAX_INSTANTIATE(double)
#undef NAX_INSTANTIATE

}  // namespace train
}  // namespace nax
