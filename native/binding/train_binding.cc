// N-API glue for the training executor: a TrainNet object wrapping a
// nax::train::Net in float (training) or double (gradient checks) precision.
// Heavy calls (trainStep, forward) run on a worker and resolve a promise; the
// net refuses a second call while one is in flight.
#include <atomic>
#include <memory>

#include "core/parallel.h"
#include "core/train_augment.h"
#include "core/train_net.h"
#include "core/cuda_backend.h"
#include "napi_util.h"

namespace {

using nax::train::Net;
using nax::train::NodeSpec;
using nax::train::OpKind;

OpKind parseOp(Napi::Env env, const std::string& op) {
  static const std::pair<const char*, OpKind> table[] = {
      {"input", OpKind::Input},     {"conv", OpKind::Conv},       {"batchnorm", OpKind::BatchNorm},
      {"relu", OpKind::Relu},       {"add", OpKind::Add},         {"maxpool", OpKind::MaxPool},
      {"avgpool", OpKind::AvgPool}, {"gap", OpKind::GlobalAvgPool}, {"flatten", OpKind::Flatten},
      {"linear", OpKind::Linear}};
  for (const auto& [name, kind] : table)
    if (op == name) return kind;
  naxb::throwNax(env, nax::codes::kInvalidArgument, "expected a known op for op, got " + op);
}

std::vector<int> intList(Napi::Env env, Napi::Value v, const char* name) {
  std::vector<int> out;
  if (v.IsUndefined()) return out;
  if (!v.IsArray()) naxb::throwNax(env, nax::codes::kInvalidArgument, std::string("expected an array for ") + name);
  Napi::Array a = v.As<Napi::Array>();
  for (uint32_t i = 0; i < a.Length(); ++i) {
    Napi::Value e = a.Get(i);
    if (!e.IsNumber())
      naxb::throwNax(env, nax::codes::kInvalidArgument, std::string("expected numbers in ") + name);
    out.push_back(e.As<Napi::Number>().Int32Value());
  }
  return out;
}

// {pad, flip, seed, step}: trainStep's `augment` option and augmentBatch's arguments.
nax::train::AugmentOptions readAugment(Napi::Object o) {
  nax::train::AugmentOptions a;
  a.pad = static_cast<int>(naxb::intField(o, "pad", 0, 64, false, 0));
  a.flip = o.Get("flip").ToBoolean().Value();
  a.seed = static_cast<std::uint64_t>(naxb::intField(o, "seed", 0, (1LL << 53), false, 0));
  a.step = static_cast<std::uint64_t>(naxb::intField(o, "step", 0, (1LL << 53), false, 0));
  return a;
}

// A JS array of numbers or strings.
template <typename V>
Napi::Array toArray(Napi::Env env, const V& values) {
  Napi::Array out = Napi::Array::New(env);
  for (uint32_t i = 0; i < values.size(); ++i) out.Set(i, values[i]);
  return out;
}

// A typed array of either precision, read as T (copied only when it differs).
template <typename T>
struct TypedInput {
  const T* data = nullptr;
  std::size_t length = 0;
  std::vector<T> converted;
  Napi::Object holder;
};

// copy: the data goes to async work, which must never read JS memory in place
// (the caller may detach the buffer meanwhile: see naxb::AsyncBuffers).
template <typename T>
TypedInput<T> readTyped(Napi::Env env, Napi::Value v, const char* name, bool copy = false) {
  TypedInput<T> r;
  if (!v.IsTypedArray()) naxb::throwNax(env, nax::codes::kInvalidArgument, std::string("expected a Float32Array or Float64Array for ") + name + ", got " + naxb::describe(v));
  Napi::TypedArray ta = v.As<Napi::TypedArray>();
  r.holder = ta;
  r.length = ta.ElementLength();
  if (ta.TypedArrayType() == napi_float32_array) {
    const float* p = ta.As<Napi::Float32Array>().Data();
    if constexpr (std::is_same_v<T, float>) if (!copy) { r.data = p; return r; }
    r.converted.assign(p, p + r.length);
    r.data = r.converted.data();
  } else if (ta.TypedArrayType() == napi_float64_array) {
    const double* p = ta.As<Napi::Float64Array>().Data();
    if constexpr (std::is_same_v<T, double>) if (!copy) { r.data = p; return r; }
    r.converted.assign(p, p + r.length);
    r.data = r.converted.data();
  } else {
    naxb::throwNax(env, nax::codes::kInvalidArgument, std::string("expected a Float32Array or Float64Array for ") + name);
  }
  return r;
}

template <typename T>
Napi::Value makeTyped(Napi::Env env, const T* data, std::size_t n) {
  if constexpr (std::is_same_v<T, float>) {
    Napi::Float32Array a = Napi::Float32Array::New(env, n);
    std::copy(data, data + n, a.Data());
    return a;
  } else {
    Napi::Float64Array a = Napi::Float64Array::New(env, n);
    std::copy(data, data + n, a.Data());
    return a;
  }
}

class TrainNet : public Napi::ObjectWrap<TrainNet> {
 public:
  static void init(Napi::Env env, Napi::Object exports) {
    Napi::Function ctor = DefineClass(
        env, "TrainNet",
        {InstanceMethod("paramInfo", &TrainNet::paramInfo), InstanceMethod("getParam", &TrainNet::getParam),
         InstanceMethod("setParam", &TrainNet::setParam), InstanceMethod("getVelocity", &TrainNet::getVelocity),
         InstanceMethod("setVelocity", &TrainNet::setVelocity),
         InstanceMethod("kernelChoices", &TrainNet::kernelChoices),
         InstanceMethod("searchableNames", &TrainNet::searchableNames),
         InstanceMethod("setKernels", &TrainNet::setKernels), InstanceMethod("kernels", &TrainNet::kernels),
         InstanceMethod("setThreads", &TrainNet::setThreads), InstanceMethod("trainStep", &TrainNet::trainStep),
         InstanceMethod("forward", &TrainNet::forward), InstanceMethod("gradients", &TrainNet::gradients),
         InstanceMethod("profile", &TrainNet::profile), InstanceMethod("resetProfile", &TrainNet::resetProfile),
         InstanceMethod("setHardwareAware", &TrainNet::setHardwareAware)});
    exports.Set("TrainNet", ctor);
  }

  explicit TrainNet(const Napi::CallbackInfo& info) : Napi::ObjectWrap<TrainNet>(info) {
    Napi::Env env = info.Env();
    Napi::Object o = naxb::objectArg(info, 0, "options");
    Napi::Value nodesV = o.Get("nodes");
    if (!nodesV.IsArray()) naxb::throwNax(env, nax::codes::kInvalidArgument, "expected an array for nodes");
    Napi::Array nodes = nodesV.As<Napi::Array>();
    std::vector<NodeSpec> specs;
    for (uint32_t i = 0; i < nodes.Length(); ++i) {
      if (!nodes.Get(i).IsObject()) naxb::throwNax(env, nax::codes::kInvalidArgument, "expected objects in nodes");
      Napi::Object n = nodes.Get(i).As<Napi::Object>();
      NodeSpec s;
      Napi::Value op = n.Get("op");
      if (!op.IsString()) naxb::throwNax(env, nax::codes::kInvalidArgument, "expected a string for op");
      s.op = parseOp(env, op.As<Napi::String>().Utf8Value());
      Napi::Value name = n.Get("name");
      s.name = name.IsString() ? name.As<Napi::String>().Utf8Value() : "n" + std::to_string(i);
      s.inputs = intList(env, n.Get("inputs"), "inputs");
      s.channels = static_cast<int>(naxb::intField(n, "channels", 0, 1 << 20, false, 0));
      s.kernel = static_cast<int>(naxb::intField(n, "kernel", 1, 255, false, 1));
      s.stride = static_cast<int>(naxb::intField(n, "stride", 1, 255, false, 1));
      s.pad = static_cast<int>(naxb::intField(n, "pad", 0, 255, false, 0));
      s.kernelChoices = intList(env, n.Get("kernelChoices"), "kernelChoices");
      s.bias = n.Get("bias").ToBoolean().Value();
      s.eps = naxb::numberField(n, "eps", false, 1e-5);
      s.momentum = naxb::numberField(n, "momentum", false, 0.1);
      specs.push_back(std::move(s));
    }
    std::vector<int> shape = intList(env, o.Get("inputShape"), "inputShape");
    if (shape.size() != 3) naxb::throwNax(env, nax::codes::kInvalidArgument, "expected [C, H, W] for inputShape");
    const int threads = naxb::threadsField(o);
    // accelerator: 'cpu' (default) or 'cuda' (the convolutions on the CUDA library).
    const Napi::Value accelerator = o.Get("accelerator");
    bool cudaConvs = false;
    if (!accelerator.IsUndefined()) {
      const std::string a = accelerator.IsString() ? accelerator.As<Napi::String>().Utf8Value() : std::string();
      if (a != "cpu" && a != "cuda")
        naxb::throwNax(env, nax::codes::kInvalidArgument,
                       "expected 'cpu' or 'cuda' for accelerator, got " + naxb::describe(accelerator));
      cudaConvs = a == "cuda";
    }
    Napi::Value precision = o.Get("precision");
    double64_ = precision.IsString() && precision.As<Napi::String>().Utf8Value() == "float64";
    naxb::guard(env, [&] {
      if (double64_) d_ = std::make_unique<Net<double>>(specs, shape[0], shape[1], shape[2], nax::resolveThreads(threads));
      else f_ = std::make_unique<Net<float>>(specs, shape[0], shape[1], shape[2], nax::resolveThreads(threads));
      if (cudaConvs) {
        nax::cuda::api("accelerator");  // a NaxError naming the reason when CUDA cannot run here
        if (d_) d_->setCudaConvs(true);
        else f_->setCudaConvs(true);
      }
      return 0;
    });
  }

 private:
  template <typename Fn>
  auto withNet(Fn&& fn) {
    if (double64_) return fn(*d_);
    return fn(*f_);
  }
  void checkIdle(Napi::Env env) {
    if (busy_) naxb::throwNax(env, nax::codes::kInvalidArgument, "expected no call in flight on this TrainNet");
  }
  std::size_t paramIndex(const Napi::CallbackInfo& info) {
    const std::size_t count = withNet([](auto& net) { return net.paramInfo().size(); });
    if (info.Length() < 1 || !info[0].IsNumber()) naxb::throwNax(info.Env(), nax::codes::kInvalidArgument, "expected a parameter index");
    const double i = info[0].As<Napi::Number>().DoubleValue();
    if (i < 0 || i >= count || i != static_cast<std::size_t>(i))
      naxb::throwNax(info.Env(), nax::codes::kOutOfRange, "expected a parameter index in [0, " + std::to_string(count) + ")");
    return static_cast<std::size_t>(i);
  }

  Napi::Value paramInfo(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return withNet([&](auto& net) -> Napi::Value {
      Napi::Array out = Napi::Array::New(env);
      uint32_t i = 0;
      for (const auto& p : net.paramInfo()) {
        Napi::Object o = Napi::Object::New(env);
        o.Set("name", p.name);
        o.Set("shape", toArray(env, p.shape));
        o.Set("trainable", p.trainable);
        o.Set("decay", p.decay);
        out.Set(i++, o);
      }
      return out;
    });
  }
  Napi::Value getParam(const Napi::CallbackInfo& info) {
    checkIdle(info.Env());
    const std::size_t i = paramIndex(info);
    return withNet([&](auto& net) { return makeTyped(info.Env(), net.paramValue(i).data(), net.paramValue(i).size()); });
  }
  Napi::Value getVelocity(const Napi::CallbackInfo& info) {
    checkIdle(info.Env());
    const std::size_t i = paramIndex(info);
    return withNet([&](auto& net) { return makeTyped(info.Env(), net.paramVelocity(i).data(), net.paramVelocity(i).size()); });
  }
  template <bool Velocity>
  Napi::Value setBuffer(const Napi::CallbackInfo& info) {
    checkIdle(info.Env());
    const std::size_t i = paramIndex(info);
    return withNet([&](auto& net) -> Napi::Value {
      using T = typename std::remove_reference_t<decltype(net.paramValue(0))>::value_type;
      auto& dst = Velocity ? net.paramVelocity(i) : net.paramValue(i);
      TypedInput<T> src = readTyped<T>(info.Env(), info.Length() > 1 ? info[1] : info.Env().Undefined(), "values");
      if (src.length != dst.size())
        naxb::throwNax(info.Env(), nax::codes::kSizeMismatch,
                       "expected " + std::to_string(dst.size()) + " values for " + net.paramInfo()[i].name + ", got " +
                           std::to_string(src.length));
      std::copy(src.data, src.data + src.length, dst.begin());
      return info.Env().Undefined();
    });
  }
  Napi::Value setParam(const Napi::CallbackInfo& info) { return setBuffer<false>(info); }
  Napi::Value setVelocity(const Napi::CallbackInfo& info) { return setBuffer<true>(info); }

  Napi::Value kernelChoices(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    auto choices = withNet([](auto& net) { return net.kernelChoices(); });
    Napi::Array out = Napi::Array::New(env);
    for (uint32_t i = 0; i < choices.size(); ++i) out.Set(i, toArray(env, choices[i]));
    return out;
  }
  Napi::Value searchableNames(const Napi::CallbackInfo& info) {
    return toArray(info.Env(), withNet([](auto& net) { return net.searchableNames(); }));
  }
  Napi::Value setKernels(const Napi::CallbackInfo& info) {
    checkIdle(info.Env());
    std::vector<int> k = intList(info.Env(), info.Length() ? info[0] : info.Env().Undefined(), "kernels");
    naxb::guard(info.Env(), [&] {
      withNet([&](auto& net) { net.setKernels(k); return 0; });
      return 0;
    });
    return info.Env().Undefined();
  }
  Napi::Value kernels(const Napi::CallbackInfo& info) {
    return toArray(info.Env(), withNet([](auto& net) { return net.kernels(); }));
  }
  Napi::Value setThreads(const Napi::CallbackInfo& info) {
    checkIdle(info.Env());
    if (info.Length() < 1 || !info[0].IsNumber()) naxb::throwNax(info.Env(), nax::codes::kInvalidArgument, "expected a number for threads");
    const int t = nax::resolveThreads(info[0].As<Napi::Number>().Int32Value());
    withNet([&](auto& net) { net.setThreads(t); return 0; });
    return info.Env().Undefined();
  }

  // Common batch arguments: images (n x inputSize), optional labels.
  struct Batch {
    int count = 0;
    Napi::Object imagesHolder, labelsHolder;
    const std::uint8_t* labels = nullptr;
    std::shared_ptr<std::vector<std::uint8_t>> labelsCopy;  // what `labels` points into (async work's own copy)
  };
  template <typename T>
  Batch readBatch(Napi::Env env, Napi::Object o, Net<T>& net, TypedInput<T>& images, bool needLabels) {
    Batch b;
    b.count = static_cast<int>(naxb::intField(o, "count", 1, 1 << 24));
    images = readTyped<T>(env, o.Get("images"), "images", true);
    if (images.length < static_cast<std::size_t>(b.count) * net.inputSize())
      naxb::throwNax(env, nax::codes::kSizeMismatch,
                     "expected at least " + std::to_string(static_cast<std::size_t>(b.count) * net.inputSize()) +
                         " values for images, got " + std::to_string(images.length));
    Napi::Value labels = o.Get("labels");
    if (needLabels || !labels.IsUndefined()) {
      if (!labels.IsTypedArray() || labels.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array)
        naxb::throwNax(env, nax::codes::kInvalidArgument, "expected a Uint8Array for labels, got " + naxb::describe(labels));
      Napi::Uint8Array l = labels.As<Napi::Uint8Array>();
      if (l.ElementLength() < static_cast<std::size_t>(b.count))
        naxb::throwNax(env, nax::codes::kSizeMismatch, "expected at least count labels");
      b.labelsCopy = std::make_shared<std::vector<std::uint8_t>>(l.Data(), l.Data() + b.count);
      b.labels = b.labelsCopy->data();
      b.labelsHolder = l;
    }
    return b;
  }

  // trainStep({images, labels, count, lr, momentum, weightDecay, nesterov,
  //            augment?: {pad, flip, seed, step}}) -> Promise<{loss, correct}>
  Napi::Value trainStep(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    checkIdle(env);
    Napi::Object o = naxb::objectArg(info, 0, "options");
    return withNet([&](auto& net) -> Napi::Value {
      using T = typename std::remove_reference_t<decltype(net.paramValue(0))>::value_type;
      auto images = std::make_shared<TypedInput<T>>();
      Batch b = readBatch(env, o, net, *images, true);
      nax::train::SgdOptions sgd;
      sgd.lr = naxb::numberField(o, "lr");
      sgd.momentum = naxb::numberField(o, "momentum", false, 0.9);
      sgd.weightDecay = naxb::numberField(o, "weightDecay", false, 0);
      sgd.nesterov = o.Get("nesterov").ToBoolean().Value();
      nax::train::AugmentOptions aug;
      bool augment = false;
      if (o.Get("augment").IsObject()) {
        aug = readAugment(o.Get("augment").As<Napi::Object>());
        augment = aug.pad > 0 || aug.flip;
      }
      net.hardwareAware().step = static_cast<std::uint64_t>(naxb::intField(o, "noiseStep", 0, (1LL << 53), false, 0));
      auto result = std::make_shared<nax::train::LossResult>();
      Net<T>* p = &net;
      busy_ = true;
      return naxb::PromiseWorker::start(
          env,
          [p, images, b, sgd, aug, augment, result, this] {
            const T* x = images->data;
            std::vector<T> augmented;
            if (augment) {
              augmented.resize(static_cast<std::size_t>(b.count) * p->inputSize());
              nax::train::augmentBatch(aug, b.count, inC(*p), inH(*p), inW(*p), x, augmented.data(), threadsOf(*p));
              x = augmented.data();
            }
            p->forward(x, b.count, true, true);
            *result = p->loss(b.labels, true);
            p->backward(false);
            p->step(sgd);
          },
          [result, b](Napi::Env e) -> Napi::Value {
            Napi::Object r = Napi::Object::New(e);
            r.Set("loss", result->lossSum / b.count);
            r.Set("correct", result->correct);
            return r;
          },
          {images->holder, b.labelsHolder, Value()}, nullptr,
          // Cleared on the main thread as the promise settles, not when the worker thread ends:
          // a call made after this one returned always finds it in flight until then.
          [this] { busy_ = false; });
    });
  }

  // forward({images, count, train?, updateStats?, momentum?, labels?}) ->
  // Promise<{logits (count x classes), loss?, correct?}>
  Napi::Value forward(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    checkIdle(env);
    Napi::Object o = naxb::objectArg(info, 0, "options");
    return withNet([&](auto& net) -> Napi::Value {
      using T = typename std::remove_reference_t<decltype(net.paramValue(0))>::value_type;
      auto images = std::make_shared<TypedInput<T>>();
      Batch b = readBatch(env, o, net, *images, false);
      const bool train = o.Get("train").ToBoolean().Value();
      const bool updateStats = o.Get("updateStats").ToBoolean().Value();
      const double momentum = naxb::numberField(o, "momentum", false, -1);
      auto logits = std::make_shared<std::vector<T>>(static_cast<std::size_t>(b.count) * net.classes());
      auto result = std::make_shared<nax::train::LossResult>();
      Net<T>* p = &net;
      busy_ = true;
      return naxb::PromiseWorker::start(
          env,
          [p, images, b, train, updateStats, momentum, logits, result, this] {
            p->forward(images->data, b.count, train, updateStats, momentum);
            p->logits(logits->data());
            if (b.labels) *result = p->loss(b.labels, false);
          },
          [logits, result, b](Napi::Env e) -> Napi::Value {
            Napi::Object r = Napi::Object::New(e);
            r.Set("logits", makeTyped(e, logits->data(), logits->size()));
            if (b.labels) {
              r.Set("loss", result->lossSum / b.count);
              r.Set("correct", result->correct);
            }
            return r;
          },
          {images->holder, b.labelsHolder.IsEmpty() ? Napi::Object::New(env) : b.labelsHolder, Value()}, nullptr,
          [this] { busy_ = false; });
    });
  }

  // gradients({images, labels, count, train?, inputGrad?}) -> {loss, grads[], inputGrad?}
  // Synchronous: meant for gradient checks on small nets.
  Napi::Value gradients(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    checkIdle(env);
    Napi::Object o = naxb::objectArg(info, 0, "options");
    return withNet([&](auto& net) -> Napi::Value {
      using T = typename std::remove_reference_t<decltype(net.paramValue(0))>::value_type;
      TypedInput<T> images;
      Batch b = readBatch(env, o, net, images, true);
      const bool train = o.Has("train") ? o.Get("train").ToBoolean().Value() : true;
      const bool wantInput = o.Get("inputGrad").ToBoolean().Value();
      return naxb::guard(env, [&]() -> Napi::Value {
        net.forward(images.data, b.count, train, false);
        auto loss = net.loss(b.labels, true);
        net.backward(wantInput);
        Napi::Object r = Napi::Object::New(env);
        r.Set("loss", loss.lossSum / b.count);
        r.Set("correct", loss.correct);
        Napi::Array grads = Napi::Array::New(env);
        for (uint32_t i = 0; i < net.paramInfo().size(); ++i)
          grads.Set(i, makeTyped(env, net.paramGrad(i).data(), net.paramGrad(i).size()));
        r.Set("grads", grads);
        if (wantInput) {
          std::vector<T> g(static_cast<std::size_t>(b.count) * net.inputSize());
          net.inputGrad(g.data());
          r.Set("inputGrad", makeTyped(env, g.data(), g.size()));
        }
        return r;
      });
    });
  }

  Napi::Value profile(const Napi::CallbackInfo& info) {
    auto p = withNet([](auto& net) { return net.profile(); });
    Napi::Object r = Napi::Object::New(info.Env());
    r.Set("convForwardSeconds", p.forwardSeconds);
    r.Set("convBackwardSeconds", p.backwardSeconds);
    r.Set("convForwardFlops", p.forwardFlops);
    r.Set("convBackwardFlops", p.backwardFlops);
    // Wall seconds per op kind (forward, backward), the optimizer and the gradient clears.
    static const char* const kOpNames[nax::train::kOpKinds] = {"input",   "conv", "batchnorm", "relu",    "add",
                                                               "maxpool", "avgpool", "gap",    "flatten", "linear"};
    for (int pass = 0; pass < 2; ++pass) {
      Napi::Object ops = Napi::Object::New(info.Env());
      for (int k = 0; k < nax::train::kOpKinds; ++k) ops.Set(kOpNames[k], p.opSeconds[pass][k]);
      r.Set(pass == 0 ? "forwardSeconds" : "backwardSeconds", ops);
    }
    r.Set("optimizerSeconds", p.optimizerSeconds);
    r.Set("clearSeconds", p.clearSeconds);
    return r;
  }
  // setHardwareAware({enabled, weightBits, multiplicativeSigma, additiveSigma, seed})
  Napi::Value setHardwareAware(const Napi::CallbackInfo& info) {
    checkIdle(info.Env());
    Napi::Object o = naxb::objectArg(info, 0, "options");
    nax::train::HardwareAwareOptions h;
    h.enabled = o.Get("enabled").ToBoolean().Value();
    h.weightBits = static_cast<int>(naxb::intField(o, "weightBits", 0, 24, false, 8));
    h.multiplicativeSigma = naxb::numberField(o, "multiplicativeSigma", false, 0);
    h.additiveSigma = naxb::numberField(o, "additiveSigma", false, 0);
    h.seed = static_cast<std::uint64_t>(naxb::intField(o, "seed", 0, (1LL << 53), false, 0));
    if (h.multiplicativeSigma < 0 || h.additiveSigma < 0)
      naxb::throwNax(info.Env(), nax::codes::kOutOfRange, "expected non-negative noise sigmas");
    withNet([&](auto& net) { net.setHardwareAware(h); return 0; });
    return info.Env().Undefined();
  }
  Napi::Value resetProfile(const Napi::CallbackInfo& info) {
    withNet([](auto& net) { net.profile() = nax::train::ConvProfile{}; return 0; });
    return info.Env().Undefined();
  }

  template <typename T> static int inC(Net<T>& n) { return n.inputChannels(); }
  template <typename T> static int inH(Net<T>& n) { return n.inputHeight(); }
  template <typename T> static int inW(Net<T>& n) { return n.inputWidth(); }
  template <typename T> static int threadsOf(Net<T>& n) { return n.threads(); }

  bool double64_ = false;
  std::unique_ptr<Net<float>> f_;
  std::unique_ptr<Net<double>> d_;
  std::atomic<bool> busy_{false};
};

// Standalone augmentation, exposed for tests: augmentBatch({images, count,
// shape:[C,H,W], pad, flip, seed, step}) -> Float32Array.
Napi::Value augmentBatch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = naxb::objectArg(info, 0, "options");
  std::vector<int> shape = intList(env, o.Get("shape"), "shape");
  if (shape.size() != 3) naxb::throwNax(env, nax::codes::kInvalidArgument, "expected [C, H, W] for shape");
  const int count = static_cast<int>(naxb::intField(o, "count", 1, 1 << 24));
  Napi::Float32Array images = naxb::float32Field(o, "images", static_cast<std::size_t>(count) * shape[0] * shape[1] * shape[2]);
  const nax::train::AugmentOptions a = readAugment(o);
  Napi::Float32Array out = Napi::Float32Array::New(env, images.ElementLength());
  nax::train::augmentBatch(a, count, shape[0], shape[1], shape[2], images.Data(), out.Data(), 1);
  return out;
}

void init(Napi::Env env, Napi::Object exports) {
  TrainNet::init(env, exports);
  exports.Set("trainAugmentBatch", Napi::Function::New(env, augmentBatch, "trainAugmentBatch"));
}

}  // namespace

NAX_EXPORTS(init);
