// src/backend/common/loop_nest.h — internal to the backends (CPU and CUDA).
//
// How N strided operands of one logical shape are walked: make_loop_nest collapses their dims
// into as few as possible, and for_each_outer(_range) visits the outer dims in row-major order.
// One definition for every backend, so a broadcast or a permuted view becomes the same loops on
// the CPU and the same index arithmetic in a CUDA kernel (docs/design.md §6). Plain structs and
// templates only: the CUDA backend passes a LoopNest by value to its kernels.
#pragma once

#include <cstdint>
#include <utility>

#include "gradlab/backend.h"

namespace gradlab {
namespace common {

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

}  // namespace common
}  // namespace gradlab
