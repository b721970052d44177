// Per-element arithmetic of the crossbar run, shared by the CUDA kernels (nax_cuda.cu) and a
// host build of the same functions (native/core/tests/cuda_math_test.cc), which checks them
// bit for bit against the CPU path (rng.h hashKey, crossbar_noise.h normals16,
// crossbar_run.cc's digits, digital offsets and ADC epilogue) on machines without a GPU.
// Every multiply-add is written out: fmaOr(fma, a, b, c) is one rounding when the CPU core
// was built with FMA (GCC contracts a * b + c there) and two otherwise, so nvcc's own
// contraction (--fmad) never decides a result. Host builds of this header need
// -ffp-contract=off for the same reason.
#pragma once
#include <stdint.h>

#include "../core/hash.h"
#include "../core/normal_table.h"

#if defined(__CUDACC__)
#define NAX_HD __host__ __device__ __forceinline__
#else
#include <cmath>
#include <cstring>
#define NAX_HD inline
#endif

namespace nax_cuda {

#if defined(__CUDA_ARCH__)
NAX_HD float fmaOr(bool fused, float a, float b, float c) { return fused ? __fmaf_rn(a, b, c) : __fadd_rn(__fmul_rn(a, b), c); }
NAX_HD double fmaOr(bool fused, double a, double b, double c) { return fused ? __fma_rn(a, b, c) : __dadd_rn(__dmul_rn(a, b), c); }
NAX_HD float mulF(float a, float b) { return __fmul_rn(a, b); }
NAX_HD float addF(float a, float b) { return __fadd_rn(a, b); }
NAX_HD float floorF(float x) { return floorf(x); }
NAX_HD float sqrtF(float x) { return __fsqrt_rn(x); }
NAX_HD float divF(float a, float b) { return __fdiv_rn(a, b); }
NAX_HD double floorD(double x) { return floor(x); }
NAX_HD float asFloat(uint32_t u) { return __uint_as_float(u); }
NAX_HD uint32_t asBits(float f) { return __float_as_uint(f); }
#else
NAX_HD float fmaOr(bool fused, float a, float b, float c) { return fused ? std::fma(a, b, c) : a * b + c; }
NAX_HD double fmaOr(bool fused, double a, double b, double c) { return fused ? std::fma(a, b, c) : a * b + c; }
NAX_HD float mulF(float a, float b) { return a * b; }
NAX_HD float addF(float a, float b) { return a + b; }
NAX_HD float floorF(float x) { return std::floor(x); }
NAX_HD float sqrtF(float x) { return std::sqrt(x); }
NAX_HD float divF(float a, float b) { return a / b; }
NAX_HD double floorD(double x) { return std::floor(x); }
NAX_HD float asFloat(uint32_t u) { float f; std::memcpy(&f, &u, 4); return f; }
NAX_HD uint32_t asBits(float f) { uint32_t u; std::memcpy(&u, &f, 4); return u; }
#endif

// The CPU core's hashes (rng.h hashKey, crossbar_noise.h's lanes), one definition for both.
using nax_hash::splitmix64;
using nax_hash::hashKey;
using nax_hash::fmix32High;

// crossbar_noise.h kNormalTail: the inverse-CDF polynomials of the read-noise Gaussian, in
// constant memory for the kernels and as a plain array for host builds.
#if defined(__CUDACC__)
__constant__ float kNormalTailDevice[NAX_NORMAL_TAIL_DEGREE + 1][32] = NAX_NORMAL_TAIL_TABLE;
#endif
static const float kNormalTailHost[NAX_NORMAL_TAIL_DEGREE + 1][32] = NAX_NORMAL_TAIL_TABLE;
NAX_HD float normalTail(int j, uint32_t i) {
#if defined(__CUDA_ARCH__)
  return kNormalTailDevice[j][i];
#else
  return kNormalTailHost[j][i];
#endif
}

// crossbar_noise.h normals16, one lane: the standard normal of one 32-bit hash (sign bit, then
// the tail probability p = u 2^-32, u = 2t + 1 for the low 31 bits t, and |z| = -Phi^-1(p / 2):
// u's leading zeros pick the binade, the 23 bits after its leading one are p's mantissa).
NAX_HD uint32_t leadingZeros(uint32_t u) {  // u != 0
#if defined(__CUDA_ARCH__)
  return static_cast<uint32_t>(__clz(static_cast<int>(u)));
#else
  return static_cast<uint32_t>(__builtin_clz(u));
#endif
}
NAX_HD float normalFromHash(bool fused, uint32_t h) {
  const uint32_t u = (h << 1) | 1u;
  const uint32_t idx = leadingZeros(u);
  const float x = addF(asFloat((((u << idx) >> 8) & 0x007FFFFFu) | 0x3F800000u), -1.5f);
  float z = normalTail(NAX_NORMAL_TAIL_DEGREE, idx);
  for (int j = NAX_NORMAL_TAIL_DEGREE - 1; j >= 0; --j) z = fmaOr(fused, z, x, normalTail(j, idx));
  return asFloat(asBits(z) ^ (h & 0x80000000u));
}

// crossbar_noise.h gaussianLanes for one column: the standard normal the CPU kernels add to ADC
// input column `col` of the row keyed rowKey.
NAX_HD float gaussianAt(bool fused, uint64_t rowKey, uint32_t col) {
  const uint32_t lo = static_cast<uint32_t>(rowKey), hi = static_cast<uint32_t>(rowKey >> 32);
  return normalFromHash(fused, fmix32High((lo ^ (col * 0x9E3779B9u)) + hi));
}

// crossbar_run.cc buildDigits: the DAC digit index of cycle cy of input x in pass p.
NAX_HD uint32_t dacCode(float x, int pass, double inputLsb, double xMax) {
  const double mag = pass == 0 ? (x > 0 ? static_cast<double>(x) : 0.0) : (x < 0 ? -static_cast<double>(x) : 0.0);
  double u = floorD(mag / inputLsb + 0.5);
  if (u > xMax) u = xMax;
  return static_cast<uint32_t>(u);
}

// simd.h clampRoundHalfUp, one lane.
NAX_HD float clampRoundHalfUp(float x, float lo, float hi) {
  x = x < lo ? lo : x;  // max(x, lo) with x first, as _mm512_max_ps(x, lo) returns lo for NaN x
  x = x > hi ? hi : x;
  return floorF(addF(x, 0.5f));
}

// crossbar_run.cc fusedBlock epilogue for one ADC input: the ADC code minus the digital
// offset's code (exact integers), before the cycle weight.
//   acc: digits x E_t; offset / offsetCode: the row's digital offset; z: its Gaussian;
//   deviceNoise: sigma * sqrt(variance) (noise 2, already multiplied by z's partner factor).
NAX_HD float adcCode(bool fused, float acc, int noise, float sigma, float z, float deviceNoise, bool hasOffset,
                     float offset, float offsetCode, bool unitStep, float invStep, float lo, float hi) {
  float x = acc;
  if (hasOffset) x = addF(x, offset);
  if (noise == 1) x = fmaOr(fused, sigma, z, x);
  if (noise == 2) x = addF(x, deviceNoise);
  if (!unitStep) x = mulF(x, invStep);
  float code = clampRoundHalfUp(x, lo, hi);
  if (hasOffset) code = addF(code, -offsetCode);
  return code;
}

// noise 2: (sigma * sqrt(max(variance, 0))) * z, as fusedBlock forms it.
NAX_HD float deviceNoise(float sigma, float variance, float z) {
  return mulF(mulF(sigma, sqrtF(variance > 0 ? variance : 0.0f)), z);
}

// digitalOffsets: the row's offset (float of a double) and its code.
NAX_HD void offsetOf(double digitSum, double perDigit, bool unitStep, float invStep, float* offset, float* code) {
  const float off = static_cast<float>(perDigit * digitSum);
  const float x = unitStep ? off : mulF(off, invStep);
  *offset = off;
  *code = floorF(addF(x, 0.5f));
}

}  // namespace nax_cuda
