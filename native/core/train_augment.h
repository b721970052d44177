// CIFAR-style augmentation: random crop from a zero-padded image and random
// horizontal flip. Every choice is a pure function of (seed, step, sample),
// so a resumed run draws exactly what an uninterrupted one would.
#pragma once
#include <cstdint>

namespace nax {
namespace train {

struct AugmentOptions {
  int pad = 0;        // crop offsets drawn from [-pad, pad] per axis
  bool flip = false;  // mirror with probability 1/2
  std::uint64_t seed = 0, step = 0;
};

// in/out: n x c x h x w (NCHW), out may not alias in.
template <typename T>
void augmentBatch(const AugmentOptions& o, int n, int c, int h, int w, const T* in, T* out, int threads);

}  // namespace train
}  // namespace nax
