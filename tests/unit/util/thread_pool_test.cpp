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

// A thread claims its own range from the front, piece after adjacent piece
// (one stream through a weight matrix), halving what is left each time; what
// it runs of other ranges comes from their backs.
TEST(ThreadPoolTest, EachThreadRunsItsOwnRangeFrontToBack) {
  struct Piece {
    int64_t begin, end;
  };
  for (int threads : {2, 3}) {
    ThreadPool pool(threads);
    for (int64_t n : {2, 7, 64, 1000}) {
      std::vector<std::vector<Piece>> pieces(threads);  // per thread, in its order
      pool.ParallelFor(n, [&](int64_t b, int64_t e, int tid) { pieces[tid].push_back({b, e}); });
      for (int t = 0; t < threads; ++t) {
        const auto [own_begin, own_end] = ThreadPool::Split(n, threads, t);
        int64_t next = own_begin;
        for (const Piece& p : pieces[t]) {
          if (p.begin >= own_begin && p.begin < own_end) {
            ASSERT_EQ(p.begin, next) << threads << " " << n << " thread " << t;
            EXPECT_LE(p.end - p.begin, std::max(ThreadPool::kMinPieceTasks, (own_end - p.begin) / 2));
            next = p.end;
          } else {  // from the back of another thread's range, within it
            int r = 0;
            while (ThreadPool::Split(n, threads, r).second <= p.begin) ++r;
            EXPECT_NE(r, t);
            EXPECT_LE(p.end, ThreadPool::Split(n, threads, r).second);
          }
        }
      }
    }
  }
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

// A worker the OS does not schedule (here: one that stalls in its first
// piece) must not hold up the rest of the loop: the caller takes what is left
// of the worker's range, so the worker runs only the first piece it claimed,
// half of its range (with a fixed half-and-half split the caller would run
// only half of the tasks).
TEST(ThreadPoolTest, TheCallerTakesWhatAStalledWorkerCannot) {
  ThreadPool pool(2);
  const int64_t n = 64;
  std::vector<std::atomic<int>> hits(n);
  std::atomic<int64_t> caller_tasks{0};
  pool.ParallelFor(n, [&](int64_t b, int64_t e, int tid) {
    if (tid != 0) std::this_thread::sleep_for(std::chrono::milliseconds(200));
    if (tid == 0) caller_tasks += e - b;
    for (int64_t i = b; i < e; ++i) hits[i]++;
  });
  for (int64_t i = 0; i < n; ++i) EXPECT_EQ(hits[i].load(), 1) << i;
  EXPECT_GE(caller_tasks.load(), n - n / 4);
}

}  // namespace
}  // namespace ss
