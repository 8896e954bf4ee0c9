// Reductions: sum/mean/max/min over axes, sum_to (adjoint of broadcasting), argmax.
#include <algorithm>

#include "ops/ops_internal.h"

namespace gradlab {

namespace detail {

Axes normalize_axes(const Axes& axes, int64_t ndim, const char* op) {
  Axes out;
  if (axes.empty()) {
    for (int64_t i = 0; i < ndim; ++i) out.push_back(i);
    return out;
  }
  for (int64_t a : axes) out.push_back(normalize_axis(a, ndim, op));
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

Shape reduced_shape(const Shape& shape, const Axes& axes, bool keepdim) {
  Shape out;
  for (int64_t i = 0; i < static_cast<int64_t>(shape.size()); ++i) {
    bool reduced = std::find(axes.begin(), axes.end(), i) != axes.end();
    if (!reduced)
      out.push_back(shape[i]);
    else if (keepdim)
      out.push_back(1);
  }
  return out;
}

Tensor reduce_kernel(ReduceOp op, const Tensor& x, const Axes& axes) {
  Tensor out = empty(reduced_shape(x.shape(), axes, true), x.dtype(), x.device());
  backend(x.device()).reduce(op, x.view(), out.view());
  return out;
}

}  // namespace detail

using namespace detail;

Tensor sum(const Tensor& x, const Axes& axes_in, bool keepdim) {
  check_float(x, "sum");
  Axes axes = normalize_axes(axes_in, x.dim(), "sum");
  Tensor kept = reduce_kernel(ReduceOp::Sum, x, axes);
  Shape in_shape = x.shape(), kept_shape = kept.shape();
  Tensor out = record("sum", kept, {x}, [in_shape](const BackwardContext&, const Tensor& g) {
    return TensorList{expand(g, in_shape)};
  });
  return keepdim ? out : reshape(out, reduced_shape(in_shape, axes, false));
}

Tensor mean(const Tensor& x, const Axes& axes_in, bool keepdim) {
  check_float(x, "mean");
  Axes axes = normalize_axes(axes_in, x.dim(), "mean");
  int64_t count = 1;
  for (int64_t a : axes) count *= x.shape()[a];
  if (count == 0) fail<ShapeError>("mean: reducing over an empty set of elements in ", x.shape_str());
  return div(sum(x, axes, keepdim), static_cast<double>(count));
}

// max/min: the gradient is split evenly among tied extrema (as torch.amax does).
static Tensor extremum(ReduceOp op, const char* name, const Tensor& x, const Axes& axes_in,
                       bool keepdim) {
  check_float(x, name);
  Axes axes = normalize_axes(axes_in, x.dim(), name);
  for (int64_t a : axes)
    if (x.shape()[a] == 0)
      fail<ShapeError>(name, ": cannot reduce over empty axis ", a, " of ", x.shape_str());
  Tensor kept = reduce_kernel(op, x, axes);
  Tensor out = record(
      name, kept, {x},
      [x, axes](const BackwardContext& c, const Tensor& g) {
        Tensor mask = equal(x, c.output.detach());
        Tensor count = reduce_kernel(ReduceOp::Sum, mask, axes);
        return TensorList{mul(expand(g, x.shape()), div(mask, count))};
      },
      true);
  return keepdim ? out : reshape(out, reduced_shape(x.shape(), axes, false));
}

Tensor max(const Tensor& x, const Axes& axes, bool keepdim) {
  return extremum(ReduceOp::Max, "max", x, axes, keepdim);
}
Tensor min(const Tensor& x, const Axes& axes, bool keepdim) {
  return extremum(ReduceOp::Min, "min", x, axes, keepdim);
}

Tensor sum_to(const Tensor& x, const Shape& shape) {
  if (x.shape() == shape) return x;
  int64_t lead = x.dim() - static_cast<int64_t>(shape.size());
  if (lead < 0)
    fail<ShapeError>("sum_to: cannot sum ", x.shape_str(), " down to the larger rank ",
                     shape_str(shape));
  Axes axes;
  for (int64_t i = 0; i < x.dim(); ++i) {
    if (i < lead) {
      axes.push_back(i);
    } else if (shape[i - lead] == 1 && x.shape()[i] != 1) {
      axes.push_back(i);
    } else if (shape[i - lead] != x.shape()[i]) {
      fail<ShapeError>("sum_to: ", x.shape_str(), " is not a broadcast of ", shape_str(shape));
    }
  }
  if (axes.empty()) return reshape(x, shape);
  return reshape(sum(x, axes, true), shape);
}

Tensor argmax(const Tensor& x, int64_t axis) {
  check_float(x, "argmax");
  int64_t a = normalize_axis(axis, x.dim(), "argmax");
  if (x.shape()[a] == 0) fail<ShapeError>("argmax: empty axis ", a, " of ", x.shape_str());
  // Host computation: argmax is used for accuracies, never inside a training graph.
  Tensor c = x.detach().contiguous();
  std::vector<double> v = c.to_vector();
  int64_t outer = 1, inner = 1, n = x.shape()[a];
  for (int64_t i = 0; i < a; ++i) outer *= x.shape()[i];
  for (int64_t i = a + 1; i < x.dim(); ++i) inner *= x.shape()[i];
  std::vector<int64_t> idx(static_cast<size_t>(outer * inner));
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t j = 0; j < inner; ++j) {
      int64_t best = 0;
      for (int64_t k = 1; k < n; ++k)
        if (v[(o * n + k) * inner + j] > v[(o * n + best) * inner + j]) best = k;
      idx[o * inner + j] = best;
    }
  return from_indices(idx, reduced_shape(x.shape(), {a}, false), x.device());
}

}  // namespace gradlab
