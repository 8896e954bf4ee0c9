// Elementwise primitives (unary, binary with broadcasting, scalar forms) and the
// activations composed from them. Each primitive's gradient rule sits next to its
// forward and is itself made of differentiable ops (so HVPs come for free).
#include <cmath>

#include "ops/ops_internal.h"

namespace gradlab {

namespace detail {

void check_same(const Tensor& a, const Tensor& b, const char* op) {
  if (a.dtype() != b.dtype())
    fail<DTypeError>(op, ": dtype mismatch: ", dtype_name(a.dtype()), " ", a.shape_str(), " vs ",
                     dtype_name(b.dtype()), " ", b.shape_str(), " (convert with .to(dtype))");
  if (a.device() != b.device())
    fail<DeviceError>(op, ": device mismatch: ", device_name(a.device()), " vs ",
                      device_name(b.device()));
}

void check_float(const Tensor& a, const char* op) {
  if (a.dtype() == DType::I64)
    fail<DTypeError>(op, ": expected a float32 or float64 tensor, got int64 ", a.shape_str());
}

View broadcast_view(const Tensor& t, const Shape& shape) {
  View v = t.view();
  int nd = static_cast<int>(shape.size());
  int lead = nd - v.ndim;
  View out;
  out.data = v.data;
  out.dtype = v.dtype;
  out.ndim = nd;
  for (int i = 0; i < nd; ++i) {
    out.shape[i] = shape[i];
    int src = i - lead;
    out.strides[i] = (src < 0 || v.shape[src] == 1) ? 0 : v.strides[src];
  }
  return out;
}

Tensor unary_kernel(UnaryOp op, const Tensor& x, double param) {
  Tensor out = empty(x.shape(), x.dtype(), x.device());
  backend(x.device()).unary(op, x.view(), out.view(), param);
  return out;
}

Tensor binary_kernel(BinaryOp op, const Tensor& a, const Tensor& b, const char* name) {
  check_same(a, b, name);
  check_float(a, name);
  Shape shape = broadcast_shapes(a.shape(), b.shape(), name);
  if (shape.size() > static_cast<size_t>(kMaxDims))
    fail<ShapeError>(name, ": result rank ", shape.size(), " exceeds ", kMaxDims);
  Tensor out = empty(shape, a.dtype(), a.device());
  backend(a.device()).binary(op, broadcast_view(a, shape), broadcast_view(b, shape), out.view());
  return out;
}

}  // namespace detail

using namespace detail;

Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op) {
  size_t n = std::max(a.size(), b.size());
  Shape out(n);
  for (size_t i = 0; i < n; ++i) {
    int64_t da = i < n - a.size() ? 1 : a[i - (n - a.size())];
    int64_t db = i < n - b.size() ? 1 : b[i - (n - b.size())];
    if (da != db && da != 1 && db != 1)
      fail<ShapeError>(op, ": shapes ", shape_str(a), " and ", shape_str(b),
                       " cannot be broadcast together (axis ", static_cast<int64_t>(i) - int64_t(n),
                       ": ", da, " vs ", db, ")");
    out[i] = da == 1 ? db : da;
  }
  return out;
}

int64_t normalize_axis(int64_t axis, int64_t ndim, const char* op) {
  int64_t a = axis < 0 ? axis + ndim : axis;
  if (a < 0 || a >= ndim)
    fail<IndexError>(op, ": axis ", axis, " is out of range for a tensor of rank ", ndim,
                     " (expected ", -ndim, " <= axis < ", ndim, ")");
  return a;
}

// ---- binary -------------------------------------------------------------------------

Tensor add(const Tensor& a, const Tensor& b) {
  Tensor out = binary_kernel(BinaryOp::Add, a, b, "add");
  Shape sa = a.shape(), sb = b.shape();
  return record("add", out, {a, b}, [sa, sb](const BackwardContext& c, const Tensor& g) {
    return TensorList{c.needs(0) ? sum_to(g, sa) : Tensor(), c.needs(1) ? sum_to(g, sb) : Tensor()};
  });
}

Tensor sub(const Tensor& a, const Tensor& b) {
  Tensor out = binary_kernel(BinaryOp::Sub, a, b, "sub");
  Shape sa = a.shape(), sb = b.shape();
  return record("sub", out, {a, b}, [sa, sb](const BackwardContext& c, const Tensor& g) {
    return TensorList{c.needs(0) ? sum_to(g, sa) : Tensor(),
                      c.needs(1) ? sum_to(neg(g), sb) : Tensor()};
  });
}

Tensor mul(const Tensor& a, const Tensor& b) {
  Tensor out = binary_kernel(BinaryOp::Mul, a, b, "mul");
  return record("mul", out, {a, b}, [a, b](const BackwardContext& c, const Tensor& g) {
    return TensorList{c.needs(0) ? sum_to(mul(g, b), a.shape()) : Tensor(),
                      c.needs(1) ? sum_to(mul(g, a), b.shape()) : Tensor()};
  });
}

Tensor div(const Tensor& a, const Tensor& b) {
  Tensor out = binary_kernel(BinaryOp::Div, a, b, "div");
  return record("div", out, {a, b}, [a, b](const BackwardContext& c, const Tensor& g) {
    // d(a/b)/da = 1/b, d(a/b)/db = -a/b²
    return TensorList{c.needs(0) ? sum_to(div(g, b), a.shape()) : Tensor(),
                      c.needs(1) ? sum_to(neg(div(mul(g, a), square(b))), b.shape()) : Tensor()};
  });
}

Tensor pow(const Tensor& a, const Tensor& b) {
  Tensor out = binary_kernel(BinaryOp::Pow, a, b, "pow");
  return record("pow", out, {a, b}, [a, b](const BackwardContext& c, const Tensor& g) {
    // d(a^b)/da = b a^(b-1), d(a^b)/db = a^b log a
    return TensorList{c.needs(0) ? sum_to(mul(g, mul(b, pow(a, sub(b, 1.0)))), a.shape()) : Tensor(),
                      c.needs(1) ? sum_to(mul(g, mul(pow(a, b), log(a))), b.shape()) : Tensor()};
  });
}

// maximum/minimum route the gradient to the selected operand (ties go to a).
Tensor maximum(const Tensor& a, const Tensor& b) {
  Tensor out = binary_kernel(BinaryOp::Maximum, a, b, "maximum");
  return record("maximum", out, {a, b}, [a, b](const BackwardContext& c, const Tensor& g) {
    Tensor pick_a = binary_kernel(BinaryOp::Ge, a, b, "maximum");
    return TensorList{c.needs(0) ? sum_to(mul(g, pick_a), a.shape()) : Tensor(),
                      c.needs(1) ? sum_to(mul(g, rsub(1.0, pick_a)), b.shape()) : Tensor()};
  });
}

Tensor minimum(const Tensor& a, const Tensor& b) {
  Tensor out = binary_kernel(BinaryOp::Minimum, a, b, "minimum");
  return record("minimum", out, {a, b}, [a, b](const BackwardContext& c, const Tensor& g) {
    Tensor pick_a = binary_kernel(BinaryOp::Le, a, b, "minimum");
    return TensorList{c.needs(0) ? sum_to(mul(g, pick_a), a.shape()) : Tensor(),
                      c.needs(1) ? sum_to(mul(g, rsub(1.0, pick_a)), b.shape()) : Tensor()};
  });
}

Tensor greater(const Tensor& a, const Tensor& b) { return binary_kernel(BinaryOp::Gt, a, b, "greater"); }
Tensor less(const Tensor& a, const Tensor& b) { return binary_kernel(BinaryOp::Lt, a, b, "less"); }
Tensor equal(const Tensor& a, const Tensor& b) { return binary_kernel(BinaryOp::Eq, a, b, "equal"); }

Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b) {
  // cond·a + (1 − cond)·b: exact for finite a, b (cond is 0/1).
  return add(mul(cond, a), mul(rsub(1.0, cond), b));
}

// ---- scalar forms ----------------------------------------------------------------------

Tensor add(const Tensor& a, double b) {
  check_float(a, "add");
  Tensor out = unary_kernel(UnaryOp::AddScalar, a, b);
  return record("add_scalar", out, {a},
                [](const BackwardContext&, const Tensor& g) { return TensorList{g}; });
}
Tensor sub(const Tensor& a, double b) { return add(a, -b); }
Tensor rsub(double a, const Tensor& b) { return add(neg(b), a); }

Tensor mul(const Tensor& a, double b) {
  check_float(a, "mul");
  Tensor out = unary_kernel(UnaryOp::MulScalar, a, b);
  return record("mul_scalar", out, {a},
                [b](const BackwardContext&, const Tensor& g) { return TensorList{mul(g, b)}; });
}
Tensor div(const Tensor& a, double b) { return mul(a, 1.0 / b); }

Tensor rdiv(double a, const Tensor& b) {
  check_float(b, "rdiv");
  Tensor r = unary_kernel(UnaryOp::Reciprocal, b);
  Tensor out = record("reciprocal", r, {b},
                      [](const BackwardContext& c, const Tensor& g) {
                        return TensorList{neg(mul(g, square(c.output)))};  // d(1/b) = -1/b²
                      },
                      /*save_output=*/true);
  return a == 1.0 ? out : mul(out, a);
}

Tensor pow(const Tensor& a, double p) {
  check_float(a, "pow");
  Tensor out = unary_kernel(UnaryOp::PowScalar, a, p);
  return record("pow_scalar", out, {a}, [a, p](const BackwardContext&, const Tensor& g) {
    if (p == 0.0) return TensorList{zeros_like(g)};
    if (p == 1.0) return TensorList{g};
    if (p == 2.0) return TensorList{mul(g, mul(a, 2.0))};
    return TensorList{mul(g, mul(pow(a, p - 1.0), p))};
  });
}

// ---- unary -------------------------------------------------------------------------------

Tensor neg(const Tensor& x) {
  check_float(x, "neg");
  Tensor out = unary_kernel(UnaryOp::Neg, x);
  return record("neg", out, {x},
                [](const BackwardContext&, const Tensor& g) { return TensorList{neg(g)}; });
}

Tensor exp(const Tensor& x) {
  check_float(x, "exp");
  Tensor out = unary_kernel(UnaryOp::Exp, x);
  return record(
      "exp", out, {x},
      [](const BackwardContext& c, const Tensor& g) { return TensorList{mul(g, c.output)}; }, true);
}

Tensor log(const Tensor& x) {
  check_float(x, "log");
  Tensor out = unary_kernel(UnaryOp::Log, x);
  return record("log", out, {x},
                [x](const BackwardContext&, const Tensor& g) { return TensorList{div(g, x)}; });
}

Tensor log1p(const Tensor& x) {
  check_float(x, "log1p");
  Tensor out = unary_kernel(UnaryOp::Log1p, x);
  return record("log1p", out, {x}, [x](const BackwardContext&, const Tensor& g) {
    return TensorList{div(g, add(x, 1.0))};
  });
}

Tensor sqrt(const Tensor& x) {
  check_float(x, "sqrt");
  Tensor out = unary_kernel(UnaryOp::Sqrt, x);
  return record(
      "sqrt", out, {x},
      [](const BackwardContext& c, const Tensor& g) {
        return TensorList{div(g, mul(c.output, 2.0))};  // d√x = 1/(2√x)
      },
      true);
}

Tensor abs(const Tensor& x) {
  check_float(x, "abs");
  Tensor out = unary_kernel(UnaryOp::Abs, x);
  return record("abs", out, {x}, [x](const BackwardContext&, const Tensor& g) {
    return TensorList{mul(g, sign(x))};
  });
}

Tensor sign(const Tensor& x) {
  check_float(x, "sign");
  return unary_kernel(UnaryOp::Sign, x);  // piecewise constant: no gradient
}

Tensor square(const Tensor& x) {
  check_float(x, "square");
  Tensor out = unary_kernel(UnaryOp::Square, x);
  return record("square", out, {x}, [x](const BackwardContext&, const Tensor& g) {
    return TensorList{mul(g, mul(x, 2.0))};
  });
}

Tensor sin(const Tensor& x) {
  check_float(x, "sin");
  Tensor out = unary_kernel(UnaryOp::Sin, x);
  return record("sin", out, {x},
                [x](const BackwardContext&, const Tensor& g) { return TensorList{mul(g, cos(x))}; });
}

Tensor cos(const Tensor& x) {
  check_float(x, "cos");
  Tensor out = unary_kernel(UnaryOp::Cos, x);
  return record("cos", out, {x}, [x](const BackwardContext&, const Tensor& g) {
    return TensorList{neg(mul(g, sin(x)))};
  });
}

Tensor erf(const Tensor& x) {
  check_float(x, "erf");
  Tensor out = unary_kernel(UnaryOp::Erf, x);
  return record("erf", out, {x}, [x](const BackwardContext&, const Tensor& g) {
    // d erf(x) = 2/√π · e^{−x²}
    return TensorList{mul(g, mul(exp(neg(square(x))), 2.0 / std::sqrt(M_PI)))};
  });
}

static Tensor expm1(const Tensor& x) {
  Tensor out = unary_kernel(UnaryOp::Expm1, x);
  return record(
      "expm1", out, {x},
      [](const BackwardContext& c, const Tensor& g) {
        return TensorList{mul(g, add(c.output, 1.0))};  // d(e^x − 1) = e^x
      },
      true);
}

// ---- activations --------------------------------------------------------------------------

Tensor relu(const Tensor& x) {
  check_float(x, "relu");
  Tensor out = unary_kernel(UnaryOp::Relu, x);
  return record("relu", out, {x}, [x](const BackwardContext&, const Tensor& g) {
    // relu' = step(x), a constant mask (relu'' = 0 almost everywhere).
    return TensorList{mul(g, unary_kernel(UnaryOp::Step, x))};
  });
}

Tensor tanh(const Tensor& x) {
  check_float(x, "tanh");
  Tensor out = unary_kernel(UnaryOp::Tanh, x);
  return record(
      "tanh", out, {x},
      [](const BackwardContext& c, const Tensor& g) {
        return TensorList{mul(g, rsub(1.0, square(c.output)))};  // 1 − tanh²
      },
      true);
}

Tensor sigmoid(const Tensor& x) {
  check_float(x, "sigmoid");
  Tensor out = unary_kernel(UnaryOp::Sigmoid, x);
  return record(
      "sigmoid", out, {x},
      [](const BackwardContext& c, const Tensor& g) {
        return TensorList{mul(g, mul(c.output, rsub(1.0, c.output)))};  // σ(1 − σ)
      },
      true);
}

// ELU: x for x > 0, α(eˣ − 1) otherwise, written as relu(x) + α·expm1(−relu(−x)).
Tensor elu(const Tensor& x, double alpha) {
  check_float(x, "elu");
  return add(relu(x), mul(expm1(neg(relu(neg(x)))), alpha));
}

// GELU, exact: x·Φ(x) = ½x(1 + erf(x/√2)) (PyTorch's default approximate='none').
Tensor gelu(const Tensor& x) {
  check_float(x, "gelu");
  return mul(mul(x, 0.5), add(erf(mul(x, 1.0 / std::sqrt(2.0))), 1.0));
}

Tensor silu(const Tensor& x) {
  check_float(x, "silu");
  return mul(x, sigmoid(x));
}

// softplus(x) = log(1 + eˣ) = max(x, 0) + log1p(e^{−|x|}), stable for large |x|.
// Recorded as one node with d softplus = σ(x), so the gradient is exact at x = 0 too.
Tensor softplus(const Tensor& x) {
  check_float(x, "softplus");
  Tensor out;
  {
    NoGradGuard no_grad;
    out = add(relu(x), log1p(exp(neg(abs(x)))));
  }
  return record("softplus", out, {x}, [x](const BackwardContext&, const Tensor& g) {
    return TensorList{mul(g, sigmoid(x))};
  });
}

}  // namespace gradlab
