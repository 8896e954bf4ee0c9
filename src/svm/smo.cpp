// smo.cpp — the C-SVC dual solver of gradlab/svm.h: SMO with WSS2 working-set selection.
//
// Notation (Fan, Chen & Lin 2005): minimise f(α) = ½αᵀQα − eᵀα, Qᵢⱼ = yᵢyⱼKᵢⱼ, over
// 0 ≤ α ≤ C, yᵀα = 0, keeping the gradient G = Qα − e up to date (two kernel rows per
// iteration). Each iteration moves a pair (i, j) along the direction that keeps yᵀα fixed:
// αᵢ += yᵢδ, αⱼ −= yⱼδ. Along it f changes by −b δ + ½ a δ² with
//   b = −yᵢGᵢ + yⱼGⱼ  (> 0 for a violating pair),   a = Kᵢᵢ + Kⱼⱼ − 2Kᵢⱼ,
// so the unconstrained step is δ = b / a (a ≤ 0 is replaced by τ = 1e-12, as in the paper),
// then clipped to the box. WSS2: i maximises −y_tG_t over I_up (first order), and j
// minimises the second-order decrease −b²/a over t ∈ I_low with −y_tG_t < −yᵢGᵢ.
//
// Kernel values: the full Gram matrix (n, n) when it fits in kGramBytes (n ≤ ~5,790), else
// rows computed on demand and kept in a least-recently-used cache of the same size.
#include <algorithm>
#include <cmath>
#include <list>
#include <map>
#include <numeric>
#include <sstream>
#include <unordered_map>

#include "gradlab/error.h"
#include "gradlab/linalg.h"
#include "gradlab/svm.h"

namespace gradlab::svm {

namespace {

constexpr double kTau = 1e-12;                // Fan et al.'s τ for a ≤ 0 (non-PSD or duplicates)
constexpr size_t kGramBytes = size_t(256) << 20;  // Gram matrix / row cache budget

double ipow(double base, int e) {
  double r = 1;
  for (int k = 0; k < e; ++k) r *= base;
  return r;
}

// Kernel rows K(xᵢ, ·): precomputed Gram matrix or an LRU cache of rows.
class KernelRows {
 public:
  KernelRows(const std::vector<double>& x, int64_t n, int64_t d, const Kernel& k)
      : x_(x, n, d), n_(n), d_(d), k_(k), diag_(n) {
    for (int64_t i = 0; i < n; ++i) diag_[i] = k(&x[i * d], &x[i * d], d);
    sq_norm_.resize(n);
    for (int64_t i = 0; i < n; ++i) {
      double s = 0;
      for (int64_t c = 0; c < d; ++c) s += x[i * d + c] * x[i * d + c];
      sq_norm_[i] = s;
    }
    const size_t row_bytes = size_t(n) * sizeof(double);
    if (size_t(n) * row_bytes <= kGramBytes) {
      // Gram matrix of inner products X Xᵀ by one product (gradlab/linalg.h: the project's
      // GEMM, OpenBLAS natively, the wasm_simd128 kernels in WASM, where a symmetric rank-d
      // update in scalar code was far slower: the svm_solve bench at n = 1,000 took 8.0 s with
      // Eigen's, 0.37 s with the GEMM, despite twice the flops), the kernel map on the lower
      // triangle, then mirrored to the upper one (so the matrix is exactly symmetric).
      gram_ = std::move(matmul(x_, Transpose::no, x_, Transpose::yes).data);
      for (int64_t i = 0; i < n; ++i) {
        for (int64_t j = 0; j < i; ++j) gram_[i * n + j] = map(gram_[i * n + j], i, j);
        gram_[i * n + i] = diag_[i];
      }
      for (int64_t i = 0; i < n; ++i)
        for (int64_t j = i + 1; j < n; ++j) gram_[i * n + j] = gram_[j * n + i];
      full_ = true;
    } else {
      capacity_ = std::max<size_t>(2, kGramBytes / row_bytes);
    }
  }

  const double* row(int64_t i) {
    if (full_) return gram_.data() + i * n_;
    auto it = where_.find(i);
    if (it != where_.end()) {
      lru_.splice(lru_.begin(), lru_, it->second);  // most recently used first
      return it->second->second.data.data();
    }
    Matrix r;
    if (lru_.size() >= capacity_) {  // reuse the least recently used row's storage
      r = std::move(lru_.back().second);
      where_.erase(lru_.back().first);
      lru_.pop_back();
    }
    // Inner products ⟨x_j, x_i⟩ for all j: X xᵢᵀ as an (n, 1) product, xᵢ row i of X.
    matmul_into(x_, Transpose::no, MatrixView(x_.data + i * d_, 1, d_), Transpose::yes, r);
    for (int64_t j = 0; j < n_; ++j) r.data[j] = (j == i) ? diag_[i] : map(r.data[j], i, j);
    lru_.emplace_front(i, std::move(r));
    where_[i] = lru_.begin();
    return lru_.front().second.data.data();
  }
  double diag(int64_t i) const { return diag_[i]; }
  const std::vector<double>& diag() const { return diag_; }

 private:
  // Inner product → kernel value for the pair (i, j).
  double map(double dot, int64_t i, int64_t j) const {
    switch (k_.type) {
      case KernelType::linear:
        return dot;
      case KernelType::rbf:
        // ‖a − b‖² = ‖a‖² + ‖b‖² − 2⟨a, b⟩, clamped at 0 against rounding.
        return std::exp(-k_.gamma * std::max(0.0, sq_norm_[i] + sq_norm_[j] - 2 * dot));
      case KernelType::poly:
        return ipow(k_.gamma * dot + k_.coef0, k_.degree);
    }
    return dot;
  }

  MatrixView x_;  // (n, d) the caller's inputs, not copied
  int64_t n_, d_;
  Kernel k_;
  std::vector<double> diag_, sq_norm_;  // (n) Kᵢᵢ and ‖xᵢ‖²
  bool full_ = false;
  std::vector<double> gram_;  // (n, n) row-major when full_
  size_t capacity_ = 0;
  std::list<std::pair<int64_t, Matrix>> lru_;  // (n, 1) kernel rows, most recent first
  std::unordered_map<int64_t, std::list<std::pair<int64_t, Matrix>>::iterator> where_;
};

void check_inputs(const std::vector<double>& x, const std::vector<double>& y, int64_t d,
                  const Options& o) {
  const int64_t n = static_cast<int64_t>(y.size());
  if (n == 0) fail<ValueError>("svm: empty training data (0 examples)");
  if (d <= 0) fail<ValueError>("svm: input dimension must be positive, got ", d);
  if (static_cast<int64_t>(x.size()) != n * d)
    fail<ValueError>("svm: x has ", x.size(), " values but ", n, " labels x ", d,
                     " features need ", n * d);
  int64_t pos = 0;
  for (int64_t i = 0; i < n; ++i) {
    if (y[i] != 1.0 && y[i] != -1.0)
      fail<ValueError>("svm: label y[", i, "] = ", y[i], "; labels must be -1 or +1");
    pos += y[i] > 0;
  }
  if (pos == 0 || pos == n)
    fail<ValueError>("svm: all ", n, " training labels are ", pos ? "+1" : "-1",
                     "; an SVM needs examples of both classes");
  for (int64_t i = 0; i < n; ++i)
    for (int64_t c = 0; c < d; ++c)
      if (!std::isfinite(x[i * d + c]))
        fail<ValueError>("svm: x[", i, ", ", c, "] is ", std::isnan(x[i * d + c]) ? "NaN" : "infinite",
                         "; inputs must be finite");
  if (!(o.C > 0)) fail<ValueError>("svm: C must be positive (or inf for hard margin), got ", o.C);
  if (!(o.tol > 0)) fail<ValueError>("svm: tol must be positive, got ", o.tol);
  if (o.kernel.type != KernelType::linear && !(o.kernel.gamma > 0))
    fail<ValueError>("svm: gamma must be positive, got ", o.kernel.gamma);
  if (o.kernel.type == KernelType::poly && o.kernel.degree < 1)
    fail<ValueError>("svm: poly degree must be at least 1, got ", o.kernel.degree);
  if (std::isinf(o.C)) {
    // Same point, opposite labels: no hyperplane separates them (in any feature space).
    std::map<std::vector<double>, int64_t> seen;
    for (int64_t i = 0; i < n; ++i) {
      std::vector<double> row(x.begin() + i * d, x.begin() + (i + 1) * d);
      auto [it, inserted] = seen.emplace(std::move(row), i);
      if (!inserted && y[it->second] != y[i])
        fail<ValueError>("svm: hard margin (C = inf) but examples ", it->second, " and ", i,
                         " are the same point with opposite labels: the data are not separable; "
                         "use a finite svm.C");
    }
  }
}

[[noreturn]] void not_separable(double ratio, double kmax, int64_t iter) {
  fail<ValueError>("svm: hard margin (C = inf) but the data are not separable with this kernel: "
                   "after ", iter, " iterations the dual certifies a margin of at most ", ratio,
                   " x the data radius (sqrt(max K(x,x)) = ", std::sqrt(kmax),
                   "), below the limit ", kMinRelativeMargin, "; use a finite svm.C");
}

}  // namespace

double Kernel::operator()(const double* a, const double* b, int64_t d) const {
  switch (type) {
    case KernelType::linear: {
      double s = 0;
      for (int64_t c = 0; c < d; ++c) s += a[c] * b[c];
      return s;
    }
    case KernelType::rbf: {
      double s = 0;
      for (int64_t c = 0; c < d; ++c) s += (a[c] - b[c]) * (a[c] - b[c]);
      return std::exp(-gamma * s);
    }
    case KernelType::poly: {
      double s = 0;
      for (int64_t c = 0; c < d; ++c) s += a[c] * b[c];
      return ipow(gamma * s + coef0, degree);
    }
  }
  return 0;
}

KernelType parse_kernel(const std::string& name) {
  if (name == "linear") return KernelType::linear;
  if (name == "rbf") return KernelType::rbf;
  if (name == "poly") return KernelType::poly;
  fail<ValueError>("svm.kernel: \"", name, "\" is not a kernel (expected linear, rbf or poly)");
}

std::string kernel_name(KernelType t) {
  switch (t) {
    case KernelType::linear: return "linear";
    case KernelType::rbf: return "rbf";
    case KernelType::poly: return "poly";
  }
  return "?";
}

double Model::decision(const double* xv) const {
  if (options.kernel.type == KernelType::linear && !w.empty()) {
    double s = bias;
    for (int64_t c = 0; c < dim; ++c) s += w[c] * xv[c];
    return s;
  }
  double s = bias;
  for (size_t k = 0; k < support.size(); ++k)
    s += dual_coef[k] * options.kernel(&sv[k * dim], xv, dim);
  return s;
}

std::vector<double> Model::decision(const std::vector<double>& x, int64_t n) const {
  if (static_cast<int64_t>(x.size()) != n * dim)
    fail<ShapeError>("svm decision: x has ", x.size(), " values, expected ", n, " x ", dim);
  std::vector<double> out(n);
  for (int64_t i = 0; i < n; ++i) out[i] = decision(&x[i * dim]);
  return out;
}

std::vector<int> Model::predict(const std::vector<double>& x, int64_t n) const {
  std::vector<double> f = decision(x, n);
  std::vector<int> out(n);
  for (int64_t i = 0; i < n; ++i) out[i] = f[i] >= 0 ? 1 : -1;
  return out;
}

double Model::error(const std::vector<double>& x, const std::vector<double>& y) const {
  const int64_t n = static_cast<int64_t>(y.size());
  if (n == 0) return 0;
  std::vector<int> p = predict(x, n);
  int64_t wrong = 0;
  for (int64_t i = 0; i < n; ++i) wrong += (p[i] > 0) != (y[i] > 0);
  return double(wrong) / double(n);
}

Model solve(const std::vector<double>& x, const std::vector<double>& y, int64_t d,
            const Options& o) {
  check_inputs(x, y, d, o);
  const int64_t n = static_cast<int64_t>(y.size());
  const double C = o.C;
  const bool hard = std::isinf(C);
  const int64_t max_iter = o.max_iter > 0 ? o.max_iter : std::max<int64_t>(10000000, 100 * n);
  KernelRows K(x, n, d, o.kernel);
  const double kmax = *std::max_element(K.diag().begin(), K.diag().end());
  if (!(kmax > 0))
    fail<ValueError>("svm: every training point has K(x, x) = 0 (all inputs zero?); no margin "
                     "can be measured");

  std::vector<double> alpha(n, 0.0);  // (n)
  std::vector<double> G(n, -1.0);     // (n) ∇f = Qα − e at α = 0
  // f(α) = ½αᵀQα − Σα = −D(α), tracked incrementally: each step changes it by −bδ + ½aδ².
  double f = 0;
  Model m;
  m.options = o;
  m.dim = d;
  int64_t iter = 0;
  double gap = 0;

  // Hard margin: for every feasible α ≥ 0 (Σαᵢyᵢ = 0 with a bias) and a separating (w*, b*)
  // with yᵢ(w*ᵀφᵢ + b*) ≥ 1, Σαᵢ ≤ Σαᵢyᵢw*ᵀφᵢ ≤ ‖w*‖·‖Σαᵢyᵢφᵢ‖, so the max margin
  // ρ* = 1/‖w*‖ ≤ √(αᵀQα)/Σα. When this certificate falls below kMinRelativeMargin · R the
  // data are (numerically) not separable. αᵀQα = 2(f + Σα) is tracked incrementally and
  // recomputed exactly as Σαᵢ(Gᵢ + 1) before reporting.
  double asum = 0;  // Σα
  const double min_ratio_sq = kMinRelativeMargin * kMinRelativeMargin * kmax;
  auto check_separable = [&](int64_t it) {
    if (!hard || !(asum > 0)) return;
    if (2 * (f + asum) >= min_ratio_sq * asum * asum) return;
    double aqa = 0;
    for (int64_t t = 0; t < n; ++t) aqa += alpha[t] * (G[t] + 1);
    if (aqa < min_ratio_sq * asum * asum)
      not_separable(std::sqrt(std::max(aqa, 0.0) / kmax) / asum, kmax, it);
  };

  auto up = [&](int64_t t) { return y[t] > 0 ? alpha[t] < C : alpha[t] > 0; };
  auto low = [&](int64_t t) { return y[t] > 0 ? alpha[t] > 0 : alpha[t] < C; };

  if (o.fit_bias) {
    for (;; ++iter) {
      // WSS2, first index: i = argmax_{I_up} −y_tG_t.
      int64_t i = -1;
      double gmax = -std::numeric_limits<double>::infinity();
      for (int64_t t = 0; t < n; ++t)
        if (up(t) && -y[t] * G[t] >= gmax) {
          gmax = -y[t] * G[t];
          i = t;
        }
      double gmin = std::numeric_limits<double>::infinity();  // M(α)
      int64_t j = -1;
      double best = std::numeric_limits<double>::infinity();
      const double* Ki = i >= 0 ? K.row(i) : nullptr;
      for (int64_t t = 0; t < n; ++t) {
        if (!low(t)) continue;
        const double v = -y[t] * G[t];
        gmin = std::min(gmin, v);
        if (i < 0 || v >= gmax) continue;
        const double b = gmax - v;  // > 0
        double a = K.diag(i) + K.diag(t) - 2 * Ki[t];
        if (a <= 0) a = kTau;
        const double score = -b * b / a;
        if (score <= best) {
          best = score;
          j = t;
        }
      }
      gap = gmax - gmin;
      if (i < 0 || j < 0 || gap < o.tol) {
        m.converged = (i < 0 || j < 0 || gap < o.tol);
        break;
      }
      if (iter >= max_iter) break;
      const double* Kj = K.row(j);
      Ki = K.row(i);  // the LRU may have evicted i's row while fetching j's
      const double b = gmax + y[j] * G[j];
      double a = K.diag(i) + K.diag(j) - 2 * Ki[j];
      if (a <= 0) a = kTau;
      double delta = b / a;
      // Box: αᵢ + yᵢδ ∈ [0, C] and αⱼ − yⱼδ ∈ [0, C] (δ > 0 moves both into the box's
      // allowed direction because i ∈ I_up, j ∈ I_low).
      const double room_i = y[i] > 0 ? C - alpha[i] : alpha[i];
      const double room_j = y[j] > 0 ? alpha[j] : C - alpha[j];
      delta = std::min({delta, room_i, room_j});
      if (!(delta > 0)) break;  // cannot happen for i ∈ I_up, j ∈ I_low; guards a stall
      // A clipped step lands exactly on the bound, so I_up / I_low see exact 0 and C.
      alpha[i] = delta == room_i ? (y[i] > 0 ? C : 0.0) : alpha[i] + y[i] * delta;
      alpha[j] = delta == room_j ? (y[j] > 0 ? 0.0 : C) : alpha[j] - y[j] * delta;
      f += -b * delta + 0.5 * a * delta * delta;
      asum += (y[i] - y[j]) * delta;  // Δαᵢ + Δαⱼ = yᵢδ − yⱼδ
      // G_t += Q_ti Δαᵢ + Q_tj Δαⱼ = y_t δ (K_ti − K_tj).
      for (int64_t t = 0; t < n; ++t) G[t] += y[t] * delta * (Ki[t] - Kj[t]);
      check_separable(iter + 1);
    }
  } else {
    // No bias: box-constrained coordinate ascent on the largest projected-gradient violation.
    for (;; ++iter) {
      int64_t i = -1;
      double worst = 0;
      for (int64_t t = 0; t < n; ++t) {
        double pg = G[t];
        if (alpha[t] <= 0) pg = std::min(pg, 0.0);
        else if (alpha[t] >= C) pg = std::max(pg, 0.0);
        if (std::abs(pg) > worst) {
          worst = std::abs(pg);
          i = t;
        }
      }
      gap = worst;
      if (i < 0 || worst < o.tol) {
        m.converged = true;
        break;
      }
      if (iter >= max_iter) break;
      const double* Ki = K.row(i);
      const double a = K.diag(i);
      double next = a > 0 ? alpha[i] - G[i] / a : (G[i] < 0 ? C : 0.0);
      next = std::min(std::max(next, 0.0), C);
      const double delta = next - alpha[i];  // Δαᵢ
      if (std::isinf(delta)) not_separable(0.0, kmax, iter + 1);
      f += G[i] * delta + 0.5 * a * delta * delta;
      alpha[i] = next;
      asum += delta;
      for (int64_t t = 0; t < n; ++t) G[t] += y[t] * y[i] * Ki[t] * delta;
      check_separable(iter + 1);
    }
  }
  if (hard && !m.converged)
    fail<ValueError>("svm: hard margin (C = inf) did not converge within ", max_iter,
                     " iterations (KKT gap ", gap, " > tol ", o.tol,
                     "); the data are probably not separable with this kernel; use a finite svm.C");

  m.iterations = iter;
  m.kkt_gap = gap;
  m.alpha = alpha;
  // ‖w‖² = αᵀQα = Σ αᵢ(Gᵢ + 1); D = Σα − ½αᵀQα.
  double aqa = 0;
  asum = 0;  // recomputed exactly
  for (int64_t t = 0; t < n; ++t) {
    aqa += alpha[t] * (G[t] + 1);
    asum += alpha[t];
  }
  m.w_norm_sq = std::max(aqa, 0.0);
  m.dual_objective = asum - 0.5 * aqa;
  m.margin = m.w_norm_sq > 0 ? 1 / std::sqrt(m.w_norm_sq) : std::numeric_limits<double>::infinity();

  // Bias (libsvm's rule): at a free SV yᵢf(xᵢ) = 1 gives b = −yᵢGᵢ; average over the free
  // SVs, else the midpoint of the feasible interval [m(α), M(α)].
  if (o.fit_bias) {
    double sum = 0;
    int64_t free = 0;
    double lo = -std::numeric_limits<double>::infinity(), hi = -lo;
    for (int64_t t = 0; t < n; ++t) {
      const double v = -y[t] * G[t];
      if (alpha[t] > 0 && alpha[t] < C) {
        sum += v;
        ++free;
      }
      if (up(t)) lo = std::max(lo, v);
      if (low(t)) hi = std::min(hi, v);
    }
    m.bias = free ? sum / free : 0.5 * (lo + hi);
  }

  for (int64_t t = 0; t < n; ++t) {
    if (!(alpha[t] > 0)) continue;
    m.support.push_back(t);
    m.dual_coef.push_back(alpha[t] * y[t]);
    (alpha[t] < C ? m.margin_sv : m.bound_sv).push_back(t);
    m.sv.insert(m.sv.end(), x.begin() + t * d, x.begin() + (t + 1) * d);
  }
  if (o.kernel.type == KernelType::linear) {
    m.w.assign(d, 0.0);
    for (size_t k = 0; k < m.support.size(); ++k)
      for (int64_t c = 0; c < d; ++c) m.w[c] += m.dual_coef[k] * m.sv[k * d + c];
  }
  // Primal: ½‖w‖² + C Σ hinge, with f(xᵢ) = yᵢ(Gᵢ + 1) + b (from G = Qα − e).
  double hinge = 0;
  for (int64_t t = 0; t < n; ++t) {
    const double ft = y[t] * (G[t] + 1) + m.bias;
    hinge += std::max(0.0, 1 - y[t] * ft);
  }
  m.primal_objective = 0.5 * m.w_norm_sq + (hard ? 0.0 : C * hinge);
  return m;
}

}  // namespace gradlab::svm
