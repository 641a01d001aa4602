#pragma once
// A fixed pool of worker threads for the compute kernels. The thread calling
// ParallelFor is itself worker 0, so ThreadPool(1) runs everything inline and
// ThreadPool(2) starts one extra thread. A call costs a few microseconds: idle
// workers spin briefly before sleeping on a condition variable, because a
// forward pass issues a couple of hundred short parallel loops per token.
//
// Work is handed out as one contiguous range of tasks per thread (Split),
// which its owner claims from the front in shrinking pieces, so each thread
// streams one run of a weight matrix. A thread done with its own range takes
// pieces from the back of another's, so a loop never waits for a worker the
// OS has not scheduled or a core that runs slower (on this project's 2-core
// VM one core runs the same kernel 25 % slower): the other claims what is
// left. That also matters when several processes share the cores (four nodes
// of a local swarm on a 2-core machine). Which thread runs a task depends on
// timing, so a task's result must not depend on how the range was cut.

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

  // The cores this process may run on (its CPU affinity mask; all online
  // cores where the mask cannot be read), at least 1.
  static int UsableCores();

  // Runs every task of [0, n_tasks) exactly once on some worker, in pieces
  // of contiguous tasks as above, and blocks until all are done. Calls from
  // inside a task, or concurrent calls from other threads, run inline on the
  // caller.
  template <typename Fn>  // Fn: void(int64_t begin, int64_t end, int thread_id)
  void ParallelFor(int64_t n_tasks, Fn&& fn) {
    Run(n_tasks, &Trampoline<std::remove_reference_t<Fn>>, static_cast<void*>(&fn));
  }

  // Part t of [0, n) cut into n_parts contiguous, nearly equal ranges.
  static std::pair<int64_t, int64_t> Split(int64_t n, int n_parts, int t);

  // A claim takes half of what is left of a range, at least this many tasks.
  static constexpr int64_t kMinPieceTasks = 2;

 private:
  template <typename F>
  static void Trampoline(void* ctx, int64_t begin, int64_t end, int thread_id) {
    (*static_cast<F*>(ctx))(begin, end, thread_id);
  }
  void Run(int64_t n_tasks, TaskFn fn, void* ctx);
  void WorkerLoop(int thread_id);
  // Runs pieces of the current job, own range first, until none is left.
  void RunPieces(int thread_id);
  // Claims a piece of range r from its front (its owner) or back (another
  // thread); false once the range is empty.
  bool Claim(int r, bool from_front, int64_t* begin, int64_t* end);
  bool WaitForWork(uint32_t* seen_generation);

  const int n_threads_;
  std::vector<std::thread> threads_;
  // The current job. Its fields are written before the ranges publish it and
  // read only by a thread that claimed one of its pieces, which the caller
  // waits for before writing the next job.
  TaskFn job_fn_ = nullptr;
  void* job_ctx_ = nullptr;
  int64_t job_offset_ = 0;  // a loop of 2^32 tasks or more runs as several jobs
  // Each thread's range: the unclaimed tasks [front, back) as front << 32 |
  // back, so a claim from either end is one compare-and-swap.
  struct alignas(64) Range {
    std::atomic<uint64_t> unclaimed{0};
  };
  std::vector<Range> ranges_;
  std::atomic<int64_t> tasks_done_{0};
  // Bumped per job to wake the workers.
  std::atomic<uint32_t> generation_{0};
  std::atomic<int> sleepers_{0};
  std::atomic<bool> stop_{false};
  std::mutex mu_;  // guards sleeping; also serializes concurrent callers via busy_
  std::condition_variable wake_;
  std::atomic<bool> busy_{false};
};

}  // namespace ss
