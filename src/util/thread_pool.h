#pragma once
// A fixed pool of worker threads for the compute kernels. The thread calling
// ParallelFor is itself worker 0, so ThreadPool(1) runs everything inline and
// ThreadPool(2) starts one extra thread. A call costs a few microseconds: idle
// workers spin briefly before sleeping on a condition variable, because a
// forward pass issues a couple of hundred short parallel loops per token.
//
// Work is handed out in chunks that threads claim as they come, so a loop
// never waits for a worker the OS has not scheduled: the caller claims what
// is left. That matters when several processes share the cores (four nodes
// of a local swarm on a 2-core machine): with a fixed split, every loop would
// wait for the slowest-scheduled thread of the process.

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

  // Runs every task of [0, n_tasks) exactly once on some worker, in the
  // contiguous chunks below, and blocks until all are done. Chunk bounds
  // depend only on n_tasks and size(), never on timing, so results do not
  // either. Calls from inside a task, or concurrent calls from other threads,
  // run inline on the caller.
  template <typename Fn>  // Fn: void(int64_t begin, int64_t end, int thread_id)
  void ParallelFor(int64_t n_tasks, Fn&& fn) {
    Run(n_tasks, &Trampoline<std::remove_reference_t<Fn>>, static_cast<void*>(&fn));
  }

  // Part t of [0, n) cut into n_parts contiguous, nearly equal ranges.
  static std::pair<int64_t, int64_t> Split(int64_t n, int n_parts, int t);

  // The chunks of a loop, claimed in order: groups of n_threads chunks, each
  // group covering half of what the groups before it left and the last group
  // the rest, for at most kMaxGroups groups of chunks of at least
  // kMinChunkTasks tasks. The first chunks stream long slices of a weight
  // matrix; the small last ones let the threads finish together when one of
  // them runs slower (a busier core, a late start: on this project's 2-core
  // VM one core runs the same kernel 25 % slower, and equal chunks left the
  // other waiting at every join).
  static constexpr int kMaxGroups = 4, kMinChunkTasks = 2;
  static int Chunks(int64_t n_tasks, int n_threads);
  static std::pair<int64_t, int64_t> Chunk(int64_t n_tasks, int n_threads, int chunk);

 private:
  template <typename F>
  static void Trampoline(void* ctx, int64_t begin, int64_t end, int thread_id) {
    (*static_cast<F*>(ctx))(begin, end, thread_id);
  }
  void Run(int64_t n_tasks, TaskFn fn, void* ctx);
  void WorkerLoop(int thread_id);
  // Claims and runs chunks of job `generation` until none is left.
  void RunChunks(uint32_t generation, int thread_id);
  bool WaitForWork(uint32_t* seen_generation);

  const int n_threads_;
  std::vector<std::thread> threads_;

  // The current job. Its fields are written before cursor_ publishes it and
  // read only by a thread that claimed one of its chunks, which the caller
  // waits for before writing the next job.
  TaskFn job_fn_ = nullptr;
  void* job_ctx_ = nullptr;
  int64_t job_tasks_ = 0;
  int job_chunks_ = 0;
  // Generation in the high 32 bits, chunks not yet claimed in the low 32: a
  // claim is one compare-and-swap, and a thread holding a stale generation
  // cannot claim a chunk of the next job.
  std::atomic<uint64_t> cursor_{0};
  std::atomic<int> chunks_done_{0};
  std::atomic<int> sleepers_{0};
  std::atomic<bool> stop_{false};
  std::mutex mu_;  // guards sleeping; also serializes concurrent callers via busy_
  std::condition_variable wake_;
  std::atomic<bool> busy_{false};
};

}  // namespace ss
