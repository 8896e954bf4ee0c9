// test_mode_connectivity.cpp — the mode_connectivity kind (src/experiments/mode_connectivity.cpp)
// and its weight matching (src/experiments/weight_matching.cpp).
//
//   - the assignment solver is optimal: it agrees with brute force over every permutation of
//     small matrices, minimising and maximising, square and rectangular (the scipy comparison
//     is tests/python/test_assignment_scipy.py);
//   - a permuted MLP computes the same function: outputs equal to ≤ 1e-5 for a random
//     permutation and for the one weight matching finds, before any interpolation;
//   - the checks, at a size for the test budget (MLP 784-32-10 on 200 Fashion-MNIST
//     images, two seeds, 100 SGD steps each, 100 bend steps): the straight line's barrier is
//     clearly positive, the Bézier curve's is under a quarter of it, weight matching lowers it.
// The Fashion-MNIST cases read the gzip IDX files, which only the native build can (no zlib in
// WASM); WASM runs the solver and config cases here, and tests/python/test_wasm_parity.py and
// web/tests/phenomena.mjs run the kind in WASM.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>
#include <string>
#include <numeric>
#include <vector>

#include "../data/data_test_util.h"
#include "experiments/mode_connectivity.h"
#include "experiments/weight_matching.h"
#include "gradlab/config.h"
#include "gradlab/rng.h"
#include "gradlab/safetensors.h"

using namespace gradlab;

namespace {

Json mc_config(int64_t train_steps, int64_t bend_steps, int64_t slice_points = 0,
               const char* dtype = "float32") {
  return resolve_config(
      {{"kind", "mode_connectivity"},
       {"seed", 0},
       {"dtype", dtype},
       {"data",
        {{"source", "fashion_mnist"}, {"n_train", 200}, {"n_test", 100},
         {"preprocess", {"standardize"}}}},
       {"model", {{"type", "mlp"}, {"widths", {32}}, {"activation", "relu"}}},
       {"loss", "cross_entropy"},
       {"optim", {{"type", "sgd"}, {"lr", 0.05}, {"momentum", 0.9}}},
       {"train", {{"steps", train_steps}, {"batch_size", 100}, {"log_every", 50}}},
       {"mode_connectivity",
        {{"seed_b", 1}, {"bend_steps", bend_steps}, {"points", 11}, {"slice_points", slice_points}}}});
}

double brute_force(const std::vector<double>& c, int64_t rows, int64_t cols, bool maximize) {
  std::vector<int64_t> p(cols);
  std::iota(p.begin(), p.end(), 0);
  double best = maximize ? -INFINITY : INFINITY;
  do {
    double s = 0;
    for (int64_t i = 0; i < rows; ++i) s += c[i * cols + p[i]];
    best = maximize ? std::max(best, s) : std::min(best, s);
  } while (std::next_permutation(p.begin(), p.end()));
  return best;
}

[[maybe_unused]] double max_abs_diff(const std::vector<double>& a, const std::vector<double>& b) {
  double d = 0;
  for (size_t i = 0; i < a.size(); ++i) d = std::max(d, std::abs(a[i] - b[i]));
  return d;
}

}  // namespace

TEST_CASE("mode_connectivity: the assignment solver matches brute force") {
  Rng rng(3, 0);
  for (int trial = 0; trial < 60; ++trial) {
    const int64_t rows = 1 + static_cast<int64_t>(rng.below(6));
    const int64_t cols = rows + static_cast<int64_t>(rng.below(2));
    std::vector<double> c(static_cast<size_t>(rows * cols));
    // Half the trials with small integers: ties, where any optimum will do.
    for (double& v : c) v = trial % 2 ? static_cast<double>(rng.below(4)) : rng.normal();
    for (bool maximize : {false, true}) {
      const std::vector<int64_t> a = linear_sum_assignment(c, rows, cols, maximize);
      std::vector<int64_t> used = a;
      std::sort(used.begin(), used.end());
      CHECK(std::adjacent_find(used.begin(), used.end()) == used.end());  // one column each
      double s = 0;
      for (int64_t i = 0; i < rows; ++i) s += c[i * cols + a[i]];
      CHECK(s == Approx(brute_force(c, rows, cols, maximize)).margin(1e-12));
    }
  }
  CHECK_THROWS_AS(linear_sum_assignment({1, 2}, 2, 1), ValueError);
}

#if !defined(GRADLAB_WASM)  // gzip IDX files: native only (the WASM build has no zlib)
TEST_CASE("mode_connectivity: a permuted network computes the same outputs (≤ 1e-5)") {
  ModeConnectivityExperiment e(mc_config(20, 0));
  while (e.steps_done() < 20) e.step();  // trained a little: not a symmetric initialisation
  const MlpLayout& layout = e.layout();
  REQUIRE(layout.dims == std::vector<int64_t>{784, 32, 10});
  const std::vector<double> b = e.params_b();
  Rng rng(5, 0);
  std::vector<std::vector<int64_t>> random = {rng.permutation(32)};
  const std::vector<double> permuted = permute_mlp(b, layout, random);
  CHECK(max_abs_diff(permuted, b) > 0.1);  // the parameters did move
  CHECK(max_abs_diff(e.outputs(permuted), e.outputs(b)) <= 1e-5);
  const auto matched = match_weights(e.params_a(), b, layout, 0);
  CHECK(max_abs_diff(e.outputs(permute_mlp(b, layout, matched)), e.outputs(b)) <= 1e-5);
  // Matching brings B closer to A than it was.
  const std::vector<double> a = e.params_a(), mb = permute_mlp(b, layout, matched);
  double d = 0, dm = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    d += (a[i] - b[i]) * (a[i] - b[i]);
    dm += (a[i] - mb[i]) * (a[i] - mb[i]);
  }
  CHECK(dm < d);
}

TEST_CASE("mode_connectivity: linear barrier positive, Bézier under a quarter, matching lowers it") {
  ModeConnectivityExperiment e(mc_config(100, 100, 3));
  std::vector<Json> rows;
  while (!e.done())
    if (auto row = e.step()) rows.push_back(*row);
  REQUIRE_FALSE(e.diverged());
  const Json s = e.summary(rows);
  INFO(s.dump());
  CHECK(s["train_acc_a"].get<double>() >= 0.95);
  CHECK(s["train_acc_b"].get<double>() >= 0.95);
  const double linear = s["barrier_linear"].get<double>();
  CHECK(linear > 0.1);
  CHECK(s["barrier_bezier"].get<double>() < linear / 4);
  CHECK(s["barrier_matched"].get<double>() < linear);
  // The three paths share their endpoints: B and P(B) have the same loss.
  std::vector<const Json*> curve;
  for (const Json& r : rows)
    if (r["phase"] == "curve") curve.push_back(&r);
  REQUIRE(curve.size() == 11);
  CHECK((*curve.front())["loss_linear"].get<double>() == Approx(s["loss_a"].get<double>()));
  CHECK((*curve.back())["loss_bezier"].get<double>() == Approx(s["loss_b"].get<double>()));
  CHECK((*curve.back())["loss_matched"].get<double>() ==
        Approx(s["loss_b"].get<double>()).margin(1e-5));
  // The slice: 3 rows of 3 losses, the three points' coordinates in the summary.
  int slices = 0;
  for (const Json& r : rows)
    if (r["phase"] == "slice") {
      ++slices;
      CHECK(r["slice_loss"].size() == 3);
    }
  CHECK(slices == 3);
  CHECK(s["slice_points"]["b"][0].get<double>() == Approx(s["distance_ab"].get<double>()));
}
#endif

TEST_CASE("mode_connectivity: config mistakes are ConfigErrors") {
  Json c = mc_config(1, 0);
  c["model"]["type"] = "cnn";
  c["model"].erase("widths");
  CHECK_THROWS_AS(ModeConnectivityExperiment(resolve_config(c)), ConfigError);
}

#if !defined(GRADLAB_WASM)  // gzip IDX files again
TEST_CASE("mode_connectivity: a checkpoint in the middle of the bend phase resumes exactly") {
  const Json config = mc_config(20, 10, 2);
  std::vector<Json> straight, resumed;
  {
    ModeConnectivityExperiment e(config);
    while (!e.done())
      if (auto row = e.step()) straight.push_back(*row);
  }
  ModeConnectivityExperiment first(config);
  while (first.steps_done() < 25)
    if (auto row = first.step()) resumed.push_back(*row);
  NamedTensors tensors;
  Json state;
  first.save_state(tensors, state);
  SafetensorsFile file;
  for (auto& [name, t] : tensors) file.tensors.emplace_back(name, t.detach());
  ModeConnectivityExperiment second(config);
  second.load_state(file, Json::parse(state.dump()));
  while (!second.done())
    if (auto row = second.step()) resumed.push_back(*row);
  REQUIRE(resumed.size() == straight.size());
  for (size_t i = 0; i < straight.size(); ++i) CHECK(resumed[i].dump() == straight[i].dump());
}

TEST_CASE("mode_connectivity: endpoints loaded from safetensors files are used untrained") {
  ModeConnectivityExperiment trained(mc_config(10, 0));
  while (trained.steps_done() < 10) trained.step();
  data_test::TempDir dir;  // the data tests' scratch folder, removed with its files
  const std::string files[2] = {dir.file("a.safetensors"), dir.file("b.safetensors")};
  for (int side = 0; side < 2; ++side) {
    NamedTensors named;
    const std::string prefix = side == 0 ? "a." : "b.";
    for (const auto& [name, t] : trained.named_params())
      if (name.rfind(prefix, 0) == 0) named.emplace_back(name.substr(2), t);
    save_safetensors(files[side], named);
  }
  Json config = mc_config(10, 3);
  config["mode_connectivity"]["endpoints"] = {files[0], files[1]};
  ModeConnectivityExperiment loaded(config);
  CHECK(loaded.total_steps() == 3 + 11);  // no training phase
  CHECK(loaded.params_a() == trained.params_a());
  CHECK(loaded.params_b() == trained.params_b());
}
#endif
