// Rayleigh–Ritz tracking and the SDCP solver of the central flow (central_flow_math.h).
#include "experiments/central_flow_math.h"

#include <algorithm>
#include <cmath>

#include "gradlab/error.h"
#include "gradlab/linalg.h"

namespace gradlab::central_flow {
namespace {

// A basis vector whose norm falls below this fraction of its norm before projection lies in
// the span of the earlier ones up to rounding (after two Gram–Schmidt passes the leftover of a
// dependent vector is ~1e-16 of it); 1e-10 leaves a wide margin.
constexpr double kDependentTolerance = 1e-10;

// FISTA stops when an iteration moves X by less than this (relative to 1 + ‖X‖_F), or after
// kSdcpMaxIterations; the edge has a handful of directions, so an iteration costs a k×k
// eigendecomposition.
constexpr double kSdcpTolerance = 1e-13;
constexpr int kSdcpMaxIterations = 20000;

void axpy(double alpha, const Vec& x, Vec& y) {
  for (size_t i = 0; i < y.size(); ++i) y[i] += alpha * x[i];
}

// Π_PSD(m): the symmetric k×k matrix with m's eigenvectors and its eigenvalues clipped at 0
// (the Frobenius-nearest positive semidefinite matrix).
Vec project_psd(const Vec& m, int64_t k) {
  const SymmetricEigen e = symmetric_eigen(m, k, EigenVectors::yes);
  Vec out(static_cast<size_t>(k * k), 0.0);
  for (int64_t i = 0; i < k; ++i) {
    const double lambda = e.values[i];
    if (lambda <= 0) continue;
    const double* v = e.vectors.data() + i * k;
    for (int64_t r = 0; r < k; ++r)
      for (int64_t s = 0; s < k; ++s) out[r * k + s] += lambda * v[r] * v[s];
  }
  return out;
}

Vec apply_b(const Vec& gram, double c, const Vec& x) {
  const size_t m = x.size();
  Vec out(m, 0.0);
  for (size_t r = 0; r < m; ++r) {
    double s = 0;
    for (size_t q = 0; q < m; ++q) s += gram[r * m + q] * x[q];
    out[r] = c * s;
  }
  return out;
}

}  // namespace

double dot(const Vec& a, const Vec& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
  return s;
}

RitzPairs rayleigh_ritz(const std::vector<Vec>& basis, const std::vector<Vec>& known_h,
                        const std::function<Vec(const Vec&)>& hv, int64_t keep) {
  std::vector<Vec> q, hq;
  for (size_t j = 0; j < basis.size(); ++j) {
    Vec v = basis[j];
    const double before = std::sqrt(dot(v, v));
    if (before == 0) continue;
    for (int pass = 0; pass < 2; ++pass)
      for (const Vec& u : q) axpy(-dot(u, v), u, v);
    const double after = std::sqrt(dot(v, v));
    if (after <= kDependentTolerance * before) continue;
    for (double& x : v) x /= after;
    hq.push_back(j < known_h.size() ? known_h[j] : hv(v));
    q.push_back(std::move(v));
  }
  const auto m = static_cast<int64_t>(q.size());
  if (m == 0) fail<ValueError>("central_flow: the eigenvector basis is empty");
  Vec t(static_cast<size_t>(m * m));  // (m, m) Qᵀ H Q, symmetrised
  for (int64_t r = 0; r < m; ++r)
    for (int64_t s = 0; s <= r; ++s) {
      const double v = 0.5 * (dot(q[r], hq[s]) + dot(q[s], hq[r]));
      t[r * m + s] = t[s * m + r] = v;
    }
  const SymmetricEigen e = symmetric_eigen(t, m, EigenVectors::yes);  // ascending
  RitzPairs out;
  const int64_t count = std::min(keep, m);
  const size_t n = q.front().size();
  for (int64_t i = 0; i < count; ++i) {
    const int64_t idx = m - 1 - i;
    const double* y = e.vectors.data() + idx * m;
    Vec v(n, 0.0), h(n, 0.0);
    for (int64_t j = 0; j < m; ++j) {
      axpy(y[j], q[j], v);
      axpy(y[j], hq[j], h);
    }
    out.values.push_back(e.values[idx]);
    out.vectors.push_back(std::move(v));
    out.h_vectors.push_back(std::move(h));
  }
  return out;
}

SdcpResult solve_sdcp(const Vec& a, const Vec& gram, double c, int64_t k) {
  const auto m = static_cast<size_t>(k * k);
  if (a.size() != m || gram.size() != m * m)
    fail<ShapeError>("central_flow: SDCP with k = ", k, " needs A of ", m, " and G of ", m * m,
                     " entries, got ", a.size(), " and ", gram.size());
  SdcpResult out;
  out.x.assign(m, 0.0);
  // Lipschitz constant of X ↦ B[X]: c·λmax(G) ≤ c·tr(G).
  double lipschitz = 0;
  for (size_t r = 0; r < m; ++r) lipschitz += gram[r * m + r];
  lipschitz *= c;
  if (k == 0) return out;
  if (!(lipschitz > 0)) {
    // ∇(uᵀHu) vanishes: the constraint does not depend on X. Nothing to solve; X = 0.
    return out;
  }
  if (k == 1) {
    out.x[0] = std::max(0.0, -a[0] / (c * gram[0]));
    out.iterations = 1;
    return out;
  }
  Vec x = out.x, y = x;
  double theta = 1;
  for (int it = 1; it <= kSdcpMaxIterations; ++it) {
    Vec grad = apply_b(gram, c, y);
    for (size_t r = 0; r < m; ++r) grad[r] = y[r] - (grad[r] + a[r]) / lipschitz;
    // Symmetrise before projecting (the iterates stay symmetric up to rounding).
    for (int64_t r = 0; r < k; ++r)
      for (int64_t s = 0; s < r; ++s)
        grad[r * k + s] = grad[s * k + r] = 0.5 * (grad[r * k + s] + grad[s * k + r]);
    Vec next = project_psd(grad, k);
    double change = 0, norm = 0;
    for (size_t r = 0; r < m; ++r) {
      change += (next[r] - x[r]) * (next[r] - x[r]);
      norm += next[r] * next[r];
    }
    const double theta_next = 0.5 * (1 + std::sqrt(1 + 4 * theta * theta));
    for (size_t r = 0; r < m; ++r) y[r] = next[r] + (theta - 1) / theta_next * (next[r] - x[r]);
    theta = theta_next;
    x = std::move(next);
    out.iterations = it;
    if (std::sqrt(change) <= kSdcpTolerance * (1 + std::sqrt(norm))) break;
  }
  out.x = x;
  Vec z = apply_b(gram, c, x);
  for (size_t r = 0; r < m; ++r) z[r] += a[r];
  Vec neg = z;
  for (double& v : neg) v = -v;
  const Vec violation = project_psd(neg, k);
  out.kkt_residual = std::sqrt(dot(violation, violation)) + std::fabs(dot(x, z));
  return out;
}

Vec symmetric_values_desc(const Vec& m, int64_t k) {
  if (k == 0) return {};
  Vec v = symmetric_eigen(m, k, EigenVectors::no).values;
  std::reverse(v.begin(), v.end());
  return v;
}

Vec gaussian_smooth(const Vec& series, double sigma) {
  const auto n = static_cast<int64_t>(series.size());
  Vec out(series.size(), 0.0);
  if (!(sigma > 0)) return series;
  const auto reach = static_cast<int64_t>(std::ceil(4 * sigma));
  Vec kernel(static_cast<size_t>(reach + 1));
  for (int64_t d = 0; d <= reach; ++d) kernel[d] = std::exp(-0.5 * (d / sigma) * (d / sigma));
  for (int64_t i = 0; i < n; ++i) {
    double s = 0, w = 0;
    for (int64_t j = std::max<int64_t>(0, i - reach); j <= std::min(n - 1, i + reach); ++j) {
      const double kw = kernel[static_cast<size_t>(std::abs(j - i))];
      s += kw * series[j];
      w += kw;
    }
    out[i] = s / w;
  }
  return out;
}

}  // namespace gradlab::central_flow
