// Convolution and pooling, NCHW (PyTorch layout), built on two linear primitives:
// unfold (im2col) and its adjoint fold (col2im). Each is the other's gradient, so
// conv2d = weight-matmul of unfold(x) is differentiable to any order.
//
// Shapes: x [N, C, H, W], weight [O, C, kh, kw], cols [N, C*kh*kw, OH*OW],
// OH = (H + 2*pad_h - kh) / stride_h + 1 (likewise OW).
#include <cmath>
#include <limits>

#include "ops/ops_internal.h"

namespace gradlab {

using namespace detail;

static Conv2dGeometry geometry(const Shape& image, int64_t kh, int64_t kw, const Conv2dOptions& o,
                               const char* op) {
  if (image.size() != 4)
    fail<ShapeError>(op, ": expected an NCHW input of rank 4, got ", shape_str(image));
  if (kh <= 0 || kw <= 0) fail<ValueError>(op, ": kernel size must be positive, got ", kh, "x", kw);
  if (o.stride_h <= 0 || o.stride_w <= 0)
    fail<ValueError>(op, ": stride must be positive, got ", o.stride_h, "x", o.stride_w);
  if (o.pad_h < 0 || o.pad_w < 0)
    fail<ValueError>(op, ": padding must be non-negative, got ", o.pad_h, "x", o.pad_w);
  Conv2dGeometry g{image[0], image[1], image[2], image[3], kh, kw, o.stride_h, o.stride_w,
                   o.pad_h,  o.pad_w,  0,        0};
  if (g.h + 2 * g.ph < kh || g.w + 2 * g.pw < kw)
    fail<ShapeError>(op, ": kernel ", kh, "x", kw, " is larger than the padded input ",
                     shape_str(image), " (padding ", g.ph, "x", g.pw, ")");
  g.oh = (g.h + 2 * g.ph - kh) / g.sh + 1;
  g.ow = (g.w + 2 * g.pw - kw) / g.sw + 1;
  return g;
}

Tensor unfold(const Tensor& x, int64_t kh, int64_t kw, const Conv2dOptions& opt,
              double pad_value) {
  check_float(x, "unfold");
  Conv2dGeometry g = geometry(x.shape(), kh, kw, opt, "unfold");
  Tensor src = x.contiguous();
  Tensor cols = empty({g.n, g.c * kh * kw, g.oh * g.ow}, x.dtype(), x.device());
  backend(x.device()).im2col(g, src.raw_data(), cols.raw_data(), x.dtype(), pad_value);
  Shape image = x.shape();
  return record("unfold", cols, {src}, [=](const BackwardContext&, const Tensor& gr) {
    return TensorList{fold(gr, image, kh, kw, opt)};
  });
}

Tensor fold(const Tensor& cols_in, const Shape& image, int64_t kh, int64_t kw,
            const Conv2dOptions& opt) {
  check_float(cols_in, "fold");
  Conv2dGeometry g = geometry(image, kh, kw, opt, "fold");
  Shape expect{g.n, g.c * kh * kw, g.oh * g.ow};
  if (cols_in.shape() != expect)
    fail<ShapeError>("fold: columns ", cols_in.shape_str(), " do not match ", shape_str(expect),
                     " for image ", shape_str(image), " and kernel ", kh, "x", kw);
  Tensor cols = cols_in.contiguous();
  Tensor x = zeros(image, cols.dtype(), cols.device());
  backend(cols.device()).col2im(g, cols.raw_data(), x.raw_data(), cols.dtype());
  return record("fold", x, {cols}, [=](const BackwardContext&, const Tensor& gr) {
    return TensorList{unfold(gr, kh, kw, opt, 0.0)};
  });
}

Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias, const Conv2dOptions& opt) {
  if (weight.dim() != 4)
    fail<ShapeError>("conv2d: weight must be [out_channels, in_channels, kh, kw], got ",
                     weight.shape_str());
  if (x.dim() != 4)
    fail<ShapeError>("conv2d: input must be NCHW [N, C, H, W], got ", x.shape_str());
  if (x.shape()[1] != weight.shape()[1])
    fail<ShapeError>("conv2d: input ", x.shape_str(), " has ", x.shape()[1],
                     " channels but weight ", weight.shape_str(), " expects ", weight.shape()[1]);
  check_same(x, weight, "conv2d");
  int64_t o = weight.shape()[0], kh = weight.shape()[2], kw = weight.shape()[3];
  Tensor cols = unfold(x, kh, kw, opt);                         // [N, C*kh*kw, L]
  Tensor w2 = reshape(weight, {o, -1});                         // [O, C*kh*kw]
  Tensor y = matmul(w2, cols);                                  // [N, O, L]
  Conv2dGeometry g = geometry(x.shape(), kh, kw, opt, "conv2d");
  y = reshape(y, {g.n, o, g.oh, g.ow});
  if (bias.defined()) {
    if (bias.dim() != 1 || bias.shape()[0] != o)
      fail<ShapeError>("conv2d: bias ", bias.shape_str(), " does not match weight ",
                       weight.shape_str(), " (expected [", o, "])");
    y = add(y, reshape(bias, {1, o, 1, 1}));
  }
  return y;
}

static Tensor pool(const Tensor& x, int64_t kernel, int64_t stride, int64_t padding, bool is_max) {
  const char* name = is_max ? "max_pool2d" : "avg_pool2d";
  check_float(x, name);
  if (x.dim() != 4) fail<ShapeError>(name, ": expected NCHW input of rank 4, got ", x.shape_str());
  if (stride <= 0) stride = kernel;
  if (padding * 2 > kernel)
    fail<ValueError>(name, ": padding ", padding, " must be at most half the kernel size ", kernel);
  int64_t n = x.shape()[0], c = x.shape()[1], h = x.shape()[2], w = x.shape()[3];
  Conv2dOptions opt{stride, stride, padding, padding};
  // Pool each channel independently: view [N, C, H, W] as [N*C, 1, H, W].
  double pad = is_max ? -std::numeric_limits<double>::infinity() : 0.0;
  Tensor cols = unfold(reshape(x, {n * c, 1, h, w}), kernel, kernel, opt, pad);  // [NC, k*k, L]
  // avg: PyTorch's default count_include_pad=True divides by k*k everywhere.
  Tensor r = is_max ? max(cols, {1}) : mean(cols, {1});  // [NC, L]
  Conv2dGeometry g = geometry({n * c, 1, h, w}, kernel, kernel, opt, name);
  return reshape(r, {n, c, g.oh, g.ow});
}

Tensor max_pool2d(const Tensor& x, int64_t kernel, int64_t stride, int64_t padding) {
  return pool(x, kernel, stride, padding, true);
}
Tensor avg_pool2d(const Tensor& x, int64_t kernel, int64_t stride, int64_t padding) {
  return pool(x, kernel, stride, padding, false);
}

}  // namespace gradlab
