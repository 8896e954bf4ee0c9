// lbfgs.cpp — limited-memory BFGS with a strong-Wolfe line search, in float64.
//
// Nocedal & Wright, Numerical Optimization (2nd ed. 2006): the two-loop recursion (Alg. 7.4)
// with the initial Hessian γ_k I, γ_k = s·y / y·y (eq. 7.20); the line search of Alg. 3.5 with
// zoom (Alg. 3.6), trial steps by safeguarded cubic interpolation. Constants c1 = 1e-4 and
// c2 = 0.9 (their recommendation for quasi-Newton methods). A pair with s·y <= 0 (possible only
// if the line search stopped early) is not stored, so the implicit Hessian stays positive
// definite. A trial point with a non-finite objective counts as "too far" and is bisected back.
#include <algorithm>
#include <cmath>
#include <deque>
#include <limits>

#include "gradlab/fit.h"

namespace gradlab::fit {
namespace {

constexpr double kC1 = 1e-4;
constexpr double kC2 = 0.9;
constexpr int kMaxLineSearch = 60;

double dot(const std::vector<double>& a, const std::vector<double>& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
  return s;
}

double max_abs(const std::vector<double>& v) {
  double m = 0;
  for (double x : v) m = std::max(m, std::fabs(x));
  return m;
}

// The minimiser of the cubic through (a, fa, ga) and (b, fb, gb), kept inside the middle 80 %
// of [a, b]; the midpoint when the cubic has no real minimiser there.
double cubic_step(double a, double fa, double ga, double b, double fb, double gb) {
  const double lo = std::min(a, b), hi = std::max(a, b);
  const double margin = 0.1 * (hi - lo);
  const double d1 = ga + gb - 3 * (fa - fb) / (a - b);
  const double disc = d1 * d1 - ga * gb;
  double t = 0.5 * (a + b);
  if (disc >= 0 && std::isfinite(fb) && std::isfinite(gb)) {
    const double d2 = std::copysign(std::sqrt(disc), b - a);
    const double denom = gb - ga + 2 * d2;
    if (denom != 0) t = b - (b - a) * (gb + d2 - d1) / denom;
  }
  if (!std::isfinite(t) || t < lo + margin || t > hi - margin) t = 0.5 * (a + b);
  return t;
}

struct Point {
  double step, f, slope;  // φ(step) = f(x + step·d), φ'(step)
};

struct LineSearch {
  const Objective& f;
  const std::vector<double>& x;
  const std::vector<double>& d;
  std::vector<double> trial, grad;
  Point evaluate(double step) {
    for (size_t i = 0; i < x.size(); ++i) trial[i] = x[i] + step * d[i];
    double value = f(trial, grad);
    if (!std::isfinite(value)) return {step, std::numeric_limits<double>::infinity(), 0};
    return {step, value, dot(grad, d)};
  }
};

// Alg. 3.6: a step in (lo, hi) satisfying the strong Wolfe conditions; lo has the lower f.
bool zoom(LineSearch& ls, const Point& start, Point lo, Point hi, Point& out, int& evals) {
  while (evals < kMaxLineSearch) {
    const double step = std::isfinite(hi.f)
                            ? cubic_step(lo.step, lo.f, lo.slope, hi.step, hi.f, hi.slope)
                            : 0.5 * (lo.step + hi.step);
    Point p = ls.evaluate(step);
    ++evals;
    if (!std::isfinite(p.f) || p.f > start.f + kC1 * step * start.slope || p.f >= lo.f) {
      hi = p;
    } else {
      if (std::fabs(p.slope) <= -kC2 * start.slope) {
        out = p;
        return true;
      }
      if (p.slope * (hi.step - lo.step) >= 0) hi = lo;
      lo = p;
    }
    if (std::fabs(hi.step - lo.step) <= 1e-16 * std::max(1.0, lo.step)) break;
  }
  // No Wolfe point found: accept lo when it decreased f at all (the caller checks s·y).
  if (lo.step > 0 && lo.f < start.f) {
    ls.evaluate(lo.step);
    out = lo;
    return true;
  }
  return false;
}

// Alg. 3.5 from `step`; on success ls.trial / ls.grad hold the accepted point.
bool wolfe_search(LineSearch& ls, const Point& start, double step, Point& out) {
  Point prev = start;
  int evals = 0;
  for (int i = 0; i < kMaxLineSearch; ++i) {
    Point p = ls.evaluate(step);
    ++evals;
    if (!std::isfinite(p.f) || p.f > start.f + kC1 * step * start.slope ||
        (i > 0 && p.f >= prev.f))
      return zoom(ls, start, prev, p, out, evals);
    if (std::fabs(p.slope) <= -kC2 * start.slope) {
      out = p;
      return true;
    }
    if (p.slope >= 0) return zoom(ls, start, p, prev, out, evals);
    prev = p;
    step *= 2;
  }
  return false;
}

}  // namespace

LbfgsResult lbfgs(const Objective& f, std::vector<double> x, const LbfgsOptions& options) {
  const size_t n = x.size();
  std::vector<double> g(n), d(n);
  double fx = f(x, g);
  LbfgsResult result;
  std::deque<std::vector<double>> s_hist, y_hist;
  std::deque<double> rho_hist;
  std::vector<double> alpha(static_cast<size_t>(options.memory));
  int stalled = 0;
  result.stop = "max_iterations";
  if (!std::isfinite(fx)) {
    result.stop = "non_finite_start";
    result.iterations = 0;
  }
  int k = 0;
  for (; std::isfinite(fx) && k < options.max_iterations; ++k) {
    if (max_abs(g) <= options.gradient_tolerance) {
      result.stop = "gradient";
      break;
    }
    // Two-loop recursion: d = −H_k g.
    d = g;
    const size_t m = s_hist.size();
    for (size_t j = m; j-- > 0;) {
      alpha[j] = rho_hist[j] * dot(s_hist[j], d);
      for (size_t i = 0; i < n; ++i) d[i] -= alpha[j] * y_hist[j][i];
    }
    const double gamma = m > 0 ? 1.0 / (rho_hist.back() * dot(y_hist.back(), y_hist.back())) : 1.0;
    for (double& v : d) v *= gamma;
    for (size_t j = 0; j < m; ++j) {
      const double beta = rho_hist[j] * dot(y_hist[j], d);
      for (size_t i = 0; i < n; ++i) d[i] += s_hist[j][i] * (alpha[j] - beta);
    }
    for (double& v : d) v = -v;
    double slope = dot(g, d);
    if (!(slope < 0)) {  // not a descent direction (numerical trouble): restart from −g
      s_hist.clear(), y_hist.clear(), rho_hist.clear();
      for (size_t i = 0; i < n; ++i) d[i] = -g[i];
      slope = dot(g, d);
    }
    // First step: length 1/max|g| so the trial moves each coordinate by at most 1.
    const double step0 = m == 0 ? std::min(1.0, 1.0 / max_abs(g)) : 1.0;
    LineSearch ls{f, x, d, std::vector<double>(n), std::vector<double>(n)};
    Point accepted{};
    if (!wolfe_search(ls, {0, fx, slope}, step0, accepted)) {
      result.stop = "line_search";
      break;
    }
    std::vector<double> s(n), y(n);
    for (size_t i = 0; i < n; ++i) s[i] = ls.trial[i] - x[i], y[i] = ls.grad[i] - g[i];
    const double sy = dot(s, y);
    const double decrease = fx - accepted.f;
    x = ls.trial;
    g = ls.grad;
    const double previous = fx;
    fx = accepted.f;
    if (sy > 0) {
      if (static_cast<int>(s_hist.size()) == options.memory)
        s_hist.pop_front(), y_hist.pop_front(), rho_hist.pop_front();
      s_hist.push_back(std::move(s));
      y_hist.push_back(std::move(y));
      rho_hist.push_back(1.0 / sy);
    }
    const double scale = std::max({std::fabs(fx), std::fabs(previous), 1e-300});
    stalled = decrease <= options.relative_decrease * scale ? stalled + 1 : 0;
    if (stalled >= 5) {
      result.stop = "no_decrease";
      ++k;
      break;
    }
  }
  result.x = std::move(x);
  result.f = fx;
  result.gradient_max = max_abs(g);
  result.iterations = k;
  return result;
}

}  // namespace gradlab::fit
