// mode_connectivity — two networks trained from different seeds are separated by a loss barrier
// on the straight line between them, but joined by a low-loss quadratic Bézier curve (Garipov
// et al. 2018; Draxler et al. 2018), and, once B's hidden units are permuted to match A's, by a
// much lower barrier on the straight line (Ainsworth et al. 2023). The experiment:
// ../mode_connectivity.cpp.
#include "experiments/mode_connectivity.h"
#include "gradlab/config_keys.h"
#include "gradlab/kind.h"

namespace gradlab {
namespace {

using namespace config::schema_tables;  // NOLINT: the key builder's vocabulary

std::vector<KeySpec> keys() {
  return {
      key("mode_connectivity.seed_b", T::Int, required,
          "seed of network B's initialisation and minibatch order (A uses `seed`; both see the "
          "same data); absent: seed + 1")
          .at_least(0)
          .optional()
          .when("kind", {"mode_connectivity"}),
      key("mode_connectivity.endpoints", T::StringList, required,
          "two safetensors files of trained parameters (gradlab run --save-params) used as A "
          "and B instead of training them; absent: train both")
          .items(2, 2)
          .optional()
          .when("kind", {"mode_connectivity"}),
      key("mode_connectivity.bend_steps", T::Int, 200,
          "optimizer steps on the Bézier curve's bend θ, one t ~ U[0, 1] each (optim block)")
          .at_least(0)
          .when("kind", {"mode_connectivity"}),
      key("mode_connectivity.points", T::Int, 21, "grid of t in [0, 1] the three paths are evaluated on")
          .at_least(2)
          .when("kind", {"mode_connectivity"}),
      key("mode_connectivity.slice_points", T::Int, 15,
          "side of the grid over the plane through A, B and θ (0: no landscape slice)")
          .at_least(0)
          .when("kind", {"mode_connectivity"}),
      key("mode_connectivity.slice_margin", T::Number, 0.2,
          "the slice extends this fraction of its width beyond A, B and θ")
          .at_least(0)
          .when("kind", {"mode_connectivity"}),
  };
}

std::unique_ptr<Experiment> make(const Json& config) {
  return std::make_unique<ModeConnectivityExperiment>(config);
}

const char* const kPage = R"json({
  "file": "mode-connectivity.html",
  "title": "Mode connectivity",
  "blurb": "Two networks from two seeds: a barrier on the straight line, none on a trained curve or after weight matching.",
  "card": {
    "id": "card-mode-connectivity", "heading": "Mode connectivity",
    "text": [
      "Train the same network from two seeds and walk from one solution to the other. On the",
      "straight line the loss rises in between; on a quadratic Bézier curve whose bend is",
      "trained, it stays low all the way (Garipov et al., 2018; Draxler et al., 2018). Permute",
      "the second network's hidden units to match the first and the straight line itself gets",
      "much lower (Ainsworth et al., 2023)."
    ],
    "claim": [
      "Claim: the minima SGD finds are not isolated valleys; they lie on connected low-loss",
      "sets, up to the permutation symmetry of the hidden units."
    ],
    "link": "Open the mode-connectivity lab →"
  },
  "presets": "experiments/mode_connectivity",
  "preset_list": [
    {"file": "fashion_mlp.json", "title": "MLP on Fashion-MNIST, two seeds"}
  ],
  "fields": [
    {"path": "model.widths", "label": "Hidden widths"},
    {"path": "data.n_train", "label": "n (training examples)"},
    {"path": "optim.lr", "label": "Learning rate η"},
    {"path": "train.steps", "label": "Training steps (each network)"},
    {"path": "mode_connectivity.bend_steps", "label": "Bend steps"},
    {"path": "seed", "label": "Seed of A"},
    {"path": "mode_connectivity.seed_b", "label": "Seed of B"}
  ],
  "status": [
    {"text": "barrier: linear {summary.barrier_linear}, Bézier {summary.barrier_bezier}, matched {summary.barrier_matched}", "else": "training"}
  ],
  "charts": [
    {"id": "train", "title": "Training the two endpoints", "x": "step", "y": ["loss_a", "loss_b"], "y_labels": ["A", "B"], "y_label": "loss", "log_y": true},
    {"id": "bend", "title": "Training the bend: loss at the sampled t", "x": "step", "y": ["loss_bend"], "y_label": "loss", "log_y": true},
    {"id": "curves", "title": "Training loss along the paths", "x": "t", "x_label": "t", "y": ["loss_linear", "loss_bezier", "loss_matched"], "y_labels": ["straight line", "Bézier curve", "line after matching"], "y_label": "loss"},
    {"id": "curve_acc", "title": "Training accuracy along the paths", "x": "t", "x_label": "t", "y": ["acc_linear", "acc_bezier", "acc_matched"], "y_labels": ["straight line", "Bézier curve", "line after matching"], "y_label": "accuracy"},
    {"id": "slice", "type": "heatmap", "title": "Loss on the plane through A, B and the bend", "x": "slice_x", "y": "slice_y", "z": "slice_loss", "points": "slice_points", "log_z": true}
  ]
})json";

}  // namespace

Kind mode_connectivity_kind() {
  Kind k;
  k.name = "mode_connectivity";
  k.description = "two networks from two seeds: loss along the straight line, a trained Bézier "
                  "curve and the line after weight matching (Garipov et al. 2018, Ainsworth et "
                  "al. 2023)";
  for (const char* block :
       {"data", "model", "loss", "optim", "train", "dtype", "device", "mode_connectivity"})
    k.blocks.push_back({block, "", {}});
  k.keys = keys;
  k.make = make;
  k.row_keys = {"phase", "loss_a", "loss_b", "t", "loss_bend", "loss_linear", "acc_linear",
                "loss_bezier", "acc_bezier", "loss_matched", "acc_matched", "slice_x",
                "slice_y", "slice_loss", "slice_points"};
  k.page = kPage;
  return k;
}

}  // namespace gradlab
