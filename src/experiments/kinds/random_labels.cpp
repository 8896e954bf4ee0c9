// random_labels — Zhang et al. 2017, "Understanding deep learning requires rethinking
// generalization": the same network and optimizer on true labels, partially corrupted labels
// (data.label_noise = p), random labels, shuffled / random pixels and Gaussian inputs
// (data.randomize). Training is the shared TrainingExperiment's; this kind adds the figures
// of the paper's Fig. 1 to the summary:
//   steps_to_fit / epochs_to_fit: the first logged step whose train accuracy (on the full
//     training set) reaches 1.0 — or, with train.fit_threshold set, whose training loss is
//     at most that threshold; null when never reached. A row at step s describes the
//     parameters after s updates, so epochs_to_fit = s / steps_per_epoch.
//   final_test_error (from the last logged row), label_noise, randomize.
//   noisy_indices: the training examples whose label the data layer replaced (ascending;
//     the new label may equal the old one), with n_noisy, so a run can be inspected.
#include "experiments/training.h"
#include "gradlab/config_keys.h"
#include "gradlab/kind.h"

namespace gradlab {
namespace {

using namespace config::schema_tables;  // NOLINT: the key builder's vocabulary

std::vector<KeySpec> keys() {
  return {
      key("train.fit_threshold", T::Number, required,
          "random_labels: the run counts as fitted once the training loss is at most this "
          "(summary epochs_to_fit); absent: once train accuracy reaches 100%")
          .at_least(0)
          .optional()
          .when("kind", {"random_labels"}),
  };
}

void add_summary(const TrainingExperiment& e, const std::vector<Json>& rows, Json& s) {
  const Json& train = e.config().at("train");
  const Json* threshold = train.contains("fit_threshold") ? &train["fit_threshold"] : nullptr;
  Json fit_step = nullptr;
  for (const Json& r : rows) {
    const bool fitted = threshold ? r.contains("loss") && r["loss"].get<double>() <=
                                                              threshold->get<double>()
                                  : r.contains("train_acc") && r["train_acc"].get<double>() >= 1.0;
    if (fitted) {
      fit_step = r["step"];
      break;
    }
  }
  const int64_t steps_per_epoch = e.steps_per_epoch();
  s["fit_criterion"] = threshold ? "loss <= train.fit_threshold" : "train_acc = 1";
  s["steps_per_epoch"] = steps_per_epoch;
  s["steps_to_fit"] = fit_step;
  s["epochs_to_fit"] = fit_step.is_null()
                           ? Json(nullptr)
                           : Json(static_cast<double>(fit_step.get<int64_t>()) /
                                  static_cast<double>(steps_per_epoch));
  if (s.contains("final_test_acc")) s["final_test_error"] = 1.0 - s["final_test_acc"].get<double>();
  const Json& data = e.config().at("data");
  s["label_noise"] = data.at("label_noise");
  s["randomize"] = data.at("randomize");
  s["n_noisy"] = e.data().noisy_indices.size();
  s["noisy_indices"] = e.data().noisy_indices;
}

std::unique_ptr<Experiment> make(const Json& config) {
  TrainingHooks hooks;
  hooks.add_summary = add_summary;
  return std::make_unique<TrainingExperiment>(config, hooks);
}

const char* const kPage = R"json({
  "file": "random-labels.html",
  "title": "Random labels",
  "blurb": "Zhang et al.'s randomisation tests: the same network fits true, corrupted and random labels.",
  "presets": "experiments/random_labels"
})json";

}  // namespace

Kind random_labels_kind() {
  Kind k;
  k.name = "random_labels";
  k.description = "train on true / corrupted / random labels or random inputs (Zhang et al. 2017)";
  for (const char* block : {"data", "model", "loss", "optim", "train", "dtype", "device"})
    k.blocks.push_back({block, "", {}});
  k.keys = keys;
  k.make = make;
  k.devices = {"cpu", "cuda"};
  k.page = kPage;
  return k;
}

}  // namespace gradlab
