// N-API glue for the circuit solver: circuitTransferMatrix(opts) and
// circuitSolve(opts) (linear, or Newton with sinh devices when opts.alpha > 0),
// both returning promises. Typed arrays are read in place
// (kept alive for the worker); every argument is checked here and again in the
// core (validateCircuit), so a bad call is a rejected/thrown NaxError, never a
// crash.
#include <cmath>
#include <string>

#include "core/circuit.h"
#include "napi_util.h"

namespace {

struct CircuitArgs {
  nax::CircuitSpec spec;
  Napi::Float64Array conductances;
  int threads = 0;
};

double resistanceField(Napi::Object opts, const char* key) {
  double r = naxb::numberField(opts, key);
  if (r < 0)
    naxb::throwNax(opts.Env(), nax::codes::kOutOfRange,
                   std::string("expected a finite number >= 0 (ohms) for ") + key + ", got " + std::to_string(r));
  return r;
}

CircuitArgs readCircuitArgs(const Napi::CallbackInfo& info) {
  Napi::Object opts = naxb::objectArg(info, 0, "options");
  CircuitArgs a;
  a.spec.rows = static_cast<std::size_t>(naxb::intField(opts, "rows", 1, 4096));
  a.spec.cols = static_cast<std::size_t>(naxb::intField(opts, "cols", 1, 4096));
  a.spec.rWordLine = resistanceField(opts, "rWordLine");
  a.spec.rBitLine = resistanceField(opts, "rBitLine");
  a.spec.rSource = resistanceField(opts, "rSource");
  a.spec.rSink = resistanceField(opts, "rSink");
  a.threads = naxb::threadsField(opts);
  a.conductances = naxb::float64Field(opts, "conductances", a.spec.rows * a.spec.cols);
  return a;
}

Napi::Value circuitTransferMatrix(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CircuitArgs a = readCircuitArgs(info);
  Napi::Object opts = info[0].As<Napi::Object>();
  bool banded = false;
  Napi::Value method = opts.Get("method");
  if (!method.IsUndefined()) {
    std::string m = method.IsString() ? method.As<Napi::String>().Utf8Value() : std::string();
    if (m != "fast" && m != "banded")
      naxb::throwNax(env, nax::codes::kInvalidArgument,
                     "expected one of \"fast\", \"banded\" for method, got " + naxb::describe(method));
    banded = m == "banded";
  }
  Napi::Float64Array out = Napi::Float64Array::New(env, a.spec.rows * a.spec.cols);
  auto buf = std::make_shared<naxb::AsyncBuffers>();
  const double* g = buf->in(a.conductances);
  double* o = out.Data();  // created here: not reachable from JS until resolved
  nax::CircuitSpec spec = a.spec;
  int threads = a.threads;
  auto outRef = std::make_shared<Napi::Reference<Napi::Float64Array>>(Napi::Persistent(out));
  return naxb::PromiseWorker::start(
      env,
      [spec, g, o, threads, banded]() {
        if (banded) nax::transferMatrixBanded(spec, g, o);
        else nax::transferMatrix(spec, g, o, threads);
      },
      [outRef](Napi::Env) -> Napi::Value { return outRef->Value(); }, {out}, buf);
}

Napi::Value circuitSolve(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CircuitArgs a = readCircuitArgs(info);
  Napi::Object opts = info[0].As<Napi::Object>();
  Napi::Float64Array voltages = naxb::float64Field(opts, "voltages");
  const std::size_t rows = a.spec.rows;
  if (voltages.ElementLength() % rows != 0)
    naxb::throwNax(env, nax::codes::kSizeMismatch,
                   "expected voltages to have a multiple of rows (" + std::to_string(rows) + ") elements, got " +
                       std::to_string(voltages.ElementLength()));
  const std::size_t batch = voltages.ElementLength() / rows;
  // alpha > 0: devices I = G sinh(alpha V) / alpha, solved by Newton (circuit.h).
  const double alpha = naxb::numberField(opts, "alpha", false, 0);
  if (alpha < 0 || alpha > 100)
    naxb::throwNax(env, nax::codes::kOutOfRange, "expected a number in (0, 100] (1/V) for nonlinearity.alpha, got " + std::to_string(alpha));
  Napi::Float64Array out = Napi::Float64Array::New(env, batch * a.spec.cols);
  auto buf = std::make_shared<naxb::AsyncBuffers>();
  const double* g = buf->in(a.conductances);
  const double* v = buf->in(voltages);
  double* o = out.Data();
  nax::CircuitSpec spec = a.spec;
  int threads = a.threads;
  auto outRef = std::make_shared<Napi::Reference<Napi::Float64Array>>(Napi::Persistent(out));
  return naxb::PromiseWorker::start(
      env,
      [spec, g, v, batch, o, threads, alpha]() {
        if (alpha > 0) nax::solveCircuitNonlinear(spec, g, alpha, v, batch, o, threads);
        else nax::solveCircuit(spec, g, v, batch, o, threads);
      },
      [outRef](Napi::Env) -> Napi::Value { return outRef->Value(); }, {out}, buf);
}

void init(Napi::Env env, Napi::Object exports) {
  exports.Set("circuitTransferMatrix", Napi::Function::New(env, circuitTransferMatrix, "circuitTransferMatrix"));
  exports.Set("circuitSolve", Napi::Function::New(env, circuitSolve, "circuitSolve"));
}

NAX_EXPORTS(init);

}  // namespace
