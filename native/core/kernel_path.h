// Which implementation of the hot kernels runs: the current ones, or the
// kernels as they were before the issue-16 work (kept so one benchmark run can
// compare old and new on the same machine under the same load). Both give
// results that are deterministic for any thread count; the baseline GEMM gives
// bit-identical products to the default one (same per-element FMA chain), the
// baseline BatchNorm differs in the last bits (different summation order).
//
// Set from the environment at load (NAX_KERNELS=baseline), or at run time
// through setKernelPath (the addon's setKernelPath, used by bench/train.ts).
#pragma once

namespace nax {

enum class KernelPath { Default = 0, Baseline = 1 };

KernelPath kernelPath();
void setKernelPath(KernelPath path);
inline bool baselineKernels() { return kernelPath() == KernelPath::Baseline; }

}  // namespace nax
