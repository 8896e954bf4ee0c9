// catapult: full-batch GD on a two-layer network in NTK parameterisation with the step size
// set relative to the initial sharpness, η = c / λ₀ (Lewkowycz et al. 2020, "The large
// learning rate phase of deep learning: the catapult mechanism").
//
// The network is f(x) = (1/√m) V φ(U x / √d) with U (m×d), V (k×m) drawn N(0, 1):
//   model "uv"    φ = identity, d = k = 1 and one example (x, y): the paper's two-layer
//                 linear model f = vᵀu x / √m (its §2), trained on ½(f − y)²;
//   model "relu"  φ = ReLU on the data block's examples, L = 1/(2n) Σᵢ ‖f(xᵢ) − yᵢ‖²
//                 (one-hot targets for classes), the paper's wide ReLU networks.
// Everything is plain double loops in a fixed order (gradient and Hessian-vector product in
// closed form), so native and WebAssembly runs give the same rows. The sharpness λ is the top
// Hessian eigenvalue (Lanczos on the exact HVP); λ₀ is measured before step 0 and fixes η.
#pragma once

#include <vector>

#include "gradlab/experiment.h"

namespace gradlab {

class CatapultExperiment : public Experiment {
 public:
  explicit CatapultExperiment(const Json& config);
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

  // The parameters as one flat vector [U row-major, V row-major], and the loss, gradient and
  // Hessian-vector product at any such vector (public for the tests' finite differences).
  const std::vector<double>& params() const { return w_; }
  double loss_at(const std::vector<double>& w, double* accuracy = nullptr) const;
  std::vector<double> gradient_at(const std::vector<double>& w) const;
  std::vector<double> hvp_at(const std::vector<double>& w, const std::vector<double>& v) const;
  // Top Hessian eigenvalue at w (Lanczos, catapult.lanczos_iters).
  double sharpness_at(const std::vector<double>& w) const;
  double initial_sharpness() const { return lambda0_; }
  double lr() const { return lr_; }

 private:
  // Hidden pre-activations H (n×m) and outputs F (n×k) at w.
  void forward(const std::vector<double>& w, std::vector<double>& h, std::vector<double>& f) const;

  Json config_;
  bool relu_ = false;
  int64_t n_ = 0, d_ = 0, m_ = 0, k_ = 0;
  std::vector<double> x_;  // n×d inputs
  std::vector<double> y_;  // n×k targets
  std::vector<int64_t> labels_;  // n class ids (classification), else empty
  std::vector<double> w_;
  double lr_ = 0, c_ = 0, lambda0_ = 0, initial_loss_ = 0;
  double divergence_ratio_ = 0;
  double peak_loss_ = 0;  // the largest loss seen so far, and its step
  int64_t peak_step_ = 0;
  int64_t lanczos_iters_ = 0, sharpness_every_ = 0;
  int64_t total_steps_ = 0, log_every_ = 1, step_ = 0;
  bool diverged_ = false;
  std::string divergence_reason_;
  std::string data_description_;
};

}  // namespace gradlab
