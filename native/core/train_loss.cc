#include "train_loss.h"

#include <cmath>
#include <vector>

#include "error.h"

namespace nax {
namespace train {

// Sequential over samples so the summed loss never depends on threads; the
// cost is tiny next to the convolutions.
template <typename T>
LossResult softmaxCrossEntropy(int classes, int n, const T* logits, const std::uint8_t* labels, T* dlogits,
                               double gradScale) {
  LossResult r;
  std::vector<double> p(classes);
  for (int j = 0; j < n; ++j) {
    const int label = labels[j];
    if (label >= classes) throw Error(codes::kOutOfRange, "label " + std::to_string(label) + " >= classes");
    double mx = logits[j];
    int arg = 0;
    for (int k = 1; k < classes; ++k) {
      const double v = logits[static_cast<std::size_t>(k) * n + j];
      if (v > mx) mx = v, arg = k;
    }
    double sum = 0;
    for (int k = 0; k < classes; ++k) sum += p[k] = std::exp(logits[static_cast<std::size_t>(k) * n + j] - mx);
    r.lossSum += std::log(sum) - (logits[static_cast<std::size_t>(label) * n + j] - mx);
    r.correct += arg == label;
    if (dlogits)
      for (int k = 0; k < classes; ++k)
        dlogits[static_cast<std::size_t>(k) * n + j] = static_cast<T>((p[k] / sum - (k == label)) * gradScale);
  }
  return r;
}

template LossResult softmaxCrossEntropy<float>(int, int, const float*, const std::uint8_t*, float*, double);
template LossResult softmaxCrossEntropy<double>(int, int, const double*, const std::uint8_t*, double*, double);

}  // namespace train
}  // namespace nax
