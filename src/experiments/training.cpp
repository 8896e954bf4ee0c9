// Supervised training experiment (see training.h).
#include "experiments/training.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>

#include "gradlab/autograd.h"
#include "gradlab/config_views.h"
#include "gradlab/ops.h"
#include "gradlab/safetensors.h"
#include "gradlab/spectrum.h"

namespace gradlab {

namespace {

DType parse_dtype(const Json& cfg) {
  const std::string d = cfg.at("dtype").get<std::string>();
  if (d == "float32") return DType::F32;
  if (d == "float64") return DType::F64;
  fail<ConfigError>("dtype: expected \"float32\" or \"float64\", got \"", d, "\"");
}

Device parse_device(const Json& cfg) {
  const std::string d = cfg.at("device").get<std::string>();
  if (d == "cpu") return Device::CPU;
  if (d == "cuda") {
    if (!device_available(Device::CUDA)) backend(Device::CUDA);  // throws a DeviceError saying why
    return Device::CUDA;
  }
  if (d == "auto") {
    if (device_available(Device::CUDA)) return Device::CUDA;
    // stdio, not std::cerr: the browser module links no iostreams (gradlab/text.h).
    std::fputs("gradlab: device auto: no CUDA GPU available, running on the CPU\n", stderr);
    return Device::CPU;
  }
  fail<ConfigError>("device: expected \"cpu\", \"cuda\" or \"auto\", got \"", d, "\"");
}

Json rng_to_json(const Rng& r) {
  Rng::State s = r.get_state();
  return {{"state", s.state}, {"inc", s.inc}, {"has_cached_normal", s.has_cached_normal},
          {"cached_normal", s.cached_normal}};
}
void rng_from_json(Rng& r, const Json& j) {
  r.set_state({j["state"].get<uint64_t>(), j["inc"].get<uint64_t>(),
               j["has_cached_normal"].get<bool>(), j["cached_normal"].get<double>()});
}

double global_norm(const TensorList& ts) {
  double s = 0;
  for (const Tensor& t : ts) {
    NoGradGuard ng;
    s += sum(square(t.to(DType::F64))).item();
  }
  return std::sqrt(s);
}

void put_finite(Json& row, const char* key, double v) {
  if (std::isfinite(v)) row[key] = v;
}

}  // namespace

Targets select_targets(const Targets& t, const Tensor& rows) {
  Targets out;
  if (t.index.defined()) {
    Tensor idx = t.index;
    out.index = index_select(idx, 0, rows);
  }
  if (t.dense.defined()) out.dense = index_select(t.dense, 0, rows);
  return out;
}

TrainingExperiment::TrainingExperiment(const Json& config, TrainingHooks hooks)
    : config_(config),
      hooks_(hooks),
      batch_rng_(config.at("seed").get<uint64_t>(), 2),
      dropout_rng_(config.at("seed").get<uint64_t>(), 3) {
  dtype_ = parse_dtype(config);
  device_ = parse_device(config);
  const uint64_t seed = config.at("seed").get<uint64_t>();
  data_ = load_dataset(config.at("data"), seed);
  loss_kind_ = parse_loss(config.at("loss").get<std::string>());

  const bool tokens = data_.token_vocab > 0;  // text, sorting, or modular with encoding tokens
  if (data_.train.n == 0) fail<ConfigError>("data: the training set is empty");
  x_train_ = make_inputs(data_.train);
  t_train_ = make_targets(data_.train);
  if (data_.test.n > 0) {
    x_test_ = make_inputs(data_.test);
    t_test_ = make_targets(data_.test);
  }
  x_train_eval_ = x_train_, t_train_eval_ = t_train_;
  x_test_eval_ = x_test_, t_test_eval_ = t_test_;
  // train.eval_examples (a key of the scaling kind: present only in its resolved configs).
  const Json& train_block = config.at("train");
  std::optional<int64_t> m;
  if (train_block.contains("eval_examples") && train_block["eval_examples"].is_number_integer())
    m = train_block["eval_examples"].get<int64_t>();
  if (m) {
    // Rows floor(i·n/m), i < m: spread over the split (a text's windows run through the book,
    // so the first m would all come from its beginning).
    auto thin = [&](const Tensor& x, const Targets& t, int64_t n, Tensor& xo, Targets& to) {
      if (*m >= n) return;
      std::vector<int64_t> rows(static_cast<size_t>(*m));
      for (int64_t i = 0; i < *m; ++i) rows[static_cast<size_t>(i)] = i * n / *m;
      Tensor r = from_indices(rows, {*m}, device_);
      xo = index_select(x, 0, r);
      to = select_targets(t, r);
    };
    thin(x_train_, t_train_, data_.train.n, x_train_eval_, t_train_eval_);
    if (data_.test.n > 0) thin(x_test_, t_test_, data_.test.n, x_test_eval_, t_test_eval_);
  }
  if (is_binary_margin_loss(loss_kind_) && data_.num_classes != 2)
    fail<ConfigError>("loss ", loss_name(loss_kind_), " is binary: choose exactly two classes ",
                      "(data.classes), the data set has ", data_.num_classes);
  build_model_and_optimizer(tokens);
}

Tensor TrainingExperiment::make_inputs(const DataSplit& s) const {
  // Inputs: token ids stay integers for sequence models, everything else in dtype.
  Shape shape{s.n};
  shape.insert(shape.end(), data_.input_shape.begin(), data_.input_shape.end());
  if (data_.token_vocab > 0) {  // token ids: text, sorting, modular with encoding tokens
    std::vector<int64_t> ids(s.x.begin(), s.x.end());
    return from_indices(ids, shape, device_);
  }
  return from_vector(s.x, shape, dtype_, device_);
}

Targets TrainingExperiment::make_targets(const DataSplit& s) const {
  Targets t;
  if (data_.is_regression()) {
    t.dense = from_vector(s.y, {s.n, data_.target_dim}, dtype_, device_);
    return t;
  }
  Shape shape{s.n};
  shape.insert(shape.end(), data_.label_shape.begin(), data_.label_shape.end());
  t.index = from_indices(s.labels, shape, device_);
  bool onehot = needs_dense_targets(loss_kind_) || data_.targets == TargetEncoding::onehot;
  if (onehot) {
    // One row of the identity per label: [n, num_classes], or [n, *label_shape, num_classes]
    // for per-position labels (a language model's next tokens under MSE).
    const int64_t labels = static_cast<int64_t>(s.labels.size());
    for (int64_t label : s.labels)
      if (label == kNoLossLabel)
        fail<ConfigError>("loss ", loss_name(loss_kind_), " needs one-hot targets, but data.source ",
                          config_.at("data").at("source").get<std::string>(),
                          " has positions without a loss; use loss cross_entropy");
    std::vector<double> oh(static_cast<size_t>(labels * data_.num_classes), 0.0);
    for (int64_t i = 0; i < labels; ++i) oh[i * data_.num_classes + s.labels[i]] = 1.0;
    Shape dense = shape;
    dense.push_back(data_.num_classes);
    t.dense = from_vector(oh, dense, dtype_, device_);
  }
  return t;
}

void TrainingExperiment::build_model_and_optimizer(bool tokens) {
  const Json& config = config_;
  const uint64_t seed = config.at("seed").get<uint64_t>();

  ModelContext mctx;
  mctx.input_shape = data_.input_shape;
  mctx.output_dim = data_.is_regression()            ? data_.target_dim
                    : is_binary_margin_loss(loss_kind_) ? 1
                                                        : data_.num_classes;
  mctx.dtype = dtype_;
  mctx.device = device_;
  mctx.vocab = tokens ? data_.token_vocab : 0;  // token ids index the vocabulary
  Rng init_rng(seed, 1);
  model_ = build_model(model_config(config), mctx, init_rng);
  if (config.at("model").contains("init_from")) {
    std::string path = config["model"]["init_from"].get<std::string>();
    SafetensorsFile f = load_safetensors(path);
    for (size_t i = 0; i < model_->params().size(); ++i) {
      const std::string& name = model_->names()[i];
      const Tensor* t = f.find(name);
      if (!t) fail<ConfigError>("model.init_from: ", path, " has no tensor '", name, "'");
      if (t->shape() != model_->params()[i].shape())
        fail<ShapeError>("model.init_from: tensor '", name, "' in ", path, " has shape ",
                         t->shape_str(), ", the model expects ", model_->params()[i].shape_str());
      NoGradGuard ng;
      model_->params()[i].assign_(*t);
    }
  }
  optim_ = optim_config(config);
  optimizer_ = build_optimizer(optim_);

  const TrainConfig train = train_config(config);
  if (!train.batch_size) {
    batch_size_ = 0;  // "full"
  } else {
    batch_size_ = *train.batch_size;
    if (batch_size_ <= 0 || batch_size_ > data_.train.n)
      fail<ConfigError>("train.batch_size: ", batch_size_, " is outside [1, ", data_.train.n,
                        "] (the training set size) — use \"full\" for full-batch GD");
    if (batch_size_ == data_.train.n) batch_size_ = 0;
  }
  if (optimizer_->needs_gradient_fn() && batch_size_ > 0)
    fail<ConfigError>("optim.type ", optimizer_->type(), " integrates the full-batch gradient ",
                      "flow: set train.batch_size to \"full\" (got ", batch_size_, ")");
  int64_t per_epoch = batch_size_ == 0 ? 1 : (data_.train.n + batch_size_ - 1) / batch_size_;
  total_steps_ = train.steps ? *train.steps : *train.epochs * per_epoch;
  log_every_ = train.log_every;
  // Only kinds that read the probe block (edge_of_stability) measure sharpness; the resolved
  // config then holds every probe key. validate_config guarantees 0 <= average_window <=
  // sharpness_every when it is on.
  if (config.contains("probe")) {
    probe_ = probe_config(config);
    average_window_ = probe_.average_window;
    probe_every_ = probe_.sharpness_every;
  }
  if (hooks_.check != nullptr) hooks_.check(*this);
}

std::string TrainingExperiment::description() const {
  if (hooks_.description != nullptr) return hooks_.description(*this);
  return config_.at("kind").get<std::string>() + ": " + model_->type() + " (" +
         std::to_string(model_->num_params()) + " parameters) on " + data_.description;
}

void TrainingExperiment::set_total_steps(int64_t steps) {
  if (step_ != 0) fail<ConfigError>("the step count can change only before the first step");
  if (steps < 1) fail<ConfigError>("a run needs at least 1 step, got ", steps);
  total_steps_ = steps;
}

int64_t TrainingExperiment::steps_per_epoch() const {
  return batch_size_ == 0 ? 1 : (data_.train.n + batch_size_ - 1) / batch_size_;
}

bool TrainingExperiment::evaluate_test(double& loss, double& acc) const {
  if (!x_test_.defined()) return false;
  evaluate(x_test_eval_, t_test_eval_, loss, acc);
  return true;
}

bool TrainingExperiment::evaluate_test_at(const TensorList& params, double& loss,
                                          double& acc) const {
  if (!x_test_.defined()) return false;
  evaluate_at(params, x_test_, t_test_, loss, acc);
  return true;
}

void TrainingExperiment::evaluate_at(const TensorList& params, const Tensor& x, const Targets& t,
                                     double& loss, double& acc) const {
  NoGradGuard ng;
  Tensor out = model_->forward(params, x);
  loss = compute_loss(loss_kind_, out, t).item();
  acc = accuracy(loss_kind_, out, t);
}

Tensor TrainingExperiment::full_train_loss(const TensorList& params) const {
  return compute_loss(loss_kind_, model_->forward(params, x_train_), t_train_);
}

std::optional<Json> TrainingExperiment::step() {
  if (done()) return std::nullopt;
  TensorList& params = model_->params();
  Tensor xb = x_train_;
  Targets tb = t_train_;
  if (hooks_.draw_batch != nullptr) {
    // Online data: a fresh batch from the batch stream (checkpointed with the run) instead
    // of one from the training set.
    const DataSplit fresh =
        hooks_.draw_batch(*this, batch_rng_, batch_size_ > 0 ? batch_size_ : data_.train.n);
    xb = make_inputs(fresh);
    tb = make_targets(fresh);
  } else if (batch_size_ > 0) {
    const int64_t n = data_.train.n;
    if (epoch_pos_ == 0) epoch_order_ = batch_rng_.permutation(n);
    int64_t take = std::min(batch_size_, n - epoch_pos_);
    std::vector<int64_t> rows(epoch_order_.begin() + epoch_pos_,
                              epoch_order_.begin() + epoch_pos_ + take);
    epoch_pos_ = epoch_pos_ + take >= n ? 0 : epoch_pos_ + take;
    Tensor r = from_indices(rows, {take}, device_);
    xb = index_select(x_train_, 0, r);
    tb = select_targets(t_train_, r);
  }
  ForwardOptions fo;
  fo.training = true;
  fo.dropout_rng = &dropout_rng_;
  Tensor out = model_->forward(params, xb, fo);
  Tensor loss = compute_loss(loss_kind_, out, tb);
  double loss_value = loss.item();

  const bool log = step_ % log_every_ == 0 || step_ == total_steps_ - 1 || probe_due();
  std::optional<Json> row;
  if (!std::isfinite(loss_value)) {
    // The update of this step is not taken: steps_done() stays at the step that saw the
    // NaN/Inf, which the runner reports as diverged_at_step.
    diverged_ = true;
    divergence_reason_ = std::string("training loss became ") +
                         (std::isnan(loss_value) ? "NaN" : "infinite") + " at step " +
                         std::to_string(step_);
    if (optimizer_->needs_gradient_fn())
      divergence_reason_ +=
          " (gradient_flow: RK4 is unstable once (lr / optim.substeps) · "
          "sharpness > 2.785; raise optim.substeps)";
    row = Json{{"step", step_}};
    return row;
  }
  TensorList grads = grad(loss, params, {false, true});
  const double lr = scheduled_lr(optim_, step_, total_steps_);
  accumulate_average(params);
  if (log) {
    Json r = Json::object();
    r["step"] = step_;
    if (batch_size_ == 0) {
      put_finite(r, "loss", loss_value);
      double a = accuracy(loss_kind_, out, tb);
      if (a >= 0) r["train_acc"] = a;  // accuracy() is -1 for regression: no accuracy
    } else {
      double l, a;
      evaluate(x_train_eval_, t_train_eval_, l, a);
      put_finite(r, "loss", l);
      if (a >= 0) r["train_acc"] = a;
    }
    if (x_test_.defined()) {
      double l, a;
      evaluate(x_test_eval_, t_test_eval_, l, a);
      put_finite(r, "test_loss", l);
      if (a >= 0) r["test_acc"] = a;
    }
    put_finite(r, "grad_norm", global_norm(grads));
    put_finite(r, "param_norm", global_norm(params));
    r["lr"] = lr;
    add_probes(r);
    if (hooks_.add_row_keys != nullptr) hooks_.add_row_keys(*this, r);
    row = r;
  }
  if (optimizer_->needs_gradient_fn()) {
    // Gradient flow's Runge–Kutta stages: the gradient of the same (full-batch) loss at
    // other parameters, on fresh leaves so the model's own parameters are untouched.
    GradientFn gradient_at = [&](const TensorList& at) {
      GradModeGuard on(true);
      TensorList leaves;
      leaves.reserve(at.size());
      for (const Tensor& t : at) leaves.push_back(t.detach().requires_grad_());
      Tensor l = compute_loss(loss_kind_, model_->forward(leaves, xb, fo), tb);
      return grad(l, leaves, {false, true});
    };
    NoGradGuard ng;
    optimizer_->step_with_gradient_fn(params, grads, lr, gradient_at);
  } else {
    NoGradGuard ng;
    optimizer_->step(params, grads, lr);
  }
  ++step_;
  return row;
}

std::optional<Json> TrainingExperiment::preview() const {
  if (done()) return std::nullopt;
  // The keys step() logs before its update, minus the gradient's and the probes'. For a
  // full batch without dropout, loss and train_acc equal that row's exactly.
  Json r = Json::object();
  r["step"] = step_;
  double l, a;
  evaluate(x_train_eval_, t_train_eval_, l, a);
  put_finite(r, "loss", l);
  if (a >= 0) r["train_acc"] = a;
  if (x_test_.defined()) {
    evaluate(x_test_eval_, t_test_eval_, l, a);
    put_finite(r, "test_loss", l);
    if (a >= 0) r["test_acc"] = a;
  }
  r["lr"] = scheduled_lr(optim_, step_, total_steps_);
  return r;
}

Json TrainingExperiment::summary(const std::vector<Json>& rows) const {
  Json s = Json::object();
  s["kind"] = config_.at("kind");
  s["n_params"] = model_->num_params();
  s["n_train"] = data_.train.n;
  s["n_test"] = data_.test.n;
  for (auto it = rows.rbegin(); it != rows.rend(); ++it) {
    if (!it->contains("loss")) continue;
    s["final_loss"] = (*it)["loss"];
    for (const char* k : {"train_acc", "test_loss", "test_acc"})
      if (it->contains(k)) s[std::string("final_") + k] = (*it)[k];
    break;
  }
  if (hooks_.add_summary != nullptr) hooks_.add_summary(*this, rows, s);
  return s;
}

void TrainingExperiment::save_state(NamedTensors& tensors, Json& state) const {
  for (size_t i = 0; i < model_->params().size(); ++i)
    tensors.emplace_back("param." + model_->names()[i], model_->params()[i]);
  for (const auto& [k, t] : optimizer_->state_tensors()) tensors.emplace_back("optim." + k, t);
  state["step"] = step_;
  state["batch_rng"] = rng_to_json(batch_rng_);
  state["dropout_rng"] = rng_to_json(dropout_rng_);
  state["epoch_order"] = epoch_order_;
  state["epoch_pos"] = epoch_pos_;
  state["optimizer"] = optimizer_->state_json();
  state["diverged"] = diverged_;
  state["divergence_reason"] = divergence_reason_;
  for (size_t i = 0; i < avg_sum_.size(); ++i)
    tensors.emplace_back("average_window." + model_->names()[i], avg_sum_[i]);
  state["average_count"] = avg_count_;
}

void TrainingExperiment::load_state(const SafetensorsFile& f, const Json& state) {
  NoGradGuard ng;
  for (size_t i = 0; i < model_->params().size(); ++i) {
    const Tensor* t = f.find("param." + model_->names()[i]);
    if (!t) fail<IOError>("checkpoint: missing parameter '", model_->names()[i], "'");
    model_->params()[i].assign_(*t);
  }
  std::map<std::string, Tensor> opt;
  for (const auto& [k, t] : f.tensors)
    if (k.rfind("optim.", 0) == 0) opt[k.substr(6)] = t.to(device_);
  optimizer_->load_state_tensors(opt);
  optimizer_->load_state_json(state.value("optimizer", Json::object()));
  step_ = state.at("step").get<int64_t>();
  rng_from_json(batch_rng_, state.at("batch_rng"));
  rng_from_json(dropout_rng_, state.at("dropout_rng"));
  epoch_order_ = state.at("epoch_order").get<std::vector<int64_t>>();
  epoch_pos_ = state.at("epoch_pos").get<int64_t>();
  diverged_ = state.value("diverged", false);
  divergence_reason_ = state.value("divergence_reason", "");
  avg_sum_.clear();
  avg_count_ = state.value("average_count", int64_t{0});
  if (avg_count_ > 0)
    for (const std::string& name : model_->names()) {
      const Tensor* t = f.find("average_window." + name);
      if (!t) fail<IOError>("checkpoint: missing average_window sum of '", name, "'");
      avg_sum_.push_back(t->to(device_));
    }
}

NamedTensors TrainingExperiment::named_params() const {
  NamedTensors out;
  for (size_t i = 0; i < model_->params().size(); ++i)
    out.emplace_back(model_->names()[i], model_->params()[i]);
  return out;
}

std::map<std::string, std::string> TrainingExperiment::params_metadata() const {
  return {{"pytorch_definition", model_->pytorch_definition()},
          {"loss", loss_name(loss_kind_)}};
}

}  // namespace gradlab
