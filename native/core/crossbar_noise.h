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

#if !defined(__AVX512F__) && defined(__AVX2__) && defined(__FMA__)
#define NAX_NOISE_AVX2 1
// AVX2 without AVX-512: normals16's arithmetic written as 8-lane intrinsics. GCC lowered the
// 16-lane generic vectors' unsigned compare lane by lane through the stack, and lookup32 is a
// scalar loop there: read noise cost 8-9x the noise-free run at 16 rows (bench/read-noise.ts,
// an x86-64-v3 build). The same operations in the same order (the FMA is the contraction the
// generic code gets), so the draws are bit-identical to the AVX-512 path and to the CUDA
// kernels' gaussianAt (native/core/tests/cuda_math_test.cc checks it on the build's ISA).

// 8 lanes of a 32-entry table (idx in [0, 32)): one permute when every index is below 8 (all 8
// lanes' binades are below 8 in 97% of calls: P(lane >= 8) = 2^-8), else four and three blends.
template <bool kSmall>
inline __m256 lookup32x8(const float* table, __m256i idx) {
  const __m256 q0 = _mm256_permutevar8x32_ps(_mm256_load_ps(table), idx);
  if (kSmall) return q0;
  const __m256 q1 = _mm256_permutevar8x32_ps(_mm256_load_ps(table + 8), idx);
  const __m256 q2 = _mm256_permutevar8x32_ps(_mm256_load_ps(table + 16), idx);
  const __m256 q3 = _mm256_permutevar8x32_ps(_mm256_load_ps(table + 24), idx);
  const __m256 bit3 = _mm256_castsi256_ps(_mm256_slli_epi32(idx, 28)), bit4 = _mm256_castsi256_ps(_mm256_slli_epi32(idx, 27));
  return _mm256_blendv_ps(_mm256_blendv_ps(q0, q1, bit3), _mm256_blendv_ps(q2, q3, bit3), bit4);
}

template <bool kSmall>
inline __m256 tailPolynomial8(__m256 x, __m256i idx) {
  __m256 z = lookup32x8<kSmall>(kNormalTail[NAX_NORMAL_TAIL_DEGREE], idx);
#pragma GCC unroll 8
  for (int j = NAX_NORMAL_TAIL_DEGREE - 1; j >= 0; --j) z = _mm256_fmadd_ps(z, x, lookup32x8<kSmall>(kNormalTail[j], idx));
  return z;
}

// normals16 for 8 columns `cols`.
inline __m256 normals8(std::uint32_t lo, std::uint32_t hi, __m256i cols) {
  __m256i h = _mm256_add_epi32(
      _mm256_xor_si256(_mm256_set1_epi32(static_cast<int>(lo)), _mm256_mullo_epi32(cols, _mm256_set1_epi32(static_cast<int>(0x9E3779B9u)))),
      _mm256_set1_epi32(static_cast<int>(hi)));
  h = _mm256_xor_si256(h, _mm256_srli_epi32(h, 16));  // hash.h fmix32High
  h = _mm256_mullo_epi32(h, _mm256_set1_epi32(static_cast<int>(0x85EBCA6Bu)));
  h = _mm256_xor_si256(h, _mm256_srli_epi32(h, 13));
  h = _mm256_mullo_epi32(h, _mm256_set1_epi32(static_cast<int>(0xC2B2AE35u)));
  const __m256i u = _mm256_or_si256(_mm256_slli_epi32(h, 1), _mm256_set1_epi32(1));
  // Leading zeros as leadingZeros does it: the exponent of an exact conversion of u >> 8 (below
  // 2^24) where u >= 2^8, else of u.
  const __m256i high = _mm256_srli_epi32(u, 8);
  const __m256i small = _mm256_cmpeq_epi32(high, _mm256_setzero_si256());  // all ones where u < 2^8
  const __m256i v = _mm256_blendv_epi8(high, u, small);
  const __m256i exponent = _mm256_srli_epi32(_mm256_castps_si256(_mm256_cvtepi32_ps(v)), 23);
  const __m256i lz = _mm256_sub_epi32(_mm256_sub_epi32(_mm256_set1_epi32(158), exponent), _mm256_andnot_si256(small, _mm256_set1_epi32(8)));
  const __m256i mBits = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi32(_mm256_sllv_epi32(u, lz), 8), _mm256_set1_epi32(0x007FFFFF)),
                                        _mm256_set1_epi32(0x3F800000));
  const __m256 x = _mm256_sub_ps(_mm256_castsi256_ps(mBits), _mm256_set1_ps(1.5f));
  const bool allSmall = _mm256_testz_si256(lz, _mm256_set1_epi32(~7));
  const __m256 z = allSmall ? tailPolynomial8<true>(x, lz) : tailPolynomial8<false>(x, lz);
  return _mm256_xor_ps(z, _mm256_castsi256_ps(_mm256_and_si256(h, _mm256_set1_epi32(static_cast<int>(0x80000000u)))));
}

// gaussianLanes' 32 lanes (4 x 8) with the constants and dependency chains cut down; normals8
// stays as the exact path for the lanes it cannot take. The hash's column product is
// distributed (lane * G + base * G, the same value mod 2^32); the leading zeros come from
// u >> 8 alone, exact where u >= 2^24 (binade < 8, 99.6% of lanes) and >= 8 elsewhere (u < 2^8
// converts 0: "150 leading zeros"), so any quarter with a lane at binade >= 8 is redone by
// normals8; the mantissa is ((u << lz) >> 8) + 0x3F000000 (bit 23 is the leading one, so the
// add sets the exponent of [1, 2)), and the sign is h's top bit shifted into place. Every
// lane's value is the one normals16 gives, bit for bit.
inline void gaussianLanesAvx2(std::uint32_t lo, std::uint32_t hi, std::uint32_t col0, float* z) {
  constexpr std::uint32_t G = 0x9E3779B9u;
  const __m256i laneG = _mm256_setr_epi32(0, static_cast<int>(G), static_cast<int>(2 * G), static_cast<int>(3 * G),
                                          static_cast<int>(4 * G), static_cast<int>(5 * G), static_cast<int>(6 * G),
                                          static_cast<int>(7 * G));
  const __m256i vlo = _mm256_set1_epi32(static_cast<int>(lo)), vhi = _mm256_set1_epi32(static_cast<int>(hi));
  __m256i h[4], u[4], lz[4];
#pragma GCC unroll 4
  for (int q = 0; q < 4; ++q) {
    const __m256i colG = _mm256_add_epi32(laneG, _mm256_set1_epi32(static_cast<int>((col0 + 8u * q) * G)));
    __m256i x = _mm256_add_epi32(_mm256_xor_si256(vlo, colG), vhi);
    x = _mm256_xor_si256(x, _mm256_srli_epi32(x, 16));
    x = _mm256_mullo_epi32(x, _mm256_set1_epi32(static_cast<int>(0x85EBCA6Bu)));
    x = _mm256_xor_si256(x, _mm256_srli_epi32(x, 13));
    h[q] = _mm256_mullo_epi32(x, _mm256_set1_epi32(static_cast<int>(0xC2B2AE35u)));
    u[q] = _mm256_or_si256(_mm256_slli_epi32(h[q], 1), _mm256_set1_epi32(1));
    const __m256i exponent = _mm256_srli_epi32(_mm256_castps_si256(_mm256_cvtepi32_ps(_mm256_srli_epi32(u[q], 8))), 23);
    lz[q] = _mm256_sub_epi32(_mm256_set1_epi32(150), exponent);
  }
#pragma GCC unroll 4
  for (int q = 0; q < 4; ++q) {
    __m256 r;
    const __m256i binadeHigh = _mm256_srli_epi32(lz[q], 3);
    if (__builtin_expect(_mm256_testz_si256(binadeHigh, binadeHigh), 1)) {
      const __m256i mBits = _mm256_add_epi32(_mm256_srli_epi32(_mm256_sllv_epi32(u[q], lz[q]), 8), _mm256_set1_epi32(0x3F000000));
      const __m256 x = _mm256_sub_ps(_mm256_castsi256_ps(mBits), _mm256_set1_ps(1.5f));
      r = _mm256_xor_ps(tailPolynomial8<true>(x, lz[q]), _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_srli_epi32(h[q], 31), 31)));
    } else {
      r = normals8(lo, hi, _mm256_add_epi32(_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7), _mm256_set1_epi32(static_cast<int>(col0 + 8u * q))));
    }
    _mm256_storeu_ps(z + 8 * q, r);
  }
}
#endif

// 32 standard normals for columns col0..col0+31 of one row key.
inline void gaussianLanes(std::uint64_t rowKey, std::uint32_t col0, float* z) {
  const std::uint32_t lo = static_cast<std::uint32_t>(rowKey), hi = static_cast<std::uint32_t>(rowKey >> 32);
#if defined(NAX_NOISE_AVX2)
  gaussianLanesAvx2(lo, hi, col0, z);
#else
  const U16 lane = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
  const V16 a = normals16(lo, hi, col0 + lane), b = normals16(lo, hi, (col0 + 16) + lane);
  std::memcpy(z, &a, sizeof(a));
  std::memcpy(z + 16, &b, sizeof(b));
#endif
}

}  // namespace crossbar_noise
}  // namespace nax
