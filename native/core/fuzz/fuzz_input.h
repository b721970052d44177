// Reads fuzzer bytes as typed fields, consuming from the front; past the end
// every read returns zeros (so short inputs still make a complete case).
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace nax_fuzz {

class Input {
 public:
  Input(const std::uint8_t* data, std::size_t size) : p_(data), n_(size) {}
  std::uint8_t byte() { return n_ ? (--n_, *p_++) : 0; }
  // An integer in [lo, hi].
  int range(int lo, int hi) { return lo + static_cast<int>(u16() % static_cast<unsigned>(hi - lo + 1)); }
  std::uint16_t u16() { return static_cast<std::uint16_t>(byte() | (byte() << 8)); }
  std::uint64_t u64() {
    std::uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v |= static_cast<std::uint64_t>(byte()) << (8 * i);
    return v;
  }
  // Any double bit pattern (NaN, Inf, subnormals, negatives included).
  double raw() {
    std::uint64_t v = u64();
    double d;
    std::memcpy(&d, &v, 8);
    return d;
  }
  // Mostly `typical` times a factor, sometimes a raw bit pattern.
  double value(double typical) {
    const std::uint8_t sel = byte();
    if (sel < 200) return typical * (0.25 + (sel / 200.0) * 4);
    if (sel < 240) return raw();
    return sel < 248 ? 0.0 : -typical;
  }
  bool empty() const { return n_ == 0; }

 private:
  const std::uint8_t* p_;
  std::size_t n_;
};

}  // namespace nax_fuzz
