// Tiled memristive-crossbar MVM with device and converter non-idealities
// (shared/DESIGN.md, "Mapping a layer onto crossbars").
//
// A K x N weight matrix is quantized sign+magnitude, its magnitudes split into
// bitsPerCell slices, and mapped onto rows x cols arrays (G+ and G- per slice).
// Programming (crossbar.cc) folds every static effect (conductance levels,
// variation, stuck cells, parasitic IR drop through each array's transfer
// matrix, the readout's analog subtraction) into one effective matrix per row
// tile, E_t (tileRows x segments*N), in ADC LSB units: ADC input =
// sum_i digit_i * E_t(i, column) (+ the gOff current under 'digital-offset').
// One LSB is the current of one DAC digit step across one conductance level
// step: unitCurrent = vRead / (2^dacBits - 1) * (gOn - gOff) / (2^bitsPerCell - 1)
// amperes, so an ADC input x LSB is a column current of x * unitCurrent A.
// A run (crossbar_run.cc) multiplies the stacked DAC digit planes of all
// cycles by E_t once per row tile, with the ADC (plus read noise) and the
// cycle shift-add fused into the product's epilogue, then shift-adds slices,
// subtracts G-, sums row tiles and rescales. Results are bit-identical for any
// thread count and batch split.
#pragma once
#include <cstddef>
#include <cstdint>
#include <atomic>
#include <memory>
#include <mutex>
#include <vector>

#include "aligned.h"
#include "device_model.h"

namespace nax {

enum class VariationKind { kNone = 0, kLognormal = 1, kGaussian = 2 };

// How the gOff baseline current leaves the result (shared/DESIGN.md, README "Readout"):
// - kDigitalOffset: a unipolar ADC digitises each whole column current (gOff cells included,
//   after IR drop, variation and faults); the periphery subtracts the known offset
//   gOff/unitG * (sum of the tile's digits) as an integer code.
// - kReferenceColumn: one extra column of gOff cells per array (physical column `cols`, in the
//   same circuit solve); its current is subtracted in analog from every data column before a
//   bipolar (sign-magnitude) ADC.
// - kDifferential: each G+ column minus its G- partner in analog, one bipolar ADC per pair.
enum class Readout { kDigitalOffset = 0, kReferenceColumn = 1, kDifferential = 2 };

// Read noise models (readNoise's meaning):
// - kOutputLsb: additive Gaussian at every ADC input, sigma in LSB;
// - kOutputAmperes: the same, sigma in amperes (sigma / unitCurrent LSB: vRead matters);
// - kDevice: every cell's current I = M_ij V_i gets relative sigma, so a column's sum is
//   Gaussian with variance sum_i (sigma M_ij V_i)^2 (over every cell feeding the ADC input).
enum class ReadNoiseModel { kOutputLsb = 0, kOutputAmperes = 1, kDevice = 2 };

// Where runs execute: the CPU kernels, or the CUDA library (crossbar_cuda.cc, loaded at run
// time; the same results as the CPU path, see README "CUDA").
enum class Accelerator { kCpu = 0, kCuda = 1 };

// Fully resolved settings: lib/crossbar/config.ts owns every default and rule
// (e.g. which ADC resolution is lossless); the core only checks the values
// (validateCrossbarConfig rejects the zeros an unset field leaves).
struct CrossbarConfig {
  int rows = 0;          // word lines per array
  int cols = 0;          // bit lines per array
  int bitsPerCell = 0;   // bits stored per device
  int weightBits = 0;    // sign + magnitude
  int inputBits = 0;     // unsigned input magnitude bits
  int dacBits = 0;       // bits applied per DAC cycle
  int adcBits = 0;       // ADC resolution per conversion, 1..24 (bipolar readouts: >= 2, one is the sign)
  bool adcCalibrated = false;  // range from calibrateAdc (or the first run's max), else full scale
  Readout readout = Readout::kDigitalOffset;
  // Calibrated ranges shared by: 0 the whole layer, 1 each slice/polarity segment (all tiles),
  // 2 each ADC (one per array), 3 each group of adcGroupColumns adjacent columns of an array
  // (the columns one multiplexed ADC converts). Non-layer scopes convert in the general path.
  int adcRangeScope = 0;
  int adcGroupColumns = 8;  // columns per range group (adcRangeScope 3)
  double gOn = 0;              // siemens
  double gOff = 0;             // siemens
  double vRead = 0;            // volts for a full-scale DAC digit
  bool parasitics = false;
  double rWordLine = 0, rBitLine = 0, rSource = 0, rSink = 0;  // ohms
  VariationKind variation = VariationKind::kNone;
  double variationSigma = 0;  // lognormal: sigma of ln G; gaussian: relative sigma
  double stuckAtOn = 0;       // probability per cell
  double stuckAtOff = 0;
  // ADC non-idealities, drawn once per ADC at programming (one ADC per array; under
  // kDifferential one per G+/G- pair), in units of the ADC's own code step:
  double adcOffsetSigma = 0;  // input-referred offset (comparator offset), codes
  double adcGainSigma = 0;    // relative gain error
  double adcInlSigma = 0;     // each code threshold's deviation (a seeded INL/DNL table), codes
  double readNoise = 0;       // read-noise sigma, units by readNoiseModel
  ReadNoiseModel readNoiseModel = ReadNoiseModel::kOutputLsb;
  bool perChannel = false;    // weight scale per output column
  double inputScale = 0;      // max |x| mapped to full scale; 0 = first run's max |x|
  std::uint64_t seed = 0;
  int threads = 0;            // <= 0: all cores
  bool ideal = false;         // plain float matmul (on the CPU with either accelerator)
  Accelerator accelerator = Accelerator::kCpu;
  // Device physics (device_model.h): programming error, drift, 1/f noise, I-V nonlinearity.
  // When enabled, its range is [gOff, gOn] and `variation` must be none.
  DeviceModel device;
};

struct CrossbarGeometry {
  std::size_t rowTiles = 0, colTiles = 0, slices = 0, cycles = 0, arrays = 0;
};

// Mirrors lib/crossbar/geometry.ts mappingGeometry (tests check they agree).
CrossbarGeometry crossbarGeometry(std::size_t k, std::size_t n, const CrossbarConfig& config);
// Throws nax::Error (codes as lib/crossbar/config.ts) on an invalid config.
void validateCrossbarConfig(const CrossbarConfig& config);

class CrossbarLayer {
 public:
  // Programs the arrays. weights: k*n row-major (weights[kIdx*n + nIdx]).
  CrossbarLayer(const float* weights, std::size_t k, std::size_t n, const CrossbarConfig& config);

  // out: batch*n. inputs: batch*k. Thread-safe; the first run may calibrate
  // the input scale and the ADC range (then later runs reuse them).
  void run(const float* inputs, std::size_t batch, float* out);

  std::size_t k() const { return k_; }
  std::size_t n() const { return n_; }
  const CrossbarConfig& config() const { return config_; }
  const CrossbarGeometry& geometry() const { return geometry_; }
  // 0 until calibrated (auto input scale).
  double inputScale() const;
  // ADC full range in LSB units: the input of the top code (bipolar: +-range). 0 until a
  // calibrated range is measured.
  double adcRangeLsb() const;
  // ADCs of the layer: one per array (per G+/G- pair under kDifferential), numbered
  // (t*colTiles + ct)*segments + segment.
  std::size_t adcCount() const { return geometry_.rowTiles * geometry_.colTiles * segments_; }
  // Calibrated ranges per range group (LSB; empty until calibrated or with a full-scale range):
  // one per ADC (adcCount()), or with adcRangeScope 3 one per column group of each ADC's array,
  // numbered adc * groupsPerArray + group.
  std::vector<double> adcRanges() const;
  std::size_t rangeCount() const;
  // Whether the ADC is bipolar (sign-magnitude, codes -(2^(b-1)-1)..2^(b-1)-1).
  bool bipolar() const { return config_.readout != Readout::kDigitalOffset; }
  // Amperes per LSB of ADC input: vRead / (2^dacBits - 1) * (gOn - gOff) / (2^bitsPerCell - 1).
  double unitCurrent() const;
  // gOff / unitG: the digital offset per unit DAC digit under kDigitalOffset, else 0.
  double offsetLsbPerDigit() const;
  // Physical bit lines per array: cols, + 1 reference column under kReferenceColumn.
  std::size_t physicalCols() const;
  // ADC input columns per row tile and column tile: 2*slices (G+, G- per slice), or slices
  // under kDifferential.
  std::size_t segments() const { return segments_; }
  // E_t for every row tile, tile-major: rowTiles * rows * (segments*n)
  // (rows past a partial tile are zero). Column of (colTile ct, segment s, column j):
  // segments*ct*cols + s*tileCols(ct) + j, s = p*slices + l (polarity p, slice l), or s = l
  // under kDifferential.
  const std::vector<float>& effectiveMatrix() const { return effective_; }
  std::size_t effectiveWidth() const { return width_; }
  // Global drift compensation gain applied digitally to every output (1 when off).
  double driftGain() const { return driftGain_; }

  // Physical array a (a = ((t*colTiles + ct)*slices + l)*2 + p: row tile t, column tile ct,
  // slice l, polarity p) as programmed: conductances (rows x physicalCols, siemens, row-major)
  // and its transfer matrix M (I = V.M; M = G without parasitics). Recomputed from the same
  // seeded draws as programming, so M is exactly the matrix the engine folded into E_t.
  void arrayMatrices(std::size_t array, double* conductances, double* transfer) const;
  // Analog column currents (amperes, physicalCols) of array a for one cycle: row i driven at
  // vRead * digits[i] / (2^dacBits - 1) volts (digits: rows values), I = V.M in double.
  void columnCurrents(std::size_t array, const double* digits, double* currents) const;

  // ADC calibration over a calibration set: accumulate the largest ADC input magnitude of each
  // calibration batch, then fix the range (the larger of that maximum and one LSB).
  void calibrateAdcAccumulate(const float* inputs, std::size_t batch);
  void calibrateAdcFinalize();

 private:
  struct RunState;
  // Folds every array into E_t (and the device-noise squares): the conductances at device.time,
  // or right after programming (atProgramming: the drift-compensation reference).
  void programArrays(bool atProgramming);
  // Summed |output| of the drift-compensation calibration read (every input at full scale, one
  // sample, read noise keyed apart from the run sequence by `read`), through the same ADC and
  // digital path as run() at the full-scale range.
  double driftCalibrationRead(std::uint64_t read) const;
  // The conversion path run() takes: fused when codes and cycle sums stay exact in float and
  // every ADC shares one ideal transfer curve, else general.
  void convert(const float* inputs, std::size_t batch, float* out, double inputScale, double step, int passes,
               std::uint64_t sampleBase, const std::vector<double>* adcSteps) const;
  // Fills conductances (rows x physicalCols) of array a; returns its transfer matrix (transfer,
  // or conductances itself without parasitics).
  const double* programArray(std::size_t array, double* conductances, double* transfer, bool atProgramming = false) const;
  void packEffective();
  void quantizeNoiseSquares();  // integer levels of noiseSquares_ where exact (integerVariance_)
  void runIdeal(const float* inputs, std::size_t batch, float* out) const;
  // Largest ADC input magnitude per range group (rangeCount()) over the inputs, merged into maxima.
  void calibrateAdc(const float* inputs, std::size_t batch, double inputScale, int passes,
                    std::vector<double>& maxima) const;
  // Per-ADC ranges from per-ADC maxima, shared as adcRangeScope says (each >= 1 LSB).
  std::vector<double> scopedRanges(const std::vector<double>& maxima) const;
  // Exact-integer path: GEMM, ADC and cycle shift-add fused in registers.
  void runFused(const float* inputs, std::size_t batch, float* out, double inputScale, double step, int passes,
                std::uint64_t sampleBase) const;
  // General path (any ADC step): GEMM into ADC inputs, then convert in double.
  // adcSteps: per-ADC steps (calibrated per slice or per ADC), or null for the uniform step.
  void runUnfused(const float* inputs, std::size_t batch, float* out, double inputScale, double step,
                  int passes, std::uint64_t sampleBase, const std::vector<double>* adcSteps = nullptr) const;

  // CUDA path (crossbar_cuda.cc): the fused run's semantics on the GPU.
  void runCuda(const float* inputs, std::size_t batch, float* out, double inputScale, double step, int passes,
               std::uint64_t sampleBase) const;
  bool adcNonIdeal() const {
    return config_.adcOffsetSigma > 0 || config_.adcGainSigma > 0 || config_.adcInlSigma > 0;
  }
  // Where ADC input column `col` (of width_) of row tile t sits: its ADC and its column inside
  // that ADC's array.
  struct ColumnPlace {
    std::size_t adc, inArray;
  };
  ColumnPlace columnPlace(std::size_t t, std::size_t col) const;
  // Which ADC converts ADC input column `col` (of width_) of row tile t.
  std::size_t adcOf(std::size_t t, std::size_t col) const;
  // Which calibrated range group that column belongs to (adcOf, or its column group with scope 3).
  std::size_t rangeOf(std::size_t t, std::size_t col) const;
  void drawAdcErrors();
  // Read-noise sigma in LSB at the ADC input (output models; device model: the relative sigma).
  double sigmaLsb() const;
  // Device model: the factor the kernels multiply sqrt(sum_i d_i^2 S_ij) by, the relative sigma,
  // times sqrt(varianceScale_) where noiseSquares_ holds integer levels (one value for the CPU
  // paths and the CUDA kernels).
  float deviceNoiseFactor() const;
  // Top code magnitude: 2^adcBits - 1 unipolar, 2^(adcBits-1) - 1 bipolar.
  double adcCodeMax() const;

  std::size_t k_, n_;
  CrossbarConfig config_;
  CrossbarGeometry geometry_;
  std::size_t width_ = 0;                // segments*n
  std::size_t segments_ = 0;
  std::vector<std::int32_t> magnitudes_;  // quantized |w|, k*n (array recomputation)
  std::vector<std::int8_t> signs_;
  // Device read noise: sum of (M/unitG)^2 over the cells feeding each ADC input, laid out like E_t.
  // With integer digits whose squared sums stay below 2^24 (linear DAC levels, dacBits <= 2) it
  // holds integer levels q = round(S / varianceScale_) instead (at most 32767, so they fit int16):
  // every path then sums d^2 q exactly, in any order, and the fused kernel uses 16-bit pair dot
  // products (twice the multiply-adds per instruction of float FMAs).
  std::vector<float> noiseSquares_;
  bool integerVariance_ = false;
  double varianceScale_ = 1;             // LSB^2 per level of noiseSquares_ (integerVariance_)
  std::size_t noisePairsPerTile_ = 0;    // (rows + 1) / 2
  // noiseSquares_ levels as int16 row pairs in the 32-column panels: tile t, panel col0 at
  // (t * noisePairsPerTile_ * paddedWidth_ + col0 * tilePairs) * 2, then pair p, column j, row
  // parity h at p * 64 + j * 2 + h.
  std::vector<std::int16_t, AlignedAllocator<std::int16_t>> noiseSquarePairs_;
  std::vector<float> weightsIdeal_;      // ideal mode: the float weights
  std::vector<double> weightScale_;      // per output column (equal when per-layer)
  std::vector<float> effective_;
  std::vector<float, AlignedAllocator<float>> effectivePacked_;   // E_t in the fused kernel's 32-column panels
  std::vector<float, AlignedAllocator<float>> noiseSquaresPacked_;  // noiseSquares_ in the same panels
  std::size_t paddedWidth_ = 0;          // width_ rounded up to whole panels
  double driftGain_ = 1;                 // global drift compensation (device.driftCompensation)
  // Value each DAC digit d stands for in the column sums: d, or d * sinh(alpha V_d) / (alpha V_d)
  // with an I-V nonlinearity (the fast path: exact without wire resistance).
  std::vector<float> digitLevels_;
  mutable std::mutex calibrationMutex_;
  double inputScale_ = 0;
  std::vector<double> adcRanges_;           // calibrated range per ADC (empty until calibrated)
  std::vector<double> adcCalibrationMax_;   // running per-ADC maxima of calibrateAdcAccumulate
  // Per ADC: offset (codes) and gain (1 + error); thresholds (adcThresholds_ per ADC, code
  // c's lower threshold at index c - lo - 1) when an INL table is drawn.
  std::vector<float> adcOffset_, adcGain_, adcThresholds_;
  std::size_t adcThresholdCount_ = 0;
  // Samples this layer has run so far: read noise is keyed by a sample's index in the layer's
  // whole run sequence, so every read draws fresh noise and a sample's noise does not depend on
  // how the sequence is split into batches (or on the thread count).
  std::atomic<std::uint64_t> samplesRun_{0};
  // E_t and the noise squares uploaded to the GPU on the first CUDA run (accelerator kCuda).
  mutable std::mutex cudaMutex_;
  mutable std::shared_ptr<void> cudaLayer_;
};

// Throws nax::Error(kConfig) naming the field when config asks for accelerator kCuda and the
// CUDA path cannot run it (no CUDA here, or a readout only the CPU's general path converts).
void checkCudaSupport(const CrossbarConfig& config);
// The 32 read-noise normals the CPU kernels draw for columns col0..col0+31 of the row keyed
// rowKey (crossbar_noise.h gaussianLanes as compiled with the core's flags), so other
// implementations (the CUDA kernels' arithmetic, native/core/tests/cuda_math_test.cc) can be
// checked against them bit for bit.
void readNoiseGaussians(std::uint64_t rowKey, std::uint32_t col0, float* z);
// Whether the core's kernels round a * b + c once (the compiler contracted it into a fused
// multiply-add: FMA targets at -O2 and above) or twice; the CUDA kernels do the same.
bool kernelsContractMultiplyAdd();

}  // namespace nax
