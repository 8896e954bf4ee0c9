// gradlab/linalg.h — dense linear algebra in double on plain row-major buffers.
//
// The one numerical seam for code that works outside tensors and autograd (closed-form fits,
// kernel Gram matrices, explicit Hessians and Lanczos matrices): a small matrix type, products,
// gradlab's own symmetric eigensolver and a Cholesky SPD solve. Callers never see the backend:
// products go to the CPU backend's GEMM inside src/linalg/ (OpenBLAS natively, the wasm_simd128
// kernels in WASM), so code under src/experiments/, src/svm/, src/spectrum/ includes only this.
//
// Everything is double: these are the places where float32 would lose the answer (a Gram
// matrix at the interpolation threshold has condition number κ(Φ)²). Every function checks
// its shapes and throws ShapeError naming both operands; non-finite input to the solvers is a
// ValueError. Deterministic: the same inputs give the same bits on a given build target (the
// GEMM thread count does not change them, docs/cuda.md).
//
// Legend: (r, c) = rows × columns, row-major: entry (i, j) at data[i·c + j].
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace gradlab {

// A dense row-major matrix of doubles that owns its storage. Plain data on purpose: callers
// fill `data` in loops and hand it to the functions below (and may move it in and out).
struct Matrix {
  int64_t rows = 0, cols = 0;
  std::vector<double> data;  // (rows, cols)

  Matrix() = default;
  Matrix(int64_t rows, int64_t cols);                            // zeros; ShapeError if < 0
  Matrix(int64_t rows, int64_t cols, std::vector<double> data);  // ShapeError unless rows·cols
  static Matrix identity(int64_t n);                             // (n, n)

  double& operator()(int64_t i, int64_t j) { return data[static_cast<size_t>(i * cols + j)]; }
  double operator()(int64_t i, int64_t j) const {
    return data[static_cast<size_t>(i * cols + j)];
  }
  double* row(int64_t i) { return data.data() + i * cols; }
  const double* row(int64_t i) const { return data.data() + i * cols; }
};

// A read-only (rows, cols) row-major block owned elsewhere: a Matrix, a caller's std::vector,
// or one row of a larger buffer (MatrixView(x.data() + i·d, 1, d)), used without a copy.
struct MatrixView {
  const double* data = nullptr;
  int64_t rows = 0, cols = 0;

  MatrixView(const double* data, int64_t rows, int64_t cols);  // ShapeError if a size is < 0
  // A buffer of exactly rows·cols values; ShapeError otherwise.
  MatrixView(const std::vector<double>& data, int64_t rows, int64_t cols);
  MatrixView(const Matrix& m) : data(m.data.data()), rows(m.rows), cols(m.cols) {}  // NOLINT

  double operator()(int64_t i, int64_t j) const { return data[i * cols + j]; }
};

enum class Transpose { no, yes };

// C = op(A) · op(B), op(X) = X or Xᵀ: op(A) (m, k), op(B) (k, n) → C (m, n). One GEMM call
// whose transposition flags are the ones given (so a Gram matrix X Xᵀ is
// matmul(x, Transpose::no, x, Transpose::yes) without forming Xᵀ). ShapeError on a k mismatch.
Matrix matmul(MatrixView a, Transpose op_a, MatrixView b, Transpose op_b);
inline Matrix matmul(MatrixView a, MatrixView b) {
  return matmul(a, Transpose::no, b, Transpose::no);
}
// The same product into `out`, resized to (m, n) and overwritten (its storage is reused: for
// callers that compute many products of one shape, e.g. the SVM's kernel-row cache).
void matmul_into(MatrixView a, Transpose op_a, MatrixView b, Transpose op_b, Matrix& out);

// ---- symmetric eigenproblem -----------------------------------------------------------------
// gradlab's own dense symmetric eigensolver, the same code natively and in WASM (one
// implementation on every target keeps native and browser results alike, and the browser
// module carries no general linear-algebra library):
//  - symmetric_tridiagonal_eigen: implicit symmetric QR with Wilkinson shifts (Golub & Van
//    Loan, Matrix Computations, 4th ed., §8.3.5, Algorithms 8.3.2/8.3.3) on T = tridiag(e, d, e).
//    Used for the Lanczos matrix T (Ritz values and vectors).
//  - symmetric_eigen: Householder reduction A = Q T Qᵀ (ibid. §8.3.1, Algorithm 8.3.1), then
//    the tridiagonal solver; eigenvectors of A are Q times those of T. Used for Gram matrices
//    (double descent) and explicit Hessians.
// Results: values ascending (n); vectors row-major (n, n) with row i the unit eigenvector of
// values[i] (sign arbitrary), or empty when not asked for. The vectors are orthonormal to
// rounding (Q is a product of exact reflections/rotations). Backward stable: each computed
// eigenvalue is within ~n·u·‖A‖ of the true one (u = unit roundoff).

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
// ShapeError unless the matrix is square with n ≥ 1; ValueError for non-finite entries.
SymmetricEigen symmetric_eigen(MatrixView matrix, EigenVectors want);
SymmetricEigen symmetric_eigen(const std::vector<double>& matrix, int64_t n, EigenVectors want);

// ---- symmetric positive definite systems ----------------------------------------------------

// The Cholesky factor L (n, n), lower triangular with positive diagonal, A = L Lᵀ
// (Golub & Van Loan §4.2, the gaxpy form, Algorithm 4.2.1). Reads only the lower triangle of A,
// like symmetric_eigen; the strict upper triangle of L is zero. ShapeError unless A is square
// (n ≥ 1); ValueError for non-finite entries or when A is not (numerically) positive definite,
// naming the first pivot that is not > 0.
Matrix cholesky(MatrixView a);

// X (n, k) solving A X = B for A (n, n) symmetric positive definite and B (n, k): the Cholesky
// factor, then forward and back substitution per column. Errors as cholesky, plus ShapeError
// when B does not have n rows. For a singular or indefinite A (least squares at the
// interpolation threshold) use symmetric_eigen and a pseudo-inverse instead.
Matrix spd_solve(MatrixView a, MatrixView b);

}  // namespace gradlab
