#include "train_norm.h"

#include <algorithm>
#include <cmath>

#include "parallel.h"

namespace nax {
namespace train {

// Every loop runs over channels: a channel's sums are taken in one fixed
// order (double accumulators), so results do not depend on threads.
template <typename T>
void batchNormTrain(const Shape& s, const T* x, const T* gamma, const T* beta, double eps, double momentum, T* y,
                    T* saveMean, T* saveInvStd, T* runMean, T* runVar, int threads, bool relu) {
  const std::size_t M = s.perChannel();
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
                       T* dx, T* dgamma, T* dbeta, int threads, const T* reluOut) {
  const std::size_t M = s.perChannel();
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
        dxc[i] += static_cast<T>(k * (g(i) - meanDy - xhat * meanDyXhat));
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
                                     int, const T*);                                                              \
  template void batchNormInferBackward<T>(const Shape&, const T*, const T*, const T*, const T*, double, const T*, \
                                          T*, T*, T*, int, const T*);
NAX_INSTANTIATE(float)
NAX_INSTANTIATE(double)
#undef NAX_INSTANTIATE

}  // namespace train
}  // namespace nax
