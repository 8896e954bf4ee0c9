// mode_connectivity: are two trained networks connected by a path of low loss?
//   Garipov et al. 2018, "Loss surfaces, mode connectivity, and fast ensembling of DNNs";
//   Draxler et al. 2018, "Essentially no barriers in neural network energy landscape";
//   Ainsworth, Hayase & Srinivasa 2023, "Git Re-Basin".
// Steps run in four phases, one metrics row each (key "phase"):
//   train   networks A (seed) and B (mode_connectivity.seed_b) trained side by side with the
//           shared TrainingExperiment (or loaded from mode_connectivity.endpoints: no steps);
//   bend    a quadratic Bézier curve φ(t) = (1−t)²A + 2t(1−t)θ + t²B, its bend θ trained by the
//           optim block's optimizer on the full-batch loss at one t ~ U[0, 1] per step
//           (Garipov et al. §3.2; θ starts at the midpoint (A + B)/2);
//   curve   one t of a grid of mode_connectivity.points per step: training loss and accuracy on
//           the straight line (1−t)A + tB, on the Bézier curve, and on the straight line to
//           P(B), B with its hidden units permuted by weight matching (weight_matching.h);
//   slice   one row of a grid over the plane through A, B and θ (the loss landscape slice).
// The summary's barriers are max over t of L(t) − ((1−t)L(0) + tL(1)).
#pragma once

#include <memory>
#include <vector>

#include "experiments/training.h"
#include "experiments/weight_matching.h"
#include "gradlab/rng.h"

namespace gradlab {

class ModeConnectivityExperiment : public Experiment {
 public:
  explicit ModeConnectivityExperiment(const Json& config);
  int64_t total_steps() const override;
  int64_t steps_done() const override { return step_; }
  std::optional<Json> step() override;
  bool diverged() const override { return diverged_; }
  std::string divergence_reason() const override { return divergence_reason_; }
  Json summary(const std::vector<Json>& rows) const override;
  void save_state(NamedTensors& tensors, Json& state) const override;
  void load_state(const SafetensorsFile& tensors, const Json& state) override;
  NamedTensors named_params() const override;
  std::string description() const override;

  // The endpoints as flat vectors (state_dict order), B after weight matching, the bend.
  std::vector<double> params_a() const;
  std::vector<double> params_b() const;
  const std::vector<double>& matched_b() const { return matched_b_; }
  const MlpLayout& layout() const { return layout_; }
  // Training loss and accuracy at a flat parameter vector.
  void evaluate(const std::vector<double>& flat, double& loss, double& acc) const;
  // Network outputs on the training set at a flat parameter vector (tests).
  std::vector<double> outputs(const std::vector<double>& flat) const;

 private:
  TensorList tensors_of(const std::vector<double>& flat) const;
  std::vector<double> bezier(double t) const;
  void match();  // fills matched_b_ (first curve step)
  void init_bend();

  Json config_;
  std::unique_ptr<TrainingExperiment> a_, b_;
  bool trained_ = true;  // false: endpoints loaded from files
  int64_t train_steps_ = 0, bend_steps_ = 0, points_ = 0, slice_points_ = 0;
  double slice_margin_ = 0;
  OptimConfig optim_;
  std::unique_ptr<Optimizer> bend_optimizer_;
  TensorList bend_;  // θ, shaped like the model's parameters
  Rng t_rng_;
  MlpLayout layout_;
  std::vector<std::vector<int64_t>> perms_;
  std::vector<double> matched_b_;
  int64_t step_ = 0;
  bool diverged_ = false;
  std::string divergence_reason_;
};

}  // namespace gradlab
