// Device physics of one cell (device_model.h): programming error, drift,
// accumulated 1/f noise, clipping, I-V nonlinearity factor.
#include "device_model.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "error.h"
#include "format.h"
#include "rng.h"

namespace nax {
namespace {

// RNG streams of the device model, apart from the engine's variation/fault streams.
constexpr std::uint64_t kStreamProgram = 0x4445565052474dull;  // programming error z
constexpr std::uint64_t kStreamDrift = 0x44455644524654ull;    // drift exponent z
constexpr std::uint64_t kStreamNoise1f = 0x444556315f46ull;    // accumulated 1/f noise z

// aihwkit clamps g = G / g_max at 1e-7 before its logarithm (_ZERO_CLIP).
constexpr double kMinRelative = 1e-7;

void check(bool ok, const std::string& field, const std::string& expected, double got) {
  if (!ok)
    throw Error(std::isfinite(got) ? codes::kOutOfRange : codes::kInvalidArgument,
                "expected " + expected + " for device." + field + ", got " + formatNumber(got));
}

double polynomial(const std::vector<double>& c, double g) {
  double s = 0;
  for (std::size_t k = c.size(); k-- > 0;) s = s * g + c[k];
  return s;
}

}  // namespace

double ClampedLogLinear::operator()(double lnG) const { return std::min(std::max(slope * lnG + intercept, lo), hi); }

void validateDeviceModel(const DeviceModel& d, double gMin, double gMax) {
  check(std::isfinite(d.alpha) && d.alpha >= 0 && d.alpha <= 100, "nonlinearity.alpha", "a number in [0, 100] (1/V)", d.alpha);
  if (!d.enabled) return;
  check(gMin > 0 && gMax > gMin, "gMin", "0 < gMin < gMax (siemens)", gMin);
  if (d.programTimes.empty() || d.programTimes.size() != d.programCoefficients.size() || d.programTimes.size() > 16)
    throw Error(codes::kConfig, "expected 1 to 16 programming times, each with one polynomial, for device.programming, got " +
                                    std::to_string(d.programTimes.size()) + " times and " +
                                    std::to_string(d.programCoefficients.size()) + " polynomials");
  for (std::size_t i = 0; i < d.programTimes.size(); ++i) {
    check(std::isfinite(d.programTimes[i]) && d.programTimes[i] > 0 && (i == 0 || d.programTimes[i] > d.programTimes[i - 1]),
          "programming.times[" + std::to_string(i) + "]", "ascending seconds > 0", d.programTimes[i]);
    if (d.programCoefficients[i].empty() || d.programCoefficients[i].size() > 8)
      throw Error(codes::kConfig, "expected 1 to 8 coefficients for device.programming.sigma[" + std::to_string(i) +
                                      "], got " + std::to_string(d.programCoefficients[i].size()));
    for (std::size_t k = 0; k < d.programCoefficients[i].size(); ++k)
      check(std::isfinite(d.programCoefficients[i][k]), "programming.sigma[" + std::to_string(i) + "][" + std::to_string(k) + "]",
            "a finite number (siemens)", d.programCoefficients[i][k]);
  }
  check(std::isfinite(d.time) && d.time >= 0 && d.time <= 1e10, "time", "seconds in [0, 1e10]", d.time);
  if (d.drift) {
    check(std::isfinite(d.t0) && d.t0 > 0, "drift.t0", "seconds > 0", d.t0);
    for (const auto* f : {&d.nuMean, &d.nuStd}) {
      const char* name = f == &d.nuMean ? "drift.nuMean" : "drift.nuStd";
      for (double v : {f->slope, f->intercept, f->lo, f->hi}) check(std::isfinite(v), name, "finite numbers", v);
      check(f->lo >= 0 && f->hi >= f->lo && f->hi <= 10, std::string(name) + ".max", "0 <= min <= max <= 10", f->hi);
    }
  }
  if (d.readNoise1f) {
    check(std::isfinite(d.q) && d.q >= 0, "readNoise1f.q", "a number >= 0", d.q);
    check(std::isfinite(d.qExponent) && d.qExponent >= 0, "readNoise1f.exponent", "a number >= 0", d.qExponent);
    check(std::isfinite(d.qMax) && d.qMax >= 0, "readNoise1f.max", "a number >= 0", d.qMax);
    check(std::isfinite(d.tRead) && d.tRead > 0, "readNoise1f.tRead", "seconds > 0", d.tRead);
    check(d.drift, "readNoise1f", "drift to be set (1/f noise accumulates from t0)", 0);
  }
}

double programmingSigma(const DeviceModel& d, double g, double time) {
  const auto& t = d.programTimes;
  auto sigmaAt = [&](std::size_t i) { return std::max(0.0, polynomial(d.programCoefficients[i], g)); };
  if (time <= t.front() || t.size() == 1) return sigmaAt(0);
  if (time >= t.back()) return sigmaAt(t.size() - 1);
  std::size_t i = 1;
  while (t[i] < time) ++i;
  const double w = (std::log(time) - std::log(t[i - 1])) / (std::log(t[i]) - std::log(t[i - 1]));
  return (1 - w) * sigmaAt(i - 1) + w * sigmaAt(i);
}

DeviceDraw drawDevice(const DeviceModel& d, double gMin, double gMax, double target, std::uint64_t seed,
                      std::uint64_t array, std::uint64_t cell) {
  auto clip = [&](double g) { return std::min(std::max(g, gMin), gMax); };
  const double g = std::max(target / gMax, kMinRelative);
  const double z = standardNormal(hashKey(seed, kStreamProgram, array, cell));
  // Right after programming: the earliest programming-error figure.
  DeviceDraw out;
  out.programmed = clip(target + programmingSigma(d, g, 0) * z);
  // The same device later: its deviation grows with the time-dependent sigma (RRAM relaxation),
  // then it drifts and accumulates 1/f noise (PCM).
  double G = d.programTimes.size() > 1 ? clip(target + programmingSigma(d, g, d.time) * z) : out.programmed;
  if (d.drift) {
    const double lnG = std::log(g);
    const double nu = std::fabs(d.nuMean(lnG) + d.nuStd(lnG) * standardNormal(hashKey(seed, kStreamDrift, array, cell)));
    const double t = d.time + d.t0;
    const double programmed = G;
    G = programmed * std::pow(t / d.t0, -nu);
    if (d.readNoise1f) {
      const double gProg = std::fabs(programmed) / gMax;
      const double qs = std::min(d.q / std::max(std::pow(gProg, d.qExponent), 1e-3), d.qMax);
      const double sigma = qs * std::sqrt(std::log((t + d.tRead) / (2 * d.tRead)));
      G += std::fabs(G) * sigma * standardNormal(hashKey(seed, kStreamNoise1f, array, cell));
    }
    G = clip(G);
  }
  out.atTime = G;
  return out;
}

double nonlinearCurrentFactor(double alpha, double v) {
  const double x = alpha * v;
  if (std::fabs(x) < 1e-4) return 1 + x * x / 6;  // series: sinh(x)/x = 1 + x^2/6 + ...
  return std::sinh(x) / x;
}

}  // namespace nax
