// Experiment kinds: config["kind"] -> Experiment (DESIGN.md §3).
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

const std::vector<Kind>& kinds() {
  static const std::vector<Kind> k = {
      {"edge_of_stability",
       "full-batch GD with periodic Hessian top-eigenvalue probes (Cohen et al. 2021)",
       make_training},
      {"random_labels",
       "train on true / corrupted / random labels or random inputs (Zhang et al. 2017)",
       make_training},
  };
  return k;
}
}  // namespace

std::unique_ptr<Experiment> make_experiment(const Json& config) {
  if (!config.contains("kind") || !config["kind"].is_string())
    fail<ConfigError>("kind: missing (expected one of the kinds `gradlab list` prints)");
  std::string kind = config["kind"].get<std::string>();
  for (const Kind& k : kinds())
    if (kind == k.name) return k.make(config);
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
