// A small fork-join helper: runs fn(0..n-1) on up to `threads` threads.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <thread>
#include <vector>

namespace berth::image {

// Threads to use for n independent jobs that are mostly I/O and hashing.
inline size_t worker_count(size_t n) {
  size_t hw = std::max<size_t>(1, std::thread::hardware_concurrency());
  return std::max<size_t>(1, std::min(n, hw));
}

// Calls fn(i) for every i in [0, n) and waits for all of them. fn returns false to stop
// further jobs from starting (jobs already running finish). Returns whether none stopped.
template <typename F>
bool parallel_for(size_t n, size_t threads, F&& fn) {
  std::atomic<size_t> next{0};
  std::atomic<bool> stop{false};
  auto work = [&] {
    for (;;) {
      if (stop.load()) return;
      size_t i = next.fetch_add(1);
      if (i >= n) return;
      if (!fn(i)) stop.store(true);
    }
  };
  threads = std::clamp<size_t>(threads, 1, std::max<size_t>(n, 1));
  std::vector<std::jthread> pool;
  for (size_t t = 1; t < threads; ++t) pool.emplace_back(work);
  work();  // the calling thread is one of the workers
  pool.clear();
  return !stop.load();
}

}  // namespace berth::image
