// test_central_flow.cpp — the central_flow kind on the toy of Cohen et al. 2024's central-flow
// issue: MLP 8-16-16-1 SiLU (W ~ N(0, 1/fan_in), b = 0) on 128 examples x ~ N(0, I₈),
// y ~ N(0, 1), mean squared error, GD with η = 0.1 (experiments/central_flow/toy_mlp.json).
// From one start GD, gradient flow and the central flow run side by side; the acceptance:
//  - the central flow reaches 2/η within ±5 % of GD's crossing step, and from then on its
//    sharpness stays at 2/η to 1e-3;
//  - cf_pred_loss is within 10 % mean relative error of GD's loss smoothed with a Gaussian of
//    σ = 50 steps, after the crossing;
//  - at the end ‖w_GD − w_CF‖ < ⅓ ‖w_GD − w_GF‖, and gradient flow's sharpness is ≥ 2 × 2/η.
// The test runs 900 of the config's 1400 steps (GD crosses near step 457; the full run's figures
// are in docs/kinds/central_flow.md) with GD's and gradient flow's sharpness every 3 steps.
// Also: a checkpoint resumes exactly, and what the kind does not run is a ConfigError.
#include <catch2/catch.hpp>
#include <cmath>
#include <string>
#include <vector>

#include "experiments/central_flow.h"
#include "gradlab/config.h"
#include "gradlab/error.h"

using namespace gradlab;

namespace {

Json toy_config(int64_t steps, int64_t sharpness_every) {
  Json user = load_config_file(std::string(GRADLAB_SOURCE_DIR) +
                               "/experiments/central_flow/toy_mlp.json");
  ResolveOptions o;
  o.sets = {"train.steps=" + std::to_string(steps),
            "central_flow.sharpness_every=" + std::to_string(sharpness_every)};
  return resolve_config(user, o);
}

std::vector<Json> run_all(Experiment& e) {
  std::vector<Json> rows;
  while (!e.done())
    if (auto r = e.step()) rows.push_back(*r);
  return rows;
}

}  // namespace

#if !defined(__EMSCRIPTEN__)
// Native only: ~11 s of CPU natively, about three times that under node, and the WASM build's
// rows of this kind are checked against the native ones by tests/python/test_wasm_parity.py
// (test_central_flow_rows) and web/tests/central-flow.mjs.
TEST_CASE("central_flow: on the toy MLP the central flow predicts GD at the edge of stability",
          "[central_flow]") {
  CentralFlowExperiment e(toy_config(900, 3));
  const std::vector<Json> rows = run_all(e);
  REQUIRE_FALSE(e.diverged());
  REQUIRE(rows.size() == 900);
  const Json s = e.summary(rows);
  INFO(s.dump());
  const double threshold = 20.0;
  REQUIRE(s.at("threshold").get<double>() == threshold);
  // Both reach 2/η, the central flow within ±5 % of GD's step.
  REQUIRE(s.at("gd_crossing_step").is_number());
  REQUIRE(s.at("cf_crossing_step").is_number());
  const double gd_cross = s["gd_crossing_step"].get<double>();
  const double cf_cross = s["cf_crossing_step"].get<double>();
  CHECK(gd_cross > 100);  // progressive sharpening first: not at the initialisation
  CHECK(std::fabs(cf_cross - gd_cross) <= 0.05 * gd_cross);
  // ... and stays there.
  CHECK(s.at("cf_hold_max_rel_dev").get<double>() <= 1e-3);
  for (const Json& r : rows)
    if (r["step"].get<double>() >= cf_cross) {
      REQUIRE(std::fabs(r["cf_sharpness"].get<double>() / threshold - 1) <= 1e-3);
      REQUIRE(r["cf_n_edge"].get<int64_t>() >= 1);
    }
  // Before the edge the three runs coincide up to the Euler step (GD's update is one Euler step
  // of gradient flow, the central flow's four).
  CHECK(rows[100]["dist_gd_gf"].get<double>() < 0.01);
  CHECK(rows[100]["cf_n_edge"].get<int64_t>() == 0);
  CHECK(rows[100]["cf_pred_loss"].get<double>() == rows[100]["cf_loss"].get<double>());
  // The prediction of the time-averaged loss.
  CHECK(s.at("pred_loss_mean_rel_error").get<double>() < 0.10);
  // The central flow stays near GD; gradient flow leaves it and sharpens past 2/η.
  CHECK(s.at("dist_gd_cf").get<double>() < s.at("dist_gd_gf").get<double>() / 3);
  CHECK(s.at("final_gf_sharpness").get<double>() >= 2 * threshold);
  // X ⪰ 0 once at the edge: the oscillation has a positive variance.
  CHECK(rows.back()["cf_sigma"].at(0).get<double>() > 0);
  CHECK(rows.back()["cf_pred_loss"].get<double>() > rows.back()["cf_loss"].get<double>());
}
#endif

TEST_CASE("central_flow: a checkpoint resumes exactly", "[central_flow]") {
  Json config = toy_config(6, 2);
  config["central_flow"]["refresh_every"] = 2;
  CentralFlowExperiment full(config);
  const std::vector<Json> expected = run_all(full);
  CentralFlowExperiment first(config);
  std::vector<Json> rows;
  for (int i = 0; i < 3; ++i) rows.push_back(*first.step());
  SafetensorsFile saved;
  Json state = Json::object();
  first.save_state(saved.tensors, state);
  CentralFlowExperiment resumed(config);
  resumed.load_state(saved, state);
  for (const Json& r : run_all(resumed)) rows.push_back(r);
  CHECK(rows == expected);
  CHECK(resumed.summary(rows) == full.summary(expected));
}

TEST_CASE("central_flow: what it does not run is a one-line ConfigError", "[central_flow]") {
  auto build = [](const std::string& set) {
    Json user = load_config_file(std::string(GRADLAB_SOURCE_DIR) +
                                 "/experiments/central_flow/toy_mlp.json");
    ResolveOptions o;
    o.sets = {set};
    return CentralFlowExperiment(resolve_config(user, o));
  };
  CHECK_THROWS_WITH(build("optim.type=rmsprop"),
                    Catch::Contains("optim.type") && Catch::Contains("rmsprop"));
  CHECK_THROWS_WITH(build("optim.momentum=0.9"), Catch::Contains("momentum"));
  CHECK_THROWS_WITH(build("train.batch_size=32"), Catch::Contains("full-batch"));
  CHECK_THROWS_AS(build("probe.top_k=2"), ConfigError);  // a block the kind does not read
  CHECK_THROWS_AS(build("central_flow.substeps=0"), ConfigError);
}
