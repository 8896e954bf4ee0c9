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
  "card": {
    "id": "card-random-labels", "heading": "Fitting random labels",
    "text": [
      "Train the same network on true labels, on labels corrupted with probability p, on",
      "random labels, or on images replaced by noise, and watch train and test accuracy",
      "race epoch by epoch. Train accuracy reaches 100% every time, a little later for",
      "random labels, while test accuracy falls to chance (Zhang et al., 2017)."
    ],
    "claim": [
      "Claim: a network that generalises can also memorise pure noise, so its capacity",
      "alone cannot explain why it generalises."
    ],
    "link": "Open the random-labels lab →"
  },
  "presets": "experiments/random_labels",
  "preset_list": [
    {"file": "browser_true_vs_half.json", "title": "True labels vs p = 0.5 (MLP 1×512)"},
    {"file": "label_noise_sweep.json", "title": "p = 0, 0.5, 1 (MLP 1×512, 3 runs)"},
    {"file": "mlp_fashion.json", "title": "p = 0, 0.2, …, 1 (MLP 1×512, 6 runs)"},
    {"file": "random_labels.json", "title": "Random labels (MLP 1×512)"},
    {"file": "gaussian.json", "title": "Gaussian inputs (MLP 1×512)"},
    {"file": "mlp3_randomizations.json", "title": "All five tests, MLP 3×512 (5 runs)"},
    {"file": "cnn_randomizations.json", "title": "All five tests, small CNN (5 runs)"}
  ],
  "fields": [
    {
      "path": "data.label_noise",
      "label": "Label corruption p",
      "control": "slider",
      "min": 0,
      "max": 1,
      "step": 0.05
    },
    {"path": "data.n_train", "label": "n (training examples)"},
    {"path": "train.epochs", "label": "Epochs"},
    {"path": "optim.lr", "label": "Learning rate η"},
    {"path": "seed", "label": "Seed"}
  ],
  "point_labels": {
    "data.randomize": {
      "none": "true labels",
      "labels": "random labels",
      "shuffled_pixels": "shuffled pixels",
      "random_pixels": "random pixels",
      "gaussian": "Gaussian inputs"
    },
    "data.label_noise": "p = {}"
  },
  "run_label": "true labels",
  "status": [
    {"text": "train {last.train_acc%}"}, {"text": "test {last.test_acc%}"},
    {"text": "100% train accuracy at epoch {summary.epochs_to_fit}", "else": "not fitted yet"}
  ],
  "charts": [
    {
      "id": "accuracy",
      "title": "Accuracy: train (solid) and test (dashed)",
      "x": "step",
      "x_per": "steps_per_epoch",
      "x_label": "epoch",
      "y": ["train_acc", "test_acc"],
      "y_labels": ["train", "test"],
      "y_label": "accuracy"
    },
    {
      "id": "loss",
      "title": "Training loss (cross-entropy)",
      "x": "step",
      "x_per": "steps_per_epoch",
      "x_label": "epoch",
      "y": ["loss"],
      "y_label": "loss",
      "log_y": true
    }
  ]
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
