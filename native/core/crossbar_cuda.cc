// CrossbarLayer's CUDA path: hands the programmed E_t to the CUDA library once (per layer) and
// each run's parameters, the same ones runFused (crossbar_run.cc) computes, through the C ABI
// (native/cuda/nax_cuda_abi.h). The kernels reproduce runFused's per-element arithmetic
// (native/cuda/crossbar_math.h; native/core/tests/cuda_math_test.cc checks it on the host).
#include <cmath>
#include <string>

#include "crossbar.h"
#include "crossbar_noise.h"
#include "cuda_backend.h"
#include "error.h"
#include "simd.h"

namespace nax {
namespace {
constexpr std::uint64_t kStreamReadNoise = 0x524541444eull;  // crossbar_run.cc's read-noise stream
}

void readNoiseGaussians(std::uint64_t rowKey, std::uint32_t col0, float* z) {
  alignas(64) float lanes[32];
  crossbar_noise::gaussianLanes(rowKey, col0, lanes);
  for (int j = 0; j < 32; ++j) z[j] = lanes[j];
}

bool kernelsContractMultiplyAdd() {
  // The fused kernel's accumulation shape (acc += a * b on simd vectors) on values where one
  // rounding and two differ: a * b = 1 + 2^-11 + 2^-24 rounds to 1 + 2^-11 in float.
  static const bool contracted = [] {
    volatile float va = 1.0f + 0x1p-12f, vc = -(1.0f + 0x1p-11f);
    const simd::Vec<float> a = simd::Vec<float>{} + va, b = a;
    simd::Vec<float> acc = simd::Vec<float>{} + vc;
    acc += a * b;
    alignas(64) float lanes[simd::kLanes<float>];
    simd::store(lanes, acc);
    return lanes[0] != 0.0f;
  }();
  return contracted;
}

void checkCudaSupport(const CrossbarConfig& c) {
  if (c.accelerator != Accelerator::kCuda) return;
  cuda::api("config.accelerator");  // throws when CUDA cannot run here
  if (c.ideal) return;              // ideal layers run their float GEMM on the CPU
  auto reject = [](const std::string& what) {
    throw Error(codes::kConfig, "expected accelerator 'cpu' for config.accelerator with " + what +
                                    " (the CUDA path runs the fused readout only), got 'cuda'");
  };
  if (c.adcOffsetSigma > 0 || c.adcGainSigma > 0 || c.adcInlSigma > 0) reject("ADC non-idealities (config.adcNonIdeal)");
  if (c.adcCalibrated && c.adcRangeScope != 0) reject("a per-slice or per-ADC calibrated range (config.adcRangeScope)");
  // runFused's bounds: float cycle sums exact below 2^24, codes <= 2^22.
  const bool bipolar = c.readout != Readout::kDigitalOffset;
  const double codeMax = bipolar ? std::ldexp(1.0, c.adcBits - 1) - 1 : std::ldexp(1.0, c.adcBits) - 1;
  const int cycles = (c.inputBits + c.dacBits - 1) / c.dacBits;
  const double cycleBound = codeMax * (std::ldexp(1.0, c.dacBits * cycles) - 1) / ((1 << c.dacBits) - 1);
  if (!(cycleBound < 16777216.0 && codeMax <= 4194304.0))
    reject("adcBits " + std::to_string(c.adcBits) + " and inputBits " + std::to_string(c.inputBits) +
           " (cycle sums beyond float's exact integers)");
}

void CrossbarLayer::runCuda(const float* inputs, std::size_t batch, float* out, double inputScale, double step,
                            int passes, std::uint64_t sampleBase) const {
  const cuda::Api& api = cuda::api("config.accelerator");
  const auto& c = config_;
  const auto& g = geometry_;
  std::shared_ptr<void> handle;
  {
    std::lock_guard<std::mutex> lock(cudaMutex_);
    if (!cudaLayer_) {
      NaxCudaCrossbarShape shape{k_, n_, static_cast<std::size_t>(c.rows), static_cast<std::size_t>(c.cols),
                                 g.rowTiles, g.colTiles, segments_, g.cycles, width_, c.dacBits,
                                 noiseSquares_.empty() ? 0 : 1};
      void* h = nullptr;
      char err[512] = {};
      if (api.crossbarCreate(&shape, effective_.data(), noiseSquares_.empty() ? nullptr : noiseSquares_.data(),
                             digitLevels_.data(), weightScale_.data(), &h, err, sizeof(err)) != 0)
        throw Error(codes::kInternal, std::string("CUDA crossbar upload failed: ") + err);
      cudaLayer_ = std::shared_ptr<void>(h, api.crossbarDestroy);
    }
    handle = cudaLayer_;
  }
  const double xMax = std::ldexp(1.0, c.inputBits) - 1;
  const double codeMax = adcCodeMax();
  std::vector<float> cycleScale(g.cycles);
  for (std::size_t cy = 0; cy < g.cycles; ++cy) cycleScale[cy] = static_cast<float>(std::ldexp(1.0, static_cast<int>(cy * c.dacBits)));
  // crossbar_run.cc ShiftAdd: segment s = p*slices + l, +-2^(l*bitsPerCell) * step.
  std::vector<double> segmentScale(segments_);
  for (std::size_t seg = 0; seg < segments_; ++seg) {
    const std::size_t p = seg / g.slices, l = seg % g.slices;
    segmentScale[seg] = (p == 0 ? 1 : -1) * std::ldexp(step, static_cast<int>(l * c.bitsPerCell));
  }
  const float sigma = static_cast<float>(sigmaLsb());
  NaxCudaCrossbarRun run{};
  run.batch = batch;
  run.passes = passes;
  run.inputLsb = inputScale / xMax;
  run.xMax = xMax;
  run.invStep = static_cast<float>(1.0 / step);
  run.lo = c.readout == Readout::kDigitalOffset ? 0.0f : -static_cast<float>(codeMax);
  run.hi = static_cast<float>(codeMax);
  run.unitStep = step == 1;
  run.noise = !(sigma > 0) ? 0 : c.readNoiseModel == ReadNoiseModel::kDevice ? 2 : 1;
  run.sigma = run.noise == 2 ? deviceNoiseFactor() : sigma;  // device model: the integer levels' scale folded in
  run.perDigit = offsetLsbPerDigit();
  run.noiseSeed = c.seed ^ kStreamReadNoise;
  run.sampleBase = sampleBase;
  run.fma = kernelsContractMultiplyAdd() ? 1 : 0;
  run.segmentScale = segmentScale.data();
  run.cycleScale = cycleScale.data();
  char err[512] = {};
  if (api.crossbarRun(handle.get(), &run, inputs, out, err, sizeof(err)) != 0)
    throw Error(codes::kInternal, std::string("CUDA crossbar run failed: ") + err);
}

}  // namespace nax
