// linalg.cpp — the dense matrix type, products through the backend's GEMM, and the Cholesky
// SPD solve (see include/gradlab/linalg.h). The eigensolver is in symmetric_eigen.cpp.
//
// This file and symmetric_eigen.cpp are the only code outside src/backend/ that calls the
// GEMM kernels directly: everything above works with Matrix / MatrixView.
#include "gradlab/linalg.h"

#include <cmath>

#include "gradlab/error.h"
#include "gradlab/gemm.h"

namespace gradlab {

namespace {

const char* op_name(Transpose op) { return op == Transpose::yes ? "ᵀ" : ""; }

// "(r, c)" for error messages.
std::string shape(int64_t rows, int64_t cols) {
  return "(" + std::to_string(rows) + ", " + std::to_string(cols) + ")";
}

void check_square(MatrixView a, const char* who) {
  if (a.rows != a.cols || a.rows < 1)
    fail<ShapeError>(who, ": expected a square matrix (n, n) with n >= 1, got ",
                     shape(a.rows, a.cols));
}

}  // namespace

Matrix::Matrix(int64_t r, int64_t c) : rows(r), cols(c) {
  if (r < 0 || c < 0) fail<ShapeError>("Matrix: negative size ", shape(r, c));
  data.assign(static_cast<size_t>(r * c), 0.0);
}

Matrix::Matrix(int64_t r, int64_t c, std::vector<double> values)
    : rows(r), cols(c), data(std::move(values)) {
  if (r < 0 || c < 0) fail<ShapeError>("Matrix: negative size ", shape(r, c));
  if (static_cast<int64_t>(data.size()) != r * c)
    fail<ShapeError>("Matrix: ", data.size(), " values for a ", shape(r, c), " matrix, expected ",
                     r * c);
}

Matrix Matrix::identity(int64_t n) {
  Matrix m(n, n);
  for (int64_t i = 0; i < n; ++i) m(i, i) = 1.0;
  return m;
}

MatrixView::MatrixView(const double* d, int64_t r, int64_t c) : data(d), rows(r), cols(c) {
  if (r < 0 || c < 0) fail<ShapeError>("MatrixView: negative size ", shape(r, c));
}

MatrixView::MatrixView(const std::vector<double>& d, int64_t r, int64_t c)
    : data(d.data()), rows(r), cols(c) {
  if (r < 0 || c < 0) fail<ShapeError>("MatrixView: negative size ", shape(r, c));
  if (static_cast<int64_t>(d.size()) != r * c)
    fail<ShapeError>("MatrixView: a buffer of ", d.size(), " values viewed as ", shape(r, c),
                     ", expected ", r * c);
}

// Row-major throughout, so each leading dimension is the stored column count.
void matmul_into(MatrixView a, Transpose op_a, MatrixView b, Transpose op_b, Matrix& out) {
  const bool ta = op_a == Transpose::yes, tb = op_b == Transpose::yes;
  const int64_t m = ta ? a.cols : a.rows;
  const int64_t k = ta ? a.rows : a.cols;
  const int64_t kb = tb ? b.cols : b.rows;
  const int64_t n = tb ? b.rows : b.cols;
  if (k != kb)
    fail<ShapeError>("matmul: A", op_name(op_a), " · B", op_name(op_b), " with A ",
                     shape(a.rows, a.cols), " and B ", shape(b.rows, b.cols),
                     ": inner dimensions ", k, " and ", kb, " differ");
  out.rows = m;
  out.cols = n;
  out.data.resize(static_cast<size_t>(m * n));
  if (m == 0 || n == 0) return;
  // beta = 0: the GEMM overwrites C without reading it (so stale or NaN storage is harmless).
  dgemm(ta, tb, m, n, k, 1.0, a.data, a.cols, b.data, b.cols, 0.0, out.data.data(), n);
}

Matrix matmul(MatrixView a, Transpose op_a, MatrixView b, Transpose op_b) {
  Matrix c;
  matmul_into(a, op_a, b, op_b, c);
  return c;
}

// Gaxpy Cholesky (Golub & Van Loan Algorithm 4.2.1), row by row: for i = 0..n−1,
//   L[i][j] = (A[i][j] − Σ_{p<j} L[i][p] L[j][p]) / L[j][j]   (j < i)
//   L[i][i] = √(A[i][i] − Σ_{p<i} L[i][p]²)
// Each sum runs along two rows of L (contiguous), in a fixed order. A pivot that is not > 0
// (or not finite) means A is not positive definite to working precision.
Matrix cholesky(MatrixView a) {
  const char* who = "cholesky";
  check_square(a, who);
  const int64_t n = a.rows;
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j <= i; ++j)
      if (!std::isfinite(a(i, j)))
        fail<ValueError>(who, ": the matrix has a non-finite entry at (", i, ", ", j, ")");
  Matrix l(n, n);
  for (int64_t i = 0; i < n; ++i) {
    const double* li = l.row(i);
    for (int64_t j = 0; j <= i; ++j) {
      const double* lj = l.row(j);
      double s = a(i, j);
      for (int64_t p = 0; p < j; ++p) s -= li[p] * lj[p];
      if (j < i) {
        l(i, j) = s / lj[j];
      } else {
        if (!(s > 0.0))
          fail<ValueError>(who, ": the matrix is not positive definite (pivot ", i, " of ", n,
                           " is ", s, ", expected > 0)");
        l(i, i) = std::sqrt(s);
      }
    }
  }
  return l;
}

// L Y = B by forward substitution, then Lᵀ X = Y by back substitution, all k right-hand
// sides at once: each step is an axpy over a row of length k.
Matrix spd_solve(MatrixView a, MatrixView b) {
  const char* who = "spd_solve";
  check_square(a, who);
  const int64_t n = a.rows, k = b.cols;
  if (b.rows != n)
    fail<ShapeError>(who, ": A is ", shape(n, n), " but B is ", shape(b.rows, b.cols),
                     ", expected B with ", n, " rows");
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < k; ++j)
      if (!std::isfinite(b(i, j)))
        fail<ValueError>(who, ": B has a non-finite entry at (", i, ", ", j, ")");
  const Matrix l = cholesky(a);
  Matrix x(n, k, std::vector<double>(b.data, b.data + n * k));
  for (int64_t i = 0; i < n; ++i) {  // forward: y_i = (b_i − Σ_{p<i} L[i][p] y_p) / L[i][i]
    double* xi = x.row(i);
    for (int64_t p = 0; p < i; ++p) {
      const double c = l(i, p);
      const double* xp = x.row(p);
      for (int64_t j = 0; j < k; ++j) xi[j] -= c * xp[j];
    }
    for (int64_t j = 0; j < k; ++j) xi[j] /= l(i, i);
  }
  for (int64_t i = n - 1; i >= 0; --i) {  // back: x_i = (y_i − Σ_{p>i} L[p][i] x_p) / L[i][i]
    double* xi = x.row(i);
    for (int64_t p = i + 1; p < n; ++p) {
      const double c = l(p, i);
      const double* xp = x.row(p);
      for (int64_t j = 0; j < k; ++j) xi[j] -= c * xp[j];
    }
    for (int64_t j = 0; j < k; ++j) xi[j] /= l(i, i);
  }
  return x;
}

}  // namespace gradlab
