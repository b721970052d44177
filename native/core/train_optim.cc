#include "train_optim.h"

#include "parallel.h"

namespace nax {
namespace train {

template <typename T>
void sgdUpdate(std::size_t count, T* w, const T* g, T* velocity, const SgdOptions& o, bool decay, int threads) {
  const T lr = static_cast<T>(o.lr), mu = static_cast<T>(o.momentum), wd = decay ? static_cast<T>(o.weightDecay) : T(0);
  const bool nesterov = o.nesterov;
  parallelFor(count, count > 65536 ? threads : 1, [&](std::size_t i0, std::size_t i1, int) {
    for (std::size_t i = i0; i < i1; ++i) {
      const T grad = g[i] + wd * w[i];
      const T v = mu * velocity[i] + grad;
      velocity[i] = v;
      w[i] -= lr * (nesterov ? grad + mu * v : v);
    }
  });
}

template void sgdUpdate<float>(std::size_t, float*, const float*, float*, const SgdOptions&, bool, int);
template void sgdUpdate<double>(std::size_t, double*, const double*, double*, const SgdOptions&, bool, int);

}  // namespace train
}  // namespace nax
