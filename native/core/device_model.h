// Device physics of one memristive cell beyond the engine's plain conductance
// levels: state-dependent programming error, conductance drift over time with
// a per-device exponent, accumulated 1/f read noise, clipping to the device's
// physical range, and the I-V nonlinearity I = G sinh(alpha V) / alpha.
//
// The parameters and their sources (Wan et al., Nature 2022, NeuRRAM; Joshi
// et al., Nature Communications 2020 as fitted in IBM aihwkit) live in
// lib/crossbar/devices.ts, which resolves every field; the core only checks
// and evaluates them. Every draw is keyed by (seed, stream, array, cell), so a
// cell's conductance never depends on thread count or order.
#pragma once
#include <cstdint>
#include <vector>

namespace nax {

// A clamped linear function of ln(g): min(max(slope * ln(g) + intercept, lo), hi).
struct ClampedLogLinear {
  double slope = 0, intercept = 0, lo = 0, hi = 0;
  double operator()(double lnG) const;
};

struct DeviceModel {
  // false: the plain device (levels gOff + s * unitG, then CrossbarConfig.variation).
  bool enabled = false;
  // Programming error: G_prog = G_target + sigma(g, t) * z, z ~ N(0, 1) per cell, where g =
  // G_target / gMax and sigma(g, t) = max(0, sum_k c_k g^k) siemens. One polynomial per time in
  // programTimes (seconds after programming, ascending); between them sigma is interpolated
  // linearly in ln t, outside them it is the nearest one's.
  std::vector<double> programTimes;
  std::vector<std::vector<double>> programCoefficients;
  // Drift: G(t) = G_prog * ((time + t0) / t0)^-nu, nu = |mu(g) + sd(g) * z| per cell (aihwkit).
  bool drift = false;
  double t0 = 0;  // seconds: the first read after programming, where G = G_prog
  ClampedLogLinear nuMean, nuStd;
  // Accumulated 1/f read noise at time t = time + t0: sigma = |G(t)| * Q_s * sqrt(ln((t + tRead) /
  // (2 tRead))), Q_s = min(q / max(g_prog^qExponent, 1e-3), qMax) (aihwkit's clamp), g_prog = G_prog / gMax.
  bool readNoise1f = false;
  double q = 0, qExponent = 0, qMax = 0, tRead = 0;
  // Seconds after programming at which the layer is evaluated (0: right after programming).
  double time = 0;
  // Per-layer digital gain that restores the summed column current of an all-ones read to its
  // value right after programming (global drift compensation: aihwkit; Le Gallo et al. 2018).
  bool driftCompensation = false;
  // I-V nonlinearity I = G sinh(alpha V) / alpha, 1/volts; 0 = linear.
  double alpha = 0;
};

// Throws nax::Error (naming the device.* field) on an invalid model. gMin < gMax in siemens.
void validateDeviceModel(const DeviceModel& device, double gMin, double gMax);

struct DeviceDraw {
  double programmed;  // right after programming (the drift-compensation reference), siemens
  double atTime;      // at device.time, siemens
};

// One cell programmed to `target` siemens (in [gMin, gMax]); both results clipped to [gMin, gMax].
DeviceDraw drawDevice(const DeviceModel& device, double gMin, double gMax, double target, std::uint64_t seed,
                      std::uint64_t array, std::uint64_t cell);

// Programming-error sigma (siemens) at normalised conductance g = G_target / gMax and the given time.
double programmingSigma(const DeviceModel& device, double g, double time);

// The current factor of a cell at voltage v relative to the linear G v: sinh(alpha v) / (alpha v)
// (1 at alpha = 0 or v = 0).
double nonlinearCurrentFactor(double alpha, double v);

}  // namespace nax
