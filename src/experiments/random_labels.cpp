// random_labels: summary figures of Zhang et al. 2017's randomisation tests (see
// random_labels.h); the training itself is TrainingExperiment's.
#include "experiments/random_labels.h"

namespace gradlab {

RandomLabelsExperiment::RandomLabelsExperiment(const Json& config) : TrainingExperiment(config) {
  steps_per_epoch_ = batch_size_ == 0 ? 1 : (data_.train.n + batch_size_ - 1) / batch_size_;
}

Json RandomLabelsExperiment::summary(const std::vector<Json>& rows) const {
  Json s = TrainingExperiment::summary(rows);
  const Json* threshold = config_.contains("train") && config_["train"].contains("fit_threshold")
                              ? &config_["train"]["fit_threshold"]
                              : nullptr;
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
  s["fit_criterion"] = threshold ? "loss <= train.fit_threshold" : "train_acc = 1";
  s["steps_per_epoch"] = steps_per_epoch_;
  s["steps_to_fit"] = fit_step;
  s["epochs_to_fit"] = fit_step.is_null()
                           ? Json(nullptr)
                           : Json(static_cast<double>(fit_step.get<int64_t>()) /
                                  static_cast<double>(steps_per_epoch_));
  if (s.contains("final_test_acc")) s["final_test_error"] = 1.0 - s["final_test_acc"].get<double>();
  s["label_noise"] = config_.at("data").value("label_noise", 0.0);
  s["randomize"] = config_.at("data").value("randomize", Json(nullptr));
  s["n_noisy"] = data_.noisy_indices.size();
  s["noisy_indices"] = data_.noisy_indices;
  return s;
}

}  // namespace gradlab
