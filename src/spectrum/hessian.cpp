// hessian.cpp — the Hessian of a loss over a list of parameter tensors, as a
// LinearOperator on flat double vectors, so lanczos_top_k / power_iteration can measure
// sharpness λ₁(∇²L) (Cohen et al. 2021) from exact Hessian-vector products.
//
// The flat layout is the concatenation of each tensor's elements in row-major logical
// order, in list order: params [W (out, in), b (out)] ↦ x = [W.flatten(), b] of length
// total_numel = out·in + out. Values travel as double and are converted to each
// parameter's dtype (an F32 model's HVP is computed in float32).
#include <algorithm>
#include <cstddef>
#include <vector>

#include "gradlab/autograd.h"
#include "gradlab/error.h"
#include "gradlab/spectrum.h"
#include "gradlab/tensor.h"

namespace gradlab {
namespace {

void require_defined(const TensorList& tensors, const char* who) {
  for (size_t i = 0; i < tensors.size(); ++i) {
    if (!tensors[i].defined()) fail<ValueError>(who, ": tensor #", i, " is undefined");
  }
}

}  // namespace

int64_t total_numel(const TensorList& params) {
  require_defined(params, "total_numel");
  int64_t total = 0;
  for (const Tensor& p : params) total += p.numel();
  return total;
}

std::vector<double> flatten_to_vector(const TensorList& tensors) {
  std::vector<double> flat;  // (total_numel)
  flat.reserve(static_cast<size_t>(total_numel(tensors)));
  for (const Tensor& t : tensors) {
    const std::vector<double> values = t.to_vector();  // (numel) row-major
    flat.insert(flat.end(), values.begin(), values.end());
  }
  return flat;
}

TensorList unflatten_from_vector(const std::vector<double>& flat, const TensorList& like) {
  const int64_t expected = total_numel(like);
  if (static_cast<int64_t>(flat.size()) != expected) {
    fail<ShapeError>("unflatten_from_vector: flat vector has ", flat.size(),
                     " values, the tensors hold ", expected);
  }
  TensorList out;
  out.reserve(like.size());
  size_t offset = 0;
  for (const Tensor& t : like) {
    const auto count = static_cast<size_t>(t.numel());
    const std::vector<double> part(flat.begin() + static_cast<std::ptrdiff_t>(offset),
                                   flat.begin() + static_cast<std::ptrdiff_t>(offset + count));
    out.push_back(from_vector(part, t.shape(), t.dtype(), t.device()));
    offset += count;
  }
  return out;
}

// x ↦ H x: unflatten x like params, one double-backward HVP, flatten. allow_unused: a
// parameter the gradient does not depend on (the loss is linear in it) has a zero row of
// the Hessian, which is a valid answer here, not a misuse of autograd.
LinearOperator hessian_operator(const LossFn& loss_fn, const TensorList& params) {
  if (!loss_fn) fail<ValueError>("hessian_operator: loss_fn is empty");
  const int64_t n = total_numel(params);
  return [loss_fn, params, n](const std::vector<double>& x, std::vector<double>& y) {
    if (static_cast<int64_t>(x.size()) != n) {
      fail<ShapeError>("hessian_operator: input has ", x.size(), " values, the parameters hold ",
                       n);
    }
    const TensorList v = unflatten_from_vector(x, params);
    GradOptions options;
    options.allow_unused = true;
    TensorList hv = hvp(loss_fn, params, v, options);
    if (hv.size() != params.size()) {
      fail<AutogradError>("hessian_operator: hvp returned ", hv.size(), " tensors for ",
                          params.size(), " parameters");
    }
    for (size_t i = 0; i < hv.size(); ++i) {
      if (!hv[i].defined()) hv[i] = zeros_like(params[i]);
    }
    y = flatten_to_vector(hv);
  };
}

// Column i is H e_i (n HVPs); the result is symmetrised, (H + Hᵀ)/2, because HVPs in
// floating point give a Hessian that is symmetric only up to rounding.
std::vector<double> dense_hessian(const LossFn& loss_fn, const TensorList& params) {
  const int64_t n = total_numel(params);
  if (n <= 0) fail<ValueError>("dense_hessian: the parameters hold no elements");
  std::vector<double> h = dense_matrix(hessian_operator(loss_fn, params), n);  // (n, n)
  const auto size = static_cast<size_t>(n);
  for (size_t r = 0; r < size; ++r) {
    for (size_t c = r + 1; c < size; ++c) {
      const double mean = 0.5 * (h[r * size + c] + h[c * size + r]);
      h[r * size + c] = mean;
      h[c * size + r] = mean;
    }
  }
  return h;
}

}  // namespace gradlab
