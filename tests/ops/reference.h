// reference.h — naive float64 reference implementations for the op table.
//
// Each function is written as plain loops over row-major flat arrays (never with gradlab ops),
// so a row's reference shares no code with the implementation it checks. Shapes follow the
// PyTorch conventions of ops.h: broadcasting aligns trailing dims, NCHW images, weight
// [O, C, kh, kw], Linear weight [out, in].
//
// Dimension legend: N batch, C channels, H/W image height/width, O output channels,
// KH/KW kernel size, OH/OW output size, L = OH*OW column count.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

namespace gradlab::reference {

using Values = std::vector<double>;
using Dims = std::vector<int64_t>;  // a shape, a multi-index or a list of axes

inline int64_t numel(const Dims& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

// Row-major multi-index of position `flat` in `shape`.
inline Dims unravel(int64_t flat, const Dims& shape) {
  Dims index(shape.size());
  for (int64_t i = static_cast<int64_t>(shape.size()) - 1; i >= 0; --i) {
    index[i] = flat % shape[i];
    flat /= shape[i];
  }
  return index;
}

inline int64_t ravel(const Dims& index, const Dims& shape) {
  int64_t flat = 0;
  for (size_t i = 0; i < shape.size(); ++i) flat = flat * shape[i] + index[i];
  return flat;
}

// Flat position read from a tensor of shape `s` broadcast to a result whose multi-index is
// `index` (rank >= s's rank): trailing dims align, size-1 dims repeat.
inline int64_t broadcast_ravel(const Dims& index, const Dims& s) {
  size_t lead = index.size() - s.size();
  int64_t flat = 0;
  for (size_t i = 0; i < s.size(); ++i) flat = flat * s[i] + (s[i] == 1 ? 0 : index[lead + i]);
  return flat;
}

// Broadcast result shape (the inputs are assumed compatible: the tables only use valid ones).
inline Dims broadcast_shape(const Dims& a, const Dims& b) {
  size_t n = std::max(a.size(), b.size());
  Dims out(n);
  for (size_t i = 0; i < n; ++i) {
    int64_t da = i < n - a.size() ? 1 : a[i - (n - a.size())];
    int64_t db = i < n - b.size() ? 1 : b[i - (n - b.size())];
    out[i] = da == 1 ? db : da;
  }
  return out;
}

template <class F>
Values map(const Values& x, F f) {
  Values out(x.size());
  for (size_t i = 0; i < x.size(); ++i) out[i] = f(x[i]);
  return out;
}

// f applied to a and b broadcast against each other.
template <class F>
Values zip(const Values& a, const Dims& sa, const Values& b, const Dims& sb, F f) {
  Dims shape = broadcast_shape(sa, sb);
  Values out(static_cast<size_t>(numel(shape)));
  for (int64_t i = 0; i < numel(shape); ++i) {
    Dims index = unravel(i, shape);
    out[i] = f(a[broadcast_ravel(index, sa)], b[broadcast_ravel(index, sb)]);
  }
  return out;
}

// Reduction over `axes` (non-negative): the result lists the kept positions in row-major order,
// which is the same flat layout with or without keepdim.
template <class F>
Values reduce(const Values& x, const Dims& shape, const Dims& axes, double init, F combine) {
  Dims kept = shape;
  for (int64_t a : axes) kept[a] = 1;
  Values out(static_cast<size_t>(numel(kept)), init);
  for (int64_t i = 0; i < numel(shape); ++i) {
    Dims index = unravel(i, shape);
    for (int64_t a : axes) index[a] = 0;
    double& slot = out[ravel(index, kept)];
    slot = combine(slot, x[i]);
  }
  return out;
}

inline Values reduce_sum(const Values& x, const Dims& shape, const Dims& axes) {
  return reduce(x, shape, axes, 0.0, [](double s, double v) { return s + v; });
}
inline Values reduce_mean(const Values& x, const Dims& shape, const Dims& axes) {
  int64_t count = 1;
  for (int64_t a : axes) count *= shape[a];
  return map(reduce_sum(x, shape, axes), [count](double s) { return s / double(count); });
}
inline Values reduce_max(const Values& x, const Dims& shape, const Dims& axes) {
  return reduce(x, shape, axes, -std::numeric_limits<double>::infinity(),
                [](double m, double v) { return std::max(m, v); });
}
inline Values reduce_min(const Values& x, const Dims& shape, const Dims& axes) {
  return reduce(x, shape, axes, std::numeric_limits<double>::infinity(),
                [](double m, double v) { return std::min(m, v); });
}

// out[i0, .., ik] = x[j] with j[order[d]] = i[d].
inline Values permute(const Values& x, const Dims& shape, const Dims& order) {
  Dims out_shape(order.size());
  for (size_t d = 0; d < order.size(); ++d) out_shape[d] = shape[order[d]];
  Values out(x.size());
  for (int64_t i = 0; i < numel(out_shape); ++i) {
    Dims oi = unravel(i, out_shape), src(shape.size());
    for (size_t d = 0; d < order.size(); ++d) src[order[d]] = oi[d];
    out[i] = x[ravel(src, shape)];
  }
  return out;
}

// Elements start, start+step, ... < end along `axis` (start already non-negative).
inline Values slice(const Values& x, const Dims& shape, int64_t axis, int64_t start, int64_t end,
                    int64_t step) {
  Values out;
  for (int64_t i = 0; i < numel(shape); ++i) {
    int64_t p = unravel(i, shape)[axis];
    if (p >= start && p < end && (p - start) % step == 0) out.push_back(x[i]);
  }
  return out;
}

// Rows of x along `axis` taken in the order of `index` (repeats allowed).
inline Values index_select(const Values& x, const Dims& shape, int64_t axis, const Dims& index) {
  Dims out_shape = shape;
  out_shape[axis] = static_cast<int64_t>(index.size());
  Values out(static_cast<size_t>(numel(out_shape)));
  for (int64_t i = 0; i < numel(out_shape); ++i) {
    Dims oi = unravel(i, out_shape);
    oi[axis] = index[oi[axis]];
    out[i] = x[ravel(oi, shape)];
  }
  return out;
}

// torch.matmul: batch dims broadcast; a 1-D left operand is a row, a 1-D right one a column
// (their unit dims are then dropped, which does not change the flat layout).
inline Values matmul(const Values& a, Dims sa, const Values& b, Dims sb) {
  if (sa.size() == 1) sa.insert(sa.begin(), 1);
  if (sb.size() == 1) sb.push_back(1);
  int64_t m = sa[sa.size() - 2], k = sa.back(), n = sb.back();
  Dims batch_a(sa.begin(), sa.end() - 2), batch_b(sb.begin(), sb.end() - 2);
  Dims batch = broadcast_shape(batch_a, batch_b);
  Values out(static_cast<size_t>(numel(batch) * m * n), 0.0);
  for (int64_t bi = 0; bi < numel(batch); ++bi) {
    Dims index = unravel(bi, batch);
    int64_t ia = broadcast_ravel(index, batch_a), ib = broadcast_ravel(index, batch_b);
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        double s = 0.0;
        for (int64_t p = 0; p < k; ++p) s += a[(ia * m + i) * k + p] * b[(ib * k + p) * n + j];
        out[(bi * m + i) * n + j] = s;
      }
  }
  return out;
}

// 2-D transpose of a [rows, cols] matrix.
inline Values transpose2d(const Values& x, int64_t rows, int64_t cols) {
  return permute(x, {rows, cols}, {1, 0});
}

struct Window {
  int64_t kh, kw, sh = 1, sw = 1, ph = 0, pw = 0;
  int64_t out_h(int64_t h) const { return (h + 2 * ph - kh) / sh + 1; }
  int64_t out_w(int64_t w) const { return (w + 2 * pw - kw) / sw + 1; }
};

// x [N, C, H, W] -> cols [N, C*KH*KW, OH*OW]; positions in the padding read pad_value.
inline Values unfold(const Values& x, const Dims& xs, const Window& g, double pad_value = 0.0) {
  int64_t n = xs[0], c = xs[1], h = xs[2], w = xs[3], oh = g.out_h(h), ow = g.out_w(w);
  int64_t rows = c * g.kh * g.kw, cols = oh * ow;
  Values out(static_cast<size_t>(n * rows * cols));
  for (int64_t b = 0; b < n; ++b)
    for (int64_t ch = 0; ch < c; ++ch)
      for (int64_t i = 0; i < g.kh; ++i)
        for (int64_t j = 0; j < g.kw; ++j)
          for (int64_t y = 0; y < oh; ++y)
            for (int64_t z = 0; z < ow; ++z) {
              int64_t iy = y * g.sh - g.ph + i, iz = z * g.sw - g.pw + j;
              bool inside = iy >= 0 && iy < h && iz >= 0 && iz < w;
              int64_t row = (ch * g.kh + i) * g.kw + j;
              out[(b * rows + row) * cols + y * ow + z] =
                  inside ? x[((b * c + ch) * h + iy) * w + iz] : pad_value;
            }
  return out;
}

// The adjoint of unfold: cols [N, C*KH*KW, OH*OW] summed back into an image [N, C, H, W].
inline Values fold(const Values& cols_in, const Dims& image, const Window& g) {
  int64_t n = image[0], c = image[1], h = image[2], w = image[3], oh = g.out_h(h), ow = g.out_w(w);
  int64_t rows = c * g.kh * g.kw, cols = oh * ow;
  Values out(static_cast<size_t>(numel(image)), 0.0);
  for (int64_t b = 0; b < n; ++b)
    for (int64_t ch = 0; ch < c; ++ch)
      for (int64_t i = 0; i < g.kh; ++i)
        for (int64_t j = 0; j < g.kw; ++j)
          for (int64_t y = 0; y < oh; ++y)
            for (int64_t z = 0; z < ow; ++z) {
              int64_t iy = y * g.sh - g.ph + i, iz = z * g.sw - g.pw + j;
              if (iy < 0 || iy >= h || iz < 0 || iz >= w) continue;
              int64_t row = (ch * g.kh + i) * g.kw + j;
              out[((b * c + ch) * h + iy) * w + iz] +=
                  cols_in[(b * rows + row) * cols + y * ow + z];
            }
  return out;
}

// Direct convolution (cross-correlation, as PyTorch): x [N, C, H, W], weight [O, C, KH, KW],
// bias [O] or null -> [N, O, OH, OW].
inline Values conv2d(const Values& x, const Dims& xs, const Values& weight, const Dims& ws,
                     const Values* bias, int64_t sh, int64_t sw, int64_t ph, int64_t pw) {
  int64_t n = xs[0], c = xs[1], h = xs[2], w = xs[3], o = ws[0], kh = ws[2], kw = ws[3];
  Window g{kh, kw, sh, sw, ph, pw};
  int64_t oh = g.out_h(h), ow = g.out_w(w);
  Values out(static_cast<size_t>(n * o * oh * ow));
  for (int64_t b = 0; b < n; ++b)
    for (int64_t oc = 0; oc < o; ++oc)
      for (int64_t y = 0; y < oh; ++y)
        for (int64_t z = 0; z < ow; ++z) {
          double s = bias ? (*bias)[oc] : 0.0;
          for (int64_t ch = 0; ch < c; ++ch)
            for (int64_t i = 0; i < kh; ++i)
              for (int64_t j = 0; j < kw; ++j) {
                int64_t iy = y * sh - ph + i, iz = z * sw - pw + j;
                if (iy < 0 || iy >= h || iz < 0 || iz >= w) continue;
                s +=
                    x[((b * c + ch) * h + iy) * w + iz] * weight[((oc * c + ch) * kh + i) * kw + j];
              }
          out[((b * o + oc) * oh + y) * ow + z] = s;
        }
  return out;
}

// Max or average pooling of x [N, C, H, W], square kernel; average divides by k*k including
// padded positions (PyTorch's count_include_pad=True), max ignores the padding.
inline Values pool2d(const Values& x, const Dims& xs, int64_t k, int64_t s, int64_t p,
                     bool is_max) {
  int64_t n = xs[0], c = xs[1], h = xs[2], w = xs[3];
  Window g{k, k, s, s, p, p};
  int64_t oh = g.out_h(h), ow = g.out_w(w);
  Values out;
  for (int64_t b = 0; b < n * c; ++b)
    for (int64_t y = 0; y < oh; ++y)
      for (int64_t z = 0; z < ow; ++z) {
        double acc = is_max ? -std::numeric_limits<double>::infinity() : 0.0;
        for (int64_t i = 0; i < k; ++i)
          for (int64_t j = 0; j < k; ++j) {
            int64_t iy = y * s - p + i, iz = z * s - p + j;
            if (iy < 0 || iy >= h || iz < 0 || iz >= w) continue;
            double v = x[(b * h + iy) * w + iz];
            acc = is_max ? std::max(acc, v) : acc + v;
          }
        out.push_back(is_max ? acc : acc / double(k * k));
      }
  return out;
}

// softmax or log-softmax along `axis` (non-negative), computed with the max subtracted.
inline Values softmax(const Values& x, const Dims& shape, int64_t axis, bool log_form) {
  int64_t outer = 1, inner = 1, len = shape[axis];
  for (int64_t i = 0; i < axis; ++i) outer *= shape[i];
  for (size_t i = axis + 1; i < shape.size(); ++i) inner *= shape[i];
  Values out(x.size());
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t j = 0; j < inner; ++j) {
      auto at = [&](int64_t t) { return (o * len + t) * inner + j; };
      double m = -std::numeric_limits<double>::infinity(), z = 0.0;
      for (int64_t t = 0; t < len; ++t) m = std::max(m, x[at(t)]);
      for (int64_t t = 0; t < len; ++t) z += std::exp(x[at(t)] - m);
      for (int64_t t = 0; t < len; ++t)
        out[at(t)] = log_form ? x[at(t)] - m - std::log(z) : std::exp(x[at(t)] - m) / z;
    }
  return out;
}

// Layer norm over the trailing `group` elements: (x - mean) / sqrt(biased var + eps) * w + b.
inline Values layer_norm(const Values& x, int64_t group, const Values* weight, const Values* bias,
                         double eps) {
  Values out(x.size());
  for (size_t start = 0; start < x.size(); start += group) {
    double mean = 0.0, var = 0.0;
    for (int64_t i = 0; i < group; ++i) mean += x[start + i];
    mean /= double(group);
    for (int64_t i = 0; i < group; ++i) var += (x[start + i] - mean) * (x[start + i] - mean);
    var /= double(group);
    for (int64_t i = 0; i < group; ++i) {
      double y = (x[start + i] - mean) / std::sqrt(var + eps);
      if (weight) y *= (*weight)[i];
      if (bias) y += (*bias)[i];
      out[start + i] = y;
    }
  }
  return out;
}

// Mean over rows of −Σₖ tₖ log softmax(z)ₖ for logits [N, K] and target weights [N, K].
inline Values cross_entropy_soft(const Values& logits, const Values& targets, int64_t n,
                                 int64_t k) {
  Values logp = softmax(logits, {n, k}, 1, true);
  double total = 0.0;
  for (int64_t i = 0; i < n * k; ++i) total -= targets[i] * logp[i];
  return {total / double(n)};
}

}  // namespace gradlab::reference
