// test_symmetric_eigen.cpp — gradlab's dense symmetric eigensolver (include/gradlab/linalg.h,
// src/linalg/symmetric_eigen.cpp) on matrices with known spectra, and against Eigen's
// SelfAdjointEigenSolver as an oracle (Eigen is a test-only dependency, here and in WASM).
//
// Known spectra: the tridiagonal Toeplitz matrix tridiag(b, a, b) of order n has eigenvalues
// a + 2b·cos(kπ/(n+1)), k = 1..n, with eigenvectors v_k[j] ∝ sin(jkπ/(n+1)) (j = 1..n); and
// U diag(λ) Uᵀ for U orthogonal has eigenvalues λ. Every case also checks the eigenvectors:
// VVᵀ = I and ‖A vᵢ − λᵢ vᵢ‖ small relative to ‖A‖.
#include <Eigen/Dense>
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <vector>

#include "gradlab/error.h"
#include "gradlab/linalg.h"
#include "gradlab/rng.h"
#include "gradlab/spectrum.h"

using gradlab::EigenVectors;
using gradlab::SymmetricEigen;
using RowMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

namespace {

constexpr double kPi = 3.14159265358979323846;

// (n, n) row-major dense copy of tridiag(e, d, e).
std::vector<double> dense_tridiagonal(const std::vector<double>& d, const std::vector<double>& e) {
  const size_t n = d.size();
  std::vector<double> a(n * n, 0.0);
  for (size_t i = 0; i < n; ++i) a[i * n + i] = d[i];
  for (size_t i = 0; i + 1 < n; ++i) a[i * n + i + 1] = a[(i + 1) * n + i] = e[i];
  return a;
}

// U diag(λ) Uᵀ, U orthogonal (Householder QR of a Gaussian matrix from gradlab's Rng), exactly
// symmetric, row-major.
std::vector<double> conjugated(const std::vector<double>& lambda, uint64_t seed) {
  const auto n = static_cast<Eigen::Index>(lambda.size());
  gradlab::Rng rng(seed);
  Eigen::MatrixXd gaussian(n, n);
  for (Eigen::Index i = 0; i < gaussian.size(); ++i) gaussian.data()[i] = rng.normal();
  const Eigen::MatrixXd u = gaussian.householderQr().householderQ();
  const Eigen::VectorXd l = Eigen::Map<const Eigen::VectorXd>(lambda.data(), n);
  Eigen::MatrixXd a = u * l.asDiagonal() * u.transpose();
  const RowMatrix symmetric = 0.5 * (a + a.transpose());
  return std::vector<double>(symmetric.data(), symmetric.data() + symmetric.size());
}

double max_abs(const std::vector<double>& v) {
  double m = 0.0;
  for (double x : v) m = std::max(m, std::abs(x));
  return m;
}

// Values ascending, within tol of `want` (sorted here), entry by entry.
void require_values(const SymmetricEigen& r, std::vector<double> want, double tol) {
  std::sort(want.begin(), want.end());
  REQUIRE(r.values.size() == want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    INFO("eigenvalue #" << i << ": got " << r.values[i] << ", want " << want[i]);
    REQUIRE(std::abs(r.values[i] - want[i]) <= tol);
    if (i > 0) REQUIRE(r.values[i - 1] <= r.values[i]);
  }
}

// Rows of r.vectors orthonormal to tol, and ‖A vᵢ − λᵢ vᵢ‖ ≤ tol·‖A‖_max.
void require_eigenpairs(const std::vector<double>& a, const SymmetricEigen& r, double tol) {
  const auto n = static_cast<Eigen::Index>(r.values.size());
  REQUIRE(r.vectors.size() == static_cast<size_t>(n * n));
  const Eigen::Map<const RowMatrix> A(a.data(), n, n);
  const Eigen::Map<const RowMatrix> V(r.vectors.data(), n, n);  // row i = vᵢ
  const double gram_error = (V * V.transpose() - RowMatrix::Identity(n, n)).cwiseAbs().maxCoeff();
  INFO("max |VVᵀ − I| = " << gram_error);
  REQUIRE(gram_error <= tol);
  const double scale = max_abs(a);
  for (Eigen::Index i = 0; i < n; ++i) {
    const Eigen::VectorXd v = V.row(i).transpose();
    // stableNorm: the scaled cases have entries near 1e±200, whose squares over/underflow.
    const double residual = (A * v - r.values[static_cast<size_t>(i)] * v).stableNorm();
    INFO("pair #" << i << ": ‖Av − λv‖ = " << residual << ", ‖A‖_max = " << scale);
    REQUIRE(residual <= tol * scale);
  }
}

}  // namespace

TEST_CASE("symmetric_eigen: tridiagonal Toeplitz matrix, analytic spectrum and vectors",
          "[spectrum]") {
  for (int n : {1, 2, 3, 7, 40, 101}) {
    const double a = 2.5, b = -1.25;
    const std::vector<double> d(static_cast<size_t>(n), a), e(static_cast<size_t>(n - 1), b);
    std::vector<double> want;
    for (int k = 1; k <= n; ++k) want.push_back(a + 2.0 * b * std::cos(k * kPi / (n + 1)));
    INFO("n = " << n);
    const SymmetricEigen tri = gradlab::symmetric_tridiagonal_eigen(d, e, EigenVectors::yes);
    require_values(tri, want, 1e-13 * 5.0);
    const std::vector<double> dense = dense_tridiagonal(d, e);
    require_eigenpairs(dense, tri, 1e-13);
    const SymmetricEigen full = gradlab::symmetric_eigen(dense, n, EigenVectors::yes);
    require_values(full, want, 1e-13 * 5.0);
    require_eigenpairs(dense, full, 1e-13);
    // The analytic eigenvector, up to sign: b < 0 makes k = 1 the smallest eigenvalue
    // (ascending position 0), with v ∝ sin(jπ/(n+1)), so |⟨v₀, s⟩| = ‖s‖.
    std::vector<double> s(static_cast<size_t>(n));
    double s_norm = 0.0;
    for (int j = 0; j < n; ++j) {
      s[j] = std::sin((j + 1) * kPi / (n + 1));
      s_norm += s[j] * s[j];
    }
    double overlap = 0.0;
    for (int j = 0; j < n; ++j) overlap += tri.vectors[static_cast<size_t>(j)] * s[j];
    REQUIRE(std::abs(std::abs(overlap) - std::sqrt(s_norm)) < 1e-12 * std::sqrt(s_norm));
  }
}

TEST_CASE("symmetric_eigen: random orthogonal conjugation, known and repeated eigenvalues",
          "[spectrum]") {
  SECTION("distinct, both signs") {
    std::vector<double> lambda;
    for (int i = 0; i < 60; ++i) lambda.push_back(-7.0 + 0.37 * i + 0.001 * (i % 5));
    const std::vector<double> a = conjugated(lambda, 3);
    const SymmetricEigen r = gradlab::symmetric_eigen(a, 60, EigenVectors::yes);
    require_values(r, lambda, 1e-12 * 15.0);
    require_eigenpairs(a, r, 1e-12);
  }
  SECTION("repeated: a triple, a pair and zeros") {
    const std::vector<double> lambda = {4.0, 4.0, 4.0, -2.0, -2.0, 0.0, 0.0, 1.5, 9.0, -0.5};
    const std::vector<double> a = conjugated(lambda, 5);
    const SymmetricEigen r = gradlab::symmetric_eigen(a, 10, EigenVectors::yes);
    require_values(r, lambda, 1e-13 * 9.0);
    require_eigenpairs(a, r, 1e-13);
  }
  SECTION("all equal: a multiple of the identity in disguise") {
    const std::vector<double> lambda(12, -3.25);
    const std::vector<double> a = conjugated(lambda, 9);
    const SymmetricEigen r = gradlab::symmetric_eigen(a, 12, EigenVectors::yes);
    require_values(r, lambda, 1e-13 * 3.25);
    require_eigenpairs(a, r, 1e-13);
  }
  SECTION("widely graded magnitudes, 1e-9 to 1e6") {
    std::vector<double> lambda;
    for (int i = 0; i < 16; ++i) lambda.push_back(std::pow(10.0, -9.0 + i) * (i % 2 ? -1.0 : 1.0));
    const std::vector<double> a = conjugated(lambda, 13);
    const SymmetricEigen r = gradlab::symmetric_eigen(a, 16, EigenVectors::no);
    require_values(r, lambda, 1e-13 * 1e6);  // backward stable: absolute error ~ u·‖A‖
    REQUIRE(r.vectors.empty());
  }
}

TEST_CASE("symmetric_eigen: 1x1, 2x2, zero and diagonal matrices", "[spectrum]") {
  const SymmetricEigen one = gradlab::symmetric_eigen({-4.5}, 1, EigenVectors::yes);
  REQUIRE(one.values == std::vector<double>{-4.5});
  REQUIRE(one.vectors == std::vector<double>{1.0});

  // [[a, b], [b, c]]: (a + c)/2 ± √(((a − c)/2)² + b²)
  const double a = 3.0, b = -2.0, c = -1.0;
  const std::vector<double> two = {a, b, b, c};
  const double mid = 0.5 * (a + c), radius = std::hypot(0.5 * (a - c), b);
  const SymmetricEigen r2 = gradlab::symmetric_eigen(two, 2, EigenVectors::yes);
  require_values(r2, {mid - radius, mid + radius}, 1e-14 * 4.0);
  require_eigenpairs(two, r2, 1e-14);

  const std::vector<double> zero(25, 0.0);
  const SymmetricEigen z = gradlab::symmetric_eigen(zero, 5, EigenVectors::yes);
  REQUIRE(z.values == std::vector<double>(5, 0.0));
  require_eigenpairs(zero, z, 0.0);  // exactly the identity

  // Diagonal: exact values, sorted, and unit vectors (up to sign) from the permutation.
  const std::vector<double> diag = {3.0, -1.0, 7.0, 0.0, -1.0};
  std::vector<double> dense(25, 0.0);
  for (int i = 0; i < 5; ++i) dense[static_cast<size_t>(i * 6)] = diag[static_cast<size_t>(i)];
  const SymmetricEigen dg = gradlab::symmetric_eigen(dense, 5, EigenVectors::yes);
  REQUIRE(dg.values == std::vector<double>{-1.0, -1.0, 0.0, 3.0, 7.0});
  require_eigenpairs(dense, dg, 0.0);
  REQUIRE(std::abs(dg.vectors[4 * 5 + 2]) == 1.0);  // 7 is entry 2
  REQUIRE(std::abs(dg.vectors[3 * 5 + 0]) == 1.0);  // 3 is entry 0
}

TEST_CASE("symmetric_eigen: agrees with Eigen's SelfAdjointEigenSolver", "[spectrum]") {
  // Random symmetric matrices and rank-deficient Gram matrices G = XXᵀ (what double_descent
  // solves with), eigenvalues to 1e-12·‖A‖ of Eigen's.
  gradlab::Rng rng(21);
  for (int n : {1, 2, 5, 17, 64, 150}) {
    for (int kind = 0; kind < 2; ++kind) {
      RowMatrix a(n, n);
      if (kind == 0) {
        for (Eigen::Index i = 0; i < a.size(); ++i) a.data()[i] = rng.normal();
        a = (0.5 * (a + a.transpose())).eval();
      } else {
        RowMatrix x(n, std::max(1, n / 3));  // rank ≤ n/3
        for (Eigen::Index i = 0; i < x.size(); ++i) x.data()[i] = rng.normal();
        a = x * x.transpose();
      }
      const std::vector<double> flat(a.data(), a.data() + a.size());
      const SymmetricEigen ours = gradlab::symmetric_eigen(flat, n, EigenVectors::yes);
      Eigen::SelfAdjointEigenSolver<RowMatrix> oracle(a);
      REQUIRE(oracle.info() == Eigen::Success);
      const double norm = oracle.eigenvalues().cwiseAbs().maxCoeff();
      INFO("n = " << n << (kind ? ", Gram matrix" : ", symmetric Gaussian"));
      for (int i = 0; i < n; ++i)
        REQUIRE(std::abs(ours.values[i] - oracle.eigenvalues()[i]) <= 1e-12 * norm);
      require_eigenpairs(flat, ours, 1e-12 * n);
      // Values without vectors are the same numbers (the QR sweeps do not depend on them).
      REQUIRE(gradlab::symmetric_eigen(flat, n, EigenVectors::no).values == ours.values);
    }
  }
  // Wilkinson's W21+: diag |10 − i|, off-diagonal 1; its top eigenvalues come in pairs that
  // agree to ~1e-14 (a hard case for deflation and for the vectors).
  std::vector<double> d(21), e(20, 1.0);
  for (int i = 0; i < 21; ++i) d[i] = std::abs(10.0 - i);
  const std::vector<double> w = dense_tridiagonal(d, e);
  const SymmetricEigen ours = gradlab::symmetric_tridiagonal_eigen(d, e, EigenVectors::yes);
  Eigen::SelfAdjointEigenSolver<RowMatrix> oracle(Eigen::Map<const RowMatrix>(w.data(), 21, 21));
  for (int i = 0; i < 21; ++i)
    REQUIRE(std::abs(ours.values[i] - oracle.eigenvalues()[i]) <= 1e-13 * 11.0);
  REQUIRE(std::abs(ours.values[20] - 10.746194182903393) < 1e-12);
  require_eigenpairs(w, ours, 1e-13 * 21);
}

TEST_CASE("symmetric_eigen: reads the lower triangle only, and scales without overflow",
          "[spectrum]") {
  const std::vector<double> lambda = {1.0, 2.0, -3.0, 0.5};
  std::vector<double> a = conjugated(lambda, 31);
  const SymmetricEigen exact = gradlab::symmetric_eigen(a, 4, EigenVectors::yes);
  for (int i = 0; i < 4; ++i)
    for (int j = i + 1; j < 4; ++j) a[static_cast<size_t>(i * 4 + j)] = std::nan("");
  const SymmetricEigen lower = gradlab::symmetric_eigen(a, 4, EigenVectors::yes);
  REQUIRE(lower.values == exact.values);
  REQUIRE(lower.vectors == exact.vectors);

  // 1e200 and 1e-200 scalings: squares of the entries would overflow / underflow, the
  // power-of-two scaling inside does not, and the values scale exactly with the matrix.
  for (double s : {1e200, 1e-200}) {
    std::vector<double> scaled = conjugated(lambda, 31);
    for (double& v : scaled) v *= s;
    const SymmetricEigen r = gradlab::symmetric_eigen(scaled, 4, EigenVectors::yes);
    for (int i = 0; i < 4; ++i) REQUIRE(std::abs(r.values[i] / s - exact.values[i]) < 1e-13 * 3.0);
    require_eigenpairs(scaled, r, 1e-13);
  }
}

TEST_CASE("symmetric_eigen: deterministic, and typed errors for bad input", "[spectrum]") {
  std::vector<double> lambda;
  for (int i = 0; i < 30; ++i) lambda.push_back(std::sin(1.0 + i));
  const std::vector<double> a = conjugated(lambda, 41);
  const SymmetricEigen r1 = gradlab::symmetric_eigen(a, 30, EigenVectors::yes);
  const SymmetricEigen r2 = gradlab::symmetric_eigen(a, 30, EigenVectors::yes);
  REQUIRE(r1.values == r2.values);
  REQUIRE(r1.vectors == r2.vectors);

  using Catch::Matchers::Contains;
  REQUIRE_THROWS_AS(gradlab::symmetric_eigen({1.0, 2.0, 3.0}, 2, EigenVectors::no),
                    gradlab::ShapeError);
  REQUIRE_THROWS_WITH(gradlab::symmetric_eigen({1.0, 2.0, 3.0}, 2, EigenVectors::no),
                      Contains("expected n*n = 4"));
  REQUIRE_THROWS_AS(gradlab::symmetric_eigen({}, 0, EigenVectors::no), gradlab::ShapeError);
  const double inf = std::numeric_limits<double>::infinity();
  REQUIRE_THROWS_AS(gradlab::symmetric_eigen({1.0, 0.0, inf, 1.0}, 2, EigenVectors::no),
                    gradlab::ValueError);
  REQUIRE_THROWS_AS(gradlab::symmetric_eigen({std::nan(""), 0.0, 0.0, 1.0}, 2, EigenVectors::no),
                    gradlab::ValueError);
  REQUIRE_THROWS_AS(gradlab::symmetric_tridiagonal_eigen({1.0, 2.0}, {}, EigenVectors::no),
                    gradlab::ShapeError);
  REQUIRE_THROWS_WITH(gradlab::symmetric_tridiagonal_eigen({1.0, 2.0}, {}, EigenVectors::no),
                      Contains("expected n - 1 = 1"));
  REQUIRE_THROWS_AS(gradlab::symmetric_tridiagonal_eigen({}, {}, EigenVectors::no),
                    gradlab::ShapeError);
  REQUIRE_THROWS_AS(
      gradlab::symmetric_tridiagonal_eigen({1.0, std::nan("")}, {0.5}, EigenVectors::no),
      gradlab::ValueError);
  // The public wrapper keeps its contract: the symmetric part, descending.
  REQUIRE(gradlab::symmetric_eigenvalues({2.0, 0.0, 0.0, -1.0}, 2) ==
          std::vector<double>{2.0, -1.0});
}
