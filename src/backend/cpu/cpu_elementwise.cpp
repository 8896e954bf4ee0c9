// src/backend/cpu/cpu_elementwise.cpp — fill, unary and binary kernels on strided views.
//
// Each call (1) checks shapes/dtypes, (2) collapses the operands' dims into a LoopNest
// (src/backend/common/loop_nest.h), (3) turns the runtime dtype and op into template arguments
// once (src/backend/common/dispatch.h), and (4) walks the outer dims, running a row kernel
// over the innermost dim. The row kernels pick the unit-stride / broadcast-scalar variant per
// row with one branch, and every variant is a plain counted loop over apply_unary /
// apply_binary (scalar_ops.h) with a constant op, which the compiler inlines and vectorises
// (AVX natively, simd128 in WASM) for the arithmetic ops. Transcendentals stay per-element libm
// calls, so every backend computes the same function.
//
// Aliasing: out may be the same memory as an input with the same strides (in-place
// updates); the loops read element i before writing element i, so that is safe.
//
// Threads: parallel_rows (cpu_kernels.h) splits large calls into ranges of output elements;
// each element is computed by the same code whatever the split, so results do not depend on
// the thread count.

#include "cpu_kernels.h"
#include "gradlab/scalar_ops.h"

namespace gradlab {
namespace cpu {

// ---- fill -------------------------------------------------------------------------

void fill(const View& out, double value) {
  if (out.numel() == 0) return;
  const int64_t* strides[1] = {out.strides};
  const LoopNest<1> nest = make_loop_nest<1>(out.ndim, out.shape, strides);
  dispatch_any(out.dtype, [&](auto tag) {
    using T = decltype(tag);
    T* base = static_cast<T*>(out.data);
    const T v = static_cast<T>(value);
    const int64_t s = nest.inner_stride(0);
    parallel_rows(nest, [&](const int64_t* off, int64_t i0, int64_t i1) {
      T* o = base + off[0] + i0 * s;
      const int64_t n = i1 - i0;
      if (s == 1) {
        for (int64_t i = 0; i < n; ++i) o[i] = v;
      } else {
        for (int64_t i = 0; i < n; ++i) o[i * s] = v;
      }
    });
  });
}

// ---- unary ------------------------------------------------------------------------

// o[i*so] = op(x[i*sx]) for i < n.
template <class T, UnaryOp OP>
void unary_row(int64_t n, const T* x, int64_t sx, T* o, int64_t so, T p) {
  if (so == 1 && sx == 1) {
    for (int64_t i = 0; i < n; ++i) o[i] = apply_unary<T>(OP, x[i], p);
  } else if (so == 1 && sx == 0) {  // x broadcast along the row
    const T v = apply_unary<T>(OP, x[0], p);
    for (int64_t i = 0; i < n; ++i) o[i] = v;
  } else {
    for (int64_t i = 0; i < n; ++i) o[i * so] = apply_unary<T>(OP, x[i * sx], p);
  }
}

void unary(UnaryOp op, const View& x, const View& out, double param) {
  check_same_shape("unary", x, "x", out, "out");
  if (x.dtype != out.dtype)
    fail<DTypeError>("unary: x is ", dtype_name(x.dtype), " but out is ", dtype_name(out.dtype));
  if (out.numel() == 0) return;
  const int64_t* strides[2] = {x.strides, out.strides};
  const LoopNest<2> nest = make_loop_nest<2>(out.ndim, out.shape, strides);
  dispatch_float(x.dtype, "unary", [&](auto tag) {
    using T = decltype(tag);
    const T* xb = static_cast<const T*>(x.data);
    T* ob = static_cast<T*>(out.data);
    const T p = static_cast<T>(param);
    const int64_t sx = nest.inner_stride(0), so = nest.inner_stride(1);
    dispatch_unary_op(op, [&](auto op_const) {
      constexpr UnaryOp OP = decltype(op_const)::value;
      parallel_rows(nest, [&](const int64_t* off, int64_t i0, int64_t i1) {
        unary_row<T, OP>(i1 - i0, xb + off[0] + i0 * sx, sx, ob + off[1] + i0 * so, so, p);
      });
    });
  });
}

// ---- binary -----------------------------------------------------------------------

// o[i*so] = op(a[i*sa], b[i*sb]) for i < n. The three unit/zero-stride variants cover
// same-shape, tensor-op-scalar, scalar-op-tensor, and (per row, after the loop-nest
// collapse) the row-broadcast [N,D] op [D] and column-broadcast [N,D] op [N,1] cases.
template <class T, BinaryOp OP>
void binary_row(int64_t n, const T* a, int64_t sa, const T* b, int64_t sb, T* o, int64_t so) {
  if (so == 1 && sa == 1 && sb == 1) {
    for (int64_t i = 0; i < n; ++i) o[i] = apply_binary<T>(OP, a[i], b[i]);
  } else if (so == 1 && sa == 1 && sb == 0) {
    const T bv = b[0];
    for (int64_t i = 0; i < n; ++i) o[i] = apply_binary<T>(OP, a[i], bv);
  } else if (so == 1 && sa == 0 && sb == 1) {
    const T av = a[0];
    for (int64_t i = 0; i < n; ++i) o[i] = apply_binary<T>(OP, av, b[i]);
  } else {
    for (int64_t i = 0; i < n; ++i) o[i * so] = apply_binary<T>(OP, a[i * sa], b[i * sb]);
  }
}

void binary(BinaryOp op, const View& a, const View& b, const View& out) {
  check_same_shape("binary", a, "a", out, "out");
  check_same_shape("binary", b, "b", out, "out");
  if (a.dtype != out.dtype || b.dtype != out.dtype)
    fail<DTypeError>("binary: dtypes differ: a ", dtype_name(a.dtype), ", b ", dtype_name(b.dtype),
                     ", out ", dtype_name(out.dtype));
  if (out.numel() == 0) return;
  const int64_t* strides[3] = {a.strides, b.strides, out.strides};
  const LoopNest<3> nest = make_loop_nest<3>(out.ndim, out.shape, strides);
  dispatch_float(out.dtype, "binary", [&](auto tag) {
    using T = decltype(tag);
    const T* ab = static_cast<const T*>(a.data);
    const T* bb = static_cast<const T*>(b.data);
    T* ob = static_cast<T*>(out.data);
    const int64_t sa = nest.inner_stride(0), sb = nest.inner_stride(1), so = nest.inner_stride(2);
    dispatch_binary_op(op, [&](auto op_const) {
      constexpr BinaryOp OP = decltype(op_const)::value;
      parallel_rows(nest, [&](const int64_t* off, int64_t i0, int64_t i1) {
        binary_row<T, OP>(i1 - i0, ab + off[0] + i0 * sa, sa, bb + off[1] + i0 * sb, sb,
                          ob + off[2] + i0 * so, so);
      });
    });
  });
}

}  // namespace cpu
}  // namespace gradlab
