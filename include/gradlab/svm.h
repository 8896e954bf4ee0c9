// gradlab/svm.h — a support vector machine solver: the C-SVC dual by SMO.
//
// Problem (Cortes & Vapnik 1995), for labels yᵢ ∈ {−1, +1} and a kernel K:
//   primal  min ½‖w‖² + C Σᵢ ξᵢ  s.t. yᵢ(wᵀφ(xᵢ) + b) ≥ 1 − ξᵢ, ξᵢ ≥ 0
//   dual    max D(α) = Σᵢ αᵢ − ½ Σᵢⱼ αᵢαⱼ yᵢyⱼ K(xᵢ, xⱼ)  s.t. 0 ≤ αᵢ ≤ C, Σᵢ αᵢyᵢ = 0
// solved by sequential minimal optimisation (Platt 1998) with the second-order working-set
// selection "WSS2" of Fan, Chen & Lin 2005 (JMLR 6, "Working set selection using second
// order information for training SVM"), the method libsvm uses. Kernels follow libsvm:
// linear ⟨x, x′⟩, rbf exp(−γ‖x − x′‖²), poly (γ⟨x, x′⟩ + coef0)^degree.
//
// Stopping (libsvm's rule): with G = ∇(−D) = Qα − 1, Qᵢⱼ = yᵢyⱼKᵢⱼ,
//   m(α) = max_{t ∈ I_up} −y_t G_t,   M(α) = min_{t ∈ I_low} −y_t G_t,
//   I_up = {t : α_t < C, y_t = +1 or α_t > 0, y_t = −1}, I_low = {t : α_t < C, y_t = −1 or
//   α_t > 0, y_t = +1}; α is optimal iff m ≤ M, and the solver stops when m − M < tol.
//
// Hard margin (C = ∞, pass std::numeric_limits<double>::infinity()): the box has no upper
// side at all (not a huge C). The rule for "not separable": for any feasible α, the dual
// certifies ρ* ≤ √(αᵀQα)/Σα (Cauchy–Schwarz against any separating (w*, b*)); on
// non-separable data SMO drives this ratio to 0 (like 1/iterations), so the solver stops
// with ValueError when it falls below kMinRelativeMargin · R, R = maxᵢ √K(xᵢ, xᵢ): the data
// would need a margin below 1e-6 of their radius. Exact duplicate points with opposite
// labels are reported up front with their indices.
//
// Without a bias (fit_bias = false; the homogeneous model f(x) = wᵀφ(x), used by the
// implicit-bias experiment to match a bias-free linear model) the equality constraint
// disappears and the dual is a box-constrained QP, solved by greedy coordinate ascent
// (the coordinate with the largest projected-gradient violation; stop below tol).
//
// Errors: ValueError for empty data, a single class, NaN/Inf coordinates, labels other than
// ±1, shape mismatches, and hard-margin problems that are not separable.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace gradlab::svm {

enum class KernelType { linear, rbf, poly };

struct Kernel {
  KernelType type = KernelType::linear;
  double gamma = 0.5;  // rbf, poly
  int degree = 3;      // poly
  double coef0 = 1.0;  // poly
  // K(a, b) for two d-vectors.
  double operator()(const double* a, const double* b, int64_t d) const;
};
// "linear" | "rbf" | "poly" (ValueError otherwise), and back.
KernelType parse_kernel(const std::string& name);
std::string kernel_name(KernelType type);

// Hard margin: a certified margin below this fraction of the data radius = not separable.
constexpr double kMinRelativeMargin = 1e-6;

struct Options {
  Kernel kernel;
  double C = std::numeric_limits<double>::infinity();  // ∞ = hard margin
  double tol = 1e-6;                                   // on m(α) − M(α)
  bool fit_bias = true;
  // SMO iterations before giving up; 0 = libsvm's max(10⁷, 100 n).
  int64_t max_iter = 0;
};

struct Model {
  Options options;
  int64_t dim = 0;
  std::vector<double> alpha;       // (n) dual variables, one per training example
  std::vector<double> dual_coef;   // (n_sv) αᵢyᵢ of the support vectors (sklearn's dual_coef_)
  std::vector<int64_t> support;    // (n_sv) indices with αᵢ > 0, ascending
  std::vector<int64_t> margin_sv;  // (≤ n_sv) 0 < αᵢ < C: on the margin, yᵢf(xᵢ) = 1
  std::vector<int64_t> bound_sv;   // (≤ n_sv) αᵢ = C: inside the margin or misclassified
  std::vector<double> sv;          // (n_sv, dim) row-major support vectors
  std::vector<double> w;           // (dim) Σ αᵢyᵢxᵢ, linear kernel only (else empty)
  double bias = 0;                 // f(x) = Σ αᵢyᵢK(xᵢ, x) + bias
  double w_norm_sq = 0;            // ‖w‖² = αᵀQα (feature space)
  double margin = 0;               // geometric margin ρ = 1/‖w‖
  double dual_objective = 0;       // Σα − ½αᵀQα (maximised)
  double primal_objective = 0;     // ½‖w‖² + C Σ max(0, 1 − yᵢf(xᵢ)) (hard: ½‖w‖²)
  double kkt_gap = 0;              // m(α) − M(α) at the end (or the max violation, no bias)
  int64_t iterations = 0;
  bool converged = false;          // kkt_gap < tol within max_iter

  // f(x) for one d-vector, and sign(f) ∈ {−1, +1} (0 maps to +1) for n rows.
  double decision(const double* x) const;
  std::vector<double> decision(const std::vector<double>& x, int64_t n) const;
  std::vector<int> predict(const std::vector<double>& x, int64_t n) const;
  // Fraction of rows with predict ≠ y.
  double error(const std::vector<double>& x, const std::vector<double>& y) const;
};

// Solves the dual for x (n, d) row-major and labels y (n) in {−1, +1}.
Model solve(const std::vector<double>& x, const std::vector<double>& y, int64_t d,
            const Options& options);

}  // namespace gradlab::svm
