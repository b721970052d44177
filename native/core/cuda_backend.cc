// dlopen loader of the CUDA library (cuda_backend.h). Nothing here includes a CUDA header;
// the ABI is plain C (native/cuda/nax_cuda_abi.h).
#include "cuda_backend.h"

#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <vector>

#include "error.h"

#if defined(_WIN32)
#include <windows.h>
#else
#include <dlfcn.h>
#endif

namespace nax {
namespace cuda {
namespace {

#if defined(_WIN32)
constexpr const char* kLibraryName = "nax_cuda.dll";
using Handle = HMODULE;
Handle openLibrary(const std::string& path, std::string* error) {
  Handle h = LoadLibraryA(path.c_str());
  if (!h) *error = "LoadLibrary failed (error " + std::to_string(GetLastError()) + ")";
  return h;
}
void* symbol(Handle h, const char* name) { return reinterpret_cast<void*>(GetProcAddress(h, name)); }
std::string moduleDirectory() {
  HMODULE self = nullptr;
  GetModuleHandleExA(GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS | GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT,
                     reinterpret_cast<LPCSTR>(&moduleDirectory), &self);
  char path[MAX_PATH] = {};
  GetModuleFileNameA(self, path, MAX_PATH);
  std::string p(path);
  const auto slash = p.find_last_of("\\/");
  return slash == std::string::npos ? std::string(".") : p.substr(0, slash);
}
#else
#if defined(__APPLE__)
constexpr const char* kLibraryName = "libnax_cuda.dylib";
#else
constexpr const char* kLibraryName = "libnax_cuda.so";
#endif
using Handle = void*;
Handle openLibrary(const std::string& path, std::string* error) {
  Handle h = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!h) {
    const char* e = dlerror();
    *error = e ? e : "dlopen failed";
  }
  return h;
}
void* symbol(Handle h, const char* name) { return dlsym(h, name); }
std::string moduleDirectory() {
  Dl_info info{};
  if (!dladdr(reinterpret_cast<void*>(&moduleDirectory), &info) || !info.dli_fname) return ".";
  std::string p(info.dli_fname);
  const auto slash = p.find_last_of('/');
  return slash == std::string::npos ? std::string(".") : p.substr(0, slash);
}
#endif

struct State {
  Status status;
  Api api{};
};

template <typename Fn>
bool resolve(Handle h, const char* name, Fn* out, std::string* missing) {
  *out = reinterpret_cast<Fn>(symbol(h, name));
  if (!*out) *missing = std::string("missing symbol ") + name;
  return *out != nullptr;
}

void probe(State& s) {
  std::vector<std::string> candidates;
  if (const char* env = std::getenv("NAX_CUDA_LIBRARY"); env && *env) candidates.emplace_back(env);
  candidates.push_back(moduleDirectory() + "/" + kLibraryName);
  Handle h = nullptr;
  std::string errors;
  for (const auto& path : candidates) {
    std::string error;
    h = openLibrary(path, &error);
    if (h) {
      s.status.library = path;
      break;
    }
    errors += (errors.empty() ? "" : "; ") + path + ": " + error;
  }
  if (!h) {
    s.status.reason = "the CUDA library was not loaded (built with NAX_CUDA=ON only where nvcc is found): " + errors;
    s.status.library = candidates.back();
    return;
  }
  // The handle stays open for the process's life: kernels and layers may use it at any time.
  NaxCudaAbiVersionFn version = nullptr;
  NaxCudaProbeFn probeFn = nullptr;
  std::string missing;
  Api& a = s.api;
  if (!resolve(h, "nax_cuda_abi_version", &version, &missing) || !resolve(h, "nax_cuda_probe", &probeFn, &missing) ||
      !resolve(h, "nax_cuda_crossbar_create", &a.crossbarCreate, &missing) ||
      !resolve(h, "nax_cuda_crossbar_destroy", &a.crossbarDestroy, &missing) ||
      !resolve(h, "nax_cuda_crossbar_run", &a.crossbarRun, &missing) ||
      !resolve(h, "nax_cuda_conv_forward_f32", &a.convForwardF32, &missing) ||
      !resolve(h, "nax_cuda_conv_forward_f64", &a.convForwardF64, &missing) ||
      !resolve(h, "nax_cuda_conv_backward_f32", &a.convBackwardF32, &missing) ||
      !resolve(h, "nax_cuda_conv_backward_f64", &a.convBackwardF64, &missing)) {
    s.status.reason = s.status.library + ": " + missing;
    return;
  }
  if (version() != NAX_CUDA_ABI_VERSION) {
    s.status.reason = s.status.library + " has ABI version " + std::to_string(version()) + ", expected " +
                      std::to_string(NAX_CUDA_ABI_VERSION) + " (rebuild it with the addon)";
    return;
  }
  char err[512] = {};
  if (probeFn(&s.status.device, err, sizeof(err)) != 0) {
    s.status.reason = std::string(err[0] ? err : "no CUDA device");
    return;
  }
  s.status.available = true;
}

State& probed() {
  static State s;
  static std::once_flag once;
  std::call_once(once, [] { probe(s); });
  return s;
}

State* testing = nullptr;  // setApiForTesting (single-threaded test setup only)

State& state() { return testing ? *testing : probed(); }

}  // namespace

const Status& status() { return state().status; }

void setApiForTesting(const Api* api, const char* deviceName) {
  static State fake;
  if (!api) {
    testing = nullptr;
    return;
  }
  fake = State{};
  fake.api = *api;
  fake.status.available = true;
  fake.status.library = "(test)";
  fake.status.device.deviceCount = 1;
  std::snprintf(fake.status.device.name, sizeof(fake.status.device.name), "%s", deviceName);
  testing = &fake;
}

std::string describe() {
  const Status& s = status();
  if (!s.available) return "not available (" + s.reason + ")";
  const auto& d = s.device;
  return "available (" + std::string(d.name) + ", compute " + std::to_string(d.computeMajor) + "." +
         std::to_string(d.computeMinor) + ", " + std::to_string(d.memoryBytes >> 20) + " MiB, " +
         std::to_string(d.deviceCount) + " device" + (d.deviceCount == 1 ? "" : "s") + ")";
}

const Api& api(const char* field) {
  State& s = state();
  if (!s.status.available)
    throw Error(codes::kConfig, std::string("expected accelerator 'cpu' for ") + field +
                                    " on this machine (cuda: not available (" + s.status.reason + ")), got 'cuda'");
  return s.api;
}

}  // namespace cuda
}  // namespace nax
