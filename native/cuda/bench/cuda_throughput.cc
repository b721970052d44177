// Throughput of the CUDA path against the CPU path in the same process (scripts/cuda-check.sh):
// the crossbar run of a conv-like layer (K = 576 = 3x3x64, N = 64, 8-bit inputs, 1-bit DAC,
// 2-bit cells, lossless ADC, read noise on) and the training convolutions of a ResNet-20
// 3x3 layer (16 -> 16 channels, 32x32, batch 128). GPU times include the host <-> device copies
// every call makes. Best of a few repeats; a rough figure, not a benchmark suite.
//   cuda_throughput [cpu-threads]   (default 0: every core; e.g. 2 to compare with a small machine)
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <vector>

#include "crossbar.h"
#include "cuda_backend.h"
#include "parallel.h"
#include "rng.h"
#include "train_conv.h"
#include "train_conv_cuda.h"

namespace {

int cpuThreads = 0;

double bestSeconds(int repeats, const std::function<void()>& fn) {
  fn();  // warm-up (GPU upload, thread pool start)
  double best = 1e30;
  for (int r = 0; r < repeats; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    fn();
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  return best;
}

std::vector<float> uniform(std::size_t n, std::uint64_t seed, double lo, double hi) {
  nax::Rng rng(seed);
  std::vector<float> v(n);
  for (float& x : v) x = static_cast<float>(lo + (hi - lo) * rng.uniform());
  return v;
}

void crossbar(int rows) {
  const std::size_t k = 576, n = 64, batch = 4096;
  nax::CrossbarConfig c;
  c.rows = c.cols = rows;
  c.bitsPerCell = 2;
  c.weightBits = 8;
  c.inputBits = 8;
  c.dacBits = 1;
  const double sMax = 3, perDigit = (1.0 / 600e3) / ((1e-5 - 1.0 / 600e3) / sMax);
  c.adcBits = static_cast<int>(std::ceil(std::log2(rows * (sMax + perDigit) + 1)));
  c.gOn = 1e-5;
  c.gOff = 1.0 / 600e3;
  c.vRead = 0.25;
  c.inputScale = 1;
  c.readNoise = 0.5;
  c.seed = 1;
  c.threads = cpuThreads;
  const auto w = uniform(k * n, 1, -1, 1), x = uniform(batch * k, 2, 0, 1);
  nax::CrossbarConfig g = c;
  g.accelerator = nax::Accelerator::kCuda;
  nax::CrossbarLayer cpu(w.data(), k, n, c), gpu(w.data(), k, n, g);
  std::vector<float> y(batch * n);
  const double tc = bestSeconds(3, [&] { cpu.run(x.data(), batch, y.data()); });
  const double tg = bestSeconds(5, [&] { gpu.run(x.data(), batch, y.data()); });
  const double macs = static_cast<double>(batch) * 8 /*cycles*/ * k * (2 * 4 /*slices x G+-*/) * n;
  std::printf("crossbar run %dx%d, K %zu N %zu batch %zu: cpu %.1f ms (%.1f GMAC/s, %d threads), gpu %.1f ms (%.1f GMAC/s), %.1fx\n",
              rows, rows, k, n, batch, tc * 1e3, macs / tc * 1e-9, nax::resolveThreads(cpuThreads), tg * 1e3, macs / tg * 1e-9,
              tc / tg);
}

void conv() {
  nax::train::ConvShape cs{16, 16, 3, 1, 1};
  nax::train::Shape in{16, 128, 32, 32};
  const std::size_t P = 32 * 32, xCount = 16 * in.perChannel();
  const auto x = uniform(xCount, 3, -1, 1), w = uniform(cs.patch() * cs.cout, 4, -1, 1), dy = uniform(16 * P * 128, 5, -1, 1);
  std::vector<float> y(16 * P * 128), dx(xCount), dw(w.size()), db(16);
  nax::train::ConvScratch<float> scratch;
  const double flops = 2.0 * cs.cout * cs.patch() * P * in.n;
  const double fc = bestSeconds(3, [&] { nax::train::convForward<float>(cs, in, x.data(), w.data(), nullptr, y.data(), scratch, cpuThreads); });
  const double fg = bestSeconds(5, [&] { nax::train::convForwardCuda<float>(cs, in, x.data(), w.data(), nullptr, y.data()); });
  const double bc = bestSeconds(3, [&] {
    nax::train::convBackward(cs, in, x.data(), w.data(), dy.data(), dx.data(), dw.data(), db.data(), scratch, cpuThreads);
  });
  const double bg = bestSeconds(5, [&] {
    nax::train::convBackwardCuda(cs, in, x.data(), w.data(), dy.data(), dx.data(), dw.data(), db.data());
  });
  std::printf("conv (cpu %d threads) 3x3 16->16 32x32 batch 128 forward: cpu %.1f ms (%.1f GFLOP/s), gpu %.1f ms (%.1f GFLOP/s), %.1fx\n",
              nax::resolveThreads(cpuThreads), fc * 1e3, flops / fc * 1e-9, fg * 1e3, flops / fg * 1e-9, fc / fg);
  std::printf("conv 3x3 16->16 32x32 batch 128 backward (dx, dw, db): cpu %.1f ms (%.1f GFLOP/s), gpu %.1f ms (%.1f GFLOP/s), %.1fx\n",
              bc * 1e3, 2 * flops / bc * 1e-9, bg * 1e3, 2 * flops / bg * 1e-9, bc / bg);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1) cpuThreads = std::atoi(argv[1]);
  const auto& s = nax::cuda::status();
  if (!s.available) {
    std::printf("cuda_throughput skipped: cuda: not available (%s)\n", s.reason.c_str());
    return 0;
  }
  std::printf("cuda: %s\n", nax::cuda::describe().c_str());
  try {
    crossbar(64);
    crossbar(128);
    conv();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "cuda_throughput: %s\n", e.what());
    return 1;
  }
  return 0;
}
