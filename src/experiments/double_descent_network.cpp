// double_descent with networks: model-wise (width), epoch-wise and sample-wise double descent
// of an MLP trained on noisy labels (Nakkiran et al. 2019, "Deep double descent"; Belkin et
// al. 2019). Training is TrainingExperiment's; this file adds the rows' error keys, the
// run's figures at the final parameters and the sweep-level summary that marks the
// interpolation threshold (see double_descent.h for the keys).
#include <algorithm>
#include <cmath>
#include <map>

#include "experiments/double_descent.h"
#include "gradlab/autograd.h"
#include "gradlab/ops.h"

namespace gradlab {

namespace {

double squared_norm(const TensorList& ts) {
  NoGradGuard ng;
  double s = 0;
  for (const Tensor& t : ts) s += sum(square(t.to(DType::F64))).item();
  return s;
}

void put_finite(Json& j, const char* key, double v) {
  if (std::isfinite(v)) j[key] = v;
}

}  // namespace

namespace {

// h: every hidden layer's width (0 for a linear model, widths []), and the hidden layers.
std::vector<int64_t> widths_of(const TrainingExperiment& e) {
  return e.config().at("model").at("widths").get<std::vector<int64_t>>();
}

void check(const TrainingExperiment& e) {
  const std::vector<int64_t> widths = widths_of(e);
  for (int64_t w : widths)
    if (w != widths.front())
      fail<ConfigError>("model.widths: double_descent sweeps one width h for every hidden layer; "
                        "give equal widths like [64] or [64, 64] (got ",
                        e.config().at("model").at("widths").dump(), ")");
  if (e.data().is_regression() || !e.data().label_shape.empty())
    fail<ConfigError>("data: double_descent measures classification error; it needs one class "
                      "label per example, got ", e.data().description);
}

std::string description(const TrainingExperiment& e) {
  const std::vector<int64_t> widths = widths_of(e);
  return "double_descent: MLP width " + std::to_string(widths.empty() ? 0 : widths.front()) +
         " x " + std::to_string(widths.size()) + " (" +
         std::to_string(e.model().num_params()) + " parameters) on " + e.data().description;
}

void add_row_keys(const TrainingExperiment& e, Json& row) {
  row["epoch"] = static_cast<double>(row.at("step").get<int64_t>()) /
                 static_cast<double>(e.steps_per_epoch());
  if (row.contains("train_acc")) row["train_error"] = 1.0 - row["train_acc"].get<double>();
  if (row.contains("test_acc")) row["test_error"] = 1.0 - row["test_acc"].get<double>();
}

void add_summary(const TrainingExperiment& e, const std::vector<Json>& rows, Json& s) {
  const std::vector<int64_t> widths = widths_of(e);
  const double interpolation_tol = e.config().at("train").at("interpolation_tol").get<double>();
  s["model"] = "mlp";
  s["width"] = widths.empty() ? 0 : widths.front();
  s["depth"] = static_cast<int64_t>(widths.size());
  s["steps_per_epoch"] = e.steps_per_epoch();
  s["epochs"] = static_cast<double>(e.steps_done()) / static_cast<double>(e.steps_per_epoch());
  s["label_noise"] = e.config().at("data").at("label_noise");
  s["n_noisy"] = e.data().noisy_indices.size();
  s["noisy_indices"] = e.data().noisy_indices;
  s["interpolation_tol"] = interpolation_tol;

  // The final parameters (after the last update; the last logged row is before it).
  double train_loss = NAN, train_acc = -1, test_loss = NAN, test_acc = -1;
  e.evaluate_train(train_loss, train_acc);
  put_finite(s, "train_loss", train_loss);
  if (train_acc >= 0) {
    s["train_error"] = 1.0 - train_acc;
    s["interpolated"] = 1.0 - train_acc <= interpolation_tol;
  }
  if (e.evaluate_test(test_loss, test_acc)) {
    put_finite(s, "test_loss", test_loss);
    if (test_acc >= 0) s["test_error"] = 1.0 - test_acc;
  }
  put_finite(s, "param_norm", std::sqrt(squared_norm(e.model().params())));
  // Epoch-wise figures over the logged rows.
  std::vector<const Json*> logged;
  for (const Json& r : rows)
    if (r.contains("epoch") && r.contains("train_error") && r.contains("test_error"))
      logged.push_back(&r);
  Json interpolation_epoch = nullptr;
  for (const Json* r : logged)
    if ((*r)["train_error"].get<double>() <= interpolation_tol) {
      interpolation_epoch = (*r)["epoch"];
      break;
    }
  s["interpolation_epoch"] = interpolation_epoch;
  if (!logged.empty()) {
    auto err = [&](size_t i) { return (*logged[i])["test_error"].get<double>(); };
    auto epoch = [&](size_t i) { return (*logged[i])["epoch"]; };
    size_t best = 0, first_min = 0;
    for (size_t i = 1; i < logged.size(); ++i) {
      if (err(i) < err(best)) best = i;
      const bool before = interpolation_epoch.is_null() ||
                          epoch(i).get<double>() < interpolation_epoch.get<double>();
      if (before && err(i) < err(first_min)) first_min = i;
    }
    size_t peak = first_min;
    for (size_t i = first_min + 1; i < logged.size(); ++i)
      if (err(i) > err(peak)) peak = i;
    s["best_test_error"] = err(best);
    s["best_test_error_epoch"] = epoch(best);
    s["epochwise_min_test_error"] = err(first_min);
    s["epochwise_min_epoch"] = epoch(first_min);
    s["epochwise_peak_test_error"] = err(peak);
    s["epochwise_peak_epoch"] = epoch(peak);
  }
}

}  // namespace

TrainingHooks network_double_descent_hooks() {
  TrainingHooks hooks;
  hooks.check = check;
  hooks.add_row_keys = add_row_keys;
  hooks.add_summary = add_summary;
  hooks.description = description;
  return hooks;
}

std::unique_ptr<Experiment> make_double_descent_experiment(const Json& config) {
  const std::string type = config.at("model").at("type").get<std::string>();
  if (type == "random_features") return std::make_unique<DoubleDescentExperiment>(config);
  if (type == "mlp")
    return std::make_unique<TrainingExperiment>(config, network_double_descent_hooks());
  fail<ConfigError>("model.type: double_descent fits \"random_features\" in closed form or trains "
                    "an \"mlp\" (width sweep); got \"", type, "\"");
}

// ---- the sweep summary ------------------------------------------------------------------------

namespace {

// The swept keys a row was run with, minus the axis: the dotted override keys the sweep
// command copies into each row (data.label_noise, optim.lr, ...) and a swept seed.
Json group_of(const Json& row, const std::string& axis_key) {
  Json g = Json::object();
  for (auto it = row.begin(); it != row.end(); ++it)
    if ((it.key().find('.') != std::string::npos && it.key() != axis_key) || it.key() == "seed")
      g[it.key()] = it.value();
  return g;
}

bool interpolated(const Json& row) {
  if (row.contains("interpolated")) return row["interpolated"].get<bool>();
  return row["train_error"].get<double>() <= 0.0;
}

// One curve along `axis` ("width" or "n_train") through rows sorted by it.
Json curve(const std::string& axis, const Json& fixed, std::vector<const Json*> pts) {
  std::sort(pts.begin(), pts.end(), [&](const Json* a, const Json* b) {
    return (*a)[axis].get<int64_t>() < (*b)[axis].get<int64_t>();
  });
  auto x = [&](size_t i) { return (*pts[i])[axis].get<int64_t>(); };
  auto val = [&](size_t i, const char* k) { return (*pts[i])[k].get<double>(); };
  size_t err_peak = 0;
  for (size_t i = 1; i < pts.size(); ++i)
    if (val(i, "test_error") > val(err_peak, "test_error")) err_peak = i;
  Json c = {{"axis", axis}, {"fixed", fixed}, {"points", pts.size()}};
  c["label_noise"] = pts.front()->value("label_noise", 0.0);
  c["interpolation_tol"] = pts.front()->value("interpolation_tol", 0.0);
  c[std::string("test_error_peak_") + axis] = x(err_peak);
  c["test_error_peak"] = val(err_peak, "test_error");
  if (axis == "width") {
    c["n_train"] = (*pts.front())["n_train"];
    // Model-wise: the first width that fits the (noisy) training set.
    Json threshold = nullptr;
    size_t at = 0;
    for (size_t i = 0; i < pts.size() && threshold.is_null(); ++i)
      if (interpolated(*pts[i])) {
        threshold = x(i);
        at = i;
      }
    c["interpolation_threshold_width"] = threshold;
    c["interpolation_threshold_n_params"] =
        threshold.is_null() ? Json(nullptr) : (*pts[at])["n_params"];
    c["test_error_peak_n_params"] = (*pts[err_peak])["n_params"];
    c["test_error_peak_grid_steps_from_threshold"] =
        threshold.is_null() ? Json(nullptr)
                            : Json(static_cast<int64_t>(err_peak) - static_cast<int64_t>(at));
    Json best_below = nullptr;
    for (size_t i = 0; i < at && !threshold.is_null(); ++i)
      if (best_below.is_null() || val(i, "test_error") < best_below.get<double>())
        best_below = val(i, "test_error");
    c["best_test_error_below_threshold"] = best_below;
    if (pts.front()->contains("param_norm")) {
      size_t norm_peak = 0;
      for (size_t i = 1; i < pts.size(); ++i)
        if (val(i, "param_norm") > val(norm_peak, "param_norm")) norm_peak = i;
      c["param_norm_peak_width"] = x(norm_peak);
      c["param_norm_peak"] = val(norm_peak, "param_norm");
    }
    c["max_width"] = x(pts.size() - 1);
    c["test_error_at_max_width"] = val(pts.size() - 1, "test_error");
  } else {
    c["width"] = (*pts.front())["width"];
    c["n_params"] = (*pts.front())["n_params"];
    // Sample-wise: the model interpolates small training sets and stops at some n; the
    // test error can peak there, so more data hurts (Nakkiran et al. 2019, Fig. 11).
    Json last = nullptr;
    size_t at = 0;
    for (size_t i = 0; i < pts.size(); ++i)
      if (interpolated(*pts[i])) {
        last = x(i);
        at = i;
      }
    c["largest_interpolated_n_train"] = last;
    c["test_error_peak_grid_steps_from_threshold"] =
        last.is_null() ? Json(nullptr)
                       : Json(static_cast<int64_t>(err_peak) - static_cast<int64_t>(at));
    c["max_n_train"] = x(pts.size() - 1);
    c["test_error_at_max_n_train"] = val(pts.size() - 1, "test_error");
  }
  return c;
}

}  // namespace

Json network_sweep_summary(const std::vector<Json>& rows) {
  std::vector<const Json*> usable;
  for (const Json& r : rows)
    if (r.contains("width") && r.contains("n_train") && r.contains("n_params") &&
        r.contains("train_error") && r.contains("test_error"))
      usable.push_back(&r);
  if (usable.empty()) return nullptr;
  Json curves = Json::array();
  // Plain loops over the two axes: clang 14 (the WASM build) cannot capture structured
  // bindings in lambdas, so no [key, value] here.
  for (const std::string axis : {"width", "n_train"}) {
    const std::string swept_key = axis == "width" ? "model.widths" : "data.n_train";
    std::map<std::string, std::vector<const Json*>> groups;  // group (dumped) -> rows
    for (const Json* r : usable) groups[group_of(*r, swept_key).dump()].push_back(r);
    for (const auto& entry : groups) {
      std::vector<int64_t> xs;
      for (const Json* r : entry.second) xs.push_back((*r)[axis].get<int64_t>());
      std::sort(xs.begin(), xs.end());
      if (std::unique(xs.begin(), xs.end()) - xs.begin() < 2) continue;  // not this axis
      curves.push_back(curve(axis, Json::parse(entry.first), entry.second));
    }
  }
  if (curves.empty()) return nullptr;
  return {{"kind", "double_descent"}, {"model", "mlp"}, {"curves", curves}};
}

}  // namespace gradlab
