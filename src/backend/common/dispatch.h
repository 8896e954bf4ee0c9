// src/backend/common/dispatch.h — internal to the backends (CPU and CUDA).
//
// Turns a runtime dtype or op into a template argument once per kernel call, so the
// per-element code is a constant op that the compiler inlines (and, on the CPU, vectorises);
// plus the shape checks every backend makes on its views. The op switches come from the op
// lists (gradlab/unary_ops.h, BinaryOp in gradlab/backend.h); neither has a default case, so
// -Wswitch flags an enum value that a switch misses.
#pragma once

#include <string>
#include <type_traits>

#include "gradlab/backend.h"
#include "gradlab/error.h"

namespace gradlab {
namespace common {

// "[2, 3]" for a view's logical shape, for error messages (view_checks.cpp).
std::string view_shape_str(const View& v);
// Throws ShapeError "<op>: <a_name> shape [..] vs <b_name> shape [..]" unless equal.
void check_same_shape(const char* op, const View& a, const char* a_name, const View& b,
                      const char* b_name);

// Calls f(T{}) with T = float or double; other dtypes are a DTypeError naming `op`.
template <class F>
void dispatch_float(DType dtype, const char* op, F&& f) {
  switch (dtype) {
    case DType::F32:
      f(float{});
      return;
    case DType::F64:
      f(double{});
      return;
    case DType::I64:
      break;
  }
  fail<DTypeError>(op, ": expected float32 or float64, got ", dtype_name(dtype));
}

// Calls f(T{}) with T = float, double or int64_t.
template <class F>
void dispatch_any(DType dtype, F&& f) {
  switch (dtype) {
    case DType::F32:
      f(float{});
      return;
    case DType::F64:
      f(double{});
      return;
    case DType::I64:
      f(int64_t{});
      return;
  }
}

template <UnaryOp OP>
using UnaryConst = std::integral_constant<UnaryOp, OP>;
template <BinaryOp OP>
using BinaryConst = std::integral_constant<BinaryOp, OP>;

// Calls f(std::integral_constant<UnaryOp, op>{}): the op becomes a compile-time constant
// inside f. One case per row of GRADLAB_UNARY_OPS.
template <class F>
void dispatch_unary_op(UnaryOp op, F&& f) {
  switch (op) {
#define GRADLAB_UNARY_CASE(Name, name, value) \
  case UnaryOp::Name:                         \
    return f(UnaryConst<UnaryOp::Name>{});
    GRADLAB_UNARY_OPS(GRADLAB_UNARY_CASE)
#undef GRADLAB_UNARY_CASE
  }
  fail<ValueError>("unary: unknown op ", static_cast<int>(op));
}

// (one row per op: kept as a table)
// clang-format off
template <class F>
void dispatch_binary_op(BinaryOp op, F&& f) {
  using B = BinaryOp;
  switch (op) {
    case B::Add: return f(BinaryConst<B::Add>{});
    case B::Sub: return f(BinaryConst<B::Sub>{});
    case B::Mul: return f(BinaryConst<B::Mul>{});
    case B::Div: return f(BinaryConst<B::Div>{});
    case B::Pow: return f(BinaryConst<B::Pow>{});
    case B::Maximum: return f(BinaryConst<B::Maximum>{});
    case B::Minimum: return f(BinaryConst<B::Minimum>{});
    case B::Gt: return f(BinaryConst<B::Gt>{});
    case B::Ge: return f(BinaryConst<B::Ge>{});
    case B::Lt: return f(BinaryConst<B::Lt>{});
    case B::Le: return f(BinaryConst<B::Le>{});
    case B::Eq: return f(BinaryConst<B::Eq>{});
  }
  fail<ValueError>("binary: unknown op ", static_cast<int>(op));
}
// clang-format on

}  // namespace common
}  // namespace gradlab
