// src/backend/cuda/cuda_indexing.cu — im2col / col2im (convolution, pooling), gather /
// scatter_add (embeddings, index_select and its gradient), and the beta-scaling of GEMM
// outputs with k = 0, for the CUDA backend.
//
// Legend (as cpu_conv.cpp): N batch, C channels, H x W input, kh x kw kernel, sh/sw stride,
// ph/pw padding, oh x ow output.
//   x    [N, C, H, W]            contiguous
//   cols [N, C*kh*kw, oh*ow]     row (c*kh + i)*kw + j, column oy*ow + ox
// im2col: one thread per cols element (a pure gather). col2im: one thread per *x* element,
// which adds up the taps that read it in (i, j) order, the order in which the CPU loop adds
// them; no atomics, so no races and the same bits every run.
//
// gather/scatter_add view src/out as [outer, axis, inner] (cpu_index.cpp). scatter_add gives
// each thread one (o, j) column and walks the indices i in order: a repeated index adds its
// terms in the CPU's order, again without atomics. The index array is device memory.
#include "cuda_common.cuh"

namespace gradlab {
namespace cuda {
namespace {

#define GRADLAB_GRID_STRIDE(i, n)                                           \
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < (n); \
       i += int64_t(gridDim.x) * blockDim.x)

template <class T>
__global__ void im2col_kernel(Conv2dGeometry g, const T* x, T* cols, T pad) {
  const int64_t ohw = g.oh * g.ow, kk = g.kh * g.kw;
  const int64_t total = g.n * g.c * kk * ohw;
  GRADLAB_GRID_STRIDE(e, total) {
    const int64_t col = e % ohw, row = e / ohw;  // row = (n*C + c)*kk + i*kw + j
    const int64_t ox = col % g.ow, oy = col / g.ow;
    const int64_t tap = row % kk, nc = row / kk;
    const int64_t i = tap / g.kw, j = tap % g.kw;
    const int64_t iy = oy * g.sh - g.ph + i, ix = ox * g.sw - g.pw + j;
    const bool inside = iy >= 0 && iy < g.h && ix >= 0 && ix < g.w;
    cols[e] = inside ? x[(nc * g.h + iy) * g.w + ix] : pad;
  }
}

template <class T>
__global__ void col2im_kernel(Conv2dGeometry g, const T* cols, T* x) {
  const int64_t ohw = g.oh * g.ow, kk = g.kh * g.kw;
  const int64_t total = g.n * g.c * g.h * g.w;
  GRADLAB_GRID_STRIDE(e, total) {
    const int64_t ix = e % g.w, iy = (e / g.w) % g.h, nc = e / (g.w * g.h);
    T acc = x[e];
    for (int64_t i = 0; i < g.kh; ++i) {
      const int64_t ty = iy + g.ph - i;  // = oy * sh when this tap row reads iy
      if (ty < 0 || ty % g.sh != 0 || ty / g.sh >= g.oh) continue;
      const int64_t oy = ty / g.sh;
      for (int64_t j = 0; j < g.kw; ++j) {
        const int64_t tx = ix + g.pw - j;
        if (tx < 0 || tx % g.sw != 0 || tx / g.sw >= g.ow) continue;
        const int64_t ox = tx / g.sw;
        acc += cols[(nc * kk + i * g.kw + j) * ohw + oy * g.ow + ox];
      }
    }
    x[e] = acc;
  }
}

template <class T>
__global__ void gather_kernel(const T* src, int64_t outer, int64_t src_axis, int64_t inner,
                              const int64_t* index, int64_t n_index, T* out) {
  const int64_t total = outer * n_index * inner;
  GRADLAB_GRID_STRIDE(e, total) {
    const int64_t j = e % inner, i = (e / inner) % n_index, o = e / (inner * n_index);
    out[e] = src[(o * src_axis + index[i]) * inner + j];
  }
}

template <class T>
__global__ void scatter_add_kernel(const T* src, int64_t outer, int64_t n_index, int64_t inner,
                                   const int64_t* index, T* out, int64_t out_axis) {
  const int64_t columns = outer * inner;
  GRADLAB_GRID_STRIDE(e, columns) {
    const int64_t j = e % inner, o = e / inner;
    const T* s = src + o * n_index * inner + j;
    T* d = out + o * out_axis * inner + j;
    for (int64_t i = 0; i < n_index; ++i) d[index[i] * inner] += s[i * inner];
  }
}

template <class T>
__global__ void scale_kernel(int64_t m, int64_t n, T beta, T* c, int64_t ldc, int64_t stride_c,
                             int64_t batch) {
  const int64_t total = batch * m * n;
  GRADLAB_GRID_STRIDE(e, total) {
    const int64_t col = e % n, row = (e / n) % m, b = e / (m * n);
    T& v = c[b * stride_c + row * ldc + col];
    v = beta == T(0) ? T(0) : beta * v;  // BLAS: beta = 0 overwrites (NaNs do not survive)
  }
}

#undef GRADLAB_GRID_STRIDE

void check_geometry(const char* op, const Conv2dGeometry& g) {
  if (g.n < 0 || g.c < 0 || g.h < 0 || g.w < 0 || g.kh < 1 || g.kw < 1 || g.sh < 1 || g.sw < 1 ||
      g.ph < 0 || g.pw < 0 || g.oh < 0 || g.ow < 0)
    fail<ValueError>(op, ": invalid geometry: input [", g.n, ", ", g.c, ", ", g.h, ", ", g.w,
                     "], kernel ", g.kh, "x", g.kw, ", stride ", g.sh, "x", g.sw, ", padding ",
                     g.ph, "x", g.pw, ", output ", g.oh, "x", g.ow);
}

}  // namespace

void im2col(const Conv2dGeometry& g, const void* x, void* cols, DType dtype, double pad_value) {
  check_geometry("im2col", g);
  const int64_t total = g.n * g.c * g.kh * g.kw * g.oh * g.ow;
  if (total == 0) return;
  common::dispatch_float(dtype, "im2col", [&](auto tag) {
    using T = decltype(tag);
    im2col_kernel<T><<<blocks_for(total), kThreads>>>(
        g, static_cast<const T*>(x), static_cast<T*>(cols), static_cast<T>(pad_value));
  });
  check_launch("im2col");
}

void col2im(const Conv2dGeometry& g, const void* cols, void* x, DType dtype) {
  check_geometry("col2im", g);
  const int64_t total = g.n * g.c * g.h * g.w;
  if (total == 0) return;
  common::dispatch_float(dtype, "col2im", [&](auto tag) {
    using T = decltype(tag);
    col2im_kernel<T>
        <<<blocks_for(total), kThreads>>>(g, static_cast<const T*>(cols), static_cast<T*>(x));
  });
  check_launch("col2im");
}

void gather(DType dtype, const void* src, int64_t outer, int64_t src_axis, int64_t inner,
            const int64_t* index, int64_t n_index, void* out) {
  const int64_t total = outer * n_index * inner;
  if (total == 0) return;
  common::dispatch_any(dtype, [&](auto tag) {
    using T = decltype(tag);
    gather_kernel<T><<<blocks_for(total), kThreads>>>(static_cast<const T*>(src), outer, src_axis,
                                                      inner, index, n_index, static_cast<T*>(out));
  });
  check_launch("gather");
}

void scatter_add(DType dtype, const void* src, int64_t outer, int64_t n_index, int64_t inner,
                 const int64_t* index, void* out, int64_t out_axis) {
  const int64_t columns = outer * inner;
  if (columns == 0 || n_index == 0) return;
  common::dispatch_any(dtype, [&](auto tag) {
    using T = decltype(tag);
    scatter_add_kernel<T><<<blocks_for(columns), kThreads>>>(
        static_cast<const T*>(src), outer, n_index, inner, index, static_cast<T*>(out), out_axis);
  });
  check_launch("scatter_add");
}

void scale_blocks(DType dtype, int64_t m, int64_t n, double beta, void* c, int64_t ldc,
                  int64_t stride_c, int64_t batch) {
  const int64_t total = batch * m * n;
  if (total == 0) return;
  common::dispatch_float(dtype, "gemm", [&](auto tag) {
    using T = decltype(tag);
    scale_kernel<T><<<blocks_for(total), kThreads>>>(m, n, static_cast<T>(beta), static_cast<T*>(c),
                                                     ldc, stride_c, batch);
  });
  check_launch("gemm (k = 0)");
}

}  // namespace cuda
}  // namespace gradlab
