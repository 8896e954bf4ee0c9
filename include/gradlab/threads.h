// gradlab/threads.h — how many CPU threads the native backend uses.
//
// One number governs both kinds of CPU parallelism: OpenBLAS's GEMM threads and the
// backend's own worker pool for the large elementwise, copy, reduction, im2col/col2im and
// gather/scatter loops (src/backend/cpu/cpu_parallel.*). The library default is 1 thread
// (tests, the Python drivers and sweeps running several processes stay single-threaded);
// `gradlab run` defaults to every core the process may use (--threads / GRADLAB_THREADS).
//
// Determinism: every loop is split statically into contiguous ranges of *outputs*, and a
// long sum splits along the same pairwise tree the serial code uses, so the CPU kernels give
// bit-identical results for every thread count. OpenBLAS decides its own split of a GEMM;
// for a fixed thread count it is deterministic run to run.
//
// WebAssembly: the default browser module has no threads (set_cpu_threads accepts any valid
// count and keeps 1). The threaded module (CMake GRADLAB_WASM_THREADS, Emscripten pthreads on
// SharedArrayBuffer; the browser lab loads it only on a cross-origin-isolated page) runs the
// same pool on Web Workers, and splits its GEMMs by rows of C, which leaves every element's
// sum unchanged: results are bit-identical to the single-threaded module's.
#pragma once

// 1 where the CPU backend can run threads: natively, and in the pthreads WASM build.
#if !defined(GRADLAB_WASM) || defined(__EMSCRIPTEN_PTHREADS__)
#define GRADLAB_CPU_THREADS 1
#else
#define GRADLAB_CPU_THREADS 0
#endif

#include <string>

namespace gradlab {

// Sets the thread count (>= 1, else ValueError). Not to be called while a kernel runs.
void set_cpu_threads(int threads);
// The count in effect (always 1 in the single-threaded WASM module).
int cpu_threads();
// CPUs this process may run on: natively the CPUs of its affinity mask, capped by its cgroup's
// CPU quota rounded up (a container limited to 2 CPUs on a 64-core host gets 2 threads, not 64
// threads time-sliced into 2 CPUs' worth of quota); in the threaded WASM module the Web
// Workers it started for its pool plus its own thread; 1 in the single-threaded one.
int available_cores();
// The cgroup CPU quota of this process in CPUs (cgroup v2 cpu.max, v1 cpu.cfs_quota_us /
// cpu.cfs_period_us; the smallest along the cgroup's ancestors), e.g. 1.5; 0 when there is
// none or it cannot be read (and always 0 in WASM).
double cgroup_cpu_quota();
// For `gradlab --version`: "2 (affinity 2 CPUs, cgroup quota none)".
std::string cpu_threads_summary_line();
// Parses a thread count given on the command line or in GRADLAB_THREADS: a positive decimal
// integer (at most 1024). Anything else is a ConfigError naming `source` and the text.
int parse_thread_count(const std::string& text, const std::string& source);

}  // namespace gradlab
