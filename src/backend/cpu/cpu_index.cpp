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
#include "cpu_kernels.h"

namespace gradlab {
namespace cpu {
namespace {

template <class T>
void gather_typed(const T* src, int64_t outer, int64_t src_axis, int64_t inner,
                  const int64_t* index, int64_t n_index, T* out) {
  for (int64_t o = 0; o < outer; ++o) {
    const T* s = src + o * src_axis * inner;
    T* d = out + o * n_index * inner;
    if (inner == 1) {
      for (int64_t i = 0; i < n_index; ++i) d[i] = s[index[i]];
      continue;
    }
    for (int64_t i = 0; i < n_index; ++i) {
      const T* run = s + index[i] * inner;
      T* dst = d + i * inner;
      for (int64_t j = 0; j < inner; ++j) dst[j] = run[j];
    }
  }
}

template <class T>
void scatter_add_typed(const T* src, int64_t outer, int64_t n_index, int64_t inner,
                       const int64_t* index, T* out, int64_t out_axis) {
  for (int64_t o = 0; o < outer; ++o) {
    const T* s = src + o * n_index * inner;
    T* d = out + o * out_axis * inner;
    if (inner == 1) {
      for (int64_t i = 0; i < n_index; ++i) d[index[i]] += s[i];
      continue;
    }
    for (int64_t i = 0; i < n_index; ++i) {
      T* run = d + index[i] * inner;
      const T* from = s + i * inner;
      for (int64_t j = 0; j < inner; ++j) run[j] += from[j];
    }
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
