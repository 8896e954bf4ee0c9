// gradlab/optim.h — optimizers and learning-rate schedules, PyTorch-equivalent.
//
// Each optimizer updates parameters in place (under no_grad) given their gradients,
// with the exact update rule of the PyTorch optimizer of the same name (docs/models.md
// cites each), so one step agrees with torch.optim to rounding. State (moments,
// step counts) can be saved and restored for checkpoints that resume bit-for-bit.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "gradlab/config_views.h"
#include "gradlab/tensor.h"

namespace gradlab {

// The gradient of the training loss at arbitrary parameters (shaped like them), for
// optimizers that evaluate it away from the current point (gradient flow's RK4 stages).
using GradientFn = std::function<TensorList(const TensorList& params)>;

class Optimizer {
 public:
  virtual ~Optimizer() = default;
  virtual std::string type() const = 0;
  // One update with learning rate lr (the schedule is applied by the caller).
  virtual void step(TensorList& params, const TensorList& grads, double lr) = 0;
  // Optimizers that need gradients at other points than params (gradient_flow) return
  // true; the caller then calls step_with_gradient_fn, with grads = the gradient at params
  // and gradient_at evaluating it anywhere. Called under no_grad, like step().
  virtual bool needs_gradient_fn() const { return false; }
  virtual void step_with_gradient_fn(TensorList& params, const TensorList& grads, double lr,
                                     const GradientFn& /*gradient_at*/) {
    step(params, grads, lr);
  }
  // Named state tensors (e.g. "exp_avg.3") for checkpoints, and scalar state.
  virtual std::map<std::string, Tensor> state_tensors() const = 0;
  virtual void load_state_tensors(const std::map<std::string, Tensor>& state) = 0;
  virtual nlohmann::json state_json() const { return nlohmann::json::object(); }
  virtual void load_state_json(const nlohmann::json&) {}
  // For edge-of-stability plots: the stability threshold of this optimizer on a
  // quadratic with the given lr (2/lr for GD, (2+2β)/lr for heavy-ball momentum), or
  // a negative value when there is no such simple threshold (Adam, gradient flow).
  virtual double stability_threshold(double lr) const { return 2.0 / lr; }
  // Adaptive edge of stability (Cohen et al. 2022, "Adaptive gradient methods at the edge of
  // stability"): the diagonal preconditioner P of the last step, one tensor per parameter
  // shaped like it, such that with P frozen the step is the optimizer's momentum rule applied
  // to P⁻¹∇L with step η (Adam: P = (1 − β1ᵗ)(√v̂ + ε), v̂ = v/(1 − β2ᵗ), both corrections 1
  // with optim.bias_correction false; RMSProp: P = √v + ε). Empty when there is none yet (before
  // the first step) or the optimizer is not preconditioned.
  virtual TensorList preconditioner() const { return {}; }
  // The threshold on λ₁(P⁻¹H) under that frozen P (docs/kinds/edge_of_stability.md derives it
  // on a quadratic): (2 + 2β1)/((1 − β1)η) for Adam/LAMB's EMA momentum (38/η at β1 = 0.9),
  // (2 + 2μ)/η for RMSProp with PyTorch's momentum μ (2/η without). Negative when none.
  virtual double preconditioned_threshold(double /*lr*/) const { return -1; }
};

// The optimizer of the view (gradlab/config_views.h: optim_config of the resolved config).
std::unique_ptr<Optimizer> build_optimizer(const OptimConfig& optim);

// Learning rate at step t (0-based) for the base lr and the schedule of the view.
double scheduled_lr(const OptimConfig& optim, int64_t step, int64_t total_steps);

// The same from the optim block of a *resolved* config (every key that applies present;
// ConfigError naming a missing one). For src/experiments until it holds the views itself.
std::unique_ptr<Optimizer> build_optimizer(const nlohmann::json& resolved_optim_block);
double scheduled_lr(const nlohmann::json& resolved_optim_block, int64_t step,
                    int64_t total_steps);

}  // namespace gradlab
