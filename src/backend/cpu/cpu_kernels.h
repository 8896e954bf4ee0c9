// src/backend/cpu/cpu_kernels.h — internal to the CPU backend.
//
// Holds (1) the strided loop-nest machinery shared by the elementwise, copy and
// reduce kernels, (2) the dtype / op dispatch helpers that turn a runtime enum into
// a template argument once per call (so the per-element code is a constant op the
// compiler inlines and vectorises), and (3) the kernel entry points that CpuBackend
// (cpu_backend.cpp) forwards to. Nothing here is public API.
#pragma once

#include <cstdint>
#include <string>
#include <type_traits>
#include <utility>

#include "cpu_parallel.h"
#include "gradlab/backend.h"
#include "gradlab/error.h"
#include "gradlab/threads.h"

namespace gradlab {

Backend& cpu_backend();  // the process-wide CPU backend (cpu_backend.cpp)

namespace cpu {

// ---- kernel entry points (semantics as in gradlab::Backend) -------------------
void fill(const View& out, double value);  // cpu_elementwise.cpp
void unary(UnaryOp op, const View& x, const View& out, double param);
void binary(BinaryOp op, const View& a, const View& b, const View& out);
void copy(const View& src, const View& dst);               // cpu_copy.cpp
void reduce(ReduceOp op, const View& x, const View& out);  // cpu_reduce.cpp
void im2col(const Conv2dGeometry& g, const void* x, void* cols, DType dtype,
            double pad_value);  // cpu_conv.cpp
void col2im(const Conv2dGeometry& g, const void* cols, void* x, DType dtype);
void gather(DType dtype, const void* src, int64_t outer, int64_t src_axis, int64_t inner,
            const int64_t* index, int64_t n_index, void* out);  // cpu_index.cpp
void scatter_add(DType dtype, const void* src, int64_t outer, int64_t n_index, int64_t inner,
                 const int64_t* index, void* out, int64_t out_axis);

// "[2, 3]" for a view's logical shape, for error messages.
std::string view_shape_str(const View& v);
// Throws ShapeError "<op>: <a_name> shape [..] vs <b_name> shape [..]" unless equal.
void check_same_shape(const char* op, const View& a, const char* a_name, const View& b,
                      const char* b_name);

// ---- loop nests -----------------------------------------------------------------
// N operands that share one logical shape, each with its own element strides.
// make_loop_nest drops size-1 dims and merges each pair of adjacent dims that is
// contiguous with respect to every operand (outer stride == inner stride * inner
// size; stride-0 broadcast dims merge with each other). After that:
//   same-shape contiguous        -> 1 dim of numel, all strides 1
//   scalar broadcast  x op s     -> 1 dim, s's stride 0
//   row broadcast     [N,D]+[D]  -> 2 dims, b's strides (0, 1)
//   column broadcast  [N,D]+[N,1]-> 2 dims, b's strides (1, 0)
// so every fast path is "the innermost dim with unit or zero strides" and the outer
// dims are walked by for_each_outer. ndim is always >= 1 (a scalar is one dim of 1).
template <int N>
struct LoopNest {
  int ndim = 0;
  int64_t shape[kMaxDims] = {};
  int64_t strides[N][kMaxDims] = {};

  int64_t inner_size() const { return shape[ndim - 1]; }
  int64_t inner_stride(int operand) const { return strides[operand][ndim - 1]; }
};

template <int N>
LoopNest<N> make_loop_nest(int ndim, const int64_t* shape, const int64_t* const (&strides)[N]) {
  LoopNest<N> nest;
  for (int d = 0; d < ndim; ++d) {
    if (shape[d] == 1) continue;
    const int m = nest.ndim;
    bool merge = m > 0;
    for (int k = 0; k < N && merge; ++k) merge = nest.strides[k][m - 1] == strides[k][d] * shape[d];
    if (merge) {
      nest.shape[m - 1] *= shape[d];
      for (int k = 0; k < N; ++k) nest.strides[k][m - 1] = strides[k][d];
    } else {
      nest.shape[m] = shape[d];
      for (int k = 0; k < N; ++k) nest.strides[k][m] = strides[k][d];
      nest.ndim = m + 1;
    }
  }
  if (nest.ndim == 0) {  // every dim had size 1: one element
    nest.ndim = 1;
    nest.shape[0] = 1;
    for (int k = 0; k < N; ++k) nest.strides[k][0] = 0;
  }
  return nest;
}

// Calls body(offsets) for rows [begin, end) of the outer `nest.ndim - inner_dims` dims, in
// row-major order, where offsets[k] is operand k's element offset of that row. The odometer
// starts at `begin` (one division per dim) and then updates offsets incrementally.
template <int N, class Body>
void for_each_outer_range(const LoopNest<N>& nest, int inner_dims, int64_t begin, int64_t end,
                          Body&& body) {
  const int outer = nest.ndim - inner_dims;
  int64_t offset[N] = {};
  int64_t index[kMaxDims] = {};
  int64_t rest = begin;  // row-major: the last outer dim varies fastest
  for (int d = outer - 1; d >= 0; --d) {
    index[d] = rest % nest.shape[d];
    rest /= nest.shape[d];
    for (int k = 0; k < N; ++k) offset[k] += index[d] * nest.strides[k][d];
  }
  for (int64_t r = begin; r < end; ++r) {
    body(static_cast<const int64_t*>(offset));
    for (int d = outer - 1; d >= 0; --d) {
      if (++index[d] < nest.shape[d]) {
        for (int k = 0; k < N; ++k) offset[k] += nest.strides[k][d];
        break;
      }
      index[d] = 0;
      for (int k = 0; k < N; ++k) offset[k] -= nest.strides[k][d] * (nest.shape[d] - 1);
    }
  }
}

// Rows of the outer dims (product of their sizes).
template <int N>
int64_t outer_count(const LoopNest<N>& nest, int inner_dims) {
  int64_t count = 1;
  for (int d = 0; d < nest.ndim - inner_dims; ++d) count *= nest.shape[d];
  return count;
}

// Calls body(offsets) for every index of the outer `nest.ndim - inner_dims` dims in
// row-major order, where offsets[k] is operand k's element offset of that index.
template <int N, class Body>
void for_each_outer(const LoopNest<N>& nest, int inner_dims, Body&& body) {
  for_each_outer_range(nest, inner_dims, 0, outer_count(nest, inner_dims),
                       std::forward<Body>(body));
}

// The elementwise driver: calls row(offsets, i0, i1) for elements [i0, i1) of the innermost
// dim of every row, over all rows. Large work is split among threads (cpu_parallel.h): by rows
// when there are at least as many rows as threads, else each row's innermost dim in ranges.
// Either way each element is computed by the same serial code, so the split never shows in
// the results.
template <int N, class Row>
void parallel_rows(const LoopNest<N>& nest, Row&& row) {
  const int64_t n = nest.inner_size();
  const int64_t rows = outer_count(nest, 1);
  if (plan_tasks(rows * n, kParallelGrain) <= 1) {
    for_each_outer(nest, 1, [&](const int64_t* off) { row(off, int64_t{0}, n); });
  } else if (rows >= cpu_threads()) {
    parallel_for(rows, std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(n, 1)),
                 [&](int64_t begin, int64_t end) {
                   for_each_outer_range(nest, 1, begin, end,
                                        [&](const int64_t* off) { row(off, int64_t{0}, n); });
                 });
  } else {
    for_each_outer(nest, 1, [&](const int64_t* off) {
      parallel_for(n, kParallelGrain, [&](int64_t i0, int64_t i1) { row(off, i0, i1); });
    });
  }
}

// ---- dispatch ---------------------------------------------------------------------
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

// Calls f(std::integral_constant<UnaryOp, op>{}): the op becomes a compile-time
// constant inside f. No default case, so -Wswitch flags an op added to the enum
// but missing here.
// (one row per op: kept as a table)
// clang-format off
template <class F>
void dispatch_unary_op(UnaryOp op, F&& f) {
  using U = UnaryOp;
  switch (op) {
    case U::Neg: return f(UnaryConst<U::Neg>{});
    case U::Exp: return f(UnaryConst<U::Exp>{});
    case U::Log: return f(UnaryConst<U::Log>{});
    case U::Sqrt: return f(UnaryConst<U::Sqrt>{});
    case U::Abs: return f(UnaryConst<U::Abs>{});
    case U::Sign: return f(UnaryConst<U::Sign>{});
    case U::Tanh: return f(UnaryConst<U::Tanh>{});
    case U::Sigmoid: return f(UnaryConst<U::Sigmoid>{});
    case U::Relu: return f(UnaryConst<U::Relu>{});
    case U::Step: return f(UnaryConst<U::Step>{});
    case U::Erf: return f(UnaryConst<U::Erf>{});
    case U::Sin: return f(UnaryConst<U::Sin>{});
    case U::Cos: return f(UnaryConst<U::Cos>{});
    case U::Square: return f(UnaryConst<U::Square>{});
    case U::Reciprocal: return f(UnaryConst<U::Reciprocal>{});
    case U::PowScalar: return f(UnaryConst<U::PowScalar>{});
    case U::AddScalar: return f(UnaryConst<U::AddScalar>{});
    case U::MulScalar: return f(UnaryConst<U::MulScalar>{});
    case U::Log1p: return f(UnaryConst<U::Log1p>{});
    case U::Expm1: return f(UnaryConst<U::Expm1>{});
  }
  fail<ValueError>("unary: unknown op ", static_cast<int>(op));
}

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

}  // namespace cpu
}  // namespace gradlab
