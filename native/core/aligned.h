// 64-byte aligned storage for the vector kernels (cache-line and AVX-512
// aligned, so packed panels can be read with aligned loads).
#pragma once
#include <algorithm>
#include <cstddef>
#include <utility>
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

// An uninitialised 64-byte aligned array. reserve(count) makes room for at
// least count elements, growing in multiples of 64 without keeping the
// contents (scratch that is rewritten before each use).
template <typename T>
class AlignedArray {
 public:
  AlignedArray() = default;
  explicit AlignedArray(std::size_t count)
      : data_(static_cast<T*>(::operator new[](std::max<std::size_t>(count, 1) * sizeof(T),
                                                std::align_val_t(kAlignBytes)))),
        size_(count) {}
  ~AlignedArray() { ::operator delete[](data_, std::align_val_t(kAlignBytes)); }
  AlignedArray(AlignedArray&& other) noexcept : data_(other.data_), size_(other.size_) {
    other.data_ = nullptr;
    other.size_ = 0;
  }
  AlignedArray& operator=(AlignedArray&& other) noexcept {
    std::swap(data_, other.data_);
    std::swap(size_, other.size_);
    return *this;
  }
  AlignedArray(const AlignedArray&) = delete;
  AlignedArray& operator=(const AlignedArray&) = delete;

  T* data() const { return data_; }
  std::size_t size() const { return size_; }
  T* reserve(std::size_t count) {
    if (count > size_ || !data_) *this = AlignedArray((std::max<std::size_t>(count, 64) + 63) / 64 * 64);
    return data_;
  }

 private:
  T* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace nax
