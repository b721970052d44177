// Number formatting for error messages.
#pragma once
#include <cstdio>
#include <string>

namespace nax {

// "%.17g": enough digits that the printed value reads back exactly.
inline std::string formatNumber(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

}  // namespace nax
