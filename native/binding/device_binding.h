// Reads the device model (native/core/device_model.h) from the flat object
// lib/crossbar/devices.ts toNativeDevice writes: every field required.
#pragma once
#include <string>

#include "core/device_model.h"
#include "napi_util.h"

namespace naxb {

inline nax::DeviceModel readDeviceModel(Napi::Value value, const std::string& path) {
  if (!value.IsObject())
    throwNax(value.Env(), nax::codes::kInvalidArgument, "expected an object for " + path + ", got " + describe(value));
  Napi::Object o = value.As<Napi::Object>();
  const RequiredFields f(o, path);
  nax::DeviceModel d;
  d.enabled = f.flag("enabled");
  Napi::Float64Array times = float64Field(o, "programTimes");
  Napi::Float64Array coefficients = float64Field(o, "programCoefficients");
  const std::size_t perTime = static_cast<std::size_t>(f.integer("programDegree", 0, 7)) + 1;
  if (coefficients.ElementLength() != times.ElementLength() * perTime)
    throwNax(o.Env(), nax::codes::kSizeMismatch,
             "expected programTimes.length * (programDegree + 1) elements for " + path + ".programCoefficients, got " +
                 std::to_string(coefficients.ElementLength()));
  for (std::size_t i = 0; i < times.ElementLength(); ++i) {
    d.programTimes.push_back(times[i]);
    d.programCoefficients.emplace_back(coefficients.Data() + i * perTime, coefficients.Data() + (i + 1) * perTime);
  }
  d.drift = f.flag("drift");
  d.t0 = f.number("t0");
  d.nuMean = {f.number("nuMeanSlope"), f.number("nuMeanIntercept"), f.number("nuMeanMin"), f.number("nuMeanMax")};
  d.nuStd = {f.number("nuStdSlope"), f.number("nuStdIntercept"), f.number("nuStdMin"), f.number("nuStdMax")};
  d.readNoise1f = f.flag("readNoise1f");
  d.q = f.number("q");
  d.qExponent = f.number("qExponent");
  d.qMax = f.number("qMax");
  d.tRead = f.number("tRead");
  d.time = f.number("time");
  d.driftCompensation = f.flag("driftCompensation");
  d.alpha = f.number("alpha");
  return d;
}

}  // namespace naxb
