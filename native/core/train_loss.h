// Softmax cross-entropy over a classes x N logit matrix (CNHW with H=W=1).
#pragma once
#include <cstdint>

namespace nax {
namespace train {

struct LossResult {
  double lossSum = 0;  // summed over the batch (mean = lossSum / n)
  int correct = 0;     // argmax == label
};

// dlogits (may be null) = (softmax - onehot) * gradScale, e.g. 1/n for a mean.
template <typename T>
LossResult softmaxCrossEntropy(int classes, int n, const T* logits, const std::uint8_t* labels, T* dlogits,
                               double gradScale);

}  // namespace train
}  // namespace nax
