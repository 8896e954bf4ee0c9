// Supervised training of a model on a data set: the experiment behind
// edge_of_stability and random_labels (and the base others extend).
//
// One step = one optimizer update on one batch (the full training set for GD). A
// logged step's row describes the parameters *before* that step's update (so step 0
// is the initialisation), as in Cohen et al. 2021's plots.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "gradlab/data.h"
#include "gradlab/experiment.h"
#include "gradlab/loss.h"
#include "gradlab/nn.h"
#include "gradlab/optim.h"
#include "gradlab/rng.h"

namespace gradlab {

class TrainingExperiment : public Experiment {
 public:
  explicit TrainingExperiment(const Json& config);
  int64_t total_steps() const override { return total_steps_; }
  int64_t steps_done() const override { return step_; }
  std::optional<Json> step() override;
  std::optional<Json> preview() const override;
  bool diverged() const override { return diverged_; }
  std::string divergence_reason() const override { return divergence_reason_; }
  Json summary(const std::vector<Json>& rows) const override;
  void save_state(NamedTensors& tensors, Json& state) const override;
  void load_state(const SafetensorsFile& tensors, const Json& state) override;
  NamedTensors named_params() const override;
  std::map<std::string, std::string> params_metadata() const override;
  std::string description() const override;

  // The full-training-set loss as a function of the parameters (for HVPs).
  Tensor full_train_loss(const TensorList& params) const;
  const Model& model() const { return *model_; }
  Model& model() { return *model_; }

 protected:
  // Adds kind-specific metrics to a logged row (sharpness probes, ...).
  virtual void add_probes(Json& row);
  // Top Hessian eigenvalues (Lanczos, probe.* options) of the probe loss at `at`.
  std::vector<double> probe_eigs(const TensorList& at) const;
  // Whether this step measures the sharpness (every probe.sharpness_every steps).
  bool probe_due() const { return probe_every_ > 0 && step_ % probe_every_ == 0; }
  // probe.average_window: adds this step's parameters to the window's running sum.
  void accumulate_average(const TensorList& params);
  // Fills loss/acc keys for a split evaluated at the current parameters.
  void evaluate(const Tensor& x, const Targets& t, double& loss, double& acc) const;

  Json config_;
  DType dtype_ = DType::F32;
  Device device_ = Device::CPU;
  Dataset data_;
  Tensor x_train_, x_test_;
  Targets t_train_, t_test_;
  LossKind loss_kind_ = LossKind::Mse;
  std::unique_ptr<Model> model_;
  std::unique_ptr<Optimizer> optimizer_;
  Rng batch_rng_, dropout_rng_;
  int64_t total_steps_ = 0;
  int64_t batch_size_ = 0;  // 0 = full batch
  int64_t log_every_ = 1;
  int64_t step_ = 0;
  std::vector<int64_t> epoch_order_;  // minibatch SGD: this epoch's permutation
  int64_t epoch_pos_ = 0;
  bool diverged_ = false;
  std::string divergence_reason_;
  int64_t probe_every_ = 0;     // probe.sharpness_every
  int64_t average_window_ = 0;  // probe.average_window
  TensorList avg_sum_;          // sum of the window's iterates so far
  int64_t avg_count_ = 0;
};

// Targets for rows [begin, begin + count) of a split, or for a list of rows.
Targets select_targets(const Targets& t, const Tensor& rows);

}  // namespace gradlab
