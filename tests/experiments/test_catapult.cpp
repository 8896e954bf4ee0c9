// test_catapult.cpp — the catapult kind (src/experiments/catapult.cpp), Lewkowycz et al. 2020.
//
// The checks of the issue, at the paper's uv setting (width 1000, one example x = 1, y = 0,
// loss ½f², 300 steps of GD at η = c/λ₀):
//   c < 2           the loss falls monotonically (lazy);
//   c ∈ [2.5, 3.9]  the loss peaks at ≥ 10× its initial value within 10 steps, and the run ends
//                   with ηλ < 2 (catapult);
//   c ≥ 4.2         the run ends as divergent (status diverged, no exception).
// A wide two-layer ReLU net (NTK parameterisation) has its catapult window start at c = 2 and
// its upper edge in [4, 16]. The closed-form gradient and Hessian-vector product agree with
// central differences, and the resolved η = c/λ₀ is recorded in the rows and the summary.
#include <catch2/catch.hpp>
#include <cmath>
#include <string>
#include <vector>

#include "experiments/catapult.h"
#include "gradlab/config.h"

using namespace gradlab;

namespace {

Json uv_config(double c, int64_t steps = 300) {
  return resolve_config({{"kind", "catapult"},
                         {"seed", 0},
                         {"catapult", {{"model", "uv"}, {"width", 1000}, {"lr_times_sharpness", c}}},
                         {"train", {{"steps", steps}, {"log_every", 1}}}});
}

Json relu_config(double c, int64_t width, int64_t steps) {
  return resolve_config(
      {{"kind", "catapult"},
       {"seed", 0},
       {"catapult",
        {{"model", "relu"}, {"width", width}, {"lr_times_sharpness", c}, {"sharpness_every", 0}}},
       {"data",
        {{"source", "synthetic"}, {"generator", "gaussian_mixture"}, {"num_classes", 2},
         {"dim", 10}, {"n_train", 32}, {"separation", 2.0}}},
       {"train", {{"steps", steps}, {"log_every", 1}}}});
}

struct Run {
  std::vector<Json> rows;
  Json summary;
  bool diverged = false;
};

Run run(const Json& config) {
  CatapultExperiment e(config);
  Run r;
  while (!e.done())
    if (auto row = e.step()) r.rows.push_back(*row);
  r.summary = e.summary(r.rows);
  r.diverged = e.diverged();
  return r;
}

}  // namespace

TEST_CASE("catapult: uv model is lazy below ηλ₀ = 2, catapults in [2.5, 3.9], diverges from 4.2") {
  for (double c : {0.5, 1.9}) {
    INFO("η·λ₀ = " << c);
    Run r = run(uv_config(c));
    REQUIRE_FALSE(r.diverged);
    for (size_t i = 1; i < r.rows.size(); ++i)
      CHECK(r.rows[i]["loss"].get<double>() <= r.rows[i - 1]["loss"].get<double>());
    CHECK(r.summary["phase"] == "lazy");
  }
  for (double c : {2.5, 3.0, 3.5, 3.9}) {
    INFO("η·λ₀ = " << c);
    Run r = run(uv_config(c));
    REQUIRE_FALSE(r.diverged);
    const double initial = r.rows.front()["loss"].get<double>();
    double early_peak = 0;
    for (const Json& row : r.rows)
      if (row["step"].get<int64_t>() <= 10) early_peak = std::max(early_peak, row["loss"].get<double>());
    CHECK(early_peak >= 10 * initial);
    CHECK(r.summary["phase"] == "catapult");
    // The catapult lands where the step is stable: η λ_final < 2.
    CHECK(r.summary["final_sharpness_ratio"].get<double>() < 1.0);
    CHECK(r.rows.back()["lr_times_sharpness"].get<double>() < 2.0);
  }
  for (double c : {4.2, 5.0}) {
    INFO("η·λ₀ = " << c);
    Run r = run(uv_config(c));
    CHECK(r.diverged);
    CHECK(r.summary["phase"] == "divergent");
    CHECK(r.rows.size() < 300);
  }
}

TEST_CASE("catapult: η = c/λ₀ is resolved at step 0 and recorded") {
  const Json config = uv_config(3.0, 5);
  CatapultExperiment e(config);
  // The uv model's NTK eigenvalue is (‖u‖² + ‖v‖²)/m ≈ 2 for N(0, 1) weights (paper §2); the
  // Hessian's top eigenvalue adds only f·O(1/√m).
  CHECK(e.initial_sharpness() == Approx(2.0).margin(0.2));
  CHECK(e.lr() == Approx(3.0 / e.initial_sharpness()).epsilon(1e-14));
  Run r = run(config);
  CHECK(r.summary["lr"].get<double>() == Approx(e.lr()).epsilon(1e-14));
  CHECK(r.summary["initial_sharpness"].get<double>() == Approx(e.initial_sharpness()).epsilon(1e-14));
  CHECK(r.rows.front()["lr"].get<double>() == Approx(e.lr()).epsilon(1e-14));
  CHECK(r.rows.front()["lr_times_sharpness"].get<double>() == Approx(3.0).epsilon(1e-12));
}

TEST_CASE("catapult: the closed-form gradient and HVP match central differences") {
  for (const Json& config : {relu_config(1.0, 7, 1), uv_config(1.0, 1)}) {
    CatapultExperiment e(config);
    std::vector<double> w = e.params();
    for (size_t i = 0; i < w.size(); ++i) w[i] += 0.01 * std::sin(3.0 * i);  // off the init
    std::vector<double> v(w.size());
    for (size_t i = 0; i < v.size(); ++i) v[i] = std::cos(1.7 * i + 0.3);
    const double eps = 1e-5;
    auto shifted = [&](double s) {
      std::vector<double> p = w;
      for (size_t i = 0; i < p.size(); ++i) p[i] += s * v[i];
      return p;
    };
    const std::vector<double> g = e.gradient_at(w), hv = e.hvp_at(w, v);
    const std::vector<double> gp = e.gradient_at(shifted(eps)), gm = e.gradient_at(shifted(-eps));
    double dir = 0;
    for (size_t i = 0; i < w.size(); ++i) dir += g[i] * v[i];
    CHECK((e.loss_at(shifted(eps)) - e.loss_at(shifted(-eps))) / (2 * eps) ==
          Approx(dir).epsilon(1e-6));
    for (size_t i = 0; i < w.size(); ++i)
      CHECK((gp[i] - gm[i]) / (2 * eps) == Approx(hv[i]).margin(1e-6));
  }
}

TEST_CASE("catapult: a wide ReLU net's catapult window starts at ηλ₀ = 2, its upper edge in [4, 16]") {
  CHECK(run(relu_config(1.9, 256, 80)).summary["phase"] == "lazy");
  CHECK(run(relu_config(2.5, 256, 80)).summary["phase"] == "catapult");
  CHECK(run(relu_config(4.0, 256, 80)).summary["phase"] == "catapult");
  Run high = run(relu_config(16.0, 256, 80));
  CHECK(high.diverged);
  CHECK(high.summary["phase"] == "divergent");
}

TEST_CASE("catapult: config mistakes are ConfigErrors naming the key") {
  Json user = {{"kind", "catapult"},
               {"catapult", {{"model", "uv"}}},
               {"train", {{"steps", 10}}}};
  CHECK_THROWS_WITH(resolve_config(user), Catch::Contains("catapult.lr_times_sharpness"));
  user["catapult"]["lr_times_sharpness"] = 2.0;
  user["data"] = {{"source", "synthetic"}, {"generator", "xor"}, {"n_train", 10}};
  CHECK_THROWS_WITH(resolve_config(user), Catch::Contains("data"));
}

TEST_CASE("catapult: a checkpoint resumes exactly") {
  const Json config = uv_config(3.0, 40);
  std::vector<Json> straight = run(config).rows, resumed;
  CatapultExperiment first(config);
  while (first.steps_done() < 7)
    if (auto row = first.step()) resumed.push_back(*row);
  NamedTensors tensors;
  Json state;
  first.save_state(tensors, state);
  SafetensorsFile file;
  for (auto& [name, t] : tensors) file.tensors.emplace_back(name, t);
  CatapultExperiment second(config);
  second.load_state(file, Json::parse(state.dump()));
  while (!second.done())
    if (auto row = second.step()) resumed.push_back(*row);
  REQUIRE(resumed.size() == straight.size());
  for (size_t i = 0; i < straight.size(); ++i) CHECK(resumed[i].dump() == straight[i].dump());
  CHECK(second.summary(resumed)["peak_loss_ratio"] == run(config).summary["peak_loss_ratio"]);
}
