// catapult: GD at η = c/λ₀ on a two-layer NTK-parameterised network (see catapult.h).
#include "experiments/catapult.h"

#include <algorithm>
#include <cmath>

#include "gradlab/data.h"
#include "gradlab/error.h"
#include "gradlab/rng.h"
#include "gradlab/spectrum.h"
#include "gradlab/text.h"

namespace gradlab {

namespace {

std::string num(double v) {
  TextBuilder os;
  os << v;
  return os.str();
}

}  // namespace

CatapultExperiment::CatapultExperiment(const Json& config) : config_(config) {
  const Json& cat = config.at("catapult");
  const std::string model = cat.at("model").get<std::string>();
  relu_ = model == "relu";
  m_ = cat.at("width").get<int64_t>();
  c_ = cat.at("lr_times_sharpness").get<double>();
  divergence_ratio_ = cat.at("divergence_ratio").get<double>();
  lanczos_iters_ = cat.at("lanczos_iters").get<int64_t>();
  sharpness_every_ = cat.at("sharpness_every").get<int64_t>();
  const uint64_t seed = config.at("seed").get<uint64_t>();
  if (relu_) {
    Dataset data = load_dataset(config.at("data"), seed);
    if (data.label_shape.size() != 0 || data.input_shape.empty())
      fail<ConfigError>("catapult: model relu needs one label or target row per example, got ",
                        data.description);
    n_ = data.train.n;
    if (n_ == 0) fail<ConfigError>("data: the training set is empty");
    d_ = data.input_size();
    x_ = data.train.x;
    if (data.is_regression()) {
      k_ = data.target_dim;
      y_ = data.train.y;
    } else {
      k_ = data.num_classes;
      labels_ = data.train.labels;
      y_.assign(static_cast<size_t>(n_ * k_), 0.0);  // one-hot: MSE on classes, as the paper
      for (int64_t i = 0; i < n_; ++i) y_[i * k_ + labels_[i]] = 1.0;
    }
    data_description_ = data.description;
  } else {
    n_ = d_ = k_ = 1;
    x_ = {cat.at("x").get<double>()};
    y_ = {cat.at("y").get<double>()};
    data_description_ = "one example x = " + num(x_[0]) + ", y = " + num(y_[0]);
  }
  // U then V, each entry N(0, 1): the NTK parameterisation puts the 1/√fan-in in the forward.
  Rng init(seed, 1);
  w_.resize(static_cast<size_t>(m_ * d_ + k_ * m_));
  for (double& v : w_) v = init.normal();

  const Json& train = config.at("train");
  if (!train.contains("steps"))
    fail<ConfigError>("train.steps: catapult counts GD steps (train.epochs has no meaning here)");
  total_steps_ = train.at("steps").get<int64_t>();
  log_every_ = train.at("log_every").get<int64_t>();

  // η is resolved here, at step 0, from the measured initial sharpness.
  initial_loss_ = loss_at(w_);
  lambda0_ = sharpness_at(w_);
  if (!(lambda0_ > 0))
    fail<ValueError>("catapult: the initial sharpness is ", num(lambda0_),
                     ", so η = catapult.lr_times_sharpness / λ₀ is undefined");
  lr_ = c_ / lambda0_;
  peak_loss_ = initial_loss_;
}

void CatapultExperiment::forward(const std::vector<double>& w, std::vector<double>& h,
                                 std::vector<double>& f) const {
  const double* u = w.data();
  const double* v = w.data() + m_ * d_;
  const double sd = 1 / std::sqrt(static_cast<double>(d_));
  const double sm = 1 / std::sqrt(static_cast<double>(m_));
  h.assign(static_cast<size_t>(n_ * m_), 0.0);
  f.assign(static_cast<size_t>(n_ * k_), 0.0);
  for (int64_t i = 0; i < n_; ++i) {
    const double* xi = &x_[i * d_];
    for (int64_t j = 0; j < m_; ++j) {
      double s = 0;
      for (int64_t l = 0; l < d_; ++l) s += u[j * d_ + l] * xi[l];
      h[i * m_ + j] = s * sd;
    }
    for (int64_t c = 0; c < k_; ++c) {
      double s = 0;
      for (int64_t j = 0; j < m_; ++j) {
        const double a = relu_ ? std::max(h[i * m_ + j], 0.0) : h[i * m_ + j];
        s += v[c * m_ + j] * a;
      }
      f[i * k_ + c] = s * sm;
    }
  }
}

double CatapultExperiment::loss_at(const std::vector<double>& w, double* accuracy) const {
  std::vector<double> h, f;
  forward(w, h, f);
  double s = 0;
  int64_t correct = 0;
  for (int64_t i = 0; i < n_; ++i) {
    for (int64_t c = 0; c < k_; ++c) s += (f[i * k_ + c] - y_[i * k_ + c]) * (f[i * k_ + c] - y_[i * k_ + c]);
    if (!labels_.empty()) {
      const double* fi = &f[i * k_];
      correct += std::max_element(fi, fi + k_) - fi == labels_[i];
    }
  }
  if (accuracy != nullptr) *accuracy = labels_.empty() ? -1 : static_cast<double>(correct) / n_;
  return s / (2.0 * n_);
}

// With R = F − Y, A = φ(H), D = φ'(H) (ReLU: 1[H > 0]; identity: 1):
//   ∂L/∂V = (1/(n√m)) Σᵢ rᵢ aᵢᵀ,   ∂L/∂U = (1/(n√m√d)) Σᵢ (dᵢ ∘ Vᵀrᵢ) xᵢᵀ.
std::vector<double> CatapultExperiment::gradient_at(const std::vector<double>& w) const {
  std::vector<double> h, f;
  forward(w, h, f);
  const double* v = w.data() + m_ * d_;
  const double sd = 1 / std::sqrt(static_cast<double>(d_));
  const double sm = 1 / std::sqrt(static_cast<double>(m_));
  std::vector<double> g(w.size(), 0.0);
  double* gu = g.data();
  double* gv = g.data() + m_ * d_;
  std::vector<double> back(static_cast<size_t>(m_));
  for (int64_t i = 0; i < n_; ++i) {
    const double* xi = &x_[i * d_];
    for (int64_t j = 0; j < m_; ++j) back[j] = 0;
    for (int64_t c = 0; c < k_; ++c) {
      const double r = (f[i * k_ + c] - y_[i * k_ + c]) * sm / static_cast<double>(n_);
      for (int64_t j = 0; j < m_; ++j) {
        const double hij = h[i * m_ + j];
        gv[c * m_ + j] += r * (relu_ ? std::max(hij, 0.0) : hij);
        back[j] += v[c * m_ + j] * r;
      }
    }
    for (int64_t j = 0; j < m_; ++j) {
      if (relu_ && !(h[i * m_ + j] > 0)) continue;
      const double b = back[j] * sd;
      for (int64_t l = 0; l < d_; ++l) gu[j * d_ + l] += b * xi[l];
    }
  }
  return g;
}

// The directional derivative of the gradient along (δU, δV), φ'' = 0 almost everywhere:
//   δaᵢ = dᵢ ∘ δU xᵢ/√d,  δfᵢ = (δV aᵢ + V δaᵢ)/√m,
//   δ(∂L/∂V) = (1/(n√m)) Σᵢ (δfᵢ aᵢᵀ + rᵢ δaᵢᵀ),
//   δ(∂L/∂U) = (1/(n√m√d)) Σᵢ (dᵢ ∘ (δVᵀ rᵢ + Vᵀ δfᵢ)) xᵢᵀ.
std::vector<double> CatapultExperiment::hvp_at(const std::vector<double>& w,
                                               const std::vector<double>& dw) const {
  std::vector<double> h, f;
  forward(w, h, f);
  const double* v = w.data() + m_ * d_;
  const double* du = dw.data();
  const double* dv = dw.data() + m_ * d_;
  const double sd = 1 / std::sqrt(static_cast<double>(d_));
  const double sm = 1 / std::sqrt(static_cast<double>(m_));
  const double inv_n = 1 / static_cast<double>(n_);
  std::vector<double> out(w.size(), 0.0);
  double* hu = out.data();
  double* hv = out.data() + m_ * d_;
  std::vector<double> a(static_cast<size_t>(m_)), da(static_cast<size_t>(m_)),
      mask(static_cast<size_t>(m_)), back(static_cast<size_t>(m_)), df(static_cast<size_t>(k_));
  for (int64_t i = 0; i < n_; ++i) {
    const double* xi = &x_[i * d_];
    for (int64_t j = 0; j < m_; ++j) {
      const double hij = h[i * m_ + j];
      mask[j] = relu_ ? (hij > 0 ? 1.0 : 0.0) : 1.0;
      a[j] = mask[j] * hij;
      double s = 0;
      for (int64_t l = 0; l < d_; ++l) s += du[j * d_ + l] * xi[l];
      da[j] = mask[j] * s * sd;
      back[j] = 0;
    }
    for (int64_t c = 0; c < k_; ++c) {
      double s = 0;
      for (int64_t j = 0; j < m_; ++j) s += dv[c * m_ + j] * a[j] + v[c * m_ + j] * da[j];
      df[c] = s * sm;
    }
    for (int64_t c = 0; c < k_; ++c) {
      const double r = f[i * k_ + c] - y_[i * k_ + c];
      const double scale = sm * inv_n;
      for (int64_t j = 0; j < m_; ++j) {
        hv[c * m_ + j] += scale * (df[c] * a[j] + r * da[j]);
        back[j] += dv[c * m_ + j] * r + v[c * m_ + j] * df[c];
      }
    }
    for (int64_t j = 0; j < m_; ++j) {
      if (mask[j] == 0) continue;
      const double b = back[j] * sm * sd * inv_n;
      for (int64_t l = 0; l < d_; ++l) hu[j * d_ + l] += b * xi[l];
    }
  }
  return out;
}

double CatapultExperiment::sharpness_at(const std::vector<double>& w) const {
  LinearOperator op = [&](const std::vector<double>& in, std::vector<double>& out) {
    out = hvp_at(w, in);
  };
  LanczosOptions options;
  options.top_k = 1;
  options.iterations = static_cast<int>(lanczos_iters_);
  options.seed = config_.at("seed").get<uint64_t>();
  return lanczos_top_k(op, static_cast<int64_t>(w.size()), options).values.at(0);
}

std::optional<Json> CatapultExperiment::step() {
  if (done()) return std::nullopt;
  double acc = -1;
  const double loss = loss_at(w_, &acc);
  // Diverged: the loss is no longer a number, or it grew past catapult.divergence_ratio × its
  // initial value (the catapult's own peak stays orders of magnitude below the default).
  const bool blown = !std::isfinite(loss) || loss > divergence_ratio_ * initial_loss_;
  const bool last = step_ == total_steps_ - 1;
  const bool probe = !blown && (step_ == 0 || last ||
                                (sharpness_every_ > 0 && step_ % sharpness_every_ == 0));
  std::optional<Json> row;
  if (step_ % log_every_ == 0 || last || blown || probe) {
    Json r = Json::object();
    r["step"] = step_;
    if (std::isfinite(loss)) {
      r["loss"] = loss;
      r["loss_ratio"] = loss / initial_loss_;
    }
    if (acc >= 0) r["train_acc"] = acc;
    if (probe) {
      const double lambda = step_ == 0 ? lambda0_ : sharpness_at(w_);
      r["sharpness"] = lambda;
      r["lr_times_sharpness"] = lr_ * lambda;
    }
    r["threshold"] = 2 / lr_;
    r["lr"] = lr_;
    row = r;
  }
  if (std::isfinite(loss) && loss > peak_loss_) {
    peak_loss_ = loss;
    peak_step_ = step_;
  }
  if (blown) {
    diverged_ = true;
    divergence_reason_ =
        std::isfinite(loss)
            ? "the loss reached " + num(loss) + ", more than catapult.divergence_ratio = " +
                  num(divergence_ratio_) + " x its initial value " + num(initial_loss_) +
                  ", at step " + std::to_string(step_) + " (η·λ₀ = " + num(c_) + ")"
            : std::string("the loss became ") + (std::isnan(loss) ? "NaN" : "infinite") +
                  " at step " + std::to_string(step_);
    return row;
  }
  const std::vector<double> g = gradient_at(w_);
  for (size_t i = 0; i < w_.size(); ++i) w_[i] -= lr_ * g[i];
  ++step_;
  return row;
}

Json CatapultExperiment::summary(const std::vector<Json>& rows) const {
  Json s = Json::object();
  s["kind"] = "catapult";
  s["model"] = relu_ ? "relu" : "uv";
  s["width"] = m_;
  s["n_train"] = n_;
  s["n_params"] = w_.size();
  s["lr_times_sharpness"] = c_;
  s["initial_sharpness"] = lambda0_;
  s["lr"] = lr_;
  s["threshold"] = 2 / lr_;
  s["initial_loss"] = initial_loss_;
  s["peak_loss"] = peak_loss_;
  s["peak_loss_ratio"] = peak_loss_ / initial_loss_;
  s["peak_step"] = peak_step_;
  Json final_sharpness = nullptr, final_loss = nullptr;
  for (auto it = rows.rbegin(); it != rows.rend(); ++it) {
    if (final_sharpness.is_null() && it->contains("sharpness")) final_sharpness = (*it)["sharpness"];
    if (final_loss.is_null() && it->contains("loss")) final_loss = (*it)["loss"];
  }
  // A diverged run's last probe predates the blow-up: no final sharpness to report.
  if (diverged_) final_sharpness = nullptr;
  s["final_loss"] = final_loss;
  s["final_sharpness"] = final_sharpness;
  s["final_sharpness_ratio"] = final_sharpness.is_null()
                                   ? Json(nullptr)
                                   : Json(final_sharpness.get<double>() * lr_ / 2);
  // lazy: the loss never rose above its initial value; catapult: it rose and came back down,
  // ending in a region flat enough for the step (ηλ < 2); divergent: it blew up, or the run
  // ended still above its initial loss at a sharpness GD cannot descend (ηλ ≥ 2).
  std::string phase;
  const bool unstable_end = !final_sharpness.is_null() && final_sharpness.get<double>() * lr_ >= 2 &&
                            !final_loss.is_null() && final_loss.get<double>() > initial_loss_;
  if (diverged_ || unstable_end)
    phase = "divergent";
  else if (peak_loss_ > initial_loss_)
    phase = "catapult";
  else
    phase = "lazy";
  s["phase"] = phase;
  return s;
}

void CatapultExperiment::save_state(NamedTensors& tensors, Json& state) const {
  tensors.emplace_back("w", from_vector(w_, {static_cast<int64_t>(w_.size())}, DType::F64));
  state["step"] = step_;
  state["peak_loss"] = peak_loss_;
  state["peak_step"] = peak_step_;
  state["diverged"] = diverged_;
  state["divergence_reason"] = divergence_reason_;
}

void CatapultExperiment::load_state(const SafetensorsFile& f, const Json& state) {
  const Tensor* w = f.find("w");
  if (!w) fail<IOError>("checkpoint: missing tensor 'w' (catapult parameters)");
  std::vector<double> v = w->to_vector();
  if (v.size() != w_.size())
    fail<IOError>("checkpoint: w has ", v.size(), " entries, the network has ", w_.size());
  w_ = std::move(v);
  step_ = state.at("step").get<int64_t>();
  peak_loss_ = state.at("peak_loss").get<double>();
  peak_step_ = state.at("peak_step").get<int64_t>();
  diverged_ = state.at("diverged").get<bool>();
  divergence_reason_ = state.at("divergence_reason").get<std::string>();
}

NamedTensors CatapultExperiment::named_params() const {
  const int64_t nu = m_ * d_;
  std::vector<double> u(w_.begin(), w_.begin() + nu), v(w_.begin() + nu, w_.end());
  return {{"U", from_vector(u, {m_, d_}, DType::F64)}, {"V", from_vector(v, {k_, m_}, DType::F64)}};
}

std::string CatapultExperiment::description() const {
  return "catapult: " + std::string(relu_ ? "two-layer ReLU" : "uv (two-layer linear)") +
         " network, width " + std::to_string(m_) + ", NTK parameterisation, on " +
         data_description_ + "; λ₀ = " + num(lambda0_) + ", η = " + num(c_) + "/λ₀ = " +
         num(lr_);
}

}  // namespace gradlab
