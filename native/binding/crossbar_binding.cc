// N-API glue for the crossbar engine:
//   crossbarProgram(opts) -> Promise<NativeCrossbarLayer>
//   NativeCrossbarLayer#run(inputs, batch) -> Promise<Float32Array>
//   crossbarGeometry(opts) -> the mapping's tile counts.
// Arguments are validated in lib/crossbar first; these checks keep bad input
// from ever reaching the core unchecked.
#include <memory>

#include "core/crossbar.h"
#include "device_binding.h"
#include "napi_util.h"

namespace {

using naxb::throwNax;

// Every field is required: lib/crossbar/config.ts toNativeConfig resolves them
// all (adcBits included); the core checks the values.
nax::CrossbarConfig readConfig(Napi::Object o) {
  const naxb::RequiredFields f(o, "config");
  nax::CrossbarConfig c;
  c.rows = static_cast<int>(f.integer("rows", 1, 4096));
  c.cols = static_cast<int>(f.integer("cols", 1, 4096));
  c.bitsPerCell = static_cast<int>(f.integer("bitsPerCell", 1, 8));
  c.weightBits = static_cast<int>(f.integer("weightBits", 2, 16));
  c.inputBits = static_cast<int>(f.integer("inputBits", 1, 16));
  c.dacBits = static_cast<int>(f.integer("dacBits", 1, 8));
  c.adcBits = static_cast<int>(f.integer("adcBits", 1, 24));
  c.adcCalibrated = f.flag("adcCalibrated");
  c.readout = static_cast<nax::Readout>(f.integer("readout", 0, 2));
  c.adcRangeScope = static_cast<int>(f.integer("adcRangeScope", 0, 3));
  c.adcGroupColumns = static_cast<int>(f.integer("adcGroupColumns", 1, 4096));
  c.gOn = f.number("gOn");
  c.gOff = f.number("gOff");
  c.vRead = f.number("vRead");
  c.parasitics = f.flag("parasitics");
  c.rWordLine = f.number("rWordLine");
  c.rBitLine = f.number("rBitLine");
  c.rSource = f.number("rSource");
  c.rSink = f.number("rSink");
  c.variation = static_cast<nax::VariationKind>(f.integer("variation", 0, 2));
  c.variationSigma = f.number("variationSigma");
  c.stuckAtOn = f.number("stuckAtOn");
  c.stuckAtOff = f.number("stuckAtOff");
  c.adcOffsetSigma = f.number("adcOffsetSigma");
  c.adcGainSigma = f.number("adcGainSigma");
  c.adcInlSigma = f.number("adcInlSigma");
  c.readNoise = f.number("readNoise");
  c.readNoiseModel = static_cast<nax::ReadNoiseModel>(f.integer("readNoiseModel", 0, 2));
  c.perChannel = f.flag("perChannel");
  c.inputScale = f.number("inputScale");
  c.seed = static_cast<std::uint64_t>(f.integer("seed", 0, 9007199254740991LL));
  c.threads = static_cast<int>(f.integer("threads", 0, 1024));
  c.ideal = f.flag("ideal");
  // Optional (older callers omit it): 0 cpu, 1 cuda.
  const Napi::Value accelerator = o.Get("accelerator");
  if (!accelerator.IsUndefined()) {
    if (!accelerator.IsNumber() || (accelerator.As<Napi::Number>().Int32Value() != 0 &&
                                    accelerator.As<Napi::Number>().Int32Value() != 1))
      throwNax(o.Env(), nax::codes::kInvalidArgument,
               "expected 0 (cpu) or 1 (cuda) for config.accelerator, got " + naxb::describe(accelerator));
    c.accelerator = static_cast<nax::Accelerator>(accelerator.As<Napi::Number>().Int32Value());
  }
  c.device = naxb::readDeviceModel(o.Get("device"), "config.device");
  return c;
}

class NativeCrossbarLayer : public Napi::ObjectWrap<NativeCrossbarLayer> {
 public:
  static Napi::Function define(Napi::Env env) {
    return DefineClass(env, "NativeCrossbarLayer",
                       {InstanceMethod<&NativeCrossbarLayer::run>("run"),
                        InstanceMethod<&NativeCrossbarLayer::info>("info"),
                        InstanceMethod<&NativeCrossbarLayer::effectiveMatrix>("effectiveMatrix"),
                        InstanceMethod<&NativeCrossbarLayer::arrayMatrices>("arrayMatrices"),
                        InstanceMethod<&NativeCrossbarLayer::adcRanges>("adcRanges"),
                        InstanceMethod<&NativeCrossbarLayer::columnCurrents>("columnCurrents"),
                        InstanceMethod<&NativeCrossbarLayer::calibrateAdc>("calibrateAdc"),
                        InstanceMethod<&NativeCrossbarLayer::finalizeAdcCalibration>("finalizeAdcCalibration"),
                        InstanceMethod<&NativeCrossbarLayer::dispose>("dispose")});
  }

  // Only constructed from crossbarProgram's resolve, with the programmed layer.
  explicit NativeCrossbarLayer(const Napi::CallbackInfo& info) : Napi::ObjectWrap<NativeCrossbarLayer>(info) {
    if (info.Length() != 1 || !info[0].IsExternal())
      throwNax(info.Env(), nax::codes::kInvalidArgument,
               "expected a programmed layer for NativeCrossbarLayer; use crossbarProgram()");
    layer_ = *info[0].As<Napi::External<std::shared_ptr<nax::CrossbarLayer>>>().Data();
  }

 private:
  std::shared_ptr<nax::CrossbarLayer> live(Napi::Env env) {
    if (!layer_) throwNax(env, nax::codes::kInvalidArgument, "expected a live layer for this, got a disposed layer");
    return layer_;
  }

  // (inputs: Float32Array(batch*k), batch) of run and calibrateAdc, checked.
  static std::pair<Napi::Float32Array, std::size_t> batchInputs(const Napi::CallbackInfo& info,
                                                                const nax::CrossbarLayer& l) {
    Napi::Env env = info.Env();
    const nax::CrossbarLayer* layer = &l;
    if (info.Length() < 2 || !info[0].IsTypedArray() ||
        info[0].As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
      throwNax(env, nax::codes::kInvalidArgument,
               "expected a Float32Array for inputs, got " + (info.Length() ? naxb::describe(info[0]) : "nothing"));
    if (!info[1].IsNumber())
      throwNax(env, nax::codes::kInvalidArgument, "expected an integer for batch, got " + naxb::describe(info[1]));
    const double batchD = info[1].As<Napi::Number>().DoubleValue();
    if (!(batchD >= 0) || batchD != std::floor(batchD) || batchD > 1e9)
      throwNax(env, nax::codes::kOutOfRange, "expected an integer in [0, 1e9] for batch, got " + std::to_string(batchD));
    const std::size_t batch = static_cast<std::size_t>(batchD);
    Napi::Float32Array inputs = info[0].As<Napi::Float32Array>();
    if (inputs.ElementLength() != batch * layer->k())
      throwNax(env, nax::codes::kSizeMismatch,
               "expected inputs to have " + std::to_string(batch * layer->k()) + " elements (batch*k), got " +
                   std::to_string(inputs.ElementLength()));
    return {inputs, batch};
  }

  Napi::Value run(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    auto layer = live(env);
    auto [inputs, batch] = batchInputs(info, *layer);
    Napi::Float32Array out = Napi::Float32Array::New(env, batch * layer->n());
    auto buf = std::make_shared<naxb::AsyncBuffers>();
    const float* in = buf->in(inputs);
    float* o = out.Data();  // created here, not reachable from JS until the promise resolves
    return naxb::PromiseWorker::start(
        env, [layer, in, batch, o]() { layer->run(in, batch, o); },
        [ref = std::make_shared<Napi::ObjectReference>(Napi::Persistent(out.As<Napi::Object>()))](Napi::Env) {
          return ref->Value();
        },
        {Value(), out}, buf);
  }

  Napi::Value info(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    auto layer = live(env);
    const auto& g = layer->geometry();
    Napi::Object o = Napi::Object::New(env);
    o.Set("k", static_cast<double>(layer->k()));
    o.Set("n", static_cast<double>(layer->n()));
    o.Set("rowTiles", static_cast<double>(g.rowTiles));
    o.Set("colTiles", static_cast<double>(g.colTiles));
    o.Set("slices", static_cast<double>(g.slices));
    o.Set("cycles", static_cast<double>(g.cycles));
    o.Set("arrays", static_cast<double>(g.arrays));
    o.Set("adcBits", layer->config().adcBits);
    o.Set("adcRangeLsb", layer->adcRangeLsb());
    o.Set("inputScale", layer->inputScale());
    o.Set("effectiveWidth", static_cast<double>(layer->effectiveWidth()));
    o.Set("driftGain", layer->driftGain());
    o.Set("physicalCols", static_cast<double>(layer->physicalCols()));
    o.Set("segments", static_cast<double>(layer->segments()));
    o.Set("bipolar", layer->bipolar());
    o.Set("unitCurrent", layer->unitCurrent());
    o.Set("offsetLsbPerDigit", layer->offsetLsbPerDigit());
    return o;
  }

  // adcRanges() -> Float64Array: calibrated range per ADC, LSB (empty until calibrated).
  Napi::Value adcRanges(const Napi::CallbackInfo& info) {
    auto layer = live(info.Env());
    const std::vector<double> r = layer->adcRanges();
    Napi::Float64Array out = Napi::Float64Array::New(info.Env(), r.size());
    std::copy(r.begin(), r.end(), out.Data());
    return out;
  }

  // Reads an array index argument (the engine's array numbering, crossbar.h arrayMatrices).
  std::size_t arrayArg(const Napi::CallbackInfo& info, const nax::CrossbarLayer& layer) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsNumber())
      throwNax(env, nax::codes::kInvalidArgument,
               "expected an integer for array, got " + (info.Length() ? naxb::describe(info[0]) : "nothing"));
    const double a = info[0].As<Napi::Number>().DoubleValue();
    const double arrays = static_cast<double>(layer.geometry().arrays);
    if (!(a >= 0) || a != std::floor(a) || a >= arrays || layer.config().ideal)
      throwNax(env, nax::codes::kOutOfRange,
               "expected an integer in [0, " + std::to_string(layer.geometry().arrays) +
                   ") of a non-ideal layer for array, got " + naxb::describe(info[0]));
    return static_cast<std::size_t>(a);
  }

  // arrayMatrices(array) -> Promise<{ conductances, transfer }> (Float64Array rows*physicalCols each).
  Napi::Value arrayMatrices(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    auto layer = live(env);
    const std::size_t a = arrayArg(info, *layer);
    const std::size_t size = static_cast<std::size_t>(layer->config().rows) * layer->physicalCols();
    Napi::Float64Array g = Napi::Float64Array::New(env, size), m = Napi::Float64Array::New(env, size);
    double* gp = g.Data();
    double* mp = m.Data();
    Napi::Object result = Napi::Object::New(env);
    result.Set("conductances", g);
    result.Set("transfer", m);
    return naxb::PromiseWorker::start(
        env, [layer, a, gp, mp]() { layer->arrayMatrices(a, gp, mp); },
        [ref = std::make_shared<Napi::ObjectReference>(Napi::Persistent(result))](Napi::Env) { return ref->Value(); },
        {Value(), g, m});
  }

  // columnCurrents(array, digits: Float64Array(rows)) -> Promise<Float64Array(physicalCols)>, amperes.
  Napi::Value columnCurrents(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    auto layer = live(env);
    const std::size_t a = arrayArg(info, *layer);
    if (info.Length() < 2 || !info[1].IsTypedArray() ||
        info[1].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array)
      throwNax(env, nax::codes::kInvalidArgument,
               "expected a Float64Array for digits, got " + (info.Length() > 1 ? naxb::describe(info[1]) : "nothing"));
    Napi::Float64Array digits = info[1].As<Napi::Float64Array>();
    const std::size_t rows = static_cast<std::size_t>(layer->config().rows);
    if (digits.ElementLength() != rows)
      throwNax(env, nax::codes::kSizeMismatch,
               "expected digits to have " + std::to_string(rows) + " elements (rows), got " +
                   std::to_string(digits.ElementLength()));
    const double dMax = (1 << layer->config().dacBits) - 1;
    for (std::size_t i = 0; i < rows; ++i)
      if (!(digits[i] >= 0 && digits[i] <= dMax))
        throwNax(env, nax::codes::kOutOfRange,
                 "expected a number in [0, " + std::to_string(static_cast<int>(dMax)) + "] for digits[" +
                     std::to_string(i) + "], got " + std::to_string(digits[i]));
    Napi::Float64Array out = Napi::Float64Array::New(env, layer->physicalCols());
    auto buf = std::make_shared<naxb::AsyncBuffers>();
    const double* d = buf->in(digits);
    double* o = out.Data();  // created here: not reachable from JS until resolved
    return naxb::PromiseWorker::start(
        env, [layer, a, d, o]() { layer->columnCurrents(a, d, o); },
        [ref = std::make_shared<Napi::ObjectReference>(Napi::Persistent(out.As<Napi::Object>()))](Napi::Env) {
          return ref->Value();
        },
        {Value(), out}, buf);
  }

  // calibrateAdc(inputs, batch) -> Promise<void>: accumulates the calibration set's largest ADC input.
  Napi::Value calibrateAdc(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    auto layer = live(env);
    auto [inputs, batch] = batchInputs(info, *layer);
    auto buf = std::make_shared<naxb::AsyncBuffers>();
    const float* in = buf->in(inputs);
    return naxb::PromiseWorker::start(
        env, [layer, in, batch]() { layer->calibrateAdcAccumulate(in, batch); },
        [](Napi::Env env) { return env.Undefined(); }, {Value()}, buf);
  }

  Napi::Value finalizeAdcCalibration(const Napi::CallbackInfo& info) {
    auto layer = live(info.Env());
    naxb::guard(info.Env(), [&] {
      layer->calibrateAdcFinalize();
      return 0;
    });
    return info.Env().Undefined();
  }

  Napi::Value effectiveMatrix(const Napi::CallbackInfo& info) {
    auto layer = live(info.Env());
    const auto& e = layer->effectiveMatrix();
    Napi::Float32Array out = Napi::Float32Array::New(info.Env(), e.size());
    std::copy(e.begin(), e.end(), out.Data());
    return out;
  }

  Napi::Value dispose(const Napi::CallbackInfo& info) {
    layer_.reset();  // running workers hold their own reference
    return info.Env().Undefined();
  }

  std::shared_ptr<nax::CrossbarLayer> layer_;
};

Napi::Value crossbarProgram(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object opts = naxb::objectArg(info, 0, "options");
  const long long k = naxb::intField(opts, "k", 1, 1 << 24);
  const long long n = naxb::intField(opts, "n", 1, 1 << 24);
  Napi::Float32Array weights = naxb::float32Field(opts, "weights", static_cast<size_t>(k * n));
  if (!opts.Get("config").IsObject())
    throwNax(env, nax::codes::kInvalidArgument, "expected an object for config, got " + naxb::describe(opts.Get("config")));
  nax::CrossbarConfig config = readConfig(opts.Get("config").As<Napi::Object>());
  naxb::guard(env, [&] {
    nax::validateCrossbarConfig(config);
    return 0;
  });
  auto result = std::make_shared<std::shared_ptr<nax::CrossbarLayer>>();
  auto buf = std::make_shared<naxb::AsyncBuffers>();
  const float* w = buf->in(weights);
  return naxb::PromiseWorker::start(
      env,
      [result, w, k, n, config]() {
        *result = std::make_shared<nax::CrossbarLayer>(w, static_cast<std::size_t>(k), static_cast<std::size_t>(n),
                                                       config);
      },
      [result](Napi::Env env) -> Napi::Value {
        return naxb::addonData(env).crossbarLayer.New(
            {Napi::External<std::shared_ptr<nax::CrossbarLayer>>::New(env, result.get())});
      },
      {}, buf);
}

Napi::Value crossbarGeometry(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object opts = naxb::objectArg(info, 0, "options");
  const naxb::RequiredFields f(opts, "");
  const long long k = f.integer("k", 1, 1LL << 40);
  const long long n = f.integer("n", 1, 1LL << 40);
  nax::CrossbarConfig c;
  c.rows = static_cast<int>(f.integer("rows", 1, 4096));
  c.cols = static_cast<int>(f.integer("cols", 1, 4096));
  c.weightBits = static_cast<int>(f.integer("weightBits", 2, 16));
  c.bitsPerCell = static_cast<int>(f.integer("bitsPerCell", 1, 16));
  c.inputBits = static_cast<int>(f.integer("inputBits", 1, 32));
  c.dacBits = static_cast<int>(f.integer("dacBits", 1, 32));
  nax::CrossbarGeometry g = nax::crossbarGeometry(static_cast<std::size_t>(k), static_cast<std::size_t>(n), c);
  Napi::Object o = Napi::Object::New(env);
  o.Set("rowTiles", static_cast<double>(g.rowTiles));
  o.Set("colTiles", static_cast<double>(g.colTiles));
  o.Set("slices", static_cast<double>(g.slices));
  o.Set("cycles", static_cast<double>(g.cycles));
  o.Set("arrays", static_cast<double>(g.arrays));
  return o;
}

void init(Napi::Env env, Napi::Object exports) {
  Napi::Function ctor = NativeCrossbarLayer::define(env);
  naxb::addonData(env).crossbarLayer = Napi::Persistent(ctor);  // per environment (worker_threads)
  exports.Set("NativeCrossbarLayer", ctor);
  exports.Set("crossbarProgram", Napi::Function::New(env, crossbarProgram, "crossbarProgram"));
  exports.Set("crossbarGeometry", Napi::Function::New(env, crossbarGeometry, "crossbarGeometry"));
}

NAX_EXPORTS(init);

}  // namespace
