// Helpers of the crossbar engine (crossbar.cc: programming; crossbar_run.cc's
// quantizeCodes8 applies the same rounding lane by lane). Internal: not part of
// the core API.
#pragma once
#include <cmath>

namespace nax {
namespace crossbar_detail {

// floor(x + 0.5): the rounding lib/crossbar and test/crossbar/reference.ts use
// (Math.floor(x + 0.5)), so quantized integers agree bit for bit.
inline double roundHalfUp(double x) { return std::floor(x + 0.5); }

}  // namespace crossbar_detail
}  // namespace nax
