// Inference kernels added for issue 17 against naive loops in double: the direct depthwise
// kernel (channel multipliers, strides, dilations, asymmetric pads, fused bias and activation)
// also against the generic im2col + sgemm path and bit-identical for 1, 2 and 4 threads; the
// ConvTranspose scatter (col2im from pixel-major MVM rows) against the ConvTranspose definition.
#include <cmath>
#include <cstdint>
#include <vector>

#include "check.h"
#include "nn_forward.h"
#include "rng.h"

namespace {

std::vector<float> randomValues(std::size_t count, std::uint64_t seed) {
  nax::Rng rng(seed);
  std::vector<float> v(count);
  for (float& x : v) x = static_cast<float>(2 * rng.uniform() - 1);
  return v;
}

struct DwCase {
  int channels, multiplier, height, width, kh, kw, sh, sw, dh, dw, pt, pl, pb, pr;
  nax::Activation act;
};

const DwCase kDwCases[] = {
    {8, 1, 9, 11, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, nax::Activation::kNone},
    {6, 2, 12, 10, 5, 5, 2, 2, 1, 1, 2, 1, 2, 3, nax::Activation::kRelu},
    {4, 1, 15, 15, 7, 7, 1, 1, 1, 1, 3, 3, 3, 3, nax::Activation::kClip},
    {5, 1, 13, 9, 3, 1, 2, 3, 2, 1, 0, 2, 1, 0, nax::Activation::kLeakyRelu},
    {3, 3, 4, 4, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, nax::Activation::kNone},
};

nax::Conv2dParams paramsOf(const DwCase& c, int batch) {
  nax::Conv2dParams p;
  p.batch = batch;
  p.inChannels = c.channels;
  p.height = c.height;
  p.width = c.width;
  p.outChannels = c.channels * c.multiplier;
  p.groups = c.channels;
  p.kernelH = c.kh;
  p.kernelW = c.kw;
  p.strideH = c.sh;
  p.strideW = c.sw;
  p.dilationH = c.dh;
  p.dilationW = c.dw;
  p.padTop = c.pt;
  p.padLeft = c.pl;
  p.padBottom = c.pb;
  p.padRight = c.pr;
  p.activation.kind = c.act;
  p.activation.clipMin = -0.5f;
  p.activation.clipMax = 0.5f;
  p.activation.alpha = 0.1f;
  return p;
}

double activate(double v, const nax::ActivationParams& a) {
  switch (a.kind) {
    case nax::Activation::kRelu:
      return v > 0 ? v : 0;
    case nax::Activation::kClip:
      return v < a.clipMin ? a.clipMin : v > a.clipMax ? a.clipMax : v;
    case nax::Activation::kLeakyRelu:
      return v >= 0 ? v : a.alpha * v;
    default:
      return v;
  }
}

TEST_CASE("direct depthwise kernel equals a naive loop and the generic path, identical for any thread count") {
  const int batch = 2;
  for (const DwCase& c : kDwCases) {
    nax::Conv2dParams p = paramsOf(c, batch);
    const int oh = p.outH(), ow = p.outW(), M = p.outChannels;
    const auto input = randomValues(static_cast<std::size_t>(batch) * c.channels * c.height * c.width, 1);
    const auto weights = randomValues(static_cast<std::size_t>(M) * c.kh * c.kw, 2);
    const auto bias = randomValues(M, 3);
    const std::size_t outLen = static_cast<std::size_t>(batch) * M * oh * ow;
    std::vector<float> direct1(outLen), direct4(outLen), generic(outLen);
    p.threads = 1;
    nax::conv2dForward(p, input.data(), weights.data(), bias.data(), direct1.data());
    p.threads = 4;
    nax::conv2dForward(p, input.data(), weights.data(), bias.data(), direct4.data());
    p.depthwiseKernel = false;
    nax::conv2dForward(p, input.data(), weights.data(), bias.data(), generic.data());
    CHECK(direct1 == direct4);
    double maxErr = 0, maxGeneric = 0;
    for (int b = 0; b < batch; ++b)
      for (int m = 0; m < M; ++m)
        for (int y = 0; y < oh; ++y)
          for (int x = 0; x < ow; ++x) {
            double sum = bias[m];
            const int ic = m / c.multiplier;
            for (int ky = 0; ky < c.kh; ++ky)
              for (int kx = 0; kx < c.kw; ++kx) {
                const int iy = y * c.sh - c.pt + ky * c.dh, ix = x * c.sw - c.pl + kx * c.dw;
                if (iy < 0 || iy >= c.height || ix < 0 || ix >= c.width) continue;
                sum += static_cast<double>(weights[(static_cast<std::size_t>(m) * c.kh + ky) * c.kw + kx]) *
                       input[((static_cast<std::size_t>(b) * c.channels + ic) * c.height + iy) * c.width + ix];
              }
            const std::size_t i = ((static_cast<std::size_t>(b) * M + m) * oh + y) * ow + x;
            maxErr = std::max(maxErr, std::fabs(activate(sum, p.activation) - direct1[i]));
            maxGeneric = std::max(maxGeneric, std::fabs(static_cast<double>(generic[i]) - direct1[i]));
          }
    CHECK(maxErr < 1e-5);
    CHECK(maxGeneric < 1e-5);
  }
}

TEST_CASE("the depthwise entry refuses a conv that is not depthwise") {
  nax::Conv2dParams p = paramsOf(kDwCases[0], 1);
  p.groups = 4;
  std::vector<float> in(8 * 9 * 11), w(8 * 2 * 9), out(8 * 9 * 11);
  bool threw = false;
  try {
    nax::depthwiseConv2dForward(p, in.data(), w.data(), nullptr, out.data());
  } catch (const std::exception&) {
    threw = true;
  }
  CHECK(threw);
}

TEST_CASE("ConvTranspose scatter of W^T x rows equals the ConvTranspose definition") {
  struct TCase {
    int cin, cout, groups, h, w, kh, kw, sh, sw, dh, dw, pt, pl, pb, pr, oph, opw;
  };
  const TCase cases[] = {
      {4, 6, 2, 3, 4, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1, 0},
      {3, 2, 1, 5, 5, 2, 3, 1, 2, 2, 1, 0, 2, 0, 1, 0, 1},
      {2, 4, 2, 4, 3, 4, 4, 3, 3, 1, 1, 2, 1, 1, 2, 2, 1},
  };
  const int batch = 2;
  for (const TCase& c : cases) {
    nax::ConvTransposeParams p;
    p.batch = batch;
    p.inChannels = c.cin;
    p.height = c.h;
    p.width = c.w;
    p.outChannels = c.cout;
    p.groups = c.groups;
    p.kernelH = c.kh;
    p.kernelW = c.kw;
    p.strideH = c.sh;
    p.strideW = c.sw;
    p.dilationH = c.dh;
    p.dilationW = c.dw;
    p.padTop = c.pt;
    p.padLeft = c.pl;
    p.outH = c.sh * (c.h - 1) + c.oph + (c.kh - 1) * c.dh + 1 - c.pt - c.pb;
    p.outW = c.sw * (c.w - 1) + c.opw + (c.kw - 1) * c.dw + 1 - c.pl - c.pr;
    const int cinG = c.cin / c.groups, coutG = c.cout / c.groups;
    const std::size_t n = static_cast<std::size_t>(coutG) * c.kh * c.kw, P = static_cast<std::size_t>(c.h) * c.w;
    const auto input = randomValues(static_cast<std::size_t>(batch) * c.cin * P, 4);
    const auto weights = randomValues(static_cast<std::size_t>(c.cin) * n, 5);  // [Cin, Cout/g, kh, kw]
    std::vector<float> out(static_cast<std::size_t>(batch) * c.cout * p.outH * p.outW, 0.0f);
    for (int g = 0; g < c.groups; ++g) {
      // rows (b, pixel) x n = x_g^T W_g, computed naively.
      std::vector<float> rows(static_cast<std::size_t>(batch) * P * n);
      for (int b = 0; b < batch; ++b)
        for (std::size_t q = 0; q < P; ++q)
          for (std::size_t j = 0; j < n; ++j) {
            double s = 0;
            for (int k = 0; k < cinG; ++k)
              s += static_cast<double>(input[(static_cast<std::size_t>(b) * c.cin + g * cinG + k) * P + q]) *
                   weights[(static_cast<std::size_t>(g) * cinG + k) * n + j];
            rows[(b * P + q) * n + j] = static_cast<float>(s);
          }
      p.threads = g + 1;
      nax::convTransposeScatter(p, g, rows.data(), out.data());
    }
    double maxErr = 0;
    for (int b = 0; b < batch; ++b)
      for (int co = 0; co < c.cout; ++co)
        for (int y = 0; y < p.outH; ++y)
          for (int x = 0; x < p.outW; ++x) {
            // y = iy*sh - pt + ky*dh: sum over (ci, iy, ix, ky, kx) that land here.
            const int g = co / coutG, cog = co % coutG;
            double s = 0;
            for (int k = 0; k < cinG; ++k)
              for (int iy = 0; iy < c.h; ++iy)
                for (int ix = 0; ix < c.w; ++ix)
                  for (int ky = 0; ky < c.kh; ++ky)
                    for (int kx = 0; kx < c.kw; ++kx) {
                      if (iy * c.sh - c.pt + ky * c.dh != y || ix * c.sw - c.pl + kx * c.dw != x) continue;
                      const int ci = g * cinG + k;
                      s += static_cast<double>(input[(static_cast<std::size_t>(b) * c.cin + ci) * P + iy * c.w + ix]) *
                           weights[((static_cast<std::size_t>(ci) * coutG + cog) * c.kh + ky) * c.kw + kx];
                    }
            maxErr = std::max(maxErr, std::fabs(s - out[((static_cast<std::size_t>(b) * c.cout + co) * p.outH + y) * p.outW + x]));
          }
    CHECK(maxErr < 1e-5);
  }
}

}  // namespace

NAX_TEST_MAIN("nn_forward")
