#include "util/thread_pool.h"

#include <algorithm>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define SS_CPU_RELAX() _mm_pause()
#else
#define SS_CPU_RELAX() std::this_thread::yield()
#endif

namespace ss {
namespace {

// Spin iterations before a worker sleeps: long enough to cover the gap between
// two kernels of one forward pass (tens of microseconds), short enough not to
// burn a core while the process waits on the network.
constexpr int kSpinIterations = 1 << 12;

thread_local bool tls_inside_task = false;

}  // namespace

ThreadPool::ThreadPool(int n_threads) : n_threads_(std::max(1, n_threads)) {
  threads_.reserve(n_threads_ - 1);
  for (int t = 1; t < n_threads_; ++t) threads_.emplace_back([this, t] { WorkerLoop(t); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_.store(true);
  }
  wake_.notify_all();
  for (auto& th : threads_) th.join();
}

std::pair<int64_t, int64_t> ThreadPool::Split(int64_t n, int n_parts, int t) {
  const int64_t base = n / n_parts;
  const int64_t extra = n % n_parts;
  const int64_t begin = t * base + std::min<int64_t>(t, extra);
  return {begin, begin + base + (t < extra ? 1 : 0)};
}

void ThreadPool::RunShare(int thread_id) {
  const auto [begin, end] = Split(job_tasks_, n_threads_, thread_id);
  if (begin < end) job_fn_(job_ctx_, begin, end, thread_id);
}

void ThreadPool::Run(int64_t n_tasks, TaskFn fn, void* ctx) {
  if (n_tasks <= 0) return;
  bool expected = false;
  // Inline when single-threaded, nested, tiny, or another thread owns the pool.
  if (n_threads_ == 1 || tls_inside_task || n_tasks == 1 ||
      !busy_.compare_exchange_strong(expected, true, std::memory_order_acquire)) {
    fn(ctx, 0, n_tasks, 0);
    return;
  }
  job_fn_ = fn;
  job_ctx_ = ctx;
  job_tasks_ = n_tasks;
  pending_.store(n_threads_ - 1, std::memory_order_relaxed);
  generation_.fetch_add(1, std::memory_order_seq_cst);
  if (sleepers_.load(std::memory_order_seq_cst) > 0) {
    std::lock_guard<std::mutex> lock(mu_);
    wake_.notify_all();
  }
  tls_inside_task = true;
  RunShare(0);
  tls_inside_task = false;
  // Yield now and then: if the machine is oversubscribed the worker we wait
  // for may need this core to finish its share.
  for (int spins = 0; pending_.load(std::memory_order_acquire) != 0; ++spins) {
    if ((spins & 1023) == 1023) {
      std::this_thread::yield();
    } else {
      SS_CPU_RELAX();
    }
  }
  busy_.store(false, std::memory_order_release);
}

bool ThreadPool::WaitForWork(uint64_t* seen_generation) {
  for (int i = 0; i < kSpinIterations; ++i) {
    if (generation_.load(std::memory_order_acquire) != *seen_generation) break;
    if (stop_.load(std::memory_order_relaxed)) return false;
    SS_CPU_RELAX();
  }
  if (generation_.load(std::memory_order_acquire) == *seen_generation) {
    std::unique_lock<std::mutex> lock(mu_);
    // sleepers_ is raised before re-checking generation_, and Run bumps
    // generation_ before reading sleepers_, so one of the two sees the other.
    sleepers_.fetch_add(1, std::memory_order_seq_cst);
    wake_.wait(lock, [&] {
      return stop_.load() || generation_.load(std::memory_order_seq_cst) != *seen_generation;
    });
    sleepers_.fetch_sub(1, std::memory_order_relaxed);
  }
  if (stop_.load()) return false;
  *seen_generation = generation_.load(std::memory_order_acquire);
  return true;
}

void ThreadPool::WorkerLoop(int thread_id) {
  tls_inside_task = true;  // tasks that call ParallelFor again run inline
  uint64_t seen = 0;
  while (WaitForWork(&seen)) {
    RunShare(thread_id);
    pending_.fetch_sub(1, std::memory_order_release);
  }
}

}  // namespace ss
