#include "train_pool.h"

#include <algorithm>
#include <limits>

#include "parallel.h"

namespace nax {
namespace train {

// All loops split over (channel, sample) planes, which never share outputs.

// Input rows [y0, y1) and columns [x0, x1) of average-pool output (oy, ox),
// clipped to the image: forward and backward divide by the same count (padding excluded).
struct AvgWindow {
  int y0, y1, x0, x1;
  int count() const { return std::max(1, (y1 - y0) * (x1 - x0)); }
};
inline AvgWindow avgWindow(const PoolShape& ps, const Shape& in, int oy, int ox) {
  return {std::max(0, oy * ps.stride - ps.pad), std::min(in.h, oy * ps.stride - ps.pad + ps.kernel),
          std::max(0, ox * ps.stride - ps.pad), std::min(in.w, ox * ps.stride - ps.pad + ps.kernel)};
}

template <typename T>
void maxPoolForward(const PoolShape& ps, const Shape& in, const T* x, T* y, std::int32_t* argmax, int threads) {
  const int oh = ps.outH(in.h), ow = ps.outW(in.w);
  const std::size_t planes = static_cast<std::size_t>(in.c) * in.n, outPlane = static_cast<std::size_t>(oh) * ow;
  parallelFor(planes, threads, [&](std::size_t p0, std::size_t p1, int) {
    for (std::size_t p = p0; p < p1; ++p) {
      const T* xp = x + p * in.plane();
      for (int oy = 0; oy < oh; ++oy) {
        for (int ox = 0; ox < ow; ++ox) {
          T best = -std::numeric_limits<T>::infinity();
          std::int32_t at = -1;
          for (int ky = 0; ky < ps.kernel; ++ky) {
            const int iy = oy * ps.stride - ps.pad + ky;
            if (iy < 0 || iy >= in.h) continue;
            for (int kx = 0; kx < ps.kernel; ++kx) {
              const int ix = ox * ps.stride - ps.pad + kx;
              if (ix < 0 || ix >= in.w) continue;
              const T v = xp[iy * in.w + ix];
              if (at < 0 || v > best) {
                best = v;
                at = iy * in.w + ix;
              }
            }
          }
          y[p * outPlane + oy * ow + ox] = best;
          argmax[p * outPlane + oy * ow + ox] = at;
        }
      }
    }
  });
}

template <typename T>
void maxPoolBackward(const PoolShape& ps, const Shape& in, const std::int32_t* argmax, const T* dy, T* dx,
                     int threads) {
  const std::size_t planes = static_cast<std::size_t>(in.c) * in.n;
  const std::size_t outPlane = static_cast<std::size_t>(ps.outH(in.h)) * ps.outW(in.w);
  parallelFor(planes, threads, [&](std::size_t p0, std::size_t p1, int) {
    for (std::size_t p = p0; p < p1; ++p) {
      T* dxp = dx + p * in.plane();
      for (std::size_t o = 0; o < outPlane; ++o) {
        const std::int32_t at = argmax[p * outPlane + o];
        if (at >= 0) dxp[at] += dy[p * outPlane + o];
      }
    }
  });
}

template <typename T>
void avgPoolForward(const PoolShape& ps, const Shape& in, const T* x, T* y, int threads) {
  const int oh = ps.outH(in.h), ow = ps.outW(in.w);
  const std::size_t planes = static_cast<std::size_t>(in.c) * in.n, outPlane = static_cast<std::size_t>(oh) * ow;
  parallelFor(planes, threads, [&](std::size_t p0, std::size_t p1, int) {
    for (std::size_t p = p0; p < p1; ++p) {
      const T* xp = x + p * in.plane();
      for (int oy = 0; oy < oh; ++oy) {
        for (int ox = 0; ox < ow; ++ox) {
          const AvgWindow win = avgWindow(ps, in, oy, ox);
          T sum = 0;
          for (int iy = win.y0; iy < win.y1; ++iy)
            for (int ix = win.x0; ix < win.x1; ++ix) sum += xp[iy * in.w + ix];
          y[p * outPlane + oy * ow + ox] = sum / static_cast<T>(win.count());
        }
      }
    }
  });
}

template <typename T>
void avgPoolBackward(const PoolShape& ps, const Shape& in, const T* dy, T* dx, int threads) {
  const int oh = ps.outH(in.h), ow = ps.outW(in.w);
  const std::size_t planes = static_cast<std::size_t>(in.c) * in.n, outPlane = static_cast<std::size_t>(oh) * ow;
  parallelFor(planes, threads, [&](std::size_t p0, std::size_t p1, int) {
    for (std::size_t p = p0; p < p1; ++p) {
      T* dxp = dx + p * in.plane();
      for (int oy = 0; oy < oh; ++oy) {
        for (int ox = 0; ox < ow; ++ox) {
          const AvgWindow win = avgWindow(ps, in, oy, ox);
          const T g = dy[p * outPlane + oy * ow + ox] / static_cast<T>(win.count());
          for (int iy = win.y0; iy < win.y1; ++iy)
            for (int ix = win.x0; ix < win.x1; ++ix) dxp[iy * in.w + ix] += g;
        }
      }
    }
  });
}

template <typename T>
void globalAvgPoolForward(const Shape& in, const T* x, T* y, int threads) {
  const std::size_t planes = static_cast<std::size_t>(in.c) * in.n, P = in.plane();
  parallelFor(planes, threads, [&](std::size_t p0, std::size_t p1, int) {
    for (std::size_t p = p0; p < p1; ++p) {
      double sum = 0;
      for (std::size_t i = 0; i < P; ++i) sum += x[p * P + i];
      y[p] = static_cast<T>(sum / P);
    }
  });
}

template <typename T>
void globalAvgPoolBackward(const Shape& in, const T* dy, T* dx, int threads) {
  const std::size_t planes = static_cast<std::size_t>(in.c) * in.n, P = in.plane();
  parallelFor(planes, threads, [&](std::size_t p0, std::size_t p1, int) {
    for (std::size_t p = p0; p < p1; ++p) {
      const T g = dy[p] / static_cast<T>(P);
      for (std::size_t i = 0; i < P; ++i) dx[p * P + i] += g;
    }
  });
}

#define NAX_INSTANTIATE(T)                                                                                   \
  template void maxPoolForward<T>(const PoolShape&, const Shape&, const T*, T*, std::int32_t*, int);         \
  template void maxPoolBackward<T>(const PoolShape&, const Shape&, const std::int32_t*, const T*, T*, int); \
  template void avgPoolForward<T>(const PoolShape&, const Shape&, const T*, T*, int);                        \
  template void avgPoolBackward<T>(const PoolShape&, const Shape&, const T*, T*, int);                       \
  template void globalAvgPoolForward<T>(const Shape&, const T*, T*, int);                                    \
  template void globalAvgPoolBackward<T>(const Shape&, const T*, T*, int);
NAX_INSTANTIATE(float)
NAX_INSTANTIATE(double)
#undef NAX_INSTANTIATE

}  // namespace train
}  // namespace nax
