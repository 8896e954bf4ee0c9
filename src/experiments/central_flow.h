// The central flow (Cohen, Damian, Talwalkar, Kolter, Lee 2024, "Understanding optimization
// in deep learning with central flows"), run beside gradient descent and gradient flow from
// one initialisation, in float64 (docs/kinds/central_flow.md has the equations and rows).
//
// GD at the edge of stability oscillates along the top Hessian eigenvectors; its time average
// follows
//   dw/dt = −η[∇L(w) + ½∇_w⟨H(w), Σ⟩],   Σ = U X Uᵀ,
// where U holds the eigenvectors whose eigenvalue exceeds central_flow.edge/η and X ⪰ 0 is
// chosen at each forward-Euler substep (dt = 1/central_flow.substeps GD steps) so that the
// projected Hessian UᵀHU stays ⪯ 2/η: the SDCP of central_flow_math.h, with
//   A = (2/η)I − diag(λ) − dt·[⟨∇S_ab, −η∇L⟩],   B[X]_ab = ½·dt·η·Σ_ij ⟨∇S_ab, ∇S_ij⟩ X_ij,
//   S_ab(w) = u_aᵀH(w)u_b  (its gradient: one third-order backward pass through an HVP).
// Time t is counted in GD steps; a row at step s describes all three runs after s updates.
#pragma once

#include <memory>
#include <vector>

#include "experiments/central_flow_math.h"
#include "experiments/training.h"

namespace gradlab {

struct CentralFlowSettings {
  double lr = 0;
  int64_t substeps = 4;
  double edge = 1.95;        // eigenvalues above edge/η are at the edge
  int64_t track = 3;         // eigenvectors tracked (the edge is at most this many)
  int64_t lanczos_iters = 30;
  int64_t refresh_every = 10;   // steps between full Lanczos solves merged into the tracker
  int64_t sharpness_every = 1;  // GD / GF sharpness (Lanczos) every this many steps
  double smooth_sigma = 50;
};

// ∇_w(u_aᵀ H(w) u_b) for all a, b < k (row-major k×k, symmetric; entry a·k + b), with the
// vectors u held fixed: third derivatives of the loss, by differentiating a Hessian-vector
// product once more. `grads` must come from grad(L, params, {create_graph = true}). Flat
// vectors in the layout of gradlab/spectrum.h's flatten_to_vector.
std::vector<std::vector<double>> curvature_gradients(const TensorList& grads,
                                                     const TensorList& params,
                                                     const std::vector<std::vector<double>>& u);

class CentralFlowExperiment : public Experiment {
 public:
  explicit CentralFlowExperiment(const Json& config);
  int64_t total_steps() const override { return total_steps_; }
  int64_t steps_done() const override { return step_; }
  std::optional<Json> step() override;
  bool diverged() const override { return diverged_; }
  std::string divergence_reason() const override { return divergence_reason_; }
  Json summary(const std::vector<Json>& rows) const override;
  void save_state(NamedTensors& tensors, Json& state) const override;
  void load_state(const SafetensorsFile& tensors, const Json& state) override;
  NamedTensors named_params() const override;
  std::string description() const override;

  // What one Euler substep of the central flow sees at w (and the direction it moves in).
  struct Substep {
    double loss = 0;
    double grad_norm2 = 0;
    int64_t n_edge = 0;
    double sharpness = 0;        // top tracked Ritz value
    std::vector<double> x;       // (n_edge, n_edge) X
    double pred_loss = 0;        // L + tr(X)/η
    double pred_grad_norm2 = 0;  // ‖∇L‖² + Σ X_ii ‖H u_i‖²
    double kkt_residual = 0;
    std::vector<double> velocity;  // dw/dt
  };
  // One substep at the central flow's current weights (updates the eigenvector tracker).
  Substep analyse_cf(bool refresh);
  // The central flow over one GD step (substeps Euler steps); the first substep's analysis.
  Substep advance_cf();
  // GD's update, and its sharpness by Lanczos (the edge_of_stability probe's measurement);
  // for `gradlab bench`.
  double advance_gd_with_probe();

  // Flat parameter vectors (the layout of gradlab/spectrum.h's flatten_to_vector).
  const std::vector<double>& w_gd() const { return w_gd_; }
  const std::vector<double>& w_gf() const { return w_gf_; }
  const std::vector<double>& w_cf() const { return w_cf_; }
  const CentralFlowSettings& settings() const { return s_; }

 private:
  Tensor loss_at(const TensorList& params) const { return base_->full_train_loss(params); }
  TensorList leaves(const std::vector<double>& w) const;
  // L(w) and ∇L(w).
  double loss_and_grad(const std::vector<double>& w, std::vector<double>& g) const;
  // Top Hessian eigenvalue at w by Lanczos (lanczos_iters, seeded by the step and `salt`).
  double sharpness(const std::vector<double>& w, uint64_t salt) const;

  Json config_;
  CentralFlowSettings s_;
  std::unique_ptr<TrainingExperiment> base_;  // data, model and loss (its own weights unused)
  TensorList like_;                           // parameter shapes, float64
  std::vector<double> w_gd_, w_gf_, w_cf_;
  std::vector<std::vector<double>> tracked_;  // (track, n) eigenvector estimates at w_cf
  int64_t total_steps_ = 0, log_every_ = 1, step_ = 0;
  bool diverged_ = false;
  std::string divergence_reason_;
  // Per step (not only logged ones), for the summary: GD loss and sharpness (NaN when not
  // probed), central-flow sharpness and predicted loss, gradient flow sharpness.
  std::vector<double> gd_loss_, gd_sharpness_, gf_sharpness_, cf_sharpness_, cf_pred_loss_;
};

}  // namespace gradlab
