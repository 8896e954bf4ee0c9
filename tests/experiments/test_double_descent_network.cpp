// test_double_descent_network.cpp — double_descent with model.type mlp
// (src/experiments/double_descent_network.cpp): the rows' and summary's keys, n_params, the
// label-noise indices, and the sweep summary that marks the interpolation threshold.
//
// Synthetic Gaussian-mixture data (d = 6 inputs, K = 3 classes, n = 48) so the cases run in a
// second natively and under WASM; Fashion-MNIST sweeps are tests/python's and the measured
// table in docs/kinds/double_descent.md.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "experiments/double_descent.h"
#include "gradlab/config.h"

using namespace gradlab;

namespace {

constexpr int64_t kDim = 6, kClasses = 3, kTrain = 48;

Json mlp_user(std::vector<int64_t> widths, double label_noise = 0.25, int seed = 5) {
  return {{"kind", "double_descent"},
          {"seed", seed},
          {"dtype", "float64"},
          {"loss", "cross_entropy"},
          {"data",
           {{"source", "synthetic"}, {"generator", "gaussian_mixture"}, {"n_train", kTrain},
            {"n_test", 40}, {"num_classes", kClasses}, {"dim", kDim},
            {"label_noise", label_noise}}},
          {"model", {{"type", "mlp"}, {"widths", widths}, {"activation", "relu"}}},
          {"optim", {{"type", "adam"}, {"lr", 0.02}}},
          {"train", {{"epochs", 400}, {"batch_size", "full"}, {"log_every", 20}}}};
}

struct Run {
  std::vector<Json> rows;
  Json summary;
};

Run train(const Json& user) {
  std::unique_ptr<Experiment> e = make_experiment(resolve_config(user));
  Run r;
  while (!e->done())
    if (auto row = e->step()) r.rows.push_back(*row);
  r.summary = e->summary(r.rows);
  return r;
}

// A sweep.jsonl row as `gradlab sweep` writes it: the swept key, its last component, then the
// run's summary.
Json sweep_row(int64_t width, double train_error, double test_error, double extra = 0) {
  return {{"model.widths", {width}},
          {"widths", {width}},
          {"width", width},
          {"n_params", width * 10},
          {"n_train", 100},
          {"label_noise", 0.2},
          {"interpolation_tol", 0.0},
          {"interpolated", train_error <= 0.0},
          {"train_error", train_error},
          {"test_error", test_error},
          {"test_loss", 1.0},
          {"param_norm", 1.0 + extra}};
}

}  // namespace

TEST_CASE("double_descent mlp: rows and summary carry the width-sweep keys", "[double_descent]") {
  const int64_t h = 7;
  Run r = train(mlp_user({h}));
  REQUIRE(r.rows.size() >= 20);
  for (const Json& row : r.rows) {
    REQUIRE(row.contains("epoch"));
    CHECK(row["epoch"].get<double>() == row["step"].get<double>());  // full batch: 1 step/epoch
    CHECK(row["train_error"].get<double>() == Approx(1.0 - row["train_acc"].get<double>()));
    CHECK(row["test_error"].get<double>() == Approx(1.0 - row["test_acc"].get<double>()));
  }
  const Json& s = r.summary;
  INFO(s.dump());
  for (const char* k : {"width", "n_params", "n_train", "train_error", "test_error", "test_loss",
                        "param_norm", "train_loss", "interpolated", "noisy_indices",
                        "interpolation_epoch", "epochwise_peak_test_error", "best_test_error"})
    CHECK(s.contains(k));
  CHECK(s["width"] == h);
  CHECK(s["depth"] == 1);
  // nn.Sequential(Linear(d, h), ReLU(), Linear(h, K)): h(d + 1) + K(h + 1) parameters.
  CHECK(s["n_params"] == h * (kDim + 1) + kClasses * (h + 1));
  CHECK(s["n_train"] == kTrain);
  CHECK(s["epochs"] == 400.0);
  // The summary's figures are at the final parameters, so they are not the last logged row's
  // (that row is before the last update), but close to it.
  CHECK(s["param_norm"].get<double>() > 0);
  CHECK(s["param_norm"].get<double>() == Approx(r.rows.back()["param_norm"].get<double>()).epsilon(0.05));
  CHECK(s["interpolated"].get<bool>() == (s["train_error"].get<double>() <= 0.0));
  // Epoch-wise figures come from the logged rows.
  double best = 1;
  for (const Json& row : r.rows) best = std::min(best, row["test_error"].get<double>());
  CHECK(s["best_test_error"].get<double>() == best);
  CHECK(s["epochwise_peak_test_error"].get<double>() >= s["epochwise_min_test_error"].get<double>());

  // Two hidden layers of width h: h(d + 1) + h(h + 1) + K(h + 1).
  Run deep = train([&] {
    Json u = mlp_user({h, h});
    u["train"]["epochs"] = 2;
    return u;
  }());
  CHECK(deep.summary["depth"] == 2);
  CHECK(deep.summary["n_params"] == h * (kDim + 1) + h * (h + 1) + kClasses * (h + 1));
}

TEST_CASE("double_descent mlp: label noise is seeded, logged and the same at every width",
          "[double_descent]") {
  auto short_run = [](std::vector<int64_t> widths, int seed) {
    Json u = mlp_user(widths, 0.25, seed);
    u["train"]["epochs"] = 1;
    return train(u).summary;
  };
  Json a = short_run({4}, 5), b = short_run({32}, 5), c = short_run({4}, 6);
  const auto noisy = a["noisy_indices"].get<std::vector<int64_t>>();
  CHECK(noisy.size() == 12);  // round(0.25 · 48)
  CHECK(a["n_noisy"] == 12);
  CHECK(std::is_sorted(noisy.begin(), noisy.end()));
  CHECK(b["noisy_indices"] == a["noisy_indices"]);  // the width does not change the data
  CHECK(c["noisy_indices"] != a["noisy_indices"]);  // the seed does
}

TEST_CASE("double_descent mlp: a real width sweep marks the first width that interpolates",
          "[double_descent]") {
  // 25% of 48 labels are random: width 1 cannot fit them, width 64 memorises them.
  std::vector<Json> rows;
  for (int64_t h : {1, 64}) {
    Run r = train(mlp_user({h}));
    Json row = r.summary;
    row["model.widths"] = {h};
    rows.push_back(row);
  }
  INFO(rows[0].dump() << "\n" << rows[1].dump());
  CHECK(rows[0]["train_error"].get<double>() > 0.1);
  CHECK(rows[1]["train_error"].get<double>() == 0.0);
  CHECK(rows[1]["interpolation_epoch"].is_number());
  Json s = double_descent_sweep_summary(rows);
  REQUIRE(s["curves"].size() == 1);
  CHECK(s["curves"][0]["axis"] == "width");
  CHECK(s["curves"][0]["interpolation_threshold_width"] == 64);
}

TEST_CASE("double_descent mlp: the sweep summary's threshold, peak and axes",
          "[double_descent]") {
  // Train error reaches 0 first at width 8; the test error peaks at width 16.
  std::vector<Json> rows = {sweep_row(16, 0.0, 0.40, 5), sweep_row(2, 0.30, 0.30),
                            sweep_row(4, 0.10, 0.25), sweep_row(8, 0.0, 0.35),
                            sweep_row(32, 0.0, 0.22), sweep_row(64, 0.0, 0.20)};
  Json s = network_sweep_summary(rows);
  REQUIRE(s["curves"].size() == 1);
  const Json& c = s["curves"][0];
  INFO(c.dump(1));
  CHECK(c["axis"] == "width");
  CHECK(c["interpolation_threshold_width"] == 8);
  CHECK(c["interpolation_threshold_n_params"] == 80);
  CHECK(c["test_error_peak_width"] == 16);
  CHECK(c["test_error_peak_grid_steps_from_threshold"] == 1);
  CHECK(c["best_test_error_below_threshold"] == 0.25);
  CHECK(c["param_norm_peak_width"] == 16);
  CHECK(c["max_width"] == 64);
  CHECK(c["test_error_at_max_width"] == 0.20);
  CHECK(double_descent_sweep_summary(rows) == s);  // the CLI's entry point dispatches here

  // A tolerance: a run counts as interpolating by its own `interpolated` flag.
  rows[2]["interpolated"] = true;  // width 4, train error 0.1 ≤ a tolerance of 0.1
  CHECK(network_sweep_summary(rows)["curves"][0]["interpolation_threshold_width"] == 4);

  // No width interpolates: the threshold is null, not a guess.
  std::vector<Json> none = {sweep_row(1, 0.5, 0.5), sweep_row(2, 0.4, 0.45)};
  CHECK(network_sweep_summary(none)["curves"][0]["interpolation_threshold_width"].is_null());

  // Two label-noise levels swept as well: one curve per level.
  std::vector<Json> two;
  for (double p : {0.1, 0.2})
    for (int64_t w : {2, 8}) {
      Json r = sweep_row(w, w == 8 ? 0.0 : 0.2, 0.3);
      r["data.label_noise"] = p;
      r["label_noise"] = p;
      two.push_back(r);
    }
  Json s2 = network_sweep_summary(two);
  REQUIRE(s2["curves"].size() == 2);
  CHECK(s2["curves"][0]["fixed"]["data.label_noise"] == 0.1);
  CHECK(s2["curves"][1]["label_noise"] == 0.2);

  // Sample-wise: data.n_train swept at a fixed width.
  std::vector<Json> samples;
  for (int64_t n : {50, 100, 200, 400}) {
    Json r = sweep_row(8, n <= 100 ? 0.0 : 0.1, n == 200 ? 0.5 : 0.3);
    r.erase("model.widths");
    r["data.n_train"] = n;
    r["n_train"] = n;
    samples.push_back(r);
  }
  Json s3 = network_sweep_summary(samples);
  REQUIRE(s3["curves"].size() == 1);
  const Json& c3 = s3["curves"][0];
  CHECK(c3["axis"] == "n_train");
  CHECK(c3["largest_interpolated_n_train"] == 100);
  CHECK(c3["test_error_peak_n_train"] == 200);
  CHECK(c3["test_error_peak_grid_steps_from_threshold"] == 1);

  // Neither random features nor networks: null.
  CHECK(network_sweep_summary({{{"lr", 0.1}}}).is_null());
}

TEST_CASE("double_descent mlp: bad configs name the key", "[double_descent]") {
  Json u = mlp_user({8, 4});
  CHECK_THROWS_WITH(make_experiment(resolve_config(u)), Catch::Contains("model.widths"));
  u = mlp_user({8});
  u["model"] = {{"type", "cnn"}};
  CHECK_THROWS_WITH(make_experiment(resolve_config(u)), Catch::Contains("model.type"));
  u = mlp_user({8});
  u["train"]["interpolation_tol"] = 2.0;
  CHECK_THROWS_WITH(resolve_config(u), Catch::Contains("train.interpolation_tol"));
}
