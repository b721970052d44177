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
constexpr std::uint64_t kStreamAdc = 0x414443ull;

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
  checkInt("readout", static_cast<int>(c.readout), 0, 2);
  checkInt("readNoiseModel", static_cast<int>(c.readNoiseModel), 0, 2);
  checkInt("adcRangeScope", c.adcRangeScope, 0, 3);
  checkInt("adcGroupColumns", c.adcGroupColumns, 1, 4096);
  if (c.readout != Readout::kDigitalOffset && c.adcBits < 2)
    throw Error(codes::kConfig, "expected adcBits >= 2 (a bipolar ADC spends one bit on the sign) for adcBits, got " +
                                    std::to_string(c.adcBits));
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
  checkNumber("adcNonIdeal.offsetSigma", c.adcOffsetSigma, 0, false);
  checkNumber("adcNonIdeal.gainSigma", c.adcGainSigma, 0, false, 1);
  checkNumber("adcNonIdeal.inlSigma", c.adcInlSigma, 0, false);
  if (c.adcInlSigma > 0 && c.adcBits > 16)
    throw Error(codes::kConfig, "expected adcBits <= 16 with an INL table (adcNonIdeal.inlSigma > 0) for adcBits, got " +
                                    std::to_string(c.adcBits));
  checkNumber("inputScale", c.inputScale, 0, false);
  validateDeviceModel(c.device, c.gOff, c.gOn);
  if (c.device.enabled && c.variation != VariationKind::kNone)
    throw Error(codes::kConfig, "expected variation none with a device model (its programming error replaces it) for variation, got " +
                                    std::string(c.variation == VariationKind::kLognormal ? "lognormal" : "gaussian"));
}

CrossbarLayer::CrossbarLayer(const float* weights, std::size_t k, std::size_t n, const CrossbarConfig& config)
    : k_(k), n_(n), config_(config) {
  validateCrossbarConfig(config_);
  checkCudaSupport(config_);
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
  magnitudes_.resize(k * n);
  signs_.resize(k * n);
  for (std::size_t i = 0; i < k; ++i)
    for (std::size_t j = 0; j < n; ++j) {
      const double w = weights[i * n + j];
      magnitudes_[i * n + j] = static_cast<std::int32_t>(std::min(qMax, roundHalfUp(std::fabs(w) / weightScale_[j])));
      signs_[i * n + j] = w < 0 ? -1 : 1;
    }
  segments_ = config_.readout == Readout::kDifferential ? geometry_.slices : 2 * geometry_.slices;
  width_ = segments_ * n_;
  drawAdcErrors();  // before the drift calibration reads: the same converters read them
  if (config_.device.enabled && config_.device.driftCompensation) {
    // Global drift compensation (aihwkit GlobalDriftCompensation, Joshi et al., Nature
    // Communications 2020; Le Gallo et al. 2018): the periphery reads a known calibration input
    // right after programming and again at device.time, through the whole digital path (ADC,
    // offset code, shift-add, G+ minus G-), and scales every later output by the ratio of the
    // summed absolute outputs. Taking the ratio after the ADC also corrects the code-rounding
    // bias the drifted signal picks up (analog sums left up to 3.5% under 'digital-offset').
    programArrays(true);
    const double fresh = driftCalibrationRead(0);
    programArrays(false);
    const double now = driftCalibrationRead(1);
    driftGain_ = now > 0 && fresh > 0 ? fresh / now : 1.0;
    for (double& s : weightScale_) s *= driftGain_;
  } else {
    programArrays(false);
  }
}

CrossbarLayer::ColumnPlace CrossbarLayer::columnPlace(std::size_t t, std::size_t col) const {
  // Column col of tile t belongs to column tile ct and segment seg (see effectiveMatrix()).
  const std::size_t cols = config_.cols, stride = segments_ * cols;
  const std::size_t ct = col / stride, n0 = ct * cols, tileCols = std::min(cols, n_ - n0);
  const std::size_t seg = (col - segments_ * n0) / tileCols;
  return {(t * geometry_.colTiles + ct) * segments_ + seg, (col - segments_ * n0) % tileCols};
}

std::size_t CrossbarLayer::adcOf(std::size_t t, std::size_t col) const { return columnPlace(t, col).adc; }

std::size_t CrossbarLayer::rangeCount() const {
  if (config_.adcRangeScope != 3) return adcCount();
  const std::size_t g = static_cast<std::size_t>(config_.adcGroupColumns);
  return adcCount() * ((static_cast<std::size_t>(config_.cols) + g - 1) / g);
}

std::size_t CrossbarLayer::rangeOf(std::size_t t, std::size_t col) const {
  const ColumnPlace place = columnPlace(t, col);
  if (config_.adcRangeScope != 3) return place.adc;
  const std::size_t g = static_cast<std::size_t>(config_.adcGroupColumns);
  const std::size_t groups = (static_cast<std::size_t>(config_.cols) + g - 1) / g;
  return place.adc * groups + place.inArray / g;
}

void CrossbarLayer::drawAdcErrors() {
  const auto& c = config_;
  if (!adcNonIdeal()) return;
  const std::size_t adcs = geometry_.rowTiles * geometry_.colTiles * segments_;
  adcOffset_.assign(adcs, 0.0f);
  adcGain_.assign(adcs, 1.0f);
  const bool bip = bipolar();
  const double top = bip ? std::ldexp(1.0, c.adcBits - 1) - 1 : std::ldexp(1.0, c.adcBits) - 1;
  const double lo = bip ? -top : 0;
  adcThresholdCount_ = c.adcInlSigma > 0 ? static_cast<std::size_t>(top - lo) : 0;
  adcThresholds_.assign(adcs * adcThresholdCount_, 0.0f);
  for (std::size_t a = 0; a < adcs; ++a) {
    adcOffset_[a] = static_cast<float>(c.adcOffsetSigma * standardNormal(hashKey(c.seed, kStreamAdc, a, 0)));
    adcGain_[a] = static_cast<float>(1 + c.adcGainSigma * standardNormal(hashKey(c.seed, kStreamAdc, a, 1)));
    if (adcThresholdCount_ == 0) continue;
    // Code lo + 1 + i starts at threshold lo + 0.5 + i + inlSigma * z (ideal: half a code below it);
    // sorted, so the converter stays monotonic (DNL >= -1 code).
    float* th = adcThresholds_.data() + a * adcThresholdCount_;
    for (std::size_t i = 0; i < adcThresholdCount_; ++i)
      th[i] = static_cast<float>(lo + 0.5 + static_cast<double>(i) +
                                 c.adcInlSigma * standardNormal(hashKey(c.seed, kStreamAdc, a, 2 + i)));
    std::sort(th, th + adcThresholdCount_);
  }
}

std::size_t CrossbarLayer::physicalCols() const {
  return static_cast<std::size_t>(config_.cols) + (config_.readout == Readout::kReferenceColumn ? 1 : 0);
}

double CrossbarLayer::unitCurrent() const {
  const auto& c = config_;
  return c.vRead / ((1 << c.dacBits) - 1) * (c.gOn - c.gOff) / ((1 << c.bitsPerCell) - 1);
}

double CrossbarLayer::offsetLsbPerDigit() const {
  const auto& c = config_;
  return c.readout == Readout::kDigitalOffset ? c.gOff / ((c.gOn - c.gOff) / ((1 << c.bitsPerCell) - 1)) : 0.0;
}

const double* CrossbarLayer::programArray(std::size_t a, double* conductances, double* transfer, bool atProgramming) const {
  const auto& c = config_;
  const auto& g = geometry_;
  const std::size_t rows = c.rows, cols = c.cols, pcols = physicalCols(), slices = g.slices;
  const int sMax = (1 << c.bitsPerCell) - 1;
  const double unitG = (c.gOn - c.gOff) / sMax;  // one conductance step (slice level 1 above gOff), siemens
  const std::size_t pol = a % 2, slice = (a / 2) % slices, ct = (a / 2 / slices) % g.colTiles,
                    t = a / 2 / slices / g.colTiles;
  const std::size_t k0 = t * rows, tileRows = std::min(rows, k_ - k0);
  const std::size_t n0 = ct * cols, tileCols = std::min(cols, n_ - n0);
  const int shift = static_cast<int>(slice) * c.bitsPerCell;
  const std::int8_t wantSign = pol == 0 ? 1 : -1;
  for (std::size_t i = 0; i < rows; ++i)
    for (std::size_t j = 0; j < pcols; ++j) {
      // Whole physical array: unused cells (and the reference column) rest at gOff and still
      // load the wires. Data cells keep their draw keys under every readout (paired
      // comparisons); reference cells take keys past the data cells'.
      const std::size_t cell = j < cols ? i * cols + j : rows * cols + i;
      int level = 0;
      if (j < cols && i < tileRows && j < tileCols) {
        const std::size_t w = (k0 + i) * n_ + n0 + j;
        level = signs_[w] == wantSign ? (magnitudes_[w] >> shift) & sMax : 0;
      }
      double G = c.gOff + level * unitG;
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
      conductances[i * pcols + j] = atProgramming ? programmed : G;
    }
  if (!c.parasitics) return conductances;
  CircuitSpec spec;
  spec.rows = rows;
  spec.cols = pcols;
  spec.rWordLine = c.rWordLine;
  spec.rBitLine = c.rBitLine;
  spec.rSource = c.rSource;
  spec.rSink = c.rSink;
  transferMatrix(spec, conductances, transfer, 1);
  return transfer;
}

void CrossbarLayer::arrayMatrices(std::size_t array, double* conductances, double* transfer) const {
  if (config_.ideal || array >= geometry_.arrays)
    throw Error(codes::kOutOfRange, "expected an array index in [0, " + std::to_string(geometry_.arrays) +
                                        ") of a non-ideal layer for array, got " + std::to_string(array));
  const double* M = programArray(array, conductances, transfer);
  if (M != transfer) std::copy(M, M + static_cast<std::size_t>(config_.rows) * physicalCols(), transfer);
}

void CrossbarLayer::columnCurrents(std::size_t array, const double* digits, double* currents) const {
  const std::size_t rows = config_.rows, pcols = physicalCols();
  std::vector<double> conductances(rows * pcols), transfer(rows * pcols);
  arrayMatrices(array, conductances.data(), transfer.data());
  const double dMax = (1 << config_.dacBits) - 1;
  std::fill(currents, currents + pcols, 0.0);
  for (std::size_t i = 0; i < rows; ++i) {
    const double v = config_.vRead * digits[i] / dMax;  // volts
    for (std::size_t j = 0; j < pcols; ++j) currents[j] += v * transfer[i * pcols + j];
  }
}

void CrossbarLayer::programArrays(bool atProgramming) {
  const auto& c = config_;
  const auto& g = geometry_;
  const std::size_t rows = c.rows, cols = c.cols, pcols = physicalCols(), slices = g.slices;
  const bool differential = c.readout == Readout::kDifferential;
  segments_ = differential ? slices : 2 * slices;
  width_ = segments_ * n_;
  effective_.assign(g.rowTiles * rows * width_, 0.0f);
  const bool deviceNoise = c.readNoiseModel == ReadNoiseModel::kDevice && c.readNoise > 0;
  if (deviceNoise) noiseSquares_.assign(effective_.size(), 0.0f);
  const double unitG = (c.gOn - c.gOff) / ((1 << c.bitsPerCell) - 1);

  // One work item per G+/G- pair (arrays 2q and 2q+1 share row tile, column tile and slice).
  parallelFor(g.arrays / 2, c.threads, [&](std::size_t q0, std::size_t q1, int) {
    std::vector<double> conductances(2 * rows * pcols), transfer(2 * rows * pcols);
    for (std::size_t q = q0; q < q1; ++q) {
      const std::size_t slice = q % slices, ct = (q / slices) % g.colTiles, t = q / slices / g.colTiles;
      const std::size_t k0 = t * rows, tileRows = std::min(rows, k_ - k0);
      const std::size_t n0 = ct * cols, tileCols = std::min(cols, n_ - n0);
      const double* M[2];
      for (std::size_t p = 0; p < 2; ++p)
        M[p] = programArray(2 * q + p, conductances.data() + p * rows * pcols, transfer.data() + p * rows * pcols,
                            atProgramming);
      // ADC input per unit digit of row i, column j, in LSB (exact integers for ideal devices:
      // a double difference within 1e-16 of an integer level rounds to it in float).
      auto fold = [&](std::size_t segment, auto value, auto square) {
        const std::size_t colBase = segments_ * n0 + segment * tileCols;
        for (std::size_t i = 0; i < tileRows; ++i)
          for (std::size_t j = 0; j < tileCols; ++j) {
            const std::size_t e = (k0 + i) * width_ + colBase + j;
            effective_[e] = static_cast<float>(value(i, j) / unitG);
            if (deviceNoise) noiseSquares_[e] = static_cast<float>(square(i, j) / (unitG * unitG));
          }
      };
      auto sq = [](double x) { return x * x; };
      for (std::size_t p = 0; p < (differential ? 1u : 2u); ++p) {
        const double* m = M[p];
        const double* mMinus = M[1];
        if (c.readout == Readout::kDigitalOffset)  // the gOff part is added back per conversion (offsetLsbPerDigit)
          fold(p * slices + slice, [&](std::size_t i, std::size_t j) { return m[i * pcols + j] - c.gOff; },
               [&](std::size_t i, std::size_t j) { return sq(m[i * pcols + j]); });
        else if (c.readout == Readout::kReferenceColumn)
          fold(p * slices + slice, [&](std::size_t i, std::size_t j) { return m[i * pcols + j] - m[i * pcols + cols]; },
               [&](std::size_t i, std::size_t j) { return sq(m[i * pcols + j]) + sq(m[i * pcols + cols]); });
        else
          fold(slice, [&](std::size_t i, std::size_t j) { return m[i * pcols + j] - mMinus[i * pcols + j]; },
               [&](std::size_t i, std::size_t j) { return sq(m[i * pcols + j]) + sq(mMinus[i * pcols + j]); });
      }
    }
  });
  integerVariance_ = false;
  varianceScale_ = 1;
  if (deviceNoise) quantizeNoiseSquares();
  packEffective();
}

// Device read noise with integer digits: S as integer levels of one scale per layer, the largest
// S at Q levels, Q as large as keeps every column's sum of d^2 q below 2^24 (exact in float
// too, so the general path's sgemm and the CUDA kernels' float sums equal the fused kernel's
// integer ones bit for bit) and q within int16. At 1-bit DACs and up to 512 rows Q = 32767: a
// level is 1/32767 of the largest cell's square, below 1e-3 of the smallest (gOff) one at
// gOn/gOff = 6, so sigma moves by far less than 1e-3. Nonlinear DAC levels or wider DACs keep
// float S (their Q would be coarse).
void CrossbarLayer::quantizeNoiseSquares() {
  const auto& c = config_;
  const double dMax = std::ldexp(1.0, c.dacBits) - 1;
  bool integerDigits = c.dacBits <= 2;
  for (std::size_t d = 0; d < digitLevels_.size(); ++d) integerDigits &= digitLevels_[d] == static_cast<float>(d);
  const double q = std::min(32767.0, std::floor(16777216.0 / (static_cast<double>(c.rows) * dMax * dMax)));
  if (!integerDigits || q < 1024) return;
  double maxS = 0;
  for (const float v : noiseSquares_) maxS = std::max(maxS, static_cast<double>(v));
  if (!(maxS > 0)) return;
  varianceScale_ = maxS / q;
  for (float& v : noiseSquares_) v = static_cast<float>(std::nearbyint(static_cast<double>(v) / varianceScale_));
  integerVariance_ = true;
}

float CrossbarLayer::deviceNoiseFactor() const {
  const double sigma = sigmaLsb();
  return static_cast<float>(integerVariance_ ? sigma * std::sqrt(varianceScale_) : sigma);
}

// The fused run kernel's layout of E_t: 32-column panels, each tileRows x 32
// contiguous (zero past width_), panel q of tile t at (t*rows*paddedWidth + q*32*tileRows).
void CrossbarLayer::packEffective() {
  const std::size_t rows = config_.rows, panel = 32;
  paddedWidth_ = (width_ + panel - 1) / panel * panel;
  auto pack = [&](const std::vector<float>& src, std::vector<float, AlignedAllocator<float>>& dstAll) {
    dstAll.assign(geometry_.rowTiles * rows * paddedWidth_, 0.0f);
    for (std::size_t t = 0; t < geometry_.rowTiles; ++t) {
      const std::size_t tileRows = std::min(rows, k_ - t * rows);
      const float* e = src.data() + t * rows * width_;
      for (std::size_t col0 = 0; col0 < paddedWidth_; col0 += panel) {
        float* dst = dstAll.data() + t * rows * paddedWidth_ + col0 * tileRows;
        const std::size_t w = std::min(panel, width_ - std::min(width_, col0));
        for (std::size_t i = 0; i < tileRows; ++i) std::memcpy(dst + i * panel, e + i * width_ + col0, w * sizeof(float));
      }
    }
  };
  pack(effective_, effectivePacked_);
  // Device read noise: the squared-current matrix in the same panels (the fused kernel's
  // variance product runs on the same register blocks).
  noiseSquaresPacked_.clear();
  noiseSquarePairs_.clear();
  if (noiseSquares_.empty()) return;
  if (!integerVariance_) {
    pack(noiseSquares_, noiseSquaresPacked_);
    return;
  }
  // Integer levels: int16 row pairs (a zero row pads an odd tile), for the fused kernel's pair
  // dot products.
  noisePairsPerTile_ = (rows + 1) / 2;
  noiseSquarePairs_.assign(geometry_.rowTiles * noisePairsPerTile_ * paddedWidth_ * 2, 0);
  for (std::size_t t = 0; t < geometry_.rowTiles; ++t) {
    const std::size_t tileRows = std::min(rows, k_ - t * rows), tilePairs = (tileRows + 1) / 2;
    const float* e = noiseSquares_.data() + t * rows * width_;
    for (std::size_t col0 = 0; col0 < paddedWidth_; col0 += panel) {
      std::int16_t* dst = noiseSquarePairs_.data() + (t * noisePairsPerTile_ * paddedWidth_ + col0 * tilePairs) * 2;
      const std::size_t w = std::min(panel, width_ - std::min(width_, col0));
      for (std::size_t i = 0; i < tileRows; ++i)
        for (std::size_t j = 0; j < w; ++j)
          dst[(i / 2) * 2 * panel + j * 2 + (i & 1)] = static_cast<std::int16_t>(e[i * width_ + col0 + j]);
    }
  }
}

double CrossbarLayer::inputScale() const {
  if (config_.inputScale > 0) return config_.inputScale;
  std::lock_guard<std::mutex> lock(calibrationMutex_);
  return inputScale_;
}

double CrossbarLayer::adcRangeLsb() const {
  // Full scale: the largest ideal column input (digital-offset: the gOff current included).
  if (!config_.adcCalibrated)
    return static_cast<double>(config_.rows) * ((1 << config_.dacBits) - 1) *
           (((1 << config_.bitsPerCell) - 1) + offsetLsbPerDigit());
  std::lock_guard<std::mutex> lock(calibrationMutex_);
  return adcRanges_.empty() ? 0.0 : *std::max_element(adcRanges_.begin(), adcRanges_.end());
}

std::vector<double> CrossbarLayer::adcRanges() const {
  std::lock_guard<std::mutex> lock(calibrationMutex_);
  return adcRanges_;
}

std::vector<double> CrossbarLayer::scopedRanges(const std::vector<double>& maxima) const {
  std::vector<double> ranges(maxima.size());
  if (config_.adcRangeScope == 0) {
    std::fill(ranges.begin(), ranges.end(), std::max(1.0, *std::max_element(maxima.begin(), maxima.end())));
  } else if (config_.adcRangeScope == 1) {
    std::vector<double> perSegment(segments_, 0.0);
    for (std::size_t a = 0; a < maxima.size(); ++a) perSegment[a % segments_] = std::max(perSegment[a % segments_], maxima[a]);
    for (std::size_t a = 0; a < maxima.size(); ++a) ranges[a] = std::max(1.0, perSegment[a % segments_]);
  } else {
    for (std::size_t a = 0; a < maxima.size(); ++a) ranges[a] = std::max(1.0, maxima[a]);
  }
  return ranges;
}


}  // namespace nax
