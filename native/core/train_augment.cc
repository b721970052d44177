#include "train_augment.h"

#include <cstddef>

#include "parallel.h"
#include "rng.h"

namespace nax {
namespace train {

template <typename T>
void augmentBatch(const AugmentOptions& o, int n, int c, int h, int w, const T* in, T* out, int threads) {
  const std::size_t imageSize = static_cast<std::size_t>(c) * h * w;
  parallelFor(static_cast<std::size_t>(n), threads, [&](std::size_t s0, std::size_t s1, int) {
    for (std::size_t s = s0; s < s1; ++s) {
      const std::uint64_t key = hashKey(o.seed, o.step, s, 0xA06u);
      const int span = 2 * o.pad + 1;
      const int dy = o.pad ? static_cast<int>(key % span) - o.pad : 0;
      const int dx = o.pad ? static_cast<int>((key >> 16) % span) - o.pad : 0;
      const bool flip = o.flip && ((key >> 40) & 1u);
      const T* src = in + s * imageSize;
      T* dst = out + s * imageSize;
      for (int ch = 0; ch < c; ++ch) {
        for (int y = 0; y < h; ++y) {
          const int sy = y + dy;
          for (int x = 0; x < w; ++x) {
            const int sx = (flip ? w - 1 - x : x) + dx;
            const bool inside = sy >= 0 && sy < h && sx >= 0 && sx < w;
            dst[(static_cast<std::size_t>(ch) * h + y) * w + x] =
                inside ? src[(static_cast<std::size_t>(ch) * h + sy) * w + sx] : T(0);
          }
        }
      }
    }
  });
}

template void augmentBatch<float>(const AugmentOptions&, int, int, int, int, const float*, float*, int);
template void augmentBatch<double>(const AugmentOptions&, int, int, int, int, const double*, double*, int);

}  // namespace train
}  // namespace nax
