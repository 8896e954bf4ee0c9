// symmetric_eigen.h — eigenvalues (and eigenvectors) of real symmetric matrices, in double.
//
// gradlab's own dense symmetric eigensolver, the same code natively and in WASM (one
// implementation on every target keeps native and browser results alike, and the browser
// module does not carry a general linear-algebra library):
//  - symmetric_tridiagonal_eigen: implicit symmetric QR with Wilkinson shifts (Golub & Van
//    Loan, Matrix Computations, 4th ed., §8.3.5, Algorithms 8.3.2/8.3.3) on T = tridiag(e, d, e).
//    Used for the Lanczos matrix T (Ritz values and vectors).
//  - symmetric_eigen: Householder reduction A = Q T Qᵀ (ibid. §8.3.1, Algorithm 8.3.1), then
//    the tridiagonal solver; eigenvectors of A are Q times those of T. Used for Gram matrices
//    (double descent) and explicit Hessians.
//
// Legend: n = matrix order. Results: values ascending (n); vectors row-major (n, n) with
// row i the unit eigenvector of values[i] (sign arbitrary), or empty when not asked for.
// The vectors are orthonormal to rounding (Q is a product of exact reflections/rotations).
#pragma once

#include <cstdint>
#include <vector>

namespace gradlab {

enum class EigenVectors { no, yes };

struct SymmetricEigen {
  std::vector<double> values;   // (n) ascending
  std::vector<double> vectors;  // (n, n) row-major, row i ↔ values[i]; empty unless asked
};

// T with diagonal `diagonal` (n) and off-diagonal `off_diagonal` (n − 1; T[i][i+1] = T[i+1][i]).
// Throws ShapeError for mismatched lengths, ValueError for non-finite entries, Error if the QR
// iteration does not converge within 30·n sweeps (not observed for finite input).
SymmetricEigen symmetric_tridiagonal_eigen(std::vector<double> diagonal,
                                           std::vector<double> off_diagonal, EigenVectors want);

// A dense symmetric n×n matrix, row-major. Only the lower triangle (entries [i][j], j ≤ i) is
// read, as LAPACK's uplo = 'L': a matrix symmetric only up to rounding (a Gram matrix from a
// GEMM) then gives the same answer as the exactly symmetric matrix with that triangle.
SymmetricEigen symmetric_eigen(const std::vector<double>& matrix, int64_t n, EigenVectors want);

}  // namespace gradlab
