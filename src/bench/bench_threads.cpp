// bench_threads.cpp — how a GEMM-heavy training step scales from 1 to 2 CPU threads
// (gradlab/threads.h; issue 8: "CPU with 2 threads is faster than 1 thread on GEMM-heavy steps").
//
//   mlp_step_threads  one full-batch gradient-descent step (forward, backward, update) of an MLP
//                     784-1024-1024-10, relu, float32, mse on one-hot targets, N = 2,048 random
//                     inputs (quick: 512). ~3 x 2N(784·1024 + 1024² + 1024·10) ≈ 23 GFLOP of GEMM
//                     per step, the rest elementwise/reduction work in the threaded kernels.
//
// One line per thread count (1, 2, and all cores when there are more than 2), each with its
// "threads", median_ms per step, gflops (GEMM flops only) and speedup_vs_1 (1-thread median /
// this median). The --threads option does not apply: this benchmark sets the counts itself and
// restores the option's count afterwards. cpu_util shows whether the machine really gave the
// process that many cores (a loaded, shared machine gives less: read the ratio with it).
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
#include "gradlab/threads.h"

namespace gradlab::bench {

GRADLAB_BENCHMARK(mlp_step_threads) {
  constexpr int64_t kIn = 784, kWidth = 1024, kClasses = 10;
  constexpr double kLr = 0.01;
  const int64_t n = ctx.quick() ? 512 : 2048;
  Rng rng(5);
  ModelContext mc;
  mc.input_shape = {kIn};
  mc.output_dim = kClasses;
  std::unique_ptr<Model> model =
      build_model(model_config_from_block(
                      {{"type", "mlp"}, {"widths", {kWidth, kWidth}}, {"activation", "relu"}}),
                  mc, rng);
  Tensor x = randn({n, kIn}, rng);  // [N, 784]
  Targets targets = random_class_targets(n, kClasses, rng);

  TensorList& p = model->params();
  const TensorList initial = snapshot(p);
  auto step = [&] {
    {
      NoGradGuard no_grad;  // same starting point every call: identical work
      for (size_t i = 0; i < p.size(); ++i) p[i].assign_(initial[i]);
    }
    TensorList g = grad(compute_loss(LossKind::Mse, model->forward(p, x), targets), p);
    NoGradGuard no_grad;
    for (size_t i = 0; i < p.size(); ++i) p[i].assign_(sub(p[i], mul(g[i], kLr)));
  };
  // Forward + the two backward products per layer: 3 GEMMs of 2·N·in·out flops each.
  const double flops = 3.0 * 2.0 * static_cast<double>(n) *
                       static_cast<double>(kIn * kWidth + kWidth * kWidth + kWidth * kClasses);

  const int restore = cpu_threads();
  std::vector<int> counts = {1, 2};
  if (available_cores() > 2) counts.push_back(available_cores());
  double one_thread_ms = 0;
  for (int threads : counts) {
    set_cpu_threads(threads);
    const Timing t = measure(step);
    if (threads == 1) one_thread_ms = t.median_ms;
    Record(ctx)
        .set("model", "784-1024-1024-10 relu")
        .set("loss", "mse")
        .set("batch", n)
        .timing(t)
        .gflops(flops, t)
        .set("speedup_vs_1", one_thread_ms / t.median_ms, 3)
        .emit();
  }
  set_cpu_threads(restore);
}

}  // namespace gradlab::bench
