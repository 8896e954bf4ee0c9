// src/backend/cpu/cpu_index.cpp — gather and its adjoint scatter_add along one axis.
//
// Both views are contiguous and read as three axes:
//   gather:      src [outer, src_axis, inner] -> out [outer, n_index, inner]
//                out[o, i, j] = src[o, index[i], j]
//   scatter_add: src [outer, n_index, inner]  -> out [outer, out_axis, inner]
//                out[o, index[i], j] += src[o, i, j]   (repeated indices accumulate)
// Used for embedding lookups, cross-entropy target picks and indexing with a list; the
// caller has checked every index against the axis length. Each (o, i) moves one
// contiguous run of `inner` elements; inner == 1 (picking classes) is a plain loop.
#include <algorithm>

#include "cpu_kernels.h"

namespace gradlab {
namespace cpu {
namespace {

// Threads: gather splits its output rows (o, i); scatter_add splits the outer index o, or,
// with fewer of those than threads, the inner columns j. A repeated index adds its runs in
// the order i within one task either way, so sums keep their serial order.
template <class T>
void gather_typed(const T* src, int64_t outer, int64_t src_axis, int64_t inner,
                  const int64_t* index, int64_t n_index, T* out) {
  parallel_for(outer * n_index, std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(inner, 1)),
               [&](int64_t begin, int64_t end) {
                 int64_t o = begin / n_index, i = begin % n_index;  // row r = o * n_index + i
                 for (int64_t r = begin; r < end; ++r) {
                   const T* run = src + (o * src_axis + index[i]) * inner;
                   T* dst = out + r * inner;
                   if (inner == 1) {
                     dst[0] = run[0];
                   } else {
                     for (int64_t j = 0; j < inner; ++j) dst[j] = run[j];
                   }
                   if (++i == n_index) {
                     i = 0;
                     ++o;
                   }
                 }
               });
}

template <class T>
void scatter_add_range(const T* src, int64_t o_begin, int64_t o_end, int64_t n_index, int64_t inner,
                       int64_t j_begin, int64_t j_end, const int64_t* index, T* out,
                       int64_t out_axis) {
  for (int64_t o = o_begin; o < o_end; ++o) {
    const T* s = src + o * n_index * inner;
    T* d = out + o * out_axis * inner;
    if (inner == 1) {
      for (int64_t i = 0; i < n_index; ++i) d[index[i]] += s[i];
      continue;
    }
    for (int64_t i = 0; i < n_index; ++i) {
      T* run = d + index[i] * inner;
      const T* from = s + i * inner;
      for (int64_t j = j_begin; j < j_end; ++j) run[j] += from[j];
    }
  }
}

template <class T>
void scatter_add_typed(const T* src, int64_t outer, int64_t n_index, int64_t inner,
                       const int64_t* index, T* out, int64_t out_axis) {
  const int64_t work = outer * n_index * inner;
  if (outer >= cpu_threads() || inner == 1 || plan_tasks(work, kParallelGrain) <= 1) {
    parallel_for(outer,
                 std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(n_index * inner, 1)),
                 [&](int64_t o0, int64_t o1) {
                   scatter_add_range(src, o0, o1, n_index, inner, 0, inner, index, out, out_axis);
                 });
  } else {
    parallel_for(inner,
                 std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(outer * n_index, 1)),
                 [&](int64_t j0, int64_t j1) {
                   scatter_add_range(src, 0, outer, n_index, inner, j0, j1, index, out, out_axis);
                 });
  }
}

}  // namespace

void gather(DType dtype, const void* src, int64_t outer, int64_t src_axis, int64_t inner,
            const int64_t* index, int64_t n_index, void* out) {
  dispatch_any(dtype, [&](auto tag) {
    using T = decltype(tag);
    gather_typed<T>(static_cast<const T*>(src), outer, src_axis, inner, index, n_index,
                    static_cast<T*>(out));
  });
}

void scatter_add(DType dtype, const void* src, int64_t outer, int64_t n_index, int64_t inner,
                 const int64_t* index, void* out, int64_t out_axis) {
  dispatch_any(dtype, [&](auto tag) {
    using T = decltype(tag);
    scatter_add_typed<T>(static_cast<const T*>(src), outer, n_index, inner, index,
                         static_cast<T*>(out), out_axis);
  });
}

}  // namespace cpu
}  // namespace gradlab
