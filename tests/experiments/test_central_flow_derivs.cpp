// test_central_flow_derivs.cpp — the third derivatives behind the central flow and its SDCP.
//
// The central flow (Cohen et al. 2024) moves along −½∇_w⟨H(w), Σ⟩ = −½ Σ_ab X_ab ∇(u_aᵀHu_b),
// and its SDCP is built from the same gradients, so curvature_gradients (the kind's own
// function) must be the derivative of uᵀH(w)v. Checked against central differences of exact
// HVPs, uᵀ[H(w + εe) − H(w − εe)]v / 2ε, in float64, for an MLP (SiLU, the toy's), a CNN and a
// transformer block with layer norm (a fused layer-norm backward whose own backward is wrong
// would pass a gradient check and fail this one). The SDCP solver is checked on instances with
// a known answer and on random ones through its optimality conditions.
#include <catch2/catch.hpp>
#include <cmath>
#include <string>
#include <vector>

#include "experiments/central_flow.h"
#include "experiments/central_flow_math.h"
#include "gradlab/autograd.h"
#include "gradlab/linalg.h"
#include "gradlab/ops.h"
#include "gradlab/rng.h"
#include "gradlab/spectrum.h"

using namespace gradlab;
using central_flow::Vec;

namespace {

struct Net {
  std::string name;
  LossFn loss;
  TensorList params;
};

Tensor param(const Shape& shape, double scale, Rng& rng) {
  return mul(randn(shape, rng, DType::F64), scale).detach().requires_grad_();
}

// MLP 6-8-8-2, SiLU, MSE on 12 examples: 56 + 8 + 64 + 8 + 16 + 2 = 154 parameters.
Net mlp() {
  Rng rng(31, 1);
  Tensor x = randn({12, 6}, rng, DType::F64), y = randn({12, 2}, rng, DType::F64);
  TensorList p = {param({8, 6}, 0.5, rng), param({8}, 0.2, rng), param({8, 8}, 0.4, rng),
                  param({8}, 0.2, rng),    param({2, 8}, 0.4, rng), param({2}, 0.2, rng)};
  LossFn loss = [x, y](const TensorList& w) {
    Tensor h = silu(linear(x, w[0], w[1]));
    h = silu(linear(h, w[2], w[3]));
    return mse_loss(linear(h, w[4], w[5]), y);
  };
  return {"mlp silu", loss, p};
}

// CNN: conv 2→3 (3×3, pad 1) + tanh, avg-pool 2, linear 27→3, cross-entropy on 6 images:
// 54 + 3 + 81 + 3 = 141 parameters.
Net cnn() {
  Rng rng(32, 2);
  Tensor x = randn({6, 2, 6, 6}, rng, DType::F64);
  std::vector<int64_t> labels(6);
  for (auto& l : labels) l = static_cast<int64_t>(rng.below(3));
  Tensor y = from_indices(labels, {6});
  TensorList p = {param({3, 2, 3, 3}, 0.3, rng), param({3}, 0.2, rng), param({3, 27}, 0.3, rng),
                  param({3}, 0.2, rng)};
  LossFn loss = [x, y](const TensorList& w) {
    Tensor h = tanh(conv2d(x, w[0], w[1], Conv2dOptions{1, 1, 1, 1}));
    h = flatten(avg_pool2d(h, 2), 1);
    return cross_entropy(linear(h, w[2], w[3]), y);
  };
  return {"cnn", loss, p};
}

// Pre-norm transformer block on 3 sequences of 4 tokens of width 6: x + attn(LN₁(x)), then
// + MLP(LN₂(·)) with GELU, mean over tokens, linear head, MSE. Parameters: LN 4·6, attention
// 4·36, MLP 6·12 + 12 + 12·6 + 6, head 6 + 1 = 24 + 144 + 162 + 7 = 337.
Net transformer_block() {
  Rng rng(33, 3);
  Tensor x = randn({3, 4, 6}, rng, DType::F64), y = randn({3, 1}, rng, DType::F64);
  TensorList p = {
      add(mul(randn({6}, rng, DType::F64), 0.1), 1.0).detach().requires_grad_(),  // 0 ln1.w
      param({6}, 0.1, rng),                                                        // 1 ln1.b
      param({6, 6}, 0.4, rng), param({6, 6}, 0.4, rng),                            // 2 q, 3 k
      param({6, 6}, 0.4, rng), param({6, 6}, 0.4, rng),                            // 4 v, 5 o
      add(mul(randn({6}, rng, DType::F64), 0.1), 1.0).detach().requires_grad_(),  // 6 ln2.w
      param({6}, 0.1, rng),                                                        // 7 ln2.b
      param({12, 6}, 0.4, rng), param({12}, 0.1, rng),                             // 8, 9
      param({6, 12}, 0.3, rng), param({6}, 0.1, rng),                              // 10, 11
      param({1, 6}, 0.4, rng),  param({1}, 0.1, rng),                              // 12, 13
  };
  LossFn loss = [x, y](const TensorList& w) {
    Tensor h = layer_norm(x, {6}, w[0], w[1]);
    Tensor q = matmul(h, transpose(w[2], 0, 1)), k = matmul(h, transpose(w[3], 0, 1));
    Tensor v = matmul(h, transpose(w[4], 0, 1));
    Tensor att = softmax(mul(matmul(q, transpose(k, 1, 2)), 1.0 / std::sqrt(6.0)), -1);
    Tensor r = add(x, matmul(matmul(att, v), transpose(w[5], 0, 1)));
    Tensor m = gelu(linear(layer_norm(r, {6}, w[6], w[7]), w[8], w[9]));
    r = add(r, linear(m, w[10], w[11]));
    return mse_loss(linear(mean(r, {1}), w[12], w[13]), y);
  };
  return {"transformer block with layer norm", loss, p};
}

Vec unit_normal(int64_t n, Rng& rng) {
  Vec v(static_cast<size_t>(n));
  for (double& x : v) x = rng.normal();
  const double s = std::sqrt(central_flow::dot(v, v));
  for (double& x : v) x /= s;
  return v;
}

// uᵀH(w)v at flat parameters w.
double uhv(const Net& net, const Vec& w, const Vec& u, const Vec& v) {
  TensorList p = unflatten_from_vector(w, net.params);
  for (Tensor& t : p) t.requires_grad_();
  GradOptions o;
  o.allow_unused = true;
  return central_flow::dot(
      u, flatten_to_vector(hvp(net.loss, p, unflatten_from_vector(v, net.params), o)));
}

void check_third_derivative(const Net& net) {
  INFO(net.name);
  const int64_t n = total_numel(net.params);
  Rng rng(7, 11);
  const Vec u = unit_normal(n, rng), v = unit_normal(n, rng);
  TensorList g = grad(net.loss(net.params), net.params, {true, true});
  const std::vector<Vec> ds = curvature_gradients(g, net.params, {u, v});
  REQUIRE(ds.size() == 4);
  const Vec& d_uv = ds[1];  // ∇(uᵀHv)
  CHECK(d_uv == ds[2]);     // stored for (a, b) and (b, a)
  const double norm = std::sqrt(central_flow::dot(d_uv, d_uv));
  REQUIRE(norm > 1e-3);  // a third derivative that is not trivially zero
  const Vec w = flatten_to_vector(net.params);
  // Directions: ∇(uᵀHv) itself (the derivative there is its norm: a relative check without
  // cancellation), then random unit directions measured against that norm.
  std::vector<Vec> dirs = {d_uv};
  for (double& x : dirs[0]) x /= norm;
  for (int i = 0; i < 3; ++i) dirs.push_back(unit_normal(n, rng));
  const double eps = 1e-4;
  for (size_t i = 0; i < dirs.size(); ++i) {
    Vec plus = w, minus = w;
    for (int64_t j = 0; j < n; ++j) {
      plus[j] += eps * dirs[i][j];
      minus[j] -= eps * dirs[i][j];
    }
    const double fd = (uhv(net, plus, u, v) - uhv(net, minus, u, v)) / (2 * eps);
    const double ad = central_flow::dot(d_uv, dirs[i]);
    INFO("direction " << i << ": autodiff " << ad << ", finite difference " << fd);
    CHECK(std::fabs(ad - fd) <= 1e-6 * norm);
  }
  // The diagonal entry ∇(uᵀHu) too (the one the one-direction central flow uses).
  Vec plus = w, minus = w;
  const Vec& d_uu = ds[0];
  const double norm_uu = std::sqrt(central_flow::dot(d_uu, d_uu));
  for (int64_t j = 0; j < n; ++j) {
    plus[j] += eps * d_uu[j] / norm_uu;
    minus[j] -= eps * d_uu[j] / norm_uu;
  }
  const double fd = (uhv(net, plus, u, u) - uhv(net, minus, u, u)) / (2 * eps);
  CHECK(std::fabs(fd - norm_uu) <= 1e-6 * norm_uu);
}

}  // namespace

TEST_CASE("central_flow: grad(uT H v) equals finite differences of HVPs (MLP, CNN, LN block)",
          "[central_flow]") {
  check_third_derivative(mlp());
  check_third_derivative(cnn());
  check_third_derivative(transformer_block());
}

TEST_CASE("central_flow: the SDCP solver meets its complementarity conditions", "[central_flow]") {
  // k = 1: X = max(0, −A/(c·G)).
  CHECK(central_flow::solve_sdcp({-2.0}, {4.0}, 0.5, 1).x[0] == Approx(1.0));
  CHECK(central_flow::solve_sdcp({3.0}, {4.0}, 0.5, 1).x[0] == 0.0);
  // A ⪰ 0: X = 0 (the flow is gradient flow).
  {
    const Vec gram = {2, 0, 0, 0.5, 0, 1, 1, 0, 0, 1, 1, 0, 0.5, 0, 0, 3};
    const central_flow::SdcpResult r = central_flow::solve_sdcp({1, 0.2, 0.2, 2}, gram, 1.0, 2);
    for (double x : r.x) CHECK(x == 0.0);
  }
  // Random k = 3 instances with an indefinite A: X ⪰ 0, Z = A + B[X] ⪰ 0, ⟨X, Z⟩ = 0.
  Rng rng(5, 5);
  for (int trial = 0; trial < 5; ++trial) {
    const int64_t k = 3, m = 9;
    std::vector<Vec> grads(m);  // ∇S_ab stand-ins, symmetric in (a, b), in R^12
    for (int64_t a = 0; a < k; ++a)
      for (int64_t b = a; b < k; ++b) {
        Vec g(12);
        for (double& x : g) x = rng.normal();
        grads[a * k + b] = grads[b * k + a] = g;
      }
    Vec gram(m * m), a(m);
    for (int64_t r = 0; r < m; ++r)
      for (int64_t c = 0; c < m; ++c) gram[r * m + c] = central_flow::dot(grads[r], grads[c]);
    for (int64_t r = 0; r < k; ++r)
      for (int64_t c = r; c < k; ++c) a[r * k + c] = a[c * k + r] = rng.normal() - (r == c);
    const double c = 0.3;
    const central_flow::SdcpResult res = central_flow::solve_sdcp(a, gram, c, k);
    INFO("trial " << trial << ": " << res.iterations << " iterations, KKT residual "
                  << res.kkt_residual);
    const Vec xs = central_flow::symmetric_values_desc(res.x, k);
    CHECK(xs.back() >= -1e-12);
    Vec z = a;
    for (int64_t r = 0; r < m; ++r)
      for (int64_t q = 0; q < m; ++q) z[r] += c * gram[r * m + q] * res.x[q];
    CHECK(central_flow::symmetric_values_desc(z, k).back() >= -1e-6);
    CHECK(std::fabs(central_flow::dot(res.x, z)) <= 1e-6);
    CHECK(res.kkt_residual <= 1e-6);
  }
}

TEST_CASE("central_flow: Rayleigh-Ritz on span{V, HV} finds the top eigenpairs", "[central_flow]") {
  // A diagonal operator with a clear top: from a start near the top two eigenvectors, a few
  // Rayleigh–Ritz steps recover them (the tracker between full solves).
  const int64_t n = 20;
  Vec diag(n);
  for (int64_t i = 0; i < n; ++i) diag[i] = 5.0 - 0.2 * static_cast<double>(i);
  diag[0] = 10.0;
  diag[1] = 9.0;
  auto hv = [&](const Vec& x) {
    Vec y(n);
    for (int64_t i = 0; i < n; ++i) y[i] = diag[i] * x[i];
    return y;
  };
  Rng rng(3, 3);
  std::vector<Vec> v = {unit_normal(n, rng), unit_normal(n, rng)};
  for (int64_t i = 0; i < 2; ++i) v[i][i] += 3.0;
  for (int it = 0; it < 30; ++it) {
    std::vector<Vec> basis = v;
    std::vector<Vec> known;
    for (const Vec& x : v) basis.push_back(hv(x));
    v = central_flow::rayleigh_ritz(basis, known, hv, 2).vectors;
  }
  const central_flow::RitzPairs r = central_flow::rayleigh_ritz(v, {}, hv, 2);
  CHECK(r.values[0] == Approx(10.0).epsilon(1e-10));
  CHECK(r.values[1] == Approx(9.0).epsilon(1e-10));
}
