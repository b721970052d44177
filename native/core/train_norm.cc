#include "train_norm.h"

#include <cmath>

#include "parallel.h"

namespace nax {
namespace train {

// Every loop runs over channels: a channel's sums are taken in one fixed
// order (double accumulators), so results do not depend on threads.
template <typename T>
void batchNormTrain(const Shape& s, const T* x, const T* gamma, const T* beta, double eps, double momentum, T* y,
                    T* saveMean, T* saveInvStd, T* runMean, T* runVar, int threads) {
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
                    double eps, T* y, int threads) {
  const std::size_t M = s.perChannel();
  parallelFor(static_cast<std::size_t>(s.c), threads, [&](std::size_t c0, std::size_t c1, int) {
    for (std::size_t c = c0; c < c1; ++c) {
      const double invStd = 1.0 / std::sqrt(static_cast<double>(runVar[c]) + eps);
      const T scale = static_cast<T>(gamma[c] * invStd);
      const T shift = static_cast<T>(beta[c] - runMean[c] * (gamma[c] * invStd));
      const T* xc = x + c * M;
      T* yc = y + c * M;
      for (std::size_t i = 0; i < M; ++i) yc[i] = xc[i] * scale + shift;
    }
  });
}

template <typename T>
void batchNormBackward(const Shape& s, const T* x, const T* gamma, const T* saveMean, const T* saveInvStd, const T* dy,
                       T* dx, T* dgamma, T* dbeta, int threads) {
  const std::size_t M = s.perChannel();
  parallelFor(static_cast<std::size_t>(s.c), threads, [&](std::size_t c0, std::size_t c1, int) {
    for (std::size_t c = c0; c < c1; ++c) {
      const T* xc = x + c * M;
      const T* dyc = dy + c * M;
      const double mean = saveMean[c], invStd = saveInvStd[c];
      double sumDy = 0, sumDyXhat = 0;
      for (std::size_t i = 0; i < M; ++i) {
        sumDy += dyc[i];
        sumDyXhat += dyc[i] * (xc[i] - mean) * invStd;
      }
      dgamma[c] = static_cast<T>(sumDyXhat);
      dbeta[c] = static_cast<T>(sumDy);
      if (!dx) continue;
      // dx = gamma * invStd * (dy - mean(dy) - xhat * mean(dy * xhat))
      const double k = gamma[c] * invStd, meanDy = sumDy / M, meanDyXhat = sumDyXhat / M;
      T* dxc = dx + c * M;
      for (std::size_t i = 0; i < M; ++i) {
        const double xhat = (xc[i] - mean) * invStd;
        dxc[i] += static_cast<T>(k * (dyc[i] - meanDy - xhat * meanDyXhat));
      }
    }
  });
}

template <typename T>
void batchNormInferBackward(const Shape& s, const T* x, const T* gamma, const T* runMean, const T* runVar, double eps,
                            const T* dy, T* dx, T* dgamma, T* dbeta, int threads) {
  const std::size_t M = s.perChannel();
  parallelFor(static_cast<std::size_t>(s.c), threads, [&](std::size_t c0, std::size_t c1, int) {
    for (std::size_t c = c0; c < c1; ++c) {
      const double invStd = 1.0 / std::sqrt(static_cast<double>(runVar[c]) + eps);
      const T* xc = x + c * M;
      const T* dyc = dy + c * M;
      double sumDy = 0, sumDyXhat = 0;
      for (std::size_t i = 0; i < M; ++i) {
        sumDy += dyc[i];
        sumDyXhat += dyc[i] * (xc[i] - runMean[c]) * invStd;
      }
      dgamma[c] = static_cast<T>(sumDyXhat);
      dbeta[c] = static_cast<T>(sumDy);
      if (!dx) continue;
      const T k = static_cast<T>(gamma[c] * invStd);
      T* dxc = dx + c * M;
      for (std::size_t i = 0; i < M; ++i) dxc[i] += k * dyc[i];
    }
  });
}

#define NAX_INSTANTIATE(T)                                                                                        \
  template void batchNormTrain<T>(const Shape&, const T*, const T*, const T*, double, double, T*, T*, T*, T*, T*, \
                                  int);                                                                           \
  template void batchNormInfer<T>(const Shape&, const T*, const T*, const T*, const T*, const T*, double, T*, int); \
  template void batchNormBackward<T>(const Shape&, const T*, const T*, const T*, const T*, const T*, T*, T*, T*,  \
                                     int);                                                                        \
  template void batchNormInferBackward<T>(const Shape&, const T*, const T*, const T*, const T*, double, const T*, \
                                          T*, T*, T*, int);
NAX_INSTANTIATE(float)
NAX_INSTANTIATE(double)
#undef NAX_INSTANTIATE

}  // namespace train
}  // namespace nax
