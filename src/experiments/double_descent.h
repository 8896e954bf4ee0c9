// double_descent: model-wise double descent with random features (Belkin et al. 2019,
// "Reconciling modern machine-learning practice and the classical bias–variance trade-off";
// Nakkiran et al. 2019, "Deep double descent").
//
// Dimension legend: n = training examples, m = test examples, d = input size (784 for
// Fashion-MNIST), N = model.n_features, K = classes.
//
// Model: f(x) = Wᵀφ(x) with a fixed random feature map φ: R^d → R^N and trained
// coefficients W (N, K). Features (V (N, d) and b (N) drawn once from gradlab::Rng with the
// seed, row j from the same stream position whatever N is, so the N-feature model is a
// prefix of the 2N-feature one):
//   fourier: φⱼ(x) = √(2/N) · cos(vⱼᵀx + bⱼ),  vⱼ ~ N(0, I/σ²), bⱼ ~ U[0, 2π)
//            (Rahimi & Recht 2007: φ(x)ᵀφ(x') → exp(−‖x − x'‖²/(2σ²)) as N → ∞)
//   relu:    φⱼ(x) = √(2/N) · max(0, vⱼᵀx + bⱼ),  vⱼ ~ N(0, I/σ²), bⱼ ~ N(0, 1)
//            (the 1/√N keeps ‖φ(x)‖ independent of N, so ‖W‖ is comparable across N)
// σ = model.bandwidth, default √d (so vⱼᵀx has about unit variance on standardized inputs).
//
// Fit: squared loss on one-hot targets Y (n, K), ridge λ = model.ridge:
//   N ≤ n (primal): W = (ΦᵀΦ + λI)⁺ ΦᵀY
//   N > n (dual):   A = (ΦΦᵀ + λI)⁺ Y,  W = ΦᵀA
// Both are the minimum-norm least-squares solution for λ = 0 (the pseudo-inverse is taken
// through a symmetric eigendecomposition of the min(n, N)-sized Gram matrix, eigenvalues
// below max(n, N)·ε·λmax treated as zero), and the ridge solution for λ > 0. As N crosses
// n the model starts to interpolate; at N ≈ n the Gram matrix is nearly singular, ‖W‖
// blows up and so does the test error — the peak of double descent. Ridge removes it.
//
// One experiment step = the whole fit. Its row (and the summary) has n_features, n_params
// (N·K), n_train, train_error, test_error (1 − accuracy), loss / test_loss (½‖f(x) − y‖²
// summed over classes, mean over examples: the project's mse), param_norm (‖W‖_F), ridge.
// Config: kind double_descent, data.*, model {type random_features, n_features, features,
// bandwidth, ridge}, loss mse; optim and train are required by the schema but unused.
//
// With model.type "mlp" the kind trains a network instead (NetworkDoubleDescentExperiment,
// below): model-wise double descent is a sweep over model.widths, epoch-wise is one long
// run's rows, sample-wise is a sweep over data.n_train.
#pragma once

#include <vector>

#include "experiments/training.h"
#include "gradlab/data.h"
#include "gradlab/experiment.h"

namespace gradlab {

// The random-features model of a config (model.* keys) and its closed-form fit.
struct RandomFeaturesSpec {
  int64_t n_features = 0;  // N
  bool fourier = false;    // relu otherwise
  double bandwidth = 0;    // σ; 0 = √(input size)
  double ridge = 0;        // λ
};

// Fits the spec on data.train (one-hot targets, data.num_classes classes) and scores it on
// both splits; returns the metrics row described above (without "step"). Fills
// `coefficients` (N, K) row-major when given. The bench times this directly.
Json fit_random_features(const Dataset& data, const RandomFeaturesSpec& spec, uint64_t seed,
                         std::vector<double>* coefficients = nullptr);

class DoubleDescentExperiment : public Experiment {
 public:
  explicit DoubleDescentExperiment(const Json& config);
  int64_t total_steps() const override { return 1; }
  int64_t steps_done() const override { return fitted_ ? 1 : 0; }
  std::optional<Json> step() override;
  Json summary(const std::vector<Json>& rows) const override;
  void save_state(NamedTensors& tensors, Json& state) const override;
  void load_state(const SafetensorsFile& tensors, const Json& state) override;
  std::string description() const override;

  // The fitted coefficients W, row-major (N, K) (empty before step()).
  const std::vector<double>& coefficients() const { return coefficients_; }

 private:
  Json config_;
  Dataset data_;
  RandomFeaturesSpec spec_;
  bool fitted_ = false;
  Json result_;                       // the fit's row
  std::vector<double> coefficients_;  // (N, K)
};

// Network double descent (Nakkiran et al. 2019, "Deep double descent"; Belkin et al. 2019,
// Fig. 3 for networks): an MLP whose hidden layers all have the same width h, trained by
// TrainingExperiment (any optimizer, usually Adam for thousands of epochs) on a classification
// set with data.label_noise, so that fitting the training set means memorising the noisy
// labels. Model-wise: sweep model.widths ([[1], [2], [4], ...]); sample-wise: sweep
// data.n_train; epoch-wise: log every epoch of one large width.
//
// Rows: TrainingExperiment's (loss, train_acc, test_loss, test_acc, param_norm, ...) plus
// epoch (= step / steps per epoch), train_error = 1 − train_acc (on the noisy training labels)
// and test_error = 1 − test_acc. A row at step s describes the parameters before update s.
// Summary (= a sweep.jsonl row): width, depth (hidden layers), n_params, n_train, n_test,
// label_noise, n_noisy, noisy_indices, and, at the *final* parameters (after the last update),
// loss, train_error, test_error, test_loss, param_norm, interpolated (train_error ≤
// train.interpolation_tol); epoch-wise figures from the logged rows: interpolation_epoch (the
// first logged epoch with train_error ≤ tol), epochwise_min_test_error / _epoch (the lowest
// test error logged before interpolation_epoch), epochwise_peak_test_error / _epoch (the
// highest logged after that minimum), best_test_error / _epoch (over the whole run).
// Built by make_double_descent_experiment as the shared TrainingExperiment with this kind's
// hooks (double_descent_network.cpp).
TrainingHooks network_double_descent_hooks();

// The kind's factory: model.type random_features → DoubleDescentExperiment, mlp →
// TrainingExperiment with network_double_descent_hooks(), anything else a ConfigError naming
// model.type.
std::unique_ptr<Experiment> make_double_descent_experiment(const Json& config);

// The summary of a double-descent sweep (the rows of sweep.jsonl), or null when the rows
// are neither a random-features sweep over n_features nor a network sweep (rows with width).
// Random features, per ridge value (rows grouped by ridge):
// interpolation_threshold (= n_train: N = n), the grid point nearest to it, the test-error
// peak and the ‖W‖ peak (n_features, value, grid steps from the threshold), the best test
// error below the threshold and the test error at the largest N.
// Networks: see network_sweep_summary.
Json double_descent_sweep_summary(const std::vector<Json>& rows);

// The summary of a network double-descent sweep, or null when no row has a width. Rows are
// grouped by the swept keys (the row keys with a dot: data.label_noise, optim.lr, ...) other
// than the axis; one curve per group and axis:
//   axis "width" (model.widths swept): interpolation_threshold_width = the smallest width
//     whose run interpolated (train_error ≤ its interpolation_tol; null if none), its n_params,
//     the test-error peak (width, value, grid steps from the threshold), the ‖θ‖ peak, the
//     best test error below the threshold and the test error at the largest width;
//   axis "n_train" (data.n_train swept): the largest n_train that is still interpolated, the
//     test-error peak (n_train, value, grid steps from that n) — Nakkiran et al.'s sample-wise
//     non-monotonicity: more data can hurt near the threshold.
Json network_sweep_summary(const std::vector<Json>& rows);

}  // namespace gradlab
