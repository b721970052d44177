// The training executor: a list of ops (built from a TypeScript network
// description) run forward and backward over a whole batch in one native call.
// Nodes are in topological order; each keeps its CNHW output and gradient.
// Conv nodes may be elastic (Once-for-All): one weight tensor of the largest
// kernel, of which the active kernel uses the centre.
#pragma once
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "train_conv.h"
#include "train_loss.h"
#include "train_optim.h"
#include "train_pool.h"
#include "train_tensor.h"

namespace nax {
namespace train {

enum class OpKind { Input, Conv, BatchNorm, Relu, Add, MaxPool, AvgPool, GlobalAvgPool, Flatten, Linear };

struct NodeSpec {
  OpKind op = OpKind::Input;
  std::string name;
  std::vector<int> inputs;
  int channels = 0;                     // conv: output channels; linear: output features
  int kernel = 1, stride = 1, pad = 0;  // conv (largest kernel when elastic) and pools
  std::vector<int> kernelChoices;       // conv: non-empty makes it searchable; pad = k/2
  bool bias = false;
  double eps = 1e-5, momentum = 0.1;  // batch norm
};

struct ParamInfo {
  std::string name;
  std::vector<int> shape;
  bool trainable = true;  // false: BatchNorm running statistics
  bool decay = true;      // weight decay applies (conv/linear weights)
};

// Hardware-aware training: conv and linear weights seen by the training
// forward pass are quantized (sign + magnitude, per-layer scale max|w|) and
// perturbed like programmed crossbar cells, w' = q(w) * exp(mult * n1) +
// add * max|w| * n2, with fresh noise per step; gradients pass straight
// through to the float weights.
struct HardwareAwareOptions {
  bool enabled = false;
  int weightBits = 8;  // including the sign; 0 = no quantization
  double multiplicativeSigma = 0, additiveSigma = 0;
  std::uint64_t seed = 0, step = 0;
};

// Where a step's time goes: the convs (with their FLOPs, for the rate against
// sgemm), and wall seconds per op kind in the forward [0] and backward [1]
// passes (indexed by OpKind; a BatchNorm's fused ReLU counts as BatchNorm),
// the optimizer and the gradient clears. Summed over calls until reset.
inline constexpr int kOpKinds = 10;
struct ConvProfile {
  double forwardSeconds = 0, backwardSeconds = 0;
  double forwardFlops = 0, backwardFlops = 0;
  double opSeconds[2][kOpKinds] = {};
  double optimizerSeconds = 0, clearSeconds = 0;
};

template <typename T>
class Net {
 public:
  Net(std::vector<NodeSpec> nodes, int inChannels, int inHeight, int inWidth, int threads);

  const std::vector<ParamInfo>& paramInfo() const { return info_; }
  std::vector<T>& paramValue(std::size_t i) { return values_.at(i); }
  const std::vector<T>& paramGrad(std::size_t i) const { return grads_.at(i); }
  std::vector<T>& paramVelocity(std::size_t i) { return velocity_.at(i); }
  int classes() const { return classes_; }
  int inputSize() const { return inC_ * inH_ * inW_; }
  void setThreads(int threads) { threads_ = threads; }
  // Convolutions on the CUDA library (train_conv_cuda.h) instead of the CPU kernels.
  void setCudaConvs(bool on) { cudaConvs_ = on; }
  bool cudaConvs() const { return cudaConvs_; }
  int threads() const { return threads_; }
  int inputChannels() const { return inC_; }
  int inputHeight() const { return inH_; }
  int inputWidth() const { return inW_; }

  // One entry per searchable conv, in node order.
  std::vector<std::vector<int>> kernelChoices() const;
  std::vector<std::string> searchableNames() const;
  void setKernels(const std::vector<int>& kernels);
  std::vector<int> kernels() const;

  // images: n x C x H x W. trainMode: BatchNorm uses batch statistics, and
  // updates the running ones when updateStats (momentum override if >= 0).
  void forward(const T* images, int n, bool trainMode, bool updateStats, double momentumOverride = -1);
  int batch() const { return n_; }
  // Logits, n x classes (sample-major), copied out of the CNHW layout.
  void logits(T* out) const;
  // Mean cross-entropy of the last forward; seeds the gradient when withGrad.
  LossResult loss(const std::uint8_t* labels, bool withGrad);
  void backward(bool wantInputGrad);
  // d loss / d images (n x C x H x W) after backward(true).
  void inputGrad(T* out) const;
  void step(const SgdOptions& o);

  ConvProfile& profile() { return profile_; }
  void setHardwareAware(const HardwareAwareOptions& o) { hw_ = o; }
  HardwareAwareOptions& hardwareAware() { return hw_; }

 private:
  struct Node {
    NodeSpec spec;
    Shape out;
    std::vector<T> y, dy;
    int weight = -1, bias = -1, mean = -1, var = -1;  // param indices
    std::vector<T> saveMean, saveInvStd;
    std::vector<std::int32_t> argmax;
    int activeKernel = 0;
    std::vector<T> activeWeight, activeGrad;  // elastic conv: the centre in use
    std::vector<T> perturbed;                 // hardware-aware forward weights
    const T* usedWeight = nullptr;            // what the last forward multiplied by
    int fusedRelu = -1;   // BatchNorm: index of the ReLU computed in its own pass
    int fusedInto = -1;   // ReLU: index of the BatchNorm that computes it
  };
  int addParam(const std::string& name, std::vector<int> shape, bool trainable, bool decay, T fill);
  ConvShape convShape(const Node& node) const;
  const T* convWeight(Node& node);
  const T* perturb(Node& node, const T* w, std::size_t count);
  void forwardNode(Node& node, bool trainMode, bool updateStats, double momentumOverride);
  void backwardNode(Node& node, bool wantInputGrad);
  void settleGrad(int idx);
  T* gradTarget(int idx, bool canOverwrite, bool& overwrite);

  std::vector<Node> nodes_;
  std::vector<char> fresh_;  // backward: node i's gradient not yet written (reads as zero)
  std::vector<ParamInfo> info_;
  std::vector<std::vector<T>> values_, grads_, velocity_;
  int inC_, inH_, inW_, classes_ = 0, n_ = 0, threads_;
  bool cudaConvs_ = false;
  bool lastTrainMode_ = true;
  ConvScratch<T> scratch_;
  ConvProfile profile_;
  HardwareAwareOptions hw_;
};

}  // namespace train
}  // namespace nax
