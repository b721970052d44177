// N-API glue for the GEMM kernels (native/core/gemm.h), the one matrix-product
// entry of the addon: the executor, the benchmarks and the tests all call it.
//   gemm(opts) -> Promise<void>, c updated in place.
#include <string>

#include "core/gemm.h"
#include "napi_util.h"

namespace {

using naxb::throwNax;

// gemm({ transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, threads }):
// Float32Arrays -> sgemm, Float64Arrays -> dgemm; c is updated in place. Every
// field is required (lib/native.ts gemm() resolves the defaults).
Napi::Value gemm(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = naxb::objectArg(info, 0, "options");
  const naxb::RequiredFields f(o, "");
  const bool transA = f.boolean("transA"), transB = f.boolean("transB");
  const long long lim = 1LL << 31;
  const auto m = static_cast<std::size_t>(f.integer("m", 0, lim));
  const auto n = static_cast<std::size_t>(f.integer("n", 0, lim));
  const auto k = static_cast<std::size_t>(f.integer("k", 0, lim));
  const auto lda = static_cast<std::size_t>(f.integer("lda", 0, lim));
  const auto ldb = static_cast<std::size_t>(f.integer("ldb", 0, lim));
  const auto ldc = static_cast<std::size_t>(f.integer("ldc", 0, lim));
  const double alpha = f.number("alpha"), beta = f.number("beta");
  const int threads = static_cast<int>(f.integer("threads", 0, 1024));
  const std::size_t aRows = transA ? k : m, aCols = transA ? m : k, bRows = transB ? n : k, bCols = transB ? k : n;
  if (aCols > lda || bCols > ldb || n > ldc)
    throwNax(env, nax::codes::kOutOfRange, "expected lda, ldb, ldc >= the row lengths of op(A), op(B), C");
  auto need = [](std::size_t r, std::size_t c, std::size_t ld) { return r == 0 || c == 0 ? 0 : (r - 1) * ld + c; };
  Napi::Value av = o.Get("a");
  const bool isDouble = av.IsTypedArray() && av.As<Napi::TypedArray>().TypedArrayType() == napi_float64_array;
  auto checkLen = [&](const char* name, Napi::TypedArray arr, std::size_t min) {
    if (arr.ElementLength() < min)
      throwNax(env, nax::codes::kSizeMismatch, std::string("expected ") + name + " to have at least " +
                                                   std::to_string(min) + " elements, got " +
                                                   std::to_string(arr.ElementLength()));
  };
  if (isDouble) {
    auto a = naxb::float64Field(o, "a"), b = naxb::float64Field(o, "b"), c = naxb::float64Field(o, "c");
    checkLen("a", a, need(aRows, aCols, lda));
    checkLen("b", b, need(bRows, bCols, ldb));
    checkLen("c", c, need(m, n, ldc));
    auto buf = std::make_shared<naxb::AsyncBuffers>();
    const double *ap = buf->in(a), *bp = buf->in(b);
    double* cp = buf->out(c, "c", true);
    return naxb::PromiseWorker::start(
        env, [=]() { nax::dgemm(transA, transB, m, n, k, alpha, ap, lda, bp, ldb, beta, cp, ldc, threads); }, nullptr,
        {}, buf);
  }
  auto a = naxb::float32Field(o, "a"), b = naxb::float32Field(o, "b"), c = naxb::float32Field(o, "c");
  checkLen("a", a, need(aRows, aCols, lda));
  checkLen("b", b, need(bRows, bCols, ldb));
  checkLen("c", c, need(m, n, ldc));
  auto buf = std::make_shared<naxb::AsyncBuffers>();
  const float *ap = buf->in(a), *bp = buf->in(b);
  float* cp = buf->out(c, "c", true);
  const float fa = static_cast<float>(alpha), fb = static_cast<float>(beta);
  return naxb::PromiseWorker::start(
      env, [=]() { nax::sgemm(transA, transB, m, n, k, fa, ap, lda, bp, ldb, fb, cp, ldc, threads); }, nullptr,
      {}, buf);
}

void init(Napi::Env env, Napi::Object exports) { exports.Set("gemm", Napi::Function::New(env, gemm, "gemm")); }

NAX_EXPORTS(init);

}  // namespace
