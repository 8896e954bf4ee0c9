// test_lanczos.cpp — the spectrum solvers on explicit symmetric matrices with known
// eigenvalues: A = U diag(λ) Uᵀ with U a random orthogonal matrix (Householder QR of a
// Gaussian matrix), so the exact spectrum is λ by construction. All in double.
#include <Eigen/Dense>
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <functional>
#include <vector>

#include "gradlab/error.h"
#include "gradlab/rng.h"
#include "gradlab/spectrum.h"

using Eigen::MatrixXd;
using Eigen::VectorXd;
using gradlab::EigenResult;
using gradlab::LanczosOptions;
using gradlab::LinearOperator;
using gradlab::PowerOptions;

namespace {

// U diag(eigenvalues) Uᵀ with U orthogonal, drawn from gradlab's Rng.
MatrixXd conjugated(const std::vector<double>& eigenvalues, uint64_t seed) {
  const auto n = static_cast<Eigen::Index>(eigenvalues.size());
  gradlab::Rng rng(seed);
  MatrixXd gaussian(n, n);  // (n, n)
  for (Eigen::Index i = 0; i < gaussian.size(); ++i) gaussian.data()[i] = rng.normal();
  const MatrixXd u = gaussian.householderQr().householderQ();  // (n, n) orthogonal
  const VectorXd d = Eigen::Map<const VectorXd>(eigenvalues.data(), n);
  MatrixXd a = u * d.asDiagonal() * u.transpose();
  return 0.5 * (a + a.transpose());  // exactly symmetric
}

LinearOperator operator_of(const MatrixXd& a) {
  return [a](const std::vector<double>& x, std::vector<double>& y) {
    const auto n = a.rows();
    Eigen::Map<VectorXd>(y.data(), n) = a * Eigen::Map<const VectorXd>(x.data(), n);
  };
}

// The k largest of `values`, descending.
std::vector<double> top(std::vector<double> values, size_t k) {
  std::sort(values.begin(), values.end(), std::greater<double>());
  values.resize(k);
  return values;
}

// |got_i - want_i| <= rel · max(|want_i|, scale) for each i (scale guards zeros).
void require_close(const std::vector<double>& got, const std::vector<double>& want, double rel,
                   double scale = 0.0) {
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    INFO("eigenvalue #" << i << ": got " << got[i] << ", want " << want[i]);
    REQUIRE(std::abs(got[i] - want[i]) <= rel * std::max(std::abs(want[i]), scale));
  }
}

LanczosOptions lanczos_options(int top_k, int iterations, bool want_vectors = false) {
  LanczosOptions o;
  o.top_k = top_k;
  o.iterations = iterations;
  o.want_vectors = want_vectors;
  return o;
}

}  // namespace

TEST_CASE("lanczos: diagonal matrix, exact top-5 when iterations >= n", "[spectrum]") {
  const int n = 60;
  std::vector<double> d(n);  // a shuffled diagonal 0.5, 1.5, ..., 59.5
  gradlab::Rng rng(1);
  const std::vector<int64_t> order = rng.permutation(n);
  for (int i = 0; i < n; ++i)
    d[static_cast<size_t>(i)] = 0.5 + static_cast<double>(order[static_cast<size_t>(i)]);
  LinearOperator op = [&d](const std::vector<double>& x, std::vector<double>& y) {
    for (size_t i = 0; i < x.size(); ++i) y[i] = d[i] * x[i];
  };
  const EigenResult r = gradlab::lanczos_top_k(op, n, lanczos_options(5, n));
  require_close(r.values, {59.5, 58.5, 57.5, 56.5, 55.5}, 1e-10);
  REQUIRE(r.iterations == n);
  REQUIRE(r.vectors.empty());
  REQUIRE(r.residuals.empty());
}

TEST_CASE("lanczos: random orthogonal conjugation with negative eigenvalues", "[spectrum]") {
  std::vector<double> spectrum;  // 40 values in [-12, 9.5], several negative
  for (int i = 0; i < 40; ++i) spectrum.push_back(-12.0 + 0.55 * i + 0.01 * (i % 3));
  const MatrixXd a = conjugated(spectrum, 7);
  const EigenResult r = gradlab::lanczos_top_k(operator_of(a), 40, lanczos_options(5, 50));
  require_close(r.values, top(spectrum, 5), 1e-10);
  REQUIRE(r.iterations == 40);  // Krylov dimension clamped to n

  // All-negative spectrum: "top" is algebraic, so the values closest to zero.
  std::vector<double> negative;
  for (int i = 1; i <= 20; ++i) negative.push_back(-static_cast<double>(i) * 1.5);
  const MatrixXd b = conjugated(negative, 8);
  const EigenResult rn = gradlab::lanczos_top_k(operator_of(b), 20, lanczos_options(5, 20));
  require_close(rn.values, {-1.5, -3.0, -4.5, -6.0, -7.5}, 1e-10);
}

TEST_CASE("lanczos: clustered and repeated eigenvalues", "[spectrum]") {
  // A tight cluster at the top (gaps of 1e-6) and an exact triple eigenvalue: a single
  // Krylov sequence sees a repeated eigenvalue once, so the triple is only found because
  // a breakdown restarts from a fresh orthogonal direction.
  std::vector<double> clustered = {5.0, 5.0 + 1e-6, 5.0 + 2e-6, 5.0 + 3e-6, 4.0};
  for (int i = 0; i < 25; ++i) clustered.push_back(-2.0 + 0.1 * i);
  const MatrixXd a = conjugated(clustered, 11);
  const auto n = static_cast<int64_t>(clustered.size());
  require_close(gradlab::lanczos_top_k(operator_of(a), n, lanczos_options(5, 40)).values,
                top(clustered, 5), 1e-10);

  std::vector<double> repeated = {7.0, 7.0, 7.0, 3.0, 2.0, 1.0, 0.5, -1.0, -4.0, 0.0};
  const MatrixXd b = conjugated(repeated, 12);
  require_close(gradlab::lanczos_top_k(operator_of(b), 10, lanczos_options(5, 10)).values,
                {7.0, 7.0, 7.0, 3.0, 2.0}, 1e-10);
}

TEST_CASE("lanczos: low-rank operator (breakdown) still returns top_k values", "[spectrum]") {
  // A = XᵀX with X (3, 30) has rank 3: the Krylov space is invariant after 4 steps.
  gradlab::Rng rng(13);
  MatrixXd x(3, 30);  // (3, 30)
  for (Eigen::Index i = 0; i < x.size(); ++i) x.data()[i] = rng.normal();
  const MatrixXd a = x.transpose() * x;  // (30, 30)
  Eigen::SelfAdjointEigenSolver<MatrixXd> exact(a);
  const VectorXd ev = exact.eigenvalues();  // ascending
  const double lambda_max = ev[29];
  const EigenResult r = gradlab::lanczos_top_k(operator_of(a), 30, lanczos_options(5, 20));
  require_close(r.values, {ev[29], ev[28], ev[27], 0.0, 0.0}, 1e-10, lambda_max);
  REQUIRE(r.iterations == 20);
}

TEST_CASE("lanczos: n smaller than iterations and n = 1", "[spectrum]") {
  MatrixXd a(3, 3);
  a << 2.0, -1.0, 0.0, -1.0, 2.0, -1.0, 0.0, -1.0, 2.0;  // eigenvalues 2 ± √2, 2
  const EigenResult r = gradlab::lanczos_top_k(operator_of(a), 3, lanczos_options(3, 20));
  require_close(r.values, {2.0 + std::sqrt(2.0), 2.0, 2.0 - std::sqrt(2.0)}, 1e-12);
  REQUIRE(r.iterations == 3);

  MatrixXd one(1, 1);
  one << -4.25;
  const EigenResult r1 = gradlab::lanczos_top_k(operator_of(one), 1, lanczos_options(1, 5, true));
  REQUIRE(r1.values == std::vector<double>{-4.25});
  REQUIRE(std::abs(r1.vectors.at(0).at(0)) == 1.0);
  REQUIRE(r1.residuals.at(0) == 0.0);
}

TEST_CASE("lanczos: few iterations find separated top values without ghosts", "[spectrum]") {
  // Hessian-like: two outliers above a bulk in [0, 1] (n = 400), 60 iterations. Plain
  // Lanczos without re-orthogonalisation would, after λ₁ converges, produce spurious
  // extra copies of it (the top-5 would read 100, 100, 50, ...).
  const int n = 400;
  std::vector<double> d(n);
  gradlab::Rng rng(17);
  for (double& v : d) v = rng.uniform();
  d[123] = 100.0;
  d[321] = 50.0;
  LinearOperator op = [&d](const std::vector<double>& x, std::vector<double>& y) {
    for (size_t i = 0; i < x.size(); ++i) y[i] = d[i] * x[i];
  };
  const EigenResult r = gradlab::lanczos_top_k(op, n, lanczos_options(3, 60, true));
  const std::vector<double> exact = top(d, 3);
  require_close({r.values[0], r.values[1]}, {100.0, 50.0}, 1e-10);
  REQUIRE(r.values[2] <= exact[2] + 1e-12);  // Ritz values interlace: never above λ₃
  REQUIRE(r.values[2] > 0.9);
  REQUIRE(r.residuals[0] < 1e-8);
  REQUIRE(std::abs(std::abs(r.vectors[0][123]) - 1.0) < 1e-10);  // e_123, up to sign
}

TEST_CASE("lanczos: Ritz vectors are orthonormal with small residuals", "[spectrum]") {
  std::vector<double> spectrum;
  for (int i = 0; i < 30; ++i) spectrum.push_back(std::pow(1.3, i % 17) - 3.0 + 0.001 * i);
  const MatrixXd a = conjugated(spectrum, 19);
  const EigenResult r = gradlab::lanczos_top_k(operator_of(a), 30, lanczos_options(4, 30, true));
  require_close(r.values, top(spectrum, 4), 1e-10);
  REQUIRE(r.vectors.size() == 4);
  REQUIRE(r.residuals.size() == 4);
  REQUIRE(r.iterations == 30 + 4);  // one extra application per residual
  const double norm_a = std::abs(top(spectrum, 1)[0]);
  for (size_t i = 0; i < 4; ++i) {
    const VectorXd v = Eigen::Map<const VectorXd>(r.vectors[i].data(), 30);
    const double independent_residual = (a * v - r.values[i] * v).norm();
    REQUIRE(independent_residual < 1e-9 * norm_a);
    REQUIRE(std::abs(r.residuals[i] - independent_residual) < 1e-12 * norm_a);
    REQUIRE(std::abs(v.norm() - 1.0) < 1e-12);
    for (size_t j = 0; j < i; ++j) {
      const VectorXd w = Eigen::Map<const VectorXd>(r.vectors[j].data(), 30);
      REQUIRE(std::abs(v.dot(w)) < 1e-10);
    }
  }
}

TEST_CASE("lanczos: reproducible per seed and eigenvalues independent of it", "[spectrum]") {
  std::vector<double> spectrum;
  for (int i = 0; i < 25; ++i) spectrum.push_back(static_cast<double>(i * i) / 10.0);
  const MatrixXd a = conjugated(spectrum, 23);
  LanczosOptions o = lanczos_options(3, 25);
  const EigenResult r1 = gradlab::lanczos_top_k(operator_of(a), 25, o);
  const EigenResult r2 = gradlab::lanczos_top_k(operator_of(a), 25, o);
  REQUIRE(r1.values == r2.values);
  o.seed = 99;
  require_close(gradlab::lanczos_top_k(operator_of(a), 25, o).values, r1.values, 1e-10);
}

TEST_CASE("power_iteration: agrees with Lanczos on lambda_max", "[spectrum]") {
  std::vector<double> spectrum = {10.0, 6.0, 5.0, -3.0};
  for (int i = 0; i < 46; ++i) spectrum.push_back(-2.0 + 0.08 * i);
  const MatrixXd a = conjugated(spectrum, 29);
  PowerOptions p;
  p.tol = 1e-13;
  const EigenResult power = gradlab::power_iteration(operator_of(a), 50, p);
  const EigenResult lanczos = gradlab::lanczos_top_k(operator_of(a), 50, lanczos_options(1, 30));
  REQUIRE(std::abs(power.values.at(0) - 10.0) < 1e-10);
  REQUIRE(std::abs(power.values[0] - lanczos.values.at(0)) < 1e-10);
  REQUIRE(power.iterations < p.max_iterations);  // stopped on the tolerance
  // The vector converges at |λ₂/λ₁| per step, the quotient at its square: the residual
  // is about sqrt(tol)-small.
  REQUIRE(power.residuals.at(0) < 1e-5);
  const VectorXd v = Eigen::Map<const VectorXd>(power.vectors.at(0).data(), 50);
  REQUIRE(std::abs((a * v - power.values[0] * v).norm() - power.residuals[0]) < 1e-12);

  // Largest magnitude, not largest value: the dominant eigenvalue here is -20.
  std::vector<double> negative_dominant = {-20.0, 4.0, 3.0, 1.0, 0.5, -0.5};
  const MatrixXd b = conjugated(negative_dominant, 31);
  REQUIRE(std::abs(gradlab::power_iteration(operator_of(b), 6, p).values.at(0) + 20.0) < 1e-10);
}

TEST_CASE("dense_matrix and symmetric_eigenvalues", "[spectrum]") {
  const std::vector<double> spectrum = {3.0, -1.0, 0.25, 8.0, 2.0};
  const MatrixXd a = conjugated(spectrum, 37);
  const std::vector<double> dense = gradlab::dense_matrix(operator_of(a), 5);
  REQUIRE(dense.size() == 25);
  for (int r = 0; r < 5; ++r) {
    for (int c = 0; c < 5; ++c) REQUIRE(dense[static_cast<size_t>(r * 5 + c)] == a(r, c));
  }
  require_close(gradlab::symmetric_eigenvalues(dense, 5), {8.0, 3.0, 2.0, 0.25, -1.0}, 1e-12);

  // Only the symmetric part counts: [[1, 2], [0, 1]] → [[1, 1], [1, 1]], eigenvalues 2, 0.
  const std::vector<double> eig = gradlab::symmetric_eigenvalues({1.0, 2.0, 0.0, 1.0}, 2);
  require_close(eig, {2.0, 0.0}, 1e-14, 1.0);

  // A non-symmetric operator is stored as it is (column i = A e_i).
  LinearOperator shift = [](const std::vector<double>& x, std::vector<double>& y) {
    y[0] = 0.0;
    y[1] = x[0];  // A = [[0, 0], [1, 0]]
  };
  REQUIRE(gradlab::dense_matrix(shift, 2) == std::vector<double>{0.0, 0.0, 1.0, 0.0});
}

TEST_CASE("spectrum: invalid arguments throw typed errors naming the argument", "[spectrum]") {
  const MatrixXd a = MatrixXd::Identity(4, 4);
  const LinearOperator op = operator_of(a);
  using Catch::Contains;
  REQUIRE_THROWS_WITH(gradlab::lanczos_top_k(op, 0, lanczos_options(1, 5)), Contains("n must be"));
  REQUIRE_THROWS_AS(gradlab::lanczos_top_k(op, -3, lanczos_options(1, 5)), gradlab::ValueError);
  REQUIRE_THROWS_WITH(gradlab::lanczos_top_k(op, 4, lanczos_options(1, 0)), Contains("iterations"));
  REQUIRE_THROWS_WITH(gradlab::lanczos_top_k(op, 4, lanczos_options(0, 5)), Contains("top_k"));
  REQUIRE_THROWS_WITH(gradlab::lanczos_top_k(op, 4, lanczos_options(6, 5)),
                      Contains("top_k (6) exceeds iterations (5)"));
  REQUIRE_THROWS_WITH(gradlab::lanczos_top_k(op, 4, lanczos_options(5, 10)),
                      Contains("top_k (5) exceeds n (4)"));
  REQUIRE_THROWS_AS(gradlab::lanczos_top_k(LinearOperator{}, 4, lanczos_options(1, 5)),
                    gradlab::ValueError);

  const LinearOperator wrong_size = [](const std::vector<double>&, std::vector<double>& y) {
    y.assign(3, 0.0);
  };
  REQUIRE_THROWS_AS(gradlab::lanczos_top_k(wrong_size, 4, lanczos_options(1, 5)),
                    gradlab::ShapeError);
  const LinearOperator not_finite = [](const std::vector<double>&, std::vector<double>& y) {
    y.assign(y.size(), std::nan(""));
  };
  REQUIRE_THROWS_WITH(gradlab::lanczos_top_k(not_finite, 4, lanczos_options(1, 5)),
                      Contains("non-finite"));
  REQUIRE_THROWS_AS(gradlab::power_iteration(not_finite, 4, PowerOptions{}), gradlab::ValueError);

  PowerOptions p;
  p.max_iterations = 0;
  REQUIRE_THROWS_WITH(gradlab::power_iteration(op, 4, p), Contains("max_iterations"));
  p = PowerOptions{};
  p.tol = -1.0;
  REQUIRE_THROWS_WITH(gradlab::power_iteration(op, 4, p), Contains("tol"));
  REQUIRE_THROWS_AS(gradlab::power_iteration(op, 0, PowerOptions{}), gradlab::ValueError);

  REQUIRE_THROWS_AS(gradlab::dense_matrix(op, 0), gradlab::ValueError);
  REQUIRE_THROWS_AS(gradlab::symmetric_eigenvalues({1.0, 2.0, 3.0}, 2), gradlab::ShapeError);
  REQUIRE_THROWS_AS(gradlab::symmetric_eigenvalues({1.0, std::nan(""), 0.0, 1.0}, 2),
                    gradlab::ValueError);
}
