// Errors thrown by the core. Plain C++ (no Node headers): the binding turns
// each into a JS NaxError carrying the same stable code.
#pragma once
#include <stdexcept>
#include <string>

#include "error_codes.h"

namespace nax {

class Error : public std::runtime_error {
 public:
  Error(std::string code, const std::string& message)
      : std::runtime_error(message), code_(std::move(code)) {}
  const std::string& code() const { return code_; }

 private:
  std::string code_;
};

// Stable codes (error_codes.h, shared with lib/errors.ts): codes::kInvalidArgument, ...
namespace codes {
#define NAX_DECLARE_CODE(constant, key, code) inline constexpr const char* constant = code;
NAX_ERROR_CODES(NAX_DECLARE_CODE)
#undef NAX_DECLARE_CODE
}  // namespace codes

}  // namespace nax
