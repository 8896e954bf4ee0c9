// Optimizers with PyTorch's exact update rules (torch.optim 1.13 documentation), plus LAMB
// (You et al. 2020), normalized GD, gradient flow (RK4) and the learning-rate schedules. All
// updates run under no_grad and overwrite parameters in place (Tensor::assign_).
#include <algorithm>
#include <array>
#include <cmath>
#include <optional>

#include "gradlab/autograd.h"
#include "gradlab/config_views.h"
#include "gradlab/ops.h"
#include "gradlab/optim.h"

namespace gradlab {

namespace {

using Json = nlohmann::json;

// Per-parameter state tensors, created lazily on the first step.
class StateList {
 public:
  Tensor& at(size_t i) {
    if (i >= ts_.size()) ts_.resize(i + 1);
    return ts_[i];
  }
  const Tensor& get(size_t i) const { return ts_.at(i); }
  size_t size() const { return ts_.size(); }
  void save(std::map<std::string, Tensor>& out, const std::string& prefix) const {
    for (size_t i = 0; i < ts_.size(); ++i)
      if (ts_[i].defined()) out[prefix + "." + std::to_string(i)] = ts_[i];
  }
  void load(const std::map<std::string, Tensor>& in, const std::string& prefix) {
    ts_.clear();
    for (const auto& [k, t] : in)
      if (k.rfind(prefix + ".", 0) == 0) at(std::stoul(k.substr(prefix.size() + 1))) = t;
  }

 private:
  TensorList ts_;
};

void check_lists(const TensorList& params, const TensorList& grads, const char* name) {
  if (params.size() != grads.size())
    fail<ValueError>(name, ": ", params.size(), " parameters but ", grads.size(), " gradients");
}

// torch.optim.SGD: d = g + wd·p; buf = d (first step) or μ·buf + d; step along
// d + μ·buf (Nesterov) or buf; p ← p − lr·step. (dampening 0)
class Sgd : public Optimizer {
 public:
  Sgd(std::string type, double momentum, bool nesterov, double wd)
      : type_(std::move(type)), momentum_(momentum), nesterov_(nesterov), wd_(wd) {
    if (nesterov_ && momentum_ <= 0)
      fail<ConfigError>("optim: Nesterov momentum needs optim.momentum > 0");
  }
  std::string type() const override { return type_; }
  void step(TensorList& params, const TensorList& grads, double lr) override {
    check_lists(params, grads, "sgd");
    for (size_t i = 0; i < params.size(); ++i) {
      Tensor d = grads[i];
      if (wd_ != 0) d = add(d, mul(params[i], wd_));
      if (momentum_ != 0) {
        Tensor& buf = bufs_.at(i);
        buf = buf.defined() ? add(mul(buf, momentum_), d) : d.clone();
        d = nesterov_ ? add(d, mul(buf, momentum_)) : buf;
      }
      params[i].assign_(sub(params[i], mul(d, lr)));
    }
  }
  std::map<std::string, Tensor> state_tensors() const override {
    std::map<std::string, Tensor> out;
    bufs_.save(out, "momentum_buffer");
    return out;
  }
  void load_state_tensors(const std::map<std::string, Tensor>& s) override {
    bufs_.load(s, "momentum_buffer");
  }
  // GD with heavy-ball momentum on a quadratic is stable iff sharpness < (2 + 2β)/η;
  // with Nesterov iff < (2 + 2β)/(η(1 + 2β)) (Cohen et al. 2021, appendix).
  double stability_threshold(double lr) const override {
    if (nesterov_) return (2 + 2 * momentum_) / (lr * (1 + 2 * momentum_));
    return (2 + 2 * momentum_) / lr;
  }

 private:
  std::string type_;
  double momentum_;
  bool nesterov_;
  double wd_;
  StateList bufs_;
};

// Shared by Adam, AdamW and LAMB: exponential moving averages of the gradient (m) and of
// its square (v), their bias corrections 1 − βᵗ, and checkpointing of that state under
// PyTorch's names (exp_avg, exp_avg_sq, step).
class MomentOptimizer : public Optimizer {
 public:
  MomentOptimizer(double b1, double b2, double eps, double wd, bool bias_correction)
      : b1_(b1), b2_(b2), eps_(eps), wd_(wd), bias_correction_(bias_correction) {}
  std::map<std::string, Tensor> state_tensors() const override {
    std::map<std::string, Tensor> out;
    m_.save(out, "exp_avg");
    v_.save(out, "exp_avg_sq");
    return out;
  }
  void load_state_tensors(const std::map<std::string, Tensor>& s) override {
    m_.load(s, "exp_avg");
    v_.load(s, "exp_avg_sq");
  }
  Json state_json() const override { return {{"step", t_}}; }
  void load_state_json(const Json& j) override { t_ = j.value("step", int64_t{0}); }
  double stability_threshold(double) const override { return -1; }
  // EMA momentum m ← β1 m + (1 − β1) g with frozen P: x ← x − η P⁻¹ m is heavy-ball on
  // P⁻¹H with step η(1 − β1), stable iff λ₁(P⁻¹H) < (2 + 2β1)/((1 − β1)η).
  double preconditioned_threshold(double lr) const override {
    return (2 + 2 * b1_) / ((1 - b1_) * lr);
  }

 protected:
  // The bias corrections (1 − β1ᵗ, 1 − β2ᵗ) at step t, or (1, 1) with bias_correction off
  // (the Adam of Cohen et al. 2022, whose preconditioner does not drift with t).
  std::pair<double, double> corrections(int64_t t) const {
    if (!bias_correction_) return {1.0, 1.0};
    return {1 - std::pow(b1_, static_cast<double>(t)), 1 - std::pow(b2_, static_cast<double>(t))};
  }
  // Starts a step: advances t and returns its bias corrections.
  std::pair<double, double> begin_step() {
    ++t_;
    return corrections(t_);
  }
  // (1 − β1ᵗ)(√(v/(1 − β2ᵗ)) + ε) of the last step for parameter i: the denominator that
  // turns m into the step direction, i.e. Adam's preconditioner P.
  Tensor adam_denominator(size_t i) const {
    auto [bc1, bc2] = corrections(t_);
    return mul(add(sqrt(div(v_.get(i), bc2)), eps_), bc1);
  }
  bool has_state() const { return t_ > 0; }
  size_t state_size() const { return v_.size(); }
  // m ← β1 m + (1 − β1) g, v ← β2 v + (1 − β2) g² for parameter i (PyTorch's order of
  // operations); returns references to the updated m and v.
  std::pair<Tensor&, Tensor&> update_moments(size_t i, const Tensor& g) {
    Tensor& m = m_.at(i);
    Tensor& v = v_.at(i);
    if (!m.defined()) {
      m = zeros_like(g);
      v = zeros_like(g);
    }
    m = add(mul(m, b1_), mul(g, 1 - b1_));
    v = add(mul(v, b2_), mul(square(g), 1 - b2_));
    return {m, v};
  }
  double b1_, b2_, eps_, wd_;
  bool bias_correction_;

 private:
  int64_t t_ = 0;
  StateList m_, v_;
};

// torch.optim.Adam / AdamW. Adam adds wd·p to the gradient; AdamW first scales p by
// (1 − lr·wd). Bias corrections as in PyTorch:
// p ← p − (lr / (1 − β1ᵗ)) · m / (√v / √(1 − β2ᵗ) + eps).
class Adam : public MomentOptimizer {
 public:
  Adam(bool decoupled, double b1, double b2, double eps, double wd, bool bias_correction)
      : MomentOptimizer(b1, b2, eps, wd, bias_correction), decoupled_(decoupled) {}
  std::string type() const override { return decoupled_ ? "adamw" : "adam"; }
  void step(TensorList& params, const TensorList& grads, double lr) override {
    check_lists(params, grads, "adam");
    auto [bc1, bc2] = begin_step();
    for (size_t i = 0; i < params.size(); ++i) {
      Tensor g = grads[i];
      Tensor p = params[i];
      if (decoupled_ && wd_ != 0) p = mul(p, 1 - lr * wd_);
      if (!decoupled_ && wd_ != 0) g = add(g, mul(p, wd_));
      auto [m, v] = update_moments(i, g);
      Tensor denom = add(div(sqrt(v), std::sqrt(bc2)), eps_);
      params[i].assign_(sub(p, mul(div(m, denom), lr / bc1)));
    }
  }
  TensorList preconditioner() const override {
    TensorList out;
    if (!has_state()) return out;
    for (size_t i = 0; i < state_size(); ++i) out.push_back(adam_denominator(i));
    return out;
  }

 private:
  bool decoupled_;
};

// torch.optim.RMSprop (centered = False): v ← αv + (1 − α)g²; with momentum μ:
// buf ← μ·buf + g/(√v + eps), p ← p − lr·buf; else p ← p − lr·g/(√v + eps).
class RmsProp : public Optimizer {
 public:
  RmsProp(double alpha, double eps, double momentum, double wd)
      : alpha_(alpha), eps_(eps), momentum_(momentum), wd_(wd) {}
  std::string type() const override { return "rmsprop"; }
  void step(TensorList& params, const TensorList& grads, double lr) override {
    check_lists(params, grads, "rmsprop");
    for (size_t i = 0; i < params.size(); ++i) {
      Tensor g = grads[i];
      if (wd_ != 0) g = add(g, mul(params[i], wd_));
      Tensor& v = v_.at(i);
      if (!v.defined()) v = zeros_like(g);
      v = add(mul(v, alpha_), mul(square(g), 1 - alpha_));
      Tensor upd = div(g, add(sqrt(v), eps_));
      if (momentum_ > 0) {
        Tensor& buf = buf_.at(i);
        buf = buf.defined() ? add(mul(buf, momentum_), upd) : upd;
        upd = buf;
      }
      params[i].assign_(sub(params[i], mul(upd, lr)));
    }
  }
  std::map<std::string, Tensor> state_tensors() const override {
    std::map<std::string, Tensor> out;
    v_.save(out, "square_avg");
    buf_.save(out, "momentum_buffer");
    return out;
  }
  void load_state_tensors(const std::map<std::string, Tensor>& s) override {
    v_.load(s, "square_avg");
    buf_.load(s, "momentum_buffer");
  }
  double stability_threshold(double) const override { return -1; }
  // x ← x − η·buf, buf ← μ·buf + P⁻¹g with P = √v + ε: PyTorch-form heavy-ball on P⁻¹H.
  TensorList preconditioner() const override {
    TensorList out;
    for (size_t i = 0; i < v_.size(); ++i) out.push_back(add(sqrt(v_.get(i)), eps_));
    return out;
  }
  double preconditioned_threshold(double lr) const override { return (2 + 2 * momentum_) / lr; }

 private:
  double alpha_, eps_, momentum_, wd_;
  StateList v_, buf_;
};

// LAMB (You et al. 2020, "Large batch optimization for deep learning", Algorithm 2): Adam
// direction r = m̂/(√v̂ + eps), u = r + wd·x, and per parameter tensor the trust ratio
// φ(‖x‖)/‖u‖ (1 when ‖x‖ or ‖u‖ is 0, so zero-initialised biases still move):
// x ← x − η·φ(‖x‖)/‖u‖·u. φ is the identity, or clamp(·, lo, hi) with optim.trust_clamp, so
// with the identity every tensor moves by exactly ‖Δx‖ = η‖x‖.
class Lamb : public MomentOptimizer {
 public:
  Lamb(double b1, double b2, double eps, double wd, bool bias_correction,
       std::optional<std::array<double, 2>> clamp)
      : MomentOptimizer(b1, b2, eps, wd, bias_correction), clamp_(clamp) {
    if (clamp_ && !((*clamp_)[0] >= 0 && (*clamp_)[0] <= (*clamp_)[1]))
      fail<ConfigError>("optim.trust_clamp: [", (*clamp_)[0], ", ", (*clamp_)[1],
                        "] is not an interval [lo, hi] with 0 <= lo <= hi");
  }
  std::string type() const override { return "lamb"; }
  void step(TensorList& params, const TensorList& grads, double lr) override {
    check_lists(params, grads, "lamb");
    auto [bc1, bc2] = begin_step();
    trust_.resize(params.size());
    for (size_t i = 0; i < params.size(); ++i) {
      auto [m, v] = update_moments(i, grads[i]);
      Tensor u = div(div(m, bc1), add(sqrt(div(v, bc2)), eps_));
      if (wd_ != 0) u = add(u, mul(params[i], wd_));
      double xn = std::sqrt(sum(square(params[i].to(DType::F64))).item());
      double un = std::sqrt(sum(square(u.to(DType::F64))).item());
      double phi = clamp_ ? std::min(std::max(xn, (*clamp_)[0]), (*clamp_)[1]) : xn;
      trust_[i] = (xn > 0 && un > 0) ? phi / un : 1.0;
      params[i].assign_(sub(params[i], mul(u, lr * trust_[i])));
    }
  }
  // With wd = 0 and the trust ratios τ frozen the step is x ← x − η P⁻¹m with
  // P = (1 − β1ᵗ)(√v̂ + ε)/τ per tensor: Adam's rule, so Adam's threshold applies (the wd·x
  // term is not part of P: the probe measures the loss Hessian only).
  TensorList preconditioner() const override {
    TensorList out;
    if (!has_state() || trust_.size() != state_size()) return out;
    for (size_t i = 0; i < state_size(); ++i) out.push_back(div(adam_denominator(i), trust_[i]));
    return out;
  }
  // The last trust ratios travel with the checkpoint, so a resumed run's first probe sees
  // the same preconditioner as the uninterrupted run.
  Json state_json() const override {
    Json j = MomentOptimizer::state_json();
    j["trust_ratio"] = trust_;
    return j;
  }
  void load_state_json(const Json& j) override {
    MomentOptimizer::load_state_json(j);
    // Checkpoints written before trust ratios were saved have none: the next step sets them.
    trust_.clear();
    if (j.contains("trust_ratio")) trust_ = j.at("trust_ratio").get<std::vector<double>>();
  }

 private:
  std::optional<std::array<double, 2>> clamp_;
  std::vector<double> trust_;  // the last step's trust ratio per tensor
};

// LARS (You, Gitman & Ginsburg 2017, "Large batch training of convolutional networks",
// Algorithm 1), per parameter tensor w with gradient g:
//   local = η_trust·‖w‖/(‖g‖ + λ‖w‖)   (1 when ‖w‖ or ‖g‖ + λ‖w‖ is 0, as LAMB's trust ratio)
//   v ← μ·v + η·local·(g + λw),   w ← w − v
// so with λ = 0 and μ = 0 every tensor moves by exactly η·η_trust·‖w‖.
class Lars : public Optimizer {
 public:
  Lars(double momentum, double wd, double trust) : momentum_(momentum), wd_(wd), trust_(trust) {}
  std::string type() const override { return "lars"; }
  void step(TensorList& params, const TensorList& grads, double lr) override {
    check_lists(params, grads, "lars");
    for (size_t i = 0; i < params.size(); ++i) {
      const double wn = std::sqrt(sum(square(params[i].to(DType::F64))).item());
      const double gn = std::sqrt(sum(square(grads[i].to(DType::F64))).item());
      const double denom = gn + wd_ * wn;
      const double local = (wn > 0 && denom > 0) ? trust_ * wn / denom : 1.0;
      Tensor d = grads[i];
      if (wd_ != 0) d = add(d, mul(params[i], wd_));
      d = mul(d, lr * local);
      Tensor& v = bufs_.at(i);
      v = v.defined() ? add(mul(v, momentum_), d) : d;
      params[i].assign_(sub(params[i], v));
    }
  }
  std::map<std::string, Tensor> state_tensors() const override {
    std::map<std::string, Tensor> out;
    bufs_.save(out, "momentum_buffer");
    return out;
  }
  void load_state_tensors(const std::map<std::string, Tensor>& s) override {
    bufs_.load(s, "momentum_buffer");
  }
  // Each tensor's rate depends on its norms: no single quadratic threshold.
  double stability_threshold(double) const override { return -1; }

 private:
  double momentum_, wd_, trust_;
  StateList bufs_;
};

// Normalized gradient descent: θ ← θ − lr·g/‖g‖, with ‖g‖ the Euclidean norm of all the
// gradients together (the parameters as one vector, so the direction is GD's and every step
// has length exactly lr). Nacson, Lee, Gunasekar, Savarese, Srebro & Soudry 2019 ("Convergence
// of gradient descent on separable data", AISTATS) show it closes the angle to the max-margin
// direction much faster than GD on separable data. At g = 0 (a stationary point) the
// direction is undefined and the step leaves the parameters unchanged; a non-finite norm is
// not skipped, so a diverged gradient still shows in the parameters.
class NormalizedGd : public Optimizer {
 public:
  std::string type() const override { return "normalized_gd"; }
  void step(TensorList& params, const TensorList& grads, double lr) override {
    check_lists(params, grads, "normalized_gd");
    double squares = 0.0;  // ‖g‖², summed in double whatever the parameters' dtype
    for (const Tensor& g : grads) squares += sum(square(g.to(DType::F64))).item();
    const double norm = std::sqrt(squares);
    if (norm == 0.0) return;
    for (size_t i = 0; i < params.size(); ++i)
      params[i].assign_(sub(params[i], mul(grads[i], lr / norm)));
  }
  std::map<std::string, Tensor> state_tensors() const override { return {}; }
  void load_state_tensors(const std::map<std::string, Tensor>&) override {}
  // The step length is lr whatever the curvature: no 2/η stability threshold.
  double stability_threshold(double) const override { return -1; }
};

// Gradient flow dθ/dt = −∇L(θ), integrated over time lr per step with the classical
// fourth-order Runge–Kutta method on `substeps` equal substeps h = lr/substeps:
//   k1 = ∇L(θ), k2 = ∇L(θ − h/2·k1), k3 = ∇L(θ − h/2·k2), k4 = ∇L(θ − h·k3),
//   θ ← θ − h/6·(k1 + 2k2 + 2k3 + k4)        (local error O(h⁵), global O(h⁴)).
// It has no stability threshold 2/η (Cohen et al. 2021 use it as the "what GD would do
// if it were stable" reference: its sharpness keeps rising). RK4 itself is stable on a
// quadratic only while h·λ₁ < 2.785 (its stability region on the negative real axis), so
// optim.substeps must grow with the sharpness the flow reaches.
class GradientFlow : public Optimizer {
 public:
  explicit GradientFlow(int substeps) : substeps_(substeps) {
    if (substeps_ < 1) fail<ConfigError>("optim.substeps: ", substeps_, " is below the minimum 1");
  }
  std::string type() const override { return "gradient_flow"; }
  bool needs_gradient_fn() const override { return true; }
  void step(TensorList&, const TensorList&, double) override {
    fail<ValueError>(
        "gradient_flow: a step needs the gradient at the Runge-Kutta stages; "
        "call step_with_gradient_fn");
  }
  void step_with_gradient_fn(TensorList& params, const TensorList& grads, double lr,
                             const GradientFn& gradient_at) override {
    check_lists(params, grads, "gradient_flow");
    const double h = lr / substeps_;
    // θ + c·k for every tensor of the list.
    auto moved = [&](const TensorList& k, double c) {
      TensorList out;
      out.reserve(params.size());
      for (size_t i = 0; i < params.size(); ++i) out.push_back(add(params[i], mul(k[i], c)));
      return out;
    };
    for (int s = 0; s < substeps_; ++s) {
      const TensorList k1 = s == 0 ? grads : gradient_at(params);
      const TensorList k2 = gradient_at(moved(k1, -h / 2));
      const TensorList k3 = gradient_at(moved(k2, -h / 2));
      const TensorList k4 = gradient_at(moved(k3, -h));
      check_lists(params, k4, "gradient_flow");
      for (size_t i = 0; i < params.size(); ++i) {
        Tensor sum_k = add(add(k1[i], k4[i]), mul(add(k2[i], k3[i]), 2.0));
        params[i].assign_(sub(params[i], mul(sum_k, h / 6)));
      }
    }
  }
  std::map<std::string, Tensor> state_tensors() const override { return {}; }
  void load_state_tensors(const std::map<std::string, Tensor>&) override {}
  double stability_threshold(double) const override { return -1; }

 private:
  int substeps_;
};

}  // namespace

// One row per optimizer type; every hyperparameter comes from the view, whose values the
// schema filled (src/config/schema.cpp lists PyTorch's defaults).
std::unique_ptr<Optimizer> build_optimizer(const OptimConfig& c) {
  using T = OptimizerType;
  const T t = c.type;
  if (t == T::Gd || t == T::Sgd || t == T::Momentum || t == T::Nesterov)
    return std::make_unique<Sgd>(optimizer_type_name(t), c.momentum, c.nesterov, c.weight_decay);
  if (t == T::Adam || t == T::AdamW)
    return std::make_unique<Adam>(t == T::AdamW, c.betas[0], c.betas[1], c.eps, c.weight_decay,
                                  c.bias_correction);
  if (t == T::RmsProp) return std::make_unique<RmsProp>(c.alpha, c.eps, c.momentum, c.weight_decay);
  if (t == T::Lamb)
    return std::make_unique<Lamb>(c.betas[0], c.betas[1], c.eps, c.weight_decay,
                                  c.bias_correction, c.trust_clamp);
  if (t == T::GradientFlow) return std::make_unique<GradientFlow>(static_cast<int>(c.substeps));
  if (t == T::NormalizedGd) return std::make_unique<NormalizedGd>();
  if (t == T::Lars) return std::make_unique<Lars>(c.momentum, c.weight_decay, c.trust_coefficient);
  fail<ConfigError>("optim.type: \"", optimizer_type_name(t),
                    "\" is not available in this build (expected gd, sgd, momentum, nesterov, "
                    "adam, adamw, rmsprop, lamb, gradient_flow, normalized_gd or lars)");
}

std::unique_ptr<Optimizer> build_optimizer(const Json& resolved_optim_block) {
  return build_optimizer(optim_config_of_resolved_block(resolved_optim_block));
}

// Schedules (t = 0-based step, T = total steps):
//   constant  lr
//   step      lr · γ^⌊t / step_size⌋                       (torch StepLR)
//   warmup    lr · min(1, (t + 1) / warmup_steps)
//   cosine    linear warm-up over w steps, then min_lr + (lr − min_lr)(1 + cos(π s / S))/2
//             with s = t − w, S = T − w                       (torch CosineAnnealingLR form)
double scheduled_lr(const OptimConfig& optim, int64_t t, int64_t total) {
  const double lr = optim.lr;
  const ScheduleConfig& s = optim.schedule;
  switch (s.type) {
    case ScheduleType::Constant: return lr;
    case ScheduleType::Step:
      return lr * std::pow(s.gamma, static_cast<double>(t / s.step_size));
    case ScheduleType::Warmup:
      return lr * std::min(1.0, static_cast<double>(t + 1) / static_cast<double>(s.warmup_steps));
    case ScheduleType::Cosine: {
      const int64_t w = s.warmup_steps;
      if (t < w) return lr * static_cast<double>(t + 1) / static_cast<double>(w);
      double span = static_cast<double>(std::max<int64_t>(total - w, 1));
      double frac = static_cast<double>(t - w) / span;
      return s.min_lr + (lr - s.min_lr) * 0.5 * (1 + std::cos(M_PI * frac));
    }
  }
  fail<ConfigError>("optim.schedule.type: unknown schedule");
}

double scheduled_lr(const Json& resolved_optim_block, int64_t t, int64_t total) {
  return scheduled_lr(optim_config_of_resolved_block(resolved_optim_block), t, total);
}

}  // namespace gradlab
