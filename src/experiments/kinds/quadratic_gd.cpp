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
  "title": "GD on a quadratic",
  "blurb": "GD on ½Lx²: converges below η = 2/L, oscillates at it, diverges above.",
  "presets": "experiments/edge_of_stability"
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
