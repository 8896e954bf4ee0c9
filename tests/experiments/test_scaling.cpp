// test_scaling.cpp — the scaling kind's counts (issue 17): parameters with and without
// embeddings against the model's own tensors and the closed form of the transformer, tokens for
// full and ragged minibatches, the 6ND and exact FLOP formulas; and a tiny character-level run on
// the lighthouse text that beats the unigram entropy of its training text.
#include <catch2/catch.hpp>
#include <cmath>
#include <fstream>
#include <map>
#include <sstream>

#include "experiments/training.h"
#include "gradlab/config.h"
#include "gradlab/experiment.h"

using namespace gradlab;

namespace {

const std::string kText = std::string(GRADLAB_SOURCE_DIR) + "/experiments/data/lighthouse.txt";

Json config(int64_t dim, int64_t depth, int64_t seq_len, const Json& batch, int64_t steps) {
  return resolve_config(Json{
      {"kind", "scaling"},
      {"seed", 0},
      {"dtype", "float32"},
      {"data", {{"source", "text"}, {"path", kText}, {"seq_len", seq_len}, {"test_fraction", 0.1}}},
      {"model", {{"type", "transformer_lm"}, {"dim", dim}, {"depth", depth}, {"heads", 2},
                 {"mlp_ratio", 4}}},
      {"loss", "cross_entropy"},
      {"optim", {{"type", "adam"}, {"lr", 0.01}}},
      {"train", {{"steps", steps}, {"batch_size", batch}, {"log_every", 10}, {"log_time", false},
                 {"eval_examples", 40}}}});
}

Json run(const Json& cfg, std::vector<Json>& rows) {
  auto e = make_experiment(cfg);
  while (e->steps_done() < e->total_steps())
    if (auto row = e->step()) rows.push_back(*row);  // unlogged steps return no row
  return e->summary(rows);
}

}  // namespace

TEST_CASE("scaling: parameter counts, tokens and FLOPs follow their formulas", "[scaling]") {
  const int64_t d = 16, layers = 2, t = 8, h = 4 * d, steps = 7;
  std::vector<Json> rows;
  const Json s = run(config(d, layers, t, 5, steps), rows);
  const auto e = make_experiment(config(d, layers, t, 5, steps));
  // The vocabulary from the model's own token embedding [V, d].
  const NamedTensors params = e->named_params();
  int64_t vocab = 0, counted = 0;
  for (const auto& [name, tensor] : params) {
    int64_t n = 1;
    for (int64_t k : tensor.shape()) n *= k;
    counted += n;
    if (name == "tok_embed.weight") vocab = tensor.shape()[0];
  }
  REQUIRE(vocab > 30);
  CHECK(s["n_params"] == counted);
  // Per block: qkv 3d² + 3d, proj d² + d, fc1 dh + h, fc2 hd + d, two LayerNorms 4d.
  const int64_t block = 4 * d * d + 2 * d * h + 9 * d + h;
  const int64_t non_embedding = layers * block + 2 * d + d * vocab + vocab;
  CHECK(s["n_params_non_embedding"] == non_embedding);
  CHECK(s["n_params_embedding"] == vocab * d + t * d);
  CHECK(s["n_params"] == non_embedding + vocab * d + t * d);
  // 7 steps of 5 windows of 8 characters.
  CHECK(s["tokens"].get<double>() == 7 * 5 * t);
  CHECK(s["flops_6nd"].get<double>() == Approx(6.0 * non_embedding * 7 * 5 * t));
  const double forward = layers * (8.0 * d * d + 4.0 * d * h + 4.0 * t * d) + 2.0 * d * vocab;
  CHECK(s["flops_forward_per_token"].get<double>() == Approx(forward));
  CHECK(s["flops_exact"].get<double>() == Approx(3 * forward * 7 * 5 * t));
  // Rows: tokens before the row's step.
  for (const Json& r : rows)
    CHECK(r["tokens"].get<double>() == r["step"].get<double>() * 5 * t);
}

TEST_CASE("scaling: tokens count the ragged last batch of each epoch", "[scaling]") {
  // 5993 characters, 10% held out: 5394 training characters, 8-character windows -> 674 windows.
  std::vector<Json> rows;
  const Json s = run(config(8, 1, 8, 300, 5), rows);
  const int64_t n = s["n_train"];
  REQUIRE(n == 674);
  // Steps 0..4: 300, 300, 74 (epoch end), 300, 300 windows.
  CHECK(s["tokens"].get<double>() == (300 + 300 + 74 + 300 + 300) * 8.0);
  CHECK(rows.back()["tokens"].get<double>() == (300 + 300 + 74 + 300) * 8.0);
}

TEST_CASE("scaling: a tiny character model beats the unigram entropy of its text", "[scaling]") {
  // The unigram entropy of the training text (the first 90 %), counted here from the file.
  std::ifstream f(kText);
  std::stringstream ss;
  ss << f.rdbuf();
  const std::string text = ss.str();
  const size_t cut = static_cast<size_t>(std::floor(text.size() * 0.9 + 0.5));
  std::map<char, double> counts;
  // The labels are characters 1.. of each window: count the characters the model predicts.
  for (size_t i = 1; i < cut; ++i) counts[text[i]] += 1;
  double total = 0, h = 0;
  for (const auto& [c, k] : counts) total += k;
  for (const auto& [c, k] : counts) h -= k / total * std::log(k / total);
  std::vector<Json> rows;
  const Json s = run(config(32, 1, 16, 32, 150), rows);
  INFO("unigram " << h << ", summary " << s["unigram_entropy"] << ", validation "
                  << s["final_validation_loss"] << ", train " << s["final_train_loss"]);
  CHECK(s["unigram_entropy"].get<double>() == Approx(h).margin(0.02));
  CHECK(s["final_validation_loss"].get<double>() < h);
  CHECK(s["final_train_loss"].get<double>() < h);
  CHECK(s["loss_units"] == "nats per character");
}

TEST_CASE("scaling: models without FLOP formulas are refused", "[scaling]") {
  Json c = config(8, 1, 8, 4, 2);
  c["model"] = Json{{"type", "lstm"}, {"hidden", 8}};
  CHECK_THROWS_WITH(make_experiment(resolve_config(c)),
                    Catch::Contains("scaling: model.type must be transformer_lm or mlp"));
}
