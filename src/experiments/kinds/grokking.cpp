// grokking — Power et al. 2022, "Grokking: generalization beyond overfitting on small
// algorithmic datasets"; Nanda et al. 2023, "Progress measures for grokking via mechanistic
// interpretability"; Gromov 2023, "Grokking modular arithmetic". A network fits the training
// split of the modular table (data.source = modular) long before it generalises to the held-out
// pairs; weight decay is what makes it generalise at all.
//
// Training is the shared TrainingExperiment's (AdamW from optim, full batch or minibatches);
// the model is Gromov's embedding-MLP: an mlp on the one-hot code of (a, b), whose first Linear
// layer W ∈ R^(h × 2p) is a learned embedding of a (columns 0..p−1) plus one of b (columns
// p..2p−1), usually with model.activation = quadratic and no bias.
//
// With model.type = transformer_lm (layer_norm false, activation relu, output last) and
// data.encoding = tokens it is Nanda et al. 2023's one-layer transformer on "a b =": the
// embedding is then the token embedding W_E = tok_embed.weight [p + 1, d], of which the rows
// of the p residues (not "=") enter the spectrum, E = W_Eᵀ[:, 0:p].
//
// Fourier spectrum of the embedding (row key `fourier`, summary `key_frequencies`): for each
// embedding E over the p residues (the MLP: both halves W[:, 0:p] and W[:, p:2p]; the
// transformer: W_Eᵀ[:, 0:p]) the DFT over the p tokens, F_k = Σ_t E[:, t] e^(−2πi k t / p),
// k = 0..p−1. E is real, so ‖F_k‖ = ‖F_(p−k)‖, and frequency k = 1..(p−1)/2 gets the power
// P_k = ‖F_k‖² + ‖F_(p−k)‖² summed over the signals, and P_0 = ‖F_0‖² (the mean embedding).
// By Parseval Σ_k P_k = p ‖E‖²_F, so `fourier` reports P_k / Σ P (shares of the embedding's
// norm², one per k = 0..(p−1)/2). key_frequencies are the frequencies k ≥ 1 with the largest
// shares, largest first, as few as carry half the norm² and at most six.
//
// Summary: memorize_step (first logged step with train_acc ≥ 0.99), generalize_step (first
// with test_acc ≥ 0.99), generalize_ratio = generalize_step / memorize_step, key_frequencies,
// key_frequency_share (their total share) and the final parameter norm.
#include <algorithm>
#include <cmath>
#include <numeric>

#include "experiments/training.h"
#include "gradlab/config_keys.h"
#include "gradlab/kind.h"

namespace gradlab {
namespace {

constexpr double kSolved = 0.99;  // the accuracy that counts as memorised / generalised

bool is_transformer(const TrainingExperiment& e) {
  return e.config().at("model").at("type") == "transformer_lm";
}

// The embedding as signals over the p residues: signal r is (values[r·stride_r + t·stride_t]),
// t = 0..p−1, for r = 0..count−1.
struct Signals {
  std::vector<double> values;
  int64_t count = 0, stride_r = 0, stride_t = 0;
};

Signals embedding_signals(const TrainingExperiment& e, int64_t p) {
  Signals s;
  const Model& m = e.model();
  if (is_transformer(e)) {
    // tok_embed.weight [p + 1, d]: one signal per embedding coordinate, residues as rows.
    for (size_t i = 0; i < m.names().size(); ++i)
      if (m.names()[i] == "tok_embed.weight") {
        const Tensor& w = m.params()[i];
        s.values = w.to_vector();
        s.count = w.shape().at(1);
        s.stride_r = 1;
        s.stride_t = w.shape().at(1);
        return s;
      }
    fail<ConfigError>("grokking: the transformer has no tok_embed.weight");
  }
  // layers.0.weight [h, 2p]: two signals per hidden unit (the a half and the b half); signal
  // r starts at r·p (row r / 2, half r % 2).
  const Tensor& w = m.params().at(0);
  s.values = w.to_vector();
  s.count = 2 * w.shape().at(0);
  s.stride_r = p;
  s.stride_t = 1;
  return s;
}

// Shares of the embedding's norm² per frequency k = 0..(p−1)/2 (see the file comment).
std::vector<double> fourier_shares(const TrainingExperiment& e) {
  const int64_t p = e.config().at("data").at("p").get<int64_t>();
  const Signals sig = embedding_signals(e, p);
  std::vector<double> cos_t(static_cast<size_t>(p)), sin_t(static_cast<size_t>(p));
  for (int64_t j = 0; j < p; ++j) {
    const double angle = 2.0 * M_PI * static_cast<double>(j) / static_cast<double>(p);
    cos_t[static_cast<size_t>(j)] = std::cos(angle);
    sin_t[static_cast<size_t>(j)] = std::sin(angle);
  }
  const int64_t half = (p - 1) / 2;
  std::vector<double> power(static_cast<size_t>(half + 1), 0.0);
  for (int64_t r = 0; r < sig.count; ++r) {
    const double* row = sig.values.data() + r * sig.stride_r;
    for (int64_t k = 0; k <= half; ++k) {
      double re = 0, im = 0;
      for (int64_t t = 0; t < p; ++t) {
        const auto j = static_cast<size_t>((k * t) % p);
        re += row[t * sig.stride_t] * cos_t[j];
        im -= row[t * sig.stride_t] * sin_t[j];
      }
      // k and p − k carry the same power: count it twice (k = 0 is its own mirror).
      power[static_cast<size_t>(k)] += (k == 0 ? 1.0 : 2.0) * (re * re + im * im);
    }
  }
  const double total = std::accumulate(power.begin(), power.end(), 0.0);
  if (total > 0)
    for (double& x : power) x /= total;
  return power;
}

void check(const TrainingExperiment& e) {
  const Json& c = e.config();
  if (c.at("data").at("source") != "modular")
    fail<ConfigError>("grokking: data.source must be \"modular\" (got ",
                      c.at("data").at("source").dump(), ")");
  const Json& model = c.at("model");
  const std::string encoding = c.at("data").at("encoding").get<std::string>();
  if (model.at("type") == "mlp") {
    if (encoding != "onehot")
      fail<ConfigError>("grokking: model.type \"mlp\" reads the one-hot code of a and b: set ",
                        "data.encoding to \"onehot\" (got \"", encoding, "\")");
  } else if (model.at("type") == "transformer_lm") {
    if (encoding != "tokens")
      fail<ConfigError>("grokking: model.type \"transformer_lm\" reads the sequence \"a b =\": ",
                        "set data.encoding to \"tokens\" (got \"", encoding, "\")");
    if (model.at("output") != "last")
      fail<ConfigError>("grokking: the transformer must answer at the \"=\" token: set ",
                        "model.output to \"last\" (got ", model.at("output").dump(), ")");
  } else {
    fail<ConfigError>("grokking: model.type must be \"mlp\" (the embedding-MLP on the one-hot ",
                      "code of a and b) or \"transformer_lm\" (Nanda et al.'s transformer on ",
                      "\"a b =\"), got ", model.at("type").dump());
  }
}

void add_row_keys(const TrainingExperiment& e, Json& row) { row["fourier"] = fourier_shares(e); }

Json first_step(const std::vector<Json>& rows, const char* key) {
  for (const Json& r : rows)
    if (r.contains(key) && r[key].get<double>() >= kSolved) return r["step"];
  return nullptr;
}

void add_summary(const TrainingExperiment& e, const std::vector<Json>& rows, Json& s) {
  const Json memorize = first_step(rows, "train_acc"), generalize = first_step(rows, "test_acc");
  s["memorize_step"] = memorize;
  s["generalize_step"] = generalize;
  s["generalize_ratio"] =
      memorize.is_null() || generalize.is_null()
          ? Json(nullptr)
          : Json(static_cast<double>(generalize.get<int64_t>()) /
                 static_cast<double>(std::max<int64_t>(1, memorize.get<int64_t>())));
  const std::vector<double> shares = fourier_shares(e);
  std::vector<int64_t> order;
  for (int64_t k = 1; k < static_cast<int64_t>(shares.size()); ++k) order.push_back(k);
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
    return shares[static_cast<size_t>(a)] > shares[static_cast<size_t>(b)];
  });
  Json keys = Json::array();
  double carried = 0;
  for (int64_t k : order) {
    if (keys.size() >= 6 || carried >= 0.5) break;
    keys.push_back(k);
    carried += shares[static_cast<size_t>(k)];
  }
  s["key_frequencies"] = keys;
  s["key_frequency_share"] = carried;
  s["p"] = e.config().at("data").at("p");
  for (auto it = rows.rbegin(); it != rows.rend(); ++it)
    if (it->contains("param_norm")) {
      s["final_param_norm"] = (*it)["param_norm"];
      break;
    }
}

std::unique_ptr<Experiment> make(const Json& config) {
  TrainingHooks hooks;
  hooks.check = check;
  hooks.add_row_keys = add_row_keys;
  hooks.add_summary = add_summary;
  return std::make_unique<TrainingExperiment>(config, hooks);
}

const char* const kPage = R"json({
  "file": "grokking.html",
  "title": "Grokking",
  "blurb": "Modular addition: the network memorises the training pairs, then — much later — generalises.",
  "card": {
    "id": "card-grokking", "heading": "Grokking modular arithmetic",
    "text": [
      "Train a small network on half of the table of (a + b) mod p and watch train accuracy",
      "reach 100% early while test accuracy stays low, then climb to 100% long after, as the",
      "embedding concentrates on a few Fourier frequencies (Power et al. 2022; Gromov 2023)."
    ],
    "claim": [
      "Claim: with weight decay, generalisation can arrive many times later than memorisation;",
      "without it, it does not arrive."
    ],
    "link": "Open the grokking lab →"
  },
  "presets": "experiments/grokking",
  "fields": [
    {"path": "data.train_fraction", "label": "Training fraction", "control": "slider",
     "min": 0.1, "max": 0.9, "step": 0.05},
    {"path": "optim.weight_decay", "label": "Weight decay", "control": "slider",
     "min": 0, "max": 5, "step": 0.25},
    {"path": "seed", "label": "Seed", "control": "slider", "min": 0, "max": 20, "step": 1},
    {"path": "data.p", "label": "p (prime)"},
    {"path": "data.op", "label": "Operation"},
    {"path": "optim.lr", "label": "Learning rate"},
    {"path": "train.steps", "label": "Steps"}
  ],
  "status": [
    {"text": "train {last.train_acc%}"}, {"text": "test {last.test_acc%}"},
    {"text": "memorised at step {summary.memorize_step}", "else": "not memorised yet"},
    {"text": "generalised at step {summary.generalize_step}", "else": "not generalised yet"}
  ],
  "charts": [
    {"id": "accuracy", "title": "Accuracy: train (solid) and test (dashed)", "x": "step",
     "log_x": true, "y": ["train_acc", "test_acc"], "y_labels": ["train", "test"],
     "y_label": "accuracy"},
    {"id": "loss", "title": "Loss: train (solid) and test (dashed)", "x": "step", "log_x": true,
     "y": ["loss", "test_loss"], "y_labels": ["train", "test"], "y_label": "loss", "log_y": true},
    {"id": "fourier", "title": "Embedding's Fourier spectrum (share of its norm² per frequency)",
     "spectrum": "fourier", "x_label": "frequency k", "y_label": "share of ‖W‖²"},
    {"id": "param_norm", "title": "Parameter norm", "x": "step", "log_x": true,
     "y": ["param_norm"], "y_label": "‖θ‖"}
  ]
})json";

}  // namespace

Kind grokking_kind() {
  Kind k;
  k.name = "grokking";
  k.description =
      "modular arithmetic: memorise, then generalise much later (Power et al. 2022; Gromov 2023)";
  for (const char* block : {"data", "model", "loss", "optim", "train", "dtype", "device"})
    k.blocks.push_back({block, "", {}});
  k.make = make;
  k.row_keys = {"fourier"};
  k.devices = {"cpu", "cuda"};
  k.page = kPage;
  return k;
}

}  // namespace gradlab
