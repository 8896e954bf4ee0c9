// src/backend/cuda/cuda_reduce.cu — Sum / Max / Min over any set of axes on the GPU.
//
// Layout as gradlab::Backend::reduce: out has x's ndim with size 1 on the reduced axes. The host
// splits x's dims into kept dims (shape, x stride, out stride) and reduced dims (shape, x stride),
// dropping size-1 dims. Two kernels, chosen by shape, both with a fixed combination order (the
// same inputs give the same bits every run):
//   per_block  — one block per output element; its threads stride over the R reduced elements,
//                then combine in shared memory along a fixed tree. For long reductions (full
//                sums, row sums over many columns) and few outputs.
//   per_thread — one thread per output element, a serial loop over R. For many outputs with
//                short reductions (softmax over 10 classes, column sums over a few rows);
//                neighbouring threads read neighbouring outputs' elements, so loads coalesce
//                when the kept dim is the unit-stride one.
// Accuracy: sums accumulate in double for float32 and float64, as on the CPU (cpu_reduce.cpp);
// the order differs from the CPU's pairwise tree, so results agree to rounding, not bits.
// Max / Min propagate NaN like the CPU (and torch.max).
#include <vector>

#include "cuda_common.cuh"

namespace gradlab {
namespace cuda {
namespace {

struct ReduceGeometry {
  int n_kept = 0, n_red = 0;
  int64_t kept_shape[kMaxDims] = {}, kept_x[kMaxDims] = {}, kept_out[kMaxDims] = {};
  int64_t red_shape[kMaxDims] = {}, red_x[kMaxDims] = {};
  int64_t outputs = 1, reduced = 1;  // products of kept / reduced sizes
};

template <class T>
__device__ T infinity();
template <>
__device__ float infinity<float>() {
  return __int_as_float(0x7f800000);
}
template <>
__device__ double infinity<double>() {
  return __longlong_as_double(0x7ff0000000000000LL);
}

// Accumulator type, identity and combine rule, as the CPU's Reducer (cpu_reduce.cpp). Max/min
// use `|` on bools: a NaN (x != x) always wins and a NaN accumulator never loses.
template <ReduceOp OP, class T>
struct DeviceReducer;
template <class T>
struct DeviceReducer<ReduceOp::Sum, T> {
  using Acc = double;
  __device__ static Acc identity() { return 0.0; }
  __device__ static Acc combine(Acc a, Acc x) { return a + x; }
};
template <class T>
struct DeviceReducer<ReduceOp::Max, T> {
  using Acc = T;
  __device__ static Acc identity() { return -infinity<T>(); }
  __device__ static Acc combine(Acc a, Acc x) { return ((x > a) | (x != x)) ? x : a; }
};
template <class T>
struct DeviceReducer<ReduceOp::Min, T> {
  using Acc = T;
  __device__ static Acc identity() { return infinity<T>(); }
  __device__ static Acc combine(Acc a, Acc x) { return ((x < a) | (x != x)) ? x : a; }
};

// x offset of kept index `o` and reduced index `r`; out offset of `o`.
__device__ __forceinline__ int64_t kept_offset(const ReduceGeometry& g, int64_t o,
                                               int64_t* out_offset) {
  int64_t x_off = 0, o_off = 0;
  for (int d = g.n_kept - 1; d >= 0; --d) {
    const int64_t idx = o % g.kept_shape[d];
    o /= g.kept_shape[d];
    x_off += idx * g.kept_x[d];
    o_off += idx * g.kept_out[d];
  }
  *out_offset = o_off;
  return x_off;
}
__device__ __forceinline__ int64_t reduced_offset(const ReduceGeometry& g, int64_t r) {
  int64_t x_off = 0;
  for (int d = g.n_red - 1; d >= 0; --d) {
    x_off += (r % g.red_shape[d]) * g.red_x[d];
    r /= g.red_shape[d];
  }
  return x_off;
}

template <ReduceOp OP, class T>
__global__ void reduce_per_block(ReduceGeometry g, const T* x, T* out) {
  using R = DeviceReducer<OP, T>;
  using Acc = typename R::Acc;
  __shared__ Acc partial[kThreads];
  for (int64_t o = blockIdx.x; o < g.outputs; o += gridDim.x) {
    int64_t out_off;
    const int64_t base = kept_offset(g, o, &out_off);
    Acc acc = R::identity();
    for (int64_t r = threadIdx.x; r < g.reduced; r += blockDim.x)
      acc = R::combine(acc, static_cast<Acc>(x[base + reduced_offset(g, r)]));
    partial[threadIdx.x] = acc;
    __syncthreads();
    for (int width = kThreads / 2; width > 0; width /= 2) {  // fixed tree: deterministic
      if (threadIdx.x < width)
        partial[threadIdx.x] = R::combine(partial[threadIdx.x], partial[threadIdx.x + width]);
      __syncthreads();
    }
    if (threadIdx.x == 0) out[out_off] = static_cast<T>(partial[0]);
    __syncthreads();  // partial[] is reused by the next output
  }
}

template <ReduceOp OP, class T>
__global__ void reduce_per_thread(ReduceGeometry g, const T* x, T* out) {
  using R = DeviceReducer<OP, T>;
  using Acc = typename R::Acc;
  for (int64_t o = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; o < g.outputs;
       o += int64_t(gridDim.x) * blockDim.x) {
    int64_t out_off;
    const int64_t base = kept_offset(g, o, &out_off);
    Acc acc = R::identity();
    for (int64_t r = 0; r < g.reduced; ++r)
      acc = R::combine(acc, static_cast<Acc>(x[base + reduced_offset(g, r)]));
    out[out_off] = static_cast<T>(acc);
  }
}

template <ReduceOp OP, class T>
void launch(const ReduceGeometry& g, const T* x, T* out) {
  // Long reductions or few outputs: a block per output keeps every SM busy.
  if (g.reduced >= 1024 || g.outputs < 2048) {
    const unsigned blocks = static_cast<unsigned>(g.outputs < 65535 ? g.outputs : 65535);
    reduce_per_block<OP, T><<<blocks, kThreads>>>(g, x, out);
  } else {
    reduce_per_thread<OP, T><<<blocks_for(g.outputs), kThreads>>>(g, x, out);
  }
}

}  // namespace

void reduce(ReduceOp op, const View& x, const View& out) {
  if (x.ndim != out.ndim)
    fail<ShapeError>("reduce: x shape ", common::view_shape_str(x), " vs out shape ",
                     common::view_shape_str(out), " (keepdim layout needs equal ndim)");
  for (int d = 0; d < x.ndim; ++d)
    if (out.shape[d] != 1 && out.shape[d] != x.shape[d])
      fail<ShapeError>("reduce: out shape ", common::view_shape_str(out),
                       " does not match x shape ", common::view_shape_str(x),
                       " with size 1 on reduced axes");
  if (x.dtype != out.dtype)
    fail<DTypeError>("reduce: x is ", dtype_name(x.dtype), " but out is ", dtype_name(out.dtype));
  if (out.numel() == 0) return;
  if (x.numel() == 0) {
    if (op != ReduceOp::Sum)
      fail<ValueError>("reduce: max/min over an empty axis of x shape ", common::view_shape_str(x));
    fill(out, 0.0);
    return;
  }
  ReduceGeometry g;
  for (int d = 0; d < x.ndim; ++d) {
    if (x.shape[d] == 1) continue;
    if (out.shape[d] == 1) {
      g.red_shape[g.n_red] = x.shape[d];
      g.red_x[g.n_red++] = x.strides[d];
      g.reduced *= x.shape[d];
    } else {
      g.kept_shape[g.n_kept] = x.shape[d];
      g.kept_x[g.n_kept] = x.strides[d];
      g.kept_out[g.n_kept++] = out.strides[d];
      g.outputs *= x.shape[d];
    }
  }
  common::dispatch_float(x.dtype, "reduce", [&](auto tag) {
    using T = decltype(tag);
    const T* xb = static_cast<const T*>(x.data);
    T* ob = static_cast<T*>(out.data);
    switch (op) {
      case ReduceOp::Sum:
        return launch<ReduceOp::Sum, T>(g, xb, ob);
      case ReduceOp::Max:
        return launch<ReduceOp::Max, T>(g, xb, ob);
      case ReduceOp::Min:
        return launch<ReduceOp::Min, T>(g, xb, ob);
    }
  });
  check_launch("reduce");
}

}  // namespace cuda
}  // namespace gradlab
