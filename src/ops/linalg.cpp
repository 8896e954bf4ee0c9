// matmul (batched, broadcasting) and linear.
//
// Shapes: a [*, m, k] @ b [*, k, n] -> [*, m, n]. Operands that are transposed views
// (the backward pass's g @ bᵀ and aᵀ @ g) go to GEMM with a transpose flag instead
// of being copied, so all four GEMM cases occur and must all be fast.
#include "ops/ops_internal.h"

namespace gradlab {

using namespace detail;

namespace {

// How one operand is handed to GEMM: pointer, transpose flag, leading dim, batch stride.
struct GemmOperand {
  const void* data = nullptr;
  bool trans = false;
  int64_t ld = 0;
  int64_t batch_stride = 0;
  Tensor keep;  // keeps a materialised copy alive
};

// t has shape batch + [rows, cols]. Returns false when its layout cannot be described
// as (row-major | transposed) matrices with one uniform batch stride.
bool describe(const Tensor& t, int64_t nbatch_dims, GemmOperand& op) {
  const Shape& sh = t.shape();
  const Shape& st = t.strides();
  int64_t nd = t.dim();
  int64_t rows = sh[nd - 2], cols = sh[nd - 1];
  int64_t rs = st[nd - 2], cs = st[nd - 1];
  if ((cs == 1 || cols == 1) && (rows == 1 || rs >= std::max<int64_t>(cols, 1))) {
    op.trans = false;
    op.ld = rows == 1 ? std::max<int64_t>(cols, 1) : rs;
  } else if ((rs == 1 || rows == 1) && (cols == 1 || cs >= std::max<int64_t>(rows, 1))) {
    op.trans = true;
    op.ld = cols == 1 ? std::max<int64_t>(rows, 1) : cs;
  } else {
    return false;
  }
  // Batch dims must collapse to one stride (size-1 dims are free).
  int64_t stride = -1, expect_next = -1;
  for (int64_t i = nbatch_dims - 1; i >= 0; --i) {
    if (sh[i] == 1) continue;
    if (stride < 0) {
      stride = st[i];
    } else if (st[i] != expect_next) {
      return false;
    }
    expect_next = st[i] * sh[i];
  }
  op.batch_stride = stride < 0 ? 0 : stride;
  op.data = t.raw_data();
  return true;
}

GemmOperand operand(const Tensor& t, int64_t nbatch_dims) {
  GemmOperand op;
  if (describe(t, nbatch_dims, op)) return op;
  op.keep = t.detach().contiguous();
  bool ok = describe(op.keep, nbatch_dims, op);
  (void)ok;  // a contiguous tensor always describes
  return op;
}

// Both operands have rank >= 2.
Tensor matmul_nd(const Tensor& a, const Tensor& b) {
  check_same(a, b, "matmul");
  check_float(a, "matmul");
  int64_t m = a.shape()[a.dim() - 2], k = a.shape()[a.dim() - 1];
  int64_t k2 = b.shape()[b.dim() - 2], n = b.shape()[b.dim() - 1];
  if (k != k2)
    fail<ShapeError>("matmul: shapes ", a.shape_str(), " and ", b.shape_str(),
                     " are incompatible (a.shape[-1] = ", k, " must equal b.shape[-2] = ", k2, ")");
  // A 2-D right operand with a contiguous batched left one is one big GEMM.
  if (b.dim() == 2 && a.dim() > 2 && a.is_contiguous()) {
    Shape out_shape = a.shape();
    out_shape.back() = n;
    return reshape(matmul_nd(reshape(a, {-1, k}), b), out_shape);
  }
  Shape a_batch(a.shape().begin(), a.shape().end() - 2);
  Shape b_batch(b.shape().begin(), b.shape().end() - 2);
  Shape batch = broadcast_shapes(a_batch, b_batch, "matmul (batch dims)");
  Shape a_full = batch, b_full = batch, out_shape = batch;
  a_full.insert(a_full.end(), {m, k});
  b_full.insert(b_full.end(), {k, n});
  out_shape.insert(out_shape.end(), {m, n});
  int64_t nb = static_cast<int64_t>(batch.size());
  Tensor ae = a.detach(), be = b.detach();
  if (ae.shape() != a_full) ae = expand(ae, a_full);
  if (be.shape() != b_full) be = expand(be, b_full);
  GemmOperand A = operand(ae, nb), B = operand(be, nb);
  Tensor out = empty(out_shape, a.dtype(), a.device());
  int64_t batch_count = shape_numel(batch);
  if (out.numel() > 0) {
    if (k == 0) {
      backend(a.device()).fill(out.view(), 0.0);
    } else {
      backend(a.device()).gemm(a.dtype(), A.trans, B.trans, m, n, k, 1.0, A.data, A.ld,
                               A.batch_stride, B.data, B.ld, B.batch_stride, 0.0, out.raw_data(),
                               n, m * n, batch_count);
    }
  }
  return record("matmul", out, {a, b}, [a, b](const BackwardContext& c, const Tensor& g) {
    // d(a b) = da b + a db  =>  ga = g bᵀ, gb = aᵀ g (summed over broadcast batch dims)
    return TensorList{
        c.needs(0) ? sum_to(matmul_nd(g, transpose(b, -1, -2)), a.shape()) : Tensor(),
        c.needs(1) ? sum_to(matmul_nd(transpose(a, -1, -2), g), b.shape()) : Tensor()};
  });
}

}  // namespace

Tensor matmul(const Tensor& a, const Tensor& b) {
  if (a.dim() == 0 || b.dim() == 0)
    fail<ShapeError>("matmul: both operands need at least one dimension, got ", a.shape_str(),
                     " and ", b.shape_str());
  if (a.dim() == 1 && b.dim() == 1) {
    if (a.shape()[0] != b.shape()[0])
      fail<ShapeError>("matmul: shapes ", a.shape_str(), " and ", b.shape_str(),
                       " are incompatible (vectors of different lengths)");
    return reshape(matmul_nd(unsqueeze(a, 0), unsqueeze(b, 1)), {});
  }
  if (a.dim() == 1) return squeeze(matmul_nd(unsqueeze(a, 0), b), -2);
  if (b.dim() == 1) return squeeze(matmul_nd(a, unsqueeze(b, 1)), -1);
  return matmul_nd(a, b);
}

Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias) {
  if (weight.dim() != 2)
    fail<ShapeError>("linear: weight must be [out_features, in_features], got ",
                     weight.shape_str());
  if (x.dim() == 0 || x.shape().back() != weight.shape()[1])
    fail<ShapeError>("linear: input ", x.shape_str(), " does not match weight ",
                     weight.shape_str(), " (expected last input dim ", weight.shape()[1], ")");
  Tensor y = matmul(x, transpose(weight, 0, 1));
  if (bias.defined()) {
    if (bias.dim() != 1 || bias.shape()[0] != weight.shape()[0])
      fail<ShapeError>("linear: bias ", bias.shape_str(), " does not match weight ",
                       weight.shape_str(), " (expected [", weight.shape()[0], "])");
    y = add(y, bias);
  }
  return y;
}

}  // namespace gradlab
