// Run-time access to the optional CUDA library (native/cuda, CMake NAX_CUDA): loaded with
// dlopen on first use, never linked, so the addon needs neither libcudart nor a GPU. The
// library is looked up in $NAX_CUDA_LIBRARY, then next to the module holding the core (the
// addon's .node file, or a core test executable).
#pragma once
#include <string>

#include "../cuda/nax_cuda_abi.h"

namespace nax {
namespace cuda {

struct Api {
  NaxCudaCrossbarCreateFn crossbarCreate;
  NaxCudaCrossbarDestroyFn crossbarDestroy;
  NaxCudaCrossbarRunFn crossbarRun;
  NaxCudaConvForwardF32Fn convForwardF32;
  NaxCudaConvForwardF64Fn convForwardF64;
  NaxCudaConvBackwardF32Fn convBackwardF32;
  NaxCudaConvBackwardF64Fn convBackwardF64;
};

struct Status {
  bool available = false;
  std::string reason;   // why not, when unavailable
  std::string library;  // path of the loaded library (or the paths tried)
  NaxCudaDeviceInfo device{};
};

// Probes once per process (thread-safe) and keeps the answer.
const Status& status();
// The entry points; throws nax::Error(kConfig) naming `field` ("expected accelerator 'cpu'
// ...: cuda: not available (reason)") when CUDA cannot run here.
const Api& api(const char* field = "accelerator");
// Tests only: replaces the library with other implementations of the same ABI (a host
// emulation of the kernels, native/core/tests/cuda_math_test.cc); null restores the probe.
void setApiForTesting(const Api* api, const char* deviceName = "host emulation");

// "available (device, compute capability, memory)" or "not available (reason)".
std::string describe();

}  // namespace cuda
}  // namespace nax
