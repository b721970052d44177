// Addon entry: every binding file registers its exports through NAX_EXPORTS.
#include "napi_util.h"

namespace {

Napi::Value version(const Napi::CallbackInfo& info) {
  Napi::Object v = Napi::Object::New(info.Env());
  v.Set("napi", Napi::Number::New(info.Env(), NAPI_VERSION));
  v.Set("threads", Napi::Number::New(info.Env(), std::thread::hardware_concurrency()));
  return v;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("version", Napi::Function::New(env, version, "version"));
  for (auto fn : naxb::registry()) fn(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(nax_native, Init)
