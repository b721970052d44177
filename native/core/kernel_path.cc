#include "kernel_path.h"

#include <atomic>
#include <cstdlib>
#include <cstring>

namespace nax {
namespace {
KernelPath fromEnvironment() {
  const char* v = std::getenv("NAX_KERNELS");
  return v && std::strcmp(v, "baseline") == 0 ? KernelPath::Baseline : KernelPath::Default;
}
std::atomic<int>& current() {
  static std::atomic<int> path{static_cast<int>(fromEnvironment())};
  return path;
}
}  // namespace

KernelPath kernelPath() { return static_cast<KernelPath>(current().load(std::memory_order_relaxed)); }
void setKernelPath(KernelPath path) { current().store(static_cast<int>(path), std::memory_order_relaxed); }

}  // namespace nax
