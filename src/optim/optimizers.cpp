// Optimizers with PyTorch's exact update rules (torch.optim 1.13 documentation), plus LAMB
// (You et al. 2020), normalized GD, gradient flow (RK4) and the learning-rate schedules. All
// updates run under no_grad and overwrite parameters in place (Tensor::assign_).
#include <cmath>

#include "gradlab/autograd.h"
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
  MomentOptimizer(double b1, double b2, double eps, double wd)
      : b1_(b1), b2_(b2), eps_(eps), wd_(wd) {}
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

 protected:
  // Starts a step: advances t and returns the bias corrections (1 − β1ᵗ, 1 − β2ᵗ).
  std::pair<double, double> begin_step() {
    ++t_;
    return {1 - std::pow(b1_, static_cast<double>(t_)), 1 - std::pow(b2_, static_cast<double>(t_))};
  }
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

 private:
  int64_t t_ = 0;
  StateList m_, v_;
};

// torch.optim.Adam / AdamW. Adam adds wd·p to the gradient; AdamW first scales p by
// (1 − lr·wd). Bias corrections as in PyTorch:
// p ← p − (lr / (1 − β1ᵗ)) · m / (√v / √(1 − β2ᵗ) + eps).
class Adam : public MomentOptimizer {
 public:
  Adam(bool decoupled, double b1, double b2, double eps, double wd)
      : MomentOptimizer(b1, b2, eps, wd), decoupled_(decoupled) {}
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

 private:
  double alpha_, eps_, momentum_, wd_;
  StateList v_, buf_;
};

// LAMB (You et al. 2020, "Large batch optimization for deep learning", Algorithm 2):
// Adam direction r = m̂/(√v̂ + eps) + wd·p, scaled per parameter tensor by the trust
// ratio ‖p‖/‖r‖ (1 when either norm is 0): p ← p − lr·(‖p‖/‖r‖)·r.
class Lamb : public MomentOptimizer {
 public:
  using MomentOptimizer::MomentOptimizer;
  std::string type() const override { return "lamb"; }
  void step(TensorList& params, const TensorList& grads, double lr) override {
    check_lists(params, grads, "lamb");
    auto [bc1, bc2] = begin_step();
    for (size_t i = 0; i < params.size(); ++i) {
      auto [m, v] = update_moments(i, grads[i]);
      Tensor r = div(div(m, bc1), add(sqrt(div(v, bc2)), eps_));
      if (wd_ != 0) r = add(r, mul(params[i], wd_));
      double pn = std::sqrt(sum(square(params[i].to(DType::F64))).item());
      double rn = std::sqrt(sum(square(r.to(DType::F64))).item());
      double trust = (pn > 0 && rn > 0) ? pn / rn : 1.0;
      params[i].assign_(sub(params[i], mul(r, lr * trust)));
    }
  }
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

std::unique_ptr<Optimizer> build_optimizer(const Json& c) {
  const std::string type = c.at("type").get<std::string>();
  const double wd = c.value("weight_decay", type == "adamw" ? 0.01 : 0.0);
  if (type == "gd" || type == "sgd" || type == "momentum" || type == "nesterov") {
    double mom = c.value("momentum", (type == "momentum" || type == "nesterov") ? 0.9 : 0.0);
    bool nest = type == "nesterov" || c.value("nesterov", false);
    return std::make_unique<Sgd>(type, mom, nest, wd);
  }
  if (type == "adam" || type == "adamw") {
    std::vector<double> betas = c.value("betas", std::vector<double>{0.9, 0.999});
    return std::make_unique<Adam>(type == "adamw", betas.at(0), betas.at(1), c.value("eps", 1e-8),
                                  wd);
  }
  if (type == "rmsprop")
    return std::make_unique<RmsProp>(c.value("alpha", 0.99), c.value("eps", 1e-8),
                                     c.value("momentum", 0.0), wd);
  if (type == "lamb") {
    std::vector<double> betas = c.value("betas", std::vector<double>{0.9, 0.999});
    return std::make_unique<Lamb>(betas.at(0), betas.at(1), c.value("eps", 1e-6), wd);
  }
  if (type == "gradient_flow") return std::make_unique<GradientFlow>(c.value("substeps", 4));
  if (type == "normalized_gd") return std::make_unique<NormalizedGd>();
  fail<ConfigError>("optim.type: \"", type,
                    "\" is not available in this build (expected gd, sgd, momentum, nesterov, "
                    "adam, adamw, rmsprop, lamb, gradient_flow or normalized_gd)");
}

// Schedules (t = 0-based step, T = total steps):
//   constant  lr
//   step      lr · γ^⌊t / step_size⌋                       (torch StepLR)
//   warmup    lr · min(1, (t + 1) / warmup_steps)
//   cosine    linear warm-up over w steps, then min_lr + (lr − min_lr)(1 + cos(π s / S))/2
//             with s = t − w, S = T − w                       (torch CosineAnnealingLR form)
double scheduled_lr(const Json& optim, int64_t t, int64_t total) {
  const double lr = optim.at("lr").get<double>();
  if (!optim.contains("schedule")) return lr;
  const Json& s = optim["schedule"];
  const std::string type = s.value("type", "constant");
  if (type == "constant") return lr;
  if (type == "step") {
    int64_t size = s.at("step_size").get<int64_t>();
    return lr * std::pow(s.value("gamma", 0.1), static_cast<double>(t / size));
  }
  if (type == "warmup") {
    int64_t w = s.at("warmup_steps").get<int64_t>();
    return lr * std::min(1.0, static_cast<double>(t + 1) / static_cast<double>(w));
  }
  if (type == "cosine") {
    int64_t w = s.value("warmup_steps", int64_t{0});
    double min_lr = s.value("min_lr", 0.0);
    if (t < w) return lr * static_cast<double>(t + 1) / static_cast<double>(w);
    double span = static_cast<double>(std::max<int64_t>(total - w, 1));
    double frac = static_cast<double>(t - w) / span;
    return min_lr + (lr - min_lr) * 0.5 * (1 + std::cos(M_PI * frac));
  }
  fail<ConfigError>("optim.schedule.type: unknown schedule \"", type, "\"");
}

}  // namespace gradlab
