// src/backend/cpu/cpu_parallel.cpp — the CPU backend's worker pool and the thread-count API
// (gradlab/threads.h, cpu_parallel.h).
//
// The pool is deliberately small: cpu_threads() - 1 workers that sleep on a condition
// variable between jobs (the machine is often shared: no spinning), a job counter so each
// worker takes part in each job at most once, and a completion count the caller waits on.
// One job at a time: a second caller (another thread, or a task calling a kernel) runs its
// tasks inline, which gives the same result (the split never changes the arithmetic).
#include "cpu_parallel.h"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <memory>
#include <string>

#include "gradlab/error.h"
#include "gradlab/gemm.h"
#include "gradlab/threads.h"

#if GRADLAB_CPU_THREADS
#if !defined(GRADLAB_WASM)
#include <sched.h>

#include <fstream>
#include <sstream>

#include "cpu_quota.h"
#endif

#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>
#endif

namespace gradlab {

namespace {

std::atomic<int> g_threads{1};
std::atomic<int64_t> g_worker_tasks{0};

#if GRADLAB_CPU_THREADS

thread_local bool t_inside_task = false;

class Pool {
 public:
  explicit Pool(int workers) {
    for (int w = 0; w < workers; ++w) workers_.emplace_back([this, w] { work(w + 1); });
  }
  ~Pool() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    wake_.notify_all();
    for (std::thread& t : workers_) t.join();
  }
  int size() const { return static_cast<int>(workers_.size()) + 1; }

  // tasks <= size(). Task 0 runs here.
  void run(int tasks, const std::function<void(int)>& task) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      job_ = &task;
      tasks_ = tasks;
      pending_ = tasks - 1;
      error_ = nullptr;
      ++generation_;
    }
    wake_.notify_all();
    std::exception_ptr mine;
    t_inside_task = true;
    try {
      task(0);
    } catch (...) {
      mine = std::current_exception();
    }
    t_inside_task = false;
    std::unique_lock<std::mutex> lock(mutex_);
    done_.wait(lock, [this] { return pending_ == 0; });
    job_ = nullptr;
    if (mine) std::rethrow_exception(mine);
    if (error_) std::rethrow_exception(error_);
  }

 private:
  void work(int index) {
    t_inside_task = true;
    uint64_t seen = 0;
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
      wake_.wait(lock, [&] { return stop_ || generation_ != seen; });
      if (stop_) return;
      seen = generation_;
      if (index >= tasks_) continue;  // this job has fewer tasks than workers
      const std::function<void(int)>* job = job_;
      lock.unlock();
      std::exception_ptr failure;
      try {
        (*job)(index);
      } catch (...) {
        failure = std::current_exception();
      }
      g_worker_tasks.fetch_add(1, std::memory_order_relaxed);
      lock.lock();
      if (failure && !error_) error_ = failure;
      if (--pending_ == 0) done_.notify_one();
    }
  }

  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable wake_, done_;
  const std::function<void(int)>* job_ = nullptr;
  int tasks_ = 0, pending_ = 0;
  uint64_t generation_ = 0;
  bool stop_ = false;
  std::exception_ptr error_;
};

std::mutex g_pool_mutex;  // held while a job runs, and while the pool is replaced
std::unique_ptr<Pool> g_pool;

#endif  // GRADLAB_CPU_THREADS

}  // namespace

namespace cpu {

#if GRADLAB_CPU_THREADS  // else inline in cpu_parallel.h
int plan_tasks(int64_t units, int64_t grain) {
  const int threads = g_threads.load(std::memory_order_relaxed);
  if (threads <= 1 || units < 2 * grain) return 1;
  return static_cast<int>(std::min<int64_t>(threads, units / grain));
}
#endif

void run_tasks(int tasks, const std::function<void(int)>& task) {
#if GRADLAB_CPU_THREADS
  if (tasks > 1 && !t_inside_task) {
    std::unique_lock<std::mutex> lock(g_pool_mutex, std::try_to_lock);
    if (lock.owns_lock() && g_pool && tasks <= g_pool->size()) {
      g_pool->run(tasks, task);
      return;
    }
  }
#endif
  for (int t = 0; t < tasks; ++t) task(t);
}

int64_t worker_tasks_run() { return g_worker_tasks.load(); }

}  // namespace cpu

void set_cpu_threads(int threads) {
  if (threads < 1) fail<ValueError>("set_cpu_threads: threads=", threads, " must be >= 1");
#if GRADLAB_CPU_THREADS
#if defined(GRADLAB_WASM)
  // The pool's threads are Web Workers Emscripten started with the module (PTHREAD_POOL_SIZE):
  // a new one could not start while this thread waits on the pool.
  threads = std::min(threads, available_cores());
#endif
  set_gemm_threads(threads);
  std::lock_guard<std::mutex> lock(g_pool_mutex);
  if (!g_pool || g_pool->size() != threads) {
    g_pool.reset();  // joins the old workers
    if (threads > 1) g_pool = std::make_unique<Pool>(threads - 1);
  }
  g_threads.store(threads);
#endif
}

int cpu_threads() { return g_threads.load(); }

namespace {
#if !defined(GRADLAB_WASM)
int affinity_cpus() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0) {
    const int n = CPU_COUNT(&set);
    if (n > 0) return n;
  }
  const unsigned n = std::thread::hardware_concurrency();
  return n > 0 ? static_cast<int>(n) : 1;
}

bool read_text_file(const std::string& path, std::string& out) {
  std::ifstream f(path);
  if (!f) return false;
  std::ostringstream all;
  all << f.rdbuf();
  out = all.str();
  return true;
}
#endif
}  // namespace

double cgroup_cpu_quota() {
#if defined(GRADLAB_WASM)
  return 0;
#else
  std::string mountinfo, self_cgroup;
  if (!read_text_file("/proc/self/mountinfo", mountinfo) ||
      !read_text_file("/proc/self/cgroup", self_cgroup))
    return 0;
  return cpu::cgroup_cpu_quota_from(mountinfo, self_cgroup, read_text_file);
#endif
}

int available_cores() {
#if defined(GRADLAB_WASM) && GRADLAB_CPU_THREADS
  return GRADLAB_WASM_PTHREAD_POOL + 1;  // the module's workers + this thread (CMakeLists.txt)
#elif defined(GRADLAB_WASM)
  return 1;
#else
  const int cpus = affinity_cpus();
  const double quota = cgroup_cpu_quota();
  if (quota <= 0) return cpus;
  // ceil: a quota of 1.5 CPUs still lets 2 threads run half the time each.
  return std::max(1, std::min(cpus, static_cast<int>(std::ceil(quota - 1e-9))));
#endif
}

std::string cpu_threads_summary_line() {
  // No iostreams: this file is linked into the browser module.
  std::string line = std::to_string(available_cores());
#if !defined(GRADLAB_WASM)
  line += " (affinity mask " + std::to_string(affinity_cpus()) + " CPUs, cgroup CPU quota ";
  const double quota = cgroup_cpu_quota();
  if (quota > 0) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", quota);
    line += buf;
  } else {
    line += "none";
  }
  line += ")";
#endif
  return line;
}

int parse_thread_count(const std::string& text, const std::string& source) {
  const char* begin = text.c_str();
  char* end = nullptr;
  errno = 0;
  const long value = std::strtol(begin, &end, 10);
  const bool digits_only =
      !text.empty() && text.find_first_not_of("0123456789+-") == std::string::npos;
  if (!digits_only || end == begin || *end != '\0' || errno == ERANGE || value < 1 || value > 1024)
    fail<ConfigError>(source, " expects a positive whole number of threads (1 to 1024), got '",
                      text, "'");
  return static_cast<int>(value);
}

}  // namespace gradlab
