#include "util/thread_pool.h"

#include <sched.h>

#include <algorithm>

#include "util/thread_name.h"

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

uint32_t GenerationOf(uint64_t cursor) { return static_cast<uint32_t>(cursor >> 32); }
uint32_t UnclaimedOf(uint64_t cursor) { return static_cast<uint32_t>(cursor); }

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

ThreadPool::ThreadPool(int n_threads) : n_threads_(std::max(1, n_threads)) {
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

int ThreadPool::Chunks(int64_t n_tasks, int n_threads) {
  int groups = 1;
  while (groups < kMaxGroups && (n_tasks >> groups) >= int64_t{n_threads} * kMinChunkTasks) ++groups;
  return groups * n_threads;
}

std::pair<int64_t, int64_t> ThreadPool::Chunk(int64_t n_tasks, int n_threads, int chunk) {
  const int groups = Chunks(n_tasks, n_threads) / n_threads, g = chunk / n_threads;
  const int64_t start = n_tasks - (n_tasks >> g);
  const int64_t size = g + 1 < groups ? (n_tasks >> g) - (n_tasks >> (g + 1)) : (n_tasks >> g);
  const auto [b, e] = Split(size, n_threads, chunk % n_threads);
  return {start + b, start + e};
}

void ThreadPool::RunChunks(uint32_t generation, int thread_id) {
  uint64_t cur = cursor_.load(std::memory_order_acquire);
  while (GenerationOf(cur) == generation && UnclaimedOf(cur) > 0) {
    if (!cursor_.compare_exchange_weak(cur, cur - 1, std::memory_order_acq_rel, std::memory_order_acquire))
      continue;
    const int chunk = job_chunks_ - static_cast<int>(UnclaimedOf(cur));
    const auto [begin, end] = Chunk(job_tasks_, n_threads_, chunk);
    if (begin < end) job_fn_(job_ctx_, begin, end, thread_id);
    chunks_done_.fetch_add(1, std::memory_order_acq_rel);
    cur = cursor_.load(std::memory_order_acquire);
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
  job_fn_ = fn;
  job_ctx_ = ctx;
  job_tasks_ = n_tasks;
  job_chunks_ = Chunks(n_tasks, n_threads_);
  chunks_done_.store(0, std::memory_order_relaxed);
  const uint32_t generation = GenerationOf(cursor_.load(std::memory_order_relaxed)) + 1;
  cursor_.store(uint64_t{generation} << 32 | static_cast<uint32_t>(job_chunks_), std::memory_order_seq_cst);
  if (sleepers_.load(std::memory_order_seq_cst) > 0) {
    std::lock_guard<std::mutex> lock(mu_);
    wake_.notify_all();
  }
  tls_inside_task = true;
  RunChunks(generation, 0);
  tls_inside_task = false;
  // Only chunks another thread is running are left. Yield now and then: if the
  // machine is oversubscribed that thread may need this core to finish.
  for (int spins = 0; chunks_done_.load(std::memory_order_acquire) != job_chunks_; ++spins) {
    if ((spins & 255) == 255) {
      std::this_thread::yield();
    } else {
      SS_CPU_RELAX();
    }
  }
  busy_.store(false, std::memory_order_release);
}

bool ThreadPool::WaitForWork(uint32_t* seen_generation) {
  auto changed = [&] { return GenerationOf(cursor_.load(std::memory_order_seq_cst)) != *seen_generation; };
  for (int i = 0; i < kSpinIterations && !changed(); ++i) {
    if (stop_.load(std::memory_order_relaxed)) return false;
    SS_CPU_RELAX();
  }
  if (!changed()) {
    std::unique_lock<std::mutex> lock(mu_);
    // sleepers_ is raised before re-checking cursor_, and Run publishes
    // cursor_ before reading sleepers_, so one of the two sees the other.
    sleepers_.fetch_add(1, std::memory_order_seq_cst);
    wake_.wait(lock, [&] { return stop_.load() || changed(); });
    sleepers_.fetch_sub(1, std::memory_order_relaxed);
  }
  if (stop_.load()) return false;
  *seen_generation = GenerationOf(cursor_.load(std::memory_order_acquire));
  return true;
}

void ThreadPool::WorkerLoop(int thread_id) {
  tls_inside_task = true;  // tasks that call ParallelFor again run inline
  uint32_t seen = 0;
  while (WaitForWork(&seen)) RunChunks(seen, thread_id);
}

}  // namespace ss
