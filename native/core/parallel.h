// Deterministic parallel loops on a persistent thread pool. Work is split into
// contiguous chunks; callers must make each index's result independent of which
// thread runs it, so that results are bit-identical for any thread count.
//
// The pool: threads are started once (lazily, grown to the largest helper count
// ever asked for) and then wait on a condition variable, so a parallelFor over
// a small layer no longer pays for starting and joining threads on every call
// (tens of microseconds per thread; the trainer and the runtime make thousands
// of such calls per epoch / batch). The chunking is exactly what it was with
// per-call threads: chunk w covers [n*w/workers, n*(w+1)/workers) and is passed
// w as its worker index, so per-worker scratch and results are unchanged.
//
// The calling thread claims chunks of its own call too, so a call always
// completes even when every pool thread is busy (several AsyncWorkers at once,
// or a parallelFor nested inside another one's chunk): pool threads only add
// speed, never a dependency. A chunk may therefore run on the caller or on any
// pool thread, in any order, and a chunk that waits for its siblings' progress
// (the multifrontal solver's shared ready-stack) still finishes, because the
// caller alone can drain the whole stack.
//
// Waiting spins briefly before it sleeps (as OpenMP runtimes and oneTBB do): a pool thread that
// just finished a chunk polls for the next batch for about kSpinIterations pauses (tens of
// microseconds) before it blocks on the condition variable, and a caller whose own chunks are done
// polls for its batch's last chunk the same way. A training step makes hundreds of parallel calls
// back to back, each one a futex wake-up of a sleeping thread otherwise (on a VM tens of
// microseconds, paid on the critical path of a two-chunk call).
#pragma once
#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace nax {

inline int resolveThreads(int threads) {
  if (threads > 0) return threads;
  unsigned hw = std::thread::hardware_concurrency();
  return hw == 0 ? 1 : static_cast<int>(hw);
}

namespace detail {

class ThreadPool {
 public:
  static ThreadPool& instance() {
    static ThreadPool pool;
    return pool;
  }

  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  // Runs chunk(i) for every i in [0, chunks), on the caller and up to
  // `helpers` pool threads; returns when all have finished. chunk must not throw.
  void run(std::size_t chunks, std::size_t helpers, const std::function<void(std::size_t)>& chunk) {
    Batch batch{&chunk, chunks};
    std::unique_lock<std::mutex> lock(mutex_);
    while (threads_.size() < helpers) threads_.emplace_back([this] { workerLoop(); });
    queue_.push_back(&batch);
    queued_.store(queue_.size(), std::memory_order_release);
    const std::size_t wake = std::min(helpers, threads_.size());
    lock.unlock();
    for (std::size_t h = 0; h < wake; ++h) work_.notify_one();
    lock.lock();
    while (batch.next < batch.chunks) {
      const std::size_t i = claim(batch);
      lock.unlock();
      chunk(i);
      lock.lock();
      ++batch.done;
    }
    if (batch.done != batch.chunks) {
      lock.unlock();
      spinUntil([&] { return batch.done.load(std::memory_order_acquire) == batch.chunks; });
      lock.lock();
    }
    finished_.wait(lock, [&] { return batch.done == batch.chunks; });
  }

  // Pool threads ever started (for tests: a second call reuses them).
  std::size_t threadCount() {
    std::lock_guard<std::mutex> lock(mutex_);
    return threads_.size();
  }

 private:
  struct Batch {
    const std::function<void(std::size_t)>* chunk;
    std::size_t chunks;
    std::size_t next = 0;               // guarded by mutex_
    std::atomic<std::size_t> done{0};   // written under mutex_; polled without it by spinUntil
  };

  static constexpr int kSpinIterations = 1 << 12;
  static void pause() {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    asm volatile("yield");
#endif
  }
  // Polls ready() (no lock held) up to kSpinIterations times; true once it holds.
  template <typename Ready>
  static bool spinUntil(Ready ready) {
    for (int s = 0; s < kSpinIterations; ++s) {
      if (ready()) return true;
      pause();
    }
    return ready();
  }

  ThreadPool() = default;
  ~ThreadPool() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    work_.notify_all();
    for (auto& t : threads_) t.join();
  }

  // Takes the batch's next chunk (mutex_ held); a batch leaves the queue with its last chunk.
  std::size_t claim(Batch& batch) {
    const std::size_t i = batch.next++;
    if (batch.next == batch.chunks) {
      queue_.erase(std::find(queue_.begin(), queue_.end(), &batch));
      queued_.store(queue_.size(), std::memory_order_release);
    }
    return i;
  }

  void workerLoop() {
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
      if (!stop_ && queue_.empty()) {
        lock.unlock();
        spinUntil([this] { return queued_.load(std::memory_order_acquire) != 0 || stop_.load(std::memory_order_acquire); });
        lock.lock();
      }
      work_.wait(lock, [this] { return stop_ || !queue_.empty(); });
      if (stop_) return;
      Batch& batch = *queue_.front();
      const std::size_t i = claim(batch);
      lock.unlock();
      (*batch.chunk)(i);
      lock.lock();
      // The caller is waiting for the last chunk; `batch` is gone once it wakes.
      if (++batch.done == batch.chunks) finished_.notify_all();
    }
  }

  std::mutex mutex_;
  std::condition_variable work_;
  std::condition_variable finished_;
  std::deque<Batch*> queue_;
  std::atomic<std::size_t> queued_{0};  // queue_.size(), written under mutex_, polled by spinning workers
  std::vector<std::thread> threads_;
  std::atomic<bool> stop_{false};
};

}  // namespace detail

// Calls fn(begin, end, worker) over [0, n) split into at most `threads`
// contiguous chunks. The first exception thrown by any chunk is rethrown on
// the calling thread after all chunks have finished.
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
  const std::function<void(std::size_t)> chunk = [&](std::size_t w) {
    std::size_t begin = n * w / workers, end = n * (w + 1) / workers;
    try {
      fn(begin, end, static_cast<int>(w));
    } catch (...) {
      std::lock_guard<std::mutex> lock(errorMutex);
      if (!firstError) firstError = std::current_exception();
    }
  };
  detail::ThreadPool::instance().run(workers, workers - 1, chunk);
  if (firstError) std::rethrow_exception(firstError);
}

}  // namespace nax
