// bench_eos.cpp — the edge-of-stability native profile (issue 4, performance item):
// Cohen et al. (2021)'s fully connected tanh net trained by full-batch gradient descent with
// the sharpness λ₁(∇²L) measured along the way.
//
//   eos_fc_tanh  MLP 784-200-200-10, tanh, float32, on 5,000 random-normal inputs (quick: 1,000)
//                with one-hot targets over 10 classes; loss mse = ½ Σ (f(x) − y)² / N; full-batch
//                GD at lr 0.02; every 20 steps a Lanczos top-1 (20 iterations, each an HVP by
//                double backward on the full training loss).
//
// One timed call = 100 GD steps including the 5 probes (before steps 0, 20, 40, 60, 80), from the
// same initial parameters each time (so every call does identical work and cannot drift into
// NaNs). Keys: median_ms (per 100 steps incl. probes), ms_per_step_without_probes (a separate
// measure of 100 plain steps, divided by 100) and probe_ms (one Lanczos(20) probe, measured on
// its own at the initial parameters). The PyTorch peer is src/bench/eos_torch.py.
#include <cstdint>
#include <memory>
#include <vector>

#include "bench.h"
#include "bench_data.h"
#include "gradlab/autograd.h"
#include "gradlab/loss.h"
#include "gradlab/nn.h"
#include "gradlab/ops.h"
#include "gradlab/rng.h"
#include "gradlab/spectrum.h"

namespace gradlab::bench {
namespace {

constexpr int64_t kIn = 784, kClasses = 10;
constexpr int kSteps = 100, kProbeEvery = 20, kLanczosIterations = 20;
constexpr double kLr = 0.02;

}  // namespace

GRADLAB_BENCHMARK(eos_fc_tanh) {
  const int64_t n = ctx.quick() ? 1000 : 5000;
  Rng rng(7);
  ModelContext mc;
  mc.input_shape = {kIn};
  mc.output_dim = kClasses;
  std::unique_ptr<Model> model = build_model(
      model_config_from_block({{"type", "mlp"}, {"widths", {200, 200}}, {"activation", "tanh"}}),
      mc, rng);
  Tensor x = randn({n, kIn}, rng);  // [N, 784]
  Targets targets = random_class_targets(n, kClasses, rng);

  TensorList& p = model->params();
  const TensorList initial = snapshot(p);
  auto reset = [&] {
    NoGradGuard no_grad;
    for (size_t i = 0; i < p.size(); ++i) p[i].assign_(initial[i]);
  };

  auto loss_fn = [&](const TensorList& params) {
    return compute_loss(LossKind::Mse, model->forward(params, x), targets);
  };
  auto gd_step = [&] {
    TensorList g = grad(loss_fn(p), p);
    NoGradGuard no_grad;
    for (size_t i = 0; i < p.size(); ++i) p[i].assign_(sub(p[i], mul(g[i], kLr)));
  };
  const int64_t n_params = total_numel(p);
  LanczosOptions opt;
  opt.top_k = 1;
  opt.iterations = kLanczosIterations;
  double sharpness = 0;  // λ₁ at the last probe (step 80) of the last call
  auto probe = [&] {
    // hessian_operator captures the parameter values, so it is rebuilt at each probe.
    sharpness = lanczos_top_k(hessian_operator(loss_fn, p), n_params, opt).values[0];
  };

  const Timing t_full = measure([&] {
    reset();
    for (int s = 0; s < kSteps; ++s) {
      if (s % kProbeEvery == 0) probe();
      gd_step();
    }
  });
  const Timing t_plain = measure([&] {
    reset();
    for (int s = 0; s < kSteps; ++s) gd_step();
  });
  reset();
  const Timing t_probe = measure(probe);

  Record(ctx).set("model", "784-200-200-10 tanh").set("loss", "mse").set("n", n)
      .set("steps", kSteps).set("probe_every", kProbeEvery)
      .set("lanczos_iterations", kLanczosIterations).set("n_params", n_params).timing(t_full)
      .set("ms_per_step_without_probes", t_plain.median_ms / kSteps, 3)
      .set("probe_ms", t_probe.median_ms, 2).set("sharpness_initial", sharpness, 5).emit();
}

}  // namespace gradlab::bench
