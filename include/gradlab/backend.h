// gradlab/backend.h — the seam between tensors and the machines that run them.
//
// A backend owns memory and runs a small, fixed set of kernels on strided views.
// Everything above it (tensors, autograd, models, experiments) is written in terms
// of these kernels only and never mentions which backend runs. The CPU backend
// (native: OpenBLAS GEMM; WASM: hand-written wasm_simd128 GEMM) is always present;
// the CUDA backend is compiled only with -DGRADLAB_CUDA=ON.
//
// Conventions
//  - A View describes `ndim` dims of `shape`, element `strides` (may be 0 for
//    broadcast dims, or non-contiguous for permuted/sliced views), and `data`
//    pointing at the view's first element (offset already applied).
//  - Kernels write to `out` views that the caller allocated; unless stated, `out`
//    is contiguous and has exactly the logical shape of the result.
//  - Float kernels support F32 and F64; I64 is used only for indices (gather,
//    scatter_add) and for copy/fill.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "gradlab/unary_ops.h"

namespace gradlab {

enum class DType : uint8_t { F32, F64, I64 };
enum class Device : uint8_t { CPU, CUDA };

inline size_t dtype_size(DType t) { return t == DType::F32 ? 4 : 8; }
inline const char* dtype_name(DType t) {
  return t == DType::F32 ? "float32" : t == DType::F64 ? "float64" : "int64";
}
inline const char* device_name(Device d) { return d == Device::CPU ? "cpu" : "cuda"; }

constexpr int kMaxDims = 8;

struct View {
  void* data = nullptr;
  DType dtype = DType::F32;
  int ndim = 0;
  int64_t shape[kMaxDims] = {};
  int64_t strides[kMaxDims] = {};  // in elements

  int64_t numel() const {
    int64_t n = 1;
    for (int i = 0; i < ndim; ++i) n *= shape[i];
    return n;
  }
  bool is_contiguous() const {
    int64_t expect = 1;
    for (int i = ndim - 1; i >= 0; --i) {
      if (shape[i] != 1 && strides[i] != expect) return false;
      expect *= shape[i];
    }
    return true;
  }
};

// Elementwise functions of one argument: one row each in gradlab/unary_ops.h, which also
// gives each its scalar definition (apply_unary in scalar_ops.h, shared by every backend).
enum class UnaryOp : uint8_t {
#define GRADLAB_UNARY_ENUM(Name, name, value) Name,
  GRADLAB_UNARY_OPS(GRADLAB_UNARY_ENUM)
#undef GRADLAB_UNARY_ENUM
};

// Number of unary ops, and an op's name as in the list ("neg", "pow_scalar", ...).
#define GRADLAB_UNARY_COUNT(Name, name, value) +1
constexpr int kUnaryOpCount = 0 GRADLAB_UNARY_OPS(GRADLAB_UNARY_COUNT);
#undef GRADLAB_UNARY_COUNT
inline const char* unary_op_name(UnaryOp op) {
  switch (op) {
#define GRADLAB_UNARY_NAME(Name, name, value) \
  case UnaryOp::Name:                         \
    return name;
    GRADLAB_UNARY_OPS(GRADLAB_UNARY_NAME)
#undef GRADLAB_UNARY_NAME
  }
  return "unknown";
}

// Elementwise functions of two arguments (a and b already broadcast to out's shape).
enum class BinaryOp : uint8_t {
  Add,
  Sub,
  Mul,
  Div,
  Pow,
  Maximum,
  Minimum,
  Gt,  // comparisons produce 1 or 0 in the float dtype
  Ge,
  Lt,
  Le,
  Eq,
};

enum class ReduceOp : uint8_t { Sum, Max, Min };

// Parameters of im2col/col2im (2-D, NCHW).
struct Conv2dGeometry {
  int64_t n, c, h, w;     // input  [N, C, H, W]
  int64_t kh, kw;         // kernel size
  int64_t sh, sw;         // stride
  int64_t ph, pw;         // zero (or pad_value) padding on each side
  int64_t oh, ow;         // output spatial size
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual Device device() const = 0;
  virtual std::string name() const = 0;

  // ---- memory -------------------------------------------------------------
  virtual void* allocate(size_t bytes) = 0;  // 64-byte aligned; throws on failure
  virtual void deallocate(void* p, size_t bytes) = 0;
  virtual void copy_from_host(void* dst, const void* host_src, size_t bytes) = 0;
  virtual void copy_to_host(void* host_dst, const void* src, size_t bytes) = 0;
  // The most bytes this backend's tensors held at once since the process started, or -1 where
  // the backend does not track it (the CPU). summary.json reports it for runs on a GPU.
  virtual int64_t peak_allocated_bytes() const { return -1; }

  // ---- elementwise ----------------------------------------------------------
  // out[i] = value for every element of the (possibly strided) view.
  virtual void fill(const View& out, double value) = 0;
  // dst = src elementwise, same shape; both may be strided; converts dtype.
  virtual void copy(const View& src, const View& dst) = 0;
  // out = op(x); x may be strided, out contiguous, same shape. `param` is used by
  // PowScalar/AddScalar/MulScalar.
  virtual void unary(UnaryOp op, const View& x, const View& out, double param) = 0;
  // out = op(a, b); a and b have out's shape (broadcast dims have stride 0).
  virtual void binary(BinaryOp op, const View& a, const View& b, const View& out) = 0;

  // ---- reductions -----------------------------------------------------------
  // out has x's ndim with size 1 on the reduced axes (keepdim layout), contiguous.
  virtual void reduce(ReduceOp op, const View& x, const View& out) = 0;

  // ---- linear algebra -------------------------------------------------------
  // Batched row-major GEMM: for b in [0, batch):
  //   C_b = alpha * op(A_b) * op(B_b) + beta * C_b
  // op(A_b) is m x k (A_b stored k x m when trans_a), op(B_b) is k x n.
  // A_b = a + b * stride_a (elements), etc. lda/ldb/ldc are row strides.
  virtual void gemm(DType dtype, bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k,
                    double alpha, const void* a, int64_t lda, int64_t stride_a, const void* b,
                    int64_t ldb, int64_t stride_b, double beta, void* c, int64_t ldc,
                    int64_t stride_c, int64_t batch) = 0;

  // ---- convolution helpers (NCHW, contiguous) ---------------------------------
  // cols [N, C*kh*kw, oh*ow]; row index = (c*kh + i)*kw + j. Out-of-image taps read
  // `pad_value` (0 for conv, -inf for max-pool).
  virtual void im2col(const Conv2dGeometry& g, const void* x, void* cols, DType dtype,
                      double pad_value) = 0;
  // x [N, C, H, W] += fold(cols): the adjoint of im2col (x must be zeroed by caller).
  virtual void col2im(const Conv2dGeometry& g, const void* cols, void* x, DType dtype) = 0;

  // ---- indexing ---------------------------------------------------------------
  // `index` is in this backend's memory (device memory for CUDA), like src and out.
  // src viewed contiguous as [outer, src_axis, inner]; out [outer, n_index, inner]:
  // out[o, i, j] = src[o, index[i], j]. index values are checked by the caller.
  virtual void gather(DType dtype, const void* src, int64_t outer, int64_t src_axis,
                      int64_t inner, const int64_t* index, int64_t n_index, void* out) = 0;
  // The adjoint: out[o, index[i], j] += src[o, i, j] (out pre-filled by caller).
  virtual void scatter_add(DType dtype, const void* src, int64_t outer, int64_t n_index,
                           int64_t inner, const int64_t* index, void* out,
                           int64_t out_axis) = 0;
};

// The backend for a device (CPU always; CUDA throws DeviceError when not built
// in or when no GPU is present).
Backend& backend(Device device);
bool device_available(Device device);

}  // namespace gradlab
