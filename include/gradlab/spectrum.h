// gradlab/spectrum.h — top of the Hessian spectrum from Hessian-vector products.
//
// Edge-of-stability experiments report the sharpness λ₁(∇²L) (Cohen et al. 2021).
// The solvers here only see a symmetric linear operator on R^n (a flat vector in
// double precision), so they are tested on explicit matrices and used on HVPs.
//  - lanczos_top_k: Lanczos with full re-orthogonalisation (numerically a
//    Krylov–Rayleigh–Ritz method), Ritz values from gradlab's tridiagonal QR
//    (gradlab/linalg.h, also behind symmetric_eigenvalues).
//  - power_iteration: λ of largest magnitude, with its Rayleigh quotient.
//  - dense_hessian: n HVPs with unit vectors, symmetrised (small nets, tests).
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "gradlab/autograd.h"
#include "gradlab/tensor.h"

namespace gradlab {

class Rng;

// y = A x for a symmetric operator A on R^n.
using LinearOperator = std::function<void(const std::vector<double>& x, std::vector<double>& y)>;

struct EigenResult {
  std::vector<double> values;                 // descending (algebraic)
  std::vector<std::vector<double>> vectors;   // unit Ritz vectors, same order (if asked)
  int iterations = 0;                         // operator applications
  std::vector<double> residuals;              // ||A v - λ v|| per pair (if vectors asked)
};

struct LanczosOptions {
  int top_k = 1;
  int iterations = 20;        // Krylov dimension (clamped to n)
  uint64_t seed = 0;          // start vector
  bool want_vectors = false;
};
EigenResult lanczos_top_k(const LinearOperator& op, int64_t n, const LanczosOptions& options);

struct PowerOptions {
  int max_iterations = 1000;
  double tol = 1e-10;  // relative change of the Rayleigh quotient
  uint64_t seed = 0;
};
// Eigenvalue of largest magnitude and its vector.
EigenResult power_iteration(const LinearOperator& op, int64_t n, const PowerOptions& options);

// Dense symmetric matrix (row-major n*n) from an operator; its eigenvalues, descending.
std::vector<double> dense_matrix(const LinearOperator& op, int64_t n);
std::vector<double> symmetric_eigenvalues(const std::vector<double>& matrix, int64_t n);

// ---- Hessians of a loss over a list of parameter tensors --------------------------------
int64_t total_numel(const TensorList& params);
std::vector<double> flatten_to_vector(const TensorList& tensors);
// Tensors shaped like `like` (dtype/device too), filled from a flat vector.
TensorList unflatten_from_vector(const std::vector<double>& flat, const TensorList& like);
// The Hessian of loss_fn at params as a LinearOperator on flat vectors.
LinearOperator hessian_operator(const LossFn& loss_fn, const TensorList& params);
// Dense Hessian (n HVPs), row-major; for small parameter counts.
std::vector<double> dense_hessian(const LossFn& loss_fn, const TensorList& params);

}  // namespace gradlab
