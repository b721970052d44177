// N-API glue for the device model on its own (tests and diagnostics):
//   deviceConductances({ device, gMin, gMax, targets, seed, array })
//     -> Promise<{ programmed: Float64Array, atTime: Float64Array }>
// Cell c of `targets` is drawn exactly as cell c of array `array` of a
// programmed layer with the same seed (native/core/device_model.h).
#include <memory>

#include "core/device_model.h"
#include "device_binding.h"
#include "napi_util.h"

namespace {

using naxb::throwNax;

Napi::Value deviceConductances(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object opts = naxb::objectArg(info, 0, "options");
  const naxb::RequiredFields f(opts, "");
  nax::DeviceModel device = naxb::readDeviceModel(opts.Get("device"), "device");
  const double gMin = f.number("gMin"), gMax = f.number("gMax");
  const auto seed = static_cast<std::uint64_t>(f.integer("seed", 0, 9007199254740991LL));
  const auto array = static_cast<std::uint64_t>(f.integer("array", 0, 9007199254740991LL));
  Napi::Float64Array targets = naxb::float64Field(opts, "targets");
  naxb::guard(env, [&] {
    if (!device.enabled)
      throw nax::Error(nax::codes::kConfig, "expected a device model (enabled) for device, got the plain device");
    nax::validateDeviceModel(device, gMin, gMax);
    return 0;
  });
  const std::size_t count = targets.ElementLength();
  for (std::size_t i = 0; i < count; ++i)
    if (!(targets[i] >= gMin && targets[i] <= gMax))
      throwNax(env, nax::codes::kOutOfRange,
               "expected conductances in [gMin, gMax] (siemens) for targets[" + std::to_string(i) + "], got " +
                   std::to_string(targets[i]));
  Napi::Float64Array programmed = Napi::Float64Array::New(env, count), atTime = Napi::Float64Array::New(env, count);
  auto buf = std::make_shared<naxb::AsyncBuffers>();
  const double* t = buf->in(targets);  // never read the caller's memory off the main thread
  double* p = programmed.Data();
  double* a = atTime.Data();
  auto refs = std::make_shared<std::pair<Napi::Reference<Napi::Float64Array>, Napi::Reference<Napi::Float64Array>>>(
      Napi::Persistent(programmed), Napi::Persistent(atTime));
  return naxb::PromiseWorker::start(
      env,
      [device, gMin, gMax, seed, array, t, p, a, count]() {
        for (std::size_t i = 0; i < count; ++i) {
          const nax::DeviceDraw d = nax::drawDevice(device, gMin, gMax, t[i], seed, array, i);
          p[i] = d.programmed;
          a[i] = d.atTime;
        }
      },
      [refs](Napi::Env env) -> Napi::Value {
        Napi::Object o = Napi::Object::New(env);
        o.Set("programmed", refs->first.Value());
        o.Set("atTime", refs->second.Value());
        return o;
      },
      {programmed, atTime}, buf);
}

void init(Napi::Env env, Napi::Object exports) {
  exports.Set("deviceConductances", Napi::Function::New(env, deviceConductances, "deviceConductances"));
}

NAX_EXPORTS(init);

}  // namespace
