// Compiled with the core's flags, so the macros below describe the kernels.
#include "build_info.h"

#include "simd.h"

#ifndef NAX_ISA_NAME
#define NAX_ISA_NAME "native (node-gyp build)"
#endif

namespace nax {

BuildInfo buildInfo() {
  BuildInfo info{};
  info.isa = NAX_ISA_NAME;
  info.vectorBytes = simd::kBytes;
#if defined(__FMA__) || defined(__ARM_FEATURE_FMA)
  info.fma = true;
#endif
#if defined(__AVX512F__)
  info.avx512 = true;
#endif
#if defined(__AVX2__)
  info.avx2 = true;
#endif
#if defined(__ARM_NEON)
  info.neon = true;
#endif
#if defined(__VERSION__)
  info.compiler = __VERSION__;
#else
  info.compiler = "unknown";
#endif
  return info;
}

}  // namespace nax
