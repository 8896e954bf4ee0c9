// Gradient descent on a quadratic f(x) = ½ xᵀAx: the picture behind the edge of stability.
//
// With A = Q diag(λ) Qᵀ, GD x ← x − ηAx acts on each eigen-coordinate cᵢ = qᵢᵀx separately:
// cᵢ ← (1 − ηλᵢ) cᵢ. So coordinate i shrinks iff |1 − ηλᵢ| < 1, i.e. 0 < ηλᵢ < 2, and the
// whole run converges iff η < 2/L with L = λmax: at η = 2/L the top coordinate flips sign
// with constant amplitude, above it grows geometrically (Cohen et al. 2021, §2: the
// classical stability threshold 2/η that neural networks' sharpness hovers at).
//
// Config: the `quadratic` block (eigenvalues, rotate, x0), optim.type gd with optim.lr (and
// optim.schedule), train.steps / log_every / log_time / checkpoint_every. Always float64.
// Rows: loss, coords (cᵢ, in the order of quadratic.eigenvalues), contraction (|1 − ηλᵢ|),
// sharpness (= L), threshold (2/η), lr, grad_norm (‖Ax‖), param_norm (‖x‖).
//
// Divergence (status diverged): the loss at step t (before its update) is non-finite, or
// its magnitude exceeds kDivergenceFactor × |f(x₀)|. The reason names the eigenvalue with
// the largest contraction factor and how η compares with 2/λ.
#pragma once

#include <vector>

#include "gradlab/experiment.h"

namespace gradlab {

class QuadraticExperiment : public Experiment {
 public:
  // |f(x_t)| > kDivergenceFactor · |f(x₀)| counts as diverged (long before overflow: at
  // |1 − ηλ| = 1.2 the loss needs ~190 steps to grow by this factor).
  static constexpr double kDivergenceFactor = 1e30;

  explicit QuadraticExperiment(const Json& config);
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

  const std::vector<double>& eigenvalues() const { return lambda_; }
  // The current iterate x (original coordinates) and its eigen-coordinates c = Qᵀx.
  const std::vector<double>& x() const { return x_; }
  std::vector<double> eigen_coordinates() const;
  double loss() const;

 private:
  std::vector<double> apply_a(const std::vector<double>& x) const;  // A x
  std::string explain_divergence(double lr, double loss_value) const;

  Json config_;
  std::vector<double> lambda_;  // (d) eigenvalues as given
  bool rotated_ = false;
  std::vector<double> q_;  // (d, d) row-major, column j = eigenvector of λⱼ (if rotated)
  std::vector<double> x_;  // (d) current iterate
  double initial_loss_ = 0;
  double lambda_max_ = 0;
  int64_t total_steps_ = 0;
  int64_t log_every_ = 1;
  int64_t step_ = 0;
  bool diverged_ = false;
  std::string divergence_reason_;
};

}  // namespace gradlab
