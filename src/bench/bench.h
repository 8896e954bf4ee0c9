// bench.h — the tiny benchmark harness behind `gradlab bench` (docs/design.md §1, "./lab bench").
//
// A benchmark is a function registered under the name its JSON lines carry in "bench":
//
//   GRADLAB_BENCHMARK(gemm_f32_nn) {                 // in any src/bench/*.cpp
//     for (int64_t n : ctx.sizes()) {
//       ... set up inputs ...
//       const bench::Timing t = bench::measure([&] { ... one call ... });
//       bench::Record(ctx).set("n", n).timing(t).gflops(2.0 * n * n * n, t).emit();
//     }
//   }
//
// `gradlab bench [--filter NAME] [--threads N] [--quick] [--fashion-dir DIR] [--list]` runs every
// registered benchmark whose name contains NAME, in name order. Each measurement is one JSON line on
// stdout with the shared keys: bench, target ("native" | "wasm"), peer ("ours-native" |
// "ours-wasm", so the lines sit next to the peer kit's (../shared/peers) summarize.py table), impl (the GEMM
// implementation), threads, then the benchmark's own sizes, samples, reps, median_ms, min_ms,
// max_ms and gflops where it applies.
//
// Timing rule (the same as the peer kit's): one warm-up call, then the number of repetitions
// per sample is calibrated so that one sample lasts >= 0.2 s; 5 samples (3 when one call
// takes > 1 s); the median time per call is reported.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace gradlab::bench {

struct Options {
  std::string filter;  // substring of benchmark names; empty = all
  int threads = 1;     // CPU threads: OpenBLAS GEMM and the kernels (WASM is always 1)
  bool quick = false;  // smaller size lists, for smoke runs
  // Folder of the Fashion-MNIST IDX files for the benchmarks that read them; empty = the
  // data.path default. The WASM build reads only uncompressed files (no zlib there), so
  // ./lab bench passes a gunzipped copy to the WASM run.
  std::string fashion_dir;
};

// What a benchmark function gets: its name, the options, and helpers that depend on them.
class Context {
 public:
  Context(std::string name, const Options& options) : name_(std::move(name)), options_(options) {}
  const std::string& name() const { return name_; }
  const Options& options() const { return options_; }
  bool quick() const { return options_.quick; }
  // The default square sizes for matrix benchmarks: 128, 512, 1024 (quick: 128, 512).
  std::vector<int64_t> sizes() const;

 private:
  std::string name_;
  Options options_;
};

// Per-call wall time (std::chrono::steady_clock) over the samples of `measure`.
struct Timing {
  double median_ms = 0;
  double min_ms = 0;
  double max_ms = 0;
  int samples = 0;
  int64_t reps = 0;  // calls per sample
  // Process CPU time / wall time while sampling (as the peer kit's JS benches report it):
  // ~1 = one core busy the whole time; well below 1 = the process was descheduled (a busy
  // machine), so the times are not trustworthy; ~N with N threads really running. NaN where
  // the CPU time is unknown (WASM outside node); then the key is left out.
  double cpu_util = 0;
};

// Time `call` by the rule above. `call` must do the full work each time (no caching).
Timing measure(const std::function<void()>& call);

// One JSON line. The constructor writes the shared keys ("bench" = ctx.name() unless given);
// `set` appends keys in call order. Non-finite numbers are left out (docs/design.md §4: missing
// values are omitted, never NaN strings).
class Record {
 public:
  explicit Record(const Context& ctx) : Record(ctx, ctx.name()) {}
  Record(const Context& ctx, const std::string& bench);
  Record& set(const std::string& key, int64_t value);
  Record& set(const std::string& key, int value) { return set(key, static_cast<int64_t>(value)); }
  Record& set(const std::string& key, double value, int decimals = 4);
  Record& set(const std::string& key, const std::string& value);
  Record& set(const std::string& key, const char* value) { return set(key, std::string(value)); }
  // samples, reps, median_ms, min_ms, max_ms, cpu_util.
  Record& timing(const Timing& t);
  // gflops = flops_per_call / median time.
  Record& gflops(double flops_per_call, const Timing& t);
  // Print the line to stdout and flush (so a long suite streams its results).
  void emit() const;

 private:
  Record& raw(const std::string& key, const std::string& json_value);
  std::string line_;
};

using BenchFunction = void (*)(const Context& ctx);

// Adds a benchmark to the registry (called from static initialisers; returns true so it can
// initialise a variable). Names must be unique; they are what --filter matches.
bool register_benchmark(const char* name, BenchFunction run);

// The registered benchmarks, sorted by name.
struct Benchmark {
  std::string name;
  BenchFunction run;
};
std::vector<Benchmark> registered_benchmarks();

}  // namespace gradlab::bench

namespace gradlab {
// `gradlab bench ...` (argv[0] is "bench"). Returns the process exit code; bad arguments
// throw ConfigError (the CLI prints it and exits 2).
int bench_main(int argc, char** argv);
}  // namespace gradlab

// Defines and registers a benchmark; the body follows as a function body with `ctx`
// (const gradlab::bench::Context&) in scope. NAME is the "bench" key of its lines.
#define GRADLAB_BENCHMARK(NAME)                                           \
  static void gradlab_bench_##NAME(const ::gradlab::bench::Context& ctx); \
  [[maybe_unused]] static const bool gradlab_bench_registered_##NAME =    \
      ::gradlab::bench::register_benchmark(#NAME, &gradlab_bench_##NAME); \
  static void gradlab_bench_##NAME([[maybe_unused]] const ::gradlab::bench::Context& ctx)
