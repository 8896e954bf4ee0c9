// test_hessian_nets.cpp — the Hessian spectrum of real (small) networks, in float64.
//
// Sharpness probes (edge of stability, Cohen et al. 2021) run Lanczos and power iteration
// on Hessian-vector products of a training loss. Here the same solvers run on a small MLP
// and a small CNN whose full Hessian (n ≈ 150) is cheap to form, so every Ritz value can be
// compared with the dense Hessian's exact eigenvalues:
//  - the raw dense Hessian (n HVPs with unit vectors, before any symmetrisation) is
//    symmetric: an HVP that differentiated the backward pass wrongly breaks H = Hᵀ;
//  - a Hessian column agrees with a central difference of the gradient (it is *the* Hessian);
//  - lanczos_top_k with a full Krylov space gives the 5 largest eigenvalues to 1e-8;
//  - power_iteration gives the eigenvalue of largest magnitude.
// The file runs natively and under WASM (no files, no Python) and takes well under a second.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <string>
#include <vector>

#include "gradlab/autograd.h"
#include "gradlab/ops.h"
#include "gradlab/rng.h"
#include "gradlab/spectrum.h"
#include "gradlab/tensor.h"

using namespace gradlab;

namespace {

// A loss over a list of parameter tensors, with its parameters at some point.
struct NetProblem {
  std::string name;
  LossFn loss;
  TensorList params;
};

// Parameters drawn as N(0, scale²) in float64 from gradlab's own RNG (same on every target).
Tensor random_param(const Shape& shape, double scale, Rng& rng) {
  Tensor t = mul(randn(shape, rng, DType::F64), scale);
  return t.detach().requires_grad_();
}

// MLP 5-8-8-3, tanh, with biases; MSE against random targets on 16 examples.
// Parameters (PyTorch layout): W0 [8,5], b0 [8], W1 [8,8], b1 [8], W2 [3,8], b2 [3] = 147.
NetProblem make_mlp() {
  Rng rng(2024, 1);
  const int64_t n = 16;
  Tensor x = randn({n, 5}, rng, DType::F64);       // [16, 5]
  Tensor target = randn({n, 3}, rng, DType::F64);  // [16, 3]
  TensorList params = {
      random_param({8, 5}, 0.7, rng), random_param({8}, 0.3, rng),
      random_param({8, 8}, 0.6, rng), random_param({8}, 0.3, rng),
      random_param({3, 8}, 0.6, rng), random_param({3}, 0.3, rng),
  };
  LossFn loss = [x, target](const TensorList& p) {
    Tensor h = tanh(linear(x, p[0], p[1]));  // [16, 8]
    h = tanh(linear(h, p[2], p[3]));         // [16, 8]
    Tensor out = linear(h, p[4], p[5]);      // [16, 3]
    return mse_loss(out, target);
  };
  return {"mlp 5-8-8-3 tanh mse", loss, params};
}

// CNN on 8 images [2, 6, 6]: conv 2→3 (3x3, pad 1) + tanh → avg-pool 2 → [3, 3, 3] →
// flatten 27 → linear 27→3 → cross-entropy. Parameters: conv.weight [3,2,3,3],
// conv.bias [3], fc.weight [3,27], fc.bias [3] = 54 + 3 + 81 + 3 = 141.
NetProblem make_cnn() {
  Rng rng(78, 2);
  const int64_t n = 8;
  Tensor x = randn({n, 2, 6, 6}, rng, DType::F64);  // [8, 2, 6, 6]
  std::vector<int64_t> labels(n);
  for (auto& l : labels) l = static_cast<int64_t>(rng.below(3));
  Tensor y = from_indices(labels, {n});  // [8]
  TensorList params = {
      random_param({3, 2, 3, 3}, 0.3, rng),
      random_param({3}, 0.2, rng),
      random_param({3, 27}, 0.3, rng),
      random_param({3}, 0.2, rng),
  };
  LossFn loss = [x, y](const TensorList& p) {
    Conv2dOptions same{1, 1, 1, 1};
    Tensor h = tanh(conv2d(x, p[0], p[1], same));  // [8, 3, 6, 6]
    h = avg_pool2d(h, 2);                          // [8, 3, 3, 3]
    h = flatten(h, 1);                             // [8, 27]
    Tensor logits = linear(h, p[2], p[3]);         // [8, 3]
    return cross_entropy(logits, y);
  };
  return {"cnn conv3x3-tanh-avgpool-linear ce", loss, params};
}

// Column j of H is H e_j; no symmetrisation, so asymmetry shows a wrong second derivative.
std::vector<double> raw_hessian(const LinearOperator& op, int64_t n) {
  std::vector<double> h(static_cast<size_t>(n * n)), e(n, 0.0), col(n);  // h row-major [n, n]
  for (int64_t j = 0; j < n; ++j) {
    e[j] = 1.0;
    op(e, col);
    e[j] = 0.0;
    for (int64_t i = 0; i < n; ++i) h[i * n + j] = col[i];
  }
  return h;
}

double max_abs(const std::vector<double>& v) {
  double m = 0.0;
  for (double x : v) m = std::max(m, std::abs(x));
  return m;
}

void check_spectrum(const NetProblem& problem) {
  INFO(problem.name);
  const int64_t n = total_numel(problem.params);
  REQUIRE(n >= 100);
  LinearOperator hess = hessian_operator(problem.loss, problem.params);

  // ---- the raw Hessian is symmetric ---------------------------------------------------
  std::vector<double> raw = raw_hessian(hess, n);
  const double scale = max_abs(raw);
  REQUIRE(scale > 1e-3);  // a non-trivial Hessian (a zero one would pass everything below)
  double asym = 0.0;
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < i; ++j)
      asym = std::max(asym, std::abs(raw[i * n + j] - raw[j * n + i]));
  INFO("max |H_ij - H_ji| / max |H| = " << asym / scale);
  CHECK(asym <= 1e-10 * scale);

  // ---- dense_hessian is that matrix ---------------------------------------------------
  std::vector<double> dense = dense_hessian(problem.loss, problem.params);
  REQUIRE(dense.size() == raw.size());
  double diff = 0.0;
  for (size_t i = 0; i < raw.size(); ++i) diff = std::max(diff, std::abs(dense[i] - raw[i]));
  CHECK(diff <= 1e-10 * scale);

  // ---- the HVP is the derivative of the gradient: (g(w+εv) − g(w−εv)) / 2ε ≈ Hv ------
  {
    Rng rng(5, 9);
    std::vector<double> v(n), hv(n);
    for (double& vi : v) vi = rng.normal();
    hess(v, hv);
    std::vector<double> w = flatten_to_vector(problem.params);
    const double eps = 1e-5;
    auto grad_at = [&](double sign) {
      std::vector<double> shifted(n);
      for (int64_t i = 0; i < n; ++i) shifted[i] = w[i] + sign * eps * v[i];
      TensorList p = unflatten_from_vector(shifted, problem.params);
      for (Tensor& t : p) t.requires_grad_();
      return flatten_to_vector(grad(problem.loss(p), p));
    };
    std::vector<double> gp = grad_at(1.0), gm = grad_at(-1.0);
    double err = 0.0, norm = 0.0;
    for (int64_t i = 0; i < n; ++i) {
      double fd = (gp[i] - gm[i]) / (2 * eps);
      err += (fd - hv[i]) * (fd - hv[i]);
      norm += hv[i] * hv[i];
    }
    INFO("finite-difference HVP relative error " << std::sqrt(err / norm));
    CHECK(std::sqrt(err / norm) < 1e-6);  // central difference: O(ε²) truncation + rounding
  }

  // ---- Lanczos top-5 against the exact eigenvalues ------------------------------------
  std::vector<double> exact = symmetric_eigenvalues(dense, n);  // descending
  REQUIRE(static_cast<int64_t>(exact.size()) == n);
  for (size_t i = 1; i < exact.size(); ++i) REQUIRE(exact[i - 1] >= exact[i]);
  // The 5 largest are well separated from zero here, so a relative check is meaningful.
  REQUIRE(exact[4] > 1e-3 * exact[0]);

  LanczosOptions lopt;
  lopt.top_k = 5;
  lopt.iterations = static_cast<int>(n);  // the full Krylov space: Ritz values are exact
  lopt.seed = 3;
  EigenResult lz = lanczos_top_k(hess, n, lopt);
  REQUIRE(lz.values.size() == 5);
  for (int i = 0; i < 5; ++i) {
    INFO("eigenvalue " << i << ": lanczos " << lz.values[i] << " dense " << exact[i]
                       << " relative error "
                       << std::abs(lz.values[i] - exact[i]) / std::abs(exact[i]));
    CHECK(std::abs(lz.values[i] - exact[i]) <= 1e-8 * std::abs(exact[i]));
  }

  // A budget like the sharpness probe's (60 HVPs) still pins λ₁: its gap is large.
  LanczosOptions short_opt = lopt;
  short_opt.top_k = 1;
  short_opt.iterations = 60;
  EigenResult lz60 = lanczos_top_k(hess, n, short_opt);
  REQUIRE(lz60.values.size() == 1);
  INFO("60-step Lanczos λ₁ relative error " << std::abs(lz60.values[0] - exact[0]) / exact[0]);
  CHECK(std::abs(lz60.values[0] - exact[0]) <= 1e-8 * exact[0]);

  // ---- power iteration: the eigenvalue of largest magnitude ---------------------------
  double largest_magnitude = exact[0];
  if (std::abs(exact.back()) > std::abs(largest_magnitude)) largest_magnitude = exact.back();
  // These nets (seeds, init scales) were chosen so that this is λ₁ (the sharpness), with a
  // clear margin: MLP spectrum [−2.11, 6.06], CNN [−0.48, 1.22]. The mixed second derivatives
  // between layers make the Hessian indefinite; with larger CNN weights |λ_min| ≈ λ₁ and power
  // iteration would converge slowly or to the negative end.
  INFO("spectrum from " << exact.back() << " to " << exact[0] << ", λ₂ = " << exact[1]);
  REQUIRE(largest_magnitude == exact[0]);
  PowerOptions popt;
  popt.max_iterations = 5000;
  popt.tol = 1e-12;
  popt.seed = 4;
  EigenResult pw = power_iteration(hess, n, popt);
  REQUIRE(pw.values.size() == 1);
  INFO("power iteration " << pw.values[0] << " after " << pw.iterations << " HVPs; dense "
                          << largest_magnitude << " relative error "
                          << std::abs(pw.values[0] - largest_magnitude) /
                                 std::abs(largest_magnitude));
  CHECK(std::abs(pw.values[0] - largest_magnitude) <= 1e-7 * std::abs(largest_magnitude));
}

}  // namespace

TEST_CASE("Hessian spectrum of a small MLP: Lanczos and power iteration match the dense Hessian",
          "[spectrum]") {
  check_spectrum(make_mlp());
}

TEST_CASE("Hessian spectrum of a small CNN: Lanczos and power iteration match the dense Hessian",
          "[spectrum]") {
  check_spectrum(make_cnn());
}
