// bench_central_flow.cpp — the cost of the central flow (Cohen et al. 2024) on the toy of
// experiments/central_flow/toy_mlp.json (MLP 8-16-16-1 SiLU, 433 parameters, 128 examples,
// MSE, η = 0.1, float64), against what the edge-of-stability kind pays per step.
//
//   central_flow_toy  cf_step_ms: one central-flow step (4 Euler substeps, each: the gradient
//                     graph, Rayleigh–Ritz on span{V, HV} for 3 tracked eigenvectors, ∇(u_aᵀHu_b)
//                     for the edge directions, the SDCP), measured at the edge of stability
//                     (after the flow has run to step 480, where one direction is at 2/η);
//                     gd_probe_step_ms: one GD step with its sharpness probe (Lanczos, 20
//                     iterations = probe.lanczos_iters' default); ratio = cf / gd+probe.
//                     refresh_ms: the full Lanczos solve merged into the tracker every
//                     central_flow.refresh_every (10) steps, not in cf_step_ms; ratio_amortized
//                     adds a tenth of it.
#include <cstdint>
#include <string>

#include "bench.h"
#include "experiments/central_flow.h"
#include "gradlab/config.h"

namespace gradlab::bench {

GRADLAB_BENCHMARK(central_flow_toy) {
  const Json user = {
      {"kind", "central_flow"},
      {"seed", 0},
      {"data",
       {{"source", "synthetic"}, {"generator", "gaussian_regression"}, {"n_train", 128},
        {"dim", 8}, {"output_dim", 1}}},
      {"model", {{"type", "mlp"}, {"widths", {16, 16}}, {"activation", "silu"},
                 {"init", "normal"}}},
      {"loss", "mse_mean"},
      {"optim", {{"type", "gd"}, {"lr", 0.1}}},
      {"train", {{"steps", 1400}}},
      {"central_flow", {{"lanczos_iters", 20}}}};
  const Json config = resolve_config(user);
  CentralFlowExperiment e(config);
  const int64_t warm_steps = ctx.quick() ? 0 : 480;
  for (int64_t s = 0; s < warm_steps; ++s) e.advance_cf();
  const CentralFlowExperiment::Substep at = e.analyse_cf(false);
  const Timing cf = measure([&] { e.advance_cf(); });
  const Timing gd = measure([&] { e.advance_gd_with_probe(); });
  const Timing refresh = measure([&] { e.analyse_cf(true); });
  const Timing plain = measure([&] { e.analyse_cf(false); });
  const double refresh_ms = refresh.median_ms - plain.median_ms;
  Record(ctx)
      .set("model", "8-16-16-1 silu")
      .set("n_params", static_cast<int64_t>(e.w_cf().size()))
      .set("substeps", e.settings().substeps)
      .set("cf_at_step", warm_steps)
      .set("n_edge", at.n_edge)
      .set("cf_sharpness", at.sharpness, 4)
      .timing(cf)
      .set("cf_step_ms", cf.median_ms, 3)
      .set("gd_probe_step_ms", gd.median_ms, 3)
      .set("ratio", cf.median_ms / gd.median_ms, 3)
      .set("refresh_ms", refresh_ms, 3)
      .set("ratio_amortized", (cf.median_ms + refresh_ms / 10) / gd.median_ms, 3)
      .emit();
}

}  // namespace gradlab::bench
