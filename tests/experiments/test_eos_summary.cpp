// test_eos_summary.cpp — the edge-of-stability figures summary.json reports (issue 4), from
// hand-made metrics rows whose answers are known: eos_step, loss_at_eos, the post_eos_*
// sharpness/threshold ratios after probe.settle_steps, those of the averaged iterate
// (probe.average_window), and the
// fraction of post-EoS steps whose loss went up.
#include <catch2/catch.hpp>
#include <vector>

#include "experiments/training.h"
#include "gradlab/config.h"
#include "gradlab/ops.h"

using namespace gradlab;

namespace {

// A linear model under MSE on 8 teacher examples, float64 GD, probing every 10 steps.
Json tiny_config(int64_t steps, const Json& probe) {
  Json user = {
      {"kind", "edge_of_stability"},
      {"seed", 1},
      {"dtype", "float64"},
      {"data", {{"source", "synthetic"}, {"generator", "teacher_mlp"}, {"n_train", 8}, {"dim", 3}}},
      {"model", {{"type", "linear"}}},
      {"loss", "mse"},
      {"optim", {{"type", "gd"}, {"lr", 0.1}}},
      {"train", {{"steps", steps}, {"log_every", 1}, {"log_time", false}}},
      {"probe", probe}};
  user["probe"]["sharpness_every"] = 10;
  return user;
}

TrainingExperiment tiny_run(int64_t settle) {
  return TrainingExperiment(
      resolve_config(tiny_config(10, {{"settle_steps", settle}, {"average_window", 3}})),
      edge_of_stability_hooks());
}

Json probe_row(int64_t step, double loss, double sharpness, double averaged) {
  return {{"step", step},
          {"loss", loss},
          {"sharpness", sharpness},
          {"sharpness_avg", averaged},
          {"threshold", 20.0}};
}

}  // namespace

TEST_CASE("eos summary: edge, settle window, ratios and loss increases", "[eos]") {
  // Threshold 20: the edge is the first probe with sharpness >= 19 (step 20). With
  // settle_steps 20 the post-EoS ratios use the probes from step 40 on.
  std::vector<Json> rows = {
      probe_row(0, 1.0, 5.0, 5.0),   probe_row(10, 0.9, 15.0, 14.0),
      probe_row(20, 0.8, 19.5, 18.0), Json{{"step", 25}, {"loss", 0.85}},
      probe_row(30, 0.7, 30.0, 22.0), probe_row(40, 0.75, 22.0, 20.0),
      probe_row(50, 0.6, 18.0, 19.0), probe_row(60, 0.5, 26.0, 21.0),
      probe_row(70, 0.55, 20.0, 20.4)};
  Json s = tiny_run(20).summary(rows);
  CHECK(s["threshold"].get<double>() == 20.0);
  CHECK(s["eos_step"].get<int64_t>() == 20);
  CHECK(s["loss_at_eos"].get<double>() == 0.8);
  CHECK(s["initial_sharpness"].get<double>() == 5.0);
  CHECK(s["max_sharpness"].get<double>() == 30.0);
  CHECK(s["final_loss"].get<double>() == 0.55);
  // Steps 40..70: sharpness 22, 18, 26, 20 -> ratios 1.1, 0.9, 1.3, 1.0 (step 30's 1.5 is
  // inside the settle window and left out).
  CHECK(s["post_eos_median_ratio"].get<double>() == Approx(1.05));
  CHECK(s["post_eos_mean_ratio"].get<double>() == Approx(1.075));
  CHECK(s["post_eos_max_ratio"].get<double>() == Approx(1.3));
  // Averaged iterates 20, 19, 21, 20.4 -> 1.0, 0.95, 1.05, 1.02.
  CHECK(s["post_eos_avg_median_ratio"].get<double>() == Approx(1.01));
  CHECK(s["post_eos_avg_max_ratio"].get<double>() == Approx(1.05));
  // After step 20: 25 up, 30 down, 40 up, 50 down, 60 down, 70 up -> 3 of 6.
  CHECK(s["post_eos_loss_increase_fraction"].get<double>() == Approx(0.5));

  // Without sharpness_avg in the rows the summary has no post_eos_avg figures; a run that
  // never reaches 0.95 * threshold has eos_step null and no post-EoS figures.
  for (Json& r : rows) r.erase("sharpness_avg");
  Json plain = tiny_run(20).summary(rows);
  CHECK_FALSE(plain.contains("post_eos_avg_median_ratio"));
  CHECK(plain["post_eos_median_ratio"].get<double>() == Approx(1.05));
  std::vector<Json> low = {probe_row(0, 1.0, 5.0, 5.0), probe_row(10, 0.9, 18.9, 18.0)};
  Json never = tiny_run(20).summary(low);
  CHECK(never["eos_step"].is_null());
  CHECK_FALSE(never.contains("post_eos_median_ratio"));
}

TEST_CASE("eos summary: probe.average_window measures the mean of the last W iterates",
          "[eos]") {
  // sharpness_every 10 (as tiny_run), W = 3: steps 8, 9 and 10 are averaged for the probe of
  // step 10 (step 0's window would reach before the start: no sharpness_avg there). For a
  // linear model under MSE the Hessian is constant, so sharpness_avg equals sharpness, and
  // loss_avg is the loss at the mean of the three iterates, recomputed here.
  Json config = tiny_config(11, {{"average_window", 3}});
  TrainingExperiment run(resolve_config(config), edge_of_stability_hooks());
  std::vector<TensorList> iterates;
  std::vector<Json> rows;
  while (!run.done()) {
    TensorList now;
    for (const Tensor& p : run.model().params()) now.push_back(p.clone());
    iterates.push_back(now);
    if (auto r = run.step()) rows.push_back(*r);
  }
  REQUIRE(rows.size() == 11);
  CHECK_FALSE(rows[0].contains("sharpness_avg"));
  for (size_t i = 1; i < 10; ++i) CHECK_FALSE(rows[i].contains("sharpness_avg"));
  REQUIRE(rows[10].contains("sharpness_avg"));
  CHECK(rows[10]["sharpness_avg"].get<double>() ==
        Approx(rows[10]["sharpness"].get<double>()).epsilon(1e-10));
  TensorList mean;
  for (size_t i = 0; i < iterates[10].size(); ++i)
    mean.push_back(div(add(add(iterates[8][i], iterates[9][i]), iterates[10][i]), 3.0));
  const double expected = run.full_train_loss(mean).item();
  CHECK(rows[10]["loss_avg"].get<double>() == Approx(expected).epsilon(1e-12));
  CHECK(rows[10]["loss_avg"].get<double>() != rows[10]["loss"].get<double>());

  // A window longer than the gap between probes is refused, naming both keys.
  config["probe"]["average_window"] = 11;
  CHECK_THROWS_WITH(TrainingExperiment(resolve_config(config)),
                    Catch::Contains("probe.average_window") &&
                        Catch::Contains("probe.sharpness_every"));
}
