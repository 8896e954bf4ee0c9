// The SVM margin lab's experiment kinds (issue 6): svm_margin and implicit_bias.
//
// svm_margin (svm_margin.cpp): one SMO solve (gradlab/svm.h) on the configured two-class
// data; one metrics row and a summary with the margin, support vectors, objectives, errors
// and the margin bound. implicit_bias (implicit_bias.cpp): GD / normalised GD / Adam on
// logistic or exponential loss with a bias-free linear model, compared every logged step with
// the hard-margin SVM direction (Soudry et al. 2018). docs/kinds/svm_margin.md and implicit_bias.md document them.
#pragma once

#include <memory>

#include "gradlab/experiment.h"

namespace gradlab {

std::unique_ptr<Experiment> make_svm_margin(const Json& config);
std::unique_ptr<Experiment> make_implicit_bias(const Json& config);

// Shared by both kinds: the two classes of a loaded split as labels ±1 (label index 0 → −1,
// index 1 → +1), ConfigError naming data.classes unless the data have exactly two classes.
std::vector<double> svm_signed_labels(const std::vector<int64_t>& labels, int64_t num_classes,
                                      const char* kind);

}  // namespace gradlab
