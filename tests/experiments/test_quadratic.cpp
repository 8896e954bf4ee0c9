// test_quadratic.cpp — quadratic_gd (src/experiments/quadratic.cpp): GD on ½ xᵀAx.
//
// The classical picture behind the edge of stability (Cohen et al. 2021, §2): each
// eigen-coordinate evolves as cᵢ ← (1 − ηλᵢ)cᵢ, so with L = λmax
//   η = 0.9·2/L converges (the loss falls below 1e-10 of its start),
//   η = 2/L     oscillates: the top coordinate flips sign with constant amplitude,
//   η = 1.1·2/L diverges: |1 − ηL| = 1.2, reported as status diverged with the step and why.
// Also: rotated spectra (A = Q diag(λ) Qᵀ) follow the same law in eigen-coordinates,
// checkpoints resume exactly, and config mistakes are one-line ConfigErrors.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <string>
#include <vector>

#include "experiments/quadratic.h"
#include "gradlab/config.h"

using namespace gradlab;

namespace {

Json quadratic_config(const std::vector<double>& eigenvalues, double lr, int64_t steps,
                      bool rotate = false, const std::vector<double>& x0 = {}) {
  Json user = {{"kind", "quadratic_gd"},
               {"seed", 7},
               {"quadratic", {{"eigenvalues", eigenvalues}, {"rotate", rotate}}},
               {"optim", {{"type", "gd"}, {"lr", lr}}},
               {"train", {{"steps", steps}, {"log_every", 1}, {"log_time", false}}}};
  if (!x0.empty()) user["quadratic"]["x0"] = x0;
  return resolve_config(user);  // validated and defaults filled, as gradlab run does
}

std::vector<Json> run_all(Experiment& e) {
  std::vector<Json> rows;
  while (!e.done())
    if (auto row = e.step()) rows.push_back(*row);
  return rows;
}

std::string config_error(const Json& user) {
  try {
    Json resolved = resolve_config(user);
    QuadraticExperiment e(resolved);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST_CASE("quadratic_gd: eta = 0.9 * 2/L converges", "[eos]") {
  struct Case {
    std::vector<double> eigenvalues;
    bool rotate;
  };
  for (const Case& c :
       {Case{{3.0}, false}, Case{{0.5, 2, 5, 10}, false}, Case{{0.5, 1, 2, 5, 10}, true}}) {
    const double L = *std::max_element(c.eigenvalues.begin(), c.eigenvalues.end());
    const double lr = 0.9 * 2 / L;
    INFO("eigenvalues " << Json(c.eigenvalues).dump() << " rotate " << c.rotate);
    std::unique_ptr<Experiment> e =
        make_experiment(quadratic_config(c.eigenvalues, lr, 400, c.rotate));
    std::vector<Json> rows = run_all(*e);
    CHECK_FALSE(e->diverged());
    CHECK(e->steps_done() == 400);
    REQUIRE(rows.size() == 400);
    const double f0 = rows.front()["loss"].get<double>();
    REQUIRE(f0 > 0);
    CHECK(rows.back()["loss"].get<double>() < 1e-10 * f0);
    for (const Json& r : rows) CHECK(r["loss"].get<double>() <= f0);  // monotone below 2/L
    // The row's figures: λmax, 2/η and each |1 − ηλᵢ| (all < 1 here).
    CHECK(rows[0]["sharpness"].get<double>() == L);
    CHECK(rows[0]["threshold"].get<double>() == 2 / lr);
    REQUIRE(rows[0]["contraction"].size() == c.eigenvalues.size());
    for (size_t i = 0; i < c.eigenvalues.size(); ++i) {
      CHECK(rows[0]["contraction"][i].get<double>() == std::abs(1 - lr * c.eigenvalues[i]));
      CHECK(rows[0]["contraction"][i].get<double>() < 1);
    }
    Json s = e->summary(rows);
    CHECK(s["regime"] == "converges");
    CHECK(s["max_contraction"].get<double>() < 1);
  }
}

TEST_CASE("quadratic_gd: eta = 1.1 * 2/L diverges and says why", "[eos]") {
  // 1-D, λ = 3, x₀ = 1: f_t = ½·3·1.44^t, which first exceeds 1e30·f₀ at t = 190
  // (1.44^189 ≈ 8.5e29, 1.44^190 ≈ 1.2e30).
  const double lr = 1.1 * 2 / 3.0;
  std::unique_ptr<Experiment> e = make_experiment(quadratic_config({3.0}, lr, 1000, false, {1.0}));
  std::vector<Json> rows = run_all(*e);
  REQUIRE(e->diverged());
  CHECK(e->steps_done() == 190);
  CHECK(rows.back()["step"] == 190);
  CHECK(rows.back()["loss"].get<double>() > 1e30 * 1.5);
  CHECK(rows[rows.size() - 2]["loss"].get<double>() <= 1e30 * 1.5);
  const std::string why = e->divergence_reason();
  INFO(why);
  CHECK(why.find("|1 − ηλ| = 1.2 > 1") != std::string::npos);
  CHECK(why.find("exceeds 2/λ = 0.666667") != std::string::npos);
  CHECK(why.find("at step 190") != std::string::npos);
  CHECK(e->summary(rows)["regime"] == "diverges");

  // Several dimensions, rotated: the top eigen-direction blows up, the run stops early.
  const double lr4 = 1.1 * 2 / 10.0;
  std::unique_ptr<Experiment> r =
      make_experiment(quadratic_config({0.5, 2, 5, 10}, lr4, 1000, true));
  rows = run_all(*r);
  REQUIRE(r->diverged());
  CHECK(r->steps_done() < 1000);
  CHECK(r->divergence_reason().find("λ = 10 (quadratic.eigenvalues[3], the largest)") !=
        std::string::npos);
}

TEST_CASE("quadratic_gd: eta = 2/L oscillates with constant amplitude", "[eos]") {
  // λ = 4, η = 0.5: 1 − ηλ = −1 exactly, so x alternates between x₀ and −x₀.
  QuadraticExperiment e(quadratic_config({4.0}, 0.5, 100, false, {0.75}));
  std::vector<Json> rows = run_all(e);
  CHECK_FALSE(e.diverged());
  REQUIRE(rows.size() == 100);
  for (const Json& r : rows) {
    const int64_t t = r["step"].get<int64_t>();
    CHECK(r["coords"][0].get<double>() == (t % 2 ? -0.75 : 0.75));
    CHECK(r["loss"].get<double>() == 0.5 * 4 * 0.75 * 0.75);
  }
  CHECK(e.summary(rows)["regime"] == "oscillates");

  // Rotated 3-D at η = 2/L: the top coordinate keeps |c| (to rounding), the others decay.
  QuadraticExperiment r(quadratic_config({1, 2, 8}, 2.0 / 8, 200, true));
  rows = run_all(r);
  const double top0 = std::abs(rows.front()["coords"][2].get<double>());
  const double top_end = std::abs(rows.back()["coords"][2].get<double>());
  CHECK(top_end == Approx(top0).epsilon(1e-9));
  CHECK(std::abs(rows.back()["coords"][0].get<double>()) < 1e-6);
  CHECK(std::abs(rows.back()["coords"][1].get<double>()) < 1e-6);
}

TEST_CASE("quadratic_gd: rotated GD follows c_i <- (1 - eta lambda_i) c_i", "[eos]") {
  const std::vector<double> lambda = {0.3, 1.5, 4, 7};
  const double lr = 0.2;
  QuadraticExperiment e(quadratic_config(lambda, lr, 30, true));
  std::vector<Json> rows = run_all(e);
  std::vector<double> c0 = rows.front()["coords"].get<std::vector<double>>();
  double norm_c = 0, norm_x = 0;
  for (size_t i = 0; i < c0.size(); ++i) norm_c += c0[i] * c0[i];
  norm_x = rows.front()["param_norm"].get<double>();
  CHECK(std::sqrt(norm_c) == Approx(norm_x).epsilon(1e-12));  // Q is orthogonal
  for (const Json& r : rows) {
    const double t = r["step"].get<double>();
    for (size_t i = 0; i < lambda.size(); ++i) {
      double predicted = std::pow(1 - lr * lambda[i], t) * c0[i];
      CHECK(r["coords"][i].get<double>() == Approx(predicted).margin(1e-12).epsilon(1e-9));
    }
  }
  // The same seed gives the same rotation and start, bit for bit; another seed does not.
  const Json config = quadratic_config(lambda, lr, 1, true);
  CHECK(QuadraticExperiment(config).eigen_coordinates() == c0);
  Json other = config;
  other["seed"] = 8;
  CHECK(QuadraticExperiment(other).eigen_coordinates() != c0);
}

TEST_CASE("quadratic_gd: a checkpoint resumes exactly", "[eos]") {
  const Json config = quadratic_config({1, 3, 9}, 0.2, 60, true);
  QuadraticExperiment full(config);
  std::vector<Json> expected = run_all(full);

  QuadraticExperiment first(config);
  std::vector<Json> rows;
  for (int i = 0; i < 25; ++i) rows.push_back(*first.step());
  SafetensorsFile saved;
  Json state = Json::object();
  first.save_state(saved.tensors, state);
  QuadraticExperiment resumed(config);
  resumed.load_state(saved, state);
  CHECK(resumed.steps_done() == 25);
  for (const Json& r : run_all(resumed)) rows.push_back(r);
  CHECK(rows == expected);
}

TEST_CASE("quadratic_gd: config mistakes are one-line errors", "[eos]") {
  Json base = {{"kind", "quadratic_gd"},
               {"quadratic", {{"eigenvalues", {1, 2}}}},
               {"optim", {{"type", "gd"}, {"lr", 0.1}}},
               {"train", {{"steps", 10}}}};
  CHECK(config_error(base) == "(no error)");
  Json c = base;
  c["quadratic"]["x0"] = {1, 2, 3};
  CHECK(config_error(c) ==
        "quadratic.x0: 3 values but quadratic.eigenvalues has 2 (one per dimension)");
  c = base;
  c["optim"]["type"] = "adam";
  CHECK(config_error(c) ==
        "optim.type: quadratic_gd runs plain gradient descent (\"gd\"), got \"adam\"");
  c = base;
  c["quadratic"].erase("eigenvalues");
  CHECK(config_error(c).rfind("missing required key quadratic.eigenvalues", 0) == 0);
  c = base;
  c["loss"] = "mse";
  CHECK(config_error(c).rfind("loss does not apply to kind \"quadratic_gd\"", 0) == 0);
  c = base;
  c["data"] = {{"source", "fashion_mnist"}};
  CHECK(config_error(c).rfind("data.source does not apply to kind \"quadratic_gd\"", 0) == 0);
  // The resolved config carries no data / model / loss defaults for this kind.
  Json resolved = resolve_config(base);
  CHECK_FALSE(resolved.contains("data"));
  CHECK_FALSE(resolved.contains("model"));
  CHECK_FALSE(resolved.contains("loss"));
  CHECK(resolved["quadratic"]["rotate"] == false);
}
