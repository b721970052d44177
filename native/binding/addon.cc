// Addon entry: per-environment state, the error class, and every binding
// file's exports (registered through NAX_EXPORTS).
#include "napi_util.h"

#include "build_info.h"
#include "cuda_backend.h"
#include "kernel_path.h"

namespace {

Napi::Value version(const Napi::CallbackInfo& info) {
  Napi::Object v = Napi::Object::New(info.Env());
  v.Set("napi", Napi::Number::New(info.Env(), NAPI_VERSION));
  v.Set("threads", Napi::Number::New(info.Env(), std::thread::hardware_concurrency()));
  const nax::BuildInfo b = nax::buildInfo();
  v.Set("isa", Napi::String::New(info.Env(), b.isa));
  v.Set("vectorBytes", Napi::Number::New(info.Env(), b.vectorBytes));
  v.Set("fma", Napi::Boolean::New(info.Env(), b.fma));
  v.Set("avx512", Napi::Boolean::New(info.Env(), b.avx512));
  v.Set("avx2", Napi::Boolean::New(info.Env(), b.avx2));
  v.Set("neon", Napi::Boolean::New(info.Env(), b.neon));
  v.Set("compiler", Napi::String::New(info.Env(), b.compiler));
  v.Set("kernels", Napi::String::New(info.Env(), nax::baselineKernels() ? "baseline" : "default"));
  // The optional CUDA library (probed once: dlopen + device query; never fails the call).
  const nax::cuda::Status& cuda = nax::cuda::status();
  Napi::Object c = Napi::Object::New(info.Env());
  c.Set("available", Napi::Boolean::New(info.Env(), cuda.available));
  c.Set("description", Napi::String::New(info.Env(), nax::cuda::describe()));
  c.Set("library", Napi::String::New(info.Env(), cuda.library));
  if (cuda.available) c.Set("device", Napi::String::New(info.Env(), cuda.device.name));
  v.Set("cuda", c);
  return v;
}

// setKernelPath('default' | 'baseline'): which GEMM/conv/BatchNorm kernels run
// from the next call on (process-wide; the baseline keeps the kernels before
// issue 16 so a benchmark compares both in one run). Initially NAX_KERNELS.
Napi::Value setKernelPath(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const std::string path = info.Length() && info[0].IsString() ? info[0].As<Napi::String>().Utf8Value() : "";
  if (path != "default" && path != "baseline")
    naxb::throwNax(env, nax::codes::kInvalidArgument,
                   "expected 'default' or 'baseline' for kernelPath, got " +
                       (info.Length() ? naxb::describe(info[0]) : std::string("nothing")));
  nax::setKernelPath(path == "baseline" ? nax::KernelPath::Baseline : nax::KernelPath::Default);
  return env.Undefined();
}

// setErrorClass(NaxError): the class native errors are made with, from now on
// in this environment (lib/native.ts calls it once after loading).
Napi::Value setErrorClass(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsFunction())
    naxb::throwNax(env, nax::codes::kInvalidArgument,
                   "expected a class for errorClass, got " +
                       (info.Length() ? naxb::describe(info[0]) : std::string("nothing")));
  naxb::addonData(env).errorClass = Napi::Persistent(info[0].As<Napi::Function>());
  return env.Undefined();
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  env.SetInstanceData(new naxb::AddonData());  // deleted with the environment
  exports.Set("version", Napi::Function::New(env, version, "version"));
  exports.Set("setKernelPath", Napi::Function::New(env, setKernelPath, "setKernelPath"));
  exports.Set("setErrorClass", Napi::Function::New(env, setErrorClass, "setErrorClass"));
  for (auto fn : naxb::registry()) fn(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(nax_native, Init)
