// Errors thrown by the core. Plain C++ (no Node headers): the binding turns
// each into a JS NaxError carrying the same stable code.
#pragma once
#include <stdexcept>
#include <string>

namespace nax {

class Error : public std::runtime_error {
 public:
  Error(std::string code, const std::string& message)
      : std::runtime_error(message), code_(std::move(code)) {}
  const std::string& code() const { return code_; }

 private:
  std::string code_;
};

// Stable codes shared with lib/errors.ts.
namespace codes {
inline constexpr const char* kInvalidArgument = "ERR_NAX_INVALID_ARGUMENT";
inline constexpr const char* kOutOfRange = "ERR_NAX_OUT_OF_RANGE";
inline constexpr const char* kSizeMismatch = "ERR_NAX_SIZE_MISMATCH";
inline constexpr const char* kNumerical = "ERR_NAX_NUMERICAL";
inline constexpr const char* kCancelled = "ERR_NAX_CANCELLED";
inline constexpr const char* kInternal = "ERR_NAX_INTERNAL";
}  // namespace codes

}  // namespace nax
