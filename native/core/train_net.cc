#include "train_net.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "error.h"
#include "kernel_path.h"
#include "parallel.h"
#include "rng.h"
#include "train_conv_cuda.h"
#include "train_elementwise.h"
#include "train_linear.h"
#include "train_norm.h"

namespace nax {
namespace train {

namespace {
using Clock = std::chrono::steady_clock;
double since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }
[[noreturn]] void bad(const std::string& msg) { throw Error(codes::kInvalidArgument, msg); }
}  // namespace

template <typename T>
int Net<T>::addParam(const std::string& name, std::vector<int> shape, bool trainable, bool decay, T fill) {
  std::size_t size = 1;
  for (int d : shape) size *= static_cast<std::size_t>(d);
  info_.push_back({name, std::move(shape), trainable, decay});
  values_.emplace_back(size, fill);
  grads_.emplace_back(trainable ? size : 0, T(0));
  velocity_.emplace_back(trainable ? size : 0, T(0));
  return static_cast<int>(info_.size() - 1);
}

template <typename T>
Net<T>::Net(std::vector<NodeSpec> specs, int inChannels, int inHeight, int inWidth, int threads)
    : inC_(inChannels), inH_(inHeight), inW_(inWidth), threads_(threads) {
  if (specs.empty() || specs[0].op != OpKind::Input) bad("expected the first node to be the input");
  if (inChannels <= 0 || inHeight <= 0 || inWidth <= 0) bad("expected a positive input shape");
  nodes_.reserve(specs.size());
  for (std::size_t i = 0; i < specs.size(); ++i) {
    Node node;
    node.spec = std::move(specs[i]);
    const NodeSpec& s = node.spec;
    const std::string where = "node " + std::to_string(i) + " (" + s.name + ")";
    const std::size_t arity = s.op == OpKind::Input ? 0 : s.op == OpKind::Add ? 2 : 1;
    if (s.inputs.size() != arity) bad("expected " + std::to_string(arity) + " inputs for " + where);
    for (int in : s.inputs)
      if (in < 0 || static_cast<std::size_t>(in) >= i) bad("expected inputs of earlier nodes for " + where);
    if (s.op == OpKind::Input && i != 0) bad("expected a single input node, first");
    const Shape in = arity ? nodes_[s.inputs[0]].out : Shape{inC_, 1, inH_, inW_};
    Shape out = in;
    switch (s.op) {
      case OpKind::Input:
        break;
      case OpKind::Conv: {
        if (s.channels <= 0 || s.kernel <= 0 || s.stride <= 0 || s.pad < 0) bad("expected a valid conv for " + where);
        for (int k : s.kernelChoices)
          if (k <= 0 || k % 2 == 0 || k > s.kernel) bad("expected odd kernel choices <= kernel for " + where);
        if (!s.kernelChoices.empty() && s.kernel % 2 == 0) bad("expected an odd largest kernel for " + where);
        node.weight = addParam(s.name + ".weight", {s.channels, in.c, s.kernel, s.kernel}, true, true, T(0));
        if (s.bias) node.bias = addParam(s.name + ".bias", {s.channels}, true, false, T(0));
        node.activeKernel = s.kernel;
        ConvShape cs = convShape(node);
        out = {s.channels, 1, cs.outH(in.h), cs.outW(in.w)};
        if (out.h <= 0 || out.w <= 0) bad("expected a positive output size for " + where);
        break;
      }
      case OpKind::BatchNorm:
        node.weight = addParam(s.name + ".weight", {in.c}, true, false, T(1));
        node.bias = addParam(s.name + ".bias", {in.c}, true, false, T(0));
        node.mean = addParam(s.name + ".running_mean", {in.c}, false, false, T(0));
        node.var = addParam(s.name + ".running_var", {in.c}, false, false, T(1));
        break;
      case OpKind::Relu:
        break;
      case OpKind::Add: {
        const Shape b = nodes_[s.inputs[1]].out;
        if (b.c != in.c || b.h != in.h || b.w != in.w) bad("expected equal input shapes for " + where);
        break;
      }
      case OpKind::MaxPool:
      case OpKind::AvgPool: {
        PoolShape ps{s.kernel, s.stride, s.pad};
        if (s.kernel <= 0 || s.stride <= 0 || s.pad < 0 || s.pad >= s.kernel) bad("expected a valid pool for " + where);
        out.h = ps.outH(in.h);
        out.w = ps.outW(in.w);
        if (out.h <= 0 || out.w <= 0) bad("expected a positive output size for " + where);
        break;
      }
      case OpKind::GlobalAvgPool:
        out.h = out.w = 1;
        break;
      case OpKind::Flatten:
        out = {in.c * in.h * in.w, 1, 1, 1};
        break;
      case OpKind::Linear:
        if (in.h != 1 || in.w != 1) bad("expected a flattened (Cx1x1) input for " + where);
        if (s.channels <= 0) bad("expected positive output features for " + where);
        node.weight = addParam(s.name + ".weight", {s.channels, in.c}, true, true, T(0));
        node.bias = addParam(s.name + ".bias", {s.channels}, true, false, T(0));
        out = {s.channels, 1, 1, 1};
        break;
    }
    node.out = out;
    nodes_.push_back(std::move(node));
  }
  const Shape last = nodes_.back().out;
  if (last.h != 1 || last.w != 1 || nodes_.size() < 2) bad("expected the last node to give C x 1 x 1 logits");
  classes_ = last.c;
  // BatchNorm -> ReLU where the ReLU is the only consumer: one pass, not two.
  std::vector<int> consumers(nodes_.size(), 0);
  for (const Node& n : nodes_)
    for (int in : n.spec.inputs) consumers[in]++;
  for (std::size_t i = 1; i < nodes_.size(); ++i) {
    Node& r = nodes_[i];
    if (r.spec.op != OpKind::Relu) continue;
    const int b = r.spec.inputs[0];
    if (nodes_[b].spec.op == OpKind::BatchNorm && consumers[b] == 1) {
      nodes_[b].fusedRelu = static_cast<int>(i);
      r.fusedInto = b;
    }
  }
}

template <typename T>
std::vector<std::vector<int>> Net<T>::kernelChoices() const {
  std::vector<std::vector<int>> out;
  for (const Node& n : nodes_)
    if (n.spec.op == OpKind::Conv && !n.spec.kernelChoices.empty()) out.push_back(n.spec.kernelChoices);
  return out;
}

template <typename T>
std::vector<std::string> Net<T>::searchableNames() const {
  std::vector<std::string> out;
  for (const Node& n : nodes_)
    if (n.spec.op == OpKind::Conv && !n.spec.kernelChoices.empty()) out.push_back(n.spec.name);
  return out;
}

template <typename T>
void Net<T>::setKernels(const std::vector<int>& kernels) {
  std::size_t i = 0;
  for (Node& n : nodes_) {
    if (n.spec.op != OpKind::Conv || n.spec.kernelChoices.empty()) continue;
    if (i >= kernels.size()) break;
    const int k = kernels[i];
    if (std::find(n.spec.kernelChoices.begin(), n.spec.kernelChoices.end(), k) == n.spec.kernelChoices.end())
      throw Error(codes::kOutOfRange, "kernel " + std::to_string(k) + " is not a choice of " + n.spec.name);
    n.activeKernel = k;
    ++i;
  }
  if (i != kernels.size() || i != kernelChoices().size())
    throw Error(codes::kSizeMismatch, "expected " + std::to_string(kernelChoices().size()) + " kernels, got " +
                                          std::to_string(kernels.size()));
}

template <typename T>
std::vector<int> Net<T>::kernels() const {
  std::vector<int> out;
  for (const Node& n : nodes_)
    if (n.spec.op == OpKind::Conv && !n.spec.kernelChoices.empty()) out.push_back(n.activeKernel);
  return out;
}

template <typename T>
ConvShape Net<T>::convShape(const Node& node) const {
  ConvShape cs;
  cs.cin = nodes_[node.spec.inputs[0]].out.c;
  cs.cout = node.spec.channels;
  cs.kernel = node.activeKernel;
  cs.stride = node.spec.stride;
  cs.pad = node.spec.kernelChoices.empty() ? node.spec.pad : node.activeKernel / 2;
  return cs;
}

// The weight the active kernel uses: the whole tensor, or its centre.
template <typename T>
const T* Net<T>::convWeight(Node& node) {
  const std::vector<T>& full = values_[node.weight];
  const int K = node.spec.kernel, k = node.activeKernel;
  if (k == K) return full.data();
  const int off = (K - k) / 2, cout = node.spec.channels, cin = nodes_[node.spec.inputs[0]].out.c;
  node.activeWeight.resize(static_cast<std::size_t>(cout) * cin * k * k);
  for (int oc = 0; oc < cout * cin; ++oc)
    for (int i = 0; i < k; ++i)
      for (int j = 0; j < k; ++j)
        node.activeWeight[(static_cast<std::size_t>(oc) * k + i) * k + j] =
            full[(static_cast<std::size_t>(oc) * K + i + off) * K + j + off];
  return node.activeWeight.data();
}

template <typename T>
const T* Net<T>::perturb(Node& node, const T* w, std::size_t count) {
  node.perturbed.resize(count);
  double maxAbs = 0;
  for (std::size_t i = 0; i < count; ++i) maxAbs = std::max(maxAbs, std::abs(static_cast<double>(w[i])));
  const double levels = hw_.weightBits > 1 ? std::ldexp(1.0, hw_.weightBits - 1) - 1 : 0;
  const std::uint64_t stream = static_cast<std::uint64_t>(node.weight);
  T* out = node.perturbed.data();
  parallelFor(count, threads_, [&](std::size_t i0, std::size_t i1, int) {
    for (std::size_t i = i0; i < i1; ++i) {
      double v = w[i];
      if (levels > 0 && maxAbs > 0) v = std::round(v / maxAbs * levels) / levels * maxAbs;
      const std::uint64_t key = hashKey(hw_.seed, hw_.step, stream, i);
      if (hw_.multiplicativeSigma > 0) v *= std::exp(hw_.multiplicativeSigma * standardNormal(key));
      if (hw_.additiveSigma > 0) v += hw_.additiveSigma * maxAbs * standardNormal(key ^ 0x5851F42D4C957F2Dull);
      out[i] = static_cast<T>(v);
    }
  });
  return out;
}

template <typename T>
void Net<T>::forward(const T* images, int n, bool trainMode, bool updateStats, double momentumOverride) {
  if (n <= 0) bad("expected a positive batch size");
  if (trainMode && n < 2) bad("expected a batch of at least 2 for batch statistics");
  n_ = n;
  lastTrainMode_ = trainMode;
  for (Node& node : nodes_) {
    node.out.n = n;
    if (node.fusedRelu >= 0) {
      node.y.clear();  // written straight into the ReLU's output
      nodes_[node.fusedRelu].y.resize(node.out.size());
    } else {
      node.y.resize(node.out.size());
    }
    if (node.fusedInto >= 0) continue;
    const auto t0 = Clock::now();
    if (node.spec.op == OpKind::Input) {
      // NCHW -> CNHW
      const std::size_t P = node.out.plane();
      for (int c = 0; c < inC_; ++c)
        for (int s = 0; s < n; ++s)
          std::memcpy(node.y.data() + (static_cast<std::size_t>(c) * n + s) * P,
                      images + (static_cast<std::size_t>(s) * inC_ + c) * P, sizeof(T) * P);
    } else {
      forwardNode(node, trainMode, updateStats, momentumOverride);
    }
    profile_.opSeconds[0][static_cast<int>(node.spec.op)] += since(t0);
  }
}

template <typename T>
void Net<T>::forwardNode(Node& node, bool trainMode, bool updateStats, double momentumOverride) {
  const NodeSpec& s = node.spec;
  const Node& in = nodes_[s.inputs[0]];
  const std::size_t count = node.out.size();
  switch (s.op) {
    case OpKind::Input:
      break;
    case OpKind::Conv: {
      const auto t0 = Clock::now();
      const ConvShape cs = convShape(node);
      const T* w = convWeight(node);
      if (hw_.enabled && trainMode) w = perturb(node, w, cs.patch() * cs.cout);
      node.usedWeight = w;
      if (cudaConvs_)
        convForwardCuda(cs, in.out, in.y.data(), w, node.bias >= 0 ? values_[node.bias].data() : nullptr, node.y.data());
      else
        convForward(cs, in.out, in.y.data(), w, node.bias >= 0 ? values_[node.bias].data() : nullptr, node.y.data(),
                    scratch_, threads_);
      profile_.forwardSeconds += since(t0);
      profile_.forwardFlops += 2.0 * cs.cout * cs.patch() * node.out.perChannel();
      break;
    }
    case OpKind::BatchNorm: {
      const bool relu = node.fusedRelu >= 0;
      T* y = relu ? nodes_[node.fusedRelu].y.data() : node.y.data();
      if (trainMode) {
        node.saveMean.resize(node.out.c);
        node.saveInvStd.resize(node.out.c);
        batchNormTrain(in.out, in.y.data(), values_[node.weight].data(), values_[node.bias].data(), s.eps,
                       momentumOverride >= 0 ? momentumOverride : s.momentum, y, node.saveMean.data(),
                       node.saveInvStd.data(), updateStats ? values_[node.mean].data() : nullptr,
                       updateStats ? values_[node.var].data() : nullptr, threads_, relu);
      } else {
        batchNormInfer(in.out, in.y.data(), values_[node.weight].data(), values_[node.bias].data(),
                       values_[node.mean].data(), values_[node.var].data(), s.eps, y, threads_, relu);
      }
      break;
    }
    case OpKind::Relu:
      reluForward(count, in.y.data(), node.y.data(), threads_);
      break;
    case OpKind::Add:
      addForward(count, in.y.data(), nodes_[s.inputs[1]].y.data(), node.y.data(), threads_);
      break;
    case OpKind::MaxPool:
      node.argmax.resize(count);
      maxPoolForward(PoolShape{s.kernel, s.stride, s.pad}, in.out, in.y.data(), node.y.data(), node.argmax.data(),
                     threads_);
      break;
    case OpKind::AvgPool:
      avgPoolForward(PoolShape{s.kernel, s.stride, s.pad}, in.out, in.y.data(), node.y.data(), threads_);
      break;
    case OpKind::GlobalAvgPool:
      globalAvgPoolForward(in.out, in.y.data(), node.y.data(), threads_);
      break;
    case OpKind::Flatten:
      flattenForward(in.out, in.y.data(), node.y.data(), threads_);
      break;
    case OpKind::Linear: {
      const T* w = values_[node.weight].data();
      if (hw_.enabled && trainMode) w = perturb(node, w, values_[node.weight].size());
      node.usedWeight = w;
      linearForward(in.out.c, s.channels, n_, in.y.data(), w, values_[node.bias].data(), node.y.data(), threads_);
      break;
    }
      break;
  }
}

template <typename T>
void Net<T>::logits(T* out) const {
  const std::vector<T>& y = nodes_.back().y;
  for (int c = 0; c < classes_; ++c)
    for (int s = 0; s < n_; ++s) out[static_cast<std::size_t>(s) * classes_ + c] = y[static_cast<std::size_t>(c) * n_ + s];
}

template <typename T>
LossResult Net<T>::loss(const std::uint8_t* labels, bool withGrad) {
  Node& last = nodes_.back();
  if (withGrad) last.dy.assign(last.y.size(), T(0));
  return softmaxCrossEntropy(classes_, n_, last.y.data(), labels, withGrad ? last.dy.data() : nullptr, 1.0 / n_);
}

template <typename T>
void Net<T>::backward(bool wantInputGrad) {
  if (n_ == 0) throw Error(codes::kInvalidArgument, "expected a forward pass before backward");
  // The last node's gradient was seeded by loss(); every other one starts at zero. With the
  // optimised kernels the clear is lazy: the first op to write a gradient overwrites it where it
  // can (BatchNorm, ReLU, Add: gradTarget), the others find it zeroed in parallel, and a gradient
  // nothing wrote is zeroed before its own op reads it. The eager single-threaded clear was 5% of
  // a 28x28 ResNet step; the baseline kernels keep it, as they were measured with it.
  const auto t0 = Clock::now();
  const bool lazy = !baselineKernels();
  fresh_.assign(nodes_.size(), 0);
  for (std::size_t i = 0; i + 1 < nodes_.size(); ++i) {
    if (i == 0 && !wantInputGrad) continue;
    if (nodes_[i].fusedRelu >= 0) continue;  // its gradient is the ReLU's, masked
    if (lazy) {
      nodes_[i].dy.resize(nodes_[i].y.size());
      fresh_[i] = 1;
    } else {
      nodes_[i].dy.assign(nodes_[i].y.size(), T(0));
    }
  }
  profile_.clearSeconds += since(t0);
  for (std::size_t i = nodes_.size(); i-- > 1;) {
    const auto t1 = Clock::now();
    settleGrad(static_cast<int>(i));
    if (nodes_[i].fusedRelu >= 0) settleGrad(nodes_[i].fusedRelu);
    backwardNode(nodes_[i], wantInputGrad);
    profile_.opSeconds[1][static_cast<int>(nodes_[i].spec.op)] += since(t1);
  }
}

// Zeroes node idx's gradient if nothing has written it yet in this backward pass.
template <typename T>
void Net<T>::settleGrad(int idx) {
  if (!fresh_[idx]) return;
  fresh_[idx] = 0;
  const auto t0 = Clock::now();
  T* p = nodes_[idx].dy.data();
  parallelFor(nodes_[idx].dy.size(), threads_, [p](std::size_t i0, std::size_t i1, int) { std::fill(p + i0, p + i1, T(0)); });
  profile_.clearSeconds += since(t0);
}

// The gradient of input idx for an op that adds its contribution. An op that can also write it
// (canOverwrite) gets *overwrite = true while the buffer is still fresh and skips the zeroing.
template <typename T>
T* Net<T>::gradTarget(int idx, bool canOverwrite, bool& overwrite) {
  overwrite = canOverwrite && fresh_[idx];
  if (overwrite)
    fresh_[idx] = 0;
  else
    settleGrad(idx);
  return nodes_[idx].dy.data();
}

template <typename T>
void Net<T>::backwardNode(Node& node, bool wantInputGrad) {
  if (node.fusedInto >= 0) return;  // done by its BatchNorm
  const NodeSpec& s = node.spec;
  Node& in = nodes_[s.inputs[0]];
  const bool inGrad = s.inputs[0] != 0 || wantInputGrad;
  // Ops that can overwrite their input's gradient: train-mode BatchNorm, ReLU and Add.
  const bool canOverwrite =
      (s.op == OpKind::BatchNorm && lastTrainMode_) || s.op == OpKind::Relu || s.op == OpKind::Add;
  bool overwrite = false;
  T* dx = inGrad ? gradTarget(s.inputs[0], canOverwrite, overwrite) : nullptr;
  const std::size_t count = node.out.size();
  switch (s.op) {
    case OpKind::Input:
      break;
    case OpKind::Conv: {
      const auto t0 = Clock::now();
      const ConvShape cs = convShape(node);
      const T* w = node.usedWeight;
      const bool elastic = node.activeKernel != s.kernel;
      std::vector<T>& fullGrad = grads_[node.weight];
      if (elastic) node.activeGrad.resize(node.activeWeight.size());
      if (cudaConvs_)
        convBackwardCuda(cs, in.out, in.y.data(), w, node.dy.data(), dx, elastic ? node.activeGrad.data() : fullGrad.data(),
                         node.bias >= 0 ? grads_[node.bias].data() : nullptr);
      else
        convBackward(cs, in.out, in.y.data(), w, node.dy.data(), dx, elastic ? node.activeGrad.data() : fullGrad.data(),
                     node.bias >= 0 ? grads_[node.bias].data() : nullptr, scratch_, threads_);
      if (elastic) {  // only the centre gets a gradient
        std::fill(fullGrad.begin(), fullGrad.end(), T(0));
        const int K = s.kernel, k = node.activeKernel, off = (K - k) / 2;
        for (int oc = 0; oc < cs.cout * cs.cin; ++oc)
          for (int i = 0; i < k; ++i)
            for (int j = 0; j < k; ++j)
              fullGrad[(static_cast<std::size_t>(oc) * K + i + off) * K + j + off] =
                  node.activeGrad[(static_cast<std::size_t>(oc) * k + i) * k + j];
      }
      profile_.backwardSeconds += since(t0);
      profile_.backwardFlops += (dx ? 4.0 : 2.0) * cs.cout * cs.patch() * node.out.perChannel();
      break;
    }
    case OpKind::BatchNorm: {
      const Node* relu = node.fusedRelu >= 0 ? &nodes_[node.fusedRelu] : nullptr;
      const T* dy = relu ? relu->dy.data() : node.dy.data();
      const T* reluOut = relu ? relu->y.data() : nullptr;
      if (lastTrainMode_)
        batchNormBackward(in.out, in.y.data(), values_[node.weight].data(), node.saveMean.data(),
                          node.saveInvStd.data(), dy, dx, grads_[node.weight].data(), grads_[node.bias].data(),
                          threads_, reluOut, overwrite);
      else
        batchNormInferBackward(in.out, in.y.data(), values_[node.weight].data(), values_[node.mean].data(),
                               values_[node.var].data(), s.eps, dy, dx, grads_[node.weight].data(),
                               grads_[node.bias].data(), threads_, reluOut);
      break;
    }
    case OpKind::Relu:
      if (dx) reluBackward(count, node.y.data(), node.dy.data(), dx, threads_, overwrite);
      break;
    case OpKind::Add:
      if (dx) accumulate(count, node.dy.data(), dx, threads_, overwrite);
      if (s.inputs[1] != 0 || wantInputGrad) {
        bool second = false;
        T* dx1 = gradTarget(s.inputs[1], true, second);
        accumulate(count, node.dy.data(), dx1, threads_, second);
      }
      break;
    case OpKind::MaxPool:
      if (dx) maxPoolBackward(PoolShape{s.kernel, s.stride, s.pad}, in.out, node.argmax.data(), node.dy.data(), dx,
                              threads_);
      break;
    case OpKind::AvgPool:
      if (dx) avgPoolBackward(PoolShape{s.kernel, s.stride, s.pad}, in.out, node.dy.data(), dx, threads_);
      break;
    case OpKind::GlobalAvgPool:
      if (dx) globalAvgPoolBackward(in.out, node.dy.data(), dx, threads_);
      break;
    case OpKind::Flatten:
      if (dx) flattenBackward(in.out, node.dy.data(), dx, threads_);
      break;
    case OpKind::Linear:
      linearBackward(in.out.c, s.channels, n_, in.y.data(), node.usedWeight, node.dy.data(), dx,
                     grads_[node.weight].data(), grads_[node.bias].data(), threads_);
      break;
  }
}

template <typename T>
void Net<T>::inputGrad(T* out) const {
  const Node& in = nodes_[0];
  if (in.dy.size() != in.y.size()) throw Error(codes::kInvalidArgument, "expected backward with the input gradient");
  const std::size_t P = in.out.plane();
  for (int c = 0; c < inC_; ++c)
    for (int s = 0; s < n_; ++s)
      std::memcpy(out + (static_cast<std::size_t>(s) * inC_ + c) * P,
                  in.dy.data() + (static_cast<std::size_t>(c) * n_ + s) * P, sizeof(T) * P);
}

template <typename T>
void Net<T>::step(const SgdOptions& o) {
  const auto t0 = Clock::now();
  for (std::size_t i = 0; i < info_.size(); ++i)
    if (info_[i].trainable)
      sgdUpdate(values_[i].size(), values_[i].data(), grads_[i].data(), velocity_[i].data(), o, info_[i].decay,
                threads_);
  profile_.optimizerSeconds += since(t0);
}

template class Net<float>;
template class Net<double>;

}  // namespace train
}  // namespace nax
