#include "util/thread_pool.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

namespace ss {
namespace {

TEST(ThreadPoolTest, SplitCoversRangeContiguously) {
  for (int64_t n : {0, 1, 5, 7, 100}) {
    for (int parts : {1, 2, 3, 8}) {
      int64_t next = 0;
      for (int t = 0; t < parts; ++t) {
        const auto [b, e] = ThreadPool::Split(n, parts, t);
        EXPECT_EQ(b, next);
        EXPECT_GE(e, b);
        EXPECT_LE(e - b, n / parts + 1);
        next = e;
      }
      EXPECT_EQ(next, n);
    }
  }
}

// Chunks partition the range in order, shrink group by group, and keep at
// least kMinChunkTasks tasks once the range is big enough to be cut.
TEST(ThreadPoolTest, ChunksCoverRangeInShrinkingGroups) {
  for (int64_t n : {1, 2, 5, 7, 16, 100, 320, 4000}) {
    for (int threads : {1, 2, 3, 8}) {
      const int chunks = ThreadPool::Chunks(n, threads);
      ASSERT_EQ(chunks % threads, 0);
      ASSERT_LE(chunks, ThreadPool::kMaxGroups * threads);
      int64_t next = 0;
      for (int c = 0; c < chunks; ++c) {
        const auto [b, e] = ThreadPool::Chunk(n, threads, c);
        ASSERT_EQ(b, next) << n << " " << threads << " " << c;
        ASSERT_GE(e, b);
        if (chunks > threads) {
          EXPECT_GE(e - b, ThreadPool::kMinChunkTasks) << n << " " << threads << " " << c;
        }
        if (c % threads == 0 && c + threads < chunks) {  // a group before the last: half of what is left
          const int64_t group_end = ThreadPool::Chunk(n, threads, c + threads - 1).second;
          EXPECT_EQ(group_end - b, (n - b) - (n - b) / 2) << n << " " << threads << " " << c;
        }
        next = e;
      }
      EXPECT_EQ(next, n) << n << " " << threads;
    }
  }
  EXPECT_EQ(ThreadPool::Chunks(4000, 2), 2 * ThreadPool::kMaxGroups);
}

TEST(ThreadPoolTest, EveryTaskRunsExactlyOnce) {
  for (int threads : {1, 2, 3}) {
    ThreadPool pool(threads);
    EXPECT_EQ(pool.size(), threads);
    for (int64_t n : {1, 2, 3, 17, 1000}) {
      std::vector<std::atomic<int>> hits(n);
      std::atomic<int> max_thread{0};
      pool.ParallelFor(n, [&](int64_t b, int64_t e, int tid) {
        for (int64_t i = b; i < e; ++i) hits[i]++;
        int seen = max_thread.load();
        while (tid > seen && !max_thread.compare_exchange_weak(seen, tid)) {
        }
      });
      for (int64_t i = 0; i < n; ++i) ASSERT_EQ(hits[i].load(), 1) << threads << " " << n << " " << i;
      EXPECT_LT(max_thread.load(), threads);
    }
  }
}

TEST(ThreadPoolTest, ManyShortCallsAndSleepingWorkers) {
  ThreadPool pool(2);
  int64_t total = 0;
  for (int rep = 0; rep < 20000; ++rep) {
    std::atomic<int64_t> sum{0};
    pool.ParallelFor(64, [&](int64_t b, int64_t e, int) {
      int64_t s = 0;
      for (int64_t i = b; i < e; ++i) s += i;
      sum += s;
    });
    total += sum.load();
  }
  EXPECT_EQ(total, 20000 * (63 * 64 / 2));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // let the worker fall asleep
  std::atomic<int> count{0};
  pool.ParallelFor(10, [&](int64_t b, int64_t e, int) { count += static_cast<int>(e - b); });
  EXPECT_EQ(count.load(), 10);
}

TEST(ThreadPoolTest, NestedCallsRunInline) {
  ThreadPool pool(2);
  std::atomic<int> count{0};
  pool.ParallelFor(4, [&](int64_t b, int64_t e, int) {
    for (int64_t i = b; i < e; ++i) {
      pool.ParallelFor(3, [&](int64_t b2, int64_t e2, int tid2) { count += static_cast<int>(e2 - b2); });
    }
  });
  EXPECT_EQ(count.load(), 12);
}

TEST(ThreadPoolTest, ConcurrentCallersFromTwoThreads) {
  ThreadPool pool(2);
  std::atomic<int64_t> a{0}, b{0};
  std::thread other([&] {
    for (int i = 0; i < 2000; ++i) pool.ParallelFor(8, [&](int64_t s, int64_t e, int) { a += e - s; });
  });
  for (int i = 0; i < 2000; ++i) pool.ParallelFor(8, [&](int64_t s, int64_t e, int) { b += e - s; });
  other.join();
  EXPECT_EQ(a.load(), 16000);
  EXPECT_EQ(b.load(), 16000);
}

// A worker the OS does not schedule (here: one that stalls in its first chunk)
// must not hold up the loop's other chunks: the caller claims them, so the
// worker runs at most the first chunk it took (with a fixed half-and-half
// split the caller would run only half of the tasks).
TEST(ThreadPoolTest, TheCallerRunsTheChunksAStalledWorkerCannotTake) {
  ThreadPool pool(2);
  const int64_t n = 64;
  int64_t largest = 0;
  for (int c = 0; c < ThreadPool::Chunks(n, 2); ++c) {
    const auto [b, e] = ThreadPool::Chunk(n, 2, c);
    largest = std::max(largest, e - b);
  }
  std::vector<std::atomic<int>> hits(n);
  std::atomic<int64_t> caller_tasks{0};
  pool.ParallelFor(n, [&](int64_t b, int64_t e, int tid) {
    if (tid != 0) std::this_thread::sleep_for(std::chrono::milliseconds(200));
    if (tid == 0) caller_tasks += e - b;
    for (int64_t i = b; i < e; ++i) hits[i]++;
  });
  for (int64_t i = 0; i < n; ++i) EXPECT_EQ(hits[i].load(), 1) << i;
  EXPECT_GE(caller_tasks.load(), n - largest);
}

}  // namespace
}  // namespace ss
