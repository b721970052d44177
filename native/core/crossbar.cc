// Crossbar programming: configuration checks, mapping geometry, sign +
// magnitude quantization, bit slicing onto G+/G- arrays, device effects
// (variation, stuck cells) and parasitic transfer matrices, folded into the
// per-row-tile effective matrices E_t that runs use (crossbar_run.cc).
// See crossbar.h and shared/DESIGN.md.
#include "crossbar.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

#include "circuit.h"
#include "crossbar_detail.h"
#include "error.h"
#include "format.h"
#include "parallel.h"
#include "rng.h"

namespace nax {
namespace {

using crossbar_detail::roundHalfUp;
inline std::string num(double v) { return formatNumber(v); }

// RNG streams: each effect draws from its own stream so turning one on does
// not change another's draws (read noise: crossbar_run.cc).
constexpr std::uint64_t kStreamVariation = 0x5641524941544eull;
constexpr std::uint64_t kStreamFault = 0x4641554c54ull;

void checkInt(const char* name, int v, int lo, int hi) {
  if (v < lo || v > hi)
    throw Error(codes::kOutOfRange,
                std::string("expected an integer in [") + std::to_string(lo) + ", " + std::to_string(hi) + "] for " +
                    name + ", got " + std::to_string(v));
}
void checkNumber(const char* name, double v, double lo, bool loExclusive, double hi = INFINITY) {
  if (!std::isfinite(v))
    throw Error(codes::kInvalidArgument, std::string("expected a finite number for ") + name + ", got " + num(v));
  if ((loExclusive ? !(v > lo) : !(v >= lo)) || v > hi)
    throw Error(codes::kOutOfRange, std::string("expected a number ") + (loExclusive ? "> " : ">= ") + num(lo) +
                                        (std::isfinite(hi) ? " and <= " + num(hi) : std::string()) + " for " + name +
                                        ", got " + num(v));
}

}  // namespace

CrossbarGeometry crossbarGeometry(std::size_t k, std::size_t n, const CrossbarConfig& c) {
  CrossbarGeometry g;
  g.rowTiles = (k + c.rows - 1) / c.rows;
  g.colTiles = (n + c.cols - 1) / c.cols;
  g.slices = std::max(1, (c.weightBits - 1 + c.bitsPerCell - 1) / c.bitsPerCell);
  g.cycles = (c.inputBits + c.dacBits - 1) / c.dacBits;
  g.arrays = g.rowTiles * g.colTiles * g.slices * 2;
  return g;
}

void validateCrossbarConfig(const CrossbarConfig& c) {
  checkInt("rows", c.rows, 1, 4096);
  checkInt("cols", c.cols, 1, 4096);
  checkInt("bitsPerCell", c.bitsPerCell, 1, 8);
  checkInt("weightBits", c.weightBits, 2, 16);
  checkInt("inputBits", c.inputBits, 1, 16);
  checkInt("dacBits", c.dacBits, 1, 8);
  checkInt("adcBits", c.adcBits, 1, 24);
  if (c.dacBits > c.inputBits)
    throw Error(codes::kConfig, "expected dacBits <= inputBits (" + std::to_string(c.inputBits) + ") for dacBits, got " +
                                 std::to_string(c.dacBits));
  if (c.bitsPerCell > c.weightBits - 1)
    throw Error(codes::kConfig, "expected bitsPerCell <= weightBits - 1 (" + std::to_string(c.weightBits - 1) +
                                 ") for bitsPerCell, got " + std::to_string(c.bitsPerCell));
  // Column sums are integers carried exactly in float32 GEMMs.
  const double maxSum = static_cast<double>(c.rows) * ((1 << c.dacBits) - 1) * ((1 << c.bitsPerCell) - 1);
  if (maxSum >= 16777216.0)
    throw Error(codes::kConfig, "expected rows * (2^dacBits - 1) * (2^bitsPerCell - 1) < 2^24 for rows, got " + num(maxSum));
  checkNumber("gOff", c.gOff, 0, true);
  checkNumber("gOn", c.gOn, 0, true);
  if (!(c.gOn > c.gOff))
    throw Error(codes::kConfig, "expected gOn > gOff (" + num(c.gOff) + " S) for gOn, got " + num(c.gOn));
  checkNumber("vRead", c.vRead, 0, true);
  checkNumber("parasitics.rWordLine", c.rWordLine, 0, false);
  checkNumber("parasitics.rBitLine", c.rBitLine, 0, false);
  checkNumber("parasitics.rSource", c.rSource, 0, false);
  checkNumber("parasitics.rSink", c.rSink, 0, false);
  checkNumber("variation.sigma", c.variationSigma, 0, false, 10);
  checkNumber("stuckAtOn", c.stuckAtOn, 0, false, 1);
  checkNumber("stuckAtOff", c.stuckAtOff, 0, false, 1);
  if (c.stuckAtOn + c.stuckAtOff > 1)
    throw Error(codes::kConfig, "expected stuckAtOn + stuckAtOff <= 1 for stuckAtOff, got " + num(c.stuckAtOn + c.stuckAtOff));
  checkNumber("readNoise", c.readNoise, 0, false);
  checkNumber("inputScale", c.inputScale, 0, false);
  validateDeviceModel(c.device, c.gOff, c.gOn);
  if (c.device.enabled && c.variation != VariationKind::kNone)
    throw Error(codes::kConfig, "expected variation none with a device model (its programming error replaces it) for variation, got " +
                                    std::string(c.variation == VariationKind::kLognormal ? "lognormal" : "gaussian"));
}

CrossbarLayer::CrossbarLayer(const float* weights, std::size_t k, std::size_t n, const CrossbarConfig& config)
    : k_(k), n_(n), config_(config) {
  validateCrossbarConfig(config_);
  if (k == 0 || n == 0 || k > (1u << 24) || n > (1u << 24))
    throw Error(codes::kOutOfRange, "expected k and n in [1, 2^24] for k, n, got " + std::to_string(k) + ", " +
                                        std::to_string(n));
  for (std::size_t i = 0; i < k * n; ++i)
    if (!std::isfinite(weights[i]))
      throw Error(codes::kInvalidArgument, "expected a finite number for weights[" + std::to_string(i) + "], got " +
                                               num(weights[i]));
  geometry_ = crossbarGeometry(k, n, config_);
  // DAC digit d drives vRead * d / (2^dacBits - 1); a nonlinear cell passes sinh(alpha V)/(alpha V)
  // times the linear current at that voltage (device_model.h).
  const int digitMax = (1 << config_.dacBits) - 1;
  digitLevels_.resize(digitMax + 1);
  for (int d = 0; d <= digitMax; ++d)
    digitLevels_[d] = static_cast<float>(d * nonlinearCurrentFactor(config_.device.alpha, config_.vRead * d / digitMax));
  if (config_.ideal) {
    weightsIdeal_.assign(weights, weights + k * n);
    return;
  }

  // Sign + magnitude quantization, scale per layer or per output column.
  const double qMax = std::ldexp(1.0, config_.weightBits - 1) - 1;
  weightScale_.assign(n, 0.0);
  for (std::size_t i = 0; i < k; ++i)
    for (std::size_t j = 0; j < n; ++j)
      weightScale_[j] = std::max(weightScale_[j], std::fabs(static_cast<double>(weights[i * n + j])));
  if (!config_.perChannel) {
    const double layerMax = *std::max_element(weightScale_.begin(), weightScale_.end());
    std::fill(weightScale_.begin(), weightScale_.end(), layerMax);
  }
  for (double& s : weightScale_) s = s > 0 ? s / qMax : 1.0;
  std::vector<std::int32_t> magnitudes(k * n);
  std::vector<std::int8_t> signs(k * n);
  for (std::size_t i = 0; i < k; ++i)
    for (std::size_t j = 0; j < n; ++j) {
      const double w = weights[i * n + j];
      magnitudes[i * n + j] = static_cast<std::int32_t>(std::min(qMax, roundHalfUp(std::fabs(w) / weightScale_[j])));
      signs[i * n + j] = w < 0 ? -1 : 1;
    }
  programArrays(magnitudes, signs);
}

void CrossbarLayer::programArrays(const std::vector<std::int32_t>& magnitudes, const std::vector<std::int8_t>& signs) {
  const auto& c = config_;
  const auto& g = geometry_;
  const std::size_t rows = c.rows, cols = c.cols, slices = g.slices;
  const int sMax = (1 << c.bitsPerCell) - 1;
  width_ = 2 * slices * n_;
  effective_.assign(g.rowTiles * rows * width_, 0.0f);
  const bool deviceIdeal = !c.parasitics && c.variation == VariationKind::kNone && !c.device.enabled &&
                           c.stuckAtOn == 0 && c.stuckAtOff == 0;
  // Global drift compensation (aihwkit GlobalDriftCompensation; Le Gallo et al. 2018): per array,
  // the summed column current of an all-ones read right after programming and at device.time,
  // as the periphery reports it (vRead cancels in the ratio).
  const bool compensate = c.device.enabled && c.device.driftCompensation;
  std::vector<double> referenceSum(compensate ? g.arrays : 0), timeSum(compensate ? g.arrays : 0);
  CircuitSpec arraySpec;
  arraySpec.rows = rows;
  arraySpec.cols = cols;
  arraySpec.rWordLine = c.rWordLine;
  arraySpec.rBitLine = c.rBitLine;
  arraySpec.rSource = c.rSource;
  arraySpec.rSink = c.rSink;
  // One conductance step (slice level 1 above gOff) in siemens.
  const double unitG = (c.gOn - c.gOff) / sMax;

  parallelFor(g.arrays, c.threads, [&](std::size_t a0, std::size_t a1, int) {
    std::vector<double> conductances(rows * cols), transfer(rows * cols);
    std::vector<double> reference(compensate ? rows * cols : 0);
    for (std::size_t a = a0; a < a1; ++a) {
      const std::size_t pol = a % 2, slice = (a / 2) % slices, ct = (a / 2 / slices) % g.colTiles,
                        t = a / 2 / slices / g.colTiles;
      const std::size_t k0 = t * rows, tileRows = std::min(rows, k_ - k0);
      const std::size_t n0 = ct * cols, tileCols = std::min(cols, n_ - n0);
      const std::size_t colBase = 2 * slices * n0 + (pol * slices + slice) * tileCols;
      const int shift = static_cast<int>(slice) * c.bitsPerCell;
      const std::int8_t wantSign = pol == 0 ? 1 : -1;
      auto levelAt = [&](std::size_t i, std::size_t j) -> int {
        const std::size_t w = (k0 + i) * n_ + n0 + j;
        return signs[w] == wantSign ? (magnitudes[w] >> shift) & sMax : 0;
      };
      if (deviceIdeal) {
        for (std::size_t i = 0; i < tileRows; ++i)
          for (std::size_t j = 0; j < tileCols; ++j)
            effective_[(k0 + i) * width_ + colBase + j] = static_cast<float>(levelAt(i, j));
        continue;
      }
      // Whole physical array: unused cells rest at gOff and still load the wires.
      for (std::size_t i = 0; i < rows; ++i)
        for (std::size_t j = 0; j < cols; ++j) {
          const std::size_t cell = i * cols + j;
          double G = (i < tileRows && j < tileCols) ? c.gOff + levelAt(i, j) * unitG : c.gOff;
          double programmed = G;
          if (c.device.enabled) {
            const DeviceDraw draw = drawDevice(c.device, c.gOff, c.gOn, G, c.seed, a, cell);
            programmed = draw.programmed;
            G = draw.atTime;
          }
          if (c.variation != VariationKind::kNone && c.variationSigma > 0) {
            const double z = standardNormal(hashKey(c.seed, kStreamVariation, a, cell));
            G = c.variation == VariationKind::kLognormal ? G * std::exp(c.variationSigma * z)
                                                          : G * (1 + c.variationSigma * z);
            G = std::max(G, 1e-3 * c.gOff);  // a programmed device never conducts negatively
          }
          if (c.stuckAtOn > 0 || c.stuckAtOff > 0) {
            // A stuck cell ignores programming and does not drift (same before and after).
            const double u = uniformOpen(hashKey(c.seed, kStreamFault, a, cell));
            if (u < c.stuckAtOn)
              G = programmed = c.gOn;
            else if (u < c.stuckAtOn + c.stuckAtOff)
              G = programmed = c.gOff;
          }
          conductances[cell] = G;
          if (compensate) reference[cell] = programmed;
        }
      // What the periphery reads for an all-ones input on the layer's rows: the used columns'
      // currents (through the wires when parasitics are on) less the digital gOff offset.
      auto summedCurrent = [&](const double* M) {
        double sum = 0;
        for (std::size_t i = 0; i < tileRows; ++i)
          for (std::size_t j = 0; j < tileCols; ++j) sum += M[i * cols + j] - c.gOff;
        return sum;
      };
      if (compensate) {
        const double* M = reference.data();
        if (c.parasitics) {
          transferMatrix(arraySpec, reference.data(), transfer.data(), 1);
          M = transfer.data();
        }
        referenceSum[a] = summedCurrent(M);
      }
      const double* M = conductances.data();
      if (c.parasitics) {
        transferMatrix(arraySpec, conductances.data(), transfer.data(), 1);
        M = transfer.data();
      }
      if (compensate) timeSum[a] = summedCurrent(M);
      // ADC input in LSB units, relative to the ideal gOff reference the
      // periphery subtracts digitally: (M - gOff) / unitG.
      for (std::size_t i = 0; i < tileRows; ++i)
        for (std::size_t j = 0; j < tileCols; ++j)
          effective_[(k0 + i) * width_ + colBase + j] = static_cast<float>((M[i * cols + j] - c.gOff) / unitG);
    }
  });
  if (compensate) {
    // Summed in array order (deterministic), applied digitally to every output.
    double ref = 0, now = 0;
    for (std::size_t a = 0; a < g.arrays; ++a) {
      ref += referenceSum[a];
      now += timeSum[a];
    }
    driftGain_ = now > 0 ? ref / now : 1.0;
    for (double& s : weightScale_) s *= driftGain_;
  }
  packEffective();
}

// The fused run kernel's layout of E_t: 32-column panels, each tileRows x 32
// contiguous (zero past width_), panel q of tile t at (t*rows*paddedWidth + q*32*tileRows).
void CrossbarLayer::packEffective() {
  const std::size_t rows = config_.rows, panel = 32;
  paddedWidth_ = (width_ + panel - 1) / panel * panel;
  effectivePacked_.assign(geometry_.rowTiles * rows * paddedWidth_, 0.0f);
  for (std::size_t t = 0; t < geometry_.rowTiles; ++t) {
    const std::size_t tileRows = std::min(rows, k_ - t * rows);
    const float* e = effective_.data() + t * rows * width_;
    for (std::size_t col0 = 0; col0 < paddedWidth_; col0 += panel) {
      float* dst = effectivePacked_.data() + t * rows * paddedWidth_ + col0 * tileRows;
      const std::size_t w = std::min(panel, width_ - std::min(width_, col0));
      for (std::size_t i = 0; i < tileRows; ++i) std::memcpy(dst + i * panel, e + i * width_ + col0, w * sizeof(float));
    }
  }
}

double CrossbarLayer::inputScale() const {
  if (config_.inputScale > 0) return config_.inputScale;
  std::lock_guard<std::mutex> lock(calibrationMutex_);
  return inputScale_;
}

double CrossbarLayer::adcRangeLsb() const {
  if (!config_.adcCalibrated)
    return static_cast<double>(config_.rows) * ((1 << config_.dacBits) - 1) * ((1 << config_.bitsPerCell) - 1);
  std::lock_guard<std::mutex> lock(calibrationMutex_);
  return adcRange_;
}


}  // namespace nax
