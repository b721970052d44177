// Crossbar quantization and ADC arithmetic against a naive reference written
// here: sign + magnitude weights, unsigned input magnitudes with a positive and
// a negative pass, and one integer dot product per output (no slicing, no
// tiles, no cycles: those must cancel exactly when the ADC is lossless).
#include <cstdio>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "check.h"
#include "crossbar.h"
#include "error.h"
#include "gemm.h"
#include "rng.h"

namespace {

// Every field set (the core invents no defaults); device-ideal, lossless.
nax::CrossbarConfig baseConfig(int rows, int cols, int bitsPerCell, int weightBits, int inputBits, int dacBits) {
  nax::CrossbarConfig c;
  c.rows = rows;
  c.cols = cols;
  c.bitsPerCell = bitsPerCell;
  c.weightBits = weightBits;
  c.inputBits = inputBits;
  c.dacBits = dacBits;
  // Lossless for the digital-offset readout: the whole column current, gOff cells included
  // (gOff / unitG = 0.6 LSB per digit at 2-bit cells and these conductances).
  const double sMax = (1 << bitsPerCell) - 1, offsetPerDigit = (1.0 / 600e3) / ((1e-5 - 1.0 / 600e3) / sMax);
  const double maxSum = static_cast<double>(rows) * ((1 << dacBits) - 1) * (sMax + offsetPerDigit);
  c.adcBits = static_cast<int>(std::ceil(std::log2(maxSum + 1)));  // lossless: top code >= full scale
  c.readout = nax::Readout::kDigitalOffset;
  c.readNoiseModel = nax::ReadNoiseModel::kOutputLsb;
  c.adcCalibrated = false;
  c.gOn = 1e-5;
  c.gOff = 1.0 / 600e3;
  c.vRead = 0.25;
  c.parasitics = false;
  c.rWordLine = c.rBitLine = c.rSource = c.rSink = 0;
  c.variation = nax::VariationKind::kNone;
  c.variationSigma = 0;
  c.stuckAtOn = c.stuckAtOff = 0;
  c.readNoise = 0;
  c.perChannel = false;
  c.inputScale = 1.0;
  c.seed = 0;
  c.threads = 1;
  c.ideal = false;
  return c;
}

std::vector<float> randomFloats(std::size_t count, std::uint64_t seed, double lo, double hi) {
  nax::Rng rng(seed);
  std::vector<float> v(count);
  for (float& x : v) x = static_cast<float>(lo + (hi - lo) * rng.uniform());
  return v;
}

struct Quantized {
  std::vector<double> weightScale;     // per column
  std::vector<std::int64_t> signedMag;  // k*n
};

Quantized quantizeWeights(const std::vector<float>& w, std::size_t k, std::size_t n, const nax::CrossbarConfig& c) {
  const double qMax = std::ldexp(1.0, c.weightBits - 1) - 1;
  Quantized q;
  q.weightScale.assign(n, 0);
  for (std::size_t i = 0; i < k; ++i)
    for (std::size_t j = 0; j < n; ++j) q.weightScale[j] = std::max(q.weightScale[j], std::fabs(double(w[i * n + j])));
  const double layerMax = *std::max_element(q.weightScale.begin(), q.weightScale.end());
  for (double& s : q.weightScale) {
    if (!c.perChannel) s = layerMax;
    s = s > 0 ? s / qMax : 1.0;
  }
  q.signedMag.resize(k * n);
  for (std::size_t i = 0; i < k; ++i)
    for (std::size_t j = 0; j < n; ++j) {
      const double x = w[i * n + j];
      const auto mag = static_cast<std::int64_t>(std::min(qMax, std::floor(std::fabs(x) / q.weightScale[j] + 0.5)));
      q.signedMag[i * n + j] = x < 0 ? -mag : mag;
    }
  return q;
}

// Signed input magnitude: positive pass minus negative pass.
std::int64_t quantizeInput(float x, const nax::CrossbarConfig& c) {
  const double xMax = std::ldexp(1.0, c.inputBits) - 1, lsb = c.inputScale / xMax;
  const auto u = static_cast<std::int64_t>(std::min(xMax, std::floor(std::fabs(double(x)) / lsb + 0.5)));
  return x < 0 ? -u : u;
}

// The lossless result: float((q * inputLsb) * weightScale), q the exact integer dot product.
std::vector<float> losslessReference(const std::vector<float>& x, std::size_t batch, const std::vector<float>& w,
                                     std::size_t k, std::size_t n, const nax::CrossbarConfig& c) {
  const Quantized q = quantizeWeights(w, k, n, c);
  const double lsb = c.inputScale / (std::ldexp(1.0, c.inputBits) - 1);
  std::vector<float> out(batch * n);
  for (std::size_t b = 0; b < batch; ++b)
    for (std::size_t j = 0; j < n; ++j) {
      std::int64_t dot = 0;
      for (std::size_t i = 0; i < k; ++i) dot += quantizeInput(x[b * k + i], c) * q.signedMag[i * n + j];
      out[b * n + j] = static_cast<float>((static_cast<double>(dot) * lsb) * q.weightScale[j]);
    }
  return out;
}

std::vector<float> runLayer(const std::vector<float>& w, std::size_t k, std::size_t n, const nax::CrossbarConfig& c,
                            const std::vector<float>& x, std::size_t batch) {
  nax::CrossbarLayer layer(w.data(), k, n, c);
  std::vector<float> out(batch * n);
  layer.run(x.data(), batch, out.data());
  return out;
}

TEST_CASE("a lossless ADC reproduces the quantized integer result exactly (fused and unfused paths)") {
  struct Shape {
    std::size_t k, n;
    int rows, cols, bitsPerCell, weightBits, inputBits, dacBits;
    bool perChannel;
  };
  const Shape shapes[] = {
      {40, 10, 16, 8, 2, 8, 8, 1, false},  // 3 row tiles, 2 column tiles
      {23, 9, 7, 5, 3, 6, 5, 2, true},     // partial tiles everywhere
      {33, 4, 32, 32, 1, 4, 4, 4, false},  // one cycle
      {70, 5, 64, 4, 8, 9, 16, 8, false},  // 23-bit codes, 2 cycles: the general (unfused) path
      {1, 1, 1, 1, 1, 2, 1, 1, false},
  };
  std::uint64_t seed = 10;
  for (const Shape& s : shapes) {
    nax::CrossbarConfig c = baseConfig(s.rows, s.cols, s.bitsPerCell, s.weightBits, s.inputBits, s.dacBits);
    c.perChannel = s.perChannel;
    const std::size_t batch = 6;
    const auto w = randomFloats(s.k * s.n, seed++, -1, 1);
    auto x = randomFloats(batch * s.k, seed++, -1.2, 1.2);  // some clip at the input scale
    for (std::size_t i = 0; i < s.k; ++i) x[i] = std::fabs(x[i]);  // sample 0 has no negative pass
    const auto got = runLayer(w, s.k, s.n, c, x, batch);
    const auto want = losslessReference(x, batch, w, s.k, s.n, c);
    std::size_t mismatches = 0;
    for (std::size_t e = 0; e < got.size(); ++e) {
      if (got[e] != want[e] && mismatches == 0)
        std::fprintf(stderr, "rows %d cols %d bpc %d: element %zu got %.9g want %.9g\n", s.rows, s.cols, s.bitsPerCell, e,
                     got[e], want[e]);
      mismatches += got[e] != want[e];
    }
    CHECK_EQ(mismatches, 0u);
  }
}

TEST_CASE("the input scan over a large batch: max |x|, the negative pass, non-finite inputs named by index") {
  // 3000 x 64 inputs: several scan workers (2^17 inputs each) at 1, 2 and 4 threads.
  const std::size_t k = 64, n = 3, batch = 3000;
  const auto w = randomFloats(k * n, 41, -1, 1);
  for (int threads : {1, 2, 4}) {
    nax::CrossbarConfig c = baseConfig(64, 64, 2, 8, 8, 1);
    c.threads = threads;
    auto x = randomFloats(batch * k, 42, 0, 1);
    for (std::size_t i = 0; i < batch * k; i += 7) x[i] = -0.0f;  // -0 is not negative: one pass
    const std::size_t late = batch * k - 5;
    x[late] = 1.75f;  // max |x| in the last worker's range
    {
      nax::CrossbarConfig latch = c;
      latch.inputScale = 0;  // latched from this run's max |x|
      nax::CrossbarLayer layer(w.data(), k, n, latch);
      std::vector<float> out(batch * n);
      layer.run(x.data(), batch, out.data());
      CHECK_EQ(layer.inputScale(), 1.75);
    }
    // One negative input deep in the batch must get its negative pass: the lossless result.
    c.inputScale = 2.0;
    x[late - 100] = -0.625f;
    const auto got = runLayer(w, k, n, c, x, batch);
    const auto want = losslessReference(x, batch, w, k, n, c);
    std::size_t mismatches = 0;
    for (std::size_t e = 0; e < got.size(); ++e) mismatches += got[e] != want[e];
    CHECK_EQ(mismatches, 0u);
    for (float bad : {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity(),
                      -std::numeric_limits<float>::infinity()}) {
      auto y = x;
      y[late - 1] = bad;
      bool named = false;
      try {
        runLayer(w, k, n, c, y, batch);
      } catch (const nax::Error& e) {
        named = e.code() == nax::codes::kInvalidArgument &&
                std::string(e.what()).find("inputs[" + std::to_string(late - 1) + "]") != std::string::npos;
      }
      CHECK(named);
    }
  }
}

TEST_CASE("device-ideal effective matrix holds the weight slices exactly") {
  nax::CrossbarConfig c = baseConfig(8, 4, 2, 7, 4, 1);
  const std::size_t k = 11, n = 6;
  const auto w = randomFloats(k * n, 3, -1, 1);
  nax::CrossbarLayer layer(w.data(), k, n, c);
  const Quantized q = quantizeWeights(w, k, n, c);
  const auto& g = layer.geometry();
  const std::size_t width = layer.effectiveWidth(), rows = c.rows, cols = c.cols, slices = g.slices;
  CHECK_EQ(width, 2 * slices * n);
  const auto& E = layer.effectiveMatrix();
  CHECK_EQ(E.size(), g.rowTiles * rows * width);
  std::size_t mismatches = 0;
  for (std::size_t i = 0; i < k; ++i)
    for (std::size_t j = 0; j < n; ++j) {
      const std::size_t ct = j / cols, tileCols = std::min(cols, n - ct * cols), jj = j % cols;
      const std::int64_t m = q.signedMag[i * n + j];
      for (std::size_t p = 0; p < 2; ++p)
        for (std::size_t l = 0; l < slices; ++l) {
          const std::int64_t level = (p == 0 ? m > 0 : m < 0) ? (std::llabs(m) >> (2 * l)) & 3 : 0;
          const std::size_t col = 2 * slices * ct * cols + (p * slices + l) * tileCols + jj;
          mismatches += E[i * width + col] != static_cast<float>(level);
        }
    }
  CHECK_EQ(mismatches, 0u);
}

TEST_CASE("a lossy ADC errs by at most half a step per rounding") {
  // One conversion per output: 1-bit cells holding 0/1 weights, 1-bit inputs,
  // one row tile. The G- arrays hold nothing, so out_j = (code - offset code) * step exactly.
  // Digital-offset readout: the ADC range covers the gOff current too (gOff/unitG = 0.2 LSB
  // per digit at 1-bit cells), and the offset's own code is a second rounding.
  nax::CrossbarConfig c = baseConfig(16, 8, 1, 2, 1, 1);
  c.adcBits = 3;  // lossless needs 5
  const double step = 16.0 * 1.2 / 7.0;
  const std::size_t k = 16, n = 8, batch = 32;
  nax::Rng rng(4);
  std::vector<float> w(k * n), x(batch * k);
  for (float& v : w) v = rng.uniform() < 0.6 ? 1.0f : 0.0f;
  w[0] = 1.0f;
  for (float& v : x) v = rng.uniform() < 0.5 ? 1.0f : 0.0f;
  const auto got = runLayer(w, k, n, c, x, batch);
  double worst = 0;
  for (std::size_t b = 0; b < batch; ++b)
    for (std::size_t j = 0; j < n; ++j) {
      double column = 0;
      for (std::size_t i = 0; i < k; ++i) column += x[b * k + i] * w[i * n + j];
      const double err = std::fabs(got[b * n + j] - column);
      worst = std::max(worst, err);
      CHECK(err <= step * (1 + 1e-6));
      // And the output is a whole number of ADC steps.
      CHECK_NEAR(got[b * n + j] / step, std::nearbyint(got[b * n + j] / step), 1e-5);
    }
  CHECK(worst > 0.1);  // the converter really is lossy here

  // Many conversions (tiles, slices, cycles, both passes): the error against
  // the lossless result stays within half a step times each conversion's weight.
  nax::CrossbarConfig lossy = baseConfig(16, 8, 2, 8, 8, 1);
  lossy.adcBits = 4;
  nax::CrossbarConfig lossless = baseConfig(16, 8, 2, 8, 8, 1);
  const std::size_t k2 = 37, n2 = 11, batch2 = 5;
  const auto w2 = randomFloats(k2 * n2, 21, -1, 1);
  const auto x2 = randomFloats(batch2 * k2, 22, -1, 1);
  const auto a = runLayer(w2, k2, n2, lossy, x2, batch2);
  const auto exact = runLayer(w2, k2, n2, lossless, x2, batch2);
  const double step2 = 16.0 * 3.6 / 15;
  const Quantized q = quantizeWeights(w2, k2, n2, lossy);
  const double lsb = 1.0 / 255;
  const std::size_t rowTiles = 3, slices = 4, cycles = 8;
  double conversionWeights = 0;  // sum over slices and cycles of 2^(2l + c), per array and pass
  for (std::size_t l = 0; l < slices; ++l)
    for (std::size_t cy = 0; cy < cycles; ++cy) conversionWeights += std::ldexp(1.0, static_cast<int>(2 * l + cy));
  bool anyError = false;
  for (std::size_t b = 0; b < batch2; ++b)
    for (std::size_t j = 0; j < n2; ++j) {
      const double bound = 2 /*passes*/ * 2 /*G+, G-*/ * rowTiles * conversionWeights * step2 * lsb * q.weightScale[j];
      const double err = std::fabs(double(a[b * n2 + j]) - exact[b * n2 + j]);
      CHECK(err <= bound * (1 + 1e-6) + 1e-6 * std::fabs(exact[b * n2 + j]));
      anyError |= err > 0;
    }
  CHECK(anyError);
}

TEST_CASE("ideal mode is the float matmul") {
  nax::CrossbarConfig c = baseConfig(16, 16, 2, 8, 8, 1);
  c.ideal = true;
  const std::size_t k = 45, n = 13, batch = 7;
  const auto w = randomFloats(k * n, 31, -1, 1);
  const auto x = randomFloats(batch * k, 32, -3, 3);
  const auto got = runLayer(w, k, n, c, x, batch);
  std::vector<float> viaGemm(batch * n);
  nax::sgemm(false, false, batch, n, k, 1.0f, x.data(), k, w.data(), n, 0.0f, viaGemm.data(), n, 1);
  CHECK(got == viaGemm);
  for (std::size_t b = 0; b < batch; ++b)
    for (std::size_t j = 0; j < n; ++j) {
      double want = 0, scale = 0;
      for (std::size_t i = 0; i < k; ++i) {
        want += double(x[b * k + i]) * w[i * n + j];
        scale += std::fabs(double(x[b * k + i]) * w[i * n + j]);
      }
      CHECK_NEAR(got[b * n + j], want, 1e-6 * scale);
    }
}

TEST_CASE("invalid configs throw nax::Error with the codes lib/crossbar uses") {
  const std::vector<float> w(12, 0.5f);
  auto program = [&](const nax::CrossbarConfig& c) { nax::CrossbarLayer layer(w.data(), 4, 3, c); };
  nax::CrossbarConfig c = baseConfig(16, 16, 2, 8, 8, 1);
  program(c);
  c.rows = 5000;
  CHECK_THROWS_CODE(program(c), nax::codes::kOutOfRange);
  c = baseConfig(16, 16, 2, 8, 4, 8);
  CHECK_THROWS_CODE(program(c), nax::codes::kConfig);
  c = baseConfig(16, 16, 2, 8, 8, 1);
  c.gOn = NAN;
  CHECK_THROWS_CODE(program(c), nax::codes::kInvalidArgument);
  c = baseConfig(16, 16, 2, 8, 8, 1);
  c.adcBits = 0;  // no "0 = lossless" in the core: lib/crossbar resolves the rule
  CHECK_THROWS_CODE(program(c), nax::codes::kOutOfRange);
  CHECK_THROWS_CODE(program(nax::CrossbarConfig{}), nax::codes::kOutOfRange);  // no defaults either
  c = baseConfig(16, 16, 2, 8, 8, 1);
  std::vector<float> bad = w;
  bad[5] = INFINITY;
  CHECK_THROWS_CODE((nax::CrossbarLayer(bad.data(), 4, 3, c)), nax::codes::kInvalidArgument);
  nax::CrossbarLayer layer(w.data(), 4, 3, c);
  std::vector<float> x(4, 0.1f), out(3);
  x[2] = NAN;
  CHECK_THROWS_CODE(layer.run(x.data(), 1, out.data()), nax::codes::kInvalidArgument);
}

}  // namespace

NAX_TEST_MAIN("crossbar")
