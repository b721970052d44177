// Deterministic parallel loops. Work is split into contiguous chunks; callers
// must make each index's result independent of which thread runs it, so that
// results are bit-identical for any thread count.
#pragma once
#include <algorithm>
#include <cstddef>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace nax {

inline int resolveThreads(int threads) {
  if (threads > 0) return threads;
  unsigned hw = std::thread::hardware_concurrency();
  return hw == 0 ? 1 : static_cast<int>(hw);
}

// Calls fn(begin, end, worker) over [0, n) split into at most `threads`
// contiguous chunks. The first exception thrown by any worker is rethrown on
// the calling thread after all workers have joined.
template <typename Fn>
void parallelFor(std::size_t n, int threads, Fn&& fn) {
  if (n == 0) return;
  std::size_t workers = std::min<std::size_t>(static_cast<std::size_t>(resolveThreads(threads)), n);
  if (workers <= 1) {
    fn(std::size_t{0}, n, 0);
    return;
  }
  std::exception_ptr firstError;
  std::mutex errorMutex;
  std::vector<std::thread> pool;
  pool.reserve(workers - 1);
  auto run = [&](std::size_t w) {
    std::size_t begin = n * w / workers, end = n * (w + 1) / workers;
    try {
      fn(begin, end, static_cast<int>(w));
    } catch (...) {
      std::lock_guard<std::mutex> lock(errorMutex);
      if (!firstError) firstError = std::current_exception();
    }
  };
  for (std::size_t w = 1; w < workers; ++w) pool.emplace_back(run, w);
  run(0);
  for (auto& t : pool) t.join();
  if (firstError) std::rethrow_exception(firstError);
}

}  // namespace nax
