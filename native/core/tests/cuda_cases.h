// Crossbar configurations the CUDA path is checked on (cuda_math_test: a host emulation of the
// kernels; cuda_crossbar_test: the GPU), each against the CPU path of the same layer.
#pragma once
#include <cmath>
#include <string>
#include <vector>

#include "crossbar.h"
#include "rng.h"

namespace cuda_cases {

struct Case {
  std::string name;
  nax::CrossbarConfig config;
  std::size_t k, n, batch;
};

inline nax::CrossbarConfig base() {
  nax::CrossbarConfig c;
  c.rows = 16;
  c.cols = 8;
  c.bitsPerCell = 2;
  c.weightBits = 8;
  c.inputBits = 8;
  c.dacBits = 1;
  c.adcBits = 6;  // lossless for 16 rows of 2-bit cells, 1-bit DAC and the gOff current
  c.readout = nax::Readout::kDigitalOffset;
  c.readNoiseModel = nax::ReadNoiseModel::kOutputLsb;
  c.gOn = 1e-5;
  c.gOff = 1.0 / 600e3;
  c.vRead = 0.25;
  c.inputScale = 1.0;
  c.seed = 7;
  c.threads = 2;
  return c;
}

inline std::vector<Case> all() {
  std::vector<Case> cases;
  // Partial row and column tiles (k = 40 over 16 rows, n = 20 over 8 columns).
  cases.push_back({"lossless digital offset", base(), 40, 20, 37});
  {
    auto c = base();
    c.readNoise = 0.7;
    cases.push_back({"output read noise", c, 40, 20, 37});
  }
  {
    auto c = base();
    c.adcBits = 4;  // lossy: step > 1, non-unit codes
    c.readNoise = 0.3;
    c.readNoiseModel = nax::ReadNoiseModel::kOutputAmperes;
    c.readNoise = 0.3 * 0.25 * (1e-5 - 1.0 / 600e3) / 3;  // 0.3 LSB in amperes
    cases.push_back({"lossy ADC, noise in amperes", c, 70, 12, 19});
  }
  {
    auto c = base();
    c.readout = nax::Readout::kDifferential;
    c.variation = nax::VariationKind::kLognormal;
    c.variationSigma = 0.1;
    c.parasitics = true;
    c.rWordLine = c.rBitLine = 2.82;
    c.dacBits = 2;
    c.adcBits = 7;
    c.readNoise = 0.05;
    c.readNoiseModel = nax::ReadNoiseModel::kDevice;
    c.perChannel = true;
    cases.push_back({"differential, variation, IR drop, device noise, 2-bit DAC", c, 33, 17, 23});
  }
  {
    auto c = base();
    c.readout = nax::Readout::kReferenceColumn;
    c.stuckAtOn = 0.02;
    c.stuckAtOff = 0.03;
    c.dacBits = 4;
    c.adcBits = 8;
    c.adcCalibrated = true;
    c.rows = 32;
    c.cols = 16;
    cases.push_back({"reference column, faults, calibrated range, 4-bit DAC", c, 75, 40, 29});
  }
  {
    auto c = base();
    c.device.enabled = false;  // plain cells, 1-bit DAC, device noise with a 1-bit DAC (digits are their squares)
    c.readNoise = 0.02;
    c.readNoiseModel = nax::ReadNoiseModel::kDevice;
    c.rows = 64;
    c.cols = 64;
    c.adcBits = 8;
    cases.push_back({"64x64, device noise, 1-bit DAC", c, 150, 70, 41});
  }
  {
    // ~4 million conversions of non-integer ADC inputs (variation, IR drop, digits 0..7 whose
    // products round). A one-ulp difference in an ADC input flips its code only with
    // probability ~1e-6 here, so output equality cannot see one; gaussianAt is checked
    // directly, bit for bit, for that reason.
    auto c = base();
    c.variation = nax::VariationKind::kGaussian;
    c.variationSigma = 0.05;
    c.parasitics = true;
    c.rWordLine = c.rBitLine = 2.82;
    c.dacBits = 3;  // digits 0..7: products digit x E round (a 1-bit DAC's never do)
    c.adcBits = 7;
    c.readNoise = 0.2;
    cases.push_back({"3-bit DAC, variation, IR drop, lossy ADC, noise", c, 128, 32, 150});
  }
  return cases;
}

// Signed inputs in [-1, 1] (the layer runs a positive and a negative pass); a few samples all
// non-negative (no negative pass).
inline std::vector<float> inputs(std::size_t batch, std::size_t k, std::uint64_t seed) {
  nax::Rng rng(seed);
  std::vector<float> x(batch * k);
  for (std::size_t b = 0; b < batch; ++b)
    for (std::size_t i = 0; i < k; ++i) {
      const double u = 2 * rng.uniform() - 1;
      x[b * k + i] = static_cast<float>(b % 5 == 0 ? std::fabs(u) : u);
    }
  return x;
}

inline std::vector<float> weights(std::size_t k, std::size_t n, std::uint64_t seed) {
  nax::Rng rng(seed);
  std::vector<float> w(k * n);
  for (float& v : w) v = static_cast<float>(0.5 * rng.normal());
  return w;
}

}  // namespace cuda_cases
