// src/backend/cpu/cpu_conv.cpp — im2col / col2im for 2-D convolution and pooling (NCHW).
//
// Legend: N batch, C channels, H x W input, kh x kw kernel, sh/sw stride, ph/pw padding,
// oh x ow output. Layouts (contiguous):
//   x    [N, C, H, W]
//   cols [N, C*kh*kw, oh*ow]   row (c*kh + i)*kw + j, column oy*ow + ox
// cols[n, row, oy*ow + ox] = x[n, c, oy*sh - ph + i, ox*sw - pw + j] when that tap is
// inside the image, else pad_value (0 for convolution, -inf for max-pooling). col2im is
// the adjoint: it adds every in-image entry of cols back onto the tap it came from.
//
// For each (c, i, j) the in-image output columns form one interval [lo, hi) of ox,
// computed once, so the inner loop over ox has no bounds tests and, for sw == 1, is a
// unit-stride copy (im2col) or add (col2im) that the compiler vectorises.
#include <algorithm>

#include "cpu_kernels.h"

namespace gradlab {
namespace cpu {
namespace {

void check_geometry(const char* op, const Conv2dGeometry& g) {
  if (g.n < 0 || g.c < 0 || g.h < 0 || g.w < 0 || g.kh < 1 || g.kw < 1 || g.sh < 1 || g.sw < 1 ||
      g.ph < 0 || g.pw < 0 || g.oh < 0 || g.ow < 0)
    fail<ValueError>(op, ": invalid geometry: input [", g.n, ", ", g.c, ", ", g.h, ", ", g.w,
                     "], kernel ", g.kh, "x", g.kw, ", stride ", g.sh, "x", g.sw, ", padding ",
                     g.ph, "x", g.pw, ", output ", g.oh, "x", g.ow);
}

// The ox interval [lo, hi) whose tap ix = ox*sw - pw + j lies in [0, w):
// ix >= 0 <=> ox >= ceil((pw - j) / sw);  ix <= w - 1 <=> ox <= floor((w - 1 + pw - j) / sw).
void inside_columns(const Conv2dGeometry& g, int64_t j, int64_t& lo, int64_t& hi) {
  const int64_t first = g.pw - j;
  lo = first > 0 ? (first + g.sw - 1) / g.sw : 0;
  const int64_t last = g.w - 1 + g.pw - j;
  hi = last < 0 ? 0 : std::min(g.ow, last / g.sw + 1);
  lo = std::min(lo, g.ow);
  hi = std::max(hi, lo);
}

// Calls body(x_plane_offset, cols_row_offset, x_row_base, ox_lo, ox_hi) for every
// (n, c, i, j, oy) whose input row iy is inside the image, where the tap of column ox is
// x[x_plane_offset + x_row_base + ox*sw]; rows with iy outside call outside(cols_offset).
template <class Inside, class Outside>
void for_each_tap_row(const Conv2dGeometry& g, Inside&& inside, Outside&& outside) {
  const int64_t plane = g.h * g.w, ohw = g.oh * g.ow, kk = g.kh * g.kw;
  // Threads: whole (n, c) planes per task. Plane (n, c) of x and rows (n, c, *, *) of cols
  // belong to that plane alone, so col2im's additions never race and keep their serial order.
  auto planes = [&](int64_t begin, int64_t end) {
    for (int64_t nc = begin; nc < end; ++nc) {  // nc = n*C + c
      const int64_t x_plane = nc * plane;
      for (int64_t i = 0; i < g.kh; ++i)
        for (int64_t j = 0; j < g.kw; ++j) {
          int64_t lo, hi;
          inside_columns(g, j, lo, hi);
          const int64_t row = nc * kk + i * g.kw + j;  // = n*(C*kk) + (c*kh+i)*kw+j
          for (int64_t oy = 0; oy < g.oh; ++oy) {
            const int64_t iy = oy * g.sh - g.ph + i;
            const int64_t col = row * ohw + oy * g.ow;
            if (iy < 0 || iy >= g.h) {
              outside(col);
            } else {
              inside(x_plane + iy * g.w + j - g.pw, col, lo, hi);
            }
          }
        }
    }
  };
  parallel_for(g.n * g.c, std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(kk * ohw, 1)),
               planes);
}

template <class T>
void im2col_typed(const Conv2dGeometry& g, const T* x, T* cols, T pad) {
  const int64_t ow = g.ow, sw = g.sw;
  for_each_tap_row(
      g,
      [&](int64_t x_base, int64_t col, int64_t lo, int64_t hi) {
        T* d = cols + col;
        for (int64_t ox = 0; ox < lo; ++ox) d[ox] = pad;
        if (sw == 1 && hi > lo) {  // form the pointer at lo: x + x_base alone may precede x
          const T* s = x + (x_base + lo);
          for (int64_t k = 0; k < hi - lo; ++k) d[lo + k] = s[k];
        } else {
          for (int64_t ox = lo; ox < hi; ++ox) d[ox] = x[x_base + ox * sw];
        }
        for (int64_t ox = hi; ox < ow; ++ox) d[ox] = pad;
      },
      [&](int64_t col) { std::fill(cols + col, cols + col + ow, pad); });
}

template <class T>
void col2im_typed(const Conv2dGeometry& g, const T* cols, T* x) {
  const int64_t sw = g.sw;
  for_each_tap_row(
      g,
      [&](int64_t x_base, int64_t col, int64_t lo, int64_t hi) {
        const T* s = cols + col;
        if (sw == 1 && hi > lo) {
          T* d = x + (x_base + lo);
          for (int64_t k = 0; k < hi - lo; ++k) d[k] += s[lo + k];
        } else {
          for (int64_t ox = lo; ox < hi; ++ox) x[x_base + ox * sw] += s[ox];
        }
      },
      [](int64_t) {});  // padding taps have no input element to receive them
}

}  // namespace

void im2col(const Conv2dGeometry& g, const void* x, void* cols, DType dtype, double pad_value) {
  check_geometry("im2col", g);
  dispatch_float(dtype, "im2col", [&](auto tag) {
    using T = decltype(tag);
    im2col_typed<T>(g, static_cast<const T*>(x), static_cast<T*>(cols), static_cast<T>(pad_value));
  });
}

void col2im(const Conv2dGeometry& g, const void* cols, void* x, DType dtype) {
  check_geometry("col2im", g);
  dispatch_float(dtype, "col2im", [&](auto tag) {
    using T = decltype(tag);
    col2im_typed<T>(g, static_cast<const T*>(cols), static_cast<T*>(x));
  });
}

}  // namespace cpu
}  // namespace gradlab
