// gradlab/ops.h — differentiable tensor operations.
//
// Primitives (each with a backward rule written in these same ops, so they can be
// differentiated again): elementwise unary/binary with broadcasting, sum/max
// reductions, expand, reshape, permute, slice, concat, gather/scatter_add,
// matmul, unfold/fold (im2col/col2im). Everything else is composed of them:
// activations, softmax, losses, conv2d, pooling, layer-norm, dropout.
//
// Conventions follow PyTorch: NCHW images, Linear weight [out, in], negative axes
// count from the end, broadcasting aligns trailing dimensions.
#pragma once

#include <cstdint>
#include <vector>

#include "gradlab/tensor.h"

namespace gradlab {

class Rng;
using Axes = std::vector<int64_t>;

// ---- elementwise, binary (broadcasting) --------------------------------------------
Tensor add(const Tensor& a, const Tensor& b);
Tensor sub(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor div(const Tensor& a, const Tensor& b);
Tensor pow(const Tensor& a, const Tensor& b);  // a > 0 where b's gradient is needed
Tensor maximum(const Tensor& a, const Tensor& b);
Tensor minimum(const Tensor& a, const Tensor& b);
// Comparisons: 1/0 in a's dtype, never differentiable.
Tensor greater(const Tensor& a, const Tensor& b);
Tensor less(const Tensor& a, const Tensor& b);
Tensor equal(const Tensor& a, const Tensor& b);
// with a scalar (same dtype as the tensor)
Tensor add(const Tensor& a, double b);
Tensor sub(const Tensor& a, double b);
Tensor rsub(double a, const Tensor& b);  // a - b
Tensor mul(const Tensor& a, double b);
Tensor div(const Tensor& a, double b);
Tensor rdiv(double a, const Tensor& b);  // a / b
Tensor pow(const Tensor& a, double exponent);
// where(cond, a, b) = cond ? a : b, cond a 0/1 float tensor (not differentiated).
Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b);

// ---- elementwise, unary -------------------------------------------------------------
Tensor neg(const Tensor& x);
Tensor exp(const Tensor& x);
Tensor log(const Tensor& x);
Tensor log1p(const Tensor& x);
Tensor sqrt(const Tensor& x);
Tensor abs(const Tensor& x);
Tensor sign(const Tensor& x);  // not differentiable (zero gradient)
Tensor square(const Tensor& x);
Tensor sin(const Tensor& x);
Tensor cos(const Tensor& x);
Tensor erf(const Tensor& x);

// ---- activations ----------------------------------------------------------------------
Tensor relu(const Tensor& x);
Tensor tanh(const Tensor& x);
Tensor sigmoid(const Tensor& x);
Tensor elu(const Tensor& x, double alpha = 1.0);
Tensor gelu(const Tensor& x);  // exact (erf) form, PyTorch's default
Tensor silu(const Tensor& x);
Tensor softplus(const Tensor& x);  // log(1 + e^x), PyTorch beta=1 (stable form)

// ---- reductions -----------------------------------------------------------------------
// Empty axes = all axes.
Tensor sum(const Tensor& x, const Axes& axes = {}, bool keepdim = false);
Tensor mean(const Tensor& x, const Axes& axes = {}, bool keepdim = false);
Tensor max(const Tensor& x, const Axes& axes = {}, bool keepdim = false);
Tensor min(const Tensor& x, const Axes& axes = {}, bool keepdim = false);
// Sum x down to `shape` (the adjoint of broadcasting x from shape).
Tensor sum_to(const Tensor& x, const Shape& shape);
// Index of the maximum along an axis (int64, not differentiable).
Tensor argmax(const Tensor& x, int64_t axis);

// ---- shape ----------------------------------------------------------------------------
Tensor reshape(const Tensor& x, const Shape& shape);  // one -1 allowed
Tensor flatten(const Tensor& x, int64_t start_axis = 0, int64_t end_axis = -1);
Tensor permute(const Tensor& x, const Axes& order);
Tensor transpose(const Tensor& x, int64_t axis0, int64_t axis1);
Tensor unsqueeze(const Tensor& x, int64_t axis);
Tensor squeeze(const Tensor& x, int64_t axis);
// Broadcast view to `shape` (stride 0 on expanded axes).
Tensor expand(const Tensor& x, const Shape& shape);
// Elements start, start+step, ... < end along axis (step > 0).
Tensor slice(const Tensor& x, int64_t axis, int64_t start, int64_t end, int64_t step = 1);
// Zeros of `shape` with x written into the slice (the adjoint of slice).
Tensor slice_backward(const Tensor& x, const Shape& shape, int64_t axis, int64_t start,
                      int64_t end, int64_t step);
Tensor concat(const TensorList& xs, int64_t axis);
// x.index_select(axis, index): index is an int64 tensor of any shape (flattened).
Tensor index_select(const Tensor& x, int64_t axis, const Tensor& index);
// Zeros of `shape` with out[..., index[i], ...] += src[..., i, ...] along axis.
Tensor index_add(const Tensor& src, int64_t axis, const Tensor& index, const Shape& shape);
// Embedding lookup: weight [V, D], index (any shape, int64) -> index.shape + [D].
Tensor embedding(const Tensor& weight, const Tensor& index);

// ---- linear algebra -------------------------------------------------------------------
// Batched matmul with broadcasting of leading dims; 1-D operands as in torch.matmul.
// Transposed views (e.g. transpose(b, -1, -2)) are passed to GEMM without copying.
Tensor matmul(const Tensor& a, const Tensor& b);
// x [.., in] @ weight[out, in]^T + bias[out] (bias may be undefined).
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias);

// ---- convolution and pooling (NCHW) ---------------------------------------------------
struct Conv2dOptions {
  int64_t stride_h = 1, stride_w = 1;
  int64_t pad_h = 0, pad_w = 0;
};
// x [N, C, H, W] -> [N, C*kh*kw, OH*OW]
Tensor unfold(const Tensor& x, int64_t kh, int64_t kw, const Conv2dOptions& opt = {},
              double pad_value = 0.0);
// the adjoint of unfold: cols [N, C*kh*kw, OH*OW] -> [N, C, H, W]
Tensor fold(const Tensor& cols, const Shape& image_shape, int64_t kh, int64_t kw,
            const Conv2dOptions& opt = {});
// weight [O, C, kh, kw], bias [O] or undefined.
Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias,
              const Conv2dOptions& opt = {});
Tensor max_pool2d(const Tensor& x, int64_t kernel, int64_t stride = -1, int64_t padding = 0);
Tensor avg_pool2d(const Tensor& x, int64_t kernel, int64_t stride = -1, int64_t padding = 0);

// ---- normalisation, regularisation ------------------------------------------------------
// Normalises over the last normalized_shape.size() axes; weight/bias may be undefined.
Tensor layer_norm(const Tensor& x, const Shape& normalized_shape, const Tensor& weight,
                  const Tensor& bias, double eps = 1e-5);
// Inverted dropout with a mask from rng (identity when !training or p == 0).
Tensor dropout(const Tensor& x, double p, Rng& rng, bool training = true);

// ---- softmax and losses -----------------------------------------------------------------
Tensor softmax(const Tensor& x, int64_t axis = -1);
Tensor log_softmax(const Tensor& x, int64_t axis = -1);
// logits [N, K]; targets int64 class indices [N]; mean over N (PyTorch default).
Tensor cross_entropy(const Tensor& logits, const Tensor& targets);
// logits [N, K]; soft/one-hot targets [N, K] (float); mean over N.
Tensor cross_entropy_soft(const Tensor& logits, const Tensor& target_probs);
// PyTorch MSELoss(): mean over all elements.
Tensor mse_loss(const Tensor& pred, const Tensor& target);

// ---- operators ---------------------------------------------------------------------------
inline Tensor operator+(const Tensor& a, const Tensor& b) { return add(a, b); }
inline Tensor operator-(const Tensor& a, const Tensor& b) { return sub(a, b); }
inline Tensor operator*(const Tensor& a, const Tensor& b) { return mul(a, b); }
inline Tensor operator/(const Tensor& a, const Tensor& b) { return div(a, b); }
inline Tensor operator-(const Tensor& a) { return neg(a); }
inline Tensor operator+(const Tensor& a, double b) { return add(a, b); }
inline Tensor operator-(const Tensor& a, double b) { return sub(a, b); }
inline Tensor operator*(const Tensor& a, double b) { return mul(a, b); }
inline Tensor operator/(const Tensor& a, double b) { return div(a, b); }
inline Tensor operator+(double a, const Tensor& b) { return add(b, a); }
inline Tensor operator-(double a, const Tensor& b) { return rsub(a, b); }
inline Tensor operator*(double a, const Tensor& b) { return mul(b, a); }
inline Tensor operator/(double a, const Tensor& b) { return rdiv(a, b); }

// Shape of broadcasting a with b (ShapeError naming `op` and both shapes).
Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op);
// Normalise a possibly negative axis for a tensor of rank `ndim` (IndexError naming op).
int64_t normalize_axis(int64_t axis, int64_t ndim, const char* op);

}  // namespace gradlab
