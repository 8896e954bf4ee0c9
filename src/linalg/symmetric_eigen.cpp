// symmetric_eigen.cpp — dense symmetric eigensolver: Householder tridiagonalisation plus the
// implicit symmetric QR algorithm with Wilkinson shifts (declared in include/gradlab/linalg.h).
//
// Reference: Golub & Van Loan, Matrix Computations (4th ed.), §5.1.2–5.1.6 (Householder
// vectors, accumulation), §8.3.1 (tridiagonalisation, Algorithm 8.3.1) and §8.3.3–8.3.5
// (implicit QR step with Wilkinson shift, Algorithm 8.3.2; the symmetric QR algorithm,
// Algorithm 8.3.3). Both stages are backward stable: the computed eigenvalues are exact for
// A + E with ‖E‖ ≈ u·‖A‖ (u = unit roundoff), so each is within ~n·u·‖A‖ of the true one.
//
// Storage is row-major throughout and every inner loop runs along a row as an axpy
// (y += a·x), never a reduction over a strided column: axpys vectorise without reassociating
// sums, so the code is fast natively and in WASM SIMD, in a fixed order (-ffp-contract=off;
// no -ffast-math assumptions). The one exception is the accumulation of the Householder
// reflectors for eigenvectors, blocked into products by the project's GEMM (OpenBLAS
// natively, wasm_simd128 kernels in WASM: the same maths, rounded by different kernels).
// Eigenvectors are kept transposed (zt, row i = the i-th column of Z) so that a Givens
// rotation of two columns of Z touches two contiguous rows.
//
// Legend: n = matrix order, m = n − k − 1 = size of the trailing block at Householder step k,
// [low, high] = the unreduced block of T the current QR sweep works on.
#include "gradlab/linalg.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "gradlab/error.h"
#include "gradlab/gemm.h"

namespace gradlab {
namespace {

constexpr double kEps = std::numeric_limits<double>::epsilon();
constexpr double kTiny = std::numeric_limits<double>::min();  // smallest normal double
// QR sweeps allowed over the whole matrix: Wilkinson shifts converge (cubically in practice,
// Golub & Van Loan §8.3.5), about two sweeps per eigenvalue; 30 per eigenvalue is the
// customary cap (LAPACK's dsteqr uses the same) and only a defect would reach it.
constexpr int64_t kSweepsPerEigenvalue = 30;

// Power of two p with max_abs·2^−p in [0.5, 1): dividing by it is exact (no rounding, barring
// underflow below ~1e-308·max_abs, far under the solver's accuracy), and a matrix of norm ~1
// keeps the squares in hypot-free formulas and the Wilkinson shift far from overflow.
int scale_exponent(double max_abs) {
  int exponent = 0;
  std::frexp(max_abs, &exponent);
  return exponent;
}

// The eigenvector side of the QR sweeps: every Givens similarity T ← G T Gᵀ needs Z ← Z Gᵀ,
// i.e. rows k and k+1 of zt ← [c −s; s c] applied to the pair. Applied one at a time, each
// sweep streams all of zt (n² doubles) through the cache for 6n flops per rotation. The
// rotations do not depend on Z, and each column of zt is transformed independently, so they
// are recorded and applied later in batches, a strip of kStripColumns columns at a time: the
// strip stays in cache for the whole batch. The arithmetic per entry, and its order, is the
// same as applying them at once, so the result is bitwise the same.
class RotationBatch {
 public:
  RotationBatch(double* zt, int64_t n) : zt_(zt), n_(n) {}
  void add(int64_t row, double c, double s) {
    if (!zt_) return;
    rotations_.push_back({row, c, s});
    if (static_cast<int64_t>(rotations_.size()) >= kBatchPerRow * n_) flush();
  }
  void flush() {
    if (!zt_) return;
    for (int64_t j0 = 0; j0 < n_; j0 += kStripColumns) {
      const int64_t width = std::min(kStripColumns, n_ - j0);
      for (const Rotation& r : rotations_) {
        double* upper = zt_ + r.row * n_ + j0;
        double* lower = upper + n_;
        for (int64_t j = 0; j < width; ++j) {
          const double a = upper[j], b = lower[j];
          upper[j] = r.c * a - r.s * b;
          lower[j] = r.s * a + r.c * b;
        }
      }
    }
    rotations_.clear();
  }

 private:
  struct Rotation {
    int64_t row;
    double c, s;
  };
  static constexpr int64_t kStripColumns = 64;  // (n, 64) doubles: 512 KB at n = 1,000
  static constexpr int64_t kBatchPerRow = 16;   // batch of 16·n rotations (~30 sweeps)
  double* zt_;
  int64_t n_;
  std::vector<Rotation> rotations_;
};

// One implicit symmetric QR step with Wilkinson shift on the unreduced block [low, high] of
// T = tridiag(e, d, e) (Golub & Van Loan Algorithm 8.3.2). The shift μ is the eigenvalue of
// the trailing 2×2 block closer to d[high]; the first rotation is that of the QR step of
// T − μI, and the rest chase the bulge it creates down the band (implicit Q theorem, §8.3.4).
// Rotation k acts on rows/columns (k, k+1) as G = [c −s; s c], chosen to zero the bulge z at
// (k−1, k+1) against x at (k−1, k).
void qr_step(std::vector<double>& d, std::vector<double>& e, int64_t low, int64_t high,
             RotationBatch& batch) {
  const double delta = 0.5 * (d[high - 1] - d[high]);
  const double b = e[high - 1];  // ≠ 0: the block is unreduced
  // μ = d_h − b²/(δ + sign(δ)·√(δ² + b²)), written b·(b/…) so b² cannot overflow.
  const double mu = d[high] - b * (b / (delta + std::copysign(std::hypot(delta, b), delta)));
  double x = d[low] - mu;  // first column of T − μI: (x, z, 0, …)
  double z = e[low];
  for (int64_t k = low; k < high; ++k) {
    const double r = std::hypot(x, z);
    const double c = r > 0 ? x / r : 1.0;
    const double s = r > 0 ? -z / r : 0.0;
    if (k > low) e[k - 1] = r;  // c·x − s·z = r, and the bulge s·x + c·z = 0
    // G [a0 bk; bk a1] Gᵀ = [a0 − p, c·t − bk; ·, a1 + p] with t = s(a0 − a1) + 2c·bk and
    // p = s·t (expand and use c² + s² = 1): fewer roundings than the expanded products, and
    // the trace a0 + a1 is kept exactly up to the one rounding of p.
    const double a0 = d[k], a1 = d[k + 1], bk = e[k];
    const double t = s * (a0 - a1) + 2.0 * c * bk;
    const double p = s * t;
    d[k] = a0 - p;
    d[k + 1] = a1 + p;
    e[k] = c * t - bk;
    if (k + 1 < high) {  // the rotation pushes the bulge to (k, k+2)
      z = -s * e[k + 1];
      e[k + 1] *= c;
      x = e[k];
    }
    batch.add(k, c, s);
  }
}

// Diagonalise T = tridiag(e, d, e) in place (d becomes the eigenvalues, unsorted) by the
// symmetric QR algorithm (Golub & Van Loan Algorithm 8.3.3): zero every off-diagonal that is
// negligible next to its two diagonal neighbours, split off the converged bottom, and run one
// shifted step on the lowest unreduced block. zt (n, n), if given, accumulates the rotations.
void tridiagonal_qr(std::vector<double>& d, std::vector<double>& e, double* zt, const char* who) {
  const auto n = static_cast<int64_t>(d.size());
  const int64_t max_sweeps = kSweepsPerEigenvalue * n;
  int64_t sweeps = 0;
  int64_t high = n - 1;  // rows below `high` have converged
  RotationBatch batch(zt, n);
  while (high > 0) {
    // Deflation test |e_i| ≤ u·(|d_i| + |d_{i+1}|) (§8.3.5); kTiny catches a block of zeros
    // with an underflowed coupling.
    for (int64_t i = 0; i < high; ++i) {
      if (std::abs(e[i]) <= kEps * (std::abs(d[i]) + std::abs(d[i + 1])) ||
          std::abs(e[i]) <= kTiny) {
        e[i] = 0.0;
      }
    }
    while (high > 0 && e[high - 1] == 0.0) --high;
    if (high == 0) break;
    int64_t low = high - 1;
    while (low > 0 && e[low - 1] != 0.0) --low;
    if (++sweeps > max_sweeps) {
      fail<Error>(who, ": the symmetric QR iteration did not converge after ", max_sweeps,
                  " sweeps (n = ", n, "; rows ", low, "..", high, " still coupled)");
    }
    qr_step(d, e, low, high, batch);
  }
  batch.flush();
}

// Sort eigenvalues ascending, carrying the rows of zt along; ties keep their order (stable),
// so the result is deterministic.
SymmetricEigen sorted(std::vector<double>& d, std::vector<double>& zt, int exponent) {
  const auto n = static_cast<int64_t>(d.size());
  std::vector<int64_t> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), int64_t{0});
  std::stable_sort(order.begin(), order.end(), [&d](int64_t a, int64_t b) {
    return d[static_cast<size_t>(a)] < d[static_cast<size_t>(b)];
  });
  SymmetricEigen result;
  result.values.resize(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    result.values[static_cast<size_t>(i)] = std::ldexp(d[static_cast<size_t>(order[i])], exponent);
  }
  if (!zt.empty()) {
    result.vectors.resize(static_cast<size_t>(n * n));
    for (int64_t i = 0; i < n; ++i) {
      std::copy_n(zt.begin() + order[i] * n, n, result.vectors.begin() + i * n);
    }
  }
  return result;
}

// Identity (n, n), row-major.
std::vector<double> identity(int64_t n) {
  std::vector<double> m(static_cast<size_t>(n * n), 0.0);
  for (int64_t i = 0; i < n; ++i) m[static_cast<size_t>(i * n + i)] = 1.0;
  return m;
}

// Q ← H_0 H_1 ⋯ H_{n−3} Q for q = I (n, n), the reflectors H_k = I − β_k v_k v_kᵀ of the
// tridiagonalisation (v_k stored in row k of `reflectors` from column k+1 on). Blocks of
// kReflectorBlock reflectors, last block first, are applied at once in the compact WY form
// H_k0 ⋯ H_k0+b−1 = I − V T Vᵀ (Schreiber & Van Loan 1989; Golub & Van Loan §5.1.7): V (m, b)
// holds the vectors, T (b, b) is upper triangular with T_jj = β_j and
// T[:j, j] = −β_j T[:j, :j] (V[:, :j]ᵀ v_j). Then Q ← Q − V (T (Vᵀ Q)) is three GEMMs, which
// run at the project GEMM's speed instead of 2·m² memory-bound flops per reflector.
void accumulate_reflectors(const std::vector<double>& reflectors, const std::vector<double>& betas,
                           int64_t n, std::vector<double>& q) {
  constexpr int64_t kReflectorBlock = 32;
  const int64_t count = n - 2;  // reflectors k = 0 .. n−3
  if (count <= 0) return;
  std::vector<double> v, t, g, w, tw;
  for (int64_t k0 = ((count - 1) / kReflectorBlock) * kReflectorBlock; k0 >= 0;
       k0 -= kReflectorBlock) {
    const int64_t b = std::min(kReflectorBlock, count - k0);
    const int64_t r0 = k0 + 1;  // first row/column the block acts on
    const int64_t m = n - r0;
    v.assign(static_cast<size_t>(m * b), 0.0);  // (m, b) v_{k0+j} from local row j on
    for (int64_t j = 0; j < b; ++j) {
      const double* stored = reflectors.data() + (k0 + j) * n + r0;
      for (int64_t i = j; i < m; ++i) v[i * b + j] = stored[i];
    }
    g.assign(static_cast<size_t>(b * b), 0.0);  // (b, b) VᵀV
    dgemm(true, false, b, b, m, 1.0, v.data(), b, v.data(), b, 0.0, g.data(), b);
    t.assign(static_cast<size_t>(b * b), 0.0);  // (b, b) upper triangular
    for (int64_t j = 0; j < b; ++j) {
      const double beta = betas[static_cast<size_t>(k0 + j)];
      t[j * b + j] = beta;
      for (int64_t i = 0; i < j; ++i) {  // T[i, j] = −β Σ_{l=i}^{j−1} T[i, l] G[l, j]
        double sum = 0.0;
        for (int64_t l = i; l < j; ++l) sum += t[i * b + l] * g[l * b + j];
        t[i * b + j] = -beta * sum;
      }
    }
    double* block = q.data() + r0 * n + r0;     // Q[r0:, r0:], row stride n
    w.assign(static_cast<size_t>(b * m), 0.0);  // (b, m) Vᵀ Q
    dgemm(true, false, b, m, m, 1.0, v.data(), b, block, n, 0.0, w.data(), m);
    tw.assign(static_cast<size_t>(b * m), 0.0);  // (b, m) T Vᵀ Q
    dgemm(false, false, b, m, b, 1.0, t.data(), b, w.data(), m, 0.0, tw.data(), m);
    dgemm(false, false, m, m, b, -1.0, v.data(), b, tw.data(), m, 1.0, block, n);
  }
}

}  // namespace

SymmetricEigen symmetric_tridiagonal_eigen(std::vector<double> diagonal,
                                           std::vector<double> off_diagonal, EigenVectors want) {
  const char* who = "symmetric_tridiagonal_eigen";
  const auto n = static_cast<int64_t>(diagonal.size());
  if (n < 1) fail<ShapeError>(who, ": the diagonal is empty, expected n >= 1 entries");
  if (static_cast<int64_t>(off_diagonal.size()) != n - 1) {
    fail<ShapeError>(who, ": off_diagonal has ", off_diagonal.size(),
                     " entries, expected n - 1 = ", n - 1, " for a diagonal of n = ", n);
  }
  double max_abs = 0.0;
  bool finite = true;  // checked entry by entry: std::max would pass over a NaN
  for (const std::vector<double>* part : {&diagonal, &off_diagonal}) {
    for (double v : *part) {
      finite = finite && std::isfinite(v);
      max_abs = std::max(max_abs, std::abs(v));
    }
  }
  if (!finite) fail<ValueError>(who, ": the matrix has non-finite entries (n = ", n, ")");

  std::vector<double> zt = want == EigenVectors::yes ? identity(n) : std::vector<double>();
  if (max_abs == 0.0) return sorted(diagonal, zt, 0);  // the zero matrix: already diagonal
  const int exponent = scale_exponent(max_abs);
  for (double& v : diagonal) v = std::ldexp(v, -exponent);
  for (double& v : off_diagonal) v = std::ldexp(v, -exponent);
  tridiagonal_qr(diagonal, off_diagonal, zt.empty() ? nullptr : zt.data(), who);
  return sorted(diagonal, zt, exponent);
}

SymmetricEigen symmetric_eigen(const std::vector<double>& matrix, int64_t n, EigenVectors want) {
  if (n < 1) fail<ShapeError>("symmetric_eigen: n must be >= 1, got n = ", n);
  if (static_cast<int64_t>(matrix.size()) != n * n) {
    fail<ShapeError>("symmetric_eigen: matrix has ", matrix.size(), " entries, expected n*n = ",
                     n * n, " for n = ", n);
  }
  return symmetric_eigen(MatrixView(matrix.data(), n, n), want);
}

SymmetricEigen symmetric_eigen(MatrixView view, EigenVectors want) {
  const char* who = "symmetric_eigen";
  if (view.rows != view.cols || view.rows < 1) {
    fail<ShapeError>(who, ": expected a square matrix (n, n) with n >= 1, got (", view.rows, ", ",
                     view.cols, ")");
  }
  const int64_t n = view.rows;
  const double* matrix = view.data;
  const bool vectors = want == EigenVectors::yes;
  double max_abs = 0.0;
  bool finite = true;  // checked entry by entry: std::max would pass over a NaN
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = 0; j <= i; ++j) {
      finite = finite && std::isfinite(matrix[i * n + j]);
      max_abs = std::max(max_abs, std::abs(matrix[i * n + j]));
    }
  }
  if (!finite) {
    fail<ValueError>(who, ": the matrix has non-finite entries in its lower triangle (n = ", n,
                     ")");
  }
  std::vector<double> d(static_cast<size_t>(n), 0.0), e(static_cast<size_t>(n - 1), 0.0);
  if (max_abs == 0.0) {
    std::vector<double> zt = vectors ? identity(n) : std::vector<double>();
    return sorted(d, zt, 0);
  }
  const int exponent = scale_exponent(max_abs);

  // a (n, n): the scaled matrix, mirrored from its lower triangle so that every row is a
  // full row of a symmetric matrix (row k is then also column k).
  std::vector<double> a(static_cast<size_t>(n * n));
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = 0; j <= i; ++j) {
      const double v = std::ldexp(matrix[i * n + j], -exponent);
      a[i * n + j] = v;
      a[j * n + i] = v;
    }
  }

  // Householder tridiagonalisation (Algorithm 8.3.1): step k reflects x = a[k+1:, k] (= row k
  // past the diagonal) onto a multiple of e₁ with H = I − β v vᵀ, v = x + sign(x₀)‖x‖e₁
  // (no cancellation, §5.1.3), and updates the trailing block B = a[k+1:, k+1:] to H B H
  // = B − v wᵀ − w vᵀ, with p = β B v and w = p − (β pᵀv / 2) v. The update keeps B exactly
  // symmetric: entries (i, j) and (j, i) add the same two products. v overwrites row k past
  // the diagonal (row k is not read again), β goes to `betas`.
  //
  // One pass over B per step: row 0 of the updated B is row k+1 of a, which is all the next
  // reflector needs, so it is updated first, the next v is formed from it, and the next
  // p = β' B' v' is summed row by row right after each remaining row is updated, while the
  // row is still in cache. (The same operations in the same order as a separate pass.)
  std::vector<double> betas(static_cast<size_t>(n), 0.0);  // (n) β_k, 0 = no reflection
  std::vector<double> p(static_cast<size_t>(n)), w(static_cast<size_t>(n));  // (m) work
  // Reflector of step k from row k: d[k], e[k], betas[k], v in place; false if x is already
  // a multiple of e₁ (no reflection, β = 0).
  auto reflect = [&](int64_t k) {
    const int64_t m = n - k - 1;
    double* v = a.data() + k * n + k + 1;  // (m) x, then v
    double tail = 0.0;                     // ‖x[1:]‖²
    for (int64_t i = 1; i < m; ++i) tail += v[i] * v[i];
    d[k] = a[k * n + k];
    if (tail == 0.0) {
      e[k] = v[0];
      return false;
    }
    const double norm = std::sqrt(v[0] * v[0] + tail);
    betas[k] = 1.0 / (norm * (norm + std::abs(v[0])));  // 2 / vᵀv
    e[k] = -std::copysign(norm, v[0]);
    v[0] += std::copysign(norm, v[0]);
    return true;
  };
  // p = β B v for step k, as a sum of rows of B (B is symmetric, so B v = Σ_j v_j B[j, :]).
  auto accumulate_p = [&](int64_t k, int64_t first_row) {
    const int64_t m = n - k - 1;
    const double* v = a.data() + k * n + k + 1;
    const double* block = a.data() + (k + 1) * n + (k + 1);
    for (int64_t j = first_row; j < m; ++j) {
      const double coefficient = betas[k] * v[j];
      const double* row = block + j * n;
      for (int64_t i = 0; i < m; ++i) p[i] += coefficient * row[i];
    }
  };
  if (n >= 3 && reflect(0)) {
    std::fill_n(p.begin(), n - 1, 0.0);
    accumulate_p(0, 0);
  }
  for (int64_t k = 0; k + 2 < n; ++k) {
    const int64_t m = n - k - 1;
    const bool has_next = k + 3 < n;  // step k+1 reflects a vector of length ≥ 2
    if (betas[k] == 0.0) {            // B unchanged: the next p by a separate pass
      if (has_next && reflect(k + 1)) {
        std::fill_n(p.begin(), m - 1, 0.0);
        accumulate_p(k + 1, 0);
      }
      continue;
    }
    const double beta = betas[k];
    const double* v = a.data() + k * n + k + 1;
    double ptv = 0.0;
    for (int64_t i = 0; i < m; ++i) ptv += p[i] * v[i];
    const double half = 0.5 * beta * ptv;
    for (int64_t i = 0; i < m; ++i) w[i] = p[i] - half * v[i];

    double* block = a.data() + (k + 1) * n + (k + 1);  // B, row stride n
    auto update_row = [&](int64_t i) {
      double* row = block + i * n;
      const double vi = v[i], wi = w[i];
      for (int64_t j = 0; j < m; ++j) row[j] -= vi * w[j] + wi * v[j];
    };
    update_row(0);
    const bool next = has_next && reflect(k + 1);  // reads the updated row 0 of B
    if (next) std::fill_n(p.begin(), m - 1, 0.0);
    const double* next_v = a.data() + (k + 1) * n + (k + 2);  // (m − 1)
    for (int64_t i = 1; i < m; ++i) {
      update_row(i);
      if (!next) continue;
      const double coefficient = betas[k + 1] * next_v[i - 1];
      const double* row = block + i * n + 1;  // B'[i − 1, :]
      for (int64_t j = 0; j + 1 < m; ++j) p[j] += coefficient * row[j];
    }
  }
  if (n >= 2) {
    d[n - 2] = a[(n - 2) * n + (n - 2)];
    e[n - 2] = a[(n - 1) * n + (n - 2)];
  }
  d[n - 1] = a[(n - 1) * n + (n - 1)];

  std::vector<double> zt;
  if (vectors) {
    // Q = H_0 H_1 ⋯ H_{n−3}, accumulated backwards (§5.1.6) so that Q ← (H_k ⋯) Q only
    // touches rows and columns k+1.. of Q; then A = Q T Qᵀ, and zt starts as Qᵀ: the QR
    // rotations turn it into the transposed eigenvector matrix of A.
    zt = identity(n);
    accumulate_reflectors(a, betas, n, zt);
    for (int64_t i = 0; i < n; ++i)  // Q → Qᵀ in place
      for (int64_t j = 0; j < i; ++j) std::swap(zt[i * n + j], zt[j * n + i]);
  }
  tridiagonal_qr(d, e, vectors ? zt.data() : nullptr, who);
  return sorted(d, zt, exponent);
}

}  // namespace gradlab
