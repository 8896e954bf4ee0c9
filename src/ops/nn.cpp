// Composite neural-network ops: softmax family, losses, layer-norm, dropout.
// All are written with differentiable primitives, so their Hessians are exact.
#include "gradlab/rng.h"
#include "ops/ops_internal.h"

namespace gradlab {

using namespace detail;

// The max shift is a constant (softmax is shift-invariant), so it is detached:
// its gradient would cancel exactly and only add work.
Tensor softmax(const Tensor& x, int64_t axis) {
  check_float(x, "softmax");
  int64_t a = normalize_axis(axis, x.dim(), "softmax");
  Tensor shift = max(x.detach(), {a}, true);
  Tensor e = exp(sub(x, shift));
  return div(e, sum(e, {a}, true));
}

Tensor log_softmax(const Tensor& x, int64_t axis) {
  check_float(x, "log_softmax");
  int64_t a = normalize_axis(axis, x.dim(), "log_softmax");
  Tensor shifted = sub(x, max(x.detach(), {a}, true));
  return sub(shifted, log(sum(exp(shifted), {a}, true)));
}

Tensor cross_entropy(const Tensor& logits, const Tensor& targets) {
  if (logits.dim() != 2)
    fail<ShapeError>("cross_entropy: logits must be [N, classes], got ", logits.shape_str());
  if (targets.dtype() != DType::I64)
    fail<DTypeError>("cross_entropy: targets must be int64 class indices, got ",
                     dtype_name(targets.dtype()), " (use cross_entropy_soft for probabilities)");
  int64_t n = logits.shape()[0], k = logits.shape()[1];
  if (targets.dim() != 1 || targets.shape()[0] != n)
    fail<ShapeError>("cross_entropy: targets ", targets.shape_str(), " do not match logits ",
                     logits.shape_str(), " (expected [", n, "])");
  // One-hot targets t_ik = [target_i == k], built where the logits live: on a GPU only the
  // smallest and largest class id come back to the host (for the range check), not all n.
  // Class ids convert to the float dtype exactly (float32 holds integers up to 2^24).
  Tensor ids = targets.detach().to(logits.device()).to(logits.dtype());  // [N]
  if (n > 0) {
    const double lowest = min(ids).item(), highest = max(ids).item();
    if (lowest < 0 || highest >= static_cast<double>(k)) {
      std::vector<int64_t> t = targets.to_vector_i64();  // find the row to name it
      for (int64_t i = 0; i < n; ++i)
        if (t[i] < 0 || t[i] >= k)
          fail<IndexError>("cross_entropy: target ", t[i], " at row ", i, " is outside [0, ", k,
                           ")");
    }
  }
  std::vector<double> classes(static_cast<size_t>(k));
  for (int64_t c = 0; c < k; ++c) classes[static_cast<size_t>(c)] = static_cast<double>(c);
  Tensor onehot = equal(reshape(ids, {n, 1}),
                        from_vector(classes, {1, k}, logits.dtype(), logits.device()));  // [N, K]
  return cross_entropy_soft(logits, onehot);
}

Tensor cross_entropy_soft(const Tensor& logits, const Tensor& target_probs) {
  if (logits.dim() != 2)
    fail<ShapeError>("cross_entropy: logits must be [N, classes], got ", logits.shape_str());
  if (target_probs.shape() != logits.shape())
    fail<ShapeError>("cross_entropy: targets ", target_probs.shape_str(),
                     " do not match logits ", logits.shape_str());
  check_same(logits, target_probs, "cross_entropy");
  int64_t n = logits.shape()[0];
  // −(1/N) Σᵢ Σₖ tᵢₖ log softmax(zᵢ)ₖ
  return div(neg(sum(mul(target_probs, log_softmax(logits, 1)))), static_cast<double>(n));
}

Tensor mse_loss(const Tensor& pred, const Tensor& target) {
  if (pred.shape() != target.shape())
    fail<ShapeError>("mse_loss: prediction ", pred.shape_str(), " and target ",
                     target.shape_str(), " differ (expected equal shapes)");
  return mean(square(sub(pred, target)));
}

Tensor layer_norm(const Tensor& x, const Shape& normalized_shape, const Tensor& weight,
                  const Tensor& bias, double eps) {
  check_float(x, "layer_norm");
  int64_t k = static_cast<int64_t>(normalized_shape.size());
  bool matches = k >= 1 && k <= x.dim();
  for (int64_t i = 0; matches && i < k; ++i)
    matches = x.shape()[x.dim() - k + i] == normalized_shape[i];
  if (!matches)
    fail<ShapeError>("layer_norm: normalized_shape ", shape_str(normalized_shape),
                     " does not match the trailing dims of input ", x.shape_str());
  Axes axes;
  for (int64_t i = x.dim() - k; i < x.dim(); ++i) axes.push_back(i);
  Tensor centered = sub(x, mean(x, axes, true));
  Tensor var = mean(square(centered), axes, true);  // biased, as PyTorch
  Tensor y = div(centered, sqrt(add(var, eps)));
  if (weight.defined()) {
    if (weight.shape() != normalized_shape)
      fail<ShapeError>("layer_norm: weight ", weight.shape_str(), " must have shape ",
                       shape_str(normalized_shape));
    y = mul(y, weight);
  }
  if (bias.defined()) {
    if (bias.shape() != normalized_shape)
      fail<ShapeError>("layer_norm: bias ", bias.shape_str(), " must have shape ",
                       shape_str(normalized_shape));
    y = add(y, bias);
  }
  return y;
}

Tensor dropout(const Tensor& x, double p, Rng& rng, bool training) {
  if (!(p >= 0.0 && p < 1.0)) fail<ValueError>("dropout: p must be in [0, 1), got ", p);
  if (!training || p == 0.0) return x;
  // Inverted dropout: keep with probability 1 − p and scale by 1/(1 − p).
  std::vector<double> mask(static_cast<size_t>(x.numel()));
  for (double& m : mask) m = rng.uniform() >= p ? 1.0 / (1.0 - p) : 0.0;
  return mul(x, from_vector(mask, x.shape(), x.dtype(), x.device()));
}

}  // namespace gradlab
