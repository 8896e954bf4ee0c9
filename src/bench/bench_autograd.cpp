// bench_autograd.cpp — end-to-end autodiff workloads on the peer kit's MLP
// (784-256-256-10, ReLU, softmax cross-entropy, float32; the peer kit's README in ../shared/peers):
//   mlp_step  forward + backward + SGD update on a full batch of 4096 (peer: mlp_train_step)
//   grad      gradient w.r.t. all parameters, batch 1024            (peer: mlp_grad)
//   hvp       Hessian-vector product by double backward, batch 1024 (peer: mlp_hvp_double_backward)
//             with ratio_vs_grad = hvp time / grad time (issue target ≤ 2.5)
//   lanczos   20 Lanczos iterations (20 HVPs + re-orthogonalisation), batch 1024
//   cnn_step  GD step of Cohen et al.'s small conv net (cnn preset cohen_cnn, ReLU) on
//             32x32x3 inputs, batch 1024, softmax cross-entropy
// GFLOP counts for mlp_step follow the peer kit: 6·B·Σ(in·out) − 2·B·784·256 (no dX for
// layer 1) = 4.96 GFLOP at B = 4096.
#include <cmath>
#include <cstdint>
#include <vector>

#include "bench.h"
#include "gradlab/autograd.h"
#include "gradlab/nn.h"
#include "gradlab/ops.h"
#include "gradlab/rng.h"
#include "gradlab/spectrum.h"

namespace gradlab::bench {
namespace {

constexpr int64_t kIn = 784, kHidden = 256, kClasses = 10;

struct Mlp {
  TensorList params;  // layers.{0,2,4}.{weight,bias}, PyTorch default init U(±1/√fan_in)
  Tensor x, targets;
};

Mlp make_mlp(int64_t batch, uint64_t seed) {
  Rng rng(seed);
  Mlp m;
  const int64_t widths[] = {kIn, kHidden, kHidden, kClasses};
  for (int l = 0; l < 3; ++l) {
    double bound = 1.0 / std::sqrt(static_cast<double>(widths[l]));
    m.params.push_back(
        rand_uniform({widths[l + 1], widths[l]}, -bound, bound, rng).requires_grad_());
    m.params.push_back(rand_uniform({widths[l + 1]}, -bound, bound, rng).requires_grad_());
  }
  m.x = randn({batch, kIn}, rng);
  std::vector<int64_t> t(static_cast<size_t>(batch));
  for (auto& v : t) v = static_cast<int64_t>(rng.below(kClasses));
  m.targets = from_indices(t, {batch});
  return m;
}

Tensor mlp_loss(const TensorList& p, const Tensor& x, const Tensor& targets) {
  Tensor h = relu(linear(x, p[0], p[1]));
  h = relu(linear(h, p[2], p[3]));
  return cross_entropy(linear(h, p[4], p[5]), targets);
}

double mlp_step_flops(int64_t batch) {
  double macs = kIn * kHidden + kHidden * kHidden + kHidden * kClasses;
  return 6.0 * batch * macs - 2.0 * batch * kIn * kHidden;
}

}  // namespace

GRADLAB_BENCHMARK(mlp_step) {
  const int64_t batch = ctx.quick() ? 1024 : 4096;
  Mlp m = make_mlp(batch, 1);
  const double lr = 0.01;
  const Timing t = measure([&] {
    Tensor loss = mlp_loss(m.params, m.x, m.targets);
    TensorList g = grad(loss, m.params);
    NoGradGuard no_grad;
    for (size_t i = 0; i < m.params.size(); ++i) m.params[i].assign_(sub(m.params[i], mul(g[i], lr)));
  });
  Record(ctx).set("workload", "mlp_train_step").set("model", "784-256-256-10 relu")
      .set("batch", batch).timing(t).gflops(mlp_step_flops(batch), t).emit();
}

GRADLAB_BENCHMARK(grad) {
  const int64_t batch = 1024;
  Mlp m = make_mlp(batch, 2);
  const Timing t = measure([&] { grad(mlp_loss(m.params, m.x, m.targets), m.params); });
  Record(ctx).set("workload", "mlp_grad").set("model", "784-256-256-10 relu").set("batch", batch)
      .timing(t).emit();
}

GRADLAB_BENCHMARK(hvp) {
  const int64_t batch = 1024;
  Mlp m = make_mlp(batch, 3);
  Rng rng(4);
  TensorList v;
  for (const Tensor& p : m.params) v.push_back(randn(p.shape(), rng));
  auto loss_fn = [&](const TensorList& p) { return mlp_loss(p, m.x, m.targets); };
  const Timing tg = measure([&] { grad(loss_fn(m.params), m.params); });
  const Timing th = measure([&] { gradlab::hvp(loss_fn, m.params, v); });
  Record(ctx).set("workload", "mlp_hvp_double_backward").set("model", "784-256-256-10 relu")
      .set("batch", batch).timing(th).set("grad_median_ms", tg.median_ms)
      .set("ratio_vs_grad", th.median_ms / tg.median_ms, 3).emit();
}

GRADLAB_BENCHMARK(lanczos) {
  const int64_t batch = 1024;
  Mlp m = make_mlp(batch, 5);
  auto loss_fn = [&](const TensorList& p) { return mlp_loss(p, m.x, m.targets); };
  LinearOperator op = hessian_operator(loss_fn, m.params);
  const int64_t n = total_numel(m.params);
  LanczosOptions opt;
  opt.top_k = 1;
  opt.iterations = 20;
  double lambda = 0;
  const Timing t = measure([&] { lambda = lanczos_top_k(op, n, opt).values[0]; });
  Record(ctx).set("model", "784-256-256-10 relu").set("batch", batch).set("iterations", 20)
      .set("n_params", n).timing(t).set("top_eigenvalue", lambda, 6).emit();
}

GRADLAB_BENCHMARK(cnn_step) {
  const int64_t batch = ctx.quick() ? 256 : 1024;
  Rng rng(6);
  ModelContext mc;
  mc.input_shape = {3, 32, 32};
  mc.output_dim = 10;
  std::unique_ptr<Model> model =
      build_model(model_config_from_block(
                      {{"type", "cnn"}, {"preset", "cohen_cnn"}, {"activation", "relu"}}),
                  mc, rng);
  Tensor x = randn({batch, 3, 32, 32}, rng);
  std::vector<int64_t> t(static_cast<size_t>(batch));
  for (auto& v : t) v = static_cast<int64_t>(rng.below(10));
  Tensor targets = from_indices(t, {batch});
  TensorList& p = model->params();
  const Timing tm = measure([&] {
    Tensor loss = cross_entropy(model->forward(p, x), targets);
    TensorList g = grad(loss, p);
    NoGradGuard no_grad;
    for (size_t i = 0; i < p.size(); ++i) p[i].assign_(sub(p[i], mul(g[i], 0.01)));
  });
  Record(ctx).set("model", "cohen_cnn relu (conv32-pool-conv32-pool-linear)").set("batch", batch)
      .set("n_params", model->num_params()).timing(tm).emit();
}

}  // namespace gradlab::bench
