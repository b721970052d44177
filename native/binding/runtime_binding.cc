// N-API glue for the graph executor's kernels (native/core/nn_forward.h).
// Every entry checks sizes against the typed arrays it receives, writes into a
// caller-allocated output and resolves a promise (work runs off the JS thread).
#include <cmath>
#include <string>

#include "core/nn_forward.h"
#include "napi_util.h"

namespace {

using naxb::float32Field;
using naxb::intField;
using naxb::numberField;
using naxb::objectArg;
using naxb::optionalFloat32Data;
using naxb::threadsField;
using naxb::throwNax;

constexpr long long kMaxDim = 1LL << 30;

nax::ActivationParams readActivation(Napi::Object o) {
  nax::ActivationParams a;
  a.kind = static_cast<nax::Activation>(intField(o, "activation", 0, 3, false, 0));
  a.clipMin = static_cast<float>(numberField(o, "clipMin", false, 0));
  a.clipMax = static_cast<float>(numberField(o, "clipMax", false, 0));
  a.alpha = static_cast<float>(numberField(o, "alpha", false, 0.01));
  return a;
}

// Kernel, pads, strides and dilations: the same fields and bounds for conv and pooling windows.
template <typename Params>
void readWindow(Napi::Object o, Params& p) {
  p.kernelH = static_cast<int>(intField(o, "kernelH", 1, 4096));
  p.kernelW = static_cast<int>(intField(o, "kernelW", 1, 4096));
  p.padTop = static_cast<int>(intField(o, "padTop", 0, 4096, false, 0));
  p.padLeft = static_cast<int>(intField(o, "padLeft", 0, 4096, false, 0));
  p.padBottom = static_cast<int>(intField(o, "padBottom", 0, 4096, false, 0));
  p.padRight = static_cast<int>(intField(o, "padRight", 0, 4096, false, 0));
  p.strideH = static_cast<int>(intField(o, "strideH", 1, 4096, false, 1));
  p.strideW = static_cast<int>(intField(o, "strideW", 1, 4096, false, 1));
  p.dilationH = static_cast<int>(intField(o, "dilationH", 1, 4096, false, 1));
  p.dilationW = static_cast<int>(intField(o, "dilationW", 1, 4096, false, 1));
}

nax::Conv2dParams readConv(Napi::Object o) {
  nax::Conv2dParams p;
  p.batch = static_cast<int>(intField(o, "batch", 0, kMaxDim));
  p.inChannels = static_cast<int>(intField(o, "inChannels", 1, kMaxDim));
  p.height = static_cast<int>(intField(o, "height", 1, kMaxDim));
  p.width = static_cast<int>(intField(o, "width", 1, kMaxDim));
  p.outChannels = static_cast<int>(intField(o, "outChannels", 1, kMaxDim));
  p.groups = static_cast<int>(intField(o, "groups", 1, kMaxDim, false, 1));
  readWindow(o, p);
  p.threads = threadsField(o);
  p.activation = readActivation(o);
  p.depthwiseKernel = intField(o, "depthwiseKernel", 0, 1, false, 1) == 1;
  if (p.inChannels % p.groups != 0 || p.outChannels % p.groups != 0)
    throwNax(o.Env(), nax::codes::kInvalidArgument, "expected inChannels and outChannels divisible by groups");
  if (p.outH() <= 0 || p.outW() <= 0)
    throwNax(o.Env(), nax::codes::kInvalidArgument, "expected a kernel that fits the padded input");
  return p;
}

// An optional Float32Array field, copied for the async work (nullptr when absent).
const float* optionalIn(naxb::AsyncBuffers& buf, Napi::Object o, const char* key, std::size_t n) {
  if (o.Get(key).IsUndefined()) return nullptr;
  return buf.in(float32Field(o, key, n));
}

Napi::Value Conv2d(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return naxb::guard(env, [&]() -> Napi::Value {
    Napi::Object o = objectArg(info, 0, "options");
    nax::Conv2dParams p = readConv(o);
    const std::size_t inLen = static_cast<std::size_t>(p.batch) * p.inChannels * p.height * p.width;
    const std::size_t wLen = static_cast<std::size_t>(p.outChannels) * (p.inChannels / p.groups) * p.kernelH * p.kernelW;
    const std::size_t outLen = static_cast<std::size_t>(p.batch) * p.outChannels * p.outH() * p.outW();
    auto input = float32Field(o, "input", inLen);
    auto weights = float32Field(o, "weights", wLen);
    auto output = float32Field(o, "output", outLen);
    auto buf = std::make_shared<naxb::AsyncBuffers>();
    const float* bias = optionalIn(*buf, o, "bias", static_cast<std::size_t>(p.outChannels));
    const float* in = buf->in(input);
    const float* w = buf->in(weights);
    float* out = buf->out(output, "output", true);
    return naxb::PromiseWorker::start(
        env, [=]() { nax::conv2dForward(p, in, w, bias, out); }, nullptr, {}, buf);
  });
}

Napi::Value Pool2d(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return naxb::guard(env, [&]() -> Napi::Value {
    Napi::Object o = objectArg(info, 0, "options");
    nax::Pool2dParams p;
    p.batch = static_cast<int>(intField(o, "batch", 0, kMaxDim));
    p.channels = static_cast<int>(intField(o, "channels", 1, kMaxDim));
    p.height = static_cast<int>(intField(o, "height", 1, kMaxDim));
    p.width = static_cast<int>(intField(o, "width", 1, kMaxDim));
    p.outH = static_cast<int>(intField(o, "outH", 1, kMaxDim));
    p.outW = static_cast<int>(intField(o, "outW", 1, kMaxDim));
    readWindow(o, p);
    p.isMax = intField(o, "isMax", 0, 1) == 1;
    p.countIncludePad = intField(o, "countIncludePad", 0, 1, false, 0) == 1;
    p.threads = threadsField(o);
    const std::size_t planes = static_cast<std::size_t>(p.batch) * p.channels;
    auto input = float32Field(o, "input", planes * p.height * p.width);
    auto output = float32Field(o, "output", planes * p.outH * p.outW);
    auto buf = std::make_shared<naxb::AsyncBuffers>();
    const float* in = buf->in(input);
    float* out = buf->out(output, "output", true);
    return naxb::PromiseWorker::start(
        env, [=]() { nax::pool2dForward(p, in, out); }, nullptr, {}, buf);
  });
}

Napi::Value GlobalAveragePool(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return naxb::guard(env, [&]() -> Napi::Value {
    Napi::Object o = objectArg(info, 0, "options");
    const std::size_t planes = static_cast<std::size_t>(intField(o, "planes", 0, kMaxDim));
    const std::size_t spatial = static_cast<std::size_t>(intField(o, "spatial", 1, kMaxDim));
    const int threads = threadsField(o);
    auto buf = std::make_shared<naxb::AsyncBuffers>();
    const float* in = buf->in(float32Field(o, "input", planes * spatial));
    float* out = buf->out(float32Field(o, "output", planes), "output", true);
    return naxb::PromiseWorker::start(
        env, [=]() { nax::globalAveragePool(planes, spatial, in, out, threads); }, nullptr, {}, buf);
  });
}

Napi::Value BatchedMatmul(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return naxb::guard(env, [&]() -> Napi::Value {
    Napi::Object o = objectArg(info, 0, "options");
    const std::size_t m = static_cast<std::size_t>(intField(o, "m", 0, kMaxDim));
    const std::size_t n = static_cast<std::size_t>(intField(o, "n", 1, kMaxDim));
    const std::size_t k = static_cast<std::size_t>(intField(o, "k", 1, kMaxDim));
    const int threads = threadsField(o);
    auto aOff = naxb::typedArrayField<Napi::BigInt64Array>(o, "aOffsets", napi_bigint64_array, "BigInt64Array", 0);
    auto bOff = naxb::typedArrayField<Napi::BigInt64Array>(o, "bOffsets", napi_bigint64_array, "BigInt64Array",
                                                           aOff.ElementLength());
    const std::size_t batch = aOff.ElementLength();
    auto aArr = float32Field(o, "a");
    auto bArr = float32Field(o, "b");
    for (std::size_t i = 0; i < batch; ++i) {
      if (aOff[i] < 0 || static_cast<std::size_t>(aOff[i]) + m * k > aArr.ElementLength() || bOff[i] < 0 ||
          static_cast<std::size_t>(bOff[i]) + k * n > bArr.ElementLength())
        throwNax(env, nax::codes::kOutOfRange, "expected matmul offsets inside a and b, got offset set " + std::to_string(i));
    }
    auto buf = std::make_shared<naxb::AsyncBuffers>();
    float* out = buf->out(float32Field(o, "output", batch * m * n), "output", true);
    const float* a = buf->in(aArr);
    const float* b = buf->in(bArr);
    const std::int64_t* ao = buf->in(aOff.Data(), aOff.ElementLength());
    const std::int64_t* bo = buf->in(bOff.Data(), bOff.ElementLength());
    return naxb::PromiseWorker::start(
        env, [=]() { nax::batchedMatmul(batch, m, n, k, a, ao, b, bo, out, threads); }, nullptr, {}, buf);
  });
}

Napi::Value BiasActivation(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return naxb::guard(env, [&]() -> Napi::Value {
    Napi::Object o = objectArg(info, 0, "options");
    const std::size_t batch = static_cast<std::size_t>(intField(o, "batch", 0, kMaxDim));
    const std::size_t channels = static_cast<std::size_t>(intField(o, "channels", 1, kMaxDim));
    const std::size_t inner = static_cast<std::size_t>(intField(o, "inner", 1, kMaxDim));
    const int threads = threadsField(o);
    const nax::ActivationParams act = readActivation(o);
    auto buf = std::make_shared<naxb::AsyncBuffers>();
    float* data = buf->out(float32Field(o, "data", batch * channels * inner), "data", true);
    const float* bias = optionalIn(*buf, o, "bias", channels);
    return naxb::PromiseWorker::start(
        env, [=]() { nax::biasActivation(data, batch, channels, inner, bias, act, threads); }, nullptr, {}, buf);
  });
}

Napi::Value Im2rowBatch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return naxb::guard(env, [&]() -> Napi::Value {
    Napi::Object o = objectArg(info, 0, "options");
    nax::Conv2dParams p = readConv(o);
    const int group = static_cast<int>(intField(o, "group", 0, p.groups - 1, false, 0));
    const std::size_t K = static_cast<std::size_t>(p.inChannels / p.groups) * p.kernelH * p.kernelW;
    const std::size_t P = static_cast<std::size_t>(p.outH()) * p.outW();
    auto buf = std::make_shared<naxb::AsyncBuffers>();
    const float* in =
        buf->in(float32Field(o, "input", static_cast<std::size_t>(p.batch) * p.inChannels * p.height * p.width));
    float* rows = buf->out(float32Field(o, "rows", static_cast<std::size_t>(p.batch) * P * K), "rows", true);
    return naxb::PromiseWorker::start(
        env, [=]() { nax::im2rowBatch(p, group, in, rows); }, nullptr, {}, buf);
  });
}

Napi::Value ScatterRows(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return naxb::guard(env, [&]() -> Napi::Value {
    Napi::Object o = objectArg(info, 0, "options");
    const std::size_t batch = static_cast<std::size_t>(intField(o, "batch", 0, kMaxDim));
    const std::size_t pixels = static_cast<std::size_t>(intField(o, "pixels", 1, kMaxDim));
    const std::size_t n = static_cast<std::size_t>(intField(o, "n", 1, kMaxDim));
    const std::size_t outChannels = static_cast<std::size_t>(intField(o, "outChannels", 1, kMaxDim));
    const int group = static_cast<int>(intField(o, "group", 0, kMaxDim, false, 0));
    if ((static_cast<std::size_t>(group) + 1) * n > outChannels)
      throwNax(env, nax::codes::kOutOfRange, "expected (group + 1) * n <= outChannels");
    const int threads = threadsField(o);
    const nax::ActivationParams act = readActivation(o);
    auto buf = std::make_shared<naxb::AsyncBuffers>();
    const float* rows = buf->in(float32Field(o, "rows", batch * pixels * n));
    // Writes only this group's channels of each image (other groups may run concurrently).
    float* out = buf->outBlocks(float32Field(o, "output", batch * outChannels * pixels), "output",
                                static_cast<std::size_t>(group) * n * pixels, n * pixels, outChannels * pixels, batch, false);
    const float* bias = optionalIn(*buf, o, "bias", outChannels);
    return naxb::PromiseWorker::start(
        env, [=]() { nax::scatterRows(batch, pixels, n, outChannels, group, rows, bias, act, out, threads); }, nullptr,
        {}, buf);
  });
}

Napi::Value ConvTransposeScatter(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return naxb::guard(env, [&]() -> Napi::Value {
    Napi::Object o = objectArg(info, 0, "options");
    nax::ConvTransposeParams p;
    p.batch = static_cast<int>(intField(o, "batch", 0, kMaxDim));
    p.inChannels = static_cast<int>(intField(o, "inChannels", 1, kMaxDim));
    p.height = static_cast<int>(intField(o, "height", 1, kMaxDim));
    p.width = static_cast<int>(intField(o, "width", 1, kMaxDim));
    p.outChannels = static_cast<int>(intField(o, "outChannels", 1, kMaxDim));
    p.groups = static_cast<int>(intField(o, "groups", 1, kMaxDim, false, 1));
    p.outH = static_cast<int>(intField(o, "outH", 1, kMaxDim));
    p.outW = static_cast<int>(intField(o, "outW", 1, kMaxDim));
    p.kernelH = static_cast<int>(intField(o, "kernelH", 1, 4096));
    p.kernelW = static_cast<int>(intField(o, "kernelW", 1, 4096));
    // ConvTranspose pads may exceed the kernel (output_shape smaller than natural); bounds are checked per element.
    p.padTop = static_cast<int>(intField(o, "padTop", -kMaxDim, kMaxDim, false, 0));
    p.padLeft = static_cast<int>(intField(o, "padLeft", -kMaxDim, kMaxDim, false, 0));
    p.strideH = static_cast<int>(intField(o, "strideH", 1, 4096, false, 1));
    p.strideW = static_cast<int>(intField(o, "strideW", 1, 4096, false, 1));
    p.dilationH = static_cast<int>(intField(o, "dilationH", 1, 4096, false, 1));
    p.dilationW = static_cast<int>(intField(o, "dilationW", 1, 4096, false, 1));
    p.threads = threadsField(o);
    if (p.outChannels % p.groups != 0)
      throwNax(env, nax::codes::kInvalidArgument, "expected outChannels divisible by groups");
    const int group = static_cast<int>(intField(o, "group", 0, p.groups - 1, false, 0));
    const std::size_t n = static_cast<std::size_t>(p.outChannels / p.groups) * p.kernelH * p.kernelW;
    const std::size_t P = static_cast<std::size_t>(p.height) * p.width;
    auto buf = std::make_shared<naxb::AsyncBuffers>();
    const float* rows = buf->in(float32Field(o, "rows", static_cast<std::size_t>(p.batch) * P * n));
    // Accumulates into this group's output channels only (other groups may run concurrently).
    const std::size_t Mg = static_cast<std::size_t>(p.outChannels / p.groups), OP = static_cast<std::size_t>(p.outH) * p.outW;
    float* out = buf->outBlocks(
        float32Field(o, "output", static_cast<std::size_t>(p.batch) * p.outChannels * OP), "output",
        static_cast<std::size_t>(group) * Mg * OP, Mg * OP, static_cast<std::size_t>(p.outChannels) * OP,
        static_cast<std::size_t>(p.batch), true);
    return naxb::PromiseWorker::start(
        env, [=]() { nax::convTransposeScatter(p, group, rows, out); }, nullptr, {}, buf);
  });
}

Napi::Value Elementwise(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return naxb::guard(env, [&]() -> Napi::Value {
    Napi::Object o = objectArg(info, 0, "options");
    const int op = static_cast<int>(intField(o, "op", 0, 2));
    const bool relu = intField(o, "relu", 0, 1, false, 0) == 1;
    const int threads = threadsField(o);
    auto aArr = float32Field(o, "a");
    const std::size_t n = aArr.ElementLength();
    auto buf = std::make_shared<naxb::AsyncBuffers>();
    const float* a = buf->in(aArr);
    const float* b = buf->in(float32Field(o, "b", n));
    // Elementwise reads and writes each index once, so the output may be one of the inputs.
    float* out = buf->out(float32Field(o, "output", n), "output", true, /*aliasOk=*/true);
    return naxb::PromiseWorker::start(
        env, [=]() { nax::elementwiseSame(op, a, b, out, n, relu, threads); }, nullptr, {}, buf);
  });
}

// allocPinned(bytes): a zeroed ArrayBuffer in addon-owned memory that async entries read and
// write in place (napi_util.h PinnedRegistry); a plain ArrayBuffer where external buffers are
// refused. For the executor's intermediate tensors.
Napi::Value AllocPinned(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return naxb::guard(env, [&]() -> Napi::Value {
    if (info.Length() < 1 || !info[0].IsNumber())
      naxb::throwNax(env, nax::codes::kInvalidArgument,
                     "expected a byte count for allocPinned, got " +
                         (info.Length() ? naxb::describe(info[0]) : std::string("nothing")));
    const double bytes = info[0].As<Napi::Number>().DoubleValue();
    if (!(bytes >= 0 && bytes <= 9007199254740991.0) || std::floor(bytes) != bytes)
      naxb::throwNax(env, nax::codes::kInvalidArgument,
                     "expected a non-negative integer byte count for allocPinned, got " + naxb::describe(info[0]));
    return naxb::allocPinned(env, static_cast<std::size_t>(bytes));
  });
}

// isPinned(typedArray): whether async entries read and write it in place (a view inside an
// allocPinned block). For tests and diagnostics.
Napi::Value IsPinned(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return naxb::guard(env, [&]() -> Napi::Value {
    if (info.Length() < 1 || !info[0].IsTypedArray())
      naxb::throwNax(env, nax::codes::kInvalidArgument,
                     "expected a typed array for isPinned, got " +
                         (info.Length() ? naxb::describe(info[0]) : std::string("nothing")));
    Napi::TypedArray t = info[0].As<Napi::TypedArray>();
    const char* p = static_cast<const char*>(t.ArrayBuffer().Data()) + t.ByteOffset();
    return Napi::Boolean::New(env, t.ByteLength() > 0 && naxb::PinnedRegistry::get().find(p, t.ByteLength()) != nullptr);
  });
}

void initRuntime(Napi::Env env, Napi::Object exports) {
  Napi::Object rt = Napi::Object::New(env);
  rt.Set("conv2d", Napi::Function::New(env, Conv2d, "conv2d"));
  rt.Set("pool2d", Napi::Function::New(env, Pool2d, "pool2d"));
  rt.Set("globalAveragePool", Napi::Function::New(env, GlobalAveragePool, "globalAveragePool"));
  rt.Set("batchedMatmul", Napi::Function::New(env, BatchedMatmul, "batchedMatmul"));
  rt.Set("biasActivation", Napi::Function::New(env, BiasActivation, "biasActivation"));
  rt.Set("im2rowBatch", Napi::Function::New(env, Im2rowBatch, "im2rowBatch"));
  rt.Set("scatterRows", Napi::Function::New(env, ScatterRows, "scatterRows"));
  rt.Set("elementwise", Napi::Function::New(env, Elementwise, "elementwise"));
  rt.Set("convTransposeScatter", Napi::Function::New(env, ConvTransposeScatter, "convTransposeScatter"));
  rt.Set("allocPinned", Napi::Function::New(env, AllocPinned, "allocPinned"));
  rt.Set("isPinned", Napi::Function::New(env, IsPinned, "isPinned"));
  exports.Set("runtime", rt);
}

NAX_EXPORTS(initRuntime);

}  // namespace
