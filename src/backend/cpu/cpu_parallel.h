// src/backend/cpu/cpu_parallel.h — static work splitting for the CPU kernels (internal).
//
// The kernels split their *outputs* into contiguous ranges, one per task, and every task runs
// the same serial code on its range; a range boundary never changes the arithmetic done for
// an element, so results are bit-identical for any thread count (gradlab/threads.h). Work
// below kParallelGrain elements per task stays on the calling thread: waking a worker costs
// some microseconds, about what 32K simple elements take.
//
// Tasks run on a fixed pool of cpu_threads() - 1 workers plus the calling thread (task 0).
// Natively and in the threaded WASM module (GRADLAB_CPU_THREADS); in the default WASM module
// cpu_threads() is 1 and everything runs inline.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>

#include "gradlab/threads.h"

namespace gradlab {
namespace cpu {

constexpr int64_t kParallelGrain = int64_t{1} << 15;  // elements per task, at least

// How many tasks `units` of work make with at least `grain` units each (1 .. cpu_threads()).
#if !GRADLAB_CPU_THREADS
// The default WASM module has no threads (cpu_threads() is always 1): one task, known at
// compile time, so the kernels' split paths compile away (kept, they tripled the browser
// module's kernel code; the threaded module keeps them).
inline int plan_tasks(int64_t, int64_t) { return 1; }
#else
int plan_tasks(int64_t units, int64_t grain);
#endif
// Runs task(0) on this thread and task(1..tasks-1) on the pool, returns when all finished, and
// rethrows the first exception a task threw. Nested calls (from inside a task) run inline.
void run_tasks(int tasks, const std::function<void(int)>& task);
// Tasks the pool's workers have run since the process started (tests check the split happens).
int64_t worker_tasks_run();

// body(begin, end) over a static split of [0, n): task t gets [n*t/T, n*(t+1)/T).
template <class Body>
void parallel_for(int64_t n, int64_t grain, Body&& body) {
  if (n <= 0) return;
  const int tasks = plan_tasks(n, std::max<int64_t>(1, grain));
  if (tasks <= 1) {
    body(int64_t{0}, n);
    return;
  }
  run_tasks(tasks, [&](int t) { body(n * t / tasks, n * (t + 1) / tasks); });
}

}  // namespace cpu
}  // namespace gradlab
