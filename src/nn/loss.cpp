// Training losses (see include/gradlab/loss.h for the exact conventions).
#include "gradlab/loss.h"

#include "gradlab/ops.h"

namespace gradlab {

namespace {
const std::vector<std::pair<std::string, std::string>>& table() {
  static const std::vector<std::pair<std::string, std::string>> t = {
      {"mse", "½‖f(x) − y‖² summed over outputs, mean over examples (Cohen et al. 2021)"},
      {"mse_mean", "mean squared error over all elements (torch.nn.MSELoss)"},
      {"cross_entropy", "softmax cross-entropy, mean over examples (torch.nn.CrossEntropyLoss)"},
      {"logistic", "binary: mean log(1 + exp(−y f(x))), y = ±1"},
      {"exponential", "binary: mean exp(−y f(x)), y = ±1"},
      {"hinge", "binary: mean max(0, 1 − y f(x)), y = ±1"},
      {"squared_hinge", "binary: mean max(0, 1 − y f(x))², y = ±1"},
  };
  return t;
}

// Binary labels {0, 1} as ±1 in the output's dtype, shaped like the output [N, 1] or [N].
Tensor signed_labels(const Tensor& output, const Targets& t, const char* loss) {
  if (!t.index.defined())
    fail<ConfigError>("loss ", loss, " needs class labels (a classification data set)");
  int64_t n = t.index.numel();
  if (output.numel() != n)
    fail<ShapeError>("loss ", loss, ": the model output ", output.shape_str(),
                     " must have one value per example (", n,
                     "); binary losses need a model with one output");
  // y = 2·label − 1, computed where the output lives (a GPU run reads back only the extremes
  // for the check, not every label, at each step).
  Tensor ids = t.index.detach().to(output.device()).to(output.dtype());
  if (n > 0 && (min(ids).item() < 0 || max(ids).item() > 1)) {
    for (int64_t v : t.index.to_vector_i64())
      if (v != 0 && v != 1)
        fail<ValueError>("loss ", loss, ": label ", v,
                         " is not binary; choose two classes (data.classes) for this loss");
  }
  return reshape(sub(mul(ids, 2.0), 1.0), output.shape());
}
}  // namespace

LossKind parse_loss(const std::string& name) {
  static const LossKind kinds[] = {LossKind::Mse,      LossKind::MseMean,     LossKind::CrossEntropy,
                                   LossKind::Logistic, LossKind::Exponential, LossKind::Hinge,
                                   LossKind::SquaredHinge};
  std::string valid;
  for (size_t i = 0; i < table().size(); ++i) {
    if (table()[i].first == name) return kinds[i];
    valid += (i ? ", " : "") + table()[i].first;
  }
  fail<ConfigError>("loss: unknown loss \"", name, "\" (expected one of ", valid, ")");
}

const char* loss_name(LossKind kind) { return table()[static_cast<size_t>(kind)].first.c_str(); }

bool is_binary_margin_loss(LossKind k) {
  return k == LossKind::Logistic || k == LossKind::Exponential || k == LossKind::Hinge ||
         k == LossKind::SquaredHinge;
}
bool needs_dense_targets(LossKind k) { return k == LossKind::Mse || k == LossKind::MseMean; }

std::vector<std::pair<std::string, std::string>> loss_names() { return table(); }

Tensor compute_loss(LossKind kind, const Tensor& output, const Targets& t) {
  switch (kind) {
    case LossKind::Mse:
    case LossKind::MseMean: {
      if (!t.dense.defined()) fail<ConfigError>("loss mse needs dense (one-hot or regression) targets");
      if (t.dense.shape() != output.shape())
        fail<ShapeError>("loss ", loss_name(kind), ": model output ", output.shape_str(),
                         " and targets ", t.dense.shape_str(), " differ");
      if (kind == LossKind::MseMean) return mse_loss(output, t.dense);
      return div(mul(sum(square(sub(output, t.dense))), 0.5), static_cast<double>(output.size(0)));
    }
    case LossKind::CrossEntropy: {
      if (output.dim() == 3) {  // sequence models: [N, T, V] with targets [N, T]
        const int64_t v = output.size(2);
        Tensor logits = reshape(output, {-1, v}), labels = reshape(t.index, {-1});
        // Positions labelled kNoLossLabel are left out: the mean runs over the others, as
        // PyTorch's cross_entropy(ignore_index=...) does. index_select is differentiable, so
        // gradients and HVPs see exactly the kept positions.
        const std::vector<int64_t> ids = labels.to_vector_i64();
        std::vector<int64_t> keep, kept;
        for (size_t i = 0; i < ids.size(); ++i)
          if (ids[i] != kNoLossLabel) keep.push_back(static_cast<int64_t>(i)), kept.push_back(ids[i]);
        if (keep.size() < ids.size()) {
          if (keep.empty()) fail<ValueError>("loss cross_entropy: every position of the batch is masked");
          const auto n = static_cast<int64_t>(keep.size());
          logits = index_select(logits, 0, from_indices(keep, {n}, output.device()));
          labels = from_indices(kept, {n}, output.device());
        }
        return cross_entropy(logits, labels);
      }
      if (t.index.defined()) return cross_entropy(output, t.index);
      return cross_entropy_soft(output, t.dense);
    }
    case LossKind::Logistic:
      return mean(softplus(neg(mul(signed_labels(output, t, "logistic"), output))));
    case LossKind::Exponential:
      return mean(exp(neg(mul(signed_labels(output, t, "exponential"), output))));
    case LossKind::Hinge:
      return mean(relu(rsub(1.0, mul(signed_labels(output, t, "hinge"), output))));
    case LossKind::SquaredHinge:
      return mean(square(relu(rsub(1.0, mul(signed_labels(output, t, "squared_hinge"), output)))));
  }
  fail<Error>("compute_loss: unhandled loss");
}

double accuracy(LossKind kind, const Tensor& output, const Targets& t) {
  if (!t.index.defined()) return -1.0;  // regression: no accuracy
  std::vector<int64_t> labels = t.index.to_vector_i64();
  if (labels.empty()) return 0.0;
  int64_t correct = 0, counted = 0;
  if (is_binary_margin_loss(kind) || (output.dim() <= 2 && output.numel() == t.index.numel())) {
    std::vector<double> f = output.to_vector();
    for (size_t i = 0; i < labels.size(); ++i) correct += (f[i] > 0 ? 1 : 0) == labels[i];
  } else {
    Tensor logits = output.dim() == 3 ? reshape(output.detach(), {-1, output.size(2)}) : output;
    std::vector<int64_t> pred = argmax(logits.detach(), -1).to_vector_i64();
    for (size_t i = 0; i < labels.size(); ++i) {
      if (labels[i] == kNoLossLabel) continue;  // a position without a loss
      correct += pred[i] == labels[i];
      ++counted;
    }
    return counted == 0 ? 0.0 : static_cast<double>(correct) / static_cast<double>(counted);
  }
  return static_cast<double>(correct) / static_cast<double>(labels.size());
}

}  // namespace gradlab
