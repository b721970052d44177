#include "im2col.h"

#include <cstring>

namespace nax {

void im2col(const ConvGeometry& g, const float* image, float* cols) {
  const int oh = g.outH(), ow = g.outW();
  const std::size_t P = static_cast<std::size_t>(oh) * ow;
  std::size_t k = 0;
  for (int c = 0; c < g.channels; ++c) {
    const float* plane = image + static_cast<std::size_t>(c) * g.height * g.width;
    for (int kh = 0; kh < g.kernelH; ++kh) {
      for (int kw = 0; kw < g.kernelW; ++kw, ++k) {
        float* out = cols + k * P;
        for (int y = 0; y < oh; ++y) {
          const int iy = y * g.strideH - g.padTop + kh * g.dilationH;
          float* orow = out + static_cast<std::size_t>(y) * ow;
          if (iy < 0 || iy >= g.height) {
            std::memset(orow, 0, sizeof(float) * ow);
            continue;
          }
          const float* irow = plane + static_cast<std::size_t>(iy) * g.width;
          for (int x = 0; x < ow; ++x) {
            const int ix = x * g.strideW - g.padLeft + kw * g.dilationW;
            orow[x] = (ix >= 0 && ix < g.width) ? irow[ix] : 0.0f;
          }
        }
      }
    }
  }
}

void im2row(const ConvGeometry& g, const float* image, float* rows) {
  const int oh = g.outH(), ow = g.outW();
  const std::size_t K = g.patchSize();
  for (int y = 0; y < oh; ++y) {
    for (int x = 0; x < ow; ++x) {
      float* out = rows + (static_cast<std::size_t>(y) * ow + x) * K;
      std::size_t k = 0;
      for (int c = 0; c < g.channels; ++c) {
        const float* plane = image + static_cast<std::size_t>(c) * g.height * g.width;
        for (int kh = 0; kh < g.kernelH; ++kh) {
          const int iy = y * g.strideH - g.padTop + kh * g.dilationH;
          for (int kw = 0; kw < g.kernelW; ++kw, ++k) {
            const int ix = x * g.strideW - g.padLeft + kw * g.dilationW;
            out[k] = (iy >= 0 && iy < g.height && ix >= 0 && ix < g.width)
                         ? plane[static_cast<std::size_t>(iy) * g.width + ix]
                         : 0.0f;
          }
        }
      }
    }
  }
}

void col2im(const ConvGeometry& g, const float* cols, float* image) {
  const int oh = g.outH(), ow = g.outW();
  const std::size_t P = static_cast<std::size_t>(oh) * ow;
  std::size_t k = 0;
  for (int c = 0; c < g.channels; ++c) {
    float* plane = image + static_cast<std::size_t>(c) * g.height * g.width;
    for (int kh = 0; kh < g.kernelH; ++kh) {
      for (int kw = 0; kw < g.kernelW; ++kw, ++k) {
        const float* in = cols + k * P;
        for (int y = 0; y < oh; ++y) {
          const int iy = y * g.strideH - g.padTop + kh * g.dilationH;
          if (iy < 0 || iy >= g.height) continue;
          float* irow = plane + static_cast<std::size_t>(iy) * g.width;
          const float* crow = in + static_cast<std::size_t>(y) * ow;
          for (int x = 0; x < ow; ++x) {
            const int ix = x * g.strideW - g.padLeft + kw * g.dilationW;
            if (ix >= 0 && ix < g.width) irow[ix] += crow[x];
          }
        }
      }
    }
  }
}

}  // namespace nax
