// The sharpness probe of the shared training loop (training.h): every
// probe.sharpness_every steps, the top Hessian eigenvalues of the training loss by Lanczos on
// exact Hessian-vector products (Cohen et al. 2021's sharpness), the optimizer's stability
// threshold beside them, and with probe.average_window the same at the mean of the last W
// iterates (the time-averaged path the central flow follows, Cohen et al. 2024). Only kinds
// that read the probe block (edge_of_stability) run it. With probe.per_layer, also each
// parameter tensor's diagonal-block sharpness λmax(H_ℓℓ) (the per-layer smoothness Lᵢ of
// LAMB's analysis, You et al. 2019).
#include <algorithm>
#include <cmath>

#include "experiments/training.h"
#include "gradlab/autograd.h"
#include "gradlab/ops.h"
#include "gradlab/spectrum.h"

namespace gradlab {

void TrainingExperiment::add_probes(Json& row) {
  if (!probe_due()) return;
  std::vector<double> eigs = probe_eigs(model_->params());
  row["sharpness"] = eigs.at(0);
  row["eigs"] = eigs;
  const double lr = row.at("lr").get<double>();
  if (lr > 0) {
    double th = optimizer_->stability_threshold(lr);
    if (th > 0) row["threshold"] = th;
    // Adaptive optimizers (Cohen et al. 2022): λ₁(P⁻¹H) with the preconditioner P of the
    // last step, by Lanczos on the symmetric P^{-1/2} H P^{-1/2} (same spectrum as P⁻¹H).
    const double pth = optimizer_->preconditioned_threshold(lr);
    const TensorList precond = optimizer_->preconditioner();
    if (pth > 0 && !precond.empty()) {
      std::vector<double> scale = flatten_to_vector(precond);
      for (double& v : scale) v = 1.0 / std::sqrt(v);
      row["precond_sharpness"] = probe_eigs(model_->params(), &scale).at(0);
      row["precond_threshold"] = pth;
    }
  }
  // probe.per_layer: each tensor's own sharpness λmax(H_ℓℓ), the per-layer smoothness.
  if (probe_.per_layer) row["layer_sharpness"] = layer_sharpness(model_->params());
  // probe.average_window: the same measurement at the mean of the last W iterates.
  if (average_window_ > 0) {
    if (avg_count_ == average_window_) {
      TensorList mean;
      {
        NoGradGuard ng;
        for (const Tensor& t : avg_sum_)
          mean.push_back(div(t, static_cast<double>(average_window_)).detach().requires_grad_());
      }
      row["sharpness_avg"] = probe_eigs(mean).at(0);
      NoGradGuard ng;
      const double loss_avg = full_train_loss(mean).item();
      if (std::isfinite(loss_avg)) row["loss_avg"] = loss_avg;
    }
    avg_sum_.clear();
    avg_count_ = 0;
  }
}

void TrainingExperiment::accumulate_average(const TensorList& params) {
  // Sums the iterates of steps p − W + 1 … p for the next probe step p (W ≤ sharpness_every,
  // so windows never overlap and one running sum suffices).
  if (average_window_ <= 0 || probe_every_ <= 0) return;
  const int64_t next_probe = (step_ + probe_every_ - 1) / probe_every_ * probe_every_;
  if (step_ < next_probe - average_window_ + 1) return;
  NoGradGuard ng;
  if (avg_sum_.empty()) {
    for (const Tensor& p : params) avg_sum_.push_back(p.clone());
  } else {
    for (size_t i = 0; i < params.size(); ++i) avg_sum_[i] = add(avg_sum_[i], params[i]);
  }
  ++avg_count_;
}

LinearOperator TrainingExperiment::probe_hessian(const TensorList& at) const {
  // Sharpness of the full training loss (or of its first probe_examples examples).
  Tensor x = x_train_;
  Targets t = t_train_;
  if (probe_.probe_examples && *probe_.probe_examples < data_.train.n) {
    std::vector<int64_t> rows(static_cast<size_t>(*probe_.probe_examples));
    for (size_t i = 0; i < rows.size(); ++i) rows[i] = static_cast<int64_t>(i);
    Tensor r = from_indices(rows, {static_cast<int64_t>(rows.size())}, device_);
    x = index_select(x_train_, 0, r);
    t = select_targets(t_train_, r);
  }
  LossFn loss_fn = [this, x, t](const TensorList& p) {
    return compute_loss(loss_kind_, model_->forward(p, x), t);
  };
  return hessian_operator(loss_fn, at);
}

LanczosOptions TrainingExperiment::probe_lanczos(int64_t n, int64_t top_k) const {
  LanczosOptions opt;
  opt.seed = config_.at("seed").get<uint64_t>() * 1000003ULL + static_cast<uint64_t>(step_);
  opt.iterations = static_cast<int>(std::min<int64_t>(probe_.lanczos_iters, n));
  opt.top_k = static_cast<int>(std::min<int64_t>(top_k, opt.iterations));
  return opt;
}

std::vector<double> TrainingExperiment::probe_eigs(const TensorList& at,
                                                   const std::vector<double>* scale) const {
  const int64_t n = total_numel(at);
  LinearOperator op = probe_hessian(at);
  if (scale) {
    if (static_cast<int64_t>(scale->size()) != n)
      fail<ValueError>("sharpness probe: the preconditioner holds ", scale->size(),
                       " values, the parameters ", n);
    // x ↦ S H S x with S = diag(scale) = P^{-1/2}.
    op = [inner = std::move(op), s = *scale](const std::vector<double>& x, std::vector<double>& y) {
      std::vector<double> sx(x.size());
      for (size_t i = 0; i < x.size(); ++i) sx[i] = s[i] * x[i];
      inner(sx, y);
      for (size_t i = 0; i < y.size(); ++i) y[i] *= s[i];
    };
  }
  return lanczos_top_k(op, n, probe_lanczos(n, probe_.top_k)).values;
}

Json TrainingExperiment::layer_sharpness(const TensorList& at) const {
  // The diagonal block of tensor ℓ (flat offset o, m values) is H_ℓℓ = Eᵀ H E with
  // E = [0; I_m; 0] the embedding at o: an HVP with the direction zero outside the tensor,
  // of which only the tensor's own m entries are read back. Lanczos on that m × m operator
  // (its Krylov space clamped to m, so a small block is solved exactly).
  const LinearOperator full = probe_hessian(at);
  const int64_t n = total_numel(at);
  const std::vector<std::string>& names = model_->names();
  Json out = Json::object();
  int64_t offset = 0;
  for (size_t l = 0; l < at.size(); ++l) {
    const int64_t m = at[l].numel();
    const LinearOperator block = [&full, n, offset, m](const std::vector<double>& x,
                                                       std::vector<double>& y) {
      std::vector<double> padded(static_cast<size_t>(n), 0.0), hx;
      std::copy(x.begin(), x.end(), padded.begin() + offset);
      full(padded, hx);
      y.assign(hx.begin() + offset, hx.begin() + offset + m);
    };
    const std::string name = l < names.size() ? names[l] : "param" + std::to_string(l);
    out[name] = lanczos_top_k(block, m, probe_lanczos(m, 1)).values.at(0);
    offset += m;
  }
  return out;
}

}  // namespace gradlab
