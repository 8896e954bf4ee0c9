// double_descent — test error against model size peaks at the interpolation threshold and
// falls again (Belkin et al. 2019; Nakkiran et al. 2019, "Deep double descent"): random-features
// least squares fitted in closed form (min-norm past N = n; ../double_descent.cpp), or an MLP
// width sweep on noisy labels trained by the shared TrainingExperiment
// (../double_descent_network.cpp). The sweep summary marks where the threshold and the peaks lie.
#include "experiments/double_descent.h"
#include "gradlab/config_keys.h"
#include "gradlab/kind.h"

namespace gradlab {
namespace {

using namespace config::schema_tables;  // NOLINT: the key builder's vocabulary

std::vector<KeySpec> keys() {
  return {
      key("train.interpolation_tol", T::Number, 0.0,
          "double_descent with model.type mlp: a run interpolates when its final train error "
          "(on the noisy labels) is at most this; the sweep summary's interpolation threshold "
          "is the smallest width that does")
          .in(0, 1)
          .when("kind", {"double_descent"}),
  };
}

const char* const kPage = R"json({
  "file": "double-descent.html",
  "title": "Double descent",
  "blurb": "Random features swept over N/n: the test error peaks at N = n and falls again.",
  "card": {
    "id": "card-double-descent", "heading": "Double descent",
    "text": [
      "Fit least squares on N random features of n examples, for N from n/10 to 10n,",
      "computed live: test error peaks where the model starts to interpolate (N = n)",
      "together with the coefficient norm, then falls again; a little ridge removes the",
      "peak. Then an MLP, width by width, on noisy labels (Belkin et al., 2019; Nakkiran et",
      "al., 2019)."
    ],
    "claim": [
      "Claim: past the interpolation threshold, bigger models generalise better again; the",
      "bias–variance U is only the left half of the picture."
    ],
    "link": "Open the double-descent lab →"
  },
  "presets": "experiments/double_descent",
  "preset_list": [
    {
      "file": "browser_random_features.json",
      "title": "Random ReLU features, n = 200, N from n/10 to 10n, ridge control λ = 0.1"
    },
    {
      "file": "browser_mlp_width.json",
      "title": "MLP width sweep, 20% noisy labels (the second panel)"
    }
  ],
  "fields": [
    {
      "path": "model.features",
      "label": "Features φ(x)",
      "choice_labels": {
        "relu": "ReLU: √(2/N)·max(0, vᵀx + b)",
        "fourier": "Fourier: √(2/N)·cos(vᵀx + b)"
      }
    },
    {"path": "data.n_train", "label": "n (training examples)"},
    {"path": "data.n_test", "label": "Test examples"},
    {"path": "seed", "label": "Seed"}
  ],
  "mlp_fields": [
    {"path": "data.label_noise", "label": "Label noise"},
    {"path": "train.steps", "label": "Full-batch Adam steps per width"}
  ]
})json";

}  // namespace

Kind double_descent_kind() {
  Kind k;
  k.name = "double_descent";
  k.description =
      "random-features least squares (min-norm past N = n) or an MLP width sweep on noisy "
      "labels: test error peaks at the interpolation threshold and falls again (Belkin et al. "
      "2019, Nakkiran et al. 2019)";
  k.blocks = {{"data", "", {}}, {"model", "", {}}};
  // The closed-form random-features fit reads no loss, optimizer or training loop.
  for (const char* block : {"loss", "optim", "train", "dtype", "device"})
    k.blocks.push_back({block, "model.type", {Json("random_features")}});
  k.keys = keys;
  k.make = make_double_descent_experiment;
  k.sweep_summary = double_descent_sweep_summary;
  k.row_keys = {"epoch", "train_error", "test_error", "n_features", "ridge", "bandwidth"};
  k.devices = {"cpu", "cuda"};
  k.page = kPage;
  return k;
}

}  // namespace gradlab
