// sparse_parity — Barak et al. 2022, "Hidden progress in deep learning: SGD learns parities near
// the computational limit". An MLP trained by SGD on (n, k)-sparse parities (data.source =
// sparse_parity) sits at chance accuracy for a long plateau and then solves the task abruptly;
// the plateau is not idle: the first layer's weights concentrate on the k secret coordinates
// throughout it. The time to solve grows like n^Θ(k) (the paper's n^O(k) upper bound and the
// statistical-query lower bound); this lab measures the exponent with a sweep over n.
//
// Training is the shared TrainingExperiment's. With train.online (the default) every step
// draws a fresh batch from the seeded batch stream (the paper's online SGD), and the fixed
// training split only serves to measure the rows' loss / train_acc; otherwise SGD cycles over
// the fixed training split. test_acc is always on data.n_test fresh points never trained on.
//
// Hidden progress (row key `secret_weight_ratio`): with W the first layer [h, n],
//   r = mean_{j∈S} ‖W[:, j]‖² / mean_{j∉S} ‖W[:, j]‖²,
// the weight mass on a secret coordinate against a non-secret one; r ≈ 1 at initialisation
// and grows through the plateau, before the loss moves (Barak et al., Fig. 3's measure of the
// same kind).
//
// Summary: solve_step (first logged step with test_acc ≥ 0.99); leave_chance_step (the first
// logged step with test_acc ≥ 0.55: the plateau at chance is everything before it); rise_start
// (the last logged step before solve_step whose test_acc was still < 0.55 — SGD's accuracy
// wobbles back to chance a few times after first leaving it) and rise_fraction =
// (solve_step − rise_start) / solve_step; the secret, and n_bits / k for the sweep. The
// sweep summary fits log solve_step = a + b log n over the sweep's solved points (slope b).
#include <algorithm>
#include <cmath>

#include "experiments/training.h"
#include "gradlab/config_keys.h"
#include "gradlab/kind.h"

namespace gradlab {
namespace {

using namespace config::schema_tables;  // NOLINT: the key builder's vocabulary

constexpr double kSolved = 0.99;  // test accuracy that counts as solved
constexpr double kChance = 0.55;  // below this the accuracy is at chance (1000 points: ±0.016)

std::vector<KeySpec> keys() {
  return {
      key("train.online", T::Bool, true,
          "sparse_parity: each step draws a fresh batch (online SGD, Barak et al. 2022); false: "
          "cycle over the fixed training split")
          .when("kind", {"sparse_parity"}),
  };
}

double secret_weight_ratio(const TrainingExperiment& e) {
  const Tensor& w = e.model().params().at(0);  // layers.0.weight [h, n]
  const std::vector<double> v = w.to_vector();
  const int64_t h = w.shape().at(0), n = w.shape().at(1);
  const std::vector<int64_t>& secret = e.data().secret;
  double in = 0, out = 0;
  for (int64_t j = 0; j < n; ++j) {
    double mass = 0;
    for (int64_t r = 0; r < h; ++r) mass += v[r * n + j] * v[r * n + j];
    (std::binary_search(secret.begin(), secret.end(), j) ? in : out) += mass;
  }
  const auto k = static_cast<double>(secret.size());
  return (in / k) / (out / static_cast<double>(n - static_cast<int64_t>(secret.size())));
}

void check(const TrainingExperiment& e) {
  const Json& c = e.config();
  if (c.at("data").at("source") != "sparse_parity")
    fail<ConfigError>("sparse_parity: data.source must be \"sparse_parity\" (got ",
                      c.at("data").at("source").dump(), ")");
  if (c.at("model").at("type") != "mlp")
    fail<ConfigError>("sparse_parity: model.type must be \"mlp\", got ",
                      c.at("model").at("type").dump());
  if (c.at("data").at("n_test").get<int64_t>() < 1)
    fail<ConfigError>("sparse_parity: data.n_test must be at least 1 (the fresh points the ",
                      "accuracy is measured on), got 0");
  if (e.data().secret.size() >= static_cast<size_t>(e.data().input_size()))
    fail<ConfigError>("sparse_parity: data.k must be below data.n_bits (the hidden-progress ",
                      "measure compares secret and other coordinates)");
}

DataSplit draw_batch(const TrainingExperiment& e, Rng& rng, int64_t count) {
  DataSplit s;
  s.n = count;
  sparse_parity_sample(e.data().input_size(), e.data().secret, count, rng, s.x, s.labels);
  return s;
}

void add_row_keys(const TrainingExperiment& e, Json& row) {
  row["secret_weight_ratio"] = secret_weight_ratio(e);
}

void add_summary(const TrainingExperiment& e, const std::vector<Json>& rows, Json& s) {
  Json solve = nullptr, rise = nullptr, leave = nullptr;
  for (const Json& r : rows) {
    if (!r.contains("test_acc")) continue;
    if (r["test_acc"].get<double>() >= kSolved) {
      solve = r["step"];
      break;
    }
    if (r["test_acc"].get<double>() < kChance) rise = r["step"];
    if (r["test_acc"].get<double>() >= kChance && leave.is_null()) leave = r["step"];
  }
  s["solve_step"] = solve;
  s["leave_chance_step"] = leave.is_null() ? solve : leave;
  s["rise_start"] = rise;
  s["rise_fraction"] =
      solve.is_null() || rise.is_null() || solve.get<int64_t>() == 0
          ? Json(nullptr)
          : Json(static_cast<double>(solve.get<int64_t>() - rise.get<int64_t>()) /
                 static_cast<double>(solve.get<int64_t>()));
  s["n_bits"] = e.data().input_size();
  s["k"] = e.data().secret.size();
  s["secret"] = e.data().secret;
  s["online"] = e.config().at("train").at("online");
  s["final_secret_weight_ratio"] = secret_weight_ratio(e);
}

std::unique_ptr<Experiment> make(const Json& config) {
  TrainingHooks hooks;
  hooks.check = check;
  hooks.add_row_keys = add_row_keys;
  hooks.add_summary = add_summary;
  if (config.at("train").at("online").get<bool>()) hooks.draw_batch = draw_batch;
  return std::make_unique<TrainingExperiment>(config, hooks);
}

// Least squares of log solve_step on log n_bits over the solved points of a sweep.
Json sweep_summary(const std::vector<Json>& rows) {
  std::vector<double> xs, ys;
  Json points = Json::array();
  int64_t unsolved = 0;
  for (const Json& r : rows) {
    if (!r.contains("n_bits") || !r.contains("solve_step")) continue;
    if (r["solve_step"].is_null() || r["solve_step"].get<double>() <= 0) {
      ++unsolved;
      continue;
    }
    xs.push_back(std::log(r["n_bits"].get<double>()));
    ys.push_back(std::log(r["solve_step"].get<double>()));
    points.push_back({{"n_bits", r["n_bits"]}, {"solve_step", r["solve_step"]}});
  }
  Json out = {{"points", points}, {"unsolved", unsolved}, {"log_log_slope", nullptr}};
  const auto m = static_cast<double>(xs.size());
  if (xs.size() < 2) return out;
  double mx = 0, my = 0;
  for (size_t i = 0; i < xs.size(); ++i) mx += xs[i] / m, my += ys[i] / m;
  double sxy = 0, sxx = 0;
  for (size_t i = 0; i < xs.size(); ++i) {
    sxy += (xs[i] - mx) * (ys[i] - my);
    sxx += (xs[i] - mx) * (xs[i] - mx);
  }
  if (sxx > 0) out["log_log_slope"] = sxy / sxx;
  return out;
}

const char* const kPage = R"json({
  "file": "sparse-parity.html",
  "title": "Sparse parity",
  "blurb": "SGD learns a k-sparse parity of n bits after a long plateau, with hidden progress throughout.",
  "card": {
    "id": "card-sparse-parity", "heading": "Hidden progress on sparse parities",
    "text": [
      "An MLP learns y = x_i · x_j · x_l, three secret bits of n, by online SGD. Accuracy",
      "stays at chance for a long plateau and then jumps to 100%; meanwhile the first",
      "layer's weight on the secret bits grows steadily (Barak et al., 2022)."
    ],
    "claim": [
      "Claim: the loss curve hides progress: a measure of the weights moves long before",
      "the loss does, and the plateau grows like a power of n."
    ],
    "link": "Open the sparse-parity lab →"
  },
  "presets": "experiments/sparse_parity",
  "fields": [
    {"path": "data.n_bits", "label": "n (bits)", "control": "slider", "min": 5, "max": 40, "step": 1},
    {"path": "data.k", "label": "k (secret bits)", "control": "slider", "min": 1, "max": 5, "step": 1},
    {"path": "model.widths", "label": "Width"},
    {"path": "train.batch_size", "label": "Batch size"},
    {"path": "optim.lr", "label": "Learning rate η"},
    {"path": "seed", "label": "Seed"},
    {"path": "train.steps", "label": "Steps"}
  ],
  "status": [
    {"text": "accuracy {last.test_acc%}"},
    {"text": "solved at step {summary.solve_step}", "else": "not solved yet"}
  ],
  "charts": [
    {"id": "accuracy", "title": "Accuracy on fresh points", "x": "step", "y": ["test_acc"],
     "y_labels": [null], "y_label": "accuracy"},
    {"id": "loss", "title": "Training loss", "x": "step", "y": ["loss"], "y_labels": [null],
     "y_label": "loss"},
    {"id": "progress", "title": "Hidden progress: weight mass on the secret bits / the others",
     "x": "step", "y": ["secret_weight_ratio"], "y_labels": [null], "y_label": "ratio",
     "log_y": true}
  ]
})json";

}  // namespace

Kind sparse_parity_kind() {
  Kind k;
  k.name = "sparse_parity";
  k.description = "SGD on k-sparse parities: a plateau with hidden progress (Barak et al. 2022)";
  for (const char* block : {"data", "model", "loss", "optim", "train", "dtype", "device"})
    k.blocks.push_back({block, "", {}});
  k.keys = keys;
  k.make = make;
  k.sweep_summary = sweep_summary;
  k.row_keys = {"secret_weight_ratio"};
  k.devices = {"cpu", "cuda"};
  k.page = kPage;
  return k;
}

}  // namespace gradlab
