#pragma once
// A fixed pool of worker threads for the compute kernels. The thread calling
// ParallelFor is itself worker 0, so ThreadPool(1) runs everything inline and
// ThreadPool(2) starts one extra thread. A call costs a few microseconds: idle
// workers spin briefly before sleeping on a condition variable, because a
// forward pass issues a couple of hundred short parallel loops per token.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

namespace ss {

class ThreadPool {
 public:
  // Body of a parallel loop: handles tasks [begin, end) on worker thread_id.
  using TaskFn = void (*)(void* ctx, int64_t begin, int64_t end, int thread_id);

  explicit ThreadPool(int n_threads);  // clamped to >= 1
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return n_threads_; }

  // Splits [0, n_tasks) into size() contiguous, nearly equal ranges (worker t
  // gets the t-th range, possibly empty) and blocks until all are done. A
  // static split keeps results independent of timing and lets each worker
  // stream one contiguous slice of a weight matrix. Calls from inside a task,
  // or concurrent calls from other threads, run inline on the caller.
  template <typename Fn>  // Fn: void(int64_t begin, int64_t end, int thread_id)
  void ParallelFor(int64_t n_tasks, Fn&& fn) {
    Run(n_tasks, &Trampoline<std::remove_reference_t<Fn>>, static_cast<void*>(&fn));
  }

  // Worker t's share of [0, n) under the static split above.
  static std::pair<int64_t, int64_t> Split(int64_t n, int n_parts, int t);

 private:
  template <typename F>
  static void Trampoline(void* ctx, int64_t begin, int64_t end, int thread_id) {
    (*static_cast<F*>(ctx))(begin, end, thread_id);
  }
  void Run(int64_t n_tasks, TaskFn fn, void* ctx);
  void WorkerLoop(int thread_id);
  void RunShare(int thread_id);
  bool WaitForWork(uint64_t* seen_generation);

  const int n_threads_;
  std::vector<std::thread> threads_;

  // The current job, published by bumping generation_.
  TaskFn job_fn_ = nullptr;
  void* job_ctx_ = nullptr;
  int64_t job_tasks_ = 0;
  std::atomic<uint64_t> generation_{0};
  std::atomic<int> pending_{0};  // workers (excluding the caller) still running the job
  std::atomic<int> sleepers_{0};
  std::atomic<bool> stop_{false};
  std::mutex mu_;  // guards sleeping; also serializes concurrent callers via busy_
  std::condition_variable wake_;
  std::atomic<bool> busy_{false};
};

}  // namespace ss
