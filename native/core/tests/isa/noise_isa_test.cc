// The read-noise Gaussians (crossbar_noise.h gaussianLanes) on one x86 vector ISA, whatever
// NAX_ISA the core was built for: CMakeLists.txt compiles this file once per level (x86-64-v2:
// generic vectors with the scalar table lookup; x86-64-v3: the AVX2 intrinsics path with its
// fast and exact branches; x86-64-v4: AVX-512) and each executable checks every lane against
// the one-lane reference the CUDA kernels use (native/cuda/crossbar_math.h gaussianAt), bit for
// bit, deep tails included. Header-only: it does not link nax_core, whose inline copies of the
// same functions are compiled for NAX_ISA. Exits 77 (skipped) where the CPU lacks the level.
// Built with -ffp-contract=off, so only the AVX2 path (explicit FMA intrinsics) is fused.
#include <cstdio>
#include <cstring>

#include "check.h"
#include "crossbar_noise.h"  // first: simd.h's -Wpsabi pragma covers hash.h
#include "crossbar_math.h"

#ifndef NAX_TEST_ISA
#error "NAX_TEST_ISA names the -march level this file is compiled for"
#endif

namespace {

#if defined(NAX_NOISE_AVX2)
constexpr bool kFused = true;
#else
constexpr bool kFused = false;
#endif

std::uint32_t inverseOdd(std::uint32_t m) {  // m^-1 mod 2^32 (Newton: each step doubles the bits)
  std::uint32_t inv = m;
  for (int i = 0; i < 5; ++i) inv *= 2u - m * inv;
  return inv;
}
std::uint32_t unXorShift(std::uint32_t y, int s) {  // x with x ^ (x >> s) == y
  std::uint32_t x = y;
  for (int i = 0; i < 32 / s + 1; ++i) x = y ^ (x >> s);
  return x;
}
// A row key (hi = 0) whose column 0 hashes to h: fmix32High inverted.
std::uint64_t keyHashingTo(std::uint32_t h) {
  std::uint32_t x = h * inverseOdd(0xC2B2AE35u);
  x = unXorShift(x, 13) * inverseOdd(0x85EBCA6Bu);
  return unXorShift(x, 16);
}

int compareRow(std::uint64_t key, std::uint32_t col0, double* worst) {
  alignas(64) float z[32];
  nax::crossbar_noise::gaussianLanes(key, col0, z);
  int mismatches = 0;
  for (std::uint32_t j = 0; j < 32; ++j) {
    const float g = nax_cuda::gaussianAt(kFused, key, col0 + j);
    if (std::memcmp(&g, &z[j], sizeof(float)) != 0) {
      ++mismatches;
      const double d = std::fabs(static_cast<double>(g) - z[j]);
      if (d > *worst) *worst = d;
    }
  }
  return mismatches;
}

void bitForBit() {
  std::uint64_t s = 0x9E3779B97F4A7C15ull;
  int mismatches = 0, deep = 0;
  double worst = 0;
  for (int row = 0; row < 20000; ++row) {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    const std::uint64_t key = s ^ (s >> 29);
    const std::uint32_t col0 = 32u * static_cast<std::uint32_t>(row % 37);
    mismatches += compareRow(key, col0, &worst);
    for (std::uint32_t j = 0; j < 32; ++j)
      if (std::fabs(nax_cuda::gaussianAt(kFused, key, col0 + j)) > 2.88f) ++deep;  // binade >= 8
  }
  std::printf("  %d lanes at binade >= 8 (the exact branch) of 640000\n", deep);
  if (mismatches) std::printf("  %d lanes differ, largest |difference| %.3g\n", mismatches, worst);
  CHECK(deep > 1000);
  CHECK_EQ(mismatches, 0);
}

void everyBinade() {
  int mismatches = 0;
  double worst = 0;
  // u = 2h + 1 with h's low 31 bits t: t = 2^b - 1 puts u's leading one at bit b (binade 31 - b);
  // both signs; t < 2^7 is the u < 2^8 case the leading-zero conversion treats apart.
  for (std::uint32_t b = 0; b < 31; ++b)
    for (std::uint32_t sign = 0; sign < 2; ++sign) {
      const std::uint32_t h = ((1u << b) - 1u) | (sign << 31), hNext = (1u << b) | (sign << 31);
      for (std::uint32_t target : {h, hNext}) {
        const std::uint64_t key = keyHashingTo(target);
        CHECK_EQ(nax_hash::fmix32High(static_cast<std::uint32_t>(key)), target);
        mismatches += compareRow(key, 0, &worst);
      }
    }
  const float deepest = nax_cuda::gaussianAt(kFused, keyHashingTo(0u), 0);
  std::printf("  deepest draw %.5f (-Phi^-1(2^-33) = 6.33796)\n", deepest);
  CHECK(std::fabs(deepest - 6.33796f) < 1e-4f);
  if (mismatches) std::printf("  %d lanes differ, largest |difference| %.3g\n", mismatches, worst);
  CHECK_EQ(mismatches, 0);
}

// main and this check are compiled for baseline x86-64 (the tests' functions for the level), so
// nothing before the check can use an instruction the CPU lacks; hence no TEST_CASE static
// registration either.
__attribute__((target("arch=x86-64"))) bool cpuHasLevel() {
  __builtin_cpu_init();
#if defined(__AVX512F__)
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512cd") && __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl");
#elif defined(__AVX2__)
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("bmi2");
#else
  return __builtin_cpu_supports("sse4.2") && __builtin_cpu_supports("popcnt");
#endif
}

}  // namespace

__attribute__((target("arch=x86-64"))) int main() {
  if (!cpuHasLevel()) {
    std::printf("noise_isa (%s): this CPU lacks the level; skipped\n", NAX_TEST_ISA);
    return 77;
  }
  const struct {
    const char* name;
    void (*run)();
  } cases[] = {{"gaussianLanes equals the one-lane reference bit for bit", bitForBit},
               {"every binade, down to p = 2^-32, at both signs", everyBinade}};
  for (const auto& c : cases) {
    const int before = ::nax_test::failures();
    ::nax_test::currentCase() = c.name;
    c.run();
    std::printf("%s noise_isa %s: %s\n", ::nax_test::failures() == before ? "ok  " : "FAIL", NAX_TEST_ISA, c.name);
  }
  return ::nax_test::failures() == 0 ? 0 : 1;
}
