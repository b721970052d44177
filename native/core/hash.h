// The counter-based hashes every seeded draw starts from, written once for the CPU core (rng.h,
// crossbar_noise.h's vector lanes) and the CUDA kernels (native/cuda/crossbar_math.h): a
// result must be bit for bit the same on both, so neither keeps its own copy. Plain C++ that
// nvcc compiles as host and device code.
#pragma once
#include <stdint.h>

#if defined(__CUDACC__)
#define NAX_HASH_FN __host__ __device__ __forceinline__
#else
#define NAX_HASH_FN inline
#endif

namespace nax_hash {

// splitmix64's finaliser (Steele, Lea and Flood 2014).
NAX_HASH_FN uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// Hash of a seed and three stream/counter words.
NAX_HASH_FN uint64_t hashKey(uint64_t seed, uint64_t a, uint64_t b, uint64_t c) {
  uint64_t h = splitmix64(seed ^ 0x6A09E667F3BCC909ull);
  h = splitmix64(h ^ a);
  h = splitmix64(h ^ (b + 0x3C6EF372FE94F82Bull));
  return splitmix64(h ^ (c + 0xA54FF53A5F1D36F1ull));
}

// MurmurHash3's 32-bit finaliser (fmix32) without its final xorshift, for a uint32_t or a GCC
// vector of them (one lane each). That last step (h ^= h >> 16) leaves bits 16-31 as they are,
// so the upper 16 bits are fmix32's and only the lower 16 are less mixed. The read-noise normals
// take their sign, binade and the top of their mantissa from the upper bits, so only a normal's
// last few mantissa bits (below 2^-16 of its tail probability) see the difference; two vector
// operations fewer per 16 draws.
template <typename U>
NAX_HASH_FN U fmix32High(U h) {
  h ^= h >> 16;
  h *= 0x85EBCA6Bu;
  h ^= h >> 13;
  h *= 0xC2B2AE35u;
  return h;
}

}  // namespace nax_hash
