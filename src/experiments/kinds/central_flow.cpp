// central_flow — the central flow (Cohen, Damian, Talwalkar, Kolter, Lee 2024, "Understanding
// optimization in deep learning with central flows"): the ODE that GD's time-averaged path
// follows at the edge of stability, integrated beside GD and gradient flow from one
// initialisation (the experiment: ../central_flow.cpp; docs/kinds/central_flow.md).
// Summary: gd_crossing_step / cf_crossing_step / gf_crossing_step (the first step whose
// sharpness is within 1e-3 of 2/η), cf_hold_max_rel_dev (max |η·S_CF/2 − 1| from the
// central flow's crossing on), pred_loss_mean_rel_error (cf_pred_loss against GD's loss
// smoothed with a Gaussian of central_flow.smooth_sigma steps, from GD's crossing on),
// dist_gd_cf / dist_gd_gf (‖w_GD − w‖ at the end), final_gf_sharpness.
#include "experiments/central_flow.h"
#include "gradlab/config_keys.h"
#include "gradlab/kind.h"

namespace gradlab {
namespace {

using namespace config::schema_tables;  // NOLINT: the key builder's vocabulary

std::vector<KeySpec> keys() {
  const std::vector<Json> kind = {"central_flow"};
  return {
      key("central_flow.substeps", T::Int, 4,
          "forward-Euler substeps of the central flow (and gradient flow) per GD step")
          .in(1, 1000)
          .when("kind", kind),
      key("central_flow.edge", T::Number, 1.95,
          "Hessian eigenvalues above edge/η are at the edge (their directions carry Σ)")
          .in(1, 2)
          .when("kind", kind),
      key("central_flow.track", T::Int, 3,
          "top Hessian eigenvectors tracked along the central flow (the edge holds at most this "
          "many)")
          .in(1, 64)
          .when("kind", kind),
      key("central_flow.lanczos_iters", T::Int, 30,
          "Lanczos iterations of the full eigen-solves and of GD's / gradient flow's sharpness")
          .in(2, 1000)
          .when("kind", kind),
      key("central_flow.refresh_every", T::Int, 10,
          "GD steps between full Lanczos solves merged into the warm-started eigenvectors "
          "(0: never)")
          .at_least(0)
          .when("kind", kind),
      key("central_flow.sharpness_every", T::Int, 1,
          "GD's and gradient flow's sharpness (Lanczos) every this many steps (0: never)")
          .at_least(0)
          .when("kind", kind),
      key("central_flow.smooth_sigma", T::Number, 50.0,
          "σ (in steps) of the Gaussian that smooths GD's loss for pred_loss_mean_rel_error")
          .at_least(0)
          .when("kind", kind),
  };
}

std::unique_ptr<Experiment> make(const Json& config) {
  return std::make_unique<CentralFlowExperiment>(config);
}

const char* const kPage = R"json({
  "file": "central-flow.html",
  "title": "Central flow",
  "blurb": "GD, gradient flow and the central flow from one start: the flow predicts GD's time-averaged path at the edge of stability.",
  "card": {
    "id": "card-central-flow", "heading": "The central flow",
    "text": [
      "At the edge of stability GD oscillates along the top Hessian eigenvectors. Its time",
      "average follows an ODE, the central flow, which adds to gradient flow just enough",
      "of the oscillation's curvature penalty to keep the sharpness at 2/η. Run GD, gradient",
      "flow and the central flow from one start and compare (Cohen et al., 2024)."
    ],
    "claim": [
      "Claim: the central flow tracks GD's smoothed loss and weights; gradient flow does not."
    ],
    "link": "Open the central-flow lab →"
  },
  "presets": "experiments/central_flow",
  "preset_list": [
    {
      "file": "toy_mlp.json",
      "title": "Toy: MLP 8-16-16-1 SiLU on 128 Gaussian examples, η = 0.1",
      "about": "GD crosses 2/η = 20 near step 320; the central flow reaches it at the same step and stays."
    },
    {
      "file": "toy_mlp_lr005.json",
      "title": "The same toy at η = 0.05",
      "about": "A smaller step: the edge is at 2/η = 40."
    }
  ],
  "fields": [
    {
      "path": "optim.lr",
      "label": "Learning rate η",
      "control": "log-slider",
      "min": 0.01,
      "max": 0.5,
      "note": "2/η = {2/optim.lr}"
    },
    {"path": "model.widths", "label": "Hidden widths"},
    {"path": "model.activation", "label": "Activation"},
    {"path": "data.n_train", "label": "n (training examples)"},
    {"path": "seed", "label": "Seed"},
    {"path": "train.steps", "label": "Steps"},
    {"path": "central_flow.substeps", "label": "Euler substeps per GD step"}
  ],
  "run_label": "η = {optim.lr}",
  "status": [
    {"text": "GD sharpness {last.sharpness}, central flow {last.cf_sharpness} (2/η = {last.threshold})"},
    {
      "text": "distances at the end: ‖w_GD − w_CF‖ = {summary.dist_gd_cf}, ‖w_GD − w_GF‖ = {summary.dist_gd_gf}",
      "else": "running"
    }
  ],
  "charts": [
    {
      "id": "cf-loss",
      "title": "Training loss: GD (oscillating), gradient flow, central flow and its prediction of GD's time average",
      "x": "step",
      "y": ["loss", "gf_loss", "cf_loss", "cf_pred_loss"],
      "y_labels": ["GD", "gradient flow", "central flow L(w)", "central flow prediction L + tr Σ/η"],
      "y_label": "loss",
      "log_y": true
    },
    {
      "id": "cf-sharpness",
      "title": "Sharpness: GD hovers at 2/η, the central flow sits on it, gradient flow keeps rising",
      "x": "step",
      "y": ["sharpness", "gf_sharpness", "cf_sharpness"],
      "y_labels": ["GD", "gradient flow", "central flow"],
      "y_label": "sharpness",
      "threshold": "2/optim.lr",
      "threshold_key": "threshold"
    },
    {
      "id": "cf-distance",
      "title": "Distance from GD's weights: central flow vs gradient flow",
      "x": "step",
      "y": ["dist_gd_cf", "dist_gd_gf"],
      "y_labels": ["‖w_GD − w_CF‖", "‖w_GD − w_GF‖"],
      "y_label": "distance"
    },
    {
      "id": "cf-sigma",
      "title": "Oscillation covariance: eigenvalues of X (one per edge direction)",
      "x": "step",
      "y": ["cf_sigma"],
      "y_labels": ["σ²"],
      "y_label": "variance"
    }
  ]
})json";

}  // namespace

Kind central_flow_kind() {
  Kind k;
  k.name = "central_flow";
  k.description = "GD, gradient flow and the central flow side by side: the ODE that predicts "
                  "GD's time-averaged path at the edge of stability (Cohen et al. 2024)";
  for (const char* block : {"data", "model", "loss", "optim", "train", "central_flow"})
    k.blocks.push_back({block, "", {}});
  k.keys = keys;
  k.make = make;
  k.row_keys = {"sharpness",     "threshold",     "grad_norm2",         "gf_loss",
                "gf_sharpness",  "cf_loss",       "cf_sharpness",       "cf_pred_loss",
                "cf_grad_norm2", "cf_n_edge",     "cf_pred_grad_norm2", "cf_sigma",
                "cf_sdcp_residual", "dist_gd_cf", "dist_gd_gf"};
  k.page = kPage;
  return k;
}

}  // namespace gradlab
