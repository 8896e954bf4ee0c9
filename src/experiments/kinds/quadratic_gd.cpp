// quadratic_gd — GD on f(x) = ½ xᵀAx with a chosen spectrum: converges, oscillates or
// diverges at 2/λmax, the picture every edge-of-stability argument starts from (the
// experiment: ../quadratic.cpp).
#include "experiments/quadratic.h"
#include "gradlab/config_keys.h"
#include "gradlab/kind.h"

namespace gradlab {
namespace {

using namespace config::schema_tables;  // NOLINT: the key builder's vocabulary

std::vector<KeySpec> keys() {
  return {
      key("quadratic.eigenvalues", T::NumberList, required,
          "spectrum λ of A in f(x) = ½ xᵀAx (one entry per dimension); L = max λ")
          .items(1)
          .when("kind", {"quadratic_gd"}),
      key("quadratic.rotate", T::Bool, false,
          "A = Q diag(λ) Qᵀ with a seeded random orthogonal Q (else A = diag(λ))")
          .when("kind", {"quadratic_gd"}),
      key("quadratic.x0", T::NumberList, required,
          "starting point x₀ (one entry per dimension); absent: seeded N(0, 1) entries")
          .items(1)
          .optional()
          .when("kind", {"quadratic_gd"}),
  };
}

std::unique_ptr<Experiment> make(const Json& config) {
  return std::make_unique<QuadraticExperiment>(config);
}

const char* const kPage = R"json({
  "file": "quadratic.html",
  "title": "Quadratic GD",
  "blurb": "GD on ½Lx²: converges below η = 2/L, oscillates at it, diverges above.",
  "card": {
    "id": "card-quadratic", "heading": "Gradient descent on a quadratic",
    "text": [
      "On f(x) = ½Lx², one step of gradient descent multiplies x by (1 − ηL). The iterates",
      "shrink when |1 − ηL| < 1, that is when η < 2/L; at η = 2/L they bounce between ±x₀",
      "for ever, and beyond it they blow up. In many dimensions the largest curvature L =",
      "λmax alone sets the limit: 2/η is the sharpest valley GD can descend."
    ],
    "claim": [
      "Claim: GD with step η is stable exactly when the curvature is below 2/η."
    ],
    "link": "Open the quadratic lab →"
  },
  "presets": "experiments/quadratic_gd",
  "preset_list": [
    {"file": "quadratic_1d.json", "title": "1-D: f(x) = ½Lx², L = 1, η = 1.6"},
    {"file": "quadratic_2d.json", "title": "2-D: f(x, y) = ½(λ₁x² + λ₂y²), λ = (1, 0.2), η = 1.8"}
  ],
  "fields": [
    {"path": "quadratic.eigenvalues", "label": "Curvatures λ (one per dimension; L = max λ)"},
    {"path": "optim.lr", "label": "Step size η"}, {"path": "train.steps", "label": "Steps"}
  ],
  "run_label": "η = {optim.lr}",
  "charts": [
    {
      "id": "qloss",
      "title": "Loss f(x_t)",
      "x": "step",
      "y": ["loss"],
      "y_label": "loss",
      "log_y": true
    },
    {
      "id": "qcoords",
      "title": "Eigen-coordinates of x_t",
      "x": "step",
      "y": ["coords"],
      "y_labels": ["c"],
      "y_label": "coordinate"
    }
  ]
})json";

}  // namespace

Kind quadratic_gd_kind() {
  Kind k;
  k.name = "quadratic_gd";
  k.description =
      "GD on f(x) = ½ xᵀAx with a chosen spectrum: converges, oscillates or diverges at 2/λmax";
  for (const char* block : {"quadratic", "optim", "train"}) k.blocks.push_back({block, "", {}});
  k.keys = keys;
  k.make = make;
  k.page = kPage;
  return k;
}

}  // namespace gradlab
