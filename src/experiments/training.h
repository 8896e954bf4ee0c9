// Supervised training of a model on a data set: the one experiment behind
// edge_of_stability, random_labels and network double_descent. Each of those kinds
// specialises it with TrainingHooks from its kind file (src/experiments/kinds/): extra row
// keys, summary figures, a description — functions, not subclasses.
//
// One step = one optimizer update on one batch (the full training set for GD). A
// logged step's row describes the parameters *before* that step's update (so step 0
// is the initialisation), as in Cohen et al. 2021's plots.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "gradlab/config_views.h"
#include "gradlab/data.h"
#include "gradlab/experiment.h"
#include "gradlab/loss.h"
#include "gradlab/nn.h"
#include "gradlab/optim.h"
#include "gradlab/rng.h"
#include "gradlab/spectrum.h"

namespace gradlab {

class TrainingExperiment;

// How a kind built on the shared training loop specialises it. Every hook is optional.
struct TrainingHooks {
  // Checks the built experiment (throws ConfigError), e.g. double_descent's equal widths.
  void (*check)(const TrainingExperiment&) = nullptr;
  // Adds keys to every logged row, after the shared ones and the sharpness probe.
  void (*add_row_keys)(const TrainingExperiment&, Json& row) = nullptr;
  // Adds the kind's figures to the shared summary (final losses, sizes).
  void (*add_summary)(const TrainingExperiment&, const std::vector<Json>& rows,
                      Json& summary) = nullptr;
  // Online data (sparse_parity): draws each step's training batch of `count` fresh examples
  // from `rng` (the checkpointed batch stream) instead of taking it from the training set.
  DataSplit (*draw_batch)(const TrainingExperiment&, Rng& rng, int64_t count) = nullptr;
  // The progress line's description; nullptr: "<kind>: <model> (<n> parameters) on <data>".
  std::string (*description)(const TrainingExperiment&) = nullptr;
};

class TrainingExperiment : public Experiment {
 public:
  explicit TrainingExperiment(const Json& config, TrainingHooks hooks = {});
  int64_t total_steps() const override { return total_steps_; }
  int64_t steps_done() const override { return step_; }
  // Replaces the step count of train.steps / train.epochs before the first step (scaling's
  // train.flops_budget); the learning-rate schedule follows the new count.
  void set_total_steps(int64_t steps);
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
  const Json& config() const { return config_; }
  const Dataset& data() const { return data_; }
  // Optimizer steps per pass over the training set (1 for full-batch GD).
  int64_t steps_per_epoch() const;
  // Loss and accuracy (−1 for regression) at the current parameters on the training set,
  // and on the test set (false when there is none).
  void evaluate_train(double& loss, double& acc) const {
    evaluate(x_train_eval_, t_train_eval_, loss, acc);
  }
  bool evaluate_test(double& loss, double& acc) const;
  // The same at other parameters of this model (mode_connectivity's paths between networks).
  void evaluate_train_at(const TensorList& params, double& loss, double& acc) const {
    evaluate_at(params, x_train_, t_train_, loss, acc);
  }
  bool evaluate_test_at(const TensorList& params, double& loss, double& acc) const;
  // A split as the model's input tensor and the loss's targets (dtype, device, encoding).
  Tensor make_inputs(const DataSplit& s) const;
  Targets make_targets(const DataSplit& s) const;

 private:
  // The sharpness probe (sharpness_probe.cpp): on probe steps, the top Hessian eigenvalues
  // (probe.*), and with probe.average_window the same at the mean of the last W iterates.
  void add_probes(Json& row);
  // Top Hessian eigenvalues at `at`; with scale (P^{-1/2} flattened), those of S H S.
  std::vector<double> probe_eigs(const TensorList& at,
                                 const std::vector<double>* scale = nullptr) const;
  // The Hessian of the probe loss at `at` as an operator on flat vectors, and the Lanczos
  // options the probe runs (probe.lanczos_iters, seeded by the step) for n unknowns.
  LinearOperator probe_hessian(const TensorList& at) const;
  LanczosOptions probe_lanczos(int64_t n, int64_t top_k) const;
  // probe.per_layer: {state_dict name: λmax(H_ℓℓ)} over the parameter tensors at `at`.
  Json layer_sharpness(const TensorList& at) const;
  // Whether this step measures the sharpness (every probe.sharpness_every steps).
  bool probe_due() const { return probe_every_ > 0 && step_ % probe_every_ == 0; }
  // probe.average_window: adds this step's parameters to the window's running sum.
  void accumulate_average(const TensorList& params);
  // The constructor's second half: the model (with model.init_from) and the optimizer.
  void build_model_and_optimizer(bool tokens);
  // Fills loss/acc keys for a split evaluated at the current parameters.
  void evaluate(const Tensor& x, const Targets& t, double& loss, double& acc) const {
    evaluate_at(model_->params(), x, t, loss, acc);
  }
  void evaluate_at(const TensorList& params, const Tensor& x, const Targets& t, double& loss,
                   double& acc) const;

  Json config_;
  OptimConfig optim_;  // typed views of the resolved config (gradlab/config_views.h)
  ProbeConfig probe_;  // zeros for kinds that do not read the probe block
  TrainingHooks hooks_;
  DType dtype_ = DType::F32;
  Device device_ = Device::CPU;
  Dataset data_;
  Tensor x_train_, x_test_;
  Targets t_train_, t_test_;
  // What logged rows evaluate: the splits themselves, or with train.eval_examples (scaling)
  // that many evenly spaced examples of each.
  Tensor x_train_eval_, x_test_eval_;
  Targets t_train_eval_, t_test_eval_;
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

// edge_of_stability's hooks (kinds/edge_of_stability.cpp): its summary figures. Tests that
// build a TrainingExperiment directly pass them to get the kind's summary.
TrainingHooks edge_of_stability_hooks();

// Targets for rows [begin, begin + count) of a split, or for a list of rows.
Targets select_targets(const Targets& t, const Tensor& rows);

}  // namespace gradlab
