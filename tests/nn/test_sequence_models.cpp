// test_sequence_models.cpp — vit, transformer_lm, lstm and mamba, built tiny in float64.
//
// For each model: output shapes, state_dict names and shapes (PyTorch's order: a module's
// own parameters, then its submodules), gradient of a random linear functional of the
// output against central differences on a few coordinates, and an exact HVP (symmetric
// uᵀHv = vᵀHu, and one HVP against a central difference of gradients). transformer_lm
// is causal: changing a future token leaves earlier logits unchanged. Errors name shapes.
// Exact agreement with PyTorch is tests/python/test_models_torch.py (native only).
// Runs natively and under WASM (no files) in well under a second.
#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "gradlab/autograd.h"
#include "gradlab/nn.h"
#include "gradlab/ops.h"
#include "gradlab/rng.h"
#include "gradlab/tensor.h"

using namespace gradlab;
using Json = nlohmann::json;

namespace {

ModelContext context(Shape input_shape, int64_t output_dim, int64_t vocab = 0) {
  ModelContext ctx;
  ctx.input_shape = std::move(input_shape);
  ctx.output_dim = output_dim;
  ctx.dtype = DType::F64;
  ctx.vocab = vocab;
  return ctx;
}

std::unique_ptr<Model> build(const Json& cfg, const ModelContext& ctx, uint64_t seed = 7) {
  Rng rng(seed, 1);
  return build_model(model_config_from_block(cfg), ctx, rng);
}

// Random token ids [n, t] in [0, vocab).
Tensor tokens(int64_t n, int64_t t, int64_t vocab, Rng& rng) {
  std::vector<int64_t> ids(static_cast<size_t>(n * t));
  for (int64_t& id : ids) id = static_cast<int64_t>(rng.below(static_cast<uint64_t>(vocab)));
  return from_indices(ids, {n, t});
}

void check_names(const Model& m, const std::vector<std::pair<std::string, Shape>>& expected) {
  REQUIRE(m.names().size() == expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    INFO("parameter " << i);
    CHECK(m.names()[i] == expected[i].first);
    CHECK(m.params()[i].shape() == expected[i].second);
    CHECK(m.params()[i].requires_grad());
  }
}

// The scalar L(θ) = Σ R ⊙ f(θ; x) with fixed random R: its gradient is a vector-Jacobian
// product through every op of the model.
struct Probe {
  const Model* model;
  Tensor x, weights;
  Tensor loss(const TensorList& p) const { return sum(mul(model->forward(p, x), weights)); }
};

Probe make_probe(const Model& m, const Tensor& x, uint64_t seed) {
  Rng rng(seed, 9);
  Shape out = m.forward(x).shape();
  return {&m, x, randn(out, rng, DType::F64)};
}

// params with element `index` of params[which] moved by delta (detached copies).
TensorList nudged(const TensorList& params, size_t which, int64_t index, double delta) {
  TensorList out;
  for (size_t i = 0; i < params.size(); ++i) {
    std::vector<double> v = params[i].to_vector();
    if (i == which) v[static_cast<size_t>(index)] += delta;
    out.push_back(from_vector(v, params[i].shape(), DType::F64).requires_grad_());
  }
  return out;
}

// Every parameter's gradient at its first, middle and last element vs central differences.
void check_gradient(const Probe& probe, const TensorList& params) {
  TensorList g = grad(probe.loss(params), params);
  const double h = 1e-6;
  for (size_t i = 0; i < params.size(); ++i) {
    std::vector<double> gi = g[i].to_vector();
    const int64_t n = params[i].numel();
    for (int64_t index : {int64_t{0}, n / 2, n - 1}) {
      double fd = (probe.loss(nudged(params, i, index, h)).item() -
                   probe.loss(nudged(params, i, index, -h)).item()) /
                  (2 * h);
      INFO("parameter " << i << " element " << index);
      CHECK(gi[static_cast<size_t>(index)] == Approx(fd).epsilon(1e-6).margin(1e-8));
    }
  }
}

double dot(const TensorList& a, const TensorList& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += sum(mul(a[i], b[i])).item();
  return s;
}

TensorList random_direction(const TensorList& params, uint64_t seed) {
  Rng rng(seed, 5);
  TensorList v;
  for (const Tensor& p : params) v.push_back(randn(p.shape(), rng, DType::F64));
  return v;
}

// Exact HVPs: symmetric (uᵀHv = vᵀHu), and Hv equals a central difference of ∇L along v.
void check_hvp(const Probe& probe, const TensorList& params) {
  LossFn loss = [&](const TensorList& p) { return probe.loss(p); };
  TensorList u = random_direction(params, 1), v = random_direction(params, 2);
  TensorList hv = hvp(loss, params, v), hu = hvp(loss, params, u);
  REQUIRE(hv.size() == params.size());
  const double uhv = dot(u, hv), vhu = dot(v, hu);
  CHECK(std::isfinite(uhv));
  CHECK(uhv == Approx(vhu).epsilon(1e-9).margin(1e-12));

  const double h = 1e-5;
  auto moved = [&](double s) {
    TensorList p;
    for (size_t i = 0; i < params.size(); ++i)
      p.push_back(add(params[i], mul(v[i], s)).detach().requires_grad_());
    return grad(probe.loss(p), p);
  };
  TensorList plus = moved(h), minus = moved(-h);
  double err = 0, norm = 0;
  for (size_t i = 0; i < params.size(); ++i) {
    Tensor fd = div(sub(plus[i], minus[i]), 2 * h);
    err += sum(square(sub(fd, hv[i]))).item();
    norm += sum(square(hv[i])).item();
  }
  CHECK(std::sqrt(err) <= 1e-6 * std::sqrt(norm) + 1e-9);
}

Json vit_config(const std::string& pool) {
  return {{"type", "vit"}, {"patch", 2},       {"dim", 8},    {"depth", 2},
          {"heads", 2},    {"mlp_ratio", 1.5}, {"pool", pool}};
}

}  // namespace

TEST_CASE("vit: tokens, names, shapes, gradient and HVP", "[models]") {
  ModelContext ctx = context({2, 4, 6}, 3);  // 2 x 3 = 6 patches of 2x2
  auto m = build(vit_config("cls"), ctx);
  REQUIRE(m->type() == "vit");
  std::vector<std::pair<std::string, Shape>> expected = {{"cls_token", {1, 1, 8}},
                                                         {"pos_embed", {1, 7, 8}},
                                                         {"patch_embed.weight", {8, 2, 2, 2}},
                                                         {"patch_embed.bias", {8}}};
  for (int b = 0; b < 2; ++b) {
    std::string p = "blocks." + std::to_string(b) + ".";
    for (auto& e : std::vector<std::pair<std::string, Shape>>{{"norm1.weight", {8}},
                                                              {"norm1.bias", {8}},
                                                              {"attn.qkv.weight", {24, 8}},
                                                              {"attn.qkv.bias", {24}},
                                                              {"attn.proj.weight", {8, 8}},
                                                              {"attn.proj.bias", {8}},
                                                              {"norm2.weight", {8}},
                                                              {"norm2.bias", {8}},
                                                              {"mlp.fc1.weight", {12, 8}},
                                                              {"mlp.fc1.bias", {12}},
                                                              {"mlp.fc2.weight", {8, 12}},
                                                              {"mlp.fc2.bias", {8}}})
      expected.emplace_back(p + e.first, e.second);
  }
  for (auto& e : std::vector<std::pair<std::string, Shape>>{
           {"norm.weight", {8}}, {"norm.bias", {8}}, {"head.weight", {3, 8}}, {"head.bias", {3}}})
    expected.push_back(e);
  check_names(*m, expected);
  // LayerNorm starts at 1 / 0; position embeddings are small (std 0.02).
  CHECK(m->params()[4].to_vector() == std::vector<double>(8, 1.0));
  CHECK(m->params()[5].to_vector() == std::vector<double>(8, 0.0));
  for (double v : m->params()[1].to_vector()) CHECK(std::abs(v) < 0.2);

  Rng rng(3, 0);
  Tensor x = randn({3, 2, 4, 6}, rng, DType::F64);
  CHECK(m->forward(x).shape() == Shape{3, 3});
  Probe probe = make_probe(*m, x, 11);
  check_gradient(probe, m->params());
  check_hvp(probe, m->params());
  CHECK(m->pytorch_definition().find("nn.Conv2d(2, 8, 2, stride=2)") != std::string::npos);

  SECTION("mean pooling has no class token") {
    auto mean_model = build(vit_config("mean"), ctx);
    CHECK(mean_model->names()[0] == "pos_embed");
    CHECK(mean_model->params()[0].shape() == Shape{1, 6, 8});
    CHECK(mean_model->forward(x).shape() == Shape{3, 3});
    check_gradient(make_probe(*mean_model, x, 12), mean_model->params());
  }
  SECTION("wrong inputs are named errors") {
    CHECK_THROWS_AS(m->forward(randn({3, 2, 6, 4}, rng, DType::F64)), ShapeError);
    CHECK_THROWS_AS(m->forward(tokens(3, 4, 5, rng)), DTypeError);
    Json bad = vit_config("cls");
    bad["patch"] = 4;  // does not divide 6
    CHECK_THROWS_AS(build(bad, ctx), ConfigError);
    bad = vit_config("cls");
    bad["heads"] = 3;  // does not divide 8
    CHECK_THROWS_AS(build(bad, ctx), ConfigError);
    CHECK_THROWS_AS(build(vit_config("cls"), context({24}, 3)), ConfigError);
  }
}

TEST_CASE("transformer_lm: causal, names, shapes, gradient and HVP", "[models]") {
  const Json cfg = {{"type", "transformer_lm"}, {"dim", 8},    {"depth", 2}, {"heads", 2},
                    {"mlp_ratio", 2},           {"seq_len", 6}};
  ModelContext ctx = context({6}, 5, 5);
  auto m = build(cfg, ctx);
  REQUIRE(m->type() == "transformer_lm");
  REQUIRE(m->names().size() == 2 + 2 * 12 + 4);
  CHECK(m->names()[0] == "pos_embed");
  CHECK(m->params()[0].shape() == Shape{1, 6, 8});
  CHECK(m->names()[1] == "tok_embed.weight");
  CHECK(m->params()[1].shape() == Shape{5, 8});
  CHECK(m->names()[2] == "blocks.0.norm1.weight");
  CHECK(m->names()[14 + 3] == "blocks.1.attn.qkv.bias");
  CHECK(m->names()[26] == "norm.weight");
  CHECK(m->names()[28] == "head.weight");
  CHECK(m->params()[28].shape() == Shape{5, 8});

  Rng rng(4, 0);
  Tensor x = tokens(2, 6, 5, rng);
  Tensor logits = m->forward(x);
  CHECK(logits.shape() == Shape{2, 6, 5});
  CHECK(m->forward(slice(x, 1, 0, 4).contiguous()).shape() == Shape{2, 4, 5});  // T < seq_len

  SECTION("changing a future token leaves earlier logits unchanged") {
    std::vector<int64_t> ids = x.to_vector_i64();
    ids[3] = (ids[3] + 1) % 5;  // example 0, position 3
    Tensor changed = m->forward(from_indices(ids, {2, 6}));
    std::vector<double> a = logits.to_vector(), b = changed.to_vector();
    double earlier = 0, later = 0, other = 0;
    for (int64_t t = 0; t < 6; ++t)
      for (int64_t v = 0; v < 5; ++v) {
        const size_t i0 = static_cast<size_t>(t * 5 + v), i1 = i0 + 30;  // example 0, 1
        (t < 3 ? earlier : later) += std::abs(a[i0] - b[i0]);
        other += std::abs(a[i1] - b[i1]);
      }
    CHECK(earlier == 0.0);
    CHECK(other == 0.0);
    CHECK(later > 1e-6);  // the change is seen from position 3 on
  }
  SECTION("gradient and HVP") {
    Probe probe = make_probe(*m, x, 13);
    check_gradient(probe, m->params());
    check_hvp(probe, m->params());
  }
  SECTION("wrong inputs are named errors") {
    CHECK_THROWS_AS(m->forward(randn({2, 6}, rng, DType::F64)), DTypeError);
    CHECK_THROWS_AS(m->forward(tokens(2, 7, 5, rng)), ShapeError);     // longer than seq_len
    CHECK_THROWS_AS(m->forward(from_indices({0, 5}, {1, 2})), Error);  // id 5 >= vocab
    CHECK_THROWS_AS(build(cfg, context({1, 6, 6}, 5)), ConfigError);
  }
}

TEST_CASE("lstm: inputs as tokens, sequences, image rows and vectors", "[models]") {
  Rng rng(5, 0);
  SECTION("token ids: per-position logits by default, two layers") {
    const Json cfg = {{"type", "lstm"}, {"hidden", 4}, {"layers", 2}};
    auto m = build(cfg, context({5}, 6, 6));
    check_names(*m, {{"embed.weight", {6, 4}},
                     {"lstm.weight_ih_l0", {16, 4}},
                     {"lstm.weight_hh_l0", {16, 4}},
                     {"lstm.bias_ih_l0", {16}},
                     {"lstm.bias_hh_l0", {16}},
                     {"lstm.weight_ih_l1", {16, 4}},
                     {"lstm.weight_hh_l1", {16, 4}},
                     {"lstm.bias_ih_l1", {16}},
                     {"lstm.bias_hh_l1", {16}},
                     {"head.weight", {6, 4}},
                     {"head.bias", {6}}});
    // nn.LSTM init: U(±1/√hidden) = U(±0.5).
    for (double v : m->params()[2].to_vector()) CHECK(std::abs(v) <= 0.5);
    Tensor x = tokens(3, 5, 6, rng);
    CHECK(m->forward(x).shape() == Shape{3, 5, 6});
    Probe probe = make_probe(*m, x, 14);
    check_gradient(probe, m->params());
    check_hvp(probe, m->params());
    CHECK_THROWS_AS(m->forward(randn({3, 5}, rng, DType::F64)), DTypeError);
    CHECK(m->pytorch_definition().find("nn.LSTM(4, 4, num_layers=2, batch_first=True)") !=
          std::string::npos);
  }
  SECTION("token ids, last step: one output per sequence") {
    auto m = build({{"type", "lstm"}, {"hidden", 4}, {"output", "last"}}, context({5}, 6, 6));
    CHECK(m->forward(tokens(3, 5, 6, rng)).shape() == Shape{3, 6});
  }
  SECTION("images: rows are the steps") {
    auto m = build({{"type", "lstm"}, {"hidden", 3}}, context({2, 4, 5}, 3));
    CHECK(m->names()[0] == "lstm.weight_ih_l0");
    CHECK(m->params()[0].shape() == Shape{12, 10});  // F = C·W
    Tensor x = randn({2, 2, 4, 5}, rng, DType::F64);
    CHECK(m->forward(x).shape() == Shape{2, 3});
    check_gradient(make_probe(*m, x, 15), m->params());
    CHECK_THROWS_AS(m->forward(randn({2, 2, 5, 4}, rng, DType::F64)), ShapeError);
  }
  SECTION("float sequences, every step") {
    auto m = build({{"type", "lstm"}, {"hidden", 3}, {"output", "sequence"}}, context({4, 2}, 2));
    Tensor x = randn({2, 4, 2}, rng, DType::F64);
    CHECK(m->forward(x).shape() == Shape{2, 4, 2});
    check_gradient(make_probe(*m, x, 16), m->params());
  }
  SECTION("float vectors: one scalar per step") {
    auto m = build({{"type", "lstm"}, {"hidden", 3}}, context({6}, 1));
    CHECK(m->params()[0].shape() == Shape{12, 1});
    CHECK(m->forward(randn({4, 6}, rng, DType::F64)).shape() == Shape{4, 1});
  }
}

TEST_CASE("mamba: reference names, causal scan, S4D init, gradient and HVP", "[models]") {
  const Json cfg = {{"type", "mamba"}, {"d_model", 4}, {"n_layers", 2}, {"d_state", 3},
                    {"expand", 2},     {"d_conv", 4},  {"dt_rank", 2}};
  auto m = build(cfg, context({6}, 5, 5));
  REQUIRE(m->type() == "mamba");
  std::vector<std::pair<std::string, Shape>> expected = {{"embedding.weight", {5, 4}}};
  for (int l = 0; l < 2; ++l) {
    const std::string p = "layers." + std::to_string(l) + ".";
    for (auto& e : std::vector<std::pair<std::string, Shape>>{
             {"mixer.A_log", {8, 3}},          {"mixer.D", {8}},
             {"mixer.in_proj.weight", {16, 4}}, {"mixer.conv1d.weight", {8, 1, 4}},
             {"mixer.conv1d.bias", {8}},        {"mixer.x_proj.weight", {8, 8}},
             {"mixer.dt_proj.weight", {8, 2}},  {"mixer.dt_proj.bias", {8}},
             {"mixer.out_proj.weight", {4, 8}}, {"norm.weight", {4}}})
      expected.emplace_back(p + e.first, e.second);
  }
  expected.push_back({"norm_f.weight", {4}});
  expected.push_back({"lm_head.weight", {5, 4}});
  check_names(*m, expected);
  // S4D-real: A_log[c, n] = log(n + 1); D = 1; softplus(dt bias) = dt ∈ [1e-3, 1e-1].
  std::vector<double> a_log = m->params()[1].to_vector();
  for (size_t i = 0; i < a_log.size(); ++i)
    CHECK(a_log[i] == Approx(std::log(static_cast<double>(i % 3 + 1))).margin(1e-15));
  CHECK(m->params()[2].to_vector() == std::vector<double>(8, 1.0));
  for (double b : m->params()[8].to_vector()) {
    const double dt = std::log1p(std::exp(b));
    CHECK(dt >= 1e-3 * (1 - 1e-12));
    CHECK(dt <= 1e-1 * (1 + 1e-12));
  }

  Rng rng(6, 0);
  Tensor x = tokens(2, 6, 5, rng);
  Tensor logits = m->forward(x);
  CHECK(logits.shape() == Shape{2, 6, 5});
  SECTION("changing a token leaves earlier positions and other sequences unchanged") {
    std::vector<int64_t> ids = x.to_vector_i64();
    ids[3] = (ids[3] + 1) % 5;
    std::vector<double> a = logits.to_vector(), b = m->forward(from_indices(ids, {2, 6})).to_vector();
    double earlier = 0, later = 0, other = 0;
    for (size_t t = 0; t < 6; ++t)
      for (size_t v = 0; v < 5; ++v) {
        (t < 3 ? earlier : later) += std::abs(a[t * 5 + v] - b[t * 5 + v]);
        other += std::abs(a[30 + t * 5 + v] - b[30 + t * 5 + v]);
      }
    CHECK(earlier == 0.0);
    CHECK(other == 0.0);
    CHECK(later > 1e-6);
  }
  SECTION("gradient and HVP through the scan") {
    Probe probe = make_probe(*m, x, 17);
    check_gradient(probe, m->params());
    check_hvp(probe, m->params());
  }
  SECTION("bad keys and inputs are named errors") {
    CHECK_THROWS_AS(m->forward(randn({2, 6}, rng, DType::F64)), DTypeError);
    CHECK_THROWS_AS(build(cfg, context({6}, 5)), ConfigError);         // no vocabulary
    CHECK_THROWS_AS(build(cfg, context({2, 6}, 5, 5)), ConfigError);   // not [T]
    for (const char* key : {"d_model", "n_layers", "d_state", "expand", "d_conv", "dt_rank"}) {
      Json bad = cfg;
      bad[key] = 0;
      INFO(key);
      CHECK_THROWS_AS(build(bad, context({6}, 5, 5)), ConfigError);
    }
    auto rank_default = build({{"type", "mamba"}, {"d_model", 20}}, context({6}, 5, 5));
    CHECK(rank_default->params()[7].shape() == Shape{40, 2});  // dt_rank = ⌈20/16⌉ = 2
  }
}

TEST_CASE("model_types lists the sequence models", "[models]") {
  std::vector<std::string> names;
  for (auto& [name, doc] : model_types()) {
    names.push_back(name);
    CHECK_FALSE(doc.empty());
  }
  for (const char* type : {"vit", "transformer_lm", "lstm", "mamba"})
    CHECK(std::find(names.begin(), names.end(), type) != names.end());
}
