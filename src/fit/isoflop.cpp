// isoflop.cpp — Hoffmann et al. 2022's approach 2 (IsoFLOP profiles).
//
// Rows carry N (parameters) and C (training FLOPs); rows whose C agree within a relative
// tolerance form one budget. Per budget with at least 3 distinct N, least squares fits the
// parabola L ≈ c0 + c1 u + c2 u² in u = log N (u centred on the budget's mean for conditioning);
// with c2 > 0 its vertex u* = −c1 / (2 c2) gives N_opt(C) = e^{u*} and L_opt = the parabola's
// minimum. A vertex outside the budget's range of N is an extrapolation: it is reported but
// not used. With a window (FitOptions::window) each parabola uses only the points nearest the
// budget's lowest loss: over several decades of N a profile is not a parabola. Then least squares of log N_opt on log C gives N_opt ∝ C^a, and with D = C/(6N)
// D_opt ∝ C^b, b = 1 − a. Bootstrap: resample the rows within each budget, redo both steps.
#include <algorithm>
#include <cmath>
#include <map>

#include "gradlab/error.h"
#include "gradlab/fit.h"
#include "gradlab/rng.h"

namespace gradlab::fit {
namespace {

struct Budget {
  double C = 0;
  std::vector<size_t> rows;
};

struct Vertex {
  bool ok = false;        // c2 > 0 and the vertex inside the budget's N range
  bool convex = false;
  double n_opt = 0, loss_opt = 0;
  double c[3] = {0, 0, 0};  // in u − mean
  double u_mean = 0;
};

// Least squares of y on (1, u, u²) over rows with multiplicities w; Cramer's rule on the 3×3
// normal equations (small and well conditioned once u is centred).
Vertex parabola(const Table& t, const std::vector<size_t>& rows, const std::vector<double>& w) {
  Vertex v;
  double wsum = 0, umin = 1e300, umax = -1e300;
  for (size_t i = 0; i < rows.size(); ++i) {
    const double u = std::log(t.x[rows[i]][0]);
    v.u_mean += w[i] * u, wsum += w[i];
    if (w[i] > 0) umin = std::min(umin, u), umax = std::max(umax, u);
  }
  if (wsum <= 0) return v;
  v.u_mean /= wsum;
  double S[5] = {0, 0, 0, 0, 0}, R[3] = {0, 0, 0};
  for (size_t i = 0; i < rows.size(); ++i) {
    const double u = std::log(t.x[rows[i]][0]) - v.u_mean, y = t.y[rows[i]];
    double p = w[i];
    for (int k = 0; k < 5; ++k) {
      S[k] += p;
      if (k < 3) R[k] += p * y;
      p *= u;
    }
  }
  const double M[3][3] = {{S[0], S[1], S[2]}, {S[1], S[2], S[3]}, {S[2], S[3], S[4]}};
  auto det3 = [](const double m[3][3]) {
    return m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) -
           m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) +
           m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
  };
  const double det = det3(M);
  if (!(std::fabs(det) > 1e-300)) return v;
  for (int col = 0; col < 3; ++col) {
    double A[3][3];
    for (int r = 0; r < 3; ++r)
      for (int c = 0; c < 3; ++c) A[r][c] = c == col ? R[r] : M[r][c];
    v.c[col] = det3(A) / det;
  }
  v.convex = v.c[2] > 0;
  if (!v.convex) return v;
  const double u_star = -v.c[1] / (2 * v.c[2]);
  v.n_opt = std::exp(u_star + v.u_mean);
  v.loss_opt = v.c[0] - v.c[1] * v.c[1] / (4 * v.c[2]);
  v.ok = u_star + v.u_mean >= umin && u_star + v.u_mean <= umax;
  return v;
}

// Slope and intercept of least squares y = i + s x.
std::pair<double, double> line(const std::vector<double>& x, const std::vector<double>& y) {
  double mx = 0, my = 0;
  for (size_t i = 0; i < x.size(); ++i) mx += x[i], my += y[i];
  mx /= static_cast<double>(x.size()), my /= static_cast<double>(x.size());
  double sxy = 0, sxx = 0;
  for (size_t i = 0; i < x.size(); ++i) sxy += (x[i] - mx) * (y[i] - my), sxx += (x[i] - mx) * (x[i] - mx);
  const double s = sxx > 0 ? sxy / sxx : std::nan("");
  return {s, my - s * mx};
}

// The exponent a (and intercept) from the usable vertices; nan when fewer than 2.
std::pair<double, double> exponent(const std::vector<Budget>& budgets, const std::vector<Vertex>& v) {
  std::vector<double> lc, ln;
  for (size_t b = 0; b < budgets.size(); ++b)
    if (v[b].ok) lc.push_back(std::log(budgets[b].C)), ln.push_back(std::log(v[b].n_opt));
  if (lc.size() < 2) return {std::nan(""), std::nan("")};
  return line(lc, ln);
}

}  // namespace

Json fit_isoflop(const Table& t, const FitOptions& o) {
  if (t.x_keys.size() != 2)
    fail<ConfigError>("--x: the isoflop form takes 2 keys, N then C (got ", t.x_keys.size(), ")");
  if (o.window != 0 && o.window < 3)
    fail<ConfigError>("--window must be 0 (every point) or at least 3, got ", o.window);
  if (!(o.budget_tolerance >= 0))
    fail<ConfigError>("--budget-tolerance must be >= 0, got ", o.budget_tolerance);
  // Budgets: sort the rows by C, start a new budget when C exceeds the budget's first C by
  // more than the tolerance.
  std::vector<size_t> order(t.y.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return t.x[a][1] < t.x[b][1]; });
  std::vector<Budget> budgets;
  for (size_t i : order) {
    if (budgets.empty() || t.x[i][1] > budgets.back().C * (1 + o.budget_tolerance))
      budgets.push_back({t.x[i][1], {}});
    budgets.back().rows.push_back(i);
  }
  std::vector<Budget> usable;
  for (auto& b : budgets) {
    double c = 0;
    for (size_t i : b.rows) c += t.x[i][1];
    b.C = c / static_cast<double>(b.rows.size());  // the budget's mean C
    if (o.window > 0 && b.rows.size() > static_cast<size_t>(o.window)) {
      // The window: the rows nearest in log N to the budget's lowest loss (ties: smaller N).
      size_t best = b.rows.front();
      for (size_t i : b.rows)
        if (t.y[i] < t.y[best]) best = i;
      const double centre = std::log(t.x[best][0]);
      std::stable_sort(b.rows.begin(), b.rows.end(), [&](size_t i, size_t j) {
        return std::fabs(std::log(t.x[i][0]) - centre) < std::fabs(std::log(t.x[j][0]) - centre);
      });
      b.rows.resize(static_cast<size_t>(o.window));
      std::sort(b.rows.begin(), b.rows.end(), [&](size_t i, size_t j) { return t.x[i][0] < t.x[j][0]; });
    }
    if (b.rows.size() >= 3) usable.push_back(b);
  }
  if (usable.size() < 2)
    fail<ConfigError>("isoflop: needs at least 2 compute budgets with 3 or more points each (found ",
                      usable.size(), " among ", budgets.size(), " budgets; --budget-tolerance ",
                      o.budget_tolerance, ")");
  std::vector<Vertex> vertices;
  Json rows = Json::array();
  for (const auto& b : usable) {
    const Vertex v = parabola(t, b.rows, std::vector<double>(b.rows.size(), 1.0));
    vertices.push_back(v);
    Json points = Json::array();
    for (size_t i : b.rows) points.push_back({{"id", t.ids[i]}, {"N", t.x[i][0]}, {"loss", t.y[i]}});
    Json r = {{"C", b.C}, {"points", points}, {"convex", v.convex}, {"used", v.ok},
              {"parabola_in_log_N", {{"c0", v.c[0]}, {"c1", v.c[1]}, {"c2", v.c[2]},
                                     {"log_N_centre", v.u_mean}}}};
    if (v.convex) r["N_opt"] = v.n_opt, r["D_opt"] = b.C / (6 * v.n_opt), r["loss_opt"] = v.loss_opt;
    rows.push_back(r);
  }
  const auto [a, intercept] = exponent(usable, vertices);
  if (!std::isfinite(a))
    fail<ValueError>("isoflop: fewer than 2 budgets have a minimum inside their range of N "
                     "(widen the N range of each budget)");
  Json out = {{"form", "isoflop"}, {"x", t.x_keys}, {"y", t.y_key}, {"n_points", t.y.size()},
              {"skipped", t.skipped_ids}, {"budgets", rows},
              {"budget_tolerance", o.budget_tolerance}, {"window", o.window},
              {"parameters", {{"a", a}, {"b", 1 - a}, {"log_N_opt_intercept", intercept}}},
              {"frontier", {{"N_opt", "exp(intercept) C^a"}, {"D_opt", "C / (6 N_opt), exponent b = 1 - a"}}}};
  if (o.bootstrap > 0) {
    Rng rng(o.seed, 0x150f);
    std::vector<double> as;
    for (int rep = 0; rep < o.bootstrap; ++rep) {
      std::vector<Vertex> vs;
      for (const auto& b : usable) {
        std::vector<double> w(b.rows.size(), 0.0);
        for (size_t i = 0; i < b.rows.size(); ++i) w[rng.below(b.rows.size())] += 1;
        vs.push_back(parabola(t, b.rows, w));
      }
      const double ar = exponent(usable, vs).first;
      if (std::isfinite(ar)) as.push_back(ar);
    }
    const double lo = (1 - o.interval) / 2, hi = (1 + o.interval) / 2;
    out["bootstrap"] = {{"replicates", o.bootstrap}, {"usable_replicates", as.size()},
                        {"seed", o.seed}, {"interval", o.interval}, {"method", "percentile"},
                        {"intervals", {{"a", {percentile(as, lo), percentile(as, hi)}},
                                       {"b", {1 - percentile(as, hi), 1 - percentile(as, lo)}}}}};
  }
  return out;
}

}  // namespace gradlab::fit
