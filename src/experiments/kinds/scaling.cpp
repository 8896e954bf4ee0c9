// scaling — one point of a scaling-law study (Kaplan et al. 2020; Hoffmann et al. 2022): train a
// model of N parameters on D tokens and report what a fit needs (`gradlab fit`, docs/fit.md).
// Training is the shared TrainingExperiment's; this kind adds the counts.
//
// Counts (docs/kinds/scaling.md):
//   n_params                  every parameter of the model
//   n_params_embedding        token and position embeddings (names containing "embed")
//   n_params_non_embedding    the rest: Kaplan et al.'s N (their eq. 2.1 leaves embeddings out;
//                             our head is untied, so it is counted, as are biases and LayerNorms)
//   tokens (D)                predicted positions the optimizer has trained on: Σ over steps of
//                             batch examples × positions per example (seq_len for text, 1 else)
//   flops_6nd                 6 · n_params_non_embedding · tokens (Kaplan's C ≈ 6ND)
//   flops_exact               3 × the forward pass's matmul FLOPs (2 per multiply-add) per
//                             token × tokens; backward = 2 × forward (the input and the weight
//                             gradient of each matmul). transformer_lm, per token (L blocks,
//                             width d, MLP hidden h, window T, vocabulary V):
//                               L (6d² qkv + 2d² proj + 4dh MLP + 2Td QKᵀ + 2Td AV) + 2dV head,
//                             the attention matmuls over all T keys as computed (the causal mask
//                             is added, not skipped). mlp: 2 Σ_l in_l out_l. Elementwise work
//                             (LayerNorm, GELU, softmax, biases) and evaluation passes are not
//                             counted.
// Rows add `tokens` and `flops_6nd` so far (before the row's step), for L–D and L–C curves.
#include "experiments/training.h"
#include "gradlab/config_keys.h"
#include "gradlab/kind.h"

#include <algorithm>
#include <cmath>

namespace gradlab {
namespace {

using namespace config::schema_tables;  // NOLINT: the key builder's vocabulary

std::vector<KeySpec> keys() {
  return {
      key("train.eval_examples", T::IntOrString, "all",
          "scaling: evaluate the logged train/test losses on this many evenly spaced examples "
          "of each split (\"all\": every one); a whole corpus per row would cost more than "
          "training")
          .one_of({"all"})
          .at_least(1)
          .when("kind", {"scaling"}),
      key("train.flops_budget", T::Number, required,
          "scaling: train for this many FLOPs C = 6 N D (N = n_params_non_embedding): the run "
          "takes max(1, round(C / (6 N · tokens per step))) steps instead of train.steps "
          "(an isoFLOP profile sweeps model size at a fixed budget)")
          .at_least(0)
          .optional()
          .when("kind", {"scaling"}),
  };
}

int64_t numel(const Tensor& t) {
  int64_t n = 1;
  for (int64_t s : t.shape()) n *= s;
  return n;
}

const Tensor* param(const Model& m, const std::string& name) {
  for (size_t i = 0; i < m.names().size(); ++i)
    if (m.names()[i] == name) return &m.params()[i];
  return nullptr;
}

int64_t embedding_params(const Model& m) {
  int64_t n = 0;
  for (size_t i = 0; i < m.names().size(); ++i)
    if (m.names()[i].find("embed") != std::string::npos) n += numel(m.params()[i]);
  return n;
}

// Forward matmul FLOPs per predicted position (see the header comment).
double forward_flops_per_token(const TrainingExperiment& e) {
  const Model& m = e.model();
  if (m.type() == "transformer_lm") {
    const Tensor& tok = *param(m, "tok_embed.weight");  // [V, d]
    const double d = static_cast<double>(tok.shape()[1]);
    const double v = static_cast<double>(param(m, "head.weight")->shape()[0]);
    const double h = static_cast<double>(param(m, "blocks.0.mlp.fc1.weight")->shape()[0]);
    const double t = static_cast<double>(e.data().input_shape.at(0));
    double layers = 0;
    while (param(m, "blocks." + std::to_string(static_cast<int>(layers)) + ".norm1.weight"))
      layers += 1;
    return layers * (6 * d * d + 2 * d * d + 4 * d * h + 4 * t * d) + 2 * d * v;
  }
  double f = 0;  // mlp: every 2-D parameter is a Linear weight [out, in]
  for (const Tensor& p : m.params())
    if (p.dim() == 2) f += 2.0 * static_cast<double>(numel(p));
  return f;
}

// Positions trained on before step s: full epochs of n, then s' batches of b (the last batch of
// an epoch holds the remainder, as TrainingExperiment::step draws them).
double tokens_before(const TrainingExperiment& e, int64_t s) {
  const int64_t n = e.data().train.n;
  const int64_t per = e.data().label_size();
  const int64_t spe = e.steps_per_epoch();
  if (spe == 1) return static_cast<double>(s) * static_cast<double>(n * per);
  const int64_t b = *train_config(e.config()).batch_size;  // spe > 1: not "full"
  const int64_t examples = (s / spe) * n + std::min((s % spe) * b, n);
  return static_cast<double>(examples) * static_cast<double>(per);
}

void check(const TrainingExperiment& e) {
  const std::string type = e.model().type();
  if (type != "transformer_lm" && type != "mlp")
    fail<ConfigError>("scaling: model.type must be transformer_lm or mlp (the FLOP counts are "
                      "written for those), got ", type);
}

void add_row_keys(const TrainingExperiment& e, Json& row) {
  const double tokens = tokens_before(e, row.at("step").get<int64_t>());
  row["tokens"] = tokens;
  row["flops_6nd"] =
      6.0 * static_cast<double>(e.model().num_params() - embedding_params(e.model())) * tokens;
}

void add_summary(const TrainingExperiment& e, const std::vector<Json>& rows, Json& s) {
  (void)rows;
  const int64_t n = e.model().num_params(), emb = embedding_params(e.model());
  const double tokens = tokens_before(e, e.steps_done());
  const double f = forward_flops_per_token(e);
  s["n_params_embedding"] = emb;
  s["n_params_non_embedding"] = n - emb;
  s["tokens"] = tokens;
  s["flops_6nd"] = 6.0 * static_cast<double>(n - emb) * tokens;
  s["flops_forward_per_token"] = f;
  s["flops_exact"] = 3.0 * f * tokens;
  const Json& train_block = e.config().at("train");
  if (train_block.contains("flops_budget")) s["flops_budget"] = train_block["flops_budget"];
  if (s.contains("final_loss")) s["final_train_loss"] = s["final_loss"];
  if (s.contains("final_test_loss")) s["final_validation_loss"] = s["final_test_loss"];
  // Baselines in nats per token from the training labels: the unigram entropy H(X) and the
  // plug-in bigram conditional entropy H(X_{t+1} | X_t) (text: input and label of each position).
  const auto& train = e.data().train;
  const int64_t classes = e.data().num_classes;
  if (classes > 0 && !train.labels.empty()) {
    std::vector<double> counts(static_cast<size_t>(classes), 0.0);
    for (int64_t y : train.labels) counts[static_cast<size_t>(y)] += 1;
    const double total = static_cast<double>(train.labels.size());
    double h = 0;
    for (double c : counts)
      if (c > 0) h -= c / total * std::log(c / total);
    s["unigram_entropy"] = h;
  }
  s["loss_units"] = e.data().vocabulary.empty() ? "nats per example" : "nats per character";
}

// The browser page (scaling.html, web/src/scaling-page.js): a tiny N × D grid trained live in
// workers on the shipped slice of the corpus, fitted by the WASM build of `gradlab fit`.
const char* const kPage = R"json({
  "file": "scaling.html",
  "title": "Scaling laws",
  "blurb": "A tiny grid of language models trained live; loss falls as a power law in N and C.",
  "card": {
    "id": "card-scaling", "heading": "Scaling laws",
    "text": [
      "Train character-level transformers of three widths for three data budgets on the King",
      "James Bible, live: each point lands on log-log charts of loss against parameters and",
      "compute, and the power law L(N) = (N_c/N)^α and Chinchilla's L(N, D) with its",
      "compute-optimal frontier are refitted as the points arrive; drop a native sweep.jsonl to",
      "fit a bigger study (Kaplan et al., 2020; Hoffmann et al., 2022)."
    ],
    "claim": [
      "Claim: loss falls as a power law in model size, data and compute, so small runs",
      "predict large ones."
    ],
    "link": "Open the scaling-laws lab →"
  },
  "presets": "experiments/scaling",
  "preset_list": [
    {
      "file": "browser_kjv_tiny.json",
      "title": "KJV, widths 8, 16, 32 (depth 1) × 40, 100 and 250 steps of 16 windows of 16 characters"
    }
  ]
})json";

std::unique_ptr<Experiment> make(const Json& config) {
  TrainingHooks hooks;
  hooks.check = check;
  hooks.add_row_keys = add_row_keys;
  hooks.add_summary = add_summary;
  auto e = std::make_unique<TrainingExperiment>(config, hooks);
  const Json& train = config.at("train");
  if (train.contains("flops_budget")) {
    const double per_step =
        6.0 * static_cast<double>(e->model().num_params() - embedding_params(e->model())) *
        (tokens_before(*e, e->steps_per_epoch()) / static_cast<double>(e->steps_per_epoch()));
    e->set_total_steps(std::max<int64_t>(
        1, static_cast<int64_t>(std::llround(train["flops_budget"].get<double>() / per_step))));
  }
  return e;
}

}  // namespace

Kind scaling_kind() {
  Kind k;
  k.name = "scaling";
  k.description =
      "loss vs parameters, tokens and FLOPs for a scaling-law fit (Kaplan et al. 2020; "
      "Hoffmann et al. 2022)";
  for (const char* block : {"data", "model", "loss", "optim", "train", "dtype", "device"})
    k.blocks.push_back({block, "", {}});
  k.keys = keys;
  k.make = make;
  k.row_keys = {"tokens", "flops_6nd"};
  k.devices = {"cpu", "cuda"};
  k.page = kPage;
  return k;
}

}  // namespace gradlab
