// The two small numerical pieces of the central flow (Cohen, Damian, Talwalkar, Kolter, Lee
// 2024, "Understanding optimization in deep learning with central flows"), kept apart from the
// experiment so they are tested on explicit matrices:
//  - rayleigh_ritz: the warm-started tracker of the top Hessian eigenvectors. Between two
//    Euler substeps the weights move by dt·η·‖∇L‖, so last substep's eigenvectors V are
//    nearly right; Rayleigh–Ritz on span{V, HV} (one step of block Krylov subspace iteration)
//    refines them with 2p Hessian-vector products instead of a fresh Lanczos run.
//  - solve_sdcp: the semidefinite complementarity problem that gives the covariance X of
//    GD's oscillation in the eigenbasis of the edge directions.
// Everything is double, on flat vectors of the parameter count n.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

namespace gradlab::central_flow {

using Vec = std::vector<double>;

double dot(const Vec& a, const Vec& b);

struct RitzPairs {
  std::vector<Vec> vectors;  // unit, descending by value
  std::vector<double> values;
  std::vector<Vec> h_vectors;  // H·vectors[i] (combined from the basis' products, no new HVP)
};

// Rayleigh–Ritz of H on span(basis): the basis is orthonormalised (twice-classical
// Gram–Schmidt, dropping vectors that are numerically in the span of the previous ones), H is
// applied to each orthonormal vector — for the first known_h.size() basis vectors, which must
// already be orthonormal, known_h[i] is taken as H·basis[i] — and the `keep` largest Ritz
// pairs are returned.
RitzPairs rayleigh_ritz(const std::vector<Vec>& basis, const std::vector<Vec>& known_h,
                        const std::function<Vec(const Vec&)>& hv, int64_t keep);

// The SDCP of one Euler substep, in the edge eigenbasis (k directions):
//   X ⪰ 0,  Z = A + B[X] ⪰ 0,  ⟨X, Z⟩ = 0,   B[X]_ab = c Σ_ij G_(ab),(ij) X_ij,
// with G the Gram matrix of the k² vectors ∇(u_aᵀHu_b) (row a·k + b) and c = ½·dt·η. It is
// the optimality condition of min_{X ⪰ 0} ½⟨X, B[X]⟩ + ⟨A, X⟩ (B is positive semidefinite),
// solved by accelerated projected gradient (FISTA, Beck & Teboulle 2009) whose projection
// onto the PSD cone clips the eigenvalues of a k×k symmetric matrix at zero. k = 1 has the
// closed form X = max(0, −A/B). Returns X (k×k, row-major).
struct SdcpResult {
  Vec x;
  int iterations = 0;
  double kkt_residual = 0;  // ‖Π_PSD(−Z)‖ + |⟨X, Z⟩| at the answer (0 when exact)
};
SdcpResult solve_sdcp(const Vec& a, const Vec& gram, double c, int64_t k);

// Eigenvalues of a k×k symmetric matrix, descending.
Vec symmetric_values_desc(const Vec& m, int64_t k);

// Weighted average of `series` at every index with a Gaussian kernel of σ `sigma` (in
// indices), truncated at 4σ and renormalised where it runs off either end.
Vec gaussian_smooth(const Vec& series, double sigma);

}  // namespace gradlab::central_flow
