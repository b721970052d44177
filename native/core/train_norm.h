// BatchNorm2d on CNHW batches: training (batch statistics, running-average
// update), inference (running statistics) and backward.
#pragma once
#include "train_tensor.h"

namespace nax {
namespace train {

// y = gamma * (x - mean_B) / sqrt(var_B + eps) + beta. Saves the batch mean
// and 1/std for backward; running = (1 - momentum) * running + momentum * batch
// (running variance unbiased, as PyTorch), skipped when runMean is null.
// relu: a following ReLU fused in (y = max(0, bn(x))), saving a pass over memory.
template <typename T>
void batchNormTrain(const Shape& s, const T* x, const T* gamma, const T* beta, double eps, double momentum, T* y,
                    T* saveMean, T* saveInvStd, T* runMean, T* runVar, int threads, bool relu = false);

template <typename T>
void batchNormInfer(const Shape& s, const T* x, const T* gamma, const T* beta, const T* runMean, const T* runVar,
                    double eps, T* y, int threads, bool relu = false);

// Backward of batchNormTrain: dx += ... (overwrite: dx = ..., its old contents unread),
// dgamma/dbeta overwritten. With a fused ReLU, reluOut is its output: dy counts only where
// reluOut > 0.
template <typename T>
void batchNormBackward(const Shape& s, const T* x, const T* gamma, const T* saveMean, const T* saveInvStd, const T* dy,
                       T* dx, T* dgamma, T* dbeta, int threads, const T* reluOut = nullptr, bool overwrite = false);

// Backward of batchNormInfer (fixed statistics), for fine-tuning in eval mode.
template <typename T>
void batchNormInferBackward(const Shape& s, const T* x, const T* gamma, const T* runMean, const T* runVar, double eps,
                            const T* dy, T* dx, T* dgamma, T* dbeta, int threads, const T* reluOut = nullptr);

}  // namespace train
}  // namespace nax
