// A tiny test harness for the core tests: plain C++17, no framework. Each test
// file is one executable (registered with CTest) that runs its cases, prints
// one line per failed check and a summary, and exits non-zero on any failure.
#pragma once
#include <cmath>
#include <cstdio>
#include <exception>
#include <functional>
#include <string>
#include <vector>

namespace nax_test {

struct Case {
  const char* name;
  std::function<void()> fn;
};

inline std::vector<Case>& cases() {
  static std::vector<Case> all;
  return all;
}
inline int& failures() {
  static int count = 0;
  return count;
}
inline const char*& currentCase() {
  static const char* name = "";
  return name;
}

struct Register {
  Register(const char* name, std::function<void()> fn) { cases().push_back({name, std::move(fn)}); }
};

inline void fail(const char* file, int line, const std::string& what) {
  ++failures();
  std::fprintf(stderr, "%s:%d: [%s] %s\n", file, line, currentCase(), what.c_str());
}

inline std::string str(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

// Runs every registered case; a case that throws counts as one failure.
inline int runAll(const char* suite) {
  for (const Case& c : cases()) {
    currentCase() = c.name;
    const int before = failures();
    try {
      c.fn();
    } catch (const std::exception& e) {
      fail(__FILE__, __LINE__, std::string("unexpected exception: ") + e.what());
    }
    std::printf("%s %s: %s\n", failures() == before ? "ok  " : "FAIL", suite, c.name);
  }
  std::printf("%s: %zu cases, %d failed checks\n", suite, cases().size(), failures());
  return failures() == 0 ? 0 : 1;
}

}  // namespace nax_test

#define NAX_TEST_CONCAT_INNER(a, b) a##b
#define NAX_TEST_CONCAT(a, b) NAX_TEST_CONCAT_INNER(a, b)
// TEST_CASE("name") { ... }
#define TEST_CASE(name)                                                                      \
  static void NAX_TEST_CONCAT(testCase_, __LINE__)();                                        \
  static ::nax_test::Register NAX_TEST_CONCAT(testReg_, __LINE__)(name, NAX_TEST_CONCAT(testCase_, __LINE__)); \
  static void NAX_TEST_CONCAT(testCase_, __LINE__)()

#define CHECK(cond)                                                   \
  do {                                                                \
    if (!(cond)) ::nax_test::fail(__FILE__, __LINE__, "CHECK(" #cond ")"); \
  } while (0)

// Checks and, on failure, prints both values.
#define CHECK_EQ(a, b)                                                                                        \
  do {                                                                                                        \
    const auto& va_ = (a);                                                                                    \
    const auto& vb_ = (b);                                                                                    \
    if (!(va_ == vb_))                                                                                        \
      ::nax_test::fail(__FILE__, __LINE__,                                                                    \
                       std::string("CHECK_EQ(" #a ", " #b "): ") + ::nax_test::str(static_cast<double>(va_)) + \
                           " vs " + ::nax_test::str(static_cast<double>(vb_)));                               \
  } while (0)

// |a - b| <= tol.
#define CHECK_NEAR(a, b, tol)                                                                                  \
  do {                                                                                                         \
    const double va_ = (a), vb_ = (b), vt_ = (tol);                                                            \
    if (!(std::fabs(va_ - vb_) <= vt_))                                                                        \
      ::nax_test::fail(__FILE__, __LINE__,                                                                     \
                       std::string("CHECK_NEAR(" #a ", " #b "): ") + ::nax_test::str(va_) + " vs " +          \
                           ::nax_test::str(vb_) + ", |diff| " + ::nax_test::str(std::fabs(va_ - vb_)) + " > " + \
                           ::nax_test::str(vt_));                                                              \
  } while (0)

// The statement throws nax::Error with the given code.
#define CHECK_THROWS_CODE(stmt, expectedCode)                                                              \
  do {                                                                                                     \
    std::string got_ = "no exception";                                                                     \
    try {                                                                                                  \
      stmt;                                                                                                \
    } catch (const ::nax::Error& e_) {                                                                     \
      got_ = e_.code();                                                                                    \
    } catch (const std::exception& e_) {                                                                   \
      got_ = std::string("std::exception ") + e_.what();                                                   \
    }                                                                                                      \
    if (got_ != (expectedCode))                                                                            \
      ::nax_test::fail(__FILE__, __LINE__, std::string("CHECK_THROWS_CODE(" #stmt "): got ") + got_);      \
  } while (0)

#define NAX_TEST_MAIN(suite) \
  int main() { return ::nax_test::runAll(suite); }
