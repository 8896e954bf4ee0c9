// src/backend/cuda/cuda_common.cuh — internal to the CUDA backend (built only with
// -DGRADLAB_CUDA=ON).
//
// Holds the error check that turns a CUDA status into a gradlab DeviceError, the launch
// geometry every kernel uses (grid-stride loops), the device-side walk of a collapsed loop
// nest (the same LoopNest the CPU kernels build: one definition of how strided views merge
// into as few dims as possible, src/backend/common/loop_nest.h), and the kernel entry points
// that CudaBackend (cuda_backend.cu) forwards to. Semantics of every entry point are those of
// gradlab::Backend; every pointer is device memory (index arrays included).
//
// Streams: everything runs on the legacy default stream, in order, so a kernel sees the
// results of the previous one and cudaMemcpy (synchronous) sees all of them.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "backend/common/dispatch.h"   // dtype / op dispatch, shape checks (host side)
#include "backend/common/loop_nest.h"  // LoopNest, make_loop_nest
#include "gradlab/backend.h"
#include "gradlab/error.h"

namespace gradlab {
namespace cuda {

// Throws DeviceError "cuda: <what>: <CUDA's message> (error N)" unless status is success.
void check(cudaError_t status, const char* what);
// After a kernel launch: launch errors (bad configuration, no kernel image for this GPU).
inline void check_launch(const char* kernel) { check(cudaGetLastError(), kernel); }

constexpr int kThreads = 256;  // threads per block of the elementwise kernels
// Blocks for n independent items with grid-stride loops: enough to fill any current GPU
// (132 SMs x 16 resident blocks on an H100/H200), never more than the items need.
inline unsigned blocks_for(int64_t n) {
  const int64_t want = (n + kThreads - 1) / kThreads;
  return static_cast<unsigned>(want < 1 ? 1 : (want > 8192 ? 8192 : want));
}

// Element offsets of linear index i (row-major over nest.shape) for each operand.
template <int N>
__device__ __forceinline__ void nest_offsets(const common::LoopNest<N>& nest, int64_t i,
                                             int64_t (&off)[N]) {
  for (int k = 0; k < N; ++k) off[k] = 0;
  for (int d = nest.ndim - 1; d >= 0; --d) {
    const int64_t size = nest.shape[d];
    const int64_t idx = i % size;
    i /= size;
    for (int k = 0; k < N; ++k) off[k] += idx * nest.strides[k][d];
  }
}

// ---- kernel entry points (cuda_elementwise.cu, cuda_reduce.cu, cuda_indexing.cu) ----------
void fill(const View& out, double value);
void copy(const View& src, const View& dst);
void unary(UnaryOp op, const View& x, const View& out, double param);
void binary(BinaryOp op, const View& a, const View& b, const View& out);
void reduce(ReduceOp op, const View& x, const View& out);
void im2col(const Conv2dGeometry& g, const void* x, void* cols, DType dtype, double pad_value);
void col2im(const Conv2dGeometry& g, const void* cols, void* x, DType dtype);
void gather(DType dtype, const void* src, int64_t outer, int64_t src_axis, int64_t inner,
            const int64_t* index, int64_t n_index, void* out);
void scatter_add(DType dtype, const void* src, int64_t outer, int64_t n_index, int64_t inner,
                 const int64_t* index, void* out, int64_t out_axis);
// C_b = beta * C_b for a batch of m x n blocks (row stride ldc, batch stride stride_c): GEMMs
// with an empty inner dimension (k = 0), which BLAS argument rules do not cover.
void scale_blocks(DType dtype, int64_t m, int64_t n, double beta, void* c, int64_t ldc,
                  int64_t stride_c, int64_t batch);

}  // namespace cuda
}  // namespace gradlab
