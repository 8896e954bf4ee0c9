// test_gradient_flow.cpp — optim.type gradient_flow (RK4 on dθ/dt = −∇L) in TrainingExperiment.
//
// On a quadratic loss (a linear model under MSE: L(θ) = ½(θ − θ*)ᵀH(θ − θ*) + const) the
// flow is known exactly: θ(t) = θ* + e^{−Ht}(θ₀ − θ*), computed here from the dense
// Hessian (spectrum.h dense_hessian) and Eigen's symmetric eigensolver. Checks:
//  - at η = 5/λmax (2.5× GD's threshold 2/η) GD diverges, gradient flow does not;
//  - gradient flow matches θ(t) at every step, and the error shrinks ~16× when the
//    substeps double (RK4's global error O(h⁴));
//  - its rows carry sharpness but no threshold (gradient flow has none).
#include <Eigen/Dense>
#include <catch2/catch.hpp>
#include <cmath>
#include <vector>

#include "experiments/training.h"
#include "gradlab/config.h"
#include "gradlab/spectrum.h"

using namespace gradlab;

namespace {

// 32 examples of a 6-D regression (teacher MLP targets), linear model: 7 parameters.
Json linear_config(const std::string& optimizer, double lr, int64_t steps, int substeps = 4) {
  Json user = {
      {"kind", "edge_of_stability"},
      {"seed", 5},
      {"dtype", "float64"},
      {"data",
       {{"source", "synthetic"}, {"generator", "teacher_mlp"}, {"n_train", 32}, {"dim", 6}}},
      {"model", {{"type", "linear"}}},
      {"loss", "mse"},
      {"optim", {{"type", optimizer}, {"lr", lr}}},
      {"train", {{"steps", steps}, {"log_every", 1}, {"log_time", false}}},
      {"probe", {{"sharpness_every", 5}, {"lanczos_iters", 7}}}};
  if (optimizer == "gradient_flow") user["optim"]["substeps"] = substeps;
  return resolve_config(user);
}

struct ExactFlow {
  Eigen::VectorXd theta_star, theta0, eigenvalues;
  Eigen::MatrixXd eigenvectors;
  Eigen::VectorXd at(double t) const {
    Eigen::VectorXd decay = (-eigenvalues * t).array().exp();
    return theta_star +
           eigenvectors * decay.asDiagonal() * eigenvectors.transpose() * (theta0 - theta_star);
  }
};

ExactFlow exact_flow(TrainingExperiment& e) {
  const TensorList& params = e.model().params();
  LossFn loss_fn = [&e](const TensorList& p) { return e.full_train_loss(p); };
  const int64_t n = total_numel(params);
  std::vector<double> h = dense_hessian(loss_fn, params);  // row-major (n, n)
  TensorList g = grad(loss_fn(params), params);
  Eigen::Map<Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>> H(h.data(), n,
                                                                                       n);
  const Eigen::MatrixXd dense = H;
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> solver(dense);
  ExactFlow flow;
  flow.eigenvalues = solver.eigenvalues();
  flow.eigenvectors = solver.eigenvectors();
  std::vector<double> t0 = flatten_to_vector(params), g0 = flatten_to_vector(g);
  flow.theta0 = Eigen::Map<Eigen::VectorXd>(t0.data(), n);
  Eigen::VectorXd grad0 = Eigen::Map<Eigen::VectorXd>(g0.data(), n);
  // θ* = θ₀ − H⁻¹∇L(θ₀) (the loss is exactly quadratic, H positive definite here).
  REQUIRE(flow.eigenvalues.minCoeff() > 1e-6);
  flow.theta_star =
      flow.theta0 -
      flow.eigenvectors * (flow.eigenvectors.transpose() * grad0).cwiseQuotient(flow.eigenvalues);
  return flow;
}

// Runs gradient flow and returns max_k ‖θ_k − θ(kη)‖ / ‖θ₀ − θ*‖ over the run.
double flow_error(const Json& config, const ExactFlow& exact, double lr, std::vector<Json>* rows) {
  TrainingExperiment e(config, edge_of_stability_hooks());
  double worst = 0;
  const double scale = (exact.theta0 - exact.theta_star).norm();
  while (!e.done()) {
    std::optional<Json> row = e.step();
    if (row && rows) rows->push_back(*row);
    std::vector<double> p = flatten_to_vector(e.model().params());
    Eigen::VectorXd theta = Eigen::Map<Eigen::VectorXd>(p.data(), static_cast<int64_t>(p.size()));
    worst = std::max(worst,
                     (theta - exact.at(lr * static_cast<double>(e.steps_done()))).norm() / scale);
  }
  CHECK_FALSE(e.diverged());
  return worst;
}

}  // namespace

TEST_CASE("gradient_flow: RK4 follows the exact flow on a quadratic where GD diverges", "[eos]") {
  TrainingExperiment probe(linear_config("gd", 0.1, 1), edge_of_stability_hooks());
  const ExactFlow exact = exact_flow(probe);
  const double lambda_max = exact.eigenvalues.maxCoeff();
  const double lr = 5.0 / lambda_max;  // 2/η = 0.4·λmax: far past GD's stability threshold

  TrainingExperiment gd(linear_config("gd", lr, 400), edge_of_stability_hooks());
  while (!gd.done()) gd.step();
  CHECK(gd.diverged());  // |1 − ηλmax| = 4: the loss overflows

  std::vector<Json> rows;
  // h·λmax = 5/8 and 5/16: inside RK4's stability interval (2.785) and accurate.
  const double err8 = flow_error(linear_config("gradient_flow", lr, 40, 8), exact, lr, &rows);
  const double err16 = flow_error(linear_config("gradient_flow", lr, 40, 16), exact, lr, nullptr);
  INFO("relative error: 8 substeps " << err8 << ", 16 substeps " << err16);
  CHECK(err8 < 1e-3);
  CHECK(err16 < 1e-4);
  // Global error O(h⁴): halving h divides it by ~2⁴; the observed order log2(err8/err16)
  // is 4 up to the O(h⁵) term (≈ 4.3 here).
  const double order = std::log2(err8 / err16);
  CHECK(order > 3.5);
  CHECK(order < 4.5);

  // The loss falls monotonically (to rounding, once at the minimum); rows report sharpness
  // (= λmax, the loss is quadratic) but no threshold, and the summary no EoS figures.
  REQUIRE(rows.size() == 40);
  const double loss0 = rows[0]["loss"].get<double>();
  for (size_t i = 1; i < rows.size(); ++i)
    CHECK(rows[i]["loss"].get<double>() <= rows[i - 1]["loss"].get<double>() + 1e-13 * loss0);
  CHECK(rows.back()["loss"].get<double>() < 0.5 * loss0);
  CHECK(rows[0]["sharpness"].get<double>() == Approx(lambda_max).epsilon(1e-9));
  for (const Json& r : rows) CHECK_FALSE(r.contains("threshold"));
  TrainingExperiment again(linear_config("gradient_flow", lr, 40, 8), edge_of_stability_hooks());
  Json s = again.summary(rows);
  CHECK(s["initial_sharpness"].get<double>() == Approx(lambda_max).epsilon(1e-9));
  CHECK_FALSE(s.contains("eos_step"));
}

TEST_CASE("gradient_flow: needs full-batch training", "[eos]") {
  Json c = linear_config("gradient_flow", 0.1, 10);
  c["train"]["batch_size"] = 8;
  try {
    TrainingExperiment e(c, edge_of_stability_hooks());
    FAIL("expected a ConfigError");
  } catch (const ConfigError& e) {
    CHECK(std::string(e.what()) ==
          "optim.type gradient_flow integrates the full-batch gradient flow: set "
          "train.batch_size to \"full\" (got 8)");
  }
}
