// svm_margin — the max-margin classifier (SMO; linear, rbf, poly kernels) with its margin,
// support vectors and the margin bound (the experiment: ../svm_margin.cpp). Labels: any two
// values (−1/+1, 0/1, 1/2), the smaller read as −1 (LabelValues::AnyTwo).
#include "experiments/svm_experiments.h"
#include "gradlab/config_keys.h"
#include "gradlab/kind.h"

namespace gradlab {
namespace {

using namespace config::schema_tables;  // NOLINT: the key builder's vocabulary

// The svm block (svm.tol also serves implicit_bias's reference SVM).
std::vector<KeySpec> keys() {
  return {
      key("svm.kernel", T::String, "linear",
          "SVM kernel (libsvm's definitions): linear ⟨x, x′⟩, rbf exp(−γ‖x − x′‖²), poly "
          "(γ⟨x, x′⟩ + coef0)^degree")
          .one_of({"linear", "rbf", "poly"})
          .when("kind", {"svm_margin"}),
      key("svm.C", T::NumberOrString, "inf",
          "soft-margin penalty C of the C-SVC; \"inf\" = hard margin (error if not separable)")
          .one_of({"inf"})
          .at_least(0)
          .when("kind", {"svm_margin"}),
      key("svm.gamma", T::Number, 0.5, "γ of the rbf and poly kernels")
          .at_least(0)
          .when("svm.kernel", {"rbf", "poly"}),
      key("svm.degree", T::Int, 3, "degree of the poly kernel")
          .at_least(1)
          .when("svm.kernel", {"poly"}),
      key("svm.coef0", T::Number, 1.0, "coef0 of the poly kernel").when("svm.kernel", {"poly"}),
      key("svm.tol", T::Number, 1e-6,
          "SMO stops when the maximal KKT violation m(α) − M(α) < tol (libsvm's criterion)")
          .at_least(0)
          .when("kind", {"svm_margin", "implicit_bias"}),
      key("svm.delta", T::Number, 0.05,
          "confidence δ of the margin bound 2/(ρ√m) + √(log(1/δ)/(2m)) (inputs normalised to "
          "max‖x‖ ≤ 1)")
          .in(0, 1)
          .when("kind", {"svm_margin"}),
  };
}

const char* const kPage = R"json({
  "file": "svm.html",
  "title": "SVM margin lab",
  "blurb": "Click points of two classes: the max-margin classifier, its margin and the margin bound.",
  "card": {
    "id": "card-svm", "heading": "SVM margins and the implicit bias of GD",
    "text": [
      "Click points of two classes and watch the max-margin classifier (linear, rbf or",
      "polynomial kernel, hard or soft margin) and its support vectors follow; the margin ρ",
      "gives a generalisation bound, 2/(ρ√m) + √(log(1/δ)/(2m)), that never mentions the",
      "dimension. Beside it, plain gradient descent on the logistic loss of the same points",
      "slowly turns toward the very same direction (Soudry et al., 2018)."
    ],
    "claim": [
      "Claim: on separable data, GD on the logistic loss converges in direction to the",
      "hard-margin SVM, the angle closing only like 1/log t."
    ],
    "link": "Open the SVM margin lab →"
  },
  "presets": "experiments/svm",
  "preset_list": [{"file": "points.json", "title": "Example set: 12 points in the plane"}],
  "fields": [
    {
      "path": "svm.C",
      "label": "C (soft margin)",
      "control": "log-slider",
      "min": 0.01,
      "max": 10000,
      "toggle": {"value": "inf", "label": "hard margin (C = ∞)", "start": 1}
    },
    {
      "path": "svm.kernel",
      "label": "Kernel",
      "choice_labels": {
        "linear": "linear ⟨x, x′⟩",
        "rbf": "rbf exp(−γ‖x − x′‖²)",
        "poly": "poly (γ⟨x, x′⟩ + coef0)^degree"
      }
    },
    {"path": "svm.gamma", "label": "γ"},
    {"path": "svm.degree", "label": "degree"},
    {"path": "svm.coef0", "label": "coef0"},
    {"path": "svm.delta", "label": "δ (the bound holds with probability ≥ 1 − δ)"}
  ]
})json";

}  // namespace

Kind svm_margin_kind() {
  Kind k;
  k.name = "svm_margin";
  k.description =
      "max-margin SVM (SMO; linear, rbf, poly kernels) with its margin, support vectors and "
      "the margin bound";
  k.blocks = {{"data", "", {}}, {"svm", "", {}}};
  k.keys = keys;
  k.make = make_svm_margin;
  k.row_keys = {"margin", "n_sv", "train_error", "test_error", "bound"};
  k.labels = LabelValues::AnyTwo;
  k.page = kPage;
  return k;
}

}  // namespace gradlab
