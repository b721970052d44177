// Read-noise Gaussians for the crossbar run kernels (crossbar_run.cc). Internal: include only
// from kernel .cc files compiled with the core's flags (it uses simd.h's vector types, whose
// width is a per-translation-unit fact).
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>

#include "simd.h"  // first: its -Wpsabi pragma covers hash.h's vector functions too
#include "hash.h"
#include "normal_table.h"

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

using nax_hash::fmix32High;  // hash.h: one lane per vector element, as the CUDA kernels draw them

// Standard normals by inverting the CDF, as a table of polynomials (scripts/gaussian-table.py
// derives it from scipy's ndtri and reports the error): a 32-bit hash gives a sign bit and a
// 31-bit tail probability p in (0, 1); p's binade i, p in [2^-(i+1), 2^-i), is the leading-zero
// count of p's integer numerator (normals16), and a degree-4 polynomial in x = m - 1.5 (m: p's
// mantissa) gives |z| = -Phi^-1(p / 2) there, within 6.5e-5 of the exact quantile from |z| = 0
// to the deepest tail (p = 2^-32, |z| = 6.34): a CDF error below 2.6e-5. No division, square
// root, logarithm or float conversion; about 28 vector instructions per 16 draws, 8 of them
// the hash (README, read noise).
alignas(64) inline constexpr float kNormalTail[NAX_NORMAL_TAIL_DEGREE + 1][32] = NAX_NORMAL_TAIL_TABLE;

// Table lookup of 16 lanes (idx in [0, 32)): one two-source permute on AVX-512.
inline V16 lookup32(const float* table, I16 idx) {
#if defined(__AVX512F__)
  const __m512 a = _mm512_load_ps(table), b = _mm512_load_ps(table + 16);
  return reinterpret_cast<V16>(_mm512_permutex2var_ps(a, reinterpret_cast<__m512i>(idx), b));
#else
  alignas(64) std::int32_t at[16];
  alignas(64) float lanes[16];
  std::memcpy(at, &idx, sizeof(idx));
  for (int e = 0; e < 16; ++e) lanes[e] = table[at[e]];
  V16 r;
  std::memcpy(&r, lanes, sizeof(r));
  return r;
#endif
}

// Leading-zero count of 16 nonzero lanes: one vplzcntd with AVX-512CD; elsewhere from the float
// exponent of exact conversions (u >> 8 below 2^24 when u >= 2^8, else u itself).
inline U16 leadingZeros(U16 u) {
#if defined(__AVX512F__) && defined(__AVX512CD__)
  return reinterpret_cast<U16>(_mm512_lzcnt_epi32(reinterpret_cast<__m512i>(u)));
#else
  const I16 big = reinterpret_cast<I16>(u >= 256u);  // all ones where u >= 2^8
  const U16 v = (reinterpret_cast<U16>(big) & (u >> 8)) | (~reinterpret_cast<U16>(big) & u);
  const V16 f = __builtin_convertvector(reinterpret_cast<I16>(v), V16);
  U16 bits;
  std::memcpy(&bits, &f, sizeof(f));
  return (158u - (bits >> 23)) - (reinterpret_cast<U16>(big) & 8u);  // 31 - floor(log2 u)
#endif
}

// 16 standard normals of one row key (lo, hi) at columns `cols`: column c's draw is a pure
// function of (row key, c). The tail probability is read straight off the hash's bits, with no
// float conversion or clamp: u = 2t + 1 for the low 31 bits t, so p = u 2^-32 = (t + 1/2) 2^-31;
// its leading-zero count is the binade i (p in [2^-(i+1), 2^-i)) and the 23 bits after the
// leading one are p's mantissa, truncated.
inline V16 normals16(std::uint32_t lo, std::uint32_t hi, U16 cols) {
  const U16 h = fmix32High((lo ^ (cols * 0x9E3779B9u)) + hi);
  const U16 u = (h << 1) | 1u;
  const U16 lz = leadingZeros(u);
  const U16 mBits = (((u << lz) >> 8) & 0x007FFFFFu) | 0x3F800000u;
  const I16 idx = reinterpret_cast<I16>(lz);
  V16 x;
  std::memcpy(&x, &mBits, sizeof(x));
  x -= 1.5f;
  V16 z = lookup32(kNormalTail[NAX_NORMAL_TAIL_DEGREE], idx);
#pragma GCC unroll 8
  for (int j = NAX_NORMAL_TAIL_DEGREE - 1; j >= 0; --j) z = z * x + lookup32(kNormalTail[j], idx);
  U16 zBits;
  std::memcpy(&zBits, &z, sizeof(z));
  zBits ^= h & 0x80000000u;
  std::memcpy(&z, &zBits, sizeof(z));
  return z;
}

// 32 standard normals for columns col0..col0+31 of one row key.
inline void gaussianLanes(std::uint64_t rowKey, std::uint32_t col0, float* z) {
  const std::uint32_t lo = static_cast<std::uint32_t>(rowKey), hi = static_cast<std::uint32_t>(rowKey >> 32);
  const U16 lane = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
  const V16 a = normals16(lo, hi, col0 + lane), b = normals16(lo, hi, (col0 + 16) + lane);
  std::memcpy(z, &a, sizeof(a));
  std::memcpy(z + 16, &b, sizeof(b));
}

}  // namespace crossbar_noise
}  // namespace nax
