// 64-byte aligned storage for the vector kernels (cache-line and AVX-512
// aligned, so packed panels can be read with aligned loads).
#pragma once
#include <algorithm>
#include <cstddef>
#include <memory>
#include <new>

namespace nax {

inline constexpr std::size_t kAlignBytes = 64;

// Allocator for std::vector.
template <typename T>
struct AlignedAllocator {
  using value_type = T;
  AlignedAllocator() = default;
  template <typename U>
  AlignedAllocator(const AlignedAllocator<U>&) {}
  T* allocate(std::size_t n) { return static_cast<T*>(::operator new[](n * sizeof(T), std::align_val_t(kAlignBytes))); }
  void deallocate(T* p, std::size_t) { ::operator delete[](p, std::align_val_t(kAlignBytes)); }
  template <typename U>
  bool operator==(const AlignedAllocator<U>&) const { return true; }
  template <typename U>
  bool operator!=(const AlignedAllocator<U>&) const { return false; }
};

// Scratch that grows on demand: get(count) returns at least count elements,
// uninitialised; contents are not kept when it grows.
template <typename T>
class AlignedBuffer {
 public:
  AlignedBuffer() = default;
  explicit AlignedBuffer(std::size_t count) { get(count); }
  T* get(std::size_t count) {
    if (count > capacity_ || !data_) {
      // Multiples of 64 elements, so slowly growing requests rarely reallocate.
      capacity_ = (std::max<std::size_t>(count, 64) + 63) / 64 * 64;
      data_.reset(static_cast<T*>(::operator new[](capacity_ * sizeof(T), std::align_val_t(kAlignBytes))));
    }
    return data_.get();
  }
  T* data() const { return data_.get(); }

 private:
  struct Free {
    void operator()(T* p) const { ::operator delete[](p, std::align_val_t(kAlignBytes)); }
  };
  std::unique_ptr<T, Free> data_;
  std::size_t capacity_ = 0;
};

}  // namespace nax
