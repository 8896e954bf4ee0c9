// catapult — Lewkowycz et al. 2020, "The large learning rate phase of deep learning: the
// catapult mechanism": full-batch GD with η = c/λ₀ (λ₀ the sharpness at initialisation).
// For c < 2 the loss falls monotonically (lazy phase); for 2 < c < c_max the loss first grows,
// then GD lands in a flatter region with ηλ < 2 (catapult phase; c_max = 4 for the uv model,
// about 12 for wide ReLU networks); above c_max it diverges. The experiment: ../catapult.cpp.
#include "experiments/catapult.h"
#include "gradlab/config_keys.h"
#include "gradlab/kind.h"

namespace gradlab {
namespace {

using namespace config::schema_tables;  // NOLINT: the key builder's vocabulary

std::vector<KeySpec> keys() {
  return {
      key("catapult.model", T::String, "uv",
          "uv: the paper's two-layer linear model f = vᵀu x/√m on one example; relu: a "
          "two-layer ReLU network f = V relu(U x/√d)/√m on the data block")
          .one_of({"uv", "relu"})
          .when("kind", {"catapult"}),
      key("catapult.width", T::Int, 1000, "hidden width m").at_least(1).when("kind", {"catapult"}),
      key("catapult.lr_times_sharpness", T::Number, required,
          "c in η = c/λ₀: the step size as a multiple of 1/λ₀, λ₀ the top Hessian eigenvalue "
          "at initialisation (resolved before step 0; summary lr)")
          .at_least(0)
          .when("kind", {"catapult"}),
      key("catapult.x", T::Number, 1.0, "uv: the one input x").when("catapult.model", {"uv"}),
      key("catapult.y", T::Number, 0.0, "uv: its target y (loss ½(f − y)²)")
          .when("catapult.model", {"uv"}),
      key("catapult.sharpness_every", T::Int, 10,
          "steps between sharpness probes (also at step 0 and the last step); 0: only those")
          .at_least(0)
          .when("kind", {"catapult"}),
      key("catapult.lanczos_iters", T::Int, 20, "Lanczos iterations per sharpness probe")
          .at_least(1)
          .when("kind", {"catapult"}),
      key("catapult.divergence_ratio", T::Number, 1e10,
          "the run ends as divergent once the loss exceeds this multiple of its initial value")
          .at_least(1)
          .when("kind", {"catapult"}),
  };
}

std::unique_ptr<Experiment> make(const Json& config) {
  return std::make_unique<CatapultExperiment>(config);
}

// Over a sweep of catapult.lr_times_sharpness: the phase boundaries. catapult_from is the
// smallest c whose run catapulted, catapult_to the largest, divergent_from the smallest c
// that diverged.
Json catapult_sweep_summary(const std::vector<Json>& rows) {
  Json points = Json::array();
  Json from = nullptr, to = nullptr, divergent = nullptr;
  for (const Json& r : rows) {
    const Json& s = r.contains("summary") ? r["summary"] : r;
    if (!s.contains("phase") || !s.contains("lr_times_sharpness")) continue;
    const double c = s["lr_times_sharpness"].get<double>();
    const std::string phase = s["phase"].get<std::string>();
    points.push_back({{"lr_times_sharpness", c}, {"phase", phase},
                      {"peak_loss_ratio", s["peak_loss_ratio"]},
                      {"final_sharpness_ratio", s["final_sharpness_ratio"]}});
    if (phase == "catapult") {
      if (from.is_null() || c < from.get<double>()) from = c;
      if (to.is_null() || c > to.get<double>()) to = c;
    }
    if (phase == "divergent" && (divergent.is_null() || c < divergent.get<double>()))
      divergent = c;
  }
  if (points.empty()) return nullptr;
  return {{"points", points}, {"catapult_from", from}, {"catapult_to", to},
          {"divergent_from", divergent}};
}

const char* const kPage = R"json({
  "file": "catapult.html",
  "title": "The catapult phase",
  "blurb": "GD at η = c/λ₀: lazy below c = 2, a catapult to a flatter region above, divergence beyond c_max.",
  "card": {
    "id": "card-catapult", "heading": "The catapult phase",
    "text": [
      "Set the step size relative to the initial sharpness λ₀, η = c/λ₀. Below c = 2 the",
      "loss falls smoothly. Between 2 and a maximal c (4 for the two-layer linear model, about",
      "12 for wide ReLU nets) the loss first explodes, the sharpness drops until ηλ < 2, and",
      "training settles in a flatter region; above it, GD diverges (Lewkowycz et al., 2020)."
    ],
    "claim": [
      "Claim: a large step does not just fail or succeed — it can throw the network out of a",
      "sharp region into a flat one."
    ],
    "link": "Open the catapult lab →"
  },
  "presets": "experiments/catapult",
  "preset_list": [
    {"file": "uv_sweep.json", "title": "uv model (m = 1000, x = 1, y = 0): c = 1 … 4.5"},
    {"file": "relu_sweep.json", "title": "Wide two-layer ReLU net on synthetic data: c = 1 … 16"}
  ],
  "fields": [
    {"path": "catapult.model", "label": "Model"},
    {"path": "catapult.width", "label": "Width m"},
    {"path": "catapult.lr_times_sharpness", "label": "η·λ₀", "control": "slider", "min": 0.5, "max": 16, "step": 0.1},
    {"path": "catapult.lr_times_sharpness", "label": "Sweep η·λ₀ (comma-separated)", "control": "sweep-list"},
    {"path": "seed", "label": "Seed"},
    {"path": "train.steps", "label": "Steps"}
  ],
  "run_label": "η·λ₀ = {catapult.lr_times_sharpness}",
  "point_labels": {"catapult.lr_times_sharpness": "η·λ₀ = {}"},
  "status": [
    {"text": "λ₀ = {summary.initial_sharpness}, η = {summary.lr}"},
    {"text": "peak loss {summary.peak_loss_ratio} × initial"}
  ],
  "charts": [
    {"id": "loss", "title": "Loss / initial loss", "x": "step", "y": ["loss_ratio"], "y_label": "loss ratio", "log_y": true},
    {"id": "sharpness", "title": "Sharpness λ_t and the stability edge 2/η", "x": "step", "y": ["sharpness"], "y_label": "sharpness", "threshold_key": "threshold"}
  ]
})json";

}  // namespace

Kind catapult_kind() {
  Kind k;
  k.name = "catapult";
  k.description = "GD at η = c/λ₀ on the uv model or a wide ReLU net: lazy, catapult and "
                  "divergent phases (Lewkowycz et al. 2020)";
  k.blocks = {{"catapult", "", {}}, {"train", "", {}}, {"data", "catapult.model", {Json("uv")}}};
  k.keys = keys;
  k.make = make;
  k.sweep_summary = catapult_sweep_summary;
  k.row_keys = {"loss_ratio", "sharpness", "lr_times_sharpness", "threshold"};
  k.page = kPage;
  return k;
}

}  // namespace gradlab
