// What the core was compiled for: the instruction set the kernels were built
// with (CMake NAX_ISA) and the vector width simd.h derived from it. The
// binding is compiled without ISA flags, so it asks the core.
#pragma once

namespace nax {

struct BuildInfo {
  const char* isa;       // NAX_ISA: native, x86-64, x86-64-v2, x86-64-v3, x86-64-v4, armv8-a, none
  int vectorBytes;       // widest vector register the kernels use (16, 32 or 64)
  bool fma;              // fused multiply-add instructions (results of float GEMMs differ from non-FMA builds in the last bits)
  bool avx512;
  bool avx2;
  bool neon;
  const char* compiler;  // __VERSION__
};

BuildInfo buildInfo();

}  // namespace nax
