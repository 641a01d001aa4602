#include "util/thread_pool.h"

#include <sched.h>

#include <algorithm>

#include "util/thread_name.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace ss {
namespace {

// One step of a wait for another thread. The first ~2 us only pause: most
// waits end by then (the other thread is a few pieces behind, or the next
// kernel follows a short serial step). Then every 16th step yields, so a
// thread that waits on a core another runnable thread needs (several
// processes on few cores: four nodes of a local swarm, or two generations at
// once) gives that core away within a microsecond or two. Pausing alone held
// it for the rest of the time slice: two `generate` processes of 2 threads
// each on 2 cores decoded up to 15-20 % less in total (less when memory is
// the tighter limit). A yield costs ~1.3 us on this VM; yielding from the
// first step looked ~3 % slower for one process alone.
inline void WaitStep(uint32_t step) {  // unsigned: a long wait wraps, harmlessly
  if (step >= 128 && (step & 15) == 15) {
    std::this_thread::yield();
  } else {
#if defined(__x86_64__) || defined(__i386__)
    _mm_pause();
#else
    std::this_thread::yield();
#endif
  }
}

// Wait steps before a worker sleeps (~100 us): long enough to cover the gap
// between two kernels of one forward pass (microseconds), short enough not to
// burn a core while the process waits on the network.
constexpr uint32_t kSpinSteps = 1 << 10;

thread_local bool tls_inside_task = false;

// Tasks of one job at most, so a range's ends fit 32 bits each.
constexpr int64_t kMaxJobTasks = 0xFFFFFFFF;

uint64_t Pack(int64_t front, int64_t back) {
  return static_cast<uint64_t>(front) << 32 | static_cast<uint64_t>(back);
}
int64_t FrontOf(uint64_t range) { return static_cast<int64_t>(range >> 32); }
int64_t BackOf(uint64_t range) { return static_cast<int64_t>(range & 0xFFFFFFFFu); }

}  // namespace

int ThreadPool::UsableCores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    const int n = CPU_COUNT(&set);
    if (n > 0) return n;
  }
  return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

ThreadPool::ThreadPool(int n_threads) : n_threads_(std::max(1, n_threads)), ranges_(n_threads_) {
  threads_.reserve(n_threads_ - 1);
  for (int t = 1; t < n_threads_; ++t)
    threads_.emplace_back([this, t] {
      NameThisThread("compute");
      WorkerLoop(t);
    });
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

bool ThreadPool::Claim(int r, bool from_front, int64_t* begin, int64_t* end) {
  std::atomic<uint64_t>& unclaimed = ranges_[static_cast<size_t>(r)].unclaimed;
  uint64_t cur = unclaimed.load(std::memory_order_acquire);
  for (;;) {
    const int64_t front = FrontOf(cur), back = BackOf(cur);
    if (front >= back) return false;
    const int64_t piece = std::max(std::min(kMinPieceTasks, back - front), (back - front) / 2);
    *begin = from_front ? front : back - piece;
    *end = from_front ? front + piece : back;
    const uint64_t rest = from_front ? Pack(front + piece, back) : Pack(front, back - piece);
    if (unclaimed.compare_exchange_weak(cur, rest, std::memory_order_acq_rel, std::memory_order_acquire))
      return true;
  }
}

void ThreadPool::RunPieces(int thread_id) {
  int64_t begin = 0, end = 0;
  for (int k = 0; k < n_threads_; ++k) {
    const int r = (thread_id + k) % n_threads_;
    while (Claim(r, k == 0, &begin, &end)) {
      job_fn_(job_ctx_, job_offset_ + begin, job_offset_ + end, thread_id);
      tasks_done_.fetch_add(end - begin, std::memory_order_acq_rel);
    }
  }
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
  for (int64_t offset = 0; offset < n_tasks; offset += kMaxJobTasks) {
    const int64_t n = std::min(n_tasks - offset, kMaxJobTasks);
    job_fn_ = fn;
    job_ctx_ = ctx;
    job_offset_ = offset;
    tasks_done_.store(0, std::memory_order_relaxed);
    for (int t = 0; t < n_threads_; ++t) {
      const auto [b, e] = Split(n, n_threads_, t);
      ranges_[static_cast<size_t>(t)].unclaimed.store(Pack(b, e), std::memory_order_release);
    }
    generation_.fetch_add(1, std::memory_order_seq_cst);
    if (sleepers_.load(std::memory_order_seq_cst) > 0) {
      std::lock_guard<std::mutex> lock(mu_);
      wake_.notify_all();
    }
    tls_inside_task = true;
    RunPieces(0);
    tls_inside_task = false;
    // Only pieces another thread is running are left; that thread may need
    // this core to finish them.
    for (uint32_t step = 0; tasks_done_.load(std::memory_order_acquire) != n; ++step) WaitStep(step);
  }
  busy_.store(false, std::memory_order_release);
}

bool ThreadPool::WaitForWork(uint32_t* seen_generation) {
  auto changed = [&] { return generation_.load(std::memory_order_seq_cst) != *seen_generation; };
  for (uint32_t step = 0; step < kSpinSteps && !changed(); ++step) {
    if (stop_.load(std::memory_order_relaxed)) return false;
    WaitStep(step);
  }
  if (!changed()) {
    std::unique_lock<std::mutex> lock(mu_);
    // sleepers_ is raised before re-checking generation_, and Run bumps
    // generation_ before reading sleepers_, so one of the two sees the other.
    sleepers_.fetch_add(1, std::memory_order_seq_cst);
    wake_.wait(lock, [&] { return stop_.load() || changed(); });
    sleepers_.fetch_sub(1, std::memory_order_relaxed);
  }
  if (stop_.load()) return false;
  *seen_generation = generation_.load(std::memory_order_acquire);
  return true;
}

void ThreadPool::WorkerLoop(int thread_id) {
  tls_inside_task = true;  // tasks that call ParallelFor again run inline
  uint32_t seen = 0;
  while (WaitForWork(&seen)) RunPieces(thread_id);
}

}  // namespace ss
