// test_grokking_transformer.cpp — Nanda et al. 2023's one-layer grokking transformer (issue 19):
// the modular data as the token sequence "a b =", transformer_lm without layer norm, with a
// ReLU MLP and the answer read at the last position, inside the grokking kind.
//   - data.encoding = tokens gives [a, b, p] for every pair, the same pairs and split as the
//     one-hot encoding;
//   - model.layer_norm = false removes every LayerNorm parameter (state_dict names), true
//     keeps them; output last gives one logit row per sequence;
//   - the embedding spectrum reads tok_embed.weight over the p residues (a planted
//     frequency, with a large "=" row that must not count);
//   - the example config's test profile (p = 7) memorises its training split;
//   - mismatched model / encoding pairs are refused with a message naming the key.
#include <catch2/catch.hpp>
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "gradlab/autograd.h"
#include "gradlab/config.h"
#include "gradlab/data.h"
#include "gradlab/error.h"
#include "gradlab/experiment.h"
#include "gradlab/ops.h"

using namespace gradlab;

namespace {

Json nanda(const std::vector<std::string>& sets = {}) {
  Json user = load_config_file(std::string(GRADLAB_SOURCE_DIR) +
                               "/experiments/grokking/nanda_transformer.json");
  ResolveOptions options;
  options.profile = "test";
  options.sets = sets;
  return resolve_config(user, options);
}

std::vector<std::string> names_of(const Experiment& e) {
  std::vector<std::string> names;
  for (const auto& [name, tensor] : e.named_params()) names.push_back(name);
  return names;
}

}  // namespace

TEST_CASE("modular tokens: the sequence a b = over the same pairs and split", "[grokking]") {
  const Json onehot = {{"source", "modular"}, {"p", 11}, {"op", "sub"}, {"train_fraction", 0.4}};
  Json tokens = onehot;
  tokens["encoding"] = "tokens";
  const Dataset a = load_dataset(onehot, 3), b = load_dataset(tokens, 3);
  REQUIRE(b.input_shape == std::vector<int64_t>{3});
  CHECK(b.token_vocab == 12);  // p residues and "="
  CHECK(a.token_vocab == 0);
  for (auto [sa, sb] : {std::pair{&a.train, &b.train}, std::pair{&a.test, &b.test}}) {
    REQUIRE(sa->n == sb->n);
    CHECK(sa->labels == sb->labels);
    for (int64_t i = 0; i < sa->n; ++i) {
      // The one-hot row's two ones are at a and p + b.
      int64_t ia = -1, ib = -1;
      for (int64_t j = 0; j < 22; ++j)
        if (sa->x[i * 22 + j] == 1.0) (j < 11 ? ia : ib) = j < 11 ? j : j - 11;
      CHECK(sb->x[i * 3] == ia);
      CHECK(sb->x[i * 3 + 1] == ib);
      CHECK(sb->x[i * 3 + 2] == 11);
      CHECK(sb->labels[i] == ((ia - ib) % 11 + 11) % 11);
    }
  }
}

TEST_CASE("grokking transformer: no layer norm, last-position logits, memorises p = 7",
          "[grokking]") {
  // layer_norm false: no LayerNorm tensor anywhere; the block keeps attention and MLP.
  {
    std::unique_ptr<Experiment> e = make_experiment(nanda({"train.steps=1"}));
    const std::vector<std::string> names = names_of(*e);
    for (const std::string& n : names) CHECK(n.find("norm") == std::string::npos);
    CHECK(names == std::vector<std::string>{
                       "pos_embed", "tok_embed.weight", "blocks.0.attn.qkv.weight",
                       "blocks.0.attn.qkv.bias", "blocks.0.attn.proj.weight",
                       "blocks.0.attn.proj.bias", "blocks.0.mlp.fc1.weight", "blocks.0.mlp.fc1.bias",
                       "blocks.0.mlp.fc2.weight", "blocks.0.mlp.fc2.bias", "head.weight",
                       "head.bias"});
  }
  {
    std::unique_ptr<Experiment> e = make_experiment(nanda({"train.steps=1", "model.layer_norm=true"}));
    const std::vector<std::string> names = names_of(*e);
    CHECK(names.size() == 18);
    CHECK(std::find(names.begin(), names.end(), "blocks.0.norm1.weight") != names.end());
    CHECK(std::find(names.begin(), names.end(), "norm.bias") != names.end());
  }

  // Training on p = 7 (39 of 49 pairs): the loss falls and the training split is memorised.
  std::unique_ptr<Experiment> e = make_experiment(nanda());
  std::vector<Json> rows;
  while (!e->done())
    if (std::optional<Json> row = e->step()) rows.push_back(*row);
  REQUIRE(rows.size() >= 2);
  const Json s = e->summary(rows);
  INFO(s.dump());
  CHECK(rows.back()["loss"].get<double>() < 0.1 * rows.front()["loss"].get<double>());
  CHECK(s["final_train_acc"].get<double>() >= 0.99);
  REQUIRE(s["memorize_step"].is_number());
  CHECK(rows.back()["fourier"].size() == 4);  // k = 0..(p−1)/2
  CHECK(s["key_frequencies"].size() >= 1);
}

TEST_CASE("grokking transformer: the spectrum reads the residues' token embeddings",
          "[grokking]") {
  // W_E[t, :] = cos(2π·2t/p) for the residues t < p, every coordinate; the "=" row (t = p)
  // is large and would spread power over every k if it were counted.
  std::unique_ptr<Experiment> e =
      make_experiment(nanda({"train.steps=1", "optim.weight_decay=0", "optim.lr=1e-12"}));
  NamedTensors params = e->named_params();
  Tensor w = params.at(1).second;
  REQUIRE(params.at(1).first == "tok_embed.weight");
  const int64_t p = 7, d = w.shape()[1];
  REQUIRE(w.shape()[0] == p + 1);
  std::vector<double> planted(static_cast<size_t>((p + 1) * d));
  for (int64_t t = 0; t <= p; ++t)
    for (int64_t c = 0; c < d; ++c)
      planted[t * d + c] = t < p ? std::cos(2 * M_PI * 2 * t / p) : 50.0;
  {
    NoGradGuard ng;
    w.assign_(from_vector(planted, w.shape(), w.dtype()));
  }
  std::optional<Json> row = e->step();
  REQUIRE(row.has_value());
  const std::vector<double> shares = (*row)["fourier"].get<std::vector<double>>();
  REQUIRE(shares.size() == 4);
  CHECK(shares[2] == Approx(1.0).margin(1e-6));
  CHECK(e->summary({*row})["key_frequencies"] == Json::array({2}));
}

TEST_CASE("grokking: the model and the modular encoding must agree", "[grokking]") {
  CHECK_THROWS_WITH(make_experiment(nanda({"data.encoding=onehot"})),
                    Catch::Contains("data.encoding") && Catch::Contains("tokens"));
  CHECK_THROWS_WITH(make_experiment(nanda({"model.output=sequence"})),
                    Catch::Contains("model.output") && Catch::Contains("last"));
  Json user = load_config_file(std::string(GRADLAB_SOURCE_DIR) +
                               "/experiments/grokking/browser_p31.json");
  ResolveOptions options;
  options.sets = {"data.encoding=tokens"};
  CHECK_THROWS_WITH(make_experiment(resolve_config(user, options)),
                    Catch::Contains("data.encoding") && Catch::Contains("onehot"));
}
