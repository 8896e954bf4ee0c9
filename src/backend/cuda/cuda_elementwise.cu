// src/backend/cuda/cuda_elementwise.cu — fill, copy (with dtype conversion), unary and binary
// kernels on strided views, for the CUDA backend.
//
// Each call collapses its operands' dims with make_loop_nest, the CPU backend's too (so a
// contiguous tensor is one dim and a broadcast is a zero stride), turns the runtime dtype and
// op into template arguments once (src/backend/common/dispatch.h), and launches one
// grid-stride kernel in which thread i handles linear element i. The per-element functions
// are apply_unary / apply_binary from gradlab/scalar_ops.h, compiled for the device: one
// definition per scalar function for every backend. Device libm (expf, erff, ...) may differ
// from glibc in the last bit or two; with --fmad=false the arithmetic itself (tanh_f32's
// polynomial, sigmoid's division) rounds exactly as on the CPU.
//
// Aliasing: out may be an input with the same strides (in-place update): each thread reads
// element i before writing element i.
#include "cuda_common.cuh"
#include "gradlab/scalar_ops.h"

namespace gradlab {
namespace cuda {
namespace {

template <class T>
__global__ void fill_kernel(common::LoopNest<1> nest, int64_t n, T* out, T value) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n;
       i += int64_t(gridDim.x) * blockDim.x) {
    int64_t off[1];
    nest_offsets(nest, i, off);
    out[off[0]] = value;
  }
}

template <class S, class D>
__global__ void copy_kernel(common::LoopNest<2> nest, int64_t n, const S* src, D* dst) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n;
       i += int64_t(gridDim.x) * blockDim.x) {
    int64_t off[2];
    nest_offsets(nest, i, off);
    dst[off[1]] = static_cast<D>(src[off[0]]);  // float -> int64 truncates, as on the CPU
  }
}

template <class T, UnaryOp OP>
__global__ void unary_kernel(common::LoopNest<2> nest, int64_t n, const T* x, T* out, T p) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n;
       i += int64_t(gridDim.x) * blockDim.x) {
    int64_t off[2];
    nest_offsets(nest, i, off);
    out[off[1]] = apply_unary<T>(OP, x[off[0]], p);
  }
}

template <class T, BinaryOp OP>
__global__ void binary_kernel(common::LoopNest<3> nest, int64_t n, const T* a, const T* b, T* out) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n;
       i += int64_t(gridDim.x) * blockDim.x) {
    int64_t off[3];
    nest_offsets(nest, i, off);
    out[off[2]] = apply_binary<T>(OP, a[off[0]], b[off[1]]);
  }
}

}  // namespace

void fill(const View& out, double value) {
  const int64_t n = out.numel();
  if (n == 0) return;
  const int64_t* strides[1] = {out.strides};
  const common::LoopNest<1> nest = common::make_loop_nest<1>(out.ndim, out.shape, strides);
  common::dispatch_any(out.dtype, [&](auto tag) {
    using T = decltype(tag);
    fill_kernel<T>
        <<<blocks_for(n), kThreads>>>(nest, n, static_cast<T*>(out.data), static_cast<T>(value));
  });
  check_launch("fill");
}

void copy(const View& src, const View& dst) {
  common::check_same_shape("copy", src, "src", dst, "dst");
  const int64_t n = dst.numel();
  if (n == 0) return;
  const int64_t* strides[2] = {src.strides, dst.strides};
  const common::LoopNest<2> nest = common::make_loop_nest<2>(dst.ndim, dst.shape, strides);
  common::dispatch_any(src.dtype, [&](auto src_tag) {
    using S = decltype(src_tag);
    common::dispatch_any(dst.dtype, [&](auto dst_tag) {
      using D = decltype(dst_tag);
      copy_kernel<S, D><<<blocks_for(n), kThreads>>>(nest, n, static_cast<const S*>(src.data),
                                                     static_cast<D*>(dst.data));
    });
  });
  check_launch("copy");
}

void unary(UnaryOp op, const View& x, const View& out, double param) {
  common::check_same_shape("unary", x, "x", out, "out");
  if (x.dtype != out.dtype)
    fail<DTypeError>("unary: x is ", dtype_name(x.dtype), " but out is ", dtype_name(out.dtype));
  const int64_t n = out.numel();
  if (n == 0) return;
  const int64_t* strides[2] = {x.strides, out.strides};
  const common::LoopNest<2> nest = common::make_loop_nest<2>(out.ndim, out.shape, strides);
  common::dispatch_float(x.dtype, "unary", [&](auto tag) {
    using T = decltype(tag);
    common::dispatch_unary_op(op, [&](auto op_const) {
      constexpr UnaryOp OP = decltype(op_const)::value;
      unary_kernel<T, OP><<<blocks_for(n), kThreads>>>(
          nest, n, static_cast<const T*>(x.data), static_cast<T*>(out.data), static_cast<T>(param));
    });
  });
  check_launch("unary");
}

void binary(BinaryOp op, const View& a, const View& b, const View& out) {
  common::check_same_shape("binary", a, "a", out, "out");
  common::check_same_shape("binary", b, "b", out, "out");
  if (a.dtype != out.dtype || b.dtype != out.dtype)
    fail<DTypeError>("binary: dtypes differ: a ", dtype_name(a.dtype), ", b ", dtype_name(b.dtype),
                     ", out ", dtype_name(out.dtype));
  const int64_t n = out.numel();
  if (n == 0) return;
  const int64_t* strides[3] = {a.strides, b.strides, out.strides};
  const common::LoopNest<3> nest = common::make_loop_nest<3>(out.ndim, out.shape, strides);
  common::dispatch_float(out.dtype, "binary", [&](auto tag) {
    using T = decltype(tag);
    common::dispatch_binary_op(op, [&](auto op_const) {
      constexpr BinaryOp OP = decltype(op_const)::value;
      binary_kernel<T, OP><<<blocks_for(n), kThreads>>>(nest, n, static_cast<const T*>(a.data),
                                                        static_cast<const T*>(b.data),
                                                        static_cast<T*>(out.data));
    });
  });
  check_launch("binary");
}

}  // namespace cuda
}  // namespace gradlab
