// The persistent thread pool behind parallelFor: the chunking (and so every
// result) is the one per-call threads gave; threads are started once and
// reused; the first exception reaches the caller; nested calls, many
// concurrent callers and chunks that wait for their siblings all finish.
#include <atomic>
#include <cstddef>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "check.h"
#include "gemm.h"
#include "parallel.h"

namespace {

// Which chunk covered each index, and with which worker index.
std::vector<int> chunkOwners(std::size_t n, int threads) {
  std::vector<int> owner(n, -1);
  nax::parallelFor(n, threads, [&](std::size_t b, std::size_t e, int w) {
    for (std::size_t i = b; i < e; ++i) owner[i] = w;
  });
  return owner;
}

TEST_CASE("chunks are the contiguous n*w/workers split with worker index w, for any thread count") {
  for (std::size_t n : {1u, 2u, 7u, 64u, 1000u})
    for (int threads : {1, 2, 3, 4, 8, 16}) {
      const std::vector<int> owner = chunkOwners(n, threads);
      const std::size_t workers = std::min<std::size_t>(static_cast<std::size_t>(threads), n);
      for (std::size_t w = 0; w < workers; ++w)
        for (std::size_t i = n * w / workers; i < n * (w + 1) / workers; ++i) CHECK_EQ(owner[i], static_cast<int>(w));
    }
}

TEST_CASE("threads are started once: repeated calls reuse the pool") {
  chunkOwners(64, 4);
  const std::size_t after = nax::detail::ThreadPool::instance().threadCount();
  CHECK(after >= 3);
  for (int r = 0; r < 2000; ++r) chunkOwners(64, 4);
  CHECK_EQ(nax::detail::ThreadPool::instance().threadCount(), after);
}

TEST_CASE("work runs on more than one thread") {
  std::mutex m;
  std::vector<std::thread::id> ids;
  // Each chunk waits until two chunks have started, which only happens if two threads run them.
  std::atomic<int> started{0};
  nax::parallelFor(2, 2, [&](std::size_t, std::size_t, int) {
    ++started;
    for (int spin = 0; started.load() < 2 && spin < 200000000; ++spin) std::this_thread::yield();
    std::lock_guard<std::mutex> lock(m);
    ids.push_back(std::this_thread::get_id());
  });
  CHECK_EQ(started.load(), 2);
  CHECK_EQ(ids.size(), std::size_t{2});
  CHECK(ids[0] != ids[1]);
}

TEST_CASE("the first exception of a chunk is rethrown on the caller after every chunk finished") {
  std::atomic<int> finished{0};
  bool caught = false;
  try {
    nax::parallelFor(8, 4, [&](std::size_t b, std::size_t, int) {
      if (b == 2) throw std::runtime_error("chunk 1 failed");
      ++finished;
    });
  } catch (const std::runtime_error& e) {
    caught = std::string(e.what()) == "chunk 1 failed";
  }
  CHECK(caught);
  CHECK_EQ(finished.load(), 3);
  // The pool still works afterwards.
  const std::vector<int> owners = chunkOwners(4, 4);
  CHECK_EQ(owners[3], 3);
}

TEST_CASE("nested parallelFor inside a chunk and many concurrent callers all finish with the same result") {
  const std::size_t n = 97;
  std::vector<std::vector<double>> out(8, std::vector<double>(n * n));
  std::vector<std::thread> callers;
  for (int c = 0; c < 8; ++c)
    callers.emplace_back([&, c] {
      for (int rep = 0; rep < 20; ++rep)
        nax::parallelFor(n, 1 + c % 4, [&](std::size_t b, std::size_t e, int) {
          for (std::size_t i = b; i < e; ++i)
            nax::parallelFor(n, 3, [&](std::size_t jb, std::size_t je, int) {
              for (std::size_t j = jb; j < je; ++j) out[c][i * n + j] = static_cast<double>(i) * 1e-3 + static_cast<double>(j);
            });
        });
    });
  for (auto& t : callers) t.join();
  for (int c = 0; c < 8; ++c)
    for (std::size_t i = 0; i < n; i += 13)
      for (std::size_t j = 0; j < n; j += 7) CHECK_EQ(out[c][i * n + j], static_cast<double>(i) * 1e-3 + static_cast<double>(j));
}

TEST_CASE("chunks that wait for their siblings' work (a shared ready-stack) finish even on a busy pool") {
  // Occupy the pool with long chunks from another caller while this one runs.
  std::atomic<bool> release{false};
  std::thread hog([&] {
    nax::parallelFor(4, 4, [&](std::size_t, std::size_t, int) {
      while (!release.load()) std::this_thread::yield();
    });
  });
  std::mutex m;
  std::vector<int> ready{0, 1, 2, 3, 4, 5, 6, 7};
  int remaining = 8, processed = 0;
  nax::parallelFor(4, 4, [&](std::size_t, std::size_t, int) {
    for (;;) {
      std::lock_guard<std::mutex> lock(m);
      if (remaining == 0) break;
      if (ready.empty()) continue;
      ready.pop_back();
      --remaining;
      ++processed;
    }
  });
  release = true;
  hog.join();
  CHECK_EQ(processed, 8);
}

TEST_CASE("a threaded GEMM is bit-identical for 1, 2, 3 and 8 threads on the pool") {
  const std::size_t m = 301, n = 197, k = 131;
  std::vector<float> a(m * k), b(k * n);
  for (std::size_t i = 0; i < a.size(); ++i) a[i] = static_cast<float>((i * 37) % 101) / 50.0f - 1.0f;
  for (std::size_t i = 0; i < b.size(); ++i) b[i] = static_cast<float>((i * 53) % 89) / 44.0f - 1.0f;
  std::vector<float> ref(m * n);
  nax::sgemm(false, false, m, n, k, 1.0f, a.data(), k, b.data(), n, 0.0f, ref.data(), n, 1);
  for (int threads : {2, 3, 8}) {
    std::vector<float> c(m * n);
    nax::sgemm(false, false, m, n, k, 1.0f, a.data(), k, b.data(), n, 0.0f, c.data(), n, threads);
    for (std::size_t i = 0; i < c.size(); ++i) CHECK_EQ(c[i], ref[i]);
  }
}

}  // namespace

NAX_TEST_MAIN("parallel")
