// src/backend/cpu/cpu_kernels.h — internal to the CPU backend.
//
// Holds the kernel entry points that CpuBackend (cpu_backend.cpp) forwards to and the threaded
// elementwise driver parallel_rows. The loop nests and the dtype / op dispatch are shared with
// the CUDA backend (src/backend/common/); they are brought into namespace cpu here so the CPU
// kernels name them unqualified. Nothing here is public API.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>

#include "backend/common/dispatch.h"
#include "backend/common/loop_nest.h"
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

using common::check_same_shape;
using common::dispatch_any;
using common::dispatch_binary_op;
using common::dispatch_float;
using common::dispatch_unary_op;
using common::for_each_outer;
using common::for_each_outer_range;
using common::LoopNest;
using common::make_loop_nest;
using common::outer_count;
using common::view_shape_str;

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

}  // namespace cpu
}  // namespace gradlab
