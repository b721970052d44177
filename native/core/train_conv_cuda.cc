#include "train_conv_cuda.h"

#include <string>

#include "cuda_backend.h"
#include "error.h"

namespace nax {
namespace train {
namespace {

NaxCudaConvShape abiShape(const ConvShape& cs, const Shape& in) {
  return NaxCudaConvShape{cs.cin, cs.cout, cs.kernel, cs.stride, cs.pad, in.n, in.h, in.w};
}

void checkStatus(int status, const char* what, const char* err) {
  if (status != 0) throw Error(codes::kInternal, std::string("CUDA ") + what + " failed: " + err);
}

}  // namespace

template <>
void convForwardCuda<float>(const ConvShape& cs, const Shape& in, const float* x, const float* w, const float* bias,
                            float* y) {
  const cuda::Api& api = cuda::api("accelerator");
  const NaxCudaConvShape s = abiShape(cs, in);
  char err[512] = {};
  checkStatus(api.convForwardF32(&s, x, w, bias, y, err, sizeof(err)), "conv forward", err);
}
template <>
void convForwardCuda<double>(const ConvShape& cs, const Shape& in, const double* x, const double* w,
                             const double* bias, double* y) {
  const cuda::Api& api = cuda::api("accelerator");
  const NaxCudaConvShape s = abiShape(cs, in);
  char err[512] = {};
  checkStatus(api.convForwardF64(&s, x, w, bias, y, err, sizeof(err)), "conv forward", err);
}
template <>
void convBackwardCuda<float>(const ConvShape& cs, const Shape& in, const float* x, const float* w, const float* dy,
                             float* dx, float* dw, float* db) {
  const cuda::Api& api = cuda::api("accelerator");
  const NaxCudaConvShape s = abiShape(cs, in);
  char err[512] = {};
  checkStatus(api.convBackwardF32(&s, x, w, dy, dx, dw, db, err, sizeof(err)), "conv backward", err);
}
template <>
void convBackwardCuda<double>(const ConvShape& cs, const Shape& in, const double* x, const double* w,
                              const double* dy, double* dx, double* dw, double* db) {
  const cuda::Api& api = cuda::api("accelerator");
  const NaxCudaConvShape s = abiShape(cs, in);
  char err[512] = {};
  checkStatus(api.convBackwardF64(&s, x, w, dy, dx, dw, db, err, sizeof(err)), "conv backward", err);
}

}  // namespace train
}  // namespace nax
