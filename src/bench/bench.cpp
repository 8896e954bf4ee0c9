// bench.cpp — the benchmark registry, the timing rule, JSON lines, and `gradlab bench`'s
// argument handling (see bench.h for the contract).
#include "bench.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "gradlab/blas_info.h"
#include "gradlab/error.h"
#include "gradlab/gemm.h"
#include "gradlab/threads.h"

#if defined(GRADLAB_WASM)
#include <emscripten.h>
// Process CPU time in ms from node's process.cpuUsage(); NaN in a browser.
// clang-format off
EM_JS(double, gradlab_bench_process_cpu_ms, (), {
  if (typeof process === 'undefined' || !process.cpuUsage) return NaN;
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
});
// clang-format on
#else
#include <ctime>
#endif

namespace gradlab::bench {

namespace {

#if defined(GRADLAB_WASM)
constexpr const char* kTarget = "wasm";
#else
constexpr const char* kTarget = "native";
#endif

// Function-local so registration from other files' static initialisers never runs before
// the vector exists (static initialisation order across files is unspecified).
std::vector<Benchmark>& registry() {
  static std::vector<Benchmark> benchmarks;
  return benchmarks;
}

constexpr double kMinSampleSeconds = 0.2;
constexpr double kLongCallSeconds = 1.0;

// CPU seconds used by the whole process so far (all threads), NaN when unknown.
double process_cpu_seconds() {
#if defined(GRADLAB_WASM)
  return gradlab_bench_process_cpu_ms() * 1e-3;
#else
  timespec ts{};
  if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts) != 0) return std::nan("");
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
#endif
}

double seconds_for(const std::function<void()>& call, int64_t reps) {
  const auto start = std::chrono::steady_clock::now();
  for (int64_t r = 0; r < reps; ++r) call();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// JSON string literal (keys and values here are plain ASCII names, but stay correct anyway).
std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (char ch : s) {
    if (ch == '"' || ch == '\\') {
      out += '\\';
      out += ch;
    } else if (static_cast<unsigned char>(ch) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", ch);
      out += buf;
    } else {
      out += ch;
    }
  }
  return out + "\"";
}

const char* kUsage =
    "usage: gradlab bench [--filter NAME] [--threads N] [--quick] [--fashion-dir DIR] [--list]\n"
    "  --filter NAME      run only benchmarks whose name contains NAME\n"
    "  --threads N        CPU threads: OpenBLAS GEMM and the kernels (default 1; WASM 1)\n"
    "  --quick            smaller sizes (smoke run)\n"
    "  --fashion-dir DIR  Fashion-MNIST IDX files for the benchmarks that read them (default:\n"
    "                     data.path's default; the WASM build needs uncompressed files)\n"
    "  --list             print the benchmark names and exit\n"
    "One JSON line per measurement on stdout.\n";

int parse_threads(const char* text) { return parse_thread_count(text, "bench: --threads"); }

}  // namespace

std::vector<int64_t> Context::sizes() const {
  if (options_.quick) return {128, 512};
  return {128, 512, 1024};
}

Timing measure(const std::function<void()>& call) {
  seconds_for(call, 1);  // warm-up: first-touch page faults, caches, WASM tier-up

  // Calibrate: grow the repetition count until one sample lasts >= kMinSampleSeconds,
  // jumping straight to the estimate (with 20 % headroom) once a timing is informative.
  int64_t reps = 1;
  double elapsed = seconds_for(call, reps);
  while (elapsed < kMinSampleSeconds) {
    const double estimate = std::ceil(reps * kMinSampleSeconds * 1.2 / std::max(elapsed, 1e-9));
    reps = std::max<int64_t>(2 * reps, elapsed > 1e-3 ? static_cast<int64_t>(estimate) : 0);
    elapsed = seconds_for(call, reps);
  }

  Timing t;
  t.reps = reps;
  t.samples = elapsed / static_cast<double>(reps) > kLongCallSeconds ? 3 : 5;
  std::vector<double> per_call_ms;
  const double cpu_start = process_cpu_seconds();
  double wall = 0;
  for (int s = 0; s < t.samples; ++s) {
    const double seconds = seconds_for(call, reps);
    wall += seconds;
    per_call_ms.push_back(seconds * 1e3 / static_cast<double>(reps));
  }
  t.cpu_util = (process_cpu_seconds() - cpu_start) / wall;
  std::sort(per_call_ms.begin(), per_call_ms.end());
  t.median_ms = per_call_ms[per_call_ms.size() / 2];
  t.min_ms = per_call_ms.front();
  t.max_ms = per_call_ms.back();
  return t;
}

Record::Record(const Context& /*ctx*/, const std::string& bench) : line_("{") {
  set("bench", bench);
  set("target", kTarget);
  set("peer", std::string("ours-") + kTarget);
  set("impl", gemm_implementation());
#if !defined(GRADLAB_WASM)
  // Which BLAS kernels ran (gradlab/blas_info.h): a fallback family is ~5x slower at GEMM.
  static const BlasInfo blas = blas_info();
  set("blas", blas.library);
  set("blas_core", blas.core);
  set("blas_core_by", blas.chosen_by);
#endif
  set("threads", cpu_threads());
}

Record& Record::raw(const std::string& key, const std::string& json_value) {
  if (line_.size() > 1) line_ += ',';
  line_ += json_string(key);
  line_ += ':';
  line_ += json_value;
  return *this;
}

Record& Record::set(const std::string& key, int64_t value) {
  return raw(key, std::to_string(value));
}

Record& Record::set(const std::string& key, double value, int decimals) {
  if (!std::isfinite(value)) return *this;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, value);
  return raw(key, buf);
}

Record& Record::set(const std::string& key, const std::string& value) {
  return raw(key, json_string(value));
}

Record& Record::timing(const Timing& t) {
  set("samples", t.samples);
  set("reps", t.reps);
  set("median_ms", t.median_ms);
  set("min_ms", t.min_ms);
  set("max_ms", t.max_ms);
  return set("cpu_util", t.cpu_util, 2);
}

Record& Record::gflops(double flops_per_call, const Timing& t) {
  return set("gflops", flops_per_call / (t.median_ms * 1e-3) / 1e9, 2);
}

void Record::emit() const {
  std::fputs(line_.c_str(), stdout);
  std::fputs("}\n", stdout);
  std::fflush(stdout);
}

bool register_benchmark(const char* name, BenchFunction run) {
  registry().push_back({name, run});
  return true;
}

std::vector<Benchmark> registered_benchmarks() {
  std::vector<Benchmark> sorted = registry();
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const Benchmark& x, const Benchmark& y) { return x.name < y.name; });
  return sorted;
}

}  // namespace gradlab::bench

namespace gradlab {

int bench_main(int argc, char** argv) {
  bench::Options options;
  bool list_only = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--filter" && has_value) {
      options.filter = argv[++i];
    } else if (arg == "--threads" && has_value) {
      options.threads = bench::parse_threads(argv[++i]);
    } else if (arg == "--fashion-dir" && has_value) {
      options.fashion_dir = argv[++i];
    } else if (arg == "--quick") {
      options.quick = true;
    } else if (arg == "--list") {
      list_only = true;
    } else if (arg == "--help" || arg == "-h") {
      std::fputs(bench::kUsage, stdout);
      return 0;
    } else if (arg == "--filter" || arg == "--threads" || arg == "--fashion-dir") {
      fail<ConfigError>("bench: ", arg, " needs a value\n", bench::kUsage);
    } else {
      fail<ConfigError>("bench: unknown argument '", arg, "'\n", bench::kUsage);
    }
  }

  std::vector<bench::Benchmark> selected;
  std::string available;
  for (const bench::Benchmark& b : bench::registered_benchmarks()) {
    available += (available.empty() ? "" : ", ") + b.name;
    if (b.name.find(options.filter) != std::string::npos) selected.push_back(b);
  }
  if (selected.empty())
    fail<ConfigError>("bench: no benchmark matches --filter '", options.filter,
                      "' (available: ", available, ")");
  if (list_only) {
    for (const bench::Benchmark& b : selected) std::printf("%s\n", b.name.c_str());
    return 0;
  }

  set_cpu_threads(options.threads);
  for (const bench::Benchmark& b : selected) b.run(bench::Context(b.name, options));
  return 0;
}

}  // namespace gradlab
