// Counter-based random numbers: every draw is a pure function of
// (seed, stream, counter), so results never depend on thread count or order.
#pragma once
#include <cmath>
#include <cstdint>

#include "hash.h"

namespace nax {

using nax_hash::splitmix64;

// Hash of a seed and up to three stream/counter words (hash.h, shared with the CUDA kernels).
inline std::uint64_t hashKey(std::uint64_t seed, std::uint64_t a, std::uint64_t b = 0, std::uint64_t c = 0) {
  return nax_hash::hashKey(seed, a, b, c);
}

// Uniform in (0, 1]: never 0 (so log(u) is finite). The top 53 bits plus a
// half are rounded to double, so the largest key (probability 2^-53) gives
// exactly 1; every use tolerates that (u < p, log(1) = 0, cos(2 pi) = 1), and
// changing the formula would change every seeded result.
inline double uniformOpen(std::uint64_t bits) {
  return (static_cast<double>(bits >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}

// Standard normal from one 64-bit key (Box-Muller on two derived uniforms).
inline double standardNormal(std::uint64_t key) {
  double u1 = uniformOpen(splitmix64(key));
  double u2 = uniformOpen(splitmix64(key ^ 0xD1B54A32D192ED03ull));
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586476925 * u2);
}

// A small sequential generator for places that draw many numbers in a fixed
// order on one thread (weight init, shuffles).
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : state_(splitmix64(seed)) {}
  std::uint64_t next() { return splitmix64(state_ += 0x9E3779B97F4A7C15ull); }
  double uniform() { return uniformOpen(next()); }
  double normal() { return standardNormal(next()); }

 private:
  std::uint64_t state_;
};

}  // namespace nax
