// op_harness.h — the checks that every row of the op table goes through.
//
// A row (OpCase) declares an op once: its input shapes, an input-domain generator, our function
// TensorList -> Tensor and a naive float64 reference. For the scalar L(x) = Σ r ⊙ f(x) with a
// fixed random r, the harness checks in float64:
//   1. forward vs the reference (relative 1e-12, and the output shape);
//   2. ∇L by gradlab::grad vs central finite differences per coordinate (< 1e-6);
//   3. H v by gradlab::hvp vs finite differences of ∇L along v (< 1e-5), and uᵀ(Hv) = vᵀ(Hu);
//   4. ∇_x(uᵀH(x)v) via hvp(create_graph) then grad, vs finite differences of uᵀH(x)v (< 1e-4);
// and in float32: forward vs the reference (1e-5) and ∇L vs the float64 gradient (1e-4).
//
// Finite differences use the 4-point stencil
//   f'(0) ≈ (−f(2h) + 8f(h) − 8f(−h) + f(−2h)) / (12h),  error O(h⁴ f⁽⁵⁾) + O(ε|f|/h),
// which at h = 1e-3 in float64 leaves ~1e-12 relative: far below every tolerance above.
// Errors are norm-wise: ‖got − want‖ / ‖want‖, or absolute (< 1e-8) when ‖want‖ < 1e-8
// (the higher derivatives of linear ops are exactly zero).
#pragma once

#include <catch2/catch.hpp>
#include <cmath>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "gradlab/autograd.h"
#include "gradlab/ops.h"
#include "gradlab/rng.h"
#include "gradlab/tensor.h"

namespace gradlab::optest {

using Values = std::vector<double>;
using ValuesList = std::vector<Values>;
using OpFn = std::function<Tensor(const TensorList&)>;
using RefFn = std::function<Values(const ValuesList&)>;
// Draws n input values (the op's domain: positive, away from kinks, distinct, ...).
using Domain = std::function<Values(Rng&, int64_t n)>;

struct OpCase {
  std::string name;
  std::vector<Shape> shapes;    // one per differentiable input
  Shape out_shape;              // expected output shape
  std::vector<Domain> domains;  // one per input, or a single one for all
  OpFn fn;
  RefFn ref;
};

struct Tolerances {
  static constexpr double forward64 = 1e-12;
  static constexpr double gradient = 1e-6;
  static constexpr double hvp = 1e-5;
  static constexpr double symmetry = 1e-10;
  static constexpr double third = 1e-4;
  static constexpr double forward32 = 1e-5;
  static constexpr double gradient32 = 1e-4;
  static constexpr double zero = 1e-8;  // below this norm a reference counts as zero
  static constexpr double step = 1e-3;  // finite-difference step h
};

// ---- domains -------------------------------------------------------------------------------

inline Domain normal(double scale = 1.0) {
  return [scale](Rng& rng, int64_t n) {
    Values v(static_cast<size_t>(n));
    for (double& x : v) x = scale * rng.normal();
    return v;
  };
}
inline Domain uniform(double low, double high) {
  return [low, high](Rng& rng, int64_t n) {
    Values v(static_cast<size_t>(n));
    for (double& x : v) x = rng.uniform(low, high);
    return v;
  };
}
// Random sign, magnitude in [low, high]: keeps relu/abs/elu/1/x at least `low` from x = 0,
// far beyond what a finite difference moves a coordinate (2h·|v_i| < 1e-2 with h = 1e-3).
inline Domain away_from_zero(double low = 0.1, double high = 2.0) {
  return [low, high](Rng& rng, int64_t n) {
    Values v(static_cast<size_t>(n));
    for (double& x : v) x = (rng.uniform() < 0.5 ? -1.0 : 1.0) * rng.uniform(low, high);
    return v;
  };
}
// Values 0.4k + offset + U(0, 0.1) for a random integer k in [-5, 5]. Two inputs drawn with
// offsets 0 and 0.2 differ by >= 0.1 everywhere (so maximum/minimum never meet a tie),
// while either may be the larger one.
inline Domain lattice(double offset) {
  return [offset](Rng& rng, int64_t n) {
    Values v(static_cast<size_t>(n));
    for (double& x : v) x = 0.4 * (double(rng.below(11)) - 5.0) + offset + rng.uniform(0.0, 0.1);
    return v;
  };
}
// A shuffled ladder with rungs >= 0.06 apart: max/min reductions and max-pooling have a
// unique winner that a finite-difference step cannot change.
inline Domain distinct() {
  return [](Rng& rng, int64_t n) {
    std::vector<int64_t> order = rng.permutation(n);
    Values v(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i)
      v[i] = 0.1 * (double(order[i]) - 0.5 * double(n)) + rng.uniform(0.0, 0.04);
    return v;
  };
}

// A row with one input x of `shape`: our f(x) and a reference on x's values.
inline OpCase single(const std::string& name, const Shape& shape, const Shape& out_shape,
                     const Domain& domain, const std::function<Tensor(const Tensor&)>& f,
                     const std::function<Values(const Values&)>& reference) {
  return {name,
          {shape},
          out_shape,
          {domain},
          [f](const TensorList& x) { return f(x[0]); },
          [reference](const ValuesList& x) { return reference(x[0]); }};
}

// ---- plumbing ------------------------------------------------------------------------------

inline Values flatten(const TensorList& ts) {
  Values out;
  for (const Tensor& t : ts) {
    Values v = t.to_vector();
    out.insert(out.end(), v.begin(), v.end());
  }
  return out;
}

// Inverse of flatten for the row's input shapes.
inline ValuesList split(const Values& flat, const std::vector<Shape>& shapes) {
  ValuesList out;
  size_t at = 0;
  for (const Shape& s : shapes) {
    size_t n = static_cast<size_t>(shape_numel(s));
    out.emplace_back(flat.begin() + at, flat.begin() + at + n);
    at += n;
  }
  return out;
}

inline TensorList make_inputs(const ValuesList& x, const std::vector<Shape>& shapes, DType dtype,
                              bool requires_grad) {
  TensorList out;
  for (size_t i = 0; i < x.size(); ++i) {
    out.push_back(from_vector(x[i], shapes[i], dtype));
    if (requires_grad) out.back().requires_grad_();
  }
  return out;
}

inline double dot(const Values& a, const Values& b) {
  double s = 0.0;
  for (size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
  return s;
}
inline double norm(const Values& a) { return std::sqrt(dot(a, a)); }

inline Values axpy(double t, const Values& v, const Values& x) {  // x + t v
  Values out(x);
  for (size_t i = 0; i < out.size(); ++i) out[i] += t * v[i];
  return out;
}

inline Values round_to_float(const Values& x) {
  Values out(x.size());
  for (size_t i = 0; i < x.size(); ++i) out[i] = static_cast<double>(static_cast<float>(x[i]));
  return out;
}

// The 4-point central stencil for d/dt f(t) at 0, f vector-valued.
inline Values stencil(const std::function<Values(double)>& f, double h) {
  Values p2 = f(2 * h), p1 = f(h), m1 = f(-h), m2 = f(-2 * h);
  Values out(p1.size());
  for (size_t i = 0; i < out.size(); ++i)
    out[i] = (-p2[i] + 8.0 * p1[i] - 8.0 * m1[i] + m2[i]) / (12.0 * h);
  return out;
}

// Norm-wise comparison with a printable verdict.
struct Comparison {
  double error = 0.0;  // relative, or absolute when the reference is ~0
  double got_norm = 0.0, want_norm = 0.0;
  bool absolute = false;
  bool ok = false;
  std::string describe(double tol) const {
    std::ostringstream os;
    os << (absolute ? "absolute" : "relative") << " error " << error << " (tolerance "
       << (absolute ? Tolerances::zero : tol) << "), |got| = " << got_norm
       << ", |want| = " << want_norm;
    return os.str();
  }
};

inline Comparison compare(const Values& got, const Values& want, double tol) {
  Comparison c;
  c.got_norm = norm(got);
  c.want_norm = norm(want);
  if (got.size() != want.size()) {
    c.error = INFINITY;
    return c;
  }
  Values diff(got.size());
  for (size_t i = 0; i < got.size(); ++i) diff[i] = got[i] - want[i];
  double d = norm(diff);
  c.absolute = c.want_norm < Tolerances::zero;
  c.error = c.absolute ? d : d / std::max(c.want_norm, Tolerances::zero);
  c.ok = c.error < (c.absolute ? Tolerances::zero : tol);
  return c;
}

inline std::string head(const Values& v, size_t n = 8) {
  std::ostringstream os;
  os << "[";
  for (size_t i = 0; i < v.size() && i < n; ++i) os << (i ? ", " : "") << v[i];
  if (v.size() > n) os << ", ... (" << v.size() << " values)";
  os << "]";
  return os.str();
}

inline void expect_close(const OpCase& op, DType dtype, const char* check, const Values& got,
                         const Values& want, double tol) {
  Comparison c = compare(got, want, tol);
  INFO(op.name << " [" << dtype_name(dtype) << "] " << check << ": " << c.describe(tol)
               << "\n  got  " << head(got) << "\n  want " << head(want));
  CHECK(c.ok);
}

// ---- one row, one dtype ----------------------------------------------------------------------

// Everything needed to evaluate L(x) = Σ r ⊙ f(x) and its derivatives for one row.
class Problem {
 public:
  Problem(const OpCase& op, DType dtype, Values r) : op_(op), dtype_(dtype), r_(std::move(r)) {}

  Tensor loss(const TensorList& inputs) const {
    Tensor y = op_.fn(inputs);
    return sum(mul(from_vector(r_, y.shape(), dtype_), y));
  }
  double loss_value(const Values& x) const {
    NoGradGuard no_grad;
    return loss(make_inputs(split(x, op_.shapes), op_.shapes, dtype_, false)).item();
  }
  Values gradient(const Values& x) const {
    TensorList in = make_inputs(split(x, op_.shapes), op_.shapes, dtype_, true);
    return flatten(grad(loss(in), in));
  }
  // H(x) v by double backward.
  Values hessian_vector(const Values& x, const Values& v) const {
    TensorList in = make_inputs(split(x, op_.shapes), op_.shapes, dtype_, true);
    TensorList dir = make_inputs(split(v, op_.shapes), op_.shapes, dtype_, false);
    return flatten(hvp([this](const TensorList& p) { return loss(p); }, in, dir));
  }
  // ∇_x(uᵀH(x)v): the HVP's graph (create_graph) differentiated once more.
  Values third_order(const Values& x, const Values& u, const Values& v) const {
    TensorList in = make_inputs(split(x, op_.shapes), op_.shapes, dtype_, true);
    TensorList dir = make_inputs(split(v, op_.shapes), op_.shapes, dtype_, false);
    TensorList uu = make_inputs(split(u, op_.shapes), op_.shapes, dtype_, false);
    GradOptions keep;
    keep.create_graph = true;
    TensorList hv = hvp([this](const TensorList& p) { return loss(p); }, in, dir, keep);
    Tensor t = sum(mul(uu[0], hv[0]));
    for (size_t i = 1; i < hv.size(); ++i) t = add(t, sum(mul(uu[i], hv[i])));
    // uᵀHv is constant for ops of degree <= 2 (its graph may not reach x): zeros, not an error.
    GradOptions unused;
    unused.allow_unused = true;
    return flatten(grad(TensorList{t}, in, {}, unused));
  }

 private:
  const OpCase& op_;
  DType dtype_;
  Values r_;
};

// A stable per-row stream (FNV-1a of the name), so adding a row never changes another's data.
inline uint64_t name_stream(const std::string& name) {
  uint64_t h = 1469598103934665603ull;
  for (char ch : name) h = (h ^ static_cast<unsigned char>(ch)) * 1099511628211ull;
  return h;
}

struct RowData {
  Values x, r, u, v;
};

inline RowData draw_row(const OpCase& op) {
  Rng rng(20240611, name_stream(op.name));
  RowData d;
  for (size_t i = 0; i < op.shapes.size(); ++i) {
    const Domain& dom = op.domains.size() == 1 ? op.domains[0] : op.domains.at(i);
    Values xi = dom(rng, shape_numel(op.shapes[i]));
    d.x.insert(d.x.end(), xi.begin(), xi.end());
  }
  d.r = normal()(rng, shape_numel(op.out_shape));
  d.u = normal()(rng, static_cast<int64_t>(d.x.size()));
  d.v = normal()(rng, static_cast<int64_t>(d.x.size()));
  return d;
}

inline void check_forward(const OpCase& op, DType dtype, const Values& x, double tol) {
  TensorList in = make_inputs(split(x, op.shapes), op.shapes, dtype, false);
  Tensor y = op.fn(in);
  INFO(op.name << " [" << dtype_name(dtype) << "] output shape " << y.shape_str() << ", expected "
               << shape_str(op.out_shape));
  CHECK(y.shape() == op.out_shape);
  CHECK(y.dtype() == dtype);
  expect_close(op, dtype, "forward vs reference", y.to_vector(), op.ref(split(x, op.shapes)), tol);
}

// Forward, gradient, HVP (+ symmetry) and third order in float64.
inline void check_float64(const OpCase& op) {
  const DType f64 = DType::F64;
  const double h = Tolerances::step;
  RowData d = draw_row(op);
  check_forward(op, f64, d.x, Tolerances::forward64);
  Problem p(op, f64, d.r);

  // 2. gradient vs finite differences of L, one coordinate at a time.
  Values g = p.gradient(d.x), g_fd(d.x.size());
  for (size_t k = 0; k < d.x.size(); ++k) {
    Values e(d.x.size(), 0.0);
    e[k] = 1.0;
    g_fd[k] = stencil([&](double t) { return Values{p.loss_value(axpy(t, e, d.x))}; }, h)[0];
  }
  expect_close(op, f64, "gradient vs finite differences", g, g_fd, Tolerances::gradient);

  // 3. Hv vs finite differences of ∇L along v; symmetry uᵀ(Hv) = vᵀ(Hu).
  Values hv = p.hessian_vector(d.x, d.v);
  Values hv_fd = stencil([&](double t) { return p.gradient(axpy(t, d.v, d.x)); }, h);
  expect_close(op, f64, "hvp vs finite differences of gradients", hv, hv_fd, Tolerances::hvp);
  // H is symmetric, so two independently computed HVPs must agree: uᵀ(Hv) = vᵀ(Hu). Relative
  // to the larger of the two; both ~0 (ops of degree <= 1) compares absolutely.
  Values hu = p.hessian_vector(d.x, d.u);
  double uhv = dot(d.u, hv), vhu = dot(d.v, hu);
  double scale = std::max(std::fabs(uhv), std::fabs(vhu));
  bool absolute = scale < Tolerances::zero;
  double sym_err = std::fabs(uhv - vhu) / (absolute ? 1.0 : scale);
  double sym_tol = absolute ? 1e-12 : Tolerances::symmetry;
  {
    INFO(op.name << " [float64] hvp symmetry: u'Hv = " << uhv << ", v'Hu = " << vhu << ", "
                 << (absolute ? "absolute" : "relative") << " error " << sym_err << " (tolerance "
                 << sym_tol << ")");
    CHECK(sym_err < sym_tol);
  }

  // 4. ∇_x(uᵀH(x)v) vs finite differences of uᵀH(x)v per coordinate.
  Values third = p.third_order(d.x, d.u, d.v), third_fd(d.x.size());
  for (size_t k = 0; k < d.x.size(); ++k) {
    Values e(d.x.size(), 0.0);
    e[k] = 1.0;
    third_fd[k] = stencil(
        [&](double t) { return Values{dot(d.u, p.hessian_vector(axpy(t, e, d.x), d.v))}; }, h)[0];
  }
  expect_close(op, f64, "grad of u'Hv vs finite differences of hvps", third, third_fd,
               Tolerances::third);
}

// Forward and gradient in float32, against float64 at the same (float-rounded) inputs.
inline void check_float32(const OpCase& op) {
  RowData d = draw_row(op);
  Values x = round_to_float(d.x), r = round_to_float(d.r);
  check_forward(op, DType::F32, x, Tolerances::forward32);
  Values g32 = Problem(op, DType::F32, r).gradient(x);
  Values g64 = Problem(op, DType::F64, r).gradient(x);
  expect_close(op, DType::F32, "gradient vs float64 gradient", g32, g64, Tolerances::gradient32);
}

// Runs a check on every row; an exception fails that row only, naming it.
inline void run_table(const std::vector<OpCase>& table, void (*check)(const OpCase&)) {
  for (const OpCase& op : table) {
    DYNAMIC_SECTION(op.name) {
      try {
        check(op);
      } catch (const std::exception& e) {
        FAIL_CHECK(op.name << ": threw " << e.what());
      }
    }
  }
}

}  // namespace gradlab::optest
