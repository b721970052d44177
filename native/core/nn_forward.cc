#include "nn_forward.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "error.h"
#include "gemm.h"
#include "im2col.h"
#include "kernel_path.h"
#include "parallel.h"

namespace nax {

namespace {

ConvGeometry groupGeometry(const Conv2dParams& p) {
  ConvGeometry g;
  g.channels = p.inChannels / p.groups;
  g.height = p.height;
  g.width = p.width;
  g.kernelH = p.kernelH;
  g.kernelW = p.kernelW;
  g.padTop = p.padTop;
  g.padLeft = p.padLeft;
  g.padBottom = p.padBottom;
  g.padRight = p.padRight;
  g.strideH = p.strideH;
  g.strideW = p.strideW;
  g.dilationH = p.dilationH;
  g.dilationW = p.dilationW;
  return g;
}

void checkConv(const Conv2dParams& p) {
  auto fail = [](const std::string& m) { throw Error(codes::kInvalidArgument, "conv2d: " + m); };
  if (p.batch < 0 || p.inChannels <= 0 || p.height <= 0 || p.width <= 0 || p.outChannels <= 0) fail("sizes must be positive");
  if (p.groups <= 0 || p.inChannels % p.groups != 0 || p.outChannels % p.groups != 0)
    fail("channels must divide by groups (" + std::to_string(p.groups) + ")");
  if (p.kernelH <= 0 || p.kernelW <= 0 || p.strideH <= 0 || p.strideW <= 0 || p.dilationH <= 0 || p.dilationW <= 0)
    fail("kernel, strides and dilations must be positive");
  if (p.padTop < 0 || p.padLeft < 0 || p.padBottom < 0 || p.padRight < 0) fail("pads must be >= 0");
  if (p.outH() <= 0 || p.outW() <= 0) fail("kernel larger than the padded input");
}

inline float activate(float v, const ActivationParams& a) {
  switch (a.kind) {
    case Activation::kRelu:
      return v < 0.0f ? 0.0f : v;  // NaN stays NaN (onnxruntime's Relu propagates it)
    case Activation::kClip:
      return v < a.clipMin ? a.clipMin : (v > a.clipMax ? a.clipMax : v);
    case Activation::kLeakyRelu:
      return v >= 0.0f ? v : a.alpha * v;
    default:
      return v;
  }
}

// dst[i] = act(src[i] + b) for n values (dst may be src): the conv epilogues' one loop.
void biasActivateRow(const float* src, float* dst, std::size_t n, float b, const ActivationParams& act) {
  switch (act.kind) {
    case Activation::kNone:
      for (std::size_t i = 0; i < n; ++i) dst[i] = src[i] + b;
      break;
    case Activation::kRelu:
      for (std::size_t i = 0; i < n; ++i) dst[i] = std::max(src[i] + b, 0.0f);
      break;
    default:
      for (std::size_t i = 0; i < n; ++i) dst[i] = activate(src[i] + b, act);
  }
}

void biasActivationImage(float* out, std::size_t channels, std::size_t inner, const float* bias,
                         const ActivationParams& act) {
  if (!bias && act.kind == Activation::kNone) return;
  for (std::size_t c = 0; c < channels; ++c)
    biasActivateRow(out + c * inner, out + c * inner, inner, bias ? bias[c] : 0.0f, act);
}

// im2col with contiguous row copies: for each (c, kh, kw) row and output row y, the
// in-bounds output columns form one range [x0, x1) read with stride strideW, so
// stride-1 convs become memcpy plus zero edges (nax::im2col checks every element).
void im2colRows(const ConvGeometry& g, const float* image, float* cols, int yBegin, int yEnd) {
  const int ow = g.outW();
  // Columns of this block: output rows [yBegin, yEnd).
  const std::size_t P = static_cast<std::size_t>(yEnd - yBegin) * ow;
  std::size_t k = 0;
  for (int c = 0; c < g.channels; ++c) {
    const float* plane = image + static_cast<std::size_t>(c) * g.height * g.width;
    for (int kh = 0; kh < g.kernelH; ++kh) {
      for (int kw = 0; kw < g.kernelW; ++kw, ++k) {
        float* out = cols + k * P;
        const int xoff = kw * g.dilationW - g.padLeft;
        // Valid x: 0 <= x*strideW + xoff <= width-1.
        int x0 = xoff >= 0 ? 0 : (-xoff + g.strideW - 1) / g.strideW;
        int x1 = (g.width - 1 - xoff) < 0 ? 0 : (g.width - 1 - xoff) / g.strideW + 1;
        x0 = std::min(x0, ow);
        x1 = std::max(std::min(x1, ow), x0);
        for (int y = yBegin; y < yEnd; ++y) {
          float* orow = out + static_cast<std::size_t>(y - yBegin) * ow;
          const int iy = y * g.strideH - g.padTop + kh * g.dilationH;
          if (iy < 0 || iy >= g.height) {
            std::memset(orow, 0, sizeof(float) * ow);
            continue;
          }
          const float* irow = plane + static_cast<std::size_t>(iy) * g.width + xoff;
          for (int x = 0; x < x0; ++x) orow[x] = 0.0f;
          if (g.strideW == 1) {
            std::memcpy(orow + x0, irow + x0, sizeof(float) * static_cast<std::size_t>(x1 - x0));
          } else {
            for (int x = x0; x < x1; ++x) orow[x] = irow[x * g.strideW];
          }
          for (int x = x1; x < ow; ++x) orow[x] = 0.0f;
        }
      }
    }
  }
}

}  // namespace

int Conv2dParams::outH() const { return groupGeometry(*this).outH(); }
int Conv2dParams::outW() const { return groupGeometry(*this).outW(); }

namespace {

// One depthwise output plane, any kernel/stride/dilation: each tap adds a weighted input row
// segment into the output row (stride-1 segments vectorise), then bias and activation.
void depthwisePlaneRows(const Conv2dParams& p, const float* in, const float* w, float bv, float* out, int oh, int ow) {
  for (int oy = 0; oy < oh; ++oy) {
    float* orow = out + static_cast<std::size_t>(oy) * ow;
    std::memset(orow, 0, sizeof(float) * ow);
    for (int ky = 0; ky < p.kernelH; ++ky) {
      const int iy = oy * p.strideH - p.padTop + ky * p.dilationH;
      if (iy < 0 || iy >= p.height) continue;
      const float* irow = in + static_cast<std::size_t>(iy) * p.width;
      for (int kx = 0; kx < p.kernelW; ++kx) {
        const float wv = w[ky * p.kernelW + kx];
        const int xoff = kx * p.dilationW - p.padLeft;
        // Valid x: 0 <= x*strideW + xoff <= width-1 (as in im2colRows).
        int x0 = xoff >= 0 ? 0 : (-xoff + p.strideW - 1) / p.strideW;
        int x1 = (p.width - 1 - xoff) < 0 ? 0 : (p.width - 1 - xoff) / p.strideW + 1;
        x0 = std::min(x0, ow);
        x1 = std::max(std::min(x1, ow), x0);
        if (p.strideW == 1) {
          const float* src = irow + xoff;
          for (int x = x0; x < x1; ++x) orow[x] += wv * src[x];
        } else {
          for (int x = x0; x < x1; ++x) orow[x] += wv * irow[x * p.strideW + xoff];
        }
      }
    }
    for (int x = 0; x < ow; ++x) orow[x] = activate(orow[x] + bv, p.activation);
  }
}

// K x K, stride S, dilation 1 (MobileNet/EfficientNet/ConvNeXt's 3x3, 5x5, 7x7 at stride 1 or
// 2): interior pixels sum their K*K taps in registers with the tap loops unrolled (the x loop
// vectorises); border pixels check bounds. Every pixel sums its taps in the same (ky, kx) order
// as depthwisePlaneRows, so the two agree to rounding.
template <int K, int S>
void depthwisePlaneFixed(const Conv2dParams& p, const float* in, const float* w, float bv, float* out, int oh, int ow) {
  const int H = p.height, W = p.width;
  float wk[K * K];
  for (int i = 0; i < K * K; ++i) wk[i] = w[i];
  // Output columns whose K taps all lie inside the row: x*S - padLeft >= 0 and x*S - padLeft + K-1 <= W-1.
  int xa = (p.padLeft + S - 1) / S;
  int xb = W - K + p.padLeft < 0 ? 0 : (W - K + p.padLeft) / S + 1;
  xa = std::min(xa, ow);
  xb = std::max(std::min(xb, ow), xa);
  auto checked = [&](int oy, int x) {
    float acc = 0.0f;
    for (int ky = 0; ky < K; ++ky) {
      const int iy = oy * S - p.padTop + ky;
      if (iy < 0 || iy >= H) continue;
      for (int kx = 0; kx < K; ++kx) {
        const int ix = x * S - p.padLeft + kx;
        if (ix >= 0 && ix < W) acc += wk[ky * K + kx] * in[static_cast<std::size_t>(iy) * W + ix];
      }
    }
    return acc;
  };
  for (int oy = 0; oy < oh; ++oy) {
    float* __restrict orow = out + static_cast<std::size_t>(oy) * ow;
    const int iy0 = oy * S - p.padTop;
    if (iy0 < 0 || iy0 + K > H) {
      for (int x = 0; x < ow; ++x) orow[x] = checked(oy, x);
    } else {
      for (int x = 0; x < xa; ++x) orow[x] = checked(oy, x);
      const float* base = in + static_cast<std::size_t>(iy0) * W - p.padLeft;
      for (int x = xa; x < xb; ++x) {
        const float* src = base + x * S;
        float acc = 0.0f;
        for (int ky = 0; ky < K; ++ky)
          for (int kx = 0; kx < K; ++kx) acc += wk[ky * K + kx] * src[static_cast<std::size_t>(ky) * W + kx];
        orow[x] = acc;
      }
      for (int x = xb; x < ow; ++x) orow[x] = checked(oy, x);
    }
    for (int x = 0; x < ow; ++x) orow[x] = activate(orow[x] + bv, p.activation);
  }
}

using DepthwisePlaneFn = void (*)(const Conv2dParams&, const float*, const float*, float, float*, int, int);

DepthwisePlaneFn depthwisePlaneKernel(const Conv2dParams& p) {
  if (p.kernelH != p.kernelW || p.dilationH != 1 || p.dilationW != 1 || p.strideH != p.strideW) return depthwisePlaneRows;
  const int s = p.strideH;
  switch (p.kernelH) {
    case 3:
      return s == 1 ? depthwisePlaneFixed<3, 1> : s == 2 ? depthwisePlaneFixed<3, 2> : depthwisePlaneRows;
    case 5:
      return s == 1 ? depthwisePlaneFixed<5, 1> : s == 2 ? depthwisePlaneFixed<5, 2> : depthwisePlaneRows;
    case 7:
      return s == 1 ? depthwisePlaneFixed<7, 1> : s == 2 ? depthwisePlaneFixed<7, 2> : depthwisePlaneRows;
    default:
      return depthwisePlaneRows;
  }
}

}  // namespace

void depthwiseConv2dForward(const Conv2dParams& p, const float* input, const float* weights, const float* bias,
                            float* output) {
  checkConv(p);
  if (p.inChannels != p.groups) throw Error(codes::kInvalidArgument, "depthwise conv2d: inChannels must equal groups");
  const int oh = p.outH(), ow = p.outW();
  const std::size_t HW = static_cast<std::size_t>(p.height) * p.width;
  const std::size_t P = static_cast<std::size_t>(oh) * ow;
  const std::size_t M = static_cast<std::size_t>(p.outChannels), C = static_cast<std::size_t>(p.inChannels);
  const std::size_t multiplier = M / C;
  const std::size_t taps = static_cast<std::size_t>(p.kernelH) * p.kernelW;
  const std::size_t planes = static_cast<std::size_t>(p.batch) * M;
  const DepthwisePlaneFn plane = depthwisePlaneKernel(p);
  parallelFor(planes, resolveThreads(p.threads), [&](std::size_t c0, std::size_t c1, int) {
    for (std::size_t q = c0; q < c1; ++q) {
      const std::size_t b = q / M, m = q % M;
      plane(p, input + (b * C + m / multiplier) * HW, weights + m * taps, bias ? bias[m] : 0.0f, output + q * P, oh, ow);
    }
  });
}

void convTransposeScatter(const ConvTransposeParams& p, int group, const float* rows, float* output) {
  if (p.batch < 0 || p.inChannels <= 0 || p.height <= 0 || p.width <= 0 || p.outChannels <= 0 || p.groups <= 0 ||
      p.outH <= 0 || p.outW <= 0 || p.kernelH <= 0 || p.kernelW <= 0 || p.strideH <= 0 || p.strideW <= 0 ||
      p.dilationH <= 0 || p.dilationW <= 0)
    throw Error(codes::kInvalidArgument, "convTransposeScatter: sizes, kernel, strides and dilations must be positive");
  if (p.outChannels % p.groups != 0 || group < 0 || group >= p.groups)
    throw Error(codes::kInvalidArgument, "convTransposeScatter: outChannels must divide by groups and group lie in [0, groups)");
  const std::size_t Mg = static_cast<std::size_t>(p.outChannels / p.groups);
  const std::size_t taps = static_cast<std::size_t>(p.kernelH) * p.kernelW;
  const std::size_t n = Mg * taps;
  const std::size_t P = static_cast<std::size_t>(p.height) * p.width;
  const std::size_t OP = static_cast<std::size_t>(p.outH) * p.outW;
  const std::size_t planes = static_cast<std::size_t>(p.batch) * Mg;
  // One (image, output channel) plane per task: no two tasks write the same element.
  parallelFor(planes, resolveThreads(p.threads), [&](std::size_t c0, std::size_t c1, int) {
    for (std::size_t plane = c0; plane < c1; ++plane) {
      const std::size_t b = plane / Mg, c = plane % Mg;
      float* out = output + (b * p.outChannels + static_cast<std::size_t>(group) * Mg + c) * OP;
      const float* src = rows + b * P * n + c * taps;
      for (int iy = 0; iy < p.height; ++iy)
        for (int ix = 0; ix < p.width; ++ix) {
          const float* r = src + (static_cast<std::size_t>(iy) * p.width + ix) * n;
          for (int ky = 0; ky < p.kernelH; ++ky) {
            const int y = iy * p.strideH - p.padTop + ky * p.dilationH;
            if (y < 0 || y >= p.outH) continue;
            float* orow = out + static_cast<std::size_t>(y) * p.outW;
            for (int kx = 0; kx < p.kernelW; ++kx) {
              const int x = ix * p.strideW - p.padLeft + kx * p.dilationW;
              if (x >= 0 && x < p.outW) orow[x] += r[ky * p.kernelW + kx];
            }
          }
        }
    }
  });
}

namespace {

// Implicit GEMM for stride-1 convs, the training forward's method (train_conv.cc; Chetlur et al.,
// "cuDNN: efficient primitives for deep learning", 2014, sec. 3.1) on NCHW images: each image's
// group of channels is copied once into zero-padded planes of Hp x Wp, row (c, kh, kw) of the
// column matrix is that buffer shifted by c*Hp*Wp + kh*dH*Wp + kw*dW, read in place by the GEMM
// over "wide" output rows of Wp columns, and the epilogue drops the Wp - OW extra columns while it
// adds the bias and applies the activation. im2col + sgemm on the same layers spent as long on
// the copies as on the products (ResNet-20, batch 64: 146 ms of convs against onnxruntime's 31 ms
// for the whole network).
bool implicitForward(const Conv2dParams& p) {
  if (baselineKernels() || p.strideH != 1 || p.strideW != 1) return false;
  const bool unpadded1x1 = p.kernelH == 1 && p.kernelW == 1 && p.padTop == 0 && p.padLeft == 0 && p.padBottom == 0 &&
                           p.padRight == 0;
  if (unpadded1x1) return false;  // already a plain GEMM on the image plane
  const int wp = p.width + p.padLeft + p.padRight;
  // The wide rows waste Wp / OW of the work: worth it up to half as much again (im2col costs
  // about as much as the GEMM it feeds).
  return 2 * wp <= 3 * p.outW();
}

void implicitConv2dForward(const Conv2dParams& p, const float* input, const float* weights, const float* bias,
                           float* output, int threads) {
  const int G = p.groups;
  const std::size_t Cg = static_cast<std::size_t>(p.inChannels / G), Mg = static_cast<std::size_t>(p.outChannels / G);
  const std::size_t C = static_cast<std::size_t>(p.inChannels), M = static_cast<std::size_t>(p.outChannels);
  const std::size_t H = static_cast<std::size_t>(p.height), W = static_cast<std::size_t>(p.width);
  const std::size_t hp = H + p.padTop + p.padBottom, wp = W + p.padLeft + p.padRight, plane = hp * wp;
  const std::size_t oh = static_cast<std::size_t>(p.outH()), ow = static_cast<std::size_t>(p.outW());
  const std::size_t K = Cg * p.kernelH * p.kernelW, wideN = oh * wp, P = oh * ow;
  std::vector<std::ptrdiff_t> rows(K);
  for (std::size_t c = 0, r = 0; c < Cg; ++c)
    for (int kh = 0; kh < p.kernelH; ++kh)
      for (int kw = 0; kw < p.kernelW; ++kw, ++r)
        rows[r] = static_cast<std::ptrdiff_t>(c * plane + static_cast<std::size_t>(kh) * p.dilationH * wp +
                                              static_cast<std::size_t>(kw) * p.dilationW);
  // The last wide row's dropped columns read up to (kW - 1) * dW values past the last plane.
  const std::size_t padSize = Cg * plane + static_cast<std::size_t>(p.kernelW) * p.dilationW;
  const std::size_t wideSize = Mg * wideN;
  auto image = [&](std::size_t b, float* padded, float* wide, int gemmThreads) {
    for (int g = 0; g < G; ++g) {
      const float* in = input + (b * C + g * Cg) * H * W;
      for (std::size_t c = 0; c < Cg; ++c) {
        float* dst = padded + c * plane + p.padTop * wp + p.padLeft;
        for (std::size_t y = 0; y < H; ++y) std::memcpy(dst + y * wp, in + (c * H + y) * W, sizeof(float) * W);
      }
      sgemmTableB(false, Mg, wideN, K, 1.0f, weights + g * Mg * K, K, padded, rows.data(), 0.0f, wide, wideN,
                  gemmThreads);
      float* out = output + (b * M + g * Mg) * P;
      for (std::size_t m = 0; m < Mg; ++m) {
        const float bm = bias ? bias[g * Mg + m] : 0.0f;
        for (std::size_t y = 0; y < oh; ++y)
          biasActivateRow(wide + m * wideN + y * wp, out + m * P + y * ow, ow, bm, p.activation);
      }
    }
  };
  const std::size_t batch = static_cast<std::size_t>(p.batch);
  // Borders stay zero: only the interior is rewritten per image and group.
  auto buffer = [&]() { return std::vector<float>(padSize + wideSize, 0.0f); };
  if (batch >= static_cast<std::size_t>(threads)) {
    // One image per worker at a time: each output element computed the same way for any threads.
    parallelFor(batch, threads, [&](std::size_t b0, std::size_t b1, int) {
      std::vector<float> buf = buffer();
      for (std::size_t b = b0; b < b1; ++b) image(b, buf.data(), buf.data() + padSize, 1);
    });
  } else {
    std::vector<float> buf = buffer();
    for (std::size_t b = 0; b < batch; ++b) image(b, buf.data(), buf.data() + padSize, threads);
  }
}

}  // namespace

void conv2dForward(const Conv2dParams& p, const float* input, const float* weights, const float* bias, float* output) {
  checkConv(p);
  if (p.depthwiseKernel && p.groups == p.inChannels && p.groups > 1) {
    depthwiseConv2dForward(p, input, weights, bias, output);
    return;
  }
  if (implicitForward(p)) {
    implicitConv2dForward(p, input, weights, bias, output, resolveThreads(p.threads));
    return;
  }
  const ConvGeometry geom = groupGeometry(p);
  const int G = p.groups;
  const std::size_t Cg = static_cast<std::size_t>(p.inChannels / G), Mg = static_cast<std::size_t>(p.outChannels / G);
  const std::size_t P = geom.outPixels(), K = geom.patchSize();
  const std::size_t HW = static_cast<std::size_t>(p.height) * p.width;
  const std::size_t M = static_cast<std::size_t>(p.outChannels), C = static_cast<std::size_t>(p.inChannels);
  // A 1x1, stride-1, unpadded conv reads the image plane directly as its K x P matrix.
  const bool direct = p.kernelH == 1 && p.kernelW == 1 && p.strideH == 1 && p.strideW == 1 && p.padTop == 0 &&
                      p.padLeft == 0 && p.padBottom == 0 && p.padRight == 0;
  const int threads = resolveThreads(p.threads);
  const int oh = geom.outH(), ow = geom.outW();
  // Column blocks of whole output rows sized to stay in L2 (~192 KB of im2col data), so the
  // im2col writes are still cached when sgemm packs them.
  const int rowsPerBlock = direct ? oh : std::max(1, std::min(oh, static_cast<int>((48 * 1024) / std::max<std::size_t>(1, K * ow))));
  auto image = [&](std::size_t b, float* cols, int gemmThreads) {
    for (int g = 0; g < G; ++g) {
      const float* in = input + (b * C + g * Cg) * HW;
      float* out = output + (b * M + g * Mg) * P;
      if (direct) {
        sgemm(false, false, Mg, P, K, 1.0f, weights + g * Mg * K, K, in, P, 0.0f, out, P, gemmThreads);
        continue;
      }
      for (int y0 = 0; y0 < oh; y0 += rowsPerBlock) {
        const int y1 = std::min(oh, y0 + rowsPerBlock);
        const std::size_t cols_n = static_cast<std::size_t>(y1 - y0) * ow;
        im2colRows(geom, in, cols, y0, y1);
        sgemm(false, false, Mg, cols_n, K, 1.0f, weights + g * Mg * K, K, cols, cols_n, 0.0f,
              out + static_cast<std::size_t>(y0) * ow, P, gemmThreads);
      }
    }
    biasActivationImage(output + b * M * P, M, P, bias, p.activation);
  };
  const std::size_t colsSize = direct ? 0 : K * static_cast<std::size_t>(rowsPerBlock) * ow;
  const std::size_t batch = static_cast<std::size_t>(p.batch);
  if (batch >= static_cast<std::size_t>(threads)) {
    // One image per worker at a time: no contention, each output element computed the same way.
    parallelFor(batch, threads, [&](std::size_t b0, std::size_t b1, int) {
      std::vector<float> cols(colsSize);
      for (std::size_t b = b0; b < b1; ++b) image(b, cols.data(), 1);
    });
  } else {
    std::vector<float> cols(colsSize);
    for (std::size_t b = 0; b < batch; ++b) image(b, cols.data(), threads);
  }
}

void pool2dForward(const Pool2dParams& p, const float* input, float* output) {
  if (p.batch < 0 || p.channels <= 0 || p.height <= 0 || p.width <= 0 || p.outH <= 0 || p.outW <= 0 ||
      p.kernelH <= 0 || p.kernelW <= 0 || p.strideH <= 0 || p.strideW <= 0 || p.dilationH <= 0 || p.dilationW <= 0)
    throw Error(codes::kInvalidArgument, "pool2d: sizes, kernel, strides and dilations must be positive");
  const std::size_t planes = static_cast<std::size_t>(p.batch) * p.channels;
  const std::size_t HW = static_cast<std::size_t>(p.height) * p.width;
  const std::size_t OP = static_cast<std::size_t>(p.outH) * p.outW;
  parallelFor(planes, resolveThreads(p.threads), [&](std::size_t c0, std::size_t c1, int) {
    for (std::size_t c = c0; c < c1; ++c) {
      const float* in = input + c * HW;
      float* out = output + c * OP;
      for (int oy = 0; oy < p.outH; ++oy) {
        const int y0 = oy * p.strideH - p.padTop;
        for (int ox = 0; ox < p.outW; ++ox) {
          const int x0 = ox * p.strideW - p.padLeft;
          if (p.isMax) {
            float m = -std::numeric_limits<float>::infinity();
            for (int ky = 0; ky < p.kernelH; ++ky) {
              const int y = y0 + ky * p.dilationH;
              if (y < 0 || y >= p.height) continue;
              for (int kx = 0; kx < p.kernelW; ++kx) {
                const int x = x0 + kx * p.dilationW;
                if (x < 0 || x >= p.width) continue;
                // A NaN tap makes the window NaN, as onnxruntime's MaxPool does (std::max would drop it).
                const float v = in[static_cast<std::size_t>(y) * p.width + x];
                if (v > m || v != v) m = v;
              }
            }
            out[static_cast<std::size_t>(oy) * p.outW + ox] = m;
          } else {
            float sum = 0.0f;
            int valid = 0, padded = 0;
            for (int ky = 0; ky < p.kernelH; ++ky) {
              const int y = y0 + ky * p.dilationH;
              // Taps inside the explicitly padded input count when count_include_pad is set;
              // taps past the padding (ceil_mode overhang) never count (ONNX/ORT semantics).
              const bool yPadded = y >= -p.padTop && y < p.height + p.padBottom;
              for (int kx = 0; kx < p.kernelW; ++kx) {
                const int x = x0 + kx * p.dilationW;
                const bool xPadded = x >= -p.padLeft && x < p.width + p.padRight;
                if (yPadded && xPadded) ++padded;
                if (y < 0 || y >= p.height || x < 0 || x >= p.width) continue;
                sum += in[static_cast<std::size_t>(y) * p.width + x];
                ++valid;
              }
            }
            const int div = p.countIncludePad ? padded : valid;
            out[static_cast<std::size_t>(oy) * p.outW + ox] = div > 0 ? sum / static_cast<float>(div) : 0.0f;
          }
        }
      }
    }
  });
}

void globalAveragePool(std::size_t planes, std::size_t spatial, const float* input, float* output, int threads) {
  parallelFor(planes, resolveThreads(threads), [&](std::size_t c0, std::size_t c1, int) {
    for (std::size_t c = c0; c < c1; ++c) {
      const float* in = input + c * spatial;
      double sum = 0.0;
      for (std::size_t i = 0; i < spatial; ++i) sum += in[i];
      output[c] = static_cast<float>(sum / static_cast<double>(spatial));
    }
  });
}

void batchedMatmul(std::size_t batch, std::size_t m, std::size_t n, std::size_t k, const float* a,
                   const std::int64_t* aOffsets, const float* b, const std::int64_t* bOffsets, float* out,
                   int threads) {
  const int t = resolveThreads(threads);
  if (batch >= static_cast<std::size_t>(t)) {
    parallelFor(batch, t, [&](std::size_t i0, std::size_t i1, int) {
      for (std::size_t i = i0; i < i1; ++i)
        sgemm(false, false, m, n, k, 1.0f, a + aOffsets[i], k, b + bOffsets[i], n, 0.0f, out + i * m * n, n, 1);
    });
  } else {
    for (std::size_t i = 0; i < batch; ++i)
      sgemm(false, false, m, n, k, 1.0f, a + aOffsets[i], k, b + bOffsets[i], n, 0.0f, out + i * m * n, n, t);
  }
}

void biasActivation(float* data, std::size_t batch, std::size_t channels, std::size_t inner, const float* bias,
                    const ActivationParams& act, int threads) {
  parallelFor(batch, resolveThreads(threads), [&](std::size_t b0, std::size_t b1, int) {
    for (std::size_t b = b0; b < b1; ++b) biasActivationImage(data + b * channels * inner, channels, inner, bias, act);
  });
}

void im2rowBatch(const Conv2dParams& p, int group, const float* input, float* rows) {
  checkConv(p);
  if (group < 0 || group >= p.groups) throw Error(codes::kOutOfRange, "im2rowBatch: group out of range");
  const ConvGeometry geom = groupGeometry(p);
  const std::size_t P = geom.outPixels(), K = geom.patchSize();
  const std::size_t HW = static_cast<std::size_t>(p.height) * p.width;
  const std::size_t Cg = static_cast<std::size_t>(p.inChannels / p.groups);
  parallelFor(static_cast<std::size_t>(p.batch), resolveThreads(p.threads), [&](std::size_t b0, std::size_t b1, int) {
    for (std::size_t b = b0; b < b1; ++b)
      im2row(geom, input + (b * p.inChannels + group * Cg) * HW, rows + b * P * K);
  });
}

void scatterRows(std::size_t batch, std::size_t pixels, std::size_t n, std::size_t outChannels, int group,
                 const float* rows, const float* bias, const ActivationParams& act, float* output, int threads) {
  parallelFor(batch, resolveThreads(threads), [&](std::size_t b0, std::size_t b1, int) {
    for (std::size_t b = b0; b < b1; ++b) {
      const float* src = rows + b * pixels * n;
      for (std::size_t j = 0; j < n; ++j) {
        const std::size_t ch = static_cast<std::size_t>(group) * n + j;
        float* dst = output + (b * outChannels + ch) * pixels;
        const float bv = bias ? bias[ch] : 0.0f;
        for (std::size_t q = 0; q < pixels; ++q) dst[q] = activate(src[q * n + j] + bv, act);
      }
    }
  });
}

void elementwiseSame(int op, const float* a, const float* b, float* out, std::size_t n, bool relu, int threads) {
  if (op < 0 || op > 2) throw Error(codes::kInvalidArgument, "elementwise: op must be 0 (add), 1 (sub) or 2 (mul)");
  // Chunks of at least 64K elements: smaller tensors are not worth a thread.
  const std::size_t chunks = std::max<std::size_t>(1, std::min<std::size_t>(static_cast<std::size_t>(resolveThreads(threads)), n / 65536));
  parallelFor(chunks, static_cast<int>(chunks), [&](std::size_t c0, std::size_t c1, int) {
    const std::size_t i0 = n * c0 / chunks, i1 = n * c1 / chunks;
    for (std::size_t i = i0; i < i1; ++i) {
      float v = op == 0 ? a[i] + b[i] : op == 1 ? a[i] - b[i] : a[i] * b[i];
      out[i] = relu && v < 0.0f ? 0.0f : v;
    }
  });
}

}  // namespace nax
