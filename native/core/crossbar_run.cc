// Crossbar runs: DAC digit planes of a chunk of samples, then per row tile
// one product digits^T x E_t whose results go straight through the ADC and
// the cycle shift-add in registers (fused kernel), then the slice/polarity
// shift-add, G+ minus G-, positive minus negative input pass and rescale.
// Every random draw is keyed by its indices, never by thread or batch layout.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <new>
#include <string>

#include "crossbar.h"
#include "crossbar_noise.h"
#include "error.h"
#include "format.h"
#include "gemm.h"
#include "kernel_path.h"
#include "parallel.h"
#include "rng.h"
#include "simd.h"

namespace nax {
namespace {

using crossbar_noise::gaussianLanes;
inline std::string num(double v) { return formatNumber(v); }

constexpr std::uint64_t kStreamReadNoise = 0x524541444eull;
constexpr std::uint64_t kStreamDriftCalibration = 0x44524946544341ull;

}  // namespace

void CrossbarLayer::runIdeal(const float* inputs, std::size_t batch, float* out) const {
  sgemm(false, false, batch, n_, k_, 1.0f, inputs, k_, weightsIdeal_.data(), n_, 0.0f, out, n_, config_.threads);
}

namespace {
// Checks the inputs; returns max |x| and whether any is negative.
// On the float's bit pattern u, as two unsigned max reductions that vectorise (gcc 12 kept the
// earlier float max with bool |= comparisons scalar: 1.8 ms for a 4096 x 576 batch, a third of
// a CUDA run's wall time): max(u & 0x7fffffff) is the bit pattern of max |x| for finite values
// and >= 0x7f800000 when some x is infinite or NaN; max(u) > 0x80000000 exactly when some x is
// negative and non-zero (x < 0; -0 is not), or a negative NaN, which the first already flags.
// Split over the pool's threads for large batches; max is exact, so the result does not
// depend on the thread count.
void scanInputs(const float* inputs, std::size_t count, int threads, double* maxAbs, bool* anyNegative) {
  constexpr std::size_t kPerWorker = std::size_t(1) << 17;
  const std::size_t workers = std::max<std::size_t>(1, std::min<std::size_t>(64, count / kPerWorker));
  std::uint32_t absMax[64] = {}, rawMax[64] = {};
  parallelFor(workers, std::min<int>(resolveThreads(threads), static_cast<int>(workers)),
              [&](std::size_t w0, std::size_t w1, int) {
                for (std::size_t w = w0; w < w1; ++w) {
                  const std::size_t begin = count * w / workers, end = count * (w + 1) / workers;
                  std::uint32_t a = 0, r = 0;
                  for (std::size_t i = begin; i < end; ++i) {
                    std::uint32_t u;
                    std::memcpy(&u, inputs + i, sizeof(u));
                    const std::uint32_t m = u & 0x7fffffffu;
                    a = m > a ? m : a;
                    r = u > r ? u : r;
                  }
                  absMax[w] = a;
                  rawMax[w] = r;
                }
              });
  const std::uint32_t a = *std::max_element(absMax, absMax + workers), r = *std::max_element(rawMax, rawMax + workers);
  if (a >= 0x7f800000u)
    for (std::size_t i = 0; i < count; ++i)
      if (!std::isfinite(inputs[i]))
        throw Error(codes::kInvalidArgument, "expected a finite number for inputs[" + std::to_string(i) + "], got " +
                                                 num(inputs[i]));
  float m;
  std::memcpy(&m, &a, sizeof(m));
  *maxAbs = m;
  *anyNegative = r > 0x80000000u;
}
}  // namespace

double CrossbarLayer::sigmaLsb() const {
  if (!(config_.readNoise > 0)) return 0;
  return config_.readNoiseModel == ReadNoiseModel::kOutputAmperes ? config_.readNoise / unitCurrent() : config_.readNoise;
}

void CrossbarLayer::run(const float* inputs, std::size_t batch, float* out) {
  if (batch == 0) return;
  double maxAbs = 0;
  bool anyNegative = false;
  scanInputs(inputs, batch * k_, config_.threads, &maxAbs, &anyNegative);
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
  const double codeMax = adcCodeMax();
  std::vector<double> adcSteps;  // per ADC, when calibrated per slice or per ADC
  if (config_.adcCalibrated) {
    // Fallback when no calibration set was run (calibrateAdcAccumulate/Finalize): the first
    // run's largest ADC inputs fix the ranges.
    std::lock_guard<std::mutex> lock(calibrationMutex_);
    if (adcRanges_.empty()) {
      std::vector<double> maxima(rangeCount(), 0.0);
      calibrateAdc(inputs, batch, scale, passes, maxima);
      adcRanges_ = scopedRanges(maxima);
    }
    range = *std::max_element(adcRanges_.begin(), adcRanges_.end());
    if (config_.adcRangeScope != 0)
      for (double r : adcRanges_) adcSteps.push_back(std::max(1.0, r / codeMax));
  }
  const double step = std::max(1.0, range / codeMax);  // LSB units per ADC code
  // This call's samples take the next indices of the layer's run sequence (read-noise keys).
  const std::uint64_t sampleBase = samplesRun_.fetch_add(batch);
  convert(inputs, batch, out, scale, step, passes, sampleBase, adcSteps.empty() ? nullptr : &adcSteps);
}

void CrossbarLayer::convert(const float* inputs, std::size_t batch, float* out, double inputScale, double step,
                            int passes, std::uint64_t sampleBase, const std::vector<double>* adcSteps) const {
  // The fused kernel sums each column's integer codes over cycles in float:
  // exact while codeMax * sum_c 2^(c*dacBits) < 2^24 (the step and the
  // slice/polarity weights are applied in double afterwards). Its portable
  // rounding needs codes <= 2^22.
  const double codeMax = adcCodeMax();
  const double cycleBound = codeMax * (std::ldexp(1.0, config_.dacBits * static_cast<int>(geometry_.cycles)) - 1) /
                            ((1 << config_.dacBits) - 1);
  if (config_.accelerator == Accelerator::kCuda && adcSteps == nullptr) {  // checkCudaSupport admitted only fused configs
    runCuda(inputs, batch, out, inputScale, step, passes, sampleBase);
    return;
  }
  // ADC non-idealities and per-ADC ranges convert in the general path.
  if (cycleBound < 16777216.0 && codeMax <= 4194304.0 && !adcNonIdeal() && adcSteps == nullptr)
    runFused(inputs, batch, out, inputScale, step, passes, sampleBase);
  else
    runUnfused(inputs, batch, out, inputScale, step, passes, sampleBase, adcSteps);
}

double CrossbarLayer::driftCalibrationRead(std::uint64_t read) const {
  // A fixed, seeded calibration batch (the same at t0 and at time t): kDriftCalibrationSamples
  // inputs with magnitudes uniform in [0, 1) of the input scale, so the DAC digits, the active
  // rows per conversion and with them the ADC's code-rounding bias (the digital offset's integer
  // code under 'digital-offset') are spread as over data. aihwkit reads an all-ones input; through
  // the digital path that leaves a 1.3% bias under 'digital-offset' at one month, since every row
  // is on in every cycle. Converted at the full-scale ADC range (calibrated ranges are measured
  // later, on data); its read noise takes keys past any run sequence.
  constexpr std::size_t kDriftCalibrationSamples = 64;
  std::vector<float> inputs(kDriftCalibrationSamples * k_), out(kDriftCalibrationSamples * n_);
  for (std::size_t e = 0; e < inputs.size(); ++e)
    inputs[e] = static_cast<float>(uniformOpen(hashKey(config_.seed, kStreamDriftCalibration, e)));
  const double fullScale = static_cast<double>(config_.rows) * ((1 << config_.dacBits) - 1) *
                           (((1 << config_.bitsPerCell) - 1) + offsetLsbPerDigit());
  const double step = std::max(1.0, fullScale / adcCodeMax());
  convert(inputs.data(), kDriftCalibrationSamples, out.data(), 1.0, step, 1,
          (std::uint64_t{1} << 63) + read * kDriftCalibrationSamples, nullptr);
  double sum = 0;
  for (float y : out) sum += std::fabs(static_cast<double>(y));
  return sum;
}

double CrossbarLayer::adcCodeMax() const {
  return bipolar() ? std::ldexp(1.0, config_.adcBits - 1) - 1 : std::ldexp(1.0, config_.adcBits) - 1;
}

void CrossbarLayer::calibrateAdcAccumulate(const float* inputs, std::size_t batch) {
  if (batch == 0 || config_.ideal) return;
  double maxAbs = 0;
  bool anyNegative = false;
  scanInputs(inputs, batch * k_, config_.threads, &maxAbs, &anyNegative);
  double scale = config_.inputScale;
  if (!(scale > 0)) {
    std::lock_guard<std::mutex> lock(calibrationMutex_);
    if (inputScale_ == 0 && maxAbs > 0) inputScale_ = maxAbs;
    scale = inputScale_ > 0 ? inputScale_ : 1.0;
  }
  std::vector<double> maxima(rangeCount(), 0.0);
  calibrateAdc(inputs, batch, scale, anyNegative ? 2 : 1, maxima);
  std::lock_guard<std::mutex> lock(calibrationMutex_);
  adcCalibrationMax_.resize(rangeCount(), 0.0);
  for (std::size_t a = 0; a < maxima.size(); ++a) adcCalibrationMax_[a] = std::max(adcCalibrationMax_[a], maxima[a]);
}

void CrossbarLayer::calibrateAdcFinalize() {
  if (!config_.adcCalibrated)
    throw Error(codes::kConfig, "expected adcRange 'calibrated' for calibrateAdc, got a full-scale ADC range");
  std::lock_guard<std::mutex> lock(calibrationMutex_);
  adcCalibrationMax_.resize(rangeCount(), 0.0);
  adcRanges_ = scopedRanges(adcCalibrationMax_);
}

namespace {

// Samples per work item: ~256 conversion rows keep a tile's working set in
// L2; smaller when that leaves threads idle. Results never depend on it.
inline std::size_t chunkSamples(std::size_t batch, std::size_t passes, std::size_t cycles, int threads) {
  const std::size_t full = std::max<std::size_t>(1, 256 / (passes * cycles));
  const std::size_t workers = static_cast<std::size_t>(resolveThreads(threads));
  return std::max<std::size_t>(1, std::min(full, (batch + workers - 1) / workers));
}

// Digit levels of every input code u in [0, xMax], cycles adjacent: table[u*cycles + c] =
// levels[digit c of u] (what buildDigits copies per input); empty when too large to pay off
// (more than 64 KiB: inputBits above 10 or so).
std::vector<float> digitTable(std::size_t cycles, int dacBits, double xMax, const float* levels) {
  const std::size_t codes = static_cast<std::size_t>(xMax) + 1;
  if (codes * cycles > 16384) return {};
  const std::uint32_t mask = (1u << dacBits) - 1;
  std::vector<float> table(codes * cycles);
  for (std::size_t u = 0; u < codes; ++u)
    for (std::size_t c = 0; c < cycles; ++c) table[u * cycles + c] = levels[(u >> (c * dacBits)) & mask];
  return table;
}

// DAC codes of 8 inputs: u = min(roundHalfUp(|x| / inputLsb), xMax) in double (the CUDA
// kernels' dacCode), sign in bit 31, written as vector code: GCC left the scalar loop scalar (a
// divide per input), and buildDigits, mostly that loop, was 11% of a --quick evolve (perf).
// min(t, xMax) then truncation equals min(floor(t), xMax) for t = |x| / inputLsb + 0.5 >= 0
// (and NaN gives xMax, as `q < xMax ? q : xMax` does).
inline void quantizeCodes8(const float* x, double inputLsb, double xMax, std::uint32_t* codes) {
  using F8 = simd::Vec<float, 8>;
  using D8 = simd::Vec<double, 8>;
  using I8 = simd::Vec<std::int32_t, 8>;
  using L8 = simd::Vec<std::int64_t, 8>;
  F8 xf;
  std::memcpy(&xf, x, sizeof(xf));
  const D8 xd = __builtin_convertvector(xf, D8);
  const D8 mag = xd < 0.0 ? -xd : xd;
  D8 t = mag / inputLsb + 0.5;
  t = t < xMax ? t : D8{} + xMax;
  const I8 code = __builtin_convertvector(__builtin_convertvector(t, L8), I8);
  const I8 sign = reinterpret_cast<I8>(xf < 0.0f) & static_cast<std::int32_t>(0x80000000u);
  const I8 out = code | sign;
  std::memcpy(codes, &out, sizeof(out));
}

// Writes the DAC digit planes of samples [b0, b0+count), transposed: k rows,
// one column per conversion row r = (p*count + b)*cycles + c (sample-major,
// cycles adjacent), leading dimension ld >= passes*count*cycles:
// digits[i*ld + r] = levels[digit c of sample b's pass-p magnitude at input i]
// (levels[d] = d for linear cells; the I-V nonlinearity's current factor otherwise).
// Blocks of inputs are quantised first (reading each sample's inputs contiguously) and then
// written one digit row at a time (contiguous stores), each input's cycles copied from `table`
// when there is one: the plain input-by-input scatter was 15% of a whole evolve run.
// codeOr (optional, passes*count*tiles entries, tile-major): OR of the codes each (pass, sample)
// applies to the inputs of each row tile of `tileRows` inputs; digit c of a conversion row is
// nonzero somewhere in the tile exactly when bits [c*dacBits, (c+1)*dacBits) of the OR are.
void buildDigits(const float* inputs, std::size_t k, std::size_t b0, std::size_t count, int passes, std::size_t cycles,
                 int dacBits, double inputLsb, double xMax, const float* levels, const float* table, float* digits,
                 std::size_t ld, std::uint32_t* codeOr = nullptr, std::size_t tileRows = 0) {
  constexpr std::size_t kInputBlock = 16, kMaxCount = 256;
  const std::uint32_t mask = (1u << dacBits) - 1;
  const std::size_t rowsPerPass = count * cycles;
  std::uint32_t codes[kMaxCount * kInputBlock];  // [sample][input]; sign in bit 31 (inputs <= 16 bits)
  for (std::size_t s0 = 0; s0 < count; s0 += kMaxCount) {
    const std::size_t sn = std::min(kMaxCount, count - s0);
    for (std::size_t i0 = 0; i0 < k; i0 += kInputBlock) {
      const std::size_t in = std::min(kInputBlock, k - i0);
      for (std::size_t b = 0; b < sn; ++b) {
        const float* x = inputs + (b0 + s0 + b) * k + i0;
        std::uint32_t* cb = codes + b * kInputBlock;
        alignas(64) float tail[kInputBlock];  // a short last block, zero-padded (codes past `in` unread)
        if (in < kInputBlock) {
          std::memcpy(tail, x, sizeof(float) * in);
          std::fill(tail + in, tail + kInputBlock, 0.0f);
          x = tail;
        }
        quantizeCodes8(x, inputLsb, xMax, cb);
        quantizeCodes8(x + 8, inputLsb, xMax, cb + 8);
      }
      for (std::size_t ii = 0; ii < in; ++ii) {
        const std::size_t i = i0 + ii;
        float* row = digits + i * ld;
        const std::uint32_t* cd = codes + ii;
        std::uint32_t* ors = codeOr ? codeOr + (i / tileRows) * passes * count : nullptr;
        for (int p = 0; p < passes; ++p)
          for (std::size_t b = 0; b < sn; ++b) {
            // Pass 0 applies the positive inputs, pass 1 the magnitudes of the negative ones.
            const std::uint32_t v = cd[b * kInputBlock];
            const std::uint32_t u = (v >> 31) == static_cast<std::uint32_t>(p) ? (v & 0x7fffffffu) : 0u;
            float* d = row + p * rowsPerPass + (s0 + b) * cycles;
            if (ors) ors[p * count + s0 + b] |= u;
            if (table && cycles == 8)  // 8-bit inputs on a 1-bit DAC: one 32-byte copy, inlined
              std::memcpy(d, table + static_cast<std::size_t>(u) * 8, 8 * sizeof(float));
            else if (table)
              for (std::size_t c = 0; c < cycles; ++c) d[c] = table[static_cast<std::size_t>(u) * cycles + c];
            else
              for (std::size_t c = 0; c < cycles; ++c) d[c] = levels[(u >> (c * dacBits)) & mask];
          }
      }
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

// What the fused kernel's epilogue needs per conversion row r (a sample's pass and cycle):
// the ADC's code range, read noise and the digital offset.
struct Epilogue {
  const float* cycleScale;                 // 2^(cy*dacBits)
  float invStep, lo, hi;                   // 1/step; code range [lo, hi]
  float sigma;                             // output-referred noise, LSB (kNoise == 1)
  const std::uint64_t* noiseKeys;          // per row
  float deviceSigma;                       // relative sigma (kNoise == 2)
  const float* squares;                    // squared digits of the tile (kNoise == 2), ld ldSquares
  std::size_t ldSquares;
  const std::int32_t* squarePairs;         // kNoise == 3: the tile's squared digits, int16 row pairs
  std::size_t ldPairs;                     //   (pair p of conversion row r at p * ldPairs + r)
  const float* offset;                     // per row: gOff current in LSB (digital offset)
  const float* offsetCode;                 // per row: its integer code, subtracted after the ADC
};

// One register block of the fused crossbar kernel: ADC inputs of kFusedRows conversion rows
// and array columns col0..col0+31 (digits^T x packed E, kept in registers), converted by the
// ADC and shift-added over cycles straight into columnSum[sample][col]. The rows come from a
// row list: row i of the block is digit column rowIndex[i], belonging to sample rowSample[i] at
// cycle rowCycle[i] (ascending, so a sample's rows are adjacent and flush together). runFused
// passes every row (r, r / cycles, r % cycles), or, where an all-zero row reads code 0 exactly
// (no current: noise-free or device-level noise), only the rows with a nonzero digit (about 40%
// of ResNet-MNIST's rows are zero at 8-bit inputs and a 1-bit DAC). The codes are integers
// times powers of two, so skipping rows leaves every sum exactly as it was.
// kNoise: 0 none, 1 uniform sigma (output-referred), 2 device model: the block first runs the
// variance product (squared digits x the packed squared currents sp) on the same register
// shape, turns it into sigma * sqrt(variance) * z in a stack buffer, then runs the signal product;
// 3 the device model on integer levels (integerVariance_): the variance product as exact 16-bit
// pair dot products of ep.squarePairs by the packed int16 pairs sp16.
template <int kNoise, bool kUnitStep, bool kOffset>
void fusedBlock(std::size_t kc, const float* __restrict digits, std::size_t ldDigits, const float* __restrict bp,
                const float* __restrict sp, const std::int16_t* __restrict sp16, const std::uint32_t* rowIndex,
                const std::uint32_t* rowSample, const std::uint32_t* rowCycle, const Epilogue& ep,
                float* __restrict columnSum, std::size_t ldSum, std::size_t col0) {
  std::size_t at[kFusedRows];
  for (std::size_t i = 0; i < kFusedRows; ++i) at[i] = rowIndex[i];
  alignas(64) float noise[kNoise >= 1 ? kFusedRows : 1][kFusedCols];
  // Output-referred noise: the block's standard normals first, while no accumulator is live (drawn
  // in the epilogue they shared the registers with the 16 accumulators and the table spilled).
  if (kNoise == 1)
    for (std::size_t i = 0; i < kFusedRows; ++i) gaussianLanes(ep.noiseKeys[at[i]], static_cast<std::uint32_t>(col0), noise[i]);
  if (kNoise == 3) {
    using VI = simd::Vec<int>;
    VI var[kFusedRows][kColVecs];
#pragma GCC unroll 8
    for (std::size_t i = 0; i < kFusedRows; ++i)
#pragma GCC unroll 8
      for (std::size_t v = 0; v < kColVecs; ++v) var[i][v] = VI{};
    const std::int32_t* sq = ep.squarePairs;
    for (std::size_t p = 0; p < (kc + 1) / 2; ++p) {
      VI b[kColVecs];
#pragma GCC unroll 8
      for (std::size_t v = 0; v < kColVecs; ++v) b[v] = simd::load<VI>(sp16 + v * 2 * kVecFloats);
#pragma GCC unroll 8
      for (std::size_t i = 0; i < kFusedRows; ++i) {
        const VI a = VI{} + sq[at[i]];
#pragma GCC unroll 8
        for (std::size_t v = 0; v < kColVecs; ++v) var[i][v] = simd::dotPairsI16(var[i][v], a, b[v]);
      }
      sq += ep.ldPairs;
      sp16 += 2 * kFusedCols;
    }
    for (std::size_t i = 0; i < kFusedRows; ++i) {
      alignas(64) float z[kFusedCols];
      gaussianLanes(ep.noiseKeys[at[i]], static_cast<std::uint32_t>(col0), z);
      for (std::size_t v = 0; v < kColVecs; ++v)
        simd::store(noise[i] + v * kVecFloats, (ep.deviceSigma * simd::sqrt(__builtin_convertvector(var[i][v], VF))) *
                                                   simd::load<VF>(z + v * kVecFloats));
    }
  }
  if (kNoise == 2) {
    VF var[kFusedRows][kColVecs];
#pragma GCC unroll 8
    for (std::size_t i = 0; i < kFusedRows; ++i)
#pragma GCC unroll 8
      for (std::size_t v = 0; v < kColVecs; ++v) var[i][v] = VF{};
    const float* sq = ep.squares;
    for (std::size_t p = 0; p < kc; ++p) {
      VF b[kColVecs];
#pragma GCC unroll 8
      for (std::size_t v = 0; v < kColVecs; ++v) {
        b[v] = simd::load<VF>(sp + v * kVecFloats);
        if (kFusedRows > 1) simd::keepInRegister(b[v]);
      }
#pragma GCC unroll 8
      for (std::size_t i = 0; i < kFusedRows; ++i) {
        const float a = sq[at[i]];
#pragma GCC unroll 8
        for (std::size_t v = 0; v < kColVecs; ++v) var[i][v] += a * b[v];
      }
      sq += ep.ldSquares;
      sp += kFusedCols;
    }
    for (std::size_t i = 0; i < kFusedRows; ++i) {
      alignas(64) float z[kFusedCols];
      gaussianLanes(ep.noiseKeys[at[i]], static_cast<std::uint32_t>(col0), z);
      for (std::size_t v = 0; v < kColVecs; ++v) {
        const VF nonNegative = var[i][v] > 0.0f ? var[i][v] : VF{};
        simd::store(noise[i] + v * kVecFloats,
                    (ep.deviceSigma * simd::sqrt(nonNegative)) * simd::load<VF>(z + v * kVecFloats));
      }
    }
  }
  VF acc[kFusedRows][kColVecs];
#pragma GCC unroll 8
  for (std::size_t i = 0; i < kFusedRows; ++i)
#pragma GCC unroll 8
    for (std::size_t v = 0; v < kColVecs; ++v) acc[i][v] = VF{};
  for (std::size_t p = 0; p < kc; ++p) {
    VF b[kColVecs];
#pragma GCC unroll 8
    for (std::size_t v = 0; v < kColVecs; ++v) {
      b[v] = simd::load<VF>(bp + v * kVecFloats);
      if (kFusedRows > 1) simd::keepInRegister(b[v]);
    }
#pragma GCC unroll 8
    for (std::size_t i = 0; i < kFusedRows; ++i) {
      const float a = digits[at[i]];
#pragma GCC unroll 8
      for (std::size_t v = 0; v < kColVecs; ++v) acc[i][v] += a * b[v];
    }
    digits += ldDigits;
    bp += kFusedCols;
  }
  const VF lo = VF{} + ep.lo, hi = VF{} + ep.hi;
  VF part[kColVecs];
  for (std::size_t v = 0; v < kColVecs; ++v) part[v] = VF{};
  for (std::size_t i = 0; i < kFusedRows; ++i) {
    const float scale = ep.cycleScale[rowCycle[i]];
    const float off = kOffset ? ep.offset[at[i]] : 0.0f, offCode = kOffset ? ep.offsetCode[at[i]] : 0.0f;
#pragma GCC unroll 8
    for (std::size_t v = 0; v < kColVecs; ++v) {
      VF x = acc[i][v];
      if (kOffset) x += off;
      if (kNoise == 1) x += ep.sigma * simd::load<VF>(noise[i] + v * kVecFloats);
      if (kNoise >= 2) x += simd::load<VF>(noise[i] + v * kVecFloats);
      if (!kUnitStep) x *= ep.invStep;
      VF code = simd::clampRoundHalfUp(x, lo, hi);
      if (kOffset) code -= offCode;
      part[v] += code * scale;
    }
    if (i + 1 == kFusedRows || rowSample[i + 1] != rowSample[i]) {
      float* dst = columnSum + rowSample[i] * ldSum + col0;
      for (std::size_t v = 0; v < kColVecs; ++v) {
        simd::storeU(dst + v * kVecFloats, simd::loadU<VF>(dst + v * kVecFloats) + part[v]);
        part[v] = VF{};
      }
    }
  }
}

using FusedBlockFn = void (*)(std::size_t, const float*, std::size_t, const float*, const float*, const std::int16_t*,
                              const std::uint32_t*, const std::uint32_t*, const std::uint32_t*, const Epilogue&, float*,
                              std::size_t, std::size_t);
template <int kNoise>
FusedBlockFn pickBlock(bool unitStep, bool offset) {
  return unitStep ? (offset ? fusedBlock<kNoise, true, true> : fusedBlock<kNoise, true, false>)
                  : (offset ? fusedBlock<kNoise, false, true> : fusedBlock<kNoise, false, false>);
}
FusedBlockFn pickBlock(int noise, bool unitStep, bool offset) {
  return noise == 0   ? pickBlock<0>(unitStep, offset)
         : noise == 1 ? pickBlock<1>(unitStep, offset)
         : noise == 2 ? pickBlock<2>(unitStep, offset)
                      : pickBlock<3>(unitStep, offset);
}

// Digital offset of each conversion row of one tile: offset[r] = offsetPerDigit * (sum of the
// tile's digits in row r), in float as the ADC input is, and its code (the same rounding, so a
// lossless ADC returns the ideal integer exactly).
void digitalOffsets(const float* tileDigits, std::size_t ld, std::size_t tileRows, std::size_t m, double perDigit,
                    float invStep, bool unitStep, float* offset, float* offsetCode) {
  std::vector<double> sums(m, 0.0);
  for (std::size_t i = 0; i < tileRows; ++i)
    for (std::size_t r = 0; r < m; ++r) sums[r] += tileDigits[i * ld + r];
  for (std::size_t r = 0; r < m; ++r) {
    offset[r] = static_cast<float>(perDigit * sums[r]);
    const float x = unitStep ? offset[r] : offset[r] * invStep;
    offsetCode[r] = std::floor(x + 0.5f);
  }
}

// Device read noise: sigma * sqrt(sum_i d_i^2 S(i, col)) per conversion row and column, from
// one GEMM of the squared digits by the tile's squared-current matrix S (LSB^2).
void deviceNoiseSigma(const float* tileSquares, std::size_t ldSq, std::size_t m, std::size_t width,
                      std::size_t tileRows, const float* S, std::size_t ldS, float sigma, float* out, std::size_t ldOut) {
  sgemm(true, false, m, width, tileRows, 1.0f, tileSquares, ldSq, S, ldS, 0.0f, out, ldOut, 1);
  for (std::size_t r = 0; r < m; ++r)
    for (std::size_t j = 0; j < width; ++j) out[r * ldOut + j] = sigma * std::sqrt(std::max(0.0f, out[r * ldOut + j]));
}

}  // namespace

// Largest ADC input magnitude (LSB) per ADC over the inputs: unipolar readout the whole column
// current (the digital offset's gOff part included), bipolar readouts |input|.
void CrossbarLayer::calibrateAdc(const float* inputs, std::size_t batch, double inputScale, int passes,
                                 std::vector<double>& maxima) const {
  const auto& g = geometry_;
  const std::size_t rows = config_.rows, chunk = chunkSamples(batch, passes, g.cycles, config_.threads);
  const std::size_t chunks = (batch + chunk - 1) / chunk;
  const double xMax = std::ldexp(1.0, config_.inputBits) - 1;
  const double perDigit = offsetLsbPerDigit();
  const bool signedInput = bipolar();
  const std::size_t workers = static_cast<std::size_t>(resolveThreads(config_.threads));
  std::vector<std::vector<double>> perWorker(workers, std::vector<double>(rangeCount(), 0.0));
  std::vector<std::size_t> adcIds(g.rowTiles * width_);
  for (std::size_t t = 0; t < g.rowTiles; ++t)
    for (std::size_t col = 0; col < width_; ++col) adcIds[t * width_ + col] = rangeOf(t, col);
  const std::vector<float> table = digitTable(g.cycles, config_.dacBits, xMax, digitLevels_.data());
  parallelFor(chunks, config_.threads, [&](std::size_t c0, std::size_t c1, int worker) {
    std::vector<float> digits(passes * g.cycles * chunk * k_), adcIn(passes * g.cycles * chunk * width_);
    std::vector<float> offset(passes * g.cycles * chunk), offsetCode(offset.size());
    std::vector<double>& best = perWorker[worker];
    for (std::size_t ch = c0; ch < c1; ++ch) {
      const std::size_t b0 = ch * chunk, count = std::min(chunk, batch - b0), m = passes * g.cycles * count;
      buildDigits(inputs, k_, b0, count, passes, g.cycles, config_.dacBits, inputScale / xMax, xMax, digitLevels_.data(),
                  table.empty() ? nullptr : table.data(), digits.data(), m);
      for (std::size_t t = 0; t < g.rowTiles; ++t) {
        const std::size_t tileRows = std::min(rows, k_ - t * rows);
        sgemm(true, false, m, width_, tileRows, 1.0f, digits.data() + t * rows * m, m,
              effective_.data() + t * rows * width_, width_, 0.0f, adcIn.data(), width_, 1);
        std::fill(offset.begin(), offset.end(), 0.0f);
        if (perDigit > 0)
          digitalOffsets(digits.data() + t * rows * m, m, tileRows, m, perDigit, 1.0f, true, offset.data(),
                         offsetCode.data());
        const std::size_t* ids = adcIds.data() + t * width_;
        for (std::size_t r = 0; r < m; ++r)
          for (std::size_t e = 0; e < width_; ++e) {
            const double x = static_cast<double>(adcIn[r * width_ + e]) + offset[r];
            double& b = best[ids[e]];
            b = std::max(b, signedInput ? std::fabs(x) : x);
          }
      }
    }
  });
  for (const auto& w : perWorker)
    for (std::size_t a = 0; a < maxima.size(); ++a) maxima[a] = std::max(maxima[a], w[a]);
}

// Shared by both run paths: segment (polarity, slice) weights of a tile's column sums
// and the final rescale.
namespace {
struct ShiftAdd {
  std::vector<double> cycleScale, segmentScale;  // 2^(cy*dacBits); +-2^(l*bitsPerCell) * step
  ShiftAdd(std::size_t cycles, std::size_t slices, std::size_t segments, const CrossbarConfig& c, double step)
      : cycleScale(cycles), segmentScale(segments) {
    for (std::size_t cy = 0; cy < cycles; ++cy) cycleScale[cy] = std::ldexp(1.0, static_cast<int>(cy * c.dacBits));
    // Segment s = p*slices + l (p = 0: G+, 1: G-); differential readout: s = l, already G+ - G-.
    for (std::size_t seg = 0; seg < segments; ++seg) {
      const std::size_t p = seg / slices, l = seg % slices;
      segmentScale[seg] = (p == 0 ? 1 : -1) * std::ldexp(step, static_cast<int>(l * c.bitsPerCell));
    }
  }
};

// Adds one sample's tile result to total[n]: for every output column, its
// segment columns of columnSum weighted by segmentScale, in double.
template <typename Sum>
void reduceColumns(const Sum* columnSum, const std::vector<double>& segmentScale, std::size_t n, std::size_t cols,
                   std::size_t colTiles, double* scratch, double* total) {
  const std::size_t segments = segmentScale.size();
  for (std::size_t ct = 0; ct < colTiles; ++ct) {
    const std::size_t n0 = ct * cols, tileCols = std::min(cols, n - n0);
    const Sum* seg = columnSum + segments * n0;
    double* __restrict o = scratch + n0;
    for (std::size_t j = 0; j < tileCols; ++j) o[j] = segmentScale[0] * static_cast<double>(seg[j]);
    for (std::size_t pl = 1; pl < segments; ++pl) {
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

void squareDigits(const float* digits, std::size_t count, float* squares) {
  for (std::size_t e = 0; e < count; ++e) squares[e] = digits[e] * digits[e];
}

// Squared integer digits (exact: at most 3^2) as int16 row pairs per tile for the integer
// variance product: pair p of tile t, conversion row r at (t * pairsPerTile + p) * ld + r, the
// even row in the low half; a tile's odd last row pairs with zero.
void squareDigitPairs(const float* digits, std::size_t k, std::size_t ld, std::size_t rows, std::size_t pairsPerTile,
                      std::int32_t* pairs) {
  const std::size_t tiles = (k + rows - 1) / rows;
  for (std::size_t t = 0; t < tiles; ++t) {
    const std::size_t tileRows = std::min(rows, k - t * rows);
    for (std::size_t p = 0; p < pairsPerTile; ++p) {
      std::int32_t* dst = pairs + (t * pairsPerTile + p) * ld;
      const std::size_t i0 = 2 * p, i1 = 2 * p + 1;
      if (i0 >= tileRows) {
        std::fill(dst, dst + ld, 0);
        continue;
      }
      const float* d0 = digits + (t * rows + i0) * ld;
      const float* d1 = i1 < tileRows ? digits + (t * rows + i1) * ld : nullptr;
      for (std::size_t r = 0; r < ld; ++r) {
        const auto lo = static_cast<std::uint32_t>(d0[r] * d0[r]);
        const auto hi = d1 ? static_cast<std::uint32_t>(d1[r] * d1[r]) : 0u;
        dst[r] = static_cast<std::int32_t>(lo | (hi << 16));
      }
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
  const float codeMax = static_cast<float>(adcCodeMax());
  const float sigma = static_cast<float>(sigmaLsb());
  const int noise = !(sigma > 0) ? 0 : c.readNoiseModel == ReadNoiseModel::kDevice ? 2 : 1;
  const double perDigit = offsetLsbPerDigit();
  const bool offset = perDigit > 0;
  const ShiftAdd shift(cycles, g.slices, segments_, c, step);
  const std::vector<float> cycleScale(shift.cycleScale.begin(), shift.cycleScale.end());
  const std::size_t paddedWidth = paddedWidth_;
  const std::size_t mMax = passes * cycles * chunk;
  const std::size_t mPadMax = (mMax + kFusedRows - 1) / kFusedRows * kFusedRows;
  const std::size_t samplesMax = (mPadMax + cycles - 1) / cycles + 1;  // + the padding rows' dummy sample
  // Device noise's variance product: exact integer pair dot products, or float FMAs on float squares.
  const bool integerVariance = noise == 2 && integerVariance_, floatVariance = noise == 2 && !integerVariance_;
  const FusedBlockFn block = pickBlock(integerVariance ? 3 : noise, step == 1, offset);
  // An all-zero conversion row drives no current, so it reads code 0 exactly, without read
  // noise or with device-level noise (each cell's noise scales with its current): such rows are
  // skipped. Output-referred noise is drawn on every conversion, so there the zero rows are
  // converted apart, by the same block with no multiply-adds (kc = 0: the accumulators stay
  // exactly 0, so every code is the one the full product gave), and the negative pass of a
  // sample with no negative input, which nothing reads, is not converted at all.
  // (The baseline kernel path, NAX_KERNELS=baseline, converts every row: the benchmarks' reference.)
  const bool compact = !baselineKernels();
  const bool zeroRowsConvert = compact && noise == 1;
  const std::vector<float> table = digitTable(cycles, c.dacBits, xMax, digitLevels_.data());
  const std::uint32_t digitMask = (1u << c.dacBits) - 1;

  parallelFor(chunks, c.threads, [&](std::size_t c0, std::size_t c1, int) {
    std::vector<std::uint32_t> codeOr(compact ? passes * chunk * g.rowTiles : 0);
    std::vector<std::uint32_t> rowIndex(mPadMax), rowSample(mPadMax), rowCycle(mPadMax);
    std::vector<std::uint32_t> zeroIndex(zeroRowsConvert ? mPadMax : 0), zeroSample(zeroIndex.size()), zeroCycle(zeroIndex.size());
    std::vector<float> digits(k_ * mPadMax), squares(floatVariance && c.dacBits > 1 ? k_ * mPadMax : 0);
    std::vector<std::int32_t> squarePairs(integerVariance ? g.rowTiles * noisePairsPerTile_ * mPadMax : 0);
    std::vector<float> columnSum(samplesMax * paddedWidth);
    std::vector<float> rowOffset(mPadMax, 0.0f), rowOffsetCode(mPadMax, 0.0f);
    std::vector<double> outputSum(n_);
    std::vector<double> total(passes * chunk * n_);
    std::vector<std::uint64_t> noiseKeys(mPadMax);
    std::vector<char> hasNegative(chunk);
    Epilogue ep{cycleScale.data(), invStep, c.readout == Readout::kDigitalOffset ? 0.0f : -codeMax, codeMax, sigma,
                noiseKeys.data(), deviceNoiseFactor(), nullptr, 0, nullptr, 0, rowOffset.data(), rowOffsetCode.data()};
    for (std::size_t ch = c0; ch < c1; ++ch) {
      const std::size_t b0 = ch * chunk, count = std::min(chunk, batch - b0);
      const std::size_t m = passes * cycles * count, mPad = (m + kFusedRows - 1) / kFusedRows * kFusedRows;
      for (std::size_t i = 0; i < k_; ++i) std::fill(digits.data() + i * mPad + m, digits.data() + (i + 1) * mPad, 0.0f);
      if (compact) std::fill(codeOr.begin(), codeOr.end(), 0u);
      buildDigits(inputs, k_, b0, count, passes, cycles, c.dacBits, inputLsb, xMax, digitLevels_.data(),
                  table.empty() ? nullptr : table.data(), digits.data(), mPad, compact ? codeOr.data() : nullptr, rows);
      // Squared digits for the device-noise variance (a 1-bit DAC's digits are their own squares).
      if (floatVariance && c.dacBits > 1) squareDigits(digits.data(), k_ * mPad, squares.data());
      if (integerVariance) squareDigitPairs(digits.data(), k_, mPad, rows, noisePairsPerTile_, squarePairs.data());
      const float* squaresAll = floatVariance ? (c.dacBits > 1 ? squares.data() : digits.data()) : nullptr;
      markNegativeSamples(inputs, k_, b0, count, hasNegative.data());
      std::fill(total.begin(), total.end(), 0.0);
      for (std::size_t t = 0; t < g.rowTiles; ++t) {
        const std::size_t tileRows = std::min(rows, k_ - t * rows);
        if (floatVariance) {
          ep.squares = squaresAll + t * rows * mPad;
          ep.ldSquares = mPad;
        }
        if (integerVariance) {
          ep.squarePairs = squarePairs.data() + t * noisePairsPerTile_ * mPad;
          ep.ldPairs = mPad;
        }
        if (noise > 0)  // read noise keyed by (seed, tile, sample in the run sequence, pass, cycle) and column
          for (std::size_t r = 0; r < mPad; ++r) {
            const std::size_t sIdx = r / cycles, p = sIdx / count, b = sIdx % count;
            noiseKeys[r] = hashKey(c.seed ^ kStreamReadNoise, t, sampleBase + b0 + b, p * cycles + r % cycles);
          }
        const float* tileDigits = digits.data() + t * rows * mPad;
        if (offset) digitalOffsets(tileDigits, mPad, tileRows, mPad, perDigit, invStep, step == 1, rowOffset.data(),
                                   rowOffsetCode.data());
        std::fill(columnSum.begin(), columnSum.end(), 0.0f);
        // The tile's row list: every conversion row (padding rows included: zero digits, samples
        // past passes*count that nothing reads), or only those with a nonzero digit, padded with
        // copies of a real row that land in the unused sample passes*count.
        std::size_t listed = 0, zeroListed = 0;
        if (compact) {
          const std::uint32_t* ors = codeOr.data() + t * passes * count;
          for (std::size_t sIdx = 0; sIdx < passes * count; ++sIdx) {
            const std::uint32_t o = ors[sIdx];
            if (zeroRowsConvert && sIdx >= count && !hasNegative[sIdx - count]) continue;  // pass 1, unread
            if (o == 0 && !zeroRowsConvert) continue;
            for (std::size_t cy = 0; cy < cycles; ++cy)
              if ((o >> (cy * c.dacBits)) & digitMask) {
                rowIndex[listed] = static_cast<std::uint32_t>(sIdx * cycles + cy);
                rowSample[listed] = static_cast<std::uint32_t>(sIdx);
                rowCycle[listed] = static_cast<std::uint32_t>(cy);
                ++listed;
              } else if (zeroRowsConvert) {
                zeroIndex[zeroListed] = static_cast<std::uint32_t>(sIdx * cycles + cy);
                zeroSample[zeroListed] = static_cast<std::uint32_t>(sIdx);
                zeroCycle[zeroListed] = static_cast<std::uint32_t>(cy);
                ++zeroListed;
              }
          }
          for (std::size_t r = listed; r % kFusedRows != 0; ++r) {
            rowIndex[r] = listed ? rowIndex[0] : 0;
            rowSample[r] = static_cast<std::uint32_t>(passes * count);
            rowCycle[r] = 0;
          }
          for (std::size_t r = zeroListed; r % kFusedRows != 0; ++r) {
            zeroIndex[r] = 0;
            zeroSample[r] = static_cast<std::uint32_t>(passes * count);
            zeroCycle[r] = 0;
          }
        } else {
          for (std::size_t r = 0; r < mPad; ++r) {
            rowIndex[r] = static_cast<std::uint32_t>(r);
            rowSample[r] = static_cast<std::uint32_t>(r / cycles);
            rowCycle[r] = static_cast<std::uint32_t>(r % cycles);
          }
          listed = mPad;
        }
        const std::size_t listedPad = (listed + kFusedRows - 1) / kFusedRows * kFusedRows;
        for (std::size_t col0 = 0; col0 < paddedWidth; col0 += kFusedCols) {
          const float* bp = effectivePacked_.data() + t * rows * paddedWidth + col0 * tileRows;
          const float* sp = floatVariance
                                ? noiseSquaresPacked_.data() + t * rows * paddedWidth + col0 * tileRows : nullptr;
          const std::int16_t* sp16 =
              integerVariance ? noiseSquarePairs_.data() + (t * noisePairsPerTile_ * paddedWidth + col0 * ((tileRows + 1) / 2)) * 2
                              : nullptr;
          for (std::size_t r0 = 0; r0 < listedPad; r0 += kFusedRows)
            block(tileRows, tileDigits, mPad, bp, sp, sp16, rowIndex.data() + r0, rowSample.data() + r0, rowCycle.data() + r0,
                  ep, columnSum.data(), paddedWidth, col0);
          for (std::size_t r0 = 0; r0 < zeroListed; r0 += kFusedRows)  // the list is padded to whole blocks
            block(0, tileDigits, mPad, bp, sp, sp16, zeroIndex.data() + r0, zeroSample.data() + r0, zeroCycle.data() + r0, ep,
                  columnSum.data(), paddedWidth, col0);
        }
        for (int p = 0; p < passes; ++p)
          for (std::size_t b = 0; b < count; ++b) {
            // A sample with no negative input has no negative pass (its
            // result must not depend on the rest of the batch).
            if (p == 1 && !hasNegative[b]) continue;
            reduceColumns<float>(columnSum.data() + (p * count + b) * paddedWidth, shift.segmentScale, n_, c.cols,
                                 g.colTiles, outputSum.data(), total.data() + (p * count + b) * n_);
          }
      }
      writeOutputs(total.data(), count, n_, passes, inputLsb, weightScale_, out + b0 * n_);
    }
  });
}

// General path (very wide converters or cycle sums beyond float): GEMM into ADC inputs, then
// conversion and shift-add in double.
void CrossbarLayer::runUnfused(const float* inputs, std::size_t batch, float* out, double inputScale, double step,
                               int passes, std::uint64_t sampleBase, const std::vector<double>* adcSteps) const {
  const auto& c = config_;
  const auto& g = geometry_;
  const std::size_t rows = c.rows, cycles = g.cycles;
  const std::size_t chunk = chunkSamples(batch, passes, cycles, c.threads);
  const std::size_t chunks = (batch + chunk - 1) / chunk;
  const double xMax = std::ldexp(1.0, c.inputBits) - 1;
  const double inputLsb = inputScale / xMax;
  const float invStep = static_cast<float>(1.0 / step);
  const float codeMax = static_cast<float>(adcCodeMax());
  const float codeMin = c.readout == Readout::kDigitalOffset ? 0.0f : -codeMax;
  const float sigma = static_cast<float>(sigmaLsb());
  const int noise = !(sigma > 0) ? 0 : c.readNoiseModel == ReadNoiseModel::kDevice ? 2 : 1;
  const double perDigit = offsetLsbPerDigit();
  // Per-ADC steps multiply each column's codes; the segment weights then carry no step.
  const ShiftAdd shift(cycles, g.slices, segments_, c, adcSteps ? 1.0 : step);
  const std::size_t paddedWidth = (width_ + kFusedCols - 1) / kFusedCols * kFusedCols;
  const bool nonIdeal = adcNonIdeal();
  const std::vector<float> table = digitTable(cycles, c.dacBits, xMax, digitLevels_.data());

  parallelFor(chunks, c.threads, [&](std::size_t c0, std::size_t c1, int) {
    const std::size_t mMax = passes * cycles * chunk;
    std::vector<std::size_t> adcIds(nonIdeal ? width_ : 0);
    // Per column of the tile: 1/step and the step the codes are weighted by.
    std::vector<float> invStepCol(paddedWidth, invStep);
    std::vector<double> stepCol(paddedWidth, 1.0);
    std::vector<float> digits(mMax * k_), squares(noise == 2 ? mMax * k_ : 0);
    std::vector<float> adcIn(mMax * paddedWidth, 0.0f);  // pad columns stay zero
    std::vector<float> noiseSigma(noise == 2 ? mMax * paddedWidth : 0, 0.0f);
    std::vector<float> rowOffset(mMax, 0.0f), rowOffsetCode(mMax, 0.0f);
    std::vector<double> columnSum(paddedWidth), outputSum(n_);
    std::vector<double> total(passes * chunk * n_);
    std::vector<char> hasNegative(chunk);
    for (std::size_t ch = c0; ch < c1; ++ch) {
      const std::size_t b0 = ch * chunk, count = std::min(chunk, batch - b0), m = passes * cycles * count;
      buildDigits(inputs, k_, b0, count, passes, cycles, c.dacBits, inputLsb, xMax, digitLevels_.data(),
                  table.empty() ? nullptr : table.data(), digits.data(), m);
      if (noise == 2) squareDigits(digits.data(), k_ * m, squares.data());
      markNegativeSamples(inputs, k_, b0, count, hasNegative.data());
      std::fill(total.begin(), total.end(), 0.0);
      for (std::size_t t = 0; t < g.rowTiles; ++t) {
        const std::size_t tileRows = std::min(rows, k_ - t * rows);
        sgemm(true, false, m, width_, tileRows, 1.0f, digits.data() + t * rows * m, m,
              effective_.data() + t * rows * width_, width_, 0.0f, adcIn.data(), paddedWidth, 1);
        if (perDigit > 0)
          digitalOffsets(digits.data() + t * rows * m, m, tileRows, m, perDigit, invStep, step == 1, rowOffset.data(),
                         rowOffsetCode.data());
        if (nonIdeal)
          for (std::size_t col = 0; col < width_; ++col) adcIds[col] = adcOf(t, col);
        if (adcSteps)
          for (std::size_t col = 0; col < width_; ++col) {
            stepCol[col] = (*adcSteps)[rangeOf(t, col)];
            invStepCol[col] = static_cast<float>(1.0 / stepCol[col]);
          }
        if (noise == 2)
          deviceNoiseSigma(squares.data() + t * rows * m, m, m, width_, tileRows,
                           noiseSquares_.data() + t * rows * width_, width_, deviceNoiseFactor(), noiseSigma.data(),
                           paddedWidth);
        for (int p = 0; p < passes; ++p)
          for (std::size_t b = 0; b < count; ++b) {
            if (p == 1 && !hasNegative[b]) continue;
            std::fill(columnSum.begin(), columnSum.end(), 0.0);
            for (std::size_t cy = 0; cy < cycles; ++cy) {
              const std::size_t r = (p * count + b) * cycles + cy;
              const float* v = adcIn.data() + r * paddedWidth;
              const double scale = shift.cycleScale[cy];
              for (std::size_t col0 = 0; col0 < paddedWidth; col0 += kFusedCols) {
                alignas(64) float z[kFusedCols] = {};
                if (noise > 0)
                  gaussianLanes(hashKey(c.seed ^ kStreamReadNoise, t, sampleBase + b0 + b, p * cycles + cy),
                                static_cast<std::uint32_t>(col0), z);
                for (std::size_t j = 0; j < kFusedCols; ++j) {
                  float x = v[col0 + j] + rowOffset[r];
                  if (noise == 1) x += sigma * z[j];
                  if (noise == 2) x += noiseSigma[r * paddedWidth + col0 + j] * z[j];
                  x *= invStepCol[col0 + j];
                  float code;
                  if (nonIdeal && col0 + j < width_) {
                    // This column's ADC: gain and offset in its own codes, then its threshold table.
                    const std::size_t adc = adcIds[col0 + j];
                    x = adcGain_[adc] * x + adcOffset_[adc];
                    if (adcThresholdCount_ > 0) {
                      const float* th = adcThresholds_.data() + adc * adcThresholdCount_;
                      code = codeMin + static_cast<float>(std::upper_bound(th, th + adcThresholdCount_, x) - th);
                    } else {
                      code = std::floor(std::min(codeMax, std::max(codeMin, x)) + 0.5f);
                    }
                  } else {
                    code = std::floor(std::min(codeMax, std::max(codeMin, x)) + 0.5f);
                  }
                  // The digital offset's code at this ADC's step (as digitalOffsets does it).
                  const float offsetCode = adcSteps ? std::floor(rowOffset[r] * invStepCol[col0 + j] + 0.5f) : rowOffsetCode[r];
                  columnSum[col0 + j] += scale * stepCol[col0 + j] * static_cast<double>(code - offsetCode);
                }
              }
            }
            reduceColumns<double>(columnSum.data(), shift.segmentScale, n_, c.cols, g.colTiles, outputSum.data(),
                                  total.data() + (p * count + b) * n_);
          }
      }
      writeOutputs(total.data(), count, n_, passes, inputLsb, weightScale_, out + b0 * n_);
    }
  });
}


}  // namespace nax
