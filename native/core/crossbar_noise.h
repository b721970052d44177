// Read-noise Gaussians for the crossbar run kernels (crossbar_run.cc). Internal: include only
// from kernel .cc files compiled with the core's flags (it uses simd.h's vector types, whose
// width is a per-translation-unit fact).
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>

#include "hash.h"
#include "simd.h"

namespace nax {
namespace crossbar_noise {

// ---- read noise: counter-based Gaussian draws on explicit 16-lane vectors (GCC vector
// extensions: AVX-512, AVX2 or SSE code without relying on the auto-vectoriser, which left the
// same arithmetic written as a scalar loop unvectorised in a standalone build). Each draw is a
// pure function of (row key, column), so it is the same for any thread count, batch size or
// chunking.
using V16 = simd::Vec<float, 16>;
using U16 = simd::Vec<std::uint32_t, 16>;
using I16 = simd::Vec<std::int32_t, 16>;

using nax_hash::fmix32;  // hash.h: one lane per vector element, as the CUDA kernels draw them

// ln(x) for x in (0, 1]: exponent split plus the atanh series of the
// mantissa in [sqrt(1/2), sqrt(2)); |error| < 2e-7 (float rounding level).
inline V16 lnUnit(V16 x) {
  I16 bits;
  std::memcpy(&bits, &x, sizeof(x));
  I16 e = ((bits >> 23) & 0xFF) - 127;
  const I16 mBits = (bits & 0x007FFFFF) | 0x3F800000;
  V16 m;
  std::memcpy(&m, &mBits, sizeof(m));
  const I16 big = m > 1.41421356f;  // -1 where true
  m = big ? m * 0.5f : m;
  e -= big;
  const V16 s = (m - 1.0f) / (m + 1.0f), s2 = s * s;
  const V16 series = s * (2.0f + s2 * (0.666666667f + s2 * (0.4f + s2 * (0.285714286f + s2 * 0.222222222f))));
  return __builtin_convertvector(e, V16) * 0.693147181f + series;
}

// sin and cos of 2*pi*b for b in [-0.25, 0.25] (Taylor to x^11 / x^12;
// |error| < 1e-7, float rounding level).
inline V16 sin2Pi(V16 b) {
  const V16 x = 6.28318531f * b, x2 = x * x;
  return x * (1.0f + x2 * (-1.66666667e-1f + x2 * (8.33333333e-3f + x2 * (-1.98412698e-4f +
                                                                         x2 * (2.75573192e-6f + x2 * -2.50521084e-8f)))));
}
inline V16 cos2Pi(V16 b) {
  const V16 x = 6.28318531f * b, x2 = x * x;
  return 1.0f + x2 * (-0.5f + x2 * (4.16666667e-2f + x2 * (-1.38888889e-3f +
                                                          x2 * (2.48015873e-5f + x2 * (-2.75573192e-7f + x2 * 2.08767570e-9f)))));
}

inline V16 sqrt16(V16 x) {
#if defined(__AVX512F__)
  // Masked form: GCC 12's unmasked one warns about an undefined source (as in simd.h).
  const __m512 v = reinterpret_cast<__m512>(x);
  return reinterpret_cast<V16>(_mm512_mask_sqrt_ps(v, 0xFFFF, v));
#elif defined(__AVX__)
  __m256 halves[2];
  std::memcpy(halves, &x, sizeof(x));
  halves[0] = _mm256_sqrt_ps(halves[0]);
  halves[1] = _mm256_sqrt_ps(halves[1]);
  V16 r;
  std::memcpy(&r, halves, sizeof(r));
  return r;
#else
  alignas(64) float lanes[16];
  std::memcpy(lanes, &x, sizeof(x));
  for (float& v : lanes) v = std::sqrt(v);
  V16 r;
  std::memcpy(&r, lanes, sizeof(r));
  return r;
#endif
}

// 32 standard normals for columns col0..col0+31 of one row key: Box-Muller
// pairs, (r sin, r cos) of draw j go to columns col0+j and col0+16+j.
inline void gaussianLanes(std::uint64_t rowKey, std::uint32_t col0, float* z) {
  const std::uint32_t lo = static_cast<std::uint32_t>(rowKey), hi = static_cast<std::uint32_t>(rowKey >> 32);
  const U16 lane = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
  const U16 pair = (col0 / 2) + lane;
  const U16 h1 = fmix32(lo ^ (pair * 0x9E3779B9u));
  const U16 h2 = fmix32(hi ^ (pair * 0x7FEB352Du) ^ 0x68E31DA4u);
  const V16 u1 = (__builtin_convertvector(reinterpret_cast<I16>(h1 >> 8), V16) + 0.5f) * 5.9604645e-8f;  // (0, 1)
  const V16 u2 = __builtin_convertvector(reinterpret_cast<I16>(h2 >> 8), V16) * 5.9604645e-8f;          // [0, 1)
  const V16 r = sqrt16(-2.0f * lnUnit(u1));
  // Angle 2*pi*u2 folded into [-pi/2, pi/2]: quarter q = u2 - 1/2 in [-1/2, 1/2),
  // sin(2 pi u2) = -sin(2 pi q), cos(2 pi u2) = -cos(2 pi q); for |q| > 1/4 use
  // sin(2 pi q) = sin(2 pi (sign(q)/2 - q)), cos(2 pi q) = -cos(2 pi (sign(q)/2 - q)).
  const V16 q = u2 - 0.5f;
  const V16 absQ = q < 0.0f ? -q : q;
  const I16 outer = absQ > 0.25f;
  const V16 half = q < 0.0f ? V16{} - 0.5f : V16{} + 0.5f;
  const V16 b = outer ? half - q : q;
  const V16 sn = sin2Pi(b), cs = cos2Pi(b);
  const V16 lower = -r * sn, upper = outer ? -(r * cs) : r * cs;
  std::memcpy(z, &lower, sizeof(lower));
  std::memcpy(z + 16, &upper, sizeof(upper));
}

}  // namespace crossbar_noise
}  // namespace nax
