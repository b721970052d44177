// Tiled memristive-crossbar MVM with device and converter non-idealities
// (shared/DESIGN.md, "Mapping a layer onto crossbars").
//
// A K x N weight matrix is quantized sign+magnitude, its magnitudes split into
// bitsPerCell slices, and mapped onto rows x cols arrays (G+ and G- per slice).
// Programming (crossbar.cc) folds every static effect (conductance levels,
// variation, stuck cells, parasitic IR drop through each array's transfer
// matrix) into one effective matrix per row tile, E_t (tileRows x
// 2*slices*N), in ADC LSB units: ADC input = sum_i digit_i * E_t(i, column).
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
  int adcBits = 0;       // ADC resolution per conversion, 1..24
  bool adcCalibrated = false;  // range from the first run's observed max, else full scale
  double gOn = 0;              // siemens
  double gOff = 0;             // siemens
  double vRead = 0;            // volts for a full-scale DAC digit
  bool parasitics = false;
  double rWordLine = 0, rBitLine = 0, rSource = 0, rSink = 0;  // ohms
  VariationKind variation = VariationKind::kNone;
  double variationSigma = 0;  // lognormal: sigma of ln G; gaussian: relative sigma
  double stuckAtOn = 0;       // probability per cell
  double stuckAtOff = 0;
  double readNoise = 0;       // sigma of additive noise at each ADC input, in LSB units
  bool perChannel = false;    // weight scale per output column
  double inputScale = 0;      // max |x| mapped to full scale; 0 = first run's max |x|
  std::uint64_t seed = 0;
  int threads = 0;            // <= 0: all cores
  bool ideal = false;         // plain float matmul
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
  // ADC full range in LSB units (0 until a calibrated range is measured).
  double adcRangeLsb() const;
  // E_t for every row tile, tile-major: rowTiles * rows * (2*slices*n)
  // (rows past a partial tile are zero). Column of (colTile ct, polarity p,
  // slice l, column j): 2*slices*ct*cols + (p*slices + l)*tileCols(ct) + j.
  const std::vector<float>& effectiveMatrix() const { return effective_; }
  std::size_t effectiveWidth() const { return width_; }
  // Global drift compensation gain applied digitally to every output (1 when off).
  double driftGain() const { return driftGain_; }

 private:
  struct RunState;
  void programArrays(const std::vector<std::int32_t>& magnitudes, const std::vector<std::int8_t>& signs);
  void packEffective();
  void runIdeal(const float* inputs, std::size_t batch, float* out) const;
  double calibrateAdc(const float* inputs, std::size_t batch, double inputScale, int passes) const;
  // Exact-integer path: GEMM, ADC and cycle shift-add fused in registers.
  void runFused(const float* inputs, std::size_t batch, float* out, double inputScale, double step, int passes,
                std::uint64_t sampleBase) const;
  // General path (any ADC step): GEMM into ADC inputs, then convert in double.
  void runUnfused(const float* inputs, std::size_t batch, float* out, double inputScale, double step,
                  int passes, std::uint64_t sampleBase) const;

  std::size_t k_, n_;
  CrossbarConfig config_;
  CrossbarGeometry geometry_;
  std::size_t width_ = 0;                // 2*slices*n
  std::vector<float> weightsIdeal_;      // ideal mode: the float weights
  std::vector<double> weightScale_;      // per output column (equal when per-layer)
  std::vector<float> effective_;
  std::vector<float, AlignedAllocator<float>> effectivePacked_;   // E_t in the fused kernel's 32-column panels
  std::size_t paddedWidth_ = 0;          // width_ rounded up to whole panels
  double driftGain_ = 1;                 // global drift compensation (device.driftCompensation)
  // Value each DAC digit d stands for in the column sums: d, or d * sinh(alpha V_d) / (alpha V_d)
  // with an I-V nonlinearity (the fast path: exact without wire resistance).
  std::vector<float> digitLevels_;
  mutable std::mutex calibrationMutex_;
  double inputScale_ = 0;
  double adcRange_ = 0;
  // Samples this layer has run so far: read noise is keyed by a sample's index in the layer's
  // whole run sequence, so every read draws fresh noise and a sample's noise does not depend on
  // how the sequence is split into batches (or on the thread count).
  std::atomic<std::uint64_t> samplesRun_{0};
};

}  // namespace nax
