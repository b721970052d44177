// Vector helpers for the core's kernels (gemm.cc, circuit_multifrontal.cc,
// crossbar_run.cc): GCC/Clang vector extensions sized to the host's widest
// registers, so one source compiles to AVX-512, AVX2 or SSE code as the
// -march flags allow. Kernels pick their register blocking from kBytes.
//
// Include only from kernel .cc files compiled with the core's flags: the
// width is a per-translation-unit fact, and no vector type crosses the core's
// API (the binding is compiled without -march=native).
#pragma once
#include <cstddef>
#if defined(__SSE2__)
#include <immintrin.h>
#endif

// Vectors wider than the target's registers (e.g. four doubles on SSE) are
// passed in memory; GCC notes the ABI difference. They never cross a TU.
#pragma GCC diagnostic ignored "-Wpsabi"

namespace nax {
namespace simd {

// Widest vector register in bytes.
#if defined(__AVX512F__)
inline constexpr int kBytes = 64;
#elif defined(__AVX__)
inline constexpr int kBytes = 32;
#else
inline constexpr int kBytes = 16;
#endif

template <typename T>
inline constexpr int kLanes = kBytes / static_cast<int>(sizeof(T));

template <typename T, int N>
struct VecTypes {
  typedef T aligned __attribute__((vector_size(N * sizeof(T))));
  typedef T unaligned __attribute__((vector_size(N * sizeof(T)), aligned(sizeof(T))));
};

// N lanes of T (default: one full register). Vec is accessed at addresses
// aligned to its size, VecU anywhere (element alignment). Arithmetic is lane
// by lane; a scalar operand is broadcast (a * v).
template <typename T, int N = kLanes<T>>
using Vec = typename VecTypes<T, N>::aligned;
template <typename T, int N = kLanes<T>>
using VecU = typename VecTypes<T, N>::unaligned;

// Aligned load and store: p must be aligned to sizeof(V).
template <typename V, typename T>
inline V load(const T* p) {
  return *reinterpret_cast<const V*>(p);
}
template <typename V, typename T>
inline void store(T* p, V v) {
  *reinterpret_cast<V*>(p) = v;
}

// Unaligned load and store (element alignment).
template <typename V, typename T>
inline V loadU(const T* p) {
  using U = VecU<T, static_cast<int>(sizeof(V) / sizeof(T))>;
  return *reinterpret_cast<const U*>(p);
}
// Pins v in a vector register: GCC otherwise folds a vector's loads into every FMA that uses it
// (a memory operand per use), so a value used by two rows is loaded twice and a 2-row kernel
// issues 10 loads per 8 FMAs, more than Zen 3's two 256-bit loads a cycle keep up with. No
// instruction is emitted and the arithmetic is unchanged.
template <typename V>
inline void keepInRegister(V& v) {
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
  asm("" : "+x"(v));
#else
  (void)v;
#endif
}

template <typename V, typename T>
inline void storeU(T* p, V v) {
  using U = VecU<T, static_cast<int>(sizeof(V) / sizeof(T))>;
  *reinterpret_cast<U*>(p) = v;
}

// Clamps each lane to [0, hi], then rounds it to the nearest integer, ties to
// even (the ADC's codes). The portable form adds 1.5 * 2^23, which leaves no
// fraction bits, so it needs hi <= 2^22.
inline Vec<float> clampRoundEven(Vec<float> x, Vec<float> hi) {
#if defined(__AVX512F__)
  // Masked forms: GCC 12's unmasked ones warn about an undefined source.
  const __m512 v = reinterpret_cast<__m512>(x), top = reinterpret_cast<__m512>(hi);
  const __m512 lo = _mm512_mask_max_ps(v, 0xFFFF, v, _mm512_setzero_ps());
  const __m512 c = _mm512_mask_min_ps(lo, 0xFFFF, lo, top);
  return reinterpret_cast<Vec<float>>(
      _mm512_mask_roundscale_ps(c, 0xFFFF, c, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
#elif defined(__AVX__)
  const __m256 c = _mm256_min_ps(_mm256_max_ps(reinterpret_cast<__m256>(x), _mm256_setzero_ps()),
                                 reinterpret_cast<__m256>(hi));
  return reinterpret_cast<Vec<float>>(_mm256_round_ps(c, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
#else
  const Vec<float> lo = Vec<float>{}, magic = Vec<float>{} + 12582912.0f;
  x = x < lo ? lo : x;
  x = x > hi ? hi : x;
  return (x + magic) - magic;
#endif
}

// Clamps each lane to [lo, hi] (integers), then rounds half up: floor(x + 1/2), the code
// of an ADC whose thresholds sit half an LSB above each level. Shift-invariant for integer
// shifts (floor(a + x + 1/2) = a + floor(x + 1/2)), which the digital-offset readout relies
// on. The portable form needs |x| <= 2^22.
inline Vec<float> clampRoundHalfUp(Vec<float> x, Vec<float> lo, Vec<float> hi) {
  const Vec<float> half = Vec<float>{} + 0.5f;
#if defined(__AVX512F__)
  const __m512 v = reinterpret_cast<__m512>(x);
  const __m512 a = _mm512_mask_max_ps(v, 0xFFFF, v, reinterpret_cast<__m512>(lo));
  const __m512 c = _mm512_mask_min_ps(a, 0xFFFF, a, reinterpret_cast<__m512>(hi));
  const __m512 y = _mm512_add_ps(c, reinterpret_cast<__m512>(half));
  return reinterpret_cast<Vec<float>>(_mm512_mask_roundscale_ps(y, 0xFFFF, y, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC));
#elif defined(__AVX__)
  const __m256 c = _mm256_min_ps(_mm256_max_ps(reinterpret_cast<__m256>(x), reinterpret_cast<__m256>(lo)),
                                 reinterpret_cast<__m256>(hi));
  return reinterpret_cast<Vec<float>>(_mm256_floor_ps(_mm256_add_ps(c, reinterpret_cast<__m256>(half))));
#else
  const Vec<float> magic = Vec<float>{} + 12582912.0f, one = Vec<float>{} + 1.0f, zero = Vec<float>{};
  x = x < lo ? lo : x;
  x = x > hi ? hi : x;
  const Vec<float> y = x + half;
  const Vec<float> r = (y + magic) - magic;  // nearest, ties to even
  return r - (r > y ? one : zero);           // floor(y)
#endif
}

// Square root of each lane (IEEE, correctly rounded: equal to std::sqrt lane by lane).
inline Vec<float> sqrt(Vec<float> x) {
#if defined(__AVX512F__)
  const __m512 v = reinterpret_cast<__m512>(x);
  return reinterpret_cast<Vec<float>>(_mm512_mask_sqrt_ps(v, 0xFFFF, v));
#elif defined(__AVX__)
  return reinterpret_cast<Vec<float>>(_mm256_sqrt_ps(reinterpret_cast<__m256>(x)));
#elif defined(__SSE2__)
  return reinterpret_cast<Vec<float>>(_mm_sqrt_ps(reinterpret_cast<__m128>(x)));
#else
  for (int e = 0; e < kLanes<float>; ++e) x[e] = __builtin_sqrtf(x[e]);
  return x;
#endif
}

// acc + (a.lo * b.lo + a.hi * b.hi) per 32-bit lane, the halves signed 16-bit integers (exact
// while the sums fit int32): one VNNI instruction (vpdpwssd) on AVX-512 VNNI, a pmaddwd and an
// add elsewhere on x86, a lane loop otherwise.
inline Vec<int> dotPairsI16(Vec<int> acc, Vec<int> a, Vec<int> b) {
#if defined(__AVX512F__) && defined(__AVX512VNNI__)
  return reinterpret_cast<Vec<int>>(_mm512_dpwssd_epi32(reinterpret_cast<__m512i>(acc), reinterpret_cast<__m512i>(a),
                                                        reinterpret_cast<__m512i>(b)));
#elif defined(__AVX512F__) && defined(__AVX512BW__)
  return acc + reinterpret_cast<Vec<int>>(_mm512_madd_epi16(reinterpret_cast<__m512i>(a), reinterpret_cast<__m512i>(b)));
#elif defined(__AVX2__) && !defined(__AVX512F__)
  return acc + reinterpret_cast<Vec<int>>(_mm256_madd_epi16(reinterpret_cast<__m256i>(a), reinterpret_cast<__m256i>(b)));
#elif defined(__SSE2__) && !defined(__AVX__)
  return acc + reinterpret_cast<Vec<int>>(_mm_madd_epi16(reinterpret_cast<__m128i>(a), reinterpret_cast<__m128i>(b)));
#else
  for (int e = 0; e < kLanes<int>; ++e) {
    const int aLo = static_cast<short>(a[e] & 0xFFFF), aHi = a[e] >> 16;
    const int bLo = static_cast<short>(b[e] & 0xFFFF), bHi = b[e] >> 16;
    acc[e] += aLo * bLo + aHi * bHi;
  }
  return acc;
#endif
}

}  // namespace simd
}  // namespace nax
