// implicit_bias — GD / normalised GD / Adam on logistic or exponential loss with a bias-free
// linear model turns toward the max-margin SVM direction (Soudry et al. 2018; the experiment:
// ../implicit_bias.cpp). Labels: any two values, the smaller read as −1.
#include "experiments/svm_experiments.h"
#include "gradlab/kind.h"

namespace gradlab {

Kind implicit_bias_kind() {
  Kind k;
  k.name = "implicit_bias";
  k.description =
      "GD / normalised GD / Adam on logistic or exponential loss turns toward the max-margin "
      "SVM direction (Soudry et al. 2018)";
  // svm: only svm.tol, the reference SVM's stopping tolerance.
  for (const char* block : {"data", "model", "loss", "optim", "train", "svm"})
    k.blocks.push_back({block, "", {}});
  k.make = make_implicit_bias;
  k.labels = LabelValues::AnyTwo;
  // Its page is svm.html's lower half (the same points), so it has none of its own.
  return k;
}

}  // namespace gradlab
