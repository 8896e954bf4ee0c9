// test_linalg.cpp — the dense double Matrix of gradlab/linalg.h: products against a naive
// triple loop (every transposition, shapes that are not multiples of any kernel block), the
// symmetric eigensolver through the Matrix interface by its residual ‖A v − λ v‖, the Cholesky
// SPD solve by its residual ‖A X − B‖ and its factor ‖L Lᵀ − A‖, and typed errors for shape
// mismatches and for matrices that are not positive definite.
#include <catch2/catch.hpp>
#include <cmath>
#include <vector>

#include "gradlab/error.h"
#include "gradlab/linalg.h"
#include "gradlab/rng.h"

using gradlab::EigenVectors;
using gradlab::Matrix;
using gradlab::MatrixView;
using gradlab::Transpose;

namespace {

Matrix random_matrix(int64_t rows, int64_t cols, uint64_t seed) {
  gradlab::Rng rng(seed, 0);
  Matrix m(rows, cols);
  for (double& v : m.data) v = rng.normal();
  return m;
}

// op(A) op(B) by the definition, summed in double in index order.
Matrix naive_product(const Matrix& a, bool ta, const Matrix& b, bool tb) {
  const int64_t m = ta ? a.cols : a.rows, k = ta ? a.rows : a.cols, n = tb ? b.rows : b.cols;
  Matrix c(m, n);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double s = 0.0;
      for (int64_t p = 0; p < k; ++p) s += (ta ? a(p, i) : a(i, p)) * (tb ? b(j, p) : b(p, j));
      c(i, j) = s;
    }
  return c;
}

double max_abs_diff(const Matrix& a, const Matrix& b) {
  REQUIRE(a.rows == b.rows);
  REQUIRE(a.cols == b.cols);
  double worst = 0.0;
  for (size_t i = 0; i < a.data.size(); ++i) worst = std::max(worst, std::abs(a.data[i] - b.data[i]));
  return worst;
}

// A symmetric positive definite matrix M Mᵀ + n·I (eigenvalues ≥ n).
Matrix spd_matrix(int64_t n, uint64_t seed) {
  const Matrix m = random_matrix(n, n, seed);
  Matrix a = naive_product(m, false, m, true);
  for (int64_t i = 0; i < n; ++i) a(i, i) += static_cast<double>(n);
  return a;
}

}  // namespace

TEST_CASE("linalg Matrix: construction, identity, element access", "[linalg]") {
  Matrix z(2, 3);
  REQUIRE(z.rows == 2);
  REQUIRE(z.cols == 3);
  REQUIRE(z.data == std::vector<double>(6, 0.0));
  Matrix m(2, 3, {1, 2, 3, 4, 5, 6});
  REQUIRE(m(1, 0) == 4.0);
  REQUIRE(m.row(1)[2] == 6.0);
  m(0, 2) = -1.0;
  REQUIRE(m.data[2] == -1.0);
  const Matrix id = Matrix::identity(3);
  REQUIRE(id.data == std::vector<double>{1, 0, 0, 0, 1, 0, 0, 0, 1});
  using Catch::Matchers::Contains;
  REQUIRE_THROWS_AS(Matrix(2, 3, {1, 2, 3}), gradlab::ShapeError);
  REQUIRE_THROWS_WITH(Matrix(2, 3, {1, 2, 3}), Contains("expected 6"));
  REQUIRE_THROWS_AS(Matrix(-1, 2), gradlab::ShapeError);
  const std::vector<double> buffer{1, 2, 3, 4};
  REQUIRE_THROWS_AS(MatrixView(buffer, 3, 2), gradlab::ShapeError);
  REQUIRE(MatrixView(buffer, 2, 2)(1, 0) == 3.0);
}

TEST_CASE("linalg matmul: every transposition against the naive product", "[linalg]") {
  // Odd sizes so that no dimension is a multiple of a GEMM kernel's register or cache block.
  const int64_t m = 37, k = 53, n = 29;
  for (bool ta : {false, true}) {
    for (bool tb : {false, true}) {
      const Matrix a = ta ? random_matrix(k, m, 1) : random_matrix(m, k, 1);
      const Matrix b = tb ? random_matrix(n, k, 2) : random_matrix(k, n, 2);
      const Matrix c = gradlab::matmul(a, ta ? Transpose::yes : Transpose::no, b,
                                       tb ? Transpose::yes : Transpose::no);
      REQUIRE(c.rows == m);
      REQUIRE(c.cols == n);
      // Each entry is a k-term dot product of N(0, 1) values: |c| ~ √k, rounding ~ k·u·√k.
      CHECK(max_abs_diff(c, naive_product(a, ta, b, tb)) < 1e-12);
    }
  }
  // The two-argument form is A B; a Gram matrix X Xᵀ is symmetric (each entry and its mirror
  // are the same dot product, up to the GEMM's order) and matches the definition.
  const Matrix a = random_matrix(6, 4, 3), b = random_matrix(4, 5, 4);
  REQUIRE(gradlab::matmul(a, b).data == gradlab::matmul(a, Transpose::no, b, Transpose::no).data);
  const Matrix gram = gradlab::matmul(a, Transpose::no, a, Transpose::yes);
  CHECK(max_abs_diff(gram, naive_product(a, false, a, true)) < 1e-13);
  // A row of a larger buffer as a (1, k) view: X xᵢᵀ is column i of the Gram matrix.
  Matrix column;
  gradlab::matmul_into(a, Transpose::no, MatrixView(a.row(2), 1, 4), Transpose::yes, column);
  REQUIRE(column.rows == 6);
  REQUIRE(column.cols == 1);
  for (int64_t i = 0; i < 6; ++i) CHECK(std::abs(column(i, 0) - gram(i, 2)) < 1e-13);
  // matmul_into reuses storage that held other values (even NaN) without reading it.
  Matrix out(3, 3, std::vector<double>(9, std::nan("")));
  gradlab::matmul_into(a, Transpose::yes, a, Transpose::no, out);
  CHECK(max_abs_diff(out, naive_product(a, true, a, false)) < 1e-13);
  // Empty products are empty, not an error.
  const Matrix empty = gradlab::matmul(Matrix(0, 6), a);
  REQUIRE(empty.rows == 0);
  REQUIRE(empty.cols == 4);
}

TEST_CASE("linalg matmul: inner dimension mismatch is a ShapeError naming both shapes",
          "[linalg]") {
  const Matrix a(3, 4), b(5, 2);
  using Catch::Matchers::Contains;
  REQUIRE_THROWS_AS(gradlab::matmul(a, b), gradlab::ShapeError);
  REQUIRE_THROWS_WITH(gradlab::matmul(a, b), Contains("(3, 4)") && Contains("(5, 2)"));
  REQUIRE_THROWS_AS(gradlab::matmul(a, Transpose::yes, b, Transpose::no), gradlab::ShapeError);
  // Aᵀ (4, 3) times Bᵀ (2, 5) also mismatches; A (3, 4) times (2, 4)ᵀ works.
  REQUIRE_THROWS_AS(gradlab::matmul(a, Transpose::yes, b, Transpose::yes), gradlab::ShapeError);
  REQUIRE(gradlab::matmul(a, Transpose::no, Matrix(2, 4), Transpose::yes).cols == 2);
}

TEST_CASE("linalg symmetric_eigen on a Matrix: residual and orthonormality", "[linalg]") {
  const int64_t n = 40;
  const Matrix a = spd_matrix(n, 7);
  const gradlab::SymmetricEigen r = gradlab::symmetric_eigen(a, EigenVectors::yes);
  REQUIRE(r.values.size() == static_cast<size_t>(n));
  REQUIRE(r.vectors.size() == static_cast<size_t>(n * n));
  const Matrix v(n, n, r.vectors);  // row i = vᵢ
  double norm_a = 0.0;
  for (double x : a.data) norm_a = std::max(norm_a, std::abs(x));
  const Matrix av = gradlab::matmul(a, Transpose::no, v, Transpose::yes);  // column i = A vᵢ
  for (int64_t i = 0; i < n; ++i) {
    if (i > 0) CHECK(r.values[i - 1] <= r.values[i]);
    CHECK(r.values[i] >= static_cast<double>(n) * (1 - 1e-12));  // M Mᵀ + nI ⪰ nI
    double residual = 0.0;
    for (int64_t j = 0; j < n; ++j) {
      const double e = av(j, i) - r.values[i] * v(i, j);
      residual += e * e;
    }
    CHECK(std::sqrt(residual) < 1e-12 * norm_a * n);
  }
  const Matrix vvt = gradlab::matmul(v, Transpose::no, v, Transpose::yes);
  CHECK(max_abs_diff(vvt, Matrix::identity(n)) < 1e-13);
  // The Matrix overload and the flat-buffer overload are the same computation.
  const gradlab::SymmetricEigen flat = gradlab::symmetric_eigen(a.data, n, EigenVectors::yes);
  REQUIRE(flat.values == r.values);
  REQUIRE(flat.vectors == r.vectors);
  REQUIRE_THROWS_AS(gradlab::symmetric_eigen(Matrix(3, 4), EigenVectors::no), gradlab::ShapeError);
}

TEST_CASE("linalg cholesky and spd_solve: residuals on SPD matrices", "[linalg]") {
  for (int64_t n : {1, 2, 7, 60}) {
    const Matrix a = spd_matrix(n, 10 + n);
    const Matrix l = gradlab::cholesky(a);
    for (int64_t i = 0; i < n; ++i) {
      CHECK(l(i, i) > 0.0);
      for (int64_t j = i + 1; j < n; ++j) CHECK(l(i, j) == 0.0);  // lower triangular
    }
    // ‖L Lᵀ − A‖ and ‖A X − B‖ at rounding level: A is well conditioned (eigenvalues in
    // [n, ~5n]), entries ~n, so a backward-stable method leaves errors ~n·u·‖A‖.
    const double tol = 1e-13 * static_cast<double>(n) * static_cast<double>(n);
    CHECK(max_abs_diff(gradlab::matmul(l, Transpose::no, l, Transpose::yes), a) < tol);
    const Matrix b = random_matrix(n, 3, 20 + n);
    const Matrix x = gradlab::spd_solve(a, b);
    REQUIRE(x.rows == n);
    REQUIRE(x.cols == 3);
    CHECK(max_abs_diff(gradlab::matmul(a, x), b) < tol);
  }
  // A known solution: [[4, 2], [2, 3]] x = [2, 1] has x = [0.5, 0].
  const Matrix x = gradlab::spd_solve(Matrix(2, 2, {4, 2, 2, 3}), Matrix(2, 1, {2, 1}));
  CHECK(std::abs(x(0, 0) - 0.5) < 1e-15);
  CHECK(std::abs(x(1, 0)) < 1e-15);
  // Only the lower triangle is read (as symmetric_eigen): garbage above the diagonal is ignored.
  const Matrix upper_garbage(2, 2, {4, 99, 2, 3});
  REQUIRE(gradlab::spd_solve(upper_garbage, Matrix(2, 1, {2, 1})).data == x.data);
}

TEST_CASE("linalg spd_solve: typed errors for bad shapes and non-SPD matrices", "[linalg]") {
  using Catch::Matchers::Contains;
  // Not square / wrong right-hand side.
  REQUIRE_THROWS_AS(gradlab::cholesky(Matrix(2, 3)), gradlab::ShapeError);
  REQUIRE_THROWS_AS(gradlab::cholesky(Matrix(0, 0)), gradlab::ShapeError);
  REQUIRE_THROWS_AS(gradlab::spd_solve(Matrix::identity(3), Matrix(2, 1)), gradlab::ShapeError);
  REQUIRE_THROWS_WITH(gradlab::spd_solve(Matrix::identity(3), Matrix(2, 1)),
                      Contains("expected B with 3 rows"));
  // Indefinite: [[1, 2], [2, 1]] has eigenvalues 3 and −1; the second pivot is 1 − 4 = −3.
  REQUIRE_THROWS_AS(gradlab::cholesky(Matrix(2, 2, {1, 2, 2, 1})), gradlab::ValueError);
  REQUIRE_THROWS_WITH(gradlab::spd_solve(Matrix(2, 2, {1, 2, 2, 1}), Matrix(2, 1)),
                      Contains("not positive definite") && Contains("pivot 1"));
  // Singular PSD (a Gram matrix of rank 1) and negative definite.
  REQUIRE_THROWS_AS(gradlab::cholesky(Matrix(2, 2, {1, 1, 1, 1})), gradlab::ValueError);
  REQUIRE_THROWS_AS(gradlab::cholesky(Matrix(1, 1, {-2.0})), gradlab::ValueError);
  // Non-finite entries in A (lower triangle) or B.
  REQUIRE_THROWS_AS(gradlab::cholesky(Matrix(2, 2, {1, 0, std::nan(""), 1})), gradlab::ValueError);
  REQUIRE_THROWS_AS(gradlab::spd_solve(Matrix::identity(2), Matrix(2, 1, {1, INFINITY})),
                    gradlab::ValueError);
}
