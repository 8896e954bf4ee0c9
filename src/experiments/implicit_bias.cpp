// implicit_bias: gradient descent's implicit bias toward the max-margin direction.
//
// Soudry, Hoffer, Nacson, Gunasekar & Srebro 2018 ("The implicit bias of gradient descent on
// separable data", JMLR 19): GD on a loss with an exponential tail (logistic, exponential)
// for a linear model without bias on linearly separable data has ‖w_t‖ → ∞ and
// w_t/‖w_t‖ → ŵ/‖ŵ‖, ŵ the hard-margin SVM solution of min ‖w‖² s.t. yᵢwᵀxᵢ ≥ 1, with the
// angle closing only like 1/log t. The reference ŵ is solved once, at construction, by
// gradlab's SMO solver with the linear kernel and *no bias* (fit_bias = false) — the model
// trained here is homogeneous, so the SVM must be too.
//
// Model f(x) = wᵀx, w₀ = 0. Loss L(w) = (1/n) Σᵢ ℓ(yᵢwᵀxᵢ), ℓ(u) = log(1 + e^{−u}) (logistic)
// or e^{−u} (exponential), and its gradient ∇L = (1/n) Σᵢ ℓ'(uᵢ) yᵢxᵢ in plain float64 loops:
// 10⁵ steps on a few hundred 2-D points take well under a second, which the browser's SVM page
// needs (it runs up to 10⁶ steps live); through tensors and autograd each step cost ~10x more.
// The step is the core optimizer's (gradlab/optim.h): gd (w ← w − η∇L), normalized_gd
// (w ← w − η∇L/‖∇L‖, cf. Nacson et al. 2019 who show normalised steps close the angle much
// faster) or adam (Kingma & Ba 2015 with optim.betas / optim.eps, PyTorch's formula).
//
// Rows at step t (the iterate before update t, as quadratic_gd): loss, normalized_margin
// = minᵢ yᵢwᵀxᵢ/‖w‖, one_minus_cos and angle (radians) between w and ŵ, w_norm, grad_norm,
// lr. Logged at t = 0, on a geometric grid (t = ⌈1.25ᵏ⌉, so a log-t plot is evenly
// sampled), every train.log_every steps, and at the last step. Margin and angle are
// absent while w = 0.
#include <algorithm>
#include <cmath>
#include <limits>

#include "experiments/svm_experiments.h"
#include "gradlab/data.h"
#include "gradlab/error.h"
#include "gradlab/ops.h"
#include "gradlab/optim.h"
#include "gradlab/svm.h"
#include "gradlab/text.h"

namespace gradlab {

svm::Options implicit_bias_svm_options(const Json& config);  // svm_margin.cpp

namespace {

constexpr double kGeometricRatio = 1.25;  // grid of logged steps

// ‖x‖₂, summed in order.
double norm(const std::vector<double>& x) {
  double sum = 0.0;
  for (double v : x) sum += v * v;
  return std::sqrt(sum);
}

class ImplicitBiasExperiment : public Experiment {
 public:
  explicit ImplicitBiasExperiment(const Json& config) : config_(config) {
    const std::string loss = config.at("loss").get<std::string>();
    if (loss != "logistic" && loss != "exponential")
      fail<ConfigError>("loss: implicit_bias uses a loss with an exponential tail, \"logistic\" or "
                        "\"exponential\" (Soudry et al. 2018), got \"", loss, "\"");
    exponential_ = loss == "exponential";
    const Json& model = config.at("model");
    if (model.at("type") != "linear")
      fail<ConfigError>("model.type: implicit_bias trains a linear model (\"linear\"), got \"",
                        model.at("type").get<std::string>(), "\"");
    if (model.at("bias").get<bool>())
      fail<ConfigError>("model.bias: implicit_bias trains f(x) = wᵀx without bias (the theorem's "
                        "homogeneous model); set model.bias: false");
    const Json& optim = config.at("optim");
    type_ = optim.at("type").get<std::string>();
    if (type_ != "gd" && type_ != "normalized_gd" && type_ != "adam")
      fail<ConfigError>("optim.type: implicit_bias runs gd, normalized_gd or adam, got \"", type_,
                        "\"");
    // Both keys apply only to some optimizer types (absent = not used).
    auto nonzero = [&](const char* k) { return optim.contains(k) && optim[k].get<double>() != 0; };
    if (nonzero("momentum") || nonzero("weight_decay"))
      fail<ConfigError>("optim: implicit_bias needs optim.momentum = 0 and optim.weight_decay = 0 "
                        "(weight decay would cap ‖w‖ and remove the implicit bias)");
    optimizer_ = build_optimizer(optim);
    const Json& train = config.at("train");
    if (!train.contains("steps"))
      fail<ConfigError>("train.steps: implicit_bias counts steps (train.epochs has no meaning here)");
    total_steps_ = train.at("steps").get<int64_t>();
    log_every_ = train.at("log_every").get<int64_t>();

    data_ = load_dataset(config.at("data"), config.at("seed").get<uint64_t>(),
                         LabelValues::AnyTwo);
    n_ = data_.train.n;
    d_ = data_.input_size();
    std::vector<double> y = svm_signed_labels(data_.train.labels, data_.num_classes, "implicit_bias");
    // Z = diag(y) X (n, d): every quantity below needs only the products yᵢxᵢ.
    z_.resize(static_cast<size_t>(n_ * d_));
    for (int64_t i = 0; i < n_; ++i)
      for (int64_t c = 0; c < d_; ++c) z_[i * d_ + c] = y[i] * data_.train.x[i * d_ + c];

    svm::Options so = implicit_bias_svm_options(config);
    so.kernel.type = svm::KernelType::linear;
    so.C = std::numeric_limits<double>::infinity();
    so.fit_bias = false;
    try {
      svm_ = svm::solve(data_.train.x, y, d_, so);
    } catch (const ValueError& e) {
      fail<ValueError>("implicit_bias: the reference hard-margin SVM (linear, no bias) failed — the "
                       "data must be separable by a hyperplane through the origin: ", e.what());
    }
    w_hat_.assign(svm_.w.begin(), svm_.w.begin() + d_);
    w_.assign(static_cast<size_t>(d_), 0.0);
  }

  int64_t total_steps() const override { return total_steps_; }
  int64_t steps_done() const override { return step_; }
  bool diverged() const override { return diverged_; }
  std::string divergence_reason() const override { return reason_; }

  std::optional<Json> step() override {
    if (done()) return std::nullopt;
    // Margins uᵢ = yᵢwᵀxᵢ; ℓ'(u) = −σ(−u) (logistic) or −e^{−u} (exponential).
    std::vector<double> u(static_cast<size_t>(n_), 0.0);  // (n) Z w
    for (int64_t i = 0; i < n_; ++i)
      for (int64_t c = 0; c < d_; ++c) u[i] += z_[i * d_ + c] * w_[c];
    std::vector<double> dl(static_cast<size_t>(n_));  // (n) ℓ'(uᵢ)
    double loss = 0;
    for (int64_t i = 0; i < n_; ++i) {
      if (exponential_) {
        const double e = std::exp(-u[i]);
        loss += e;
        dl[i] = -e;
      } else {
        // log(1 + e^{−u}) and σ(−u), evaluated without overflow for either sign of u.
        loss += u[i] > 0 ? std::log1p(std::exp(-u[i])) : -u[i] + std::log1p(std::exp(u[i]));
        dl[i] = u[i] > 0 ? -std::exp(-u[i]) / (1 + std::exp(-u[i])) : -1 / (1 + std::exp(u[i]));
      }
    }
    loss /= double(n_);
    std::vector<double> grad(static_cast<size_t>(d_), 0.0);  // (d) ∇L = Zᵀ ℓ'(u) / n
    for (int64_t i = 0; i < n_; ++i)
      for (int64_t c = 0; c < d_; ++c) grad[c] += z_[i * d_ + c] * dl[i];
    for (double& g : grad) g /= double(n_);
    const double gnorm = norm(grad);
    const double lr = scheduled_lr(config_.at("optim"), step_, total_steps_);
    const bool blown = !std::isfinite(loss) || !std::isfinite(gnorm);

    std::optional<Json> row;
    if (blown || log_now()) {
      Json r = Json::object();
      r["step"] = step_;
      if (std::isfinite(loss)) r["loss"] = loss;
      const double wn = norm(w_);
      r["w_norm"] = wn;
      if (wn > 0 && std::isfinite(wn)) {
        r["normalized_margin"] = *std::min_element(u.begin(), u.end()) / wn;
        // 1 − cos via ½‖a − b‖² of the unit vectors: no cancellation near cos = 1.
        const double hat_norm = norm(w_hat_);
        double omc = 0.0;
        for (int64_t c = 0; c < d_; ++c) {
          const double diff = w_[c] / wn - w_hat_[c] / hat_norm;
          omc += diff * diff;
        }
        omc *= 0.5;
        r["one_minus_cos"] = omc;
        r["angle"] = 2 * std::asin(std::min(1.0, std::sqrt(omc / 2)));  // ‖a − b‖ = 2 sin(θ/2)
      }
      r["grad_norm"] = gnorm;
      r["lr"] = lr;
      row = r;
    }
    if (blown) {
      diverged_ = true;
      reason_ = "the loss or its gradient became non-finite at step " + std::to_string(step_) +
                " (lower optim.lr; the exponential loss overflows for large negative margins)";
      return row;
    }
    TensorList params{from_vector(w_, {d_}, DType::F64)};
    optimizer_->step(params, {from_vector(grad, {d_}, DType::F64)}, lr);
    w_ = params[0].to_vector();
    ++step_;
    return row;
  }

  Json summary(const std::vector<Json>& rows) const override {
    Json s = Json::object();
    s["kind"] = "implicit_bias";
    s["optimizer"] = type_;
    s["loss"] = exponential_ ? "exponential" : "logistic";
    s["svm_w"] = svm_.w;
    s["svm_margin"] = svm_.margin;  // ρ = 1/‖ŵ‖, the best normalised margin achievable
    s["svm_support_indices"] = svm_.support;
    for (auto it = rows.rbegin(); it != rows.rend(); ++it) {
      if (!it->contains("one_minus_cos")) continue;
      s["final_step"] = (*it)["step"];
      s["final_one_minus_cos"] = (*it)["one_minus_cos"];
      s["final_angle"] = (*it)["angle"];
      s["final_normalized_margin"] = (*it)["normalized_margin"];
      s["final_w_norm"] = (*it)["w_norm"];
      if (it->contains("loss")) s["final_loss"] = (*it)["loss"];
      break;
    }
    s["w"] = w_;
    return s;
  }

  // w (d), the optimizer's state as the training kinds save it ("optim." + its names).
  void save_state(NamedTensors& tensors, Json& state) const override {
    tensors.emplace_back("w", from_vector(w_, {d_}, DType::F64));
    for (const auto& [k, t] : optimizer_->state_tensors()) tensors.emplace_back("optim." + k, t);
    state["optimizer"] = optimizer_->state_json();
    state["step"] = step_;
    state["next_geometric"] = next_geometric_;
    state["diverged"] = diverged_;
    state["divergence_reason"] = reason_;
  }

  void load_state(const SafetensorsFile& f, const Json& state) override {
    auto get = [&](const char* name, std::vector<double>& out) {
      const Tensor* t = f.find(name);
      if (!t) fail<IOError>("checkpoint: missing tensor '", name, "' (implicit_bias)");
      std::vector<double> v = t->to_vector();
      if (static_cast<int64_t>(v.size()) != d_)
        fail<IOError>("checkpoint: ", name, " has ", v.size(), " entries, the data have ", d_,
                      " features");
      out = std::move(v);
    };
    get("w", w_);
    std::map<std::string, Tensor> opt;
    for (const auto& [k, t] : f.tensors)
      if (k.rfind("optim.", 0) == 0) opt[k.substr(6)] = t;
    optimizer_->load_state_tensors(opt);
    optimizer_->load_state_json(state.value("optimizer", Json::object()));
    step_ = state.at("step").get<int64_t>();
    next_geometric_ = state.value("next_geometric", int64_t{1});
    diverged_ = state.value("diverged", false);
    reason_ = state.value("divergence_reason", "");
  }

  NamedTensors named_params() const override {
    return {{"weight", from_vector(w_, {1, d_}, DType::F64)}};
  }

  std::string description() const override {
    TextBuilder os;
    os << "implicit_bias: " << type_ << " on " << (exponential_ ? "exponential" : "logistic")
       << " loss, linear model without bias, " << data_.description << "; SVM margin "
       << svm_.margin << " (" << svm_.support.size() << " support vectors)";
    return os.str();
  }

 private:
  // Step 0, the geometric grid (1, 2, 3, 4, 5, 7, 9, 12, ...: next = max(g + 1, ⌈1.25 g⌉)),
  // every log_every, and the last step. Called once per step, so no grid point is skipped.
  bool log_now() {
    bool geo = false;
    if (step_ >= next_geometric_) {
      geo = step_ == next_geometric_;
      while (next_geometric_ <= step_)
        next_geometric_ = std::max<int64_t>(
            next_geometric_ + 1, static_cast<int64_t>(std::ceil(next_geometric_ * kGeometricRatio)));
    }
    return step_ == 0 || geo || step_ % log_every_ == 0 || step_ == total_steps_ - 1;
  }

  Json config_;
  bool exponential_ = false;
  std::string type_;
  std::unique_ptr<Optimizer> optimizer_;
  int64_t total_steps_ = 0, log_every_ = 10, step_ = 0;
  int64_t next_geometric_ = 1;
  Dataset data_;
  int64_t n_ = 0, d_ = 0;
  std::vector<double> z_;                  // (n, d) yᵢxᵢ, row-major
  svm::Model svm_;                         // hard margin, linear, no bias
  std::vector<double> w_hat_, w_;          // (d) ŵ, w
  bool diverged_ = false;
  std::string reason_;
};

}  // namespace

std::unique_ptr<Experiment> make_implicit_bias(const Json& config) {
  return std::make_unique<ImplicitBiasExperiment>(config);
}

}  // namespace gradlab
