// test_normalized_gd.cpp — optim.type normalized_gd: θ ← θ − η g/‖g‖ with ‖g‖ the norm of all
// the gradients together (src/optim/optimizers.cpp). Checks that every step has length η and
// direction −g (to rounding), that the norm is global and not per tensor, that a zero gradient
// leaves the parameters unchanged, and the optimizer's name, threshold and errors.
// tests/python/test_optim_torch.py checks a training trajectory against a PyTorch reference.
#include <catch2/catch.hpp>
#include <cmath>
#include <vector>

#include "gradlab/error.h"
#include "gradlab/ops.h"
#include "gradlab/optim.h"
#include "gradlab/rng.h"

using namespace gradlab;

namespace {

std::unique_ptr<Optimizer> normalized_gd() {
  return build_optimizer({{"type", "normalized_gd"}, {"lr", 0.1}});
}

// All entries of a list of tensors, concatenated.
std::vector<double> flat(const TensorList& ts) {
  std::vector<double> out;
  for (const Tensor& t : ts)
    for (double v : t.to_vector()) out.push_back(v);
  return out;
}

}  // namespace

TEST_CASE("normalized_gd: every step has length lr along -g, whatever the gradient's size",
          "[optim]") {
  auto opt = normalized_gd();
  REQUIRE(opt->type() == "normalized_gd");
  Rng rng(3, 0);
  // Two tensors of different shapes; gradients from tiny to huge: the step length must not
  // depend on ‖g‖ (plain GD's would scale with it by 1e12).
  for (double scale : {1e-6, 1.0, 1e6}) {
    TensorList params = {randn({3, 2}, rng, DType::F64), randn({4}, rng, DType::F64)};
    TensorList grads = {mul(randn({3, 2}, rng, DType::F64), scale),
                        mul(randn({4}, rng, DType::F64), scale)};
    const std::vector<double> before = flat(params), g = flat(grads);
    const double lr = 0.25;
    opt->step(params, grads, lr);
    const std::vector<double> after = flat(params);
    double length2 = 0.0, g2 = 0.0, dot = 0.0;
    for (size_t i = 0; i < g.size(); ++i) {
      const double d = after[i] - before[i];
      length2 += d * d;
      g2 += g[i] * g[i];
      dot += d * g[i];
    }
    CHECK(std::abs(std::sqrt(length2) - lr) < 1e-14 * lr);
    // cos(step, −g) = 1: the direction is exactly GD's.
    CHECK(std::abs(-dot / (std::sqrt(length2) * std::sqrt(g2)) - 1.0) < 1e-14);
  }
}

TEST_CASE("normalized_gd: the norm is over all parameters, not per tensor", "[optim]") {
  auto opt = normalized_gd();
  // g = ((3, 0), (0, 4)) has ‖g‖ = 5: the step is lr·(0.6, 0, 0, 0.8). Normalising each tensor
  // by its own norm would move each tensor by lr instead.
  TensorList params = {from_vector({1.0, 2.0}, {2}, DType::F64),
                       from_vector({-1.0, 0.5}, {1, 2}, DType::F64)};
  TensorList grads = {from_vector({3.0, 0.0}, {2}, DType::F64),
                      from_vector({0.0, 4.0}, {1, 2}, DType::F64)};
  opt->step(params, grads, 0.5);
  const std::vector<double> p = flat(params);
  CHECK(p[0] == Approx(1.0 - 0.3).epsilon(1e-15));
  CHECK(p[1] == 2.0);
  CHECK(p[2] == -1.0);
  CHECK(p[3] == Approx(0.5 - 0.4).epsilon(1e-15));
}

TEST_CASE("normalized_gd: a zero gradient leaves the parameters unchanged", "[optim]") {
  auto opt = normalized_gd();
  TensorList params = {from_vector({1.0, -2.0, 3.0}, {3}, DType::F64)};
  TensorList grads = {zeros({3}, DType::F64)};
  opt->step(params, grads, 0.5);
  REQUIRE(params[0].to_vector() == std::vector<double>{1.0, -2.0, 3.0});
  // float32 parameters: the norm is summed in double, the step has length lr to float rounding.
  TensorList p32 = {from_vector({0.0, 0.0}, {2}, DType::F32)};
  TensorList g32 = {from_vector({1e-3, -1e-3}, {2}, DType::F32)};
  opt->step(p32, g32, 2.0);
  const std::vector<double> moved = p32[0].to_vector();
  CHECK(std::hypot(moved[0], moved[1]) == Approx(2.0).epsilon(1e-6));
}

TEST_CASE("normalized_gd: no stability threshold, no state, typed errors", "[optim]") {
  auto opt = normalized_gd();
  CHECK(opt->stability_threshold(0.1) < 0);  // no 2/η: the step length is η at any curvature
  CHECK(opt->state_tensors().empty());
  TensorList params = {zeros({2}, DType::F64)};
  TensorList grads;
  REQUIRE_THROWS_AS(opt->step(params, grads, 0.1), ValueError);
  using Catch::Matchers::Contains;
  REQUIRE_THROWS_WITH(build_optimizer({{"type", "normalised_gd"}, {"lr", 0.1}}),
                      Contains("normalized_gd"));
}
