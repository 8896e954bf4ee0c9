// random_labels: Zhang et al. 2017, "Understanding deep learning requires rethinking
// generalization" — the same network and optimizer on true labels, partially corrupted
// labels (data.label_noise = p), random labels, shuffled / random pixels and Gaussian
// inputs (data.randomize). Training is exactly TrainingExperiment's; this kind adds the
// figures of the paper's Fig. 1 to the summary:
//   steps_to_fit / epochs_to_fit: the first logged step whose train accuracy (on the full
//     training set) reaches 1.0 — or, with train.fit_threshold set, whose training loss is
//     at most that threshold; null when never reached. A row at step s describes the
//     parameters after s updates, so epochs_to_fit = s / steps_per_epoch.
//   final_test_acc / final_test_error, final_train_acc (from the last logged row).
//   noisy_indices: the training examples whose label the data layer replaced (ascending;
//     the new label may equal the old one), with n_noisy, so a run can be inspected.
#pragma once

#include "experiments/training.h"

namespace gradlab {

class RandomLabelsExperiment : public TrainingExperiment {
 public:
  explicit RandomLabelsExperiment(const Json& config);
  Json summary(const std::vector<Json>& rows) const override;

  int64_t steps_per_epoch() const { return steps_per_epoch_; }
  const std::vector<int64_t>& noisy_indices() const { return data_.noisy_indices; }

 private:
  int64_t steps_per_epoch_ = 1;
};

}  // namespace gradlab
