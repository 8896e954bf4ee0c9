// mode_connectivity (see mode_connectivity.h).
#include "experiments/mode_connectivity.h"

#include <algorithm>
#include <cmath>

#include "gradlab/autograd.h"
#include "gradlab/ops.h"
#include "gradlab/spectrum.h"

namespace gradlab {

namespace {

Json rng_json(const Rng& r) {
  const Rng::State s = r.get_state();
  return {{"state", s.state}, {"inc", s.inc}, {"has_cached_normal", s.has_cached_normal},
          {"cached_normal", s.cached_normal}};
}

void put_number(Json& row, const char* key, double v) {
  row[key] = std::isfinite(v) ? Json(v) : Json(nullptr);
}

double norm_of(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x * x;
  return std::sqrt(s);
}

// max over the grid of L(t) − ((1−t)L(0) + tL(1)): the barrier of Frankle et al. 2020 (and
// Ainsworth et al. 2023, eq. 1) along one path; with `above` false, of the drop below the line.
double barrier(const std::vector<double>& t, const std::vector<double>& v, bool above) {
  double worst = 0;
  for (size_t i = 0; i < v.size(); ++i) {
    const double line = (1 - t[i]) * v.front() + t[i] * v.back();
    worst = std::max(worst, above ? v[i] - line : line - v[i]);
  }
  return worst;
}

}  // namespace

ModeConnectivityExperiment::ModeConnectivityExperiment(const Json& config)
    : config_(config), t_rng_(config.at("seed").get<uint64_t>(), 7) {
  const Json& mc = config.at("mode_connectivity");
  // Weight matching permutes hidden units of an MLP: weights (out × in) and optional biases.
  if (config.at("model").at("type") != "mlp")
    fail<ConfigError>("model.type: mode_connectivity matches the hidden units of an \"mlp\" ",
                      "(Ainsworth et al.'s weight matching), got ", config["model"]["type"].dump());
  const uint64_t seed = config.at("seed").get<uint64_t>();
  // Both networks see the same data: B's config changes the seed of the initialisation and of
  // the minibatch order only.
  Json config_a = config, config_b = config;
  config_b["seed"] = mc.contains("seed_b") ? mc["seed_b"].get<uint64_t>() : seed + 1;
  if (!config_b["data"].contains("seed")) config_b["data"]["seed"] = seed;
  if (mc.contains("endpoints")) {
    const std::vector<std::string> files = mc["endpoints"].get<std::vector<std::string>>();
    config_a["model"]["init_from"] = files.at(0);
    config_b["model"]["init_from"] = files.at(1);
    trained_ = false;
  }
  a_ = std::make_unique<TrainingExperiment>(config_a);
  b_ = std::make_unique<TrainingExperiment>(config_b);
  train_steps_ = trained_ ? a_->total_steps() : 0;
  bend_steps_ = mc.at("bend_steps").get<int64_t>();
  points_ = mc.at("points").get<int64_t>();
  slice_points_ = mc.at("slice_points").get<int64_t>();
  slice_margin_ = mc.at("slice_margin").get<double>();
  optim_ = optim_config(config);
  bend_optimizer_ = build_optimizer(optim_);
  if (bend_optimizer_->needs_gradient_fn())
    fail<ConfigError>("optim.type: mode_connectivity trains the bend with a stepwise optimizer, ",
                      "not ", bend_optimizer_->type());

  const TensorList& p = a_->model().params();
  for (const Tensor& t : p) {
    if (t.shape().size() == 2) {
      if (layout_.dims.empty()) layout_.dims.push_back(t.shape()[1]);
      layout_.dims.push_back(t.shape()[0]);
    }
  }
  layout_.bias = static_cast<int64_t>(p.size()) == 2 * static_cast<int64_t>(layout_.layers());
  if (points_ < 2) fail<ConfigError>("mode_connectivity.points: at least 2 (t = 0 and t = 1)");
  if (slice_points_ == 1)
    fail<ConfigError>("mode_connectivity.slice_points: 0 (no slice) or at least 2 per side");
  if (layout_.layers() < 2)
    fail<ConfigError>("model.widths: mode_connectivity needs at least one hidden layer to match");
}

int64_t ModeConnectivityExperiment::total_steps() const {
  return train_steps_ + bend_steps_ + points_ + slice_points_;
}

std::vector<double> ModeConnectivityExperiment::params_a() const {
  return flatten_to_vector(a_->model().params());
}
std::vector<double> ModeConnectivityExperiment::params_b() const {
  return flatten_to_vector(b_->model().params());
}

TensorList ModeConnectivityExperiment::tensors_of(const std::vector<double>& flat) const {
  return unflatten_from_vector(flat, a_->model().params());
}

void ModeConnectivityExperiment::evaluate(const std::vector<double>& flat, double& loss,
                                          double& acc) const {
  a_->evaluate_train_at(tensors_of(flat), loss, acc);
}

std::vector<double> ModeConnectivityExperiment::outputs(const std::vector<double>& flat) const {
  NoGradGuard ng;
  Tensor x = from_vector(a_->data().train.x,
                         [&] {
                           Shape s{a_->data().train.n};
                           for (int64_t d : a_->data().input_shape) s.push_back(d);
                           return s;
                         }(),
                         a_->model().params().front().dtype());
  return a_->model().forward(tensors_of(flat), x).to_vector();
}

std::vector<double> ModeConnectivityExperiment::bezier(double t) const {
  const std::vector<double> a = params_a(), b = params_b(), theta = flatten_to_vector(bend_);
  std::vector<double> out(a.size());
  for (size_t i = 0; i < a.size(); ++i)
    out[i] = (1 - t) * (1 - t) * a[i] + 2 * t * (1 - t) * theta[i] + t * t * b[i];
  return out;
}

void ModeConnectivityExperiment::init_bend() {
  // θ starts at the midpoint of the line (Garipov et al. §3.2).
  NoGradGuard ng;
  const TensorList& pa = a_->model().params();
  const TensorList& pb = b_->model().params();
  for (size_t i = 0; i < pa.size(); ++i)
    bend_.push_back(mul(add(pa[i], pb[i]), 0.5).detach().requires_grad_());
}

void ModeConnectivityExperiment::match() {
  perms_ = match_weights(params_a(), params_b(), layout_, config_.at("seed").get<uint64_t>());
  matched_b_ = permute_mlp(params_b(), layout_, perms_);
}

std::optional<Json> ModeConnectivityExperiment::step() {
  if (done()) return std::nullopt;
  const int64_t log_every = config_.at("train").at("log_every").get<int64_t>();
  Json row = {{"step", step_}};
  if (step_ < train_steps_) {
    std::optional<Json> ra = a_->step(), rb = b_->step();
    if (a_->diverged() || b_->diverged()) {
      diverged_ = true;
      divergence_reason_ = a_->diverged() ? "network A: " + a_->divergence_reason()
                                          : "network B: " + b_->divergence_reason();
    }
    ++step_;
    if (!ra && !rb) return std::nullopt;
    row["phase"] = "train";
    for (const auto& [r, suffix] : {std::make_pair(&ra, "_a"), std::make_pair(&rb, "_b")})
      if (*r)
        for (const char* k : {"loss", "train_acc", "test_acc"})
          if ((*r)->contains(k)) row[std::string(k) + suffix] = (**r)[k];
    return row;
  }
  if (step_ < train_steps_ + bend_steps_) {
    const int64_t s = step_ - train_steps_;
    const TensorList& pa = a_->model().params();
    const TensorList& pb = b_->model().params();
    if (bend_.empty()) init_bend();
    const double t = t_rng_.uniform();
    TensorList phi;
    for (size_t i = 0; i < pa.size(); ++i)
      phi.push_back(add(add(mul(pa[i].detach(), (1 - t) * (1 - t)), mul(bend_[i], 2 * t * (1 - t))),
                        mul(pb[i].detach(), t * t)));
    Tensor loss = a_->full_train_loss(phi);
    const double value = loss.item();
    if (!std::isfinite(value)) {
      diverged_ = true;
      divergence_reason_ = "the curve's loss became non-finite at bend step " + std::to_string(s);
      return Json{{"step", step_}, {"phase", "bend"}};
    }
    TensorList grads = grad(loss, bend_);
    {
      NoGradGuard ng;
      bend_optimizer_->step(bend_, grads, scheduled_lr(optim_, s, bend_steps_));
    }
    ++step_;
    if (s % log_every != 0 && s != bend_steps_ - 1) return std::nullopt;
    row["phase"] = "bend";
    row["t"] = t;
    put_number(row, "loss_bend", value);
    return row;
  }
  if (step_ < train_steps_ + bend_steps_ + points_) {
    if (matched_b_.empty()) match();
    if (bend_.empty()) init_bend();  // mode_connectivity.bend_steps = 0: the untrained midpoint
    const int64_t i = step_ - train_steps_ - bend_steps_;
    const double t = static_cast<double>(i) / static_cast<double>(points_ - 1);
    const std::vector<double> a = params_a(), b = params_b();
    std::vector<double> line(a.size()), matched(a.size());
    for (size_t k = 0; k < a.size(); ++k) {
      line[k] = (1 - t) * a[k] + t * b[k];
      matched[k] = (1 - t) * a[k] + t * matched_b_[k];
    }
    row["phase"] = "curve";
    row["t"] = t;
    double loss, acc;
    for (const auto& [name, flat] : {std::make_pair("linear", &line),
                                     std::make_pair("matched", &matched)}) {
      evaluate(*flat, loss, acc);
      put_number(row, (std::string("loss_") + name).c_str(), loss);
      put_number(row, (std::string("acc_") + name).c_str(), acc);
    }
    evaluate(bezier(t), loss, acc);
    put_number(row, "loss_bezier", loss);
    put_number(row, "acc_bezier", acc);
    ++step_;
    return row;
  }
  // The slice: the plane through A, B and θ, with A at the origin, e₁ along B − A and e₂ along
  // the part of θ − A orthogonal to it (Garipov et al.'s Fig. 1 planes).
  const int64_t j = step_ - train_steps_ - bend_steps_ - points_;
  const std::vector<double> a = params_a(), b = params_b(), theta = flatten_to_vector(bend_);
  std::vector<double> e1(a.size()), e2(a.size());
  for (size_t k = 0; k < a.size(); ++k) e1[k] = b[k] - a[k];
  const double xb = norm_of(e1);
  for (double& v : e1) v /= xb;
  double xt = 0;
  for (size_t k = 0; k < a.size(); ++k) xt += (theta[k] - a[k]) * e1[k];
  for (size_t k = 0; k < a.size(); ++k) e2[k] = theta[k] - a[k] - xt * e1[k];
  const double yt = norm_of(e2);
  for (double& v : e2) v = yt > 0 ? v / yt : 0.0;
  const double x0 = std::min(0.0, xt), x1 = std::max(xb, xt);
  const double y0 = std::min(0.0, yt), y1 = std::max(0.0, yt);
  const double pad_x = slice_margin_ * (x1 - x0), pad_y = slice_margin_ * std::max(y1 - y0, x1 - x0);
  const double lo_x = x0 - pad_x, hi_x = x1 + pad_x, lo_y = y0 - pad_y, hi_y = y1 + pad_y;
  const double y = lo_y + (hi_y - lo_y) * static_cast<double>(j) / static_cast<double>(slice_points_ - 1);
  Json xs = Json::array(), losses = Json::array();
  std::vector<double> p(a.size());
  for (int64_t i = 0; i < slice_points_; ++i) {
    const double x = lo_x + (hi_x - lo_x) * static_cast<double>(i) / static_cast<double>(slice_points_ - 1);
    for (size_t k = 0; k < a.size(); ++k) p[k] = a[k] + x * e1[k] + y * e2[k];
    double loss, acc;
    evaluate(p, loss, acc);
    xs.push_back(x);
    losses.push_back(std::isfinite(loss) ? Json(loss) : Json(nullptr));
  }
  row["phase"] = "slice";
  row["slice_y"] = y;
  row["slice_x"] = xs;
  row["slice_loss"] = losses;
  if (j == 0)
    row["slice_points"] = {{"a", {0.0, 0.0}}, {"b", {xb, 0.0}}, {"bend", {xt, yt}}};
  ++step_;
  return row;
}

Json ModeConnectivityExperiment::summary(const std::vector<Json>& rows) const {
  Json s = Json::object();
  s["kind"] = "mode_connectivity";
  s["n_params"] = a_->model().num_params();
  s["n_train"] = a_->data().train.n;
  s["n_test"] = a_->data().test.n;
  double loss, acc;
  for (const auto& [e, suffix] : {std::make_pair(a_.get(), "_a"), std::make_pair(b_.get(), "_b")}) {
    e->evaluate_train(loss, acc);
    put_number(s, (std::string("loss") + suffix).c_str(), loss);
    if (acc >= 0) s[std::string("train_acc") + suffix] = acc;
    if (e->evaluate_test(loss, acc) && acc >= 0) s[std::string("test_acc") + suffix] = acc;
  }
  std::vector<double> t;
  std::vector<std::vector<double>> loss_of(3), acc_of(3);
  const char* names[] = {"linear", "bezier", "matched"};
  for (const Json& r : rows) {
    if (r.value("phase", "") != "curve") continue;
    t.push_back(r["t"].get<double>());
    for (int k = 0; k < 3; ++k) {
      const Json& l = r["loss_" + std::string(names[k])];
      const Json& a = r["acc_" + std::string(names[k])];
      loss_of[k].push_back(l.is_number() ? l.get<double>() : INFINITY);
      acc_of[k].push_back(a.is_number() ? a.get<double>() : 0.0);
    }
  }
  if (t.size() == static_cast<size_t>(points_) && points_ >= 2) {
    for (int k = 0; k < 3; ++k) {
      put_number(s, (std::string("barrier_") + names[k]).c_str(), barrier(t, loss_of[k], true));
      put_number(s, (std::string("acc_barrier_") + names[k]).c_str(), barrier(t, acc_of[k], false));
    }
  }
  if (!matched_b_.empty()) {
    const std::vector<double> a = params_a(), b = params_b();
    std::vector<double> d(a.size()), dm(a.size());
    for (size_t k = 0; k < a.size(); ++k) {
      d[k] = b[k] - a[k];
      dm[k] = matched_b_[k] - a[k];
    }
    s["distance_ab"] = norm_of(d);
    s["distance_a_matched_b"] = norm_of(dm);
    int64_t moved = 0, units = 0;
    for (const auto& perm : perms_)
      for (size_t i = 0; i < perm.size(); ++i, ++units) moved += perm[i] != static_cast<int64_t>(i);
    s["matched_units_moved"] = static_cast<double>(moved) / static_cast<double>(units);
  }
  for (const Json& r : rows)
    if (r.contains("slice_points")) s["slice_points"] = r["slice_points"];
  return s;
}

void ModeConnectivityExperiment::save_state(NamedTensors& tensors, Json& state) const {
  for (const auto& [e, prefix] : {std::make_pair(a_.get(), "a."), std::make_pair(b_.get(), "b.")}) {
    NamedTensors ts;
    Json js;
    e->save_state(ts, js);
    for (auto& [name, tensor] : ts) tensors.emplace_back(prefix + name, tensor);
    state[std::string(prefix, 1)] = js;
  }
  for (size_t i = 0; i < bend_.size(); ++i)
    tensors.emplace_back("bend." + a_->model().names()[i], bend_[i]);
  for (const auto& [k, t] : bend_optimizer_->state_tensors()) tensors.emplace_back("bend_optim." + k, t);
  state["bend_optimizer"] = bend_optimizer_->state_json();
  state["t_rng"] = rng_json(t_rng_);
  state["perms"] = perms_;
  state["step"] = step_;
  state["diverged"] = diverged_;
  state["divergence_reason"] = divergence_reason_;
}

void ModeConnectivityExperiment::load_state(const SafetensorsFile& f, const Json& state) {
  for (const auto& [e, prefix] : {std::make_pair(a_.get(), "a."), std::make_pair(b_.get(), "b.")}) {
    SafetensorsFile sub;
    const std::string p = prefix;
    for (const auto& [name, t] : f.tensors)
      if (name.rfind(p, 0) == 0) sub.tensors.emplace_back(name.substr(p.size()), t);
    e->load_state(sub, state.at(std::string(prefix, 1)));
  }
  bend_.clear();
  std::map<std::string, Tensor> opt;
  for (const auto& [name, t] : f.tensors) {
    if (name.rfind("bend.", 0) == 0) bend_.push_back(t.detach().requires_grad_());
    if (name.rfind("bend_optim.", 0) == 0) opt[name.substr(11)] = t;
  }
  bend_optimizer_->load_state_tensors(opt);
  bend_optimizer_->load_state_json(state.at("bend_optimizer"));
  const Json& r = state.at("t_rng");
  t_rng_.set_state({r.at("state").get<uint64_t>(), r.at("inc").get<uint64_t>(),
                    r.at("has_cached_normal").get<bool>(), r.at("cached_normal").get<double>()});
  perms_ = state.at("perms").get<std::vector<std::vector<int64_t>>>();
  matched_b_.clear();
  if (!perms_.empty()) matched_b_ = permute_mlp(params_b(), layout_, perms_);
  step_ = state.at("step").get<int64_t>();
  diverged_ = state.at("diverged").get<bool>();
  divergence_reason_ = state.at("divergence_reason").get<std::string>();
}

NamedTensors ModeConnectivityExperiment::named_params() const {
  NamedTensors out;
  for (const auto& [e, prefix] : {std::make_pair(a_.get(), "a."), std::make_pair(b_.get(), "b.")})
    for (const auto& [name, t] : e->named_params()) out.emplace_back(prefix + name, t);
  for (size_t i = 0; i < bend_.size(); ++i) out.emplace_back("bend." + a_->model().names()[i], bend_[i]);
  return out;
}

std::string ModeConnectivityExperiment::description() const {
  return "mode_connectivity: two " + a_->model().type() + "s (" +
         std::to_string(a_->model().num_params()) + " parameters each) on " +
         a_->data().description;
}

}  // namespace gradlab
