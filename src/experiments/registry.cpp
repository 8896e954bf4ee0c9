// Experiment kinds: config["kind"] -> Experiment (docs/design.md §3).
#include "experiments/double_descent.h"
#include "experiments/quadratic.h"
#include "experiments/random_labels.h"
#include "experiments/svm_experiments.h"
#include "experiments/training.h"

namespace gradlab {

namespace {
struct Kind {
  const char* name;
  const char* description;
  std::unique_ptr<Experiment> (*make)(const Json&);
};

std::unique_ptr<Experiment> make_training(const Json& c) {
  return std::make_unique<TrainingExperiment>(c);
}
std::unique_ptr<Experiment> make_quadratic(const Json& c) {
  return std::make_unique<QuadraticExperiment>(c);
}
std::unique_ptr<Experiment> make_random_labels(const Json& c) {
  return std::make_unique<RandomLabelsExperiment>(c);
}
std::unique_ptr<Experiment> make_double_descent(const Json& c) {
  return make_double_descent_experiment(c);
}

const std::vector<Kind>& kinds() {
  static const std::vector<Kind> k = {
      {"double_descent",
       "random-features least squares (min-norm past N = n) or an MLP width sweep on noisy "
       "labels: test error peaks at the interpolation threshold and falls again (Belkin et al. "
       "2019, Nakkiran et al. 2019)",
       make_double_descent},
      {"edge_of_stability",
       "full-batch GD with periodic Hessian top-eigenvalue probes (Cohen et al. 2021)",
       make_training},
      {"implicit_bias",
       "GD / normalised GD / Adam on logistic or exponential loss turns toward the max-margin "
       "SVM direction (Soudry et al. 2018)",
       make_implicit_bias},
      {"quadratic_gd",
       "GD on f(x) = ½ xᵀAx with a chosen spectrum: converges, oscillates or diverges at 2/λmax",
       make_quadratic},
      {"random_labels",
       "train on true / corrupted / random labels or random inputs (Zhang et al. 2017)",
       make_random_labels},
      {"svm_margin",
       "max-margin SVM (SMO; linear, rbf, poly kernels) with its margin, support vectors and "
       "the margin bound",
       make_svm_margin},
  };
  return k;
}
}  // namespace

std::unique_ptr<Experiment> make_experiment(const Json& config) {
  if (!config.contains("kind") || !config["kind"].is_string())
    fail<ConfigError>("kind: missing (expected one of the kinds `gradlab list` prints)");
  std::string kind = config["kind"].get<std::string>();
  for (const Kind& k : kinds())
    if (kind == k.name) {
      std::unique_ptr<Experiment> made = k.make(config);
      // Only the shared training loop (TrainingExperiment and its kinds) places tensors on a
      // device; the others compute on the CPU, so "cuda" there is an error, not a silent CPU run.
      if (config.value("device", "cpu") == "cuda" &&
          dynamic_cast<const TrainingExperiment*>(made.get()) == nullptr)
        fail<ConfigError>("device: \"cuda\" is not supported by kind ", kind,
                          " with this configuration: it computes on the CPU (cuda applies to "
                          "networks trained by gradient methods); use \"cpu\" or \"auto\"");
      return made;
    }
  std::string valid;
  for (const Kind& k : kinds()) valid += (valid.empty() ? "" : ", ") + std::string(k.name);
  fail<ConfigError>("kind: \"", kind, "\" cannot run in this build yet (implemented: ", valid, ")");
}

std::vector<std::pair<std::string, std::string>> experiment_kinds() {
  std::vector<std::pair<std::string, std::string>> out;
  for (const Kind& k : kinds()) out.emplace_back(k.name, k.description);
  return out;
}

}  // namespace gradlab
