// Shape primitives: views (reshape, permute, expand, slice) that share storage, and
// copies (concat, index_select/index_add, slice_backward). Each gradient rule is the
// adjoint op: permute ↔ inverse permute, expand ↔ sum_to, slice ↔ slice_backward,
// index_select ↔ index_add.
#include <algorithm>

#include "ops/ops_internal.h"

namespace gradlab {

using namespace detail;

Tensor reshape(const Tensor& x, const Shape& shape_in) {
  Shape shape = shape_in;
  int64_t known = 1, infer = -1;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1) {
      if (infer >= 0) fail<ShapeError>("reshape: more than one -1 in ", shape_str(shape_in));
      infer = static_cast<int64_t>(i);
    } else if (shape[i] < 0) {
      fail<ShapeError>("reshape: invalid dimension ", shape[i], " in ", shape_str(shape_in));
    } else {
      known *= shape[i];
    }
  }
  if (infer >= 0) {
    if (known == 0 || x.numel() % known != 0)
      fail<ShapeError>("reshape: cannot reshape ", x.shape_str(), " (", x.numel(),
                       " elements) into ", shape_str(shape_in));
    shape[infer] = x.numel() / known;
  }
  if (shape_numel(shape) != x.numel())
    fail<ShapeError>("reshape: cannot reshape ", x.shape_str(), " (", x.numel(),
                     " elements) into ", shape_str(shape_in), " (", shape_numel(shape),
                     " elements)");
  if (shape.size() > static_cast<size_t>(kMaxDims))
    fail<ShapeError>("reshape: rank ", shape.size(), " exceeds ", kMaxDims);
  if (shape == x.shape()) return x;
  Tensor src = x.contiguous();
  Tensor out = make_view(src, shape, contiguous_strides(shape), src.offset());
  Shape in_shape = x.shape();
  return record("reshape", out, {src}, [in_shape](const BackwardContext&, const Tensor& g) {
    return TensorList{reshape(g, in_shape)};
  });
}

Tensor flatten(const Tensor& x, int64_t start_axis, int64_t end_axis) {
  if (x.dim() == 0) return reshape(x, {1});
  int64_t s = normalize_axis(start_axis, x.dim(), "flatten");
  int64_t e = normalize_axis(end_axis, x.dim(), "flatten");
  if (s > e) fail<IndexError>("flatten: start axis ", start_axis, " is after end axis ", end_axis);
  Shape shape;
  for (int64_t i = 0; i < s; ++i) shape.push_back(x.shape()[i]);
  int64_t m = 1;
  for (int64_t i = s; i <= e; ++i) m *= x.shape()[i];
  shape.push_back(m);
  for (int64_t i = e + 1; i < x.dim(); ++i) shape.push_back(x.shape()[i]);
  return reshape(x, shape);
}

Tensor permute(const Tensor& x, const Axes& order) {
  int64_t nd = x.dim();
  if (static_cast<int64_t>(order.size()) != nd)
    fail<ShapeError>("permute: order has ", order.size(), " axes but the tensor ", x.shape_str(),
                     " has ", nd);
  Axes norm(order.size());
  std::vector<bool> seen(nd, false);
  for (size_t i = 0; i < order.size(); ++i) {
    norm[i] = normalize_axis(order[i], nd, "permute");
    if (seen[norm[i]]) fail<IndexError>("permute: axis ", order[i], " repeated in the order");
    seen[norm[i]] = true;
  }
  Shape shape(nd), strides(nd);
  for (int64_t i = 0; i < nd; ++i) {
    shape[i] = x.shape()[norm[i]];
    strides[i] = x.strides()[norm[i]];
  }
  Tensor out = make_view(x, shape, strides, x.offset());
  Axes inverse(nd);
  for (int64_t i = 0; i < nd; ++i) inverse[norm[i]] = i;
  return record("permute", out, {x}, [inverse](const BackwardContext&, const Tensor& g) {
    return TensorList{permute(g, inverse)};
  });
}

Tensor transpose(const Tensor& x, int64_t axis0, int64_t axis1) {
  int64_t a = normalize_axis(axis0, x.dim(), "transpose");
  int64_t b = normalize_axis(axis1, x.dim(), "transpose");
  Axes order(x.dim());
  for (int64_t i = 0; i < x.dim(); ++i) order[i] = i;
  std::swap(order[a], order[b]);
  return permute(x, order);
}

Tensor unsqueeze(const Tensor& x, int64_t axis) {
  int64_t a = normalize_axis(axis, x.dim() + 1, "unsqueeze");
  Shape shape = x.shape();
  shape.insert(shape.begin() + a, 1);
  return reshape(x, shape);
}

Tensor squeeze(const Tensor& x, int64_t axis) {
  int64_t a = normalize_axis(axis, x.dim(), "squeeze");
  if (x.shape()[a] != 1)
    fail<ShapeError>("squeeze: axis ", axis, " of ", x.shape_str(), " has size ", x.shape()[a],
                     ", not 1");
  Shape shape = x.shape();
  shape.erase(shape.begin() + a);
  return reshape(x, shape);
}

Tensor expand(const Tensor& x, const Shape& shape) {
  if (shape == x.shape()) return x;
  int64_t lead = static_cast<int64_t>(shape.size()) - x.dim();
  if (lead < 0)
    fail<ShapeError>("expand: cannot expand ", x.shape_str(), " to the smaller rank ",
                     shape_str(shape));
  if (shape.size() > static_cast<size_t>(kMaxDims))
    fail<ShapeError>("expand: rank ", shape.size(), " exceeds ", kMaxDims);
  Shape strides(shape.size(), 0);
  for (int64_t i = 0; i < x.dim(); ++i) {
    int64_t have = x.shape()[i], want = shape[i + lead];
    if (have == want)
      strides[i + lead] = x.strides()[i];
    else if (have != 1)
      fail<ShapeError>("expand: cannot expand ", x.shape_str(), " to ", shape_str(shape),
                       " (axis ", i, " has size ", have, ", expected 1 or ", want, ")");
  }
  Tensor out = make_view(x, shape, strides, x.offset());
  Shape in_shape = x.shape();
  return record("expand", out, {x}, [in_shape](const BackwardContext&, const Tensor& g) {
    return TensorList{sum_to(g, in_shape)};
  });
}

// Python-style clamping of [start, end) to [0, size].
static void clamp_range(int64_t size, int64_t& start, int64_t& end) {
  if (start < 0) start += size;
  if (end < 0) end += size;
  start = std::clamp<int64_t>(start, 0, size);
  end = std::clamp<int64_t>(end, start, size);
}

Tensor slice(const Tensor& x, int64_t axis, int64_t start, int64_t end, int64_t step) {
  int64_t a = normalize_axis(axis, x.dim(), "slice");
  if (step <= 0) fail<ValueError>("slice: step must be positive, got ", step);
  clamp_range(x.shape()[a], start, end);
  Shape shape = x.shape(), strides = x.strides();
  shape[a] = (end - start + step - 1) / step;
  strides[a] = x.strides()[a] * step;
  Tensor out = make_view(x, shape, strides, x.offset() + start * x.strides()[a]);
  Shape in_shape = x.shape();
  return record("slice", out, {x}, [=](const BackwardContext&, const Tensor& g) {
    return TensorList{slice_backward(g, in_shape, a, start, end, step)};
  });
}

Tensor slice_backward(const Tensor& g, const Shape& shape, int64_t axis, int64_t start,
                      int64_t end, int64_t step) {
  Tensor out = zeros(shape, g.dtype(), g.device());
  Tensor window = slice(out.detach(), axis, start, end, step);
  if (window.shape() != g.shape())
    fail<ShapeError>("slice_backward: gradient ", g.shape_str(), " does not fit slice ",
                     window.shape_str(), " of ", shape_str(shape));
  backend(g.device()).copy(g.view(), window.view());
  return record("slice_backward", out, {g}, [=](const BackwardContext&, const Tensor& gg) {
    return TensorList{slice(gg, axis, start, end, step)};
  });
}

Tensor concat(const TensorList& xs, int64_t axis) {
  if (xs.empty()) fail<ValueError>("concat: no tensors given");
  const Tensor& first = xs[0];
  int64_t a = normalize_axis(axis, first.dim(), "concat");
  Shape shape = first.shape();
  int64_t total = 0;
  for (size_t i = 0; i < xs.size(); ++i) {
    check_same(first, xs[i], "concat");
    if (xs[i].dim() != first.dim())
      fail<ShapeError>("concat: tensor ", i, " has shape ", xs[i].shape_str(), ", tensor 0 has ",
                       first.shape_str(), " (ranks differ)");
    for (int64_t d = 0; d < first.dim(); ++d)
      if (d != a && xs[i].shape()[d] != first.shape()[d])
        fail<ShapeError>("concat: tensor ", i, " has shape ", xs[i].shape_str(),
                         ", tensor 0 has ", first.shape_str(), " (must match except on axis ",
                         a, ")");
    total += xs[i].shape()[a];
  }
  shape[a] = total;
  Tensor out = empty(shape, first.dtype(), first.device());
  std::vector<int64_t> offsets;
  int64_t at = 0;
  for (const Tensor& x : xs) {
    offsets.push_back(at);
    Tensor window = slice(out.detach(), a, at, at + x.shape()[a]);
    backend(x.device()).copy(x.view(), window.view());
    at += x.shape()[a];
  }
  Shape sizes;
  for (const Tensor& x : xs) sizes.push_back(x.shape()[a]);
  return record("concat", out, xs, [a, offsets, sizes](const BackwardContext& c, const Tensor& g) {
    TensorList grads(offsets.size());
    for (size_t i = 0; i < offsets.size(); ++i)
      if (c.needs(i)) grads[i] = slice(g, a, offsets[i], offsets[i] + sizes[i]);
    return grads;
  });
}

static void check_index(const Tensor& index, int64_t limit, const char* op, const Tensor& x) {
  if (index.dtype() != DType::I64)
    fail<DTypeError>(op, ": index must be int64, got ", dtype_name(index.dtype()));
  for (int64_t v : index.to_vector_i64())
    if (v < 0 || v >= limit)
      fail<IndexError>(op, ": index ", v, " is out of range for size ", limit, " (tensor ",
                       x.shape_str(), ")");
}

static void outer_inner(const Shape& shape, int64_t a, int64_t& outer, int64_t& inner) {
  outer = 1;
  inner = 1;
  for (int64_t i = 0; i < a; ++i) outer *= shape[i];
  for (int64_t i = a + 1; i < static_cast<int64_t>(shape.size()); ++i) inner *= shape[i];
}

// Works for int64 tensors too (selecting token ids or labels), without autograd.
Tensor index_select(const Tensor& x, int64_t axis, const Tensor& index_in) {
  int64_t a = normalize_axis(axis, x.dim(), "index_select");
  // The backend reads the indices in its own memory: move them next to x (a no-op on the CPU).
  Tensor index = index_in.to(x.device()).contiguous();
  check_index(index, x.shape()[a], "index_select", x);
  Tensor src = x.contiguous();
  Shape shape = x.shape();
  shape[a] = index.numel();
  Tensor out = empty(shape, x.dtype(), x.device());
  int64_t outer, inner;
  outer_inner(x.shape(), a, outer, inner);
  backend(x.device()).gather(x.dtype(), src.raw_data(), outer, x.shape()[a], inner,
                             index.data<int64_t>(), index.numel(), out.raw_data());
  Shape in_shape = x.shape();
  return record("index_select", out, {src},
                [a, index, in_shape](const BackwardContext&, const Tensor& g) {
                  return TensorList{index_add(g, a, index, in_shape)};
                });
}

Tensor index_add(const Tensor& src_in, int64_t axis, const Tensor& index_in, const Shape& shape) {
  check_float(src_in, "index_add");
  int64_t a = normalize_axis(axis, static_cast<int64_t>(shape.size()), "index_add");
  Tensor index = index_in.to(src_in.device()).contiguous();
  Tensor out = zeros(shape, src_in.dtype(), src_in.device());
  check_index(index, shape[a], "index_add", out);
  Shape expect = shape;
  expect[a] = index.numel();
  if (src_in.shape() != expect)
    fail<ShapeError>("index_add: source ", src_in.shape_str(), " does not match ",
                     shape_str(expect), " (", index.numel(), " indices into ", shape_str(shape),
                     " along axis ", a, ")");
  Tensor src = src_in.contiguous();
  int64_t outer, inner;
  outer_inner(shape, a, outer, inner);
  backend(src.device()).scatter_add(src.dtype(), src.raw_data(), outer, index.numel(), inner,
                                    index.data<int64_t>(), out.raw_data(), shape[a]);
  return record("index_add", out, {src}, [a, index](const BackwardContext&, const Tensor& g) {
    return TensorList{index_select(g, a, index)};
  });
}

Tensor embedding(const Tensor& weight, const Tensor& index) {
  if (weight.dim() != 2)
    fail<ShapeError>("embedding: weight must be [num_embeddings, dim], got ", weight.shape_str());
  Tensor rows = index_select(weight, 0, reshape(index.contiguous(), {index.numel()}));
  Shape shape = index.shape();
  shape.push_back(weight.shape()[1]);
  return reshape(rows, shape);
}

}  // namespace gradlab
