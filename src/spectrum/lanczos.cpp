// lanczos.cpp — top eigenvalues of a symmetric operator seen only through y = A x.
//
// This is how sharpness λ₁(∇²L) is measured (Cohen et al. 2021): A is the Hessian,
// applied by one Hessian-vector product per iteration. Everything here is in double.
//  - lanczos_top_k: Lanczos (1950) with full re-orthogonalisation. Without it the
//    basis loses orthogonality as soon as a Ritz value converges (Paige 1971) and
//    converged eigenvalues reappear as spurious copies ("ghosts"); with it the method is
//    Rayleigh–Ritz on the Krylov space K_m(A, q₀) and the m×m tridiagonal T = QᵀAQ is
//    accurate to rounding. The basis Q costs n·m doubles.
//  - power_iteration: the eigenvalue of largest magnitude (Rayleigh quotient).
//  - dense_matrix / symmetric_eigenvalues: explicit n×n matrices for small n (tests,
//    exact spectra of tiny nets).
//
// Legend: n = operator dimension, m = Krylov dimension (iterations clamped to n),
// k = top_k.
#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <vector>

#include "gradlab/error.h"
#include "gradlab/rng.h"
#include "gradlab/spectrum.h"

namespace gradlab {
namespace {

using Eigen::MatrixXd;
using Eigen::VectorXd;

// A Lanczos coefficient β_j below this fraction of ‖T‖ (estimated as the largest
// Gershgorin row sum seen so far) means the Krylov space is invariant up to rounding:
// after two Gram–Schmidt passes an exactly-zero β shows up as ~1e-16·‖A‖, so 1e-12
// leaves a wide margin, and zeroing a true β that small moves eigenvalues by at most
// 1e-12·‖A‖.
constexpr double kBreakdownTolerance = 1e-12;

// y = op(x) with the output length checked: a wrong-sized HVP is a shape bug upstream.
void apply_operator(const LinearOperator& op, const std::vector<double>& x, std::vector<double>& y,
                    int64_t n, const char* who) {
  y.assign(static_cast<size_t>(n), 0.0);
  op(x, y);
  if (static_cast<int64_t>(y.size()) != n) {
    fail<ShapeError>(who, ": the operator returned ", y.size(), " values for an input of n = ", n);
  }
}

void require_finite(const VectorXd& y, const char* who, int iteration) {
  if (!y.allFinite()) {
    fail<ValueError>(who, ": the operator returned a non-finite value at iteration ", iteration,
                     " (NaN/Inf in the Hessian-vector product?)");
  }
}

// Standard normal vector from Rng(seed)'s stream, so runs are reproducible natively and
// in WASM. Not normalised.
void fill_normal(Rng& rng, Eigen::Ref<VectorXd> v) {
  for (Eigen::Index i = 0; i < v.size(); ++i) v[i] = rng.normal();
}

// Remove from w its components along the first `count` columns of Q, twice: one
// classical Gram–Schmidt pass leaves errors ~ eps·‖w_before‖/‖w_after‖ along Q when w
// nearly lies in span(Q); a second pass brings that back to eps ("twice is enough",
// Giraud, Langou & Rozložník 2005).
void orthogonalise_twice(const MatrixXd& q, Eigen::Index count, Eigen::Ref<VectorXd> w) {
  if (count == 0) return;
  const auto basis = q.leftCols(count);  // (n, count)
  for (int pass = 0; pass < 2; ++pass) {
    const VectorXd coefficients = basis.transpose() * w;  // (count)
    w.noalias() -= basis * coefficients;
  }
}

void validate_n(int64_t n, const char* who) {
  if (n <= 0) fail<ValueError>(who, ": n must be positive, got n = ", n);
}

}  // namespace

EigenResult lanczos_top_k(const LinearOperator& op, int64_t n, const LanczosOptions& options) {
  const char* who = "lanczos_top_k";
  validate_n(n, who);
  if (!op) fail<ValueError>(who, ": op is empty");
  if (options.iterations < 1) {
    fail<ValueError>(who, ": iterations must be >= 1, got iterations = ", options.iterations);
  }
  if (options.top_k < 1) fail<ValueError>(who, ": top_k must be >= 1, got top_k = ", options.top_k);
  if (options.top_k > options.iterations) {
    fail<ValueError>(who, ": top_k (", options.top_k, ") exceeds iterations (", options.iterations,
                     "): at most one Ritz value per Krylov dimension");
  }
  if (options.top_k > n) {
    fail<ValueError>(who, ": top_k (", options.top_k, ") exceeds n (", n,
                     "): an n-dimensional operator has n eigenvalues");
  }
  const auto m = static_cast<Eigen::Index>(std::min<int64_t>(options.iterations, n));
  const auto dim = static_cast<Eigen::Index>(n);

  Rng rng(options.seed);
  MatrixXd q(dim, m);  // (n, m) orthonormal Lanczos basis, column j = q_j
  VectorXd alpha(m);   // (m)   diagonal of T
  VectorXd beta(m);    // (m)   beta[j] couples q_j and q_{j+1}; beta[m-1] unused
  beta.setZero();
  std::vector<double> x(static_cast<size_t>(n)), y;  // (n) operator input / output
  int applications = 0;
  double t_norm = 0.0;  // running estimate of ‖T‖ ≈ ‖A‖ on the Krylov space

  fill_normal(rng, q.col(0));
  q.col(0).normalize();
  for (Eigen::Index j = 0; j < m; ++j) {
    Eigen::Map<VectorXd>(x.data(), dim) = q.col(j);
    apply_operator(op, x, y, n, who);
    ++applications;
    Eigen::Map<VectorXd> w(y.data(), dim);  // (n) becomes β_j q_{j+1}
    require_finite(w, who, static_cast<int>(j));

    // Three-term recurrence: A q_j = β_{j-1} q_{j-1} + α_j q_j + β_j q_{j+1}.
    alpha[j] = q.col(j).dot(w);
    w -= alpha[j] * q.col(j);
    if (j > 0) w -= beta[j - 1] * q.col(j - 1);
    if (j + 1 == m) break;  // the last β is not needed: residuals are computed exactly
    orthogonalise_twice(q, j + 1, w);
    beta[j] = w.norm();
    t_norm = std::max(t_norm, std::abs(alpha[j]) + beta[j] + (j > 0 ? beta[j - 1] : 0.0));

    if (beta[j] > kBreakdownTolerance * t_norm) {
      q.col(j + 1) = w / beta[j];
      continue;
    }
    // Breakdown: span(q_0..q_j) is an invariant subspace, so its Ritz values are exact
    // eigenvalues but the Krylov space cannot grow. Rather than stop with fewer than
    // top_k values, continue from a fresh random direction orthogonal to the basis with
    // β_j = 0: T becomes block diagonal, still QᵀAQ, and repeated or null-space
    // eigenvalues (e.g. a low-rank Hessian) are found with their multiplicity.
    beta[j] = 0.0;
    fill_normal(rng, q.col(j + 1));
    orthogonalise_twice(q, j + 1, q.col(j + 1));
    q.col(j + 1).normalize();  // j + 1 < m <= n, so the complement is not empty
  }

  // Ritz values: eigenvalues of the tridiagonal T (ascending from Eigen).
  const bool want_vectors = options.want_vectors;
  Eigen::SelfAdjointEigenSolver<MatrixXd> solver;
  solver.computeFromTridiagonal(alpha, beta.head(m - 1),
                                want_vectors ? Eigen::ComputeEigenvectors : Eigen::EigenvaluesOnly);
  if (solver.info() != Eigen::Success) {
    fail<Error>(who, ": the tridiagonal eigensolver did not converge (m = ", m, ")");
  }

  EigenResult result;
  const int k = options.top_k;
  std::vector<double> ritz_vector(static_cast<size_t>(n));  // (n)
  for (int i = 0; i < k; ++i) {
    const Eigen::Index index = m - 1 - i;  // largest first
    const double value = solver.eigenvalues()[index];
    result.values.push_back(value);
    if (!want_vectors) continue;
    // Ritz vector v = Q y for the unit eigenvector y of T; ‖A v - λ v‖ costs one more
    // application of the operator but is the true residual, not the Lanczos estimate.
    Eigen::Map<VectorXd> v(ritz_vector.data(), dim);
    v.noalias() = q * solver.eigenvectors().col(index);
    v.normalize();
    apply_operator(op, ritz_vector, y, n, who);
    ++applications;
    Eigen::Map<VectorXd> av(y.data(), dim);
    result.residuals.push_back((av - value * v).norm());
    result.vectors.push_back(ritz_vector);
  }
  result.iterations = applications;
  return result;
}

// Power iteration: v ← A v / ‖A v‖ converges to the eigenvector of largest |λ| at rate
// |λ₂/λ₁| per step, and the Rayleigh quotient vᵀAv (‖v‖ = 1) to λ₁ at rate |λ₂/λ₁|²,
// which is what the relative tolerance is checked on. If the two extreme eigenvalues
// are ±λ the iteration does not converge and stops after max_iterations.
EigenResult power_iteration(const LinearOperator& op, int64_t n, const PowerOptions& options) {
  const char* who = "power_iteration";
  validate_n(n, who);
  if (!op) fail<ValueError>(who, ": op is empty");
  if (options.max_iterations < 1) {
    fail<ValueError>(
        who, ": max_iterations must be >= 1, got max_iterations = ", options.max_iterations);
  }
  if (!(options.tol >= 0.0) || !std::isfinite(options.tol)) {
    fail<ValueError>(who, ": tol must be finite and >= 0, got tol = ", options.tol);
  }
  const auto dim = static_cast<Eigen::Index>(n);
  Rng rng(options.seed);
  std::vector<double> v(static_cast<size_t>(n)), y;  // (n) current unit vector, A v
  Eigen::Map<VectorXd> vv(v.data(), dim);
  fill_normal(rng, vv);
  vv.normalize();

  double lambda = 0.0, previous = 0.0, residual = 0.0;
  int applications = 0;
  for (int it = 0; it < options.max_iterations; ++it) {
    apply_operator(op, v, y, n, who);
    ++applications;
    Eigen::Map<VectorXd> av(y.data(), dim);
    require_finite(av, who, it);
    lambda = vv.dot(av);
    residual = (av - lambda * vv).norm();
    const double norm = av.norm();
    const bool converged = it > 0 && std::abs(lambda - previous) <= options.tol * std::abs(lambda);
    // A v = 0 exactly: v is in the null space and cannot be iterated further.
    if (converged || norm == 0.0) break;
    previous = lambda;
    vv = av / norm;
  }
  EigenResult result;
  result.values = {lambda};
  result.vectors = {v};  // the vector whose Rayleigh quotient is `lambda`
  result.residuals = {residual};
  result.iterations = applications;
  return result;
}

std::vector<double> dense_matrix(const LinearOperator& op, int64_t n) {
  const char* who = "dense_matrix";
  validate_n(n, who);
  if (!op) fail<ValueError>(who, ": op is empty");
  const auto size = static_cast<size_t>(n);
  std::vector<double> matrix(size * size);      // (n, n) row-major
  std::vector<double> unit(size, 0.0), column;  // (n) e_i and A e_i
  for (size_t i = 0; i < size; ++i) {
    unit[i] = 1.0;
    apply_operator(op, unit, column, n, who);
    unit[i] = 0.0;
    for (size_t r = 0; r < size; ++r) matrix[r * size + i] = column[r];  // column i = A e_i
  }
  return matrix;
}

// Eigenvalues of the symmetric part (A + Aᵀ)/2, descending: a Hessian assembled from
// HVPs is symmetric only up to rounding, and the result should not depend on which
// triangle a solver happens to read.
std::vector<double> symmetric_eigenvalues(const std::vector<double>& matrix, int64_t n) {
  const char* who = "symmetric_eigenvalues";
  validate_n(n, who);
  if (static_cast<int64_t>(matrix.size()) != n * n) {
    fail<ShapeError>(who, ": matrix has ", matrix.size(), " entries, expected n*n = ", n * n,
                     " for n = ", n);
  }
  const auto dim = static_cast<Eigen::Index>(n);
  const Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>> a(
      matrix.data(), dim, dim);  // (n, n)
  if (!a.allFinite()) fail<ValueError>(who, ": matrix has non-finite entries");
  const MatrixXd symmetric = 0.5 * (a + a.transpose());
  Eigen::SelfAdjointEigenSolver<MatrixXd> solver(symmetric, Eigen::EigenvaluesOnly);
  if (solver.info() != Eigen::Success) {
    fail<Error>(who, ": the eigensolver did not converge (n = ", n, ")");
  }
  const VectorXd& ascending = solver.eigenvalues();
  std::vector<double> values(ascending.data(), ascending.data() + ascending.size());  // (n)
  std::reverse(values.begin(), values.end());
  return values;
}

}  // namespace gradlab
