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
#include <algorithm>
#include <cmath>
#include <vector>

#include "gradlab/error.h"
#include "gradlab/linalg.h"
#include "gradlab/rng.h"
#include "gradlab/spectrum.h"

namespace gradlab {
namespace {

// A Lanczos coefficient β_j below this fraction of ‖T‖ (estimated as the largest
// Gershgorin row sum seen so far) means the Krylov space is invariant up to rounding:
// after two Gram–Schmidt passes an exactly-zero β shows up as ~1e-16·‖A‖, so 1e-12
// leaves a wide margin, and zeroing a true β that small moves eigenvalues by at most
// 1e-12·‖A‖.
constexpr double kBreakdownTolerance = 1e-12;

// Vector helpers on n doubles (n = the parameter count for a Hessian: up to millions).
// dot keeps eight partial sums, lane i mod 8, added up in a fixed tree at the end: the order
// is fixed by the source (the same rounding natively and in WASM), and the eight independent
// chains vectorise, where a single running sum would wait on each add in turn.
double dot(const double* a, const double* b, int64_t n) {
  constexpr int kLanes = 8;
  double lane[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (int l = 0; l < kLanes; ++l) lane[l] += a[i + l] * b[i + l];
  for (int l = 0; i < n; ++i, ++l) lane[l] += a[i] * b[i];
  return ((lane[0] + lane[1]) + (lane[2] + lane[3])) + ((lane[4] + lane[5]) + (lane[6] + lane[7]));
}
double norm(const double* a, int64_t n) { return std::sqrt(dot(a, a, n)); }
// y += alpha x
void axpy(double alpha, const double* x, double* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] += alpha * x[i];
}
void scale(double alpha, double* x, int64_t n) {
  for (int64_t i = 0; i < n; ++i) x[i] *= alpha;
}

// y = op(x) with the output length checked: a wrong-sized HVP is a shape bug upstream.
void apply_operator(const LinearOperator& op, const std::vector<double>& x, std::vector<double>& y,
                    int64_t n, const char* who) {
  y.assign(static_cast<size_t>(n), 0.0);
  op(x, y);
  if (static_cast<int64_t>(y.size()) != n) {
    fail<ShapeError>(who, ": the operator returned ", y.size(), " values for an input of n = ", n);
  }
}

void require_finite(const std::vector<double>& y, const char* who, int iteration) {
  for (double v : y) {
    if (!std::isfinite(v)) {
      fail<ValueError>(who, ": the operator returned a non-finite value at iteration ", iteration,
                       " (NaN/Inf in the Hessian-vector product?)");
    }
  }
}

// Standard normal vector from Rng(seed)'s stream, so runs are reproducible natively and
// in WASM. Not normalised.
void fill_normal(Rng& rng, double* v, int64_t n) {
  for (int64_t i = 0; i < n; ++i) v[i] = rng.normal();
}

// Remove from w its components along the first `count` basis vectors q_0.. (rows of q, each
// n long), twice: one classical Gram–Schmidt pass leaves errors ~ eps·‖w_before‖/‖w_after‖
// along Q when w nearly lies in span(Q); a second pass brings that back to eps ("twice is
// enough", Giraud, Langou & Rozložník 2005).
void orthogonalise_twice(const std::vector<double>& q, int64_t n, int64_t count, double* w) {
  if (count == 0) return;
  std::vector<double> coefficients(static_cast<size_t>(count));  // (count) Qᵀw
  for (int pass = 0; pass < 2; ++pass) {
    for (int64_t i = 0; i < count; ++i) coefficients[i] = dot(q.data() + i * n, w, n);
    for (int64_t i = 0; i < count; ++i) axpy(-coefficients[i], q.data() + i * n, w, n);
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
  const int64_t m = std::min<int64_t>(options.iterations, n);

  Rng rng(options.seed);
  // q (m, n): the orthonormal Lanczos basis, row j = q_j. alpha (m): the diagonal of T.
  // beta (m): beta[j] couples q_j and q_{j+1}; beta[m-1] unused.
  std::vector<double> q(static_cast<size_t>(m * n));
  std::vector<double> alpha(static_cast<size_t>(m));
  std::vector<double> beta(static_cast<size_t>(m), 0.0);
  std::vector<double> x(static_cast<size_t>(n)), y;  // (n) operator input / output
  int applications = 0;
  double t_norm = 0.0;  // running estimate of ‖T‖ ≈ ‖A‖ on the Krylov space

  fill_normal(rng, q.data(), n);
  scale(1.0 / norm(q.data(), n), q.data(), n);
  for (int64_t j = 0; j < m; ++j) {
    const double* qj = q.data() + j * n;
    std::copy_n(qj, n, x.begin());
    apply_operator(op, x, y, n, who);
    ++applications;
    require_finite(y, who, static_cast<int>(j));
    double* w = y.data();  // (n) becomes β_j q_{j+1}

    // Three-term recurrence: A q_j = β_{j-1} q_{j-1} + α_j q_j + β_j q_{j+1}.
    alpha[j] = dot(qj, w, n);
    axpy(-alpha[j], qj, w, n);
    if (j > 0) axpy(-beta[j - 1], qj - n, w, n);
    if (j + 1 == m) break;  // the last β is not needed: residuals are computed exactly
    orthogonalise_twice(q, n, j + 1, w);
    beta[j] = norm(w, n);
    t_norm = std::max(t_norm, std::abs(alpha[j]) + beta[j] + (j > 0 ? beta[j - 1] : 0.0));

    double* next = q.data() + (j + 1) * n;
    if (beta[j] > kBreakdownTolerance * t_norm) {
      for (int64_t i = 0; i < n; ++i) next[i] = w[i] / beta[j];
      continue;
    }
    // Breakdown: span(q_0..q_j) is an invariant subspace, so its Ritz values are exact
    // eigenvalues but the Krylov space cannot grow. Rather than stop with fewer than
    // top_k values, continue from a fresh random direction orthogonal to the basis with
    // β_j = 0: T becomes block diagonal, still QᵀAQ, and repeated or null-space
    // eigenvalues (e.g. a low-rank Hessian) are found with their multiplicity.
    beta[j] = 0.0;
    fill_normal(rng, next, n);
    orthogonalise_twice(q, n, j + 1, next);
    scale(1.0 / norm(next, n), next, n);  // j + 1 < m <= n, so the complement is not empty
  }

  // Ritz values: eigenvalues of the tridiagonal T (ascending), by gradlab's implicit QR.
  const bool want_vectors = options.want_vectors;
  beta.resize(static_cast<size_t>(m - 1));
  const SymmetricEigen ritz =
      symmetric_tridiagonal_eigen(alpha, beta, want_vectors ? EigenVectors::yes : EigenVectors::no);

  EigenResult result;
  const int k = options.top_k;
  std::vector<double> ritz_vector(static_cast<size_t>(n));  // (n)
  for (int i = 0; i < k; ++i) {
    const int64_t index = m - 1 - i;  // largest first
    const double value = ritz.values[static_cast<size_t>(index)];
    result.values.push_back(value);
    if (!want_vectors) continue;
    // Ritz vector v = Q y for the unit eigenvector y of T (row `index` of ritz.vectors);
    // ‖A v - λ v‖ costs one more application of the operator but is the true residual, not
    // the Lanczos estimate.
    const double* coefficients = ritz.vectors.data() + index * m;  // (m)
    std::fill(ritz_vector.begin(), ritz_vector.end(), 0.0);
    for (int64_t j = 0; j < m; ++j) axpy(coefficients[j], q.data() + j * n, ritz_vector.data(), n);
    scale(1.0 / norm(ritz_vector.data(), n), ritz_vector.data(), n);
    apply_operator(op, ritz_vector, y, n, who);
    ++applications;
    axpy(-value, ritz_vector.data(), y.data(), n);  // y = A v - λ v
    result.residuals.push_back(norm(y.data(), n));
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
  Rng rng(options.seed);
  std::vector<double> v(static_cast<size_t>(n)), y;  // (n) current unit vector, A v
  fill_normal(rng, v.data(), n);
  scale(1.0 / norm(v.data(), n), v.data(), n);

  double lambda = 0.0, previous = 0.0, residual = 0.0;
  int applications = 0;
  std::vector<double> r(static_cast<size_t>(n));  // (n) A v - λ v
  for (int it = 0; it < options.max_iterations; ++it) {
    apply_operator(op, v, y, n, who);
    ++applications;
    require_finite(y, who, it);
    lambda = dot(v.data(), y.data(), n);
    for (int64_t i = 0; i < n; ++i) r[i] = y[i] - lambda * v[i];
    residual = norm(r.data(), n);
    const double av_norm = norm(y.data(), n);
    const bool converged = it > 0 && std::abs(lambda - previous) <= options.tol * std::abs(lambda);
    // A v = 0 exactly: v is in the null space and cannot be iterated further.
    if (converged || av_norm == 0.0) break;
    previous = lambda;
    for (int64_t i = 0; i < n; ++i) v[i] = y[i] / av_norm;
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
  const auto size = static_cast<size_t>(n);
  for (double v : matrix) {
    if (!std::isfinite(v)) fail<ValueError>(who, ": matrix has non-finite entries");
  }
  std::vector<double> symmetric(size * size);  // (n, n) (A + Aᵀ)/2
  for (size_t i = 0; i < size; ++i)
    for (size_t j = 0; j < size; ++j)
      symmetric[i * size + j] = 0.5 * (matrix[i * size + j] + matrix[j * size + i]);
  std::vector<double> values = symmetric_eigen(symmetric, n, EigenVectors::no).values;  // ascending
  std::reverse(values.begin(), values.end());
  return values;
}

}  // namespace gradlab
