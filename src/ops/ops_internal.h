// Helpers shared by the op implementations in src/ops (not public API).
#pragma once

#include "gradlab/autograd.h"
#include "gradlab/backend.h"
#include "gradlab/ops.h"
#include "tensor/tensor_internal.h"

namespace gradlab::detail {

// Both operands must share dtype and device; the message names the op.
void check_same(const Tensor& a, const Tensor& b, const char* op);
// Floating dtype required (F32/F64).
void check_float(const Tensor& a, const char* op);
// A View of t broadcast to `shape` (stride 0 on new and size-1 axes).
View broadcast_view(const Tensor& t, const Shape& shape);
// Run an elementwise unary kernel into a fresh contiguous tensor (no autograd).
Tensor unary_kernel(UnaryOp op, const Tensor& x, double param = 0.0);
// Run an elementwise binary kernel with broadcasting (no autograd).
Tensor binary_kernel(BinaryOp op, const Tensor& a, const Tensor& b, const char* name);
// keepdim-shaped reduction kernel over the (normalised, sorted, unique) axes.
Tensor reduce_kernel(ReduceOp op, const Tensor& x, const Axes& axes);
// Normalised, sorted, de-duplicated axes; empty input = all axes.
Axes normalize_axes(const Axes& axes, int64_t ndim, const char* op);
// x's shape with the given axes set to 1 (keepdim) or removed.
Shape reduced_shape(const Shape& shape, const Axes& axes, bool keepdim);

}  // namespace gradlab::detail
