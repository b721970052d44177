// SGD with momentum (PyTorch semantics, optional Nesterov) and decoupled-free
// L2 weight decay added to the gradient.
#pragma once
#include <cstddef>

namespace nax {
namespace train {

struct SgdOptions {
  double lr = 0.1, momentum = 0.9, weightDecay = 0;
  bool nesterov = false;
};

// g' = g + wd*w; v = mu*v + g'; w -= lr * (nesterov ? g' + mu*v : v).
template <typename T>
void sgdUpdate(std::size_t count, T* w, const T* g, T* velocity, const SgdOptions& o, bool decay, int threads);

}  // namespace train
}  // namespace nax
