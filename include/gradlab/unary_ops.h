// gradlab/unary_ops.h — the elementwise functions of one argument: one row per op.
//
// GRADLAB_UNARY_OPS(X) expands X(Name, "name", value) once per op, in a fixed order. `value`
// is the op's scalar function as an expression in `x` and `p` (both of the element type `T`;
// `p` is the kernel's param, used by the *Scalar rows). From this one list come:
//   - enum class UnaryOp and unary_op_name()            (gradlab/backend.h)
//   - the scalar function apply_unary<T>(op, x, p)      (gradlab/scalar_ops.h), which every
//     backend evaluates: CPU loops, WASM SIMD, CUDA kernels
//   - the op -> compile-time-constant dispatch           (src/backend/common/dispatch.h)
//   - the check that the kernel test table has a reference for every op
//                                                       (tests/backend/test_cpu_kernels.cpp)
// Adding an op is a row here, its public function with its derivative rule in
// src/ops/elementwise.cpp, and its test rows (docs/adding.md). New rows go at the end: the enum
// values are the row numbers. A value that needs more than one expression is a function in
// namespace scalar (scalar_ops.h), as sigmoid and tanh are. Comments in the list are /* */:
// a // comment would swallow the line continuation.
#pragma once

// clang-format off
#define GRADLAB_UNARY_OPS(X)                                                              \
  X(Neg,        "neg",        -x)                                                         \
  X(Exp,        "exp",        std::exp(x))                                                \
  X(Log,        "log",        std::log(x))                                                \
  X(Sqrt,       "sqrt",       std::sqrt(x))                                               \
  X(Abs,        "abs",        std::fabs(x))                                               \
  /* -1, 0 or 1 */                                                                        \
  X(Sign,       "sign",       T((x > T(0)) - (x < T(0))))                                 \
  X(Tanh,       "tanh",       scalar::tanh(x))                                            \
  X(Sigmoid,    "sigmoid",    scalar::sigmoid(x))                                         \
  X(Relu,       "relu",       x > T(0) ? x : T(0))                                        \
  /* relu's derivative, 1 if x > 0 else 0; not differentiable itself */                   \
  X(Step,       "step",       x > T(0) ? T(1) : T(0))                                     \
  X(Erf,        "erf",        std::erf(x))                                                \
  X(Sin,        "sin",        std::sin(x))                                                \
  X(Cos,        "cos",        std::cos(x))                                                \
  X(Square,     "square",     x * x)                                                      \
  X(Reciprocal, "reciprocal", T(1) / x)                                                   \
  X(PowScalar,  "pow_scalar", std::pow(x, p))                                             \
  X(AddScalar,  "add_scalar", x + p)                                                      \
  X(MulScalar,  "mul_scalar", x * p)                                                      \
  X(Log1p,      "log1p",      std::log1p(x))                                              \
  X(Expm1,      "expm1",      std::expm1(x))
// clang-format on
