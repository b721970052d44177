// The CUDA kernels' arithmetic, checked on any machine (no GPU, no nvcc): a host emulation of
// native/cuda/nax_cuda.cu's crossbar run, written with the same per-element functions
// (native/cuda/crossbar_math.h, compiled here with -ffp-contract=off as nvcc compiles them
// with --fmad=false), is installed behind the CUDA ABI and must return the CPU path's results
// bit for bit, read noise included. The counter-based hash and the Gaussian are compared with
// the core's own (rng.h hashKey, crossbar_noise.h gaussianLanes as built with the core's
// flags) directly. What this cannot check is the GPU's launch geometry: cuda_crossbar_test
// runs the real kernels where a GPU is found.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>
#include <memory>

#include "check.h"
#include "crossbar.h"
#include "crossbar_math.h"
#include "cuda_backend.h"
#include "error.h"
#include "cuda_cases.h"
#include "rng.h"

namespace {

using namespace nax_cuda;

struct HostLayer {
  NaxCudaCrossbarShape s;
  std::vector<float> E, S, levels;
  std::vector<double> weightScale;
};

int hostCreate(const NaxCudaCrossbarShape* shape, const float* effective, const float* noiseSquares,
               const float* levels, const double* weightScale, void** handle, char*, size_t) {
  auto h = new HostLayer{*shape, {}, {}, {}, {}};
  const size_t e = shape->rowTiles * shape->rows * shape->width;
  h->E.assign(effective, effective + e);
  if (shape->hasNoiseSquares) h->S.assign(noiseSquares, noiseSquares + e);
  h->levels.assign(levels, levels + (size_t(1) << shape->dacBits));
  h->weightScale.assign(weightScale, weightScale + shape->n);
  *handle = h;
  return 0;
}
void hostDestroy(void* h) { delete static_cast<HostLayer*>(h); }

// nax_cuda.cu runCrossbar, kernel by kernel, one thread's work per loop body.
int hostRun(void* handle, const NaxCudaCrossbarRun* run, const float* inputs, float* out, char*, size_t) {
  const HostLayer& h = *static_cast<HostLayer*>(handle);
  const NaxCudaCrossbarShape& s = h.s;
  const size_t count = run->batch, m = run->passes * s.cycles * count;
  const bool fused = run->fma != 0;
  std::vector<float> digits(s.k * m), squares;
  const uint32_t mask = (1u << s.dacBits) - 1;
  for (int p = 0; p < run->passes; ++p)  // buildDigitsKernel
    for (size_t i = 0; i < s.k; ++i)
      for (size_t b = 0; b < count; ++b) {
        const uint32_t u = dacCode(inputs[b * s.k + i], p, run->inputLsb, run->xMax);
        for (size_t c = 0; c < s.cycles; ++c)
          digits[i * m + (p * count + b) * s.cycles + c] = h.levels[(u >> (c * s.dacBits)) & mask];
      }
  std::vector<char> hasNegative(count);  // markNegativeKernel
  for (size_t b = 0; b < count; ++b)
    for (size_t i = 0; i < s.k; ++i) hasNegative[b] |= inputs[b * s.k + i] < 0;
  const float* sq = nullptr;
  if (run->noise == 2) {  // squareKernel
    if (s.dacBits > 1) {
      squares.resize(digits.size());
      for (size_t e = 0; e < digits.size(); ++e) squares[e] = digits[e] * digits[e];
      sq = squares.data();
    } else {
      sq = digits.data();
    }
  }
  std::vector<double> total(run->passes * count * s.n, 0.0);
  std::vector<float> offset(m), offsetCode(m), columnSum(run->passes * count * s.width);
  for (size_t t = 0; t < s.rowTiles; ++t) {
    const size_t tileRows = std::min(s.rows, s.k - t * s.rows);
    const float* D = digits.data() + t * s.rows * m;
    if (run->perDigit > 0)  // offsetsKernel
      for (size_t r = 0; r < m; ++r) {
        double sum = 0;
        for (size_t i = 0; i < tileRows; ++i) sum += D[i * m + r];
        offsetOf(sum, run->perDigit, run->unitStep != 0, run->invStep, &offset[r], &offsetCode[r]);
      }
    std::fill(columnSum.begin(), columnSum.end(), 0.0f);
    const float* E = h.E.data() + t * s.rows * s.width;
    for (size_t r = 0; r < m; ++r) {  // crossbarTileKernel
      const size_t sIdx = r / s.cycles, cy = r % s.cycles, p = sIdx / count, b = sIdx % count;
      const uint64_t key = run->noise > 0 ? hashKey(run->noiseSeed, t, run->sampleBase + b, p * s.cycles + cy) : 0;
      for (size_t col = 0; col < s.width; ++col) {
        float acc = 0, var = 0;
        for (size_t i = 0; i < tileRows; ++i) {
          acc = fmaOr(fused, D[i * m + r], E[i * s.width + col], acc);
          if (run->noise == 2) var = fmaOr(fused, sq[(t * s.rows + i) * m + r], h.S[(t * s.rows + i) * s.width + col], var);
        }
        const float z = run->noise > 0 ? gaussianAt(fused, key, static_cast<uint32_t>(col)) : 0.0f;
        const float dn = run->noise == 2 ? deviceNoise(run->sigma, var, z) : 0.0f;
        const float code = adcCode(fused, acc, run->noise, run->sigma, z, dn, run->perDigit > 0, offset[r], offsetCode[r],
                                   run->unitStep != 0, run->invStep, run->lo, run->hi);
        columnSum[sIdx * s.width + col] += code * run->cycleScale[cy];
      }
    }
    for (size_t idx = 0; idx < run->passes * count * s.n; ++idx) {  // reduceColumnsKernel
      const size_t j = idx % s.n, sIdx = idx / s.n, b = sIdx % count, p = sIdx / count;
      if (p == 1 && !hasNegative[b]) continue;
      const size_t ct = j / s.cols, n0 = ct * s.cols, tileCols = std::min(s.cols, s.n - n0), jj = j - n0;
      const float* seg = columnSum.data() + sIdx * s.width + s.segments * n0;
      double o = run->segmentScale[0] * static_cast<double>(seg[jj]);
      for (size_t pl = 1; pl < s.segments; ++pl)
        o = fmaOr(fused, run->segmentScale[pl], static_cast<double>(seg[pl * tileCols + jj]), o);
      total[idx] += o;
    }
  }
  for (size_t b = 0; b < count; ++b)  // writeOutputsKernel
    for (size_t j = 0; j < s.n; ++j) {
      const double pos = total[b * s.n + j];
      const double q = run->passes == 2 ? pos - total[(count + b) * s.n + j] : pos;
      out[b * s.n + j] = static_cast<float>((q * run->inputLsb) * h.weightScale[j]);
    }
  return 0;
}

const nax::cuda::Api kHostApi{hostCreate, hostDestroy, hostRun, nullptr, nullptr, nullptr, nullptr};

TEST_CASE("hashKey matches rng.h") {
  nax::Rng rng(3);
  for (int i = 0; i < 1000; ++i) {
    const uint64_t a = rng.next(), b = rng.next() >> 40, c = rng.next() >> 50, d = rng.next() >> 54;
    CHECK(hashKey(a, b, c, d) == nax::hashKey(a, b, c, d));
  }
}

TEST_CASE("gaussianAt matches the CPU kernels' read-noise normals bit for bit") {
  const bool fused = nax::kernelsContractMultiplyAdd();
  std::printf("  core kernels contract a*b+c: %s\n", fused ? "yes" : "no");
  nax::Rng rng(11);
  int mismatches = 0;
  double worst = 0;
  for (int row = 0; row < 4000; ++row) {
    const uint64_t key = rng.next();
    const uint32_t col0 = 32 * static_cast<uint32_t>(row % 9);
    float z[32];
    nax::readNoiseGaussians(key, col0, z);
    for (uint32_t j = 0; j < 32; ++j) {
      const float g = gaussianAt(fused, key, col0 + j);
      if (std::memcmp(&g, &z[j], sizeof(float)) != 0) {
        ++mismatches;
        worst = std::max(worst, std::fabs(static_cast<double>(g) - z[j]));
      }
    }
  }
  if (mismatches) std::printf("  %d of 128000 normals differ, largest |difference| %.3g\n", mismatches, worst);
  CHECK_EQ(mismatches, 0);
}

// -Phi^-1(q) for q in (0, 1/2]: bisection on std::erfc in double (the reference for the table).
double upperQuantile(double q) {
  double lo = 0.0, hi = 40.0;
  for (int it = 0; it < 200; ++it) {
    const double mid = 0.5 * (lo + hi);
    (0.5 * std::erfc(mid / std::sqrt(2.0)) > q ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

TEST_CASE("read-noise normals: the inverse-CDF table is within 7e-5 of the exact quantile") {
  // Every binade, its edges and the extremes (p = 2^-32 is the deepest tail, |z| = 6.34).
  const bool fused = nax::kernelsContractMultiplyAdd();
  std::vector<uint32_t> hashes = {0u, 1u, 2u, 0x7FFFFFFFu, 0x7FFFFFFEu, 0x80000000u, 0xFFFFFFFFu};
  for (int b = 0; b < 31; ++b)
    for (uint32_t d : {0u, 1u, 7u}) {
      const uint32_t edge = 1u << b;
      hashes.push_back(edge + d);
      if (edge > d) hashes.push_back(edge - 1 - d);
    }
  nax::Rng rng(5);
  for (int i = 0; i < 200000; ++i) hashes.push_back(static_cast<uint32_t>(rng.next()));
  double worst = 0;
  for (const uint32_t h : hashes) {
    const float z = normalFromHash(fused, h);
    // p = (t + 1/2) 2^-31 for the low 31 bits t, truncated to 24 significant bits as the kernels
    // read it (u = 2t + 1 below its leading one).
    const uint32_t u = (h << 1) | 1u;
    const int shift = std::max(0, 32 - __builtin_clz(u) - 24);
    const double p = std::ldexp(static_cast<double>(u >> shift << shift), -32);
    const double exact = upperQuantile(0.5 * p) * ((h >> 31) ? -1.0 : 1.0);
    worst = std::max(worst, std::fabs(static_cast<double>(z) - exact));
  }
  std::printf("  largest |z - exact quantile| over %zu hashes: %.3g\n", hashes.size(), worst);
  CHECK(worst < 7e-5);
  CHECK(std::fabs(normalFromHash(fused, 0u) - 6.33796) < 1e-4);  // -Phi^-1(2^-33)
}

TEST_CASE("read-noise normals: moments, tails, CDF and independence of the kernels' draws") {
  // 2^20 draws from the CPU kernels (crossbar_noise.h) over 4096 row keys of 256 columns.
  const int rows = 4096, cols = 256;
  std::vector<float> z(static_cast<size_t>(rows) * cols);
  for (int r = 0; r < rows; ++r)
    for (int c0 = 0; c0 < cols; c0 += 32)
      nax::readNoiseGaussians(nax::hashKey(17, 3, static_cast<uint64_t>(r), 0), static_cast<uint32_t>(c0),
                              z.data() + static_cast<size_t>(r) * cols + c0);
  const double n = static_cast<double>(z.size());
  double m1 = 0, m2 = 0, m4 = 0, over3 = 0, over4 = 0, colCorr = 0, rowCorr = 0;
  for (size_t i = 0; i < z.size(); ++i) {
    const double v = z[i];
    m1 += v;
    m2 += v * v;
    m4 += v * v * v * v;
    over3 += std::fabs(v) > 3;
    over4 += std::fabs(v) > 4;
    if (i % cols + 1 < static_cast<size_t>(cols)) colCorr += v * z[i + 1];
    if (i + cols < z.size()) rowCorr += v * z[i + cols];
  }
  m1 /= n;
  m2 /= n;
  const double kurtosis = m4 / n / (m2 * m2);
  colCorr /= n;
  rowCorr /= n;
  std::vector<float> sorted(z);
  std::sort(sorted.begin(), sorted.end());
  double ks = 0;
  for (size_t i = 0; i < sorted.size(); i += 7) {
    const double cdf = 0.5 * std::erfc(-static_cast<double>(sorted[i]) / std::sqrt(2.0));
    ks = std::max(ks, std::max(std::fabs(cdf - i / n), std::fabs(cdf - (i + 1) / n)));
  }
  std::printf("  mean %.4f variance %.4f kurtosis %.4f P(|z|>3) %.5f P(|z|>4) %.2e KS %.2e corr %.4f %.4f\n", m1, m2,
              kurtosis, over3 / n, over4 / n, ks, colCorr, rowCorr);
  // Bounds at about 4 standard errors of each statistic for 2^20 draws.
  CHECK(std::fabs(m1) < 0.004);
  CHECK(std::fabs(m2 - 1.0) < 0.006);
  CHECK(std::fabs(kurtosis - 3.0) < 0.02);
  CHECK(std::fabs(over3 / n - 0.0026998) < 2.1e-4);  // 2 (1 - Phi(3))
  CHECK(std::fabs(over4 - 6.334e-5 * n) < 4 * std::sqrt(6.334e-5 * n));
  CHECK(ks < 1.63 / std::sqrt(n));  // Kolmogorov-Smirnov at 1%
  CHECK(std::fabs(colCorr) < 0.004);
  CHECK(std::fabs(rowCorr) < 0.004);
}

TEST_CASE("host emulation of the CUDA crossbar run equals the CPU path bit for bit") {
  nax::cuda::setApiForTesting(&kHostApi);
  for (const auto& tc : cuda_cases::all()) {
    nax::CrossbarConfig cpu = tc.config, gpu = tc.config;
    gpu.accelerator = nax::Accelerator::kCuda;
    const auto w = cuda_cases::weights(tc.k, tc.n, 5);
    nax::CrossbarLayer a(w.data(), tc.k, tc.n, cpu), b(w.data(), tc.k, tc.n, gpu);
    int mismatches = 0;
    double worst = 0;
    for (int call = 0; call < 2; ++call) {  // the second call draws fresh read noise (sample indices)
      const auto x = cuda_cases::inputs(tc.batch, tc.k, 100 + call);
      std::vector<float> ya(tc.batch * tc.n), yb(tc.batch * tc.n);
      a.run(x.data(), tc.batch, ya.data());
      b.run(x.data(), tc.batch, yb.data());
      for (size_t e = 0; e < ya.size(); ++e)
        if (std::memcmp(&ya[e], &yb[e], sizeof(float)) != 0) {
          ++mismatches;
          worst = std::max(worst, std::fabs(static_cast<double>(ya[e]) - yb[e]));
        }
    }
    if (mismatches) std::printf("  %s: %d outputs differ, largest %.3g\n", tc.name.c_str(), mismatches, worst);
    CHECK_EQ(mismatches, 0);
  }
  nax::cuda::setApiForTesting(nullptr);
}

TEST_CASE("accelerator cuda is refused for readouts only the CPU's general path converts") {
  nax::cuda::setApiForTesting(&kHostApi);
  auto c = cuda_cases::base();
  c.accelerator = nax::Accelerator::kCuda;
  c.adcOffsetSigma = 0.5;
  const auto w = cuda_cases::weights(8, 4, 1);
  bool threw = false;
  try {
    nax::CrossbarLayer layer(w.data(), 8, 4, c);
  } catch (const nax::Error& e) {
    threw = std::string(e.code()) == nax::codes::kConfig && std::string(e.what()).find("config.accelerator") != std::string::npos;
  }
  CHECK(threw);
  nax::cuda::setApiForTesting(nullptr);
}

TEST_CASE("without the CUDA library accelerator cuda is a config error naming the reason") {
  if (nax::cuda::status().available) {
    std::printf("  (CUDA is available here: nothing to check)\n");
    return;
  }
  auto c = cuda_cases::base();
  c.accelerator = nax::Accelerator::kCuda;
  const auto w = cuda_cases::weights(8, 4, 1);
  std::string message;
  try {
    nax::CrossbarLayer layer(w.data(), 8, 4, c);
  } catch (const nax::Error& e) {
    message = e.what();
  }
  std::printf("  %s\n", message.c_str());
  CHECK(message.find("cuda: not available (") != std::string::npos);
}

}  // namespace

int main() { return nax_test::runAll("cuda_math"); }
