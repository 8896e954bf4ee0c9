// bench_double_descent.cpp — the random-features double-descent sweep (issue 7): n = 1,000
// Fashion-MNIST training examples (1,000 test), ReLU features, N on the log grid
// n·10^(k/10), k = −10 … 10 (21 points, 0.1n … 10n, N = n included), min-norm fit. One
// call = the whole sweep (features, Gram matrix, eigendecomposition, scoring, for every N);
// data loading is outside the timing. Full size: one timed pass (samples 1); --quick: n = 200
// timed by the harness's rule. --fashion-dir points at the IDX files: the WASM build cannot
// inflate the Debian package's .gz files, so ./lab bench hands it an uncompressed copy.
//
// The NumPy reference for the same sizes is src/bench/random_features_numpy.py (run it in the
// same sitting; it prints a line with the same keys, target "numpy").
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <iostream>
#include <vector>

#include "bench.h"
#include "experiments/double_descent.h"
#include "gradlab/error.h"
#include "gradlab/data.h"

namespace gradlab::bench {
namespace {

std::vector<int64_t> feature_grid(int64_t n) {
  std::vector<int64_t> grid;
  for (int k = -10; k <= 10; ++k) grid.push_back(std::llround(n * std::pow(10.0, k / 10.0)));
  return grid;
}

}  // namespace

GRADLAB_BENCHMARK(random_features_sweep) {
  const int64_t n = ctx.quick() ? 200 : 1000;
  const int64_t n_test = 1000;
  Dataset data;
  try {
    Json block = {{"source", "fashion_mnist"},
                  {"n_train", n},
                  {"n_test", n_test},
                  {"preprocess", {"standardize"}}};
    if (!ctx.options().fashion_dir.empty()) block["path"] = ctx.options().fashion_dir;
    data = load_dataset(block, 0);
  } catch (const Error& e) {
    std::cerr << "random_features_sweep: skipped (" << e.what() << ")\n";
    return;
  }
  const std::vector<int64_t> grid = feature_grid(n);
  // One timed pass: a full-size sweep takes tens of seconds, so the harness's warm-up plus
  // calibrated samples (bench::measure) would multiply that by four; --quick uses measure.
  double peak_error = 0;
  auto sweep = [&] {
    for (int64_t big_n : grid) {
      RandomFeaturesSpec spec;
      spec.n_features = big_n;
      Json row = fit_random_features(data, spec, 0);
      peak_error = std::max(peak_error, row.value("test_error", 0.0));
    }
  };
  Timing t;
  if (ctx.quick()) {
    t = measure(sweep);
  } else {
    const auto t0 = std::chrono::steady_clock::now();
    sweep();
    t.median_ms = t.min_ms = t.max_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    t.samples = 1;
    t.reps = 1;
  }
  Record(ctx)
      .set("n", n)
      .set("n_test", n_test)
      .set("d", data.input_size())
      .set("points", static_cast<int64_t>(grid.size()))
      .set("max_n_features", grid.back())
      .set("features", "relu")
      .set("peak_test_error", peak_error)
      .timing(t)
      .emit();
}

}  // namespace gradlab::bench
