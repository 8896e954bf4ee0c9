// gradlab/loss.h — the training losses named by the config's `loss` key.
//
// Conventions (docs/models.md gives each as PyTorch code):
//   mse            ½‖f(x) − y‖² summed over outputs, averaged over examples (Cohen et al.
//                  2021's code; one-hot y for classification)
//   mse_mean       torch.nn.MSELoss(): mean over all elements
//   cross_entropy  torch.nn.CrossEntropyLoss(): mean over examples (sequence models: over
//                  every position)
//   logistic       mean log(1 + exp(−y f)),  y ∈ {−1, +1} (binary, one output)
//   exponential    mean exp(−y f)
//   hinge          mean max(0, 1 − y f)
//   squared_hinge  mean max(0, 1 − y f)²
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "gradlab/tensor.h"

namespace gradlab {

enum class LossKind { Mse, MseMean, CrossEntropy, Logistic, Exponential, Hinge, SquaredHinge };

LossKind parse_loss(const std::string& name);  // ConfigError listing valid names
const char* loss_name(LossKind kind);
// Binary margin losses need one output and labels {0, 1} (mapped to −1/+1).
bool is_binary_margin_loss(LossKind kind);
// Whether the loss needs dense targets (one-hot / regression) rather than class indices.
bool needs_dense_targets(LossKind kind);

// A sequence label that carries no loss (nor accuracy): cross-entropy over [N, T, V] outputs
// averages over the positions with a label >= 0 only (data.source sorting's unsorted half).
constexpr int64_t kNoLossLabel = -1;

// Targets of one batch: class indices (int64, [N] or [N, T]) and/or dense targets
// ([N, K]: one-hot or regression values, in the model's dtype).
struct Targets {
  Tensor index;
  Tensor dense;
};

Tensor compute_loss(LossKind kind, const Tensor& output, const Targets& targets);
// Fraction of correct predictions (argmax; sign for one-output binary models).
double accuracy(LossKind kind, const Tensor& output, const Targets& targets);

std::vector<std::pair<std::string, std::string>> loss_names();

}  // namespace gradlab
