// The central-flow experiment (central_flow.h).
#include "experiments/central_flow.h"

#include <algorithm>
#include <cmath>

#include "gradlab/autograd.h"
#include "gradlab/config_views.h"
#include "gradlab/error.h"
#include "gradlab/ops.h"
#include "gradlab/spectrum.h"

namespace gradlab {
namespace {

using central_flow::Vec;

// Sharpness within this fraction of 2/η counts as having reached it (the crossing steps); the
// central flow holds it there to rounding of the Euler step, GD crosses it within a step.
constexpr double kCrossingTolerance = 1e-3;

double distance(const Vec& a, const Vec& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += (a[i] - b[i]) * (a[i] - b[i]);
  return std::sqrt(s);
}

Json nan_to_null(const Vec& v) {
  Json out = Json::array();
  for (double x : v) out.push_back(std::isfinite(x) ? Json(x) : Json(nullptr));
  return out;
}
Vec null_to_nan(const Json& j) {
  Vec out;
  for (const Json& x : j) out.push_back(x.is_null() ? NAN : x.get<double>());
  return out;
}

// The TrainingExperiment behind the data, model and loss: float64 on the CPU whatever the
// config (the kind reads no dtype or device: third derivatives need float64).
Json base_config(const Json& config) {
  Json c = config;
  c["dtype"] = "float64";
  c["device"] = "cpu";
  return c;
}

}  // namespace

std::vector<Vec> curvature_gradients(const TensorList& grads, const TensorList& params,
                                     const std::vector<Vec>& u) {
  const auto k = static_cast<int64_t>(u.size());
  const size_t n = static_cast<size_t>(total_numel(params));
  std::vector<Vec> out(static_cast<size_t>(k * k));
  GradModeGuard on(true);
  GradOptions keep_graph;
  keep_graph.create_graph = true;
  for (int64_t b = 0; b < k; ++b) {
    // H u_b with a graph of its own (differentiable in w), then ⟨u_a, H u_b⟩ and one more
    // backward pass for each a ≤ b: S_ab = S_ba as H is symmetric.
    const TensorList hub =
        hvp_from_grads(grads, params, unflatten_from_vector(u[b], params), keep_graph);
    for (int64_t a = 0; a <= b; ++a) {
      const TensorList ua = unflatten_from_vector(u[a], params);
      Tensor s;
      for (size_t i = 0; i < params.size(); ++i) {
        if (!hub[i].defined() || !hub[i].requires_grad()) continue;
        Tensor term = sum(mul(ua[i], hub[i]));
        s = s.defined() ? add(s, term) : term;
      }
      // A Hessian that does not depend on w (a linear model under MSE) has ∇S = 0.
      Vec d(n, 0.0);
      if (s.defined()) {
        TensorList gs = grad(s, params, {false, true});
        for (size_t i = 0; i < gs.size(); ++i)
          if (!gs[i].defined()) gs[i] = zeros_like(params[i]);
        d = flatten_to_vector(gs);
      }
      out[a * k + b] = d;
      out[b * k + a] = std::move(d);
    }
  }
  return out;
}

CentralFlowExperiment::CentralFlowExperiment(const Json& config) : config_(config) {
  const OptimConfig optim = optim_config(config);
  if (optim.type != OptimizerType::Gd)
    fail<ConfigError>("optim.type: central_flow runs gd (its central flow beside it); got \"",
                      optimizer_type_name(optim.type),
                      "\" (RMSProp's central flow is not implemented)");
  if (optim.momentum != 0 || optim.weight_decay != 0 || optim.nesterov)
    fail<ConfigError>("optim: central_flow needs plain GD: momentum = 0, nesterov = false and "
                      "weight_decay = 0 (got momentum ", optim.momentum, ", weight_decay ",
                      optim.weight_decay, ")");
  if (optim.schedule.type != ScheduleType::Constant)
    fail<ConfigError>("optim.schedule: central_flow needs a constant learning rate (2/η is the "
                      "edge it predicts)");
  if (!(optim.lr > 0)) fail<ConfigError>("optim.lr: must be > 0, got ", optim.lr);
  const TrainConfig train = train_config(config);
  if (train.batch_size)
    fail<ConfigError>("train.batch_size: central_flow runs full-batch GD; use \"full\" (got ",
                      *train.batch_size, ")");
  total_steps_ = train.steps ? *train.steps : *train.epochs;
  log_every_ = train.log_every;

  const Json& cf = config.at("central_flow");
  s_.lr = optim.lr;
  s_.substeps = cf.at("substeps").get<int64_t>();
  s_.edge = cf.at("edge").get<double>();
  s_.track = cf.at("track").get<int64_t>();
  s_.lanczos_iters = cf.at("lanczos_iters").get<int64_t>();
  s_.refresh_every = cf.at("refresh_every").get<int64_t>();
  s_.sharpness_every = cf.at("sharpness_every").get<int64_t>();
  s_.smooth_sigma = cf.at("smooth_sigma").get<double>();

  base_ = std::make_unique<TrainingExperiment>(base_config(config));
  for (const Tensor& p : base_->model().params()) like_.push_back(p.detach());
  w_gd_ = flatten_to_vector(like_);
  w_gf_ = w_cf_ = w_gd_;
  const auto n = static_cast<int64_t>(w_gd_.size());
  if (s_.track > n)
    fail<ConfigError>("central_flow.track: ", s_.track, " eigenvectors asked of a model with ",
                      n, " parameters");
  // The tracker starts from a full Lanczos solve at the initialisation.
  LanczosOptions lo;
  lo.top_k = static_cast<int>(s_.track);
  lo.iterations = static_cast<int>(std::max(s_.lanczos_iters, s_.track));
  lo.seed = config.at("seed").get<uint64_t>() * 1000003ULL + 7;
  lo.want_vectors = true;
  LossFn fn = [this](const TensorList& p) { return loss_at(p); };
  tracked_ = lanczos_top_k(hessian_operator(fn, leaves(w_cf_)), n, lo).vectors;
}

TensorList CentralFlowExperiment::leaves(const Vec& w) const {
  TensorList out = unflatten_from_vector(w, like_);
  for (Tensor& t : out) t.requires_grad_();
  return out;
}

double CentralFlowExperiment::loss_and_grad(const Vec& w, Vec& g) const {
  GradModeGuard on(true);
  TensorList p = leaves(w);
  Tensor loss = loss_at(p);
  g = flatten_to_vector(grad(loss, p, {false, true}));
  return loss.item();
}

double CentralFlowExperiment::sharpness(const Vec& w, uint64_t salt) const {
  // One gradient graph for every Lanczos iteration's HVP (hessian_operator would rebuild it
  // for each product).
  GradModeGuard on(true);
  TensorList p = leaves(w);
  TensorList g = grad(loss_at(p), p, {true, true});
  LinearOperator op = [&](const Vec& x, Vec& y) {
    y = flatten_to_vector(hvp_from_grads(g, p, unflatten_from_vector(x, like_)));
  };
  LanczosOptions lo;
  lo.top_k = 1;
  lo.iterations = static_cast<int>(s_.lanczos_iters);
  lo.seed = config_.at("seed").get<uint64_t>() * 1000003ULL + static_cast<uint64_t>(step_) * 4 +
            salt;
  return lanczos_top_k(op, static_cast<int64_t>(w.size()), lo).values.at(0);
}

CentralFlowExperiment::Substep CentralFlowExperiment::analyse_cf(bool refresh) {
  GradModeGuard on(true);
  const double eta = s_.lr, dt = 1.0 / static_cast<double>(s_.substeps);
  TensorList p = leaves(w_cf_);
  Tensor loss = loss_at(p);
  TensorList g = grad(loss, p, {true, true});
  auto hv = [&](const Vec& v) {
    return flatten_to_vector(hvp_from_grads(g, p, unflatten_from_vector(v, like_)));
  };
  // Track the top eigenvectors: Rayleigh–Ritz on span{V, HV} (plus, on refresh steps, a fresh
  // Lanczos solve's vectors, which catch an eigenvalue that rose from below the tracked ones).
  std::vector<Vec> basis = tracked_, known;
  for (const Vec& v : tracked_) known.push_back(hv(v));
  for (const Vec& h : known) basis.push_back(h);
  if (refresh) {
    LanczosOptions lo;
    lo.top_k = static_cast<int>(s_.track);
    lo.iterations = static_cast<int>(std::max(s_.lanczos_iters, s_.track));
    lo.seed = config_.at("seed").get<uint64_t>() * 1000003ULL + static_cast<uint64_t>(step_) * 4 +
              3;
    lo.want_vectors = true;
    LinearOperator op = [&](const Vec& x, Vec& y) { y = hv(x); };
    for (Vec& v : lanczos_top_k(op, static_cast<int64_t>(w_cf_.size()), lo).vectors)
      basis.push_back(std::move(v));
  }
  central_flow::RitzPairs ritz = central_flow::rayleigh_ritz(basis, known, hv, s_.track);
  tracked_ = ritz.vectors;

  Substep out;
  out.loss = loss.item();
  const Vec grad_flat = flatten_to_vector(g);
  out.grad_norm2 = central_flow::dot(grad_flat, grad_flat);
  out.sharpness = ritz.values.at(0);
  int64_t k = 0;
  while (k < static_cast<int64_t>(ritz.values.size()) && ritz.values[k] > s_.edge / eta) ++k;
  out.n_edge = k;
  out.velocity.assign(grad_flat.size(), 0.0);
  for (size_t i = 0; i < grad_flat.size(); ++i) out.velocity[i] = -eta * grad_flat[i];
  out.pred_loss = out.loss;
  out.pred_grad_norm2 = out.grad_norm2;
  if (k == 0) return out;

  const std::vector<Vec> dS = curvature_gradients(
      g, p, std::vector<Vec>(tracked_.begin(), tracked_.begin() + k));
  const auto m = static_cast<size_t>(k * k);
  Vec a(m, 0.0), gram(m * m, 0.0);
  for (int64_t r = 0; r < k; ++r)
    for (int64_t c = 0; c < k; ++c) {
      // UᵀHU after the substep, to first order: diag(λ) + dt·⟨∇S, dw/dt⟩.
      a[r * k + c] = -dt * central_flow::dot(dS[r * k + c], out.velocity);
      if (r == c) a[r * k + c] += 2.0 / eta - ritz.values[r];
    }
  for (size_t r = 0; r < m; ++r)
    for (size_t c = 0; c <= r; ++c) gram[r * m + c] = gram[c * m + r] = central_flow::dot(dS[r], dS[c]);
  const central_flow::SdcpResult x = central_flow::solve_sdcp(a, gram, 0.5 * dt * eta, k);
  out.x = x.x;
  out.kkt_residual = x.kkt_residual;
  // dw/dt −= η·½ Σ_ab X_ab ∇S_ab.
  for (size_t r = 0; r < m; ++r)
    if (x.x[r] != 0)
      for (size_t i = 0; i < out.velocity.size(); ++i)
        out.velocity[i] -= 0.5 * eta * x.x[r] * dS[r][i];
  double trace = 0;
  for (int64_t i = 0; i < k; ++i) {
    const double xi = x.x[i * k + i];
    trace += xi;
    out.pred_grad_norm2 += xi * central_flow::dot(ritz.h_vectors[i], ritz.h_vectors[i]);
  }
  out.pred_loss = out.loss + trace / eta;
  return out;
}

CentralFlowExperiment::Substep CentralFlowExperiment::advance_cf() {
  const double dt = 1.0 / static_cast<double>(s_.substeps);
  const bool refresh = s_.refresh_every > 0 && step_ % s_.refresh_every == 0 && step_ > 0;
  Substep first;
  for (int64_t j = 0; j < s_.substeps; ++j) {
    Substep sub = analyse_cf(refresh && j == 0);
    for (size_t i = 0; i < w_cf_.size(); ++i) w_cf_[i] += dt * sub.velocity[i];
    if (j == 0) first = std::move(sub);
  }
  return first;
}

double CentralFlowExperiment::advance_gd_with_probe() {
  const double sharp = sharpness(w_gd_, 0);
  Vec g;
  loss_and_grad(w_gd_, g);
  for (size_t i = 0; i < w_gd_.size(); ++i) w_gd_[i] -= s_.lr * g[i];
  return sharp;
}

std::optional<Json> CentralFlowExperiment::step() {
  if (done()) return std::nullopt;
  const double eta = s_.lr, dt = 1.0 / static_cast<double>(s_.substeps);
  Vec g_gd, g_gf;
  const double gd_loss = loss_and_grad(w_gd_, g_gd);
  const double gf_loss = loss_and_grad(w_gf_, g_gf);
  const bool probe = s_.sharpness_every > 0 && step_ % s_.sharpness_every == 0;
  const double gd_sharp = probe ? sharpness(w_gd_, 0) : NAN;
  const double gf_sharp = probe ? sharpness(w_gf_, 1) : NAN;
  const double d_cf = distance(w_gd_, w_cf_), d_gf = distance(w_gd_, w_gf_);
  const Vec w_cf_before = w_cf_;
  Substep cf = advance_cf();
  if (!std::isfinite(gd_loss) || !std::isfinite(gf_loss) || !std::isfinite(cf.loss)) {
    w_cf_ = w_cf_before;
    diverged_ = true;
    divergence_reason_ = "a loss became non-finite at step " + std::to_string(step_) +
                         " (GD " + std::to_string(gd_loss) + ", gradient flow " +
                         std::to_string(gf_loss) + ", central flow " + std::to_string(cf.loss) +
                         ")";
    return Json{{"step", step_}};
  }
  gd_loss_.push_back(gd_loss);
  gd_sharpness_.push_back(gd_sharp);
  gf_sharpness_.push_back(gf_sharp);
  cf_sharpness_.push_back(cf.sharpness);
  cf_pred_loss_.push_back(cf.pred_loss);
  std::optional<Json> row;
  if (step_ % log_every_ == 0 || step_ == total_steps_ - 1) {
    Json r = Json::object();
    r["step"] = step_;
    r["lr"] = eta;
    r["threshold"] = 2.0 / eta;
    r["loss"] = gd_loss;
    r["grad_norm2"] = central_flow::dot(g_gd, g_gd);
    if (probe) r["sharpness"] = gd_sharp;
    r["gf_loss"] = gf_loss;
    if (probe) r["gf_sharpness"] = gf_sharp;
    r["cf_loss"] = cf.loss;
    r["cf_sharpness"] = cf.sharpness;
    r["cf_pred_loss"] = cf.pred_loss;
    r["cf_grad_norm2"] = cf.grad_norm2;
    r["cf_pred_grad_norm2"] = cf.pred_grad_norm2;
    r["cf_n_edge"] = cf.n_edge;
    r["cf_sigma"] = central_flow::symmetric_values_desc(cf.x, cf.n_edge);
    if (cf.n_edge > 1) r["cf_sdcp_residual"] = cf.kkt_residual;
    r["dist_gd_cf"] = d_cf;
    r["dist_gd_gf"] = d_gf;
    row = r;
  }
  for (size_t i = 0; i < w_gd_.size(); ++i) w_gd_[i] -= eta * g_gd[i];
  for (int64_t j = 0; j < s_.substeps; ++j) {
    if (j > 0) loss_and_grad(w_gf_, g_gf);
    for (size_t i = 0; i < w_gf_.size(); ++i) w_gf_[i] -= dt * eta * g_gf[i];
  }
  ++step_;
  return row;
}

Json CentralFlowExperiment::summary(const std::vector<Json>&) const {
  Json s = Json::object();
  s["kind"] = "central_flow";
  s["n_params"] = w_gd_.size();
  s["threshold"] = 2.0 / s_.lr;
  const double edge = (1 - kCrossingTolerance) * 2.0 / s_.lr;
  auto crossing = [&](const Vec& sharp) -> Json {
    for (size_t i = 0; i < sharp.size(); ++i)
      if (std::isfinite(sharp[i]) && sharp[i] >= edge) return static_cast<int64_t>(i);
    return nullptr;
  };
  const Json gd_cross = crossing(gd_sharpness_), cf_cross = crossing(cf_sharpness_);
  s["gd_crossing_step"] = gd_cross;
  s["cf_crossing_step"] = cf_cross;
  s["gf_crossing_step"] = crossing(gf_sharpness_);
  if (!gd_loss_.empty()) s["final_loss"] = gd_loss_.back();
  for (auto it = gf_sharpness_.rbegin(); it != gf_sharpness_.rend(); ++it)
    if (std::isfinite(*it)) {
      s["final_gf_sharpness"] = *it;
      break;
    }
  if (!cf_sharpness_.empty()) s["final_cf_sharpness"] = cf_sharpness_.back();
  if (!cf_cross.is_null()) {
    // How far the central flow's sharpness strays from 2/η once it got there.
    double worst = 0;
    for (size_t i = cf_cross.get<size_t>(); i < cf_sharpness_.size(); ++i)
      worst = std::max(worst, std::fabs(cf_sharpness_[i] * s_.lr / 2.0 - 1.0));
    s["cf_hold_max_rel_dev"] = worst;
  }
  if (!gd_cross.is_null()) {
    const Vec smooth = central_flow::gaussian_smooth(gd_loss_, s_.smooth_sigma);
    double err = 0;
    size_t count = 0;
    for (size_t i = gd_cross.get<size_t>(); i < smooth.size(); ++i, ++count)
      err += std::fabs(cf_pred_loss_[i] - smooth[i]) / std::fabs(smooth[i]);
    if (count > 0) s["pred_loss_mean_rel_error"] = err / static_cast<double>(count);
  }
  s["dist_gd_cf"] = distance(w_gd_, w_cf_);
  s["dist_gd_gf"] = distance(w_gd_, w_gf_);
  return s;
}

void CentralFlowExperiment::save_state(NamedTensors& tensors, Json& state) const {
  const auto n = static_cast<int64_t>(w_gd_.size());
  tensors.emplace_back("gd", from_vector(w_gd_, {n}, DType::F64));
  tensors.emplace_back("gf", from_vector(w_gf_, {n}, DType::F64));
  tensors.emplace_back("cf", from_vector(w_cf_, {n}, DType::F64));
  Vec v;
  for (const Vec& t : tracked_) v.insert(v.end(), t.begin(), t.end());
  tensors.emplace_back("tracked", from_vector(v, {static_cast<int64_t>(tracked_.size()), n},
                                              DType::F64));
  state["step"] = step_;
  state["diverged"] = diverged_;
  state["divergence_reason"] = divergence_reason_;
  state["gd_loss"] = nan_to_null(gd_loss_);
  state["gd_sharpness"] = nan_to_null(gd_sharpness_);
  state["gf_sharpness"] = nan_to_null(gf_sharpness_);
  state["cf_sharpness"] = nan_to_null(cf_sharpness_);
  state["cf_pred_loss"] = nan_to_null(cf_pred_loss_);
}

void CentralFlowExperiment::load_state(const SafetensorsFile& f, const Json& state) {
  auto get = [&](const char* name) {
    const Tensor* t = f.find(name);
    if (t == nullptr) fail<IOError>("checkpoint: missing central_flow tensor '", name, "'");
    return t->to_vector();
  };
  w_gd_ = get("gd");
  w_gf_ = get("gf");
  w_cf_ = get("cf");
  const Vec v = get("tracked");
  const size_t n = w_gd_.size();
  tracked_.clear();
  for (size_t i = 0; i + n <= v.size(); i += n) tracked_.emplace_back(v.begin() + i, v.begin() + i + n);
  step_ = state.at("step").get<int64_t>();
  diverged_ = state.at("diverged").get<bool>();
  divergence_reason_ = state.at("divergence_reason").get<std::string>();
  gd_loss_ = null_to_nan(state.at("gd_loss"));
  gd_sharpness_ = null_to_nan(state.at("gd_sharpness"));
  gf_sharpness_ = null_to_nan(state.at("gf_sharpness"));
  cf_sharpness_ = null_to_nan(state.at("cf_sharpness"));
  cf_pred_loss_ = null_to_nan(state.at("cf_pred_loss"));
}

NamedTensors CentralFlowExperiment::named_params() const {
  // The GD run's weights under the model's names (the central flow's are in the checkpoint).
  NamedTensors out;
  const TensorList gd = unflatten_from_vector(w_gd_, like_);
  for (size_t i = 0; i < gd.size(); ++i) out.emplace_back(base_->model().names()[i], gd[i]);
  return out;
}

std::string CentralFlowExperiment::description() const {
  return "central_flow: GD, gradient flow and the central flow of a " + base_->model().type() +
         " (" + std::to_string(w_gd_.size()) + " parameters) on " + base_->data().description +
         ", η = " + std::to_string(s_.lr);
}

}  // namespace gradlab
