// Crossbar runs: DAC digit planes of a chunk of samples, then per row tile
// one product digits^T x E_t whose results go straight through the ADC and
// the cycle shift-add in registers (fused kernel), then the slice/polarity
// shift-add, G+ minus G-, positive minus negative input pass and rescale.
// Every random draw is keyed by its indices, never by thread or batch layout.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <new>
#include <string>

#include "crossbar.h"
#include "crossbar_detail.h"
#include "error.h"
#include "format.h"
#include "gemm.h"
#include "parallel.h"
#include "rng.h"
#include "simd.h"

namespace nax {
namespace {

using crossbar_detail::roundHalfUp;
inline std::string num(double v) { return formatNumber(v); }

constexpr std::uint64_t kStreamReadNoise = 0x524541444eull;

// ---- read noise: vectorisable counter-based Gaussian draws. Each draw is a
// pure function of (row key, column), computed lane by lane in 16-wide loops,
// so it is the same for any thread count, batch size or chunking.
inline std::uint32_t fmix32(std::uint32_t h) {
  h ^= h >> 16;
  h *= 0x85EBCA6Bu;
  h ^= h >> 13;
  h *= 0xC2B2AE35u;
  h ^= h >> 16;
  return h;
}

// ln(x) for x in (0, 1]: exponent split plus the atanh series of the
// mantissa in [sqrt(1/2), sqrt(2)); |error| < 2e-7 (float rounding level).
inline float lnUnit(float x) {
  std::int32_t bits;
  std::memcpy(&bits, &x, 4);
  std::int32_t e = ((bits >> 23) & 0xFF) - 127;
  std::int32_t mBits = (bits & 0x007FFFFF) | 0x3F800000;
  float m;
  std::memcpy(&m, &mBits, 4);
  // Branch-free (so plain AVX2 vectorises it too).
  const std::int32_t big = m > 1.41421356f;
  m *= 1.0f - 0.5f * static_cast<float>(big);
  e += big;
  const float s = (m - 1.0f) / (m + 1.0f), s2 = s * s;
  const float series = s * (2.0f + s2 * (0.666666667f + s2 * (0.4f + s2 * (0.285714286f + s2 * 0.222222222f))));
  return static_cast<float>(e) * 0.693147181f + series;
}

// sin and cos of 2*pi*b for b in [-0.25, 0.25] (Taylor to x^11 / x^12;
// |error| < 1e-7, float rounding level).
inline float sin2Pi(float b) {
  const float x = 6.28318531f * b, x2 = x * x;
  return x * (1.0f + x2 * (-1.66666667e-1f + x2 * (8.33333333e-3f + x2 * (-1.98412698e-4f +
                                                                         x2 * (2.75573192e-6f + x2 * -2.50521084e-8f)))));
}
inline float cos2Pi(float b) {
  const float x = 6.28318531f * b, x2 = x * x;
  return 1.0f + x2 * (-0.5f + x2 * (4.16666667e-2f + x2 * (-1.38888889e-3f +
                                                          x2 * (2.48015873e-5f + x2 * (-2.75573192e-7f + x2 * 2.08767570e-9f)))));
}

// 32 standard normals for columns col0..col0+31 of one row key: Box-Muller
// pairs, (r sin, r cos) of draw j go to columns col0+j and col0+16+j.
inline void gaussianLanes(std::uint64_t rowKey, std::uint32_t col0, float* z) {
  const std::uint32_t lo = static_cast<std::uint32_t>(rowKey), hi = static_cast<std::uint32_t>(rowKey >> 32);
  for (std::uint32_t j = 0; j < 16; ++j) {
    const std::uint32_t pair = col0 / 2 + j;
    const std::uint32_t h1 = fmix32(lo ^ (pair * 0x9E3779B9u));
    const std::uint32_t h2 = fmix32(hi ^ (pair * 0x7FEB352Du) ^ 0x68E31DA4u);
    const float u1 = (static_cast<float>(static_cast<std::int32_t>(h1 >> 8)) + 0.5f) * 5.9604645e-8f;  // (0, 1)
    const float u2 = static_cast<float>(static_cast<std::int32_t>(h2 >> 8)) * 5.9604645e-8f;          // [0, 1)
    const float r = std::sqrt(-2.0f * lnUnit(u1));
    // Angle 2*pi*u2 folded into [-pi/2, pi/2]: quarter q = u2 - 1/2 in [-1/2, 1/2),
    // sin(2 pi u2) = -sin(2 pi q), cos(2 pi u2) = -cos(2 pi q); for |q| > 1/4 use
    // sin(2 pi q) = sin(2 pi (sign(q)/2 - q)), cos(2 pi q) = -cos(2 pi (sign(q)/2 - q)).
    // (Branch-free: outer is 0 or 1.)
    const float q = u2 - 0.5f;
    const float outer = static_cast<float>(std::fabs(q) > 0.25f);
    const float b = q + outer * (std::copysign(0.5f, q) - 2.0f * q);
    const float sn = sin2Pi(b), cs = cos2Pi(b);
    z[j] = -r * sn;
    z[16 + j] = r * cs * (2.0f * outer - 1.0f);
  }
}


}  // namespace

void CrossbarLayer::runIdeal(const float* inputs, std::size_t batch, float* out) const {
  sgemm(false, false, batch, n_, k_, 1.0f, inputs, k_, weightsIdeal_.data(), n_, 0.0f, out, n_, config_.threads);
}

void CrossbarLayer::run(const float* inputs, std::size_t batch, float* out) {
  if (batch == 0) return;
  double maxAbs = 0;
  bool anyNegative = false;
  for (std::size_t i = 0; i < batch * k_; ++i) {
    const float x = inputs[i];
    if (!std::isfinite(x))
      throw Error(codes::kInvalidArgument, "expected a finite number for inputs[" + std::to_string(i) + "], got " +
                                               num(x));
    maxAbs = std::max(maxAbs, static_cast<double>(std::fabs(x)));
    anyNegative |= x < 0;
  }
  if (config_.ideal) {
    runIdeal(inputs, batch, out);
    return;
  }
  double scale = config_.inputScale;
  if (!(scale > 0)) {
    std::lock_guard<std::mutex> lock(calibrationMutex_);
    if (inputScale_ == 0 && maxAbs > 0) inputScale_ = maxAbs;  // latched by the first non-zero run
    scale = inputScale_ > 0 ? inputScale_ : 1.0;
  }
  const int passes = anyNegative ? 2 : 1;  // signed inputs: a positive and a negative pass
  double range = adcRangeLsb();
  if (config_.adcCalibrated) {
    std::lock_guard<std::mutex> lock(calibrationMutex_);
    if (adcRange_ == 0) adcRange_ = std::max(calibrateAdc(inputs, batch, scale, passes), 1.0);
    range = adcRange_;
  }
  const double codeMax = std::ldexp(1.0, config_.adcBits) - 1;
  const double step = std::max(1.0, range / codeMax);  // LSB units per ADC code
  // The fused kernel sums each column's integer codes over cycles in float:
  // exact while codeMax * sum_c 2^(c*dacBits) < 2^24 (the step and the
  // slice/polarity weights are applied in double afterwards). Its portable
  // rounding needs codes <= 2^22.
  const auto& g = geometry_;
  const double cycleBound = codeMax * (std::ldexp(1.0, config_.dacBits * static_cast<int>(g.cycles)) - 1) /
                            ((1 << config_.dacBits) - 1);
  // This call's samples take the next indices of the layer's run sequence (read-noise keys).
  const std::uint64_t sampleBase = samplesRun_.fetch_add(batch);
  if (cycleBound < 16777216.0 && codeMax <= 4194304.0)
    runFused(inputs, batch, out, scale, step, passes, sampleBase);
  else
    runUnfused(inputs, batch, out, scale, step, passes, sampleBase);
}

namespace {

// Samples per work item: ~256 conversion rows keep a tile's working set in
// L2; smaller when that leaves threads idle. Results never depend on it.
inline std::size_t chunkSamples(std::size_t batch, std::size_t passes, std::size_t cycles, int threads) {
  const std::size_t full = std::max<std::size_t>(1, 256 / (passes * cycles));
  const std::size_t workers = static_cast<std::size_t>(resolveThreads(threads));
  return std::max<std::size_t>(1, std::min(full, (batch + workers - 1) / workers));
}

// Writes the DAC digit planes of samples [b0, b0+count), transposed: k rows,
// one column per conversion row r = (p*count + b)*cycles + c (sample-major,
// cycles adjacent), leading dimension ld >= passes*count*cycles:
// digits[i*ld + r] = levels[digit c of sample b's pass-p magnitude at input i]
// (levels[d] = d for linear cells; the I-V nonlinearity's current factor otherwise).
void buildDigits(const float* inputs, std::size_t k, std::size_t b0, std::size_t count, int passes, std::size_t cycles,
                 int dacBits, double inputLsb, double xMax, const float* levels, float* digits, std::size_t ld) {
  const std::uint32_t mask = (1u << dacBits) - 1;
  for (int p = 0; p < passes; ++p)
    for (std::size_t b = 0; b < count; ++b) {
      const float* x = inputs + (b0 + b) * k;
      const std::size_t r0 = (p * count + b) * cycles;
      for (std::size_t i = 0; i < k; ++i) {
        const double mag = p == 0 ? (x[i] > 0 ? x[i] : 0.0) : (x[i] < 0 ? -static_cast<double>(x[i]) : 0.0);
        const auto u = static_cast<std::uint32_t>(std::min(xMax, roundHalfUp(mag / inputLsb)));
        float* d = digits + i * ld + r0;
        for (std::size_t c = 0; c < cycles; ++c) d[c] = levels[(u >> (c * dacBits)) & mask];
      }
    }
}

// hasNegative[b]: whether sample b0+b has a negative input (else it skips the negative pass).
void markNegativeSamples(const float* inputs, std::size_t k, std::size_t b0, std::size_t count, char* hasNegative) {
  for (std::size_t b = 0; b < count; ++b) {
    const float* x = inputs + (b0 + b) * k;
    hasNegative[b] = std::any_of(x, x + k, [](float v) { return v < 0; });
  }
}

// Register blocking of the fused kernel follows the host's vector width:
// AVX-512 8 rows x 2 zmm, AVX 2 rows x 4 ymm, SSE 1 row x 8 xmm (16 vector
// registers there). Block shapes never change a result (exact integer sums).
using VF = simd::Vec<float>;
constexpr std::size_t kVecFloats = simd::kLanes<float>;
constexpr std::size_t kFusedRows = simd::kBytes == 64 ? 8 : simd::kBytes == 32 ? 2 : 1;
constexpr std::size_t kFusedCols = 32;  // array columns per register block (one read-noise draw block)
constexpr std::size_t kColVecs = kFusedCols / kVecFloats;

// One register block of the fused crossbar kernel: ADC inputs of conversion
// rows r0..r0+kFusedRows-1 and array columns col0..col0+31 (digits^T x packed
// E, kept in registers), converted by the ADC and shift-added over cycles
// straight into columnSum[sample][col] (sample = r / cycles).
template <bool kNoise, bool kUnitStep>
void fusedBlock(std::size_t kc, const float* __restrict digits, std::size_t ldDigits, const float* __restrict bp,
                std::size_t r0, std::size_t cycles, const float* cycleScale, float invStep, float codeMax, float sigma,
                const std::uint64_t* noiseKeys, float* __restrict columnSum, std::size_t ldSum, std::size_t col0) {
  VF acc[kFusedRows][kColVecs];
#pragma GCC unroll 8
  for (std::size_t i = 0; i < kFusedRows; ++i)
#pragma GCC unroll 8
    for (std::size_t v = 0; v < kColVecs; ++v) acc[i][v] = VF{};
  for (std::size_t p = 0; p < kc; ++p) {
    VF b[kColVecs];
#pragma GCC unroll 8
    for (std::size_t v = 0; v < kColVecs; ++v) b[v] = simd::load<VF>(bp + v * kVecFloats);
#pragma GCC unroll 8
    for (std::size_t i = 0; i < kFusedRows; ++i) {
      const float a = digits[i];
#pragma GCC unroll 8
      for (std::size_t v = 0; v < kColVecs; ++v) acc[i][v] += a * b[v];
    }
    digits += ldDigits;
    bp += kFusedCols;
  }
  const VF hi = VF{} + codeMax;
  std::size_t sample = r0 / cycles, cy = r0 % cycles;
  VF part[kColVecs];
  for (std::size_t v = 0; v < kColVecs; ++v) part[v] = VF{};
  auto flush = [&]() {
    float* dst = columnSum + sample * ldSum + col0;
    for (std::size_t v = 0; v < kColVecs; ++v) {
      simd::storeU(dst + v * kVecFloats, simd::loadU<VF>(dst + v * kVecFloats) + part[v]);
      part[v] = VF{};
    }
  };
  for (std::size_t i = 0; i < kFusedRows; ++i) {
    alignas(64) float z[kFusedCols];
    if (kNoise) gaussianLanes(noiseKeys[i], static_cast<std::uint32_t>(col0), z);
    const float scale = cycleScale[cy];
#pragma GCC unroll 8
    for (std::size_t v = 0; v < kColVecs; ++v) {
      VF x = acc[i][v];
      if (kNoise) x += sigma * simd::load<VF>(z + v * kVecFloats);
      if (!kUnitStep) x *= invStep;
      // Clamp to the ADC's codes, then round (same codes as round-then-clamp).
      part[v] += simd::clampRoundEven(x, hi) * scale;
    }
    if (++cy == cycles) {
      flush();
      cy = 0;
      ++sample;
    }
  }
  if (cy != 0) flush();
}

}  // namespace

double CrossbarLayer::calibrateAdc(const float* inputs, std::size_t batch, double inputScale, int passes) const {
  const auto& g = geometry_;
  const std::size_t rows = config_.rows, chunk = chunkSamples(batch, passes, g.cycles, config_.threads);
  const std::size_t chunks = (batch + chunk - 1) / chunk;
  const double xMax = std::ldexp(1.0, config_.inputBits) - 1;
  std::vector<double> maxima(static_cast<std::size_t>(resolveThreads(config_.threads)), 0.0);
  parallelFor(chunks, config_.threads, [&](std::size_t c0, std::size_t c1, int worker) {
    std::vector<float> digits(passes * g.cycles * chunk * k_), adcIn(passes * g.cycles * chunk * width_);
    double best = 0;
    for (std::size_t ch = c0; ch < c1; ++ch) {
      const std::size_t b0 = ch * chunk, count = std::min(chunk, batch - b0), m = passes * g.cycles * count;
      buildDigits(inputs, k_, b0, count, passes, g.cycles, config_.dacBits, inputScale / xMax, xMax, digitLevels_.data(),
                  digits.data(), m);
      for (std::size_t t = 0; t < g.rowTiles; ++t) {
        const std::size_t tileRows = std::min(rows, k_ - t * rows);
        sgemm(true, false, m, width_, tileRows, 1.0f, digits.data() + t * rows * m, m,
              effective_.data() + t * rows * width_, width_, 0.0f, adcIn.data(), width_, 1);
        for (std::size_t e = 0; e < m * width_; ++e) best = std::max(best, static_cast<double>(adcIn[e]));
      }
    }
    maxima[worker] = std::max(maxima[worker], best);
  });
  return *std::max_element(maxima.begin(), maxima.end());
}

// Shared by both run paths: (polarity, slice) weights of a tile's column sums
// and the final rescale.
namespace {
struct ShiftAdd {
  std::vector<double> cycleScale, segmentScale;  // 2^(cy*dacBits); +-2^(l*bitsPerCell) * step
  ShiftAdd(std::size_t cycles, std::size_t slices, const CrossbarConfig& c, double step)
      : cycleScale(cycles), segmentScale(2 * slices) {
    for (std::size_t cy = 0; cy < cycles; ++cy) cycleScale[cy] = std::ldexp(1.0, static_cast<int>(cy * c.dacBits));
    for (std::size_t p = 0; p < 2; ++p)
      for (std::size_t l = 0; l < slices; ++l)
        segmentScale[p * slices + l] = (p == 0 ? 1 : -1) * std::ldexp(step, static_cast<int>(l * c.bitsPerCell));
  }
};

// Adds one sample's tile result to total[n]: for every output column, its
// (polarity, slice) array columns of columnSum weighted by segmentScale, in double.
template <typename Sum>
void reduceColumns(const Sum* columnSum, const std::vector<double>& segmentScale, std::size_t n, std::size_t cols,
                   std::size_t colTiles, std::size_t slices, double* scratch, double* total) {
  for (std::size_t ct = 0; ct < colTiles; ++ct) {
    const std::size_t n0 = ct * cols, tileCols = std::min(cols, n - n0);
    const Sum* seg = columnSum + 2 * slices * n0;
    double* __restrict o = scratch + n0;
    for (std::size_t j = 0; j < tileCols; ++j) o[j] = segmentScale[0] * static_cast<double>(seg[j]);
    for (std::size_t pl = 1; pl < 2 * slices; ++pl) {
      const double scale = segmentScale[pl];
      const Sum* __restrict src = seg + pl * tileCols;
      for (std::size_t j = 0; j < tileCols; ++j) o[j] += scale * static_cast<double>(src[j]);
    }
  }
  for (std::size_t j = 0; j < n; ++j) total[j] += scratch[j];
}

void writeOutputs(const double* total, std::size_t count, std::size_t n, int passes, double inputLsb,
                  const std::vector<double>& weightScale, float* out) {
  for (std::size_t b = 0; b < count; ++b) {
    const double* pos = total + b * n;
    const double* neg = passes == 2 ? total + (count + b) * n : nullptr;
    float* o = out + b * n;
    for (std::size_t j = 0; j < n; ++j) {
      const double q = neg ? pos[j] - neg[j] : pos[j];
      o[j] = static_cast<float>((q * inputLsb) * weightScale[j]);
    }
  }
}
}  // namespace

void CrossbarLayer::runFused(const float* inputs, std::size_t batch, float* out, double inputScale, double step,
                             int passes, std::uint64_t sampleBase) const {
  const auto& c = config_;
  const auto& g = geometry_;
  const std::size_t rows = c.rows, cycles = g.cycles;
  const std::size_t chunk = chunkSamples(batch, passes, cycles, c.threads);
  const std::size_t chunks = (batch + chunk - 1) / chunk;
  const double xMax = std::ldexp(1.0, c.inputBits) - 1;
  const double inputLsb = inputScale / xMax;
  const float invStep = static_cast<float>(1.0 / step);
  const float codeMax = static_cast<float>(std::ldexp(1.0, config_.adcBits) - 1);
  const float sigma = static_cast<float>(c.readNoise);
  const ShiftAdd shift(cycles, g.slices, c, step);
  const std::vector<float> cycleScale(shift.cycleScale.begin(), shift.cycleScale.end());
  const std::size_t paddedWidth = paddedWidth_;
  const std::size_t mMax = passes * cycles * chunk;
  const std::size_t mPadMax = (mMax + kFusedRows - 1) / kFusedRows * kFusedRows;
  const std::size_t samplesMax = (mPadMax + cycles - 1) / cycles + 1;  // + the padding rows' dummy sample

  parallelFor(chunks, c.threads, [&](std::size_t c0, std::size_t c1, int) {
    std::vector<float> digits(k_ * mPadMax);
    std::vector<float> columnSum(samplesMax * paddedWidth);
    std::vector<double> outputSum(n_);
    std::vector<double> total(passes * chunk * n_);
    std::vector<std::uint64_t> noiseKeys(mPadMax);
    std::vector<char> hasNegative(chunk);
    for (std::size_t ch = c0; ch < c1; ++ch) {
      const std::size_t b0 = ch * chunk, count = std::min(chunk, batch - b0);
      const std::size_t m = passes * cycles * count, mPad = (m + kFusedRows - 1) / kFusedRows * kFusedRows;
      for (std::size_t i = 0; i < k_; ++i) std::fill(digits.data() + i * mPad + m, digits.data() + (i + 1) * mPad, 0.0f);
      buildDigits(inputs, k_, b0, count, passes, cycles, c.dacBits, inputLsb, xMax, digitLevels_.data(), digits.data(), mPad);
      markNegativeSamples(inputs, k_, b0, count, hasNegative.data());
      std::fill(total.begin(), total.end(), 0.0);
      for (std::size_t t = 0; t < g.rowTiles; ++t) {
        const std::size_t tileRows = std::min(rows, k_ - t * rows);
        if (sigma > 0)  // read noise keyed by (seed, tile, sample in the run sequence, pass, cycle) and column
          for (std::size_t r = 0; r < mPad; ++r) {
            const std::size_t sIdx = r / cycles, p = sIdx / count, b = sIdx % count;
            noiseKeys[r] = hashKey(c.seed ^ kStreamReadNoise, t, sampleBase + b0 + b, p * cycles + r % cycles);
          }
        std::fill(columnSum.begin(), columnSum.end(), 0.0f);
        const float* tileDigits = digits.data() + t * rows * mPad;
        for (std::size_t col0 = 0; col0 < paddedWidth; col0 += kFusedCols) {
          const float* bp = effectivePacked_.data() + t * rows * paddedWidth + col0 * tileRows;
          for (std::size_t r0 = 0; r0 < mPad; r0 += kFusedRows) {
            auto block = sigma > 0 ? (step == 1 ? fusedBlock<true, true> : fusedBlock<true, false>)
                                   : (step == 1 ? fusedBlock<false, true> : fusedBlock<false, false>);
            block(tileRows, tileDigits + r0, mPad, bp, r0, cycles, cycleScale.data(), invStep, codeMax, sigma,
                  sigma > 0 ? noiseKeys.data() + r0 : nullptr, columnSum.data(), paddedWidth, col0);
          }
        }
        for (int p = 0; p < passes; ++p)
          for (std::size_t b = 0; b < count; ++b) {
            // A sample with no negative input has no negative pass (its
            // result must not depend on the rest of the batch).
            if (p == 1 && !hasNegative[b]) continue;
            reduceColumns<float>(columnSum.data() + (p * count + b) * paddedWidth, shift.segmentScale, n_, c.cols,
                                 g.colTiles, g.slices, outputSum.data(), total.data() + (p * count + b) * n_);
          }
      }
      writeOutputs(total.data(), count, n_, passes, inputLsb, weightScale_, out + b0 * n_);
    }
  });
}

// General path (non-integer ADC steps, very wide converters): GEMM into ADC
// inputs, then conversion and shift-add in double.
void CrossbarLayer::runUnfused(const float* inputs, std::size_t batch, float* out, double inputScale, double step,
                               int passes, std::uint64_t sampleBase) const {
  const auto& c = config_;
  const auto& g = geometry_;
  const std::size_t rows = c.rows, cycles = g.cycles;
  const std::size_t chunk = chunkSamples(batch, passes, cycles, c.threads);
  const std::size_t chunks = (batch + chunk - 1) / chunk;
  const double xMax = std::ldexp(1.0, c.inputBits) - 1;
  const double inputLsb = inputScale / xMax;
  const float invStep = static_cast<float>(1.0 / step);
  const float codeMax = static_cast<float>(std::ldexp(1.0, config_.adcBits) - 1);
  const float sigma = static_cast<float>(c.readNoise);
  const ShiftAdd shift(cycles, g.slices, c, step);
  const std::size_t paddedWidth = (width_ + kFusedCols - 1) / kFusedCols * kFusedCols;

  parallelFor(chunks, c.threads, [&](std::size_t c0, std::size_t c1, int) {
    std::vector<float> digits(passes * cycles * chunk * k_);
    std::vector<float> adcIn(passes * cycles * chunk * paddedWidth, 0.0f);  // pad columns stay zero
    std::vector<double> columnSum(paddedWidth), outputSum(n_);
    std::vector<double> total(passes * chunk * n_);
    std::vector<char> hasNegative(chunk);
    for (std::size_t ch = c0; ch < c1; ++ch) {
      const std::size_t b0 = ch * chunk, count = std::min(chunk, batch - b0), m = passes * cycles * count;
      buildDigits(inputs, k_, b0, count, passes, cycles, c.dacBits, inputLsb, xMax, digitLevels_.data(), digits.data(), m);
      markNegativeSamples(inputs, k_, b0, count, hasNegative.data());
      std::fill(total.begin(), total.end(), 0.0);
      for (std::size_t t = 0; t < g.rowTiles; ++t) {
        const std::size_t tileRows = std::min(rows, k_ - t * rows);
        sgemm(true, false, m, width_, tileRows, 1.0f, digits.data() + t * rows * m, m,
              effective_.data() + t * rows * width_, width_, 0.0f, adcIn.data(), paddedWidth, 1);
        for (int p = 0; p < passes; ++p)
          for (std::size_t b = 0; b < count; ++b) {
            if (p == 1 && !hasNegative[b]) continue;
            std::fill(columnSum.begin(), columnSum.end(), 0.0);
            for (std::size_t cy = 0; cy < cycles; ++cy) {
              const float* v = adcIn.data() + ((p * count + b) * cycles + cy) * paddedWidth;
              const double scale = shift.cycleScale[cy];
              for (std::size_t col0 = 0; col0 < paddedWidth; col0 += kFusedCols) {
                alignas(64) float z[kFusedCols] = {};
                if (sigma > 0)
                  gaussianLanes(hashKey(c.seed ^ kStreamReadNoise, t, sampleBase + b0 + b, p * cycles + cy),
                                static_cast<std::uint32_t>(col0), z);
                for (std::size_t j = 0; j < kFusedCols; ++j) {
                  const float code =
                      std::min(codeMax, std::max(0.0f, std::nearbyint((v[col0 + j] + sigma * z[j]) * invStep)));
                  columnSum[col0 + j] += scale * static_cast<double>(code);
                }
              }
            }
            reduceColumns<double>(columnSum.data(), shift.segmentScale, n_, c.cols, g.colTiles, g.slices,
                                  outputSum.data(), total.data() + (p * count + b) * n_);
          }
      }
      writeOutputs(total.data(), count, n_, passes, inputLsb, weightScale_, out + b0 * n_);
    }
  });
}


}  // namespace nax
