// Tests of the experiment-config layer (include/gradlab/config.h): resolving with defaults,
// every kind of error message, --set, profiles, sweeps and shards, the schema's own
// invariants, and that docs/config.md and the data loader agree with the schema.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "config/config_internal.h"
#include "gradlab/config.h"
#include "gradlab/data.h"
#include "gradlab/error.h"

using gradlab::ConfigError;
using gradlab::Json;
using gradlab::resolve_config;
using gradlab::ResolveOptions;

namespace {

// A small valid config: every required key, nothing else.
Json base_config() {
  return Json::parse(R"({
    "kind": "edge_of_stability",
    "data": {"source": "synthetic", "generator": "two_moons", "n_train": 100},
    "model": {"type": "mlp", "widths": [16]},
    "loss": "mse",
    "optim": {"type": "gd", "lr": 0.1},
    "train": {"steps": 10}
  })");
}

// The example of docs/design.md §3, verbatim.
const char* kDesignExample =
    R"({ "kind": "edge_of_stability", "seed": 0, "dtype": "float32", "device": "cpu",
  "data":  { "source": "fashion_mnist", "n_train": 2000, "n_test": 1000, "classes": [0,1,2,3],
             "preprocess": ["standardize"], "targets": "onehot" },
  "model": { "type": "mlp", "widths": [200, 200], "activation": "tanh" },
  "loss":  "mse",
  "optim": { "type": "gd", "lr": 0.02 },
  "train": { "steps": 3000, "batch_size": "full", "log_every": 10 },
  "probe": { "sharpness_every": 20, "top_k": 1, "lanczos_iters": 20, "probe_examples": "all" },
  "sweep": { "optim.lr": [0.01, 0.02, 0.04] },
  "profiles": { "web": { "data.n_train": 500 }, "test": { "train.steps": 5 } } })";

// The message of the ConfigError `f` throws; fails the test if it throws none. Every message
// must be one line (the CLI prints it as is).
template <class F>
std::string config_error(F&& f) {
  try {
    f();
  } catch (const ConfigError& e) {
    const std::string message = e.what();
    CHECK(message.find('\n') == std::string::npos);
    return message;
  }
  FAIL_CHECK("expected a ConfigError");
  return "";
}

// The error of resolving base_config() (or `config`) after the given --set assignments.
std::string error_with(std::vector<std::string> sets, Json config = base_config()) {
  return config_error([&] { resolve_config(config, {"", std::move(sets)}); });
}

Json resolved_with(std::vector<std::string> sets, Json config = base_config()) {
  return resolve_config(config, {"", std::move(sets)});
}

}  // namespace

TEST_CASE("config: the docs/design.md example resolves with every default filled", "[config]") {
  const Json user = gradlab::parse_config_text(kDesignExample, "example");
  const Json resolved = resolve_config(user);
  // Given values are kept.
  CHECK(resolved["optim"]["lr"] == 0.02);
  CHECK(resolved["data"]["classes"] == Json::array({0, 1, 2, 3}));
  // Defaults filled where the key applies.
  CHECK(resolved["data"]["subset"] == "first");
  CHECK(resolved["data"]["label_noise"] == 0.0);
  CHECK(resolved["data"]["path"] == "/usr/share/datasets/fashion-mnist");
  CHECK(resolved["model"]["bias"] == true);
  CHECK(resolved["optim"]["momentum"] == 0.0);
  CHECK(resolved["optim"]["nesterov"] == false);
  CHECK(resolved["optim"]["schedule"] == Json({{"type", "constant"}}));
  CHECK(resolved["train"]["checkpoint_every"] == 0);
  CHECK(resolved["probe"]["settle_steps"] == 300);
  // ... and only there: no Adam knobs for GD, no CNN knobs for an MLP, no SVM block.
  CHECK_FALSE(resolved["optim"].contains("betas"));
  CHECK_FALSE(resolved["model"].contains("channels"));
  CHECK_FALSE(resolved.contains("svm"));
  CHECK_FALSE(resolved["data"].contains("generator"));
  // The per-run config drops the blocks that were applied or expanded.
  CHECK_FALSE(resolved.contains("sweep"));
  CHECK_FALSE(resolved.contains("profiles"));
  // A resolved config is valid and resolving it again changes nothing (--resume compares).
  CHECK_NOTHROW(gradlab::validate_config(resolved));
  CHECK(resolve_config(resolved) == resolved);
}

TEST_CASE("config: defaults follow their discriminator", "[config]") {
  CHECK(resolved_with({"optim.type=momentum"})["optim"]["momentum"] == 0.9);
  CHECK(resolved_with({"optim.type=sgd"})["optim"]["momentum"] == 0.0);
  CHECK(resolved_with({"optim.type=adamw"})["optim"]["weight_decay"] == 0.01);
  CHECK(resolved_with({"optim.type=adam"})["optim"]["weight_decay"] == 0.0);
  CHECK(resolved_with({"optim.type=lamb"})["optim"]["eps"] == 1e-6);
  const Json adam = resolved_with({"optim.type=adam"});
  CHECK(adam["optim"]["betas"] == Json::array({0.9, 0.999}));
  CHECK_FALSE(adam["optim"].contains("momentum"));
  // Generator knobs: two_moons and xor have different noise defaults.
  CHECK(resolved_with({})["data"]["noise"] == 0.1);
  CHECK(resolved_with({"data.generator=xor"})["data"]["noise"] == 0.2);
  CHECK(resolved_with({})["data"]["n_test"] == 0);
  // default_from: the text stride and the language model's context come from data.seq_len.
  const Json lm =
      resolved_with({"data={\"source\": \"text\", \"path\": \"a.txt\", \"seq_len\": 32}",
                     "model={\"type\": \"transformer_lm\"}", "loss=cross_entropy"});
  CHECK(lm["data"]["stride"] == 32);
  CHECK(lm["model"]["seq_len"] == 32);
  CHECK(lm["model"]["heads"] == 4);
  // Integral numbers of integer keys are stored as integers.
  const Json ints = resolved_with({"seed=1e3", "model.widths=[16.0, 8]"});
  CHECK(ints["seed"].is_number_integer());
  CHECK(ints["seed"] == 1000);
  CHECK(ints["model"]["widths"][0].is_number_integer());
}

TEST_CASE("config: unknown keys name the key and suggest the closest one", "[config]") {
  CHECK(error_with({"optim.lrr=0.1"}) == "unknown key optim.lrr — did you mean optim.lr?");
  CHECK(error_with({"data.n_trian=5"}) == "unknown key data.n_trian — did you mean data.n_train?");
  CHECK(error_with({"sed=1"}) == "unknown key sed — did you mean seed?");
  // The right name in the wrong section.
  CHECK(error_with({"model.lr=0.1"}) == "unknown key model.lr — did you mean optim.lr?");
  // A misspelt section is reported as such.
  CHECK(error_with({"optm.lr=0.1"}) == "unknown key optm — did you mean optim?");
  // Nothing close: the valid keys of the section are listed.
  const std::string listed = error_with({"model.zzzzzz=1"});
  CHECK(listed.rfind("unknown key model.zzzzzz (valid keys in model: type, widths, ", 0) == 0);
  // A value is not a section; a dotted key belongs nested.
  Json deep = base_config();
  deep["sweep"] = {{"optim.lr.x", {1}}};
  CHECK(config_error([&] { gradlab::validate_config(deep); }) ==
        "sweep: unknown key optim.lr.x (optim.lr is a value, not a section)");
  Json dotted = base_config();
  dotted["optim.lr"] = 0.1;
  CHECK(config_error([&] { gradlab::validate_config(dotted); }) ==
        "unknown key \"optim.lr\" — write it nested, as \"optim\": {\"lr\": ...}");
  CHECK(error_with({"optim=3"}) ==
        "optim: expected an object (a section of keys), got the number 3");
}

TEST_CASE("config: wrong types, ranges and choices", "[config]") {
  CHECK(error_with({"optim.lr=fast"}) == "optim.lr: expected a number, got the string \"fast\"");
  CHECK(error_with({"train.steps=2.5"}) == "train.steps: expected an integer, got the number 2.5");
  CHECK(error_with({"model.bias=1"}) == "model.bias: expected true or false, got the number 1");
  CHECK(error_with({"data.label_noise=1.5"}) == "data.label_noise: 1.5 is outside [0, 1]");
  CHECK(error_with({"optim.lr=-0.1"}) == "optim.lr: -0.1 is below the minimum 0");
  CHECK(error_with({"optim.type=adamm"}) ==
        "optim.type: \"adamm\" is not one of gd, sgd, momentum, nesterov, adam, adamw, rmsprop, "
        "lamb, gradient_flow, normalized_gd, lars — did you mean adam?");
  CHECK(error_with({"optim.type=3"}).rfind("optim.type: expected one of gd, sgd,", 0) == 0);
  CHECK(error_with({"model.widths=[16, \"a\"]"}) ==
        "model.widths[1]: expected an integer, got the string \"a\"");
  CHECK(error_with({"model.widths=[0]"}) == "model.widths[0]: 0 is below the minimum 1");
  CHECK(error_with({"model.widths=16"}) ==
        "model.widths: expected a list of integers, got the number 16");
  CHECK(error_with({"data.preprocess=[\"standardise\"]"}) ==
        "data.preprocess[0]: \"standardise\" is not one of standardize, center, downsample2, "
        "unit_norm — did you mean standardize?");
  CHECK(error_with({"optim.type=adam", "optim.betas=[0.9]"}) ==
        "optim.betas: expected 2 items, got the list [0.9]");
  CHECK(error_with({"train.batch_size=ful"}) ==
        "train.batch_size: expected an integer or \"full\", got the string \"ful\"");
  CHECK(error_with({"train.batch_size=0"}) == "train.batch_size: 0 is below the minimum 1");
  CHECK_NOTHROW(resolved_with({"train.batch_size=64"}));
  CHECK(error_with({"data.classes=[]"}) ==
        "data.classes: expected at least 1 item, got an empty list");
  // svm_margin reads data and svm only: the base config's other blocks go.
  const std::vector<std::string> svm = {"kind=svm_margin", "model=null", "loss=null", "optim=null",
                                        "train=null"};
  auto with = [](std::vector<std::string> a, const std::string& b) {
    a.push_back(b);
    return a;
  };
  CHECK(error_with(with(svm, "svm.C=-1")) == "svm.C: -1 is below the minimum 0");
  CHECK(resolved_with(svm)["svm"]["C"] == "inf");
  CHECK(error_with({"model.init_from=\"\""}) ==
        "model.init_from: expected a file path (a non-empty string), got the string \"\"");
}

TEST_CASE("config: keys that do not apply, and missing keys", "[config]") {
  CHECK(error_with({"model.type=cnn"}) ==
        "model.widths does not apply to model.type \"cnn\" (it is for model.type mlp)");
  CHECK(error_with({"optim.type=adam", "optim.momentum=0.5"}) ==
        "optim.momentum does not apply to optim.type \"adam\" (it is for optim.type gd, sgd, "
        "rmsprop, momentum, nesterov, lars)");
  // Conditions chain: data.noise needs a generator, which needs synthetic data.
  CHECK(error_with({"data.source=npy", "data.generator=null", "data.x=x.npy", "data.y=y.npy",
                    "data.n_train=null", "data.noise=0.1"}) ==
        "data.noise does not apply to data.source \"npy\" (it is for data.source synthetic)");
  CHECK(error_with({"svm.C=1"}) ==
        "svm.C does not apply to kind \"edge_of_stability\" (it reads data, model, loss, optim, "
        "train, probe, dtype, device, besides kind, seed, sweep and profiles)");

  CHECK(error_with({"optim.lr=null"}) == "missing required key optim.lr (a number)");
  CHECK(error_with({"model.widths=null"}) ==
        "missing required key model.widths (a list of integers; needed for model.type mlp)");
  CHECK(
      error_with({"kind=null"}).rfind("missing required key kind (one of edge_of_stability, ", 0) ==
      0);
  CHECK(error_with({"data.source=cifar10", "data.generator=null"}) ==
        "missing required key data.path (a file path (a non-empty string); needed for data.source "
        "cifar10)");
  CHECK(
      error_with({"model={\"type\": \"transformer_lm\"}"}) ==
      "missing required key model.seq_len (an integer; there is no data.seq_len to take it from)");
  CHECK(error_with({"train.epochs=2"}) ==
        "train.steps and train.epochs are both given; give exactly one of them");
  CHECK(error_with({"train.steps=null"}) ==
        "missing required key: give one of train.steps or train.epochs (exactly one)");
  CHECK(resolved_with({"train.steps=null", "train.epochs=3"})["train"]["epochs"] == 3);
  // The data loader's own cross-key rules run too, so `gradlab validate` sees them.
  const std::string npy =
      error_with({"data={\"source\": \"npy\", \"x\": \"x.npy\", \"y\": \"y.npy\", "
                  "\"x_test\": \"xt.npy\"}"});
  CHECK(npy.find("data.x_test") != std::string::npos);
  CHECK(npy.find("data.y_test") != std::string::npos);
}

TEST_CASE("config: --set parses values as JSON, else as strings", "[config]") {
  Json config = Json::object();
  gradlab::apply_set(config, "optim.schedule.type=cosine");  // creates the sections
  gradlab::apply_set(config, "optim.lr=1e-3");
  gradlab::apply_set(config, "model.widths=[200, 200]");
  gradlab::apply_set(config, "model.bias=false");
  gradlab::apply_set(config, "model.activation=tanh");
  gradlab::apply_set(config, "data.path=/data/x y.npy");
  gradlab::apply_set(config, "name=\"42\"");  // a quoted number stays a string
  gradlab::apply_set(config, " seed = 7");
  CHECK(config["optim"]["schedule"]["type"] == "cosine");
  CHECK(config["optim"]["lr"] == 1e-3);
  CHECK(config["model"]["widths"] == Json::array({200, 200}));
  CHECK(config["model"]["bias"] == false);
  CHECK(config["model"]["activation"] == "tanh");
  CHECK(config["data"]["path"] == "/data/x y.npy");
  CHECK(config["name"] == "42");
  CHECK(config["seed"] == 7);
  // An object replaces the key; null removes it.
  gradlab::apply_set(config, "optim.schedule={\"type\": \"step\", \"step_size\": 100}");
  CHECK(config["optim"]["schedule"] == Json({{"type", "step"}, {"step_size", 100}}));
  gradlab::apply_set(config, "optim.lr=null");
  CHECK_FALSE(config["optim"].contains("lr"));
  // Sweep and profile entries are dotted keys of their block.
  gradlab::apply_set(config, "sweep.optim.lr=[0.1, 0.2]");
  gradlab::apply_set(config, "profiles.web.data.n_train=500");
  CHECK(config["sweep"] == Json({{"optim.lr", {0.1, 0.2}}}));
  CHECK(config["profiles"]["web"] == Json({{"data.n_train", 500}}));

  CHECK(config_error([&] { gradlab::apply_set(config, "optim.lr"); }) ==
        "--set expects key.path=value, got \"optim.lr\"");
  CHECK(config_error([&] { gradlab::apply_set(config, "=3"); }) ==
        "--set expects key.path=value, got \"=3\"");
  CHECK(config_error([&] { gradlab::apply_set(config, "seed.x=1"); }) ==
        "cannot set seed.x: seed holds the number 7, not a section");
  CHECK(config_error([&] { gradlab::apply_set(config, "optim..lr=1"); }) ==
        "invalid key path \"optim..lr\" (an empty part)");
}

TEST_CASE("config: profiles apply before --set and are checked", "[config]") {
  Json user = base_config();
  user["profiles"] = {{"web", {{"data.n_train", 50}, {"train.steps", 5}}},
                      {"test", {{"optim", {{"type", "adam"}, {"lr", 0.001}}}}}};
  const Json web = resolve_config(user, {"web", {}});
  CHECK(web["data"]["n_train"] == 50);
  CHECK(web["train"]["steps"] == 5);
  CHECK_FALSE(web.contains("profiles"));
  CHECK(resolve_config(user, {"web", {"train.steps=7"}})["train"]["steps"] == 7);
  // A profile may replace a whole section.
  CHECK(resolve_config(user, {"test", {}})["optim"]["betas"] == Json::array({0.9, 0.999}));
  // Without a profile the profiles block changes nothing.
  CHECK(resolve_config(user)["data"]["n_train"] == 100);

  CHECK(config_error([&] {
          resolve_config(user, {"wbe", {}});
        }) == "unknown profile \"wbe\" (available: test, web) — did you mean web?");
  CHECK(config_error([&] {
          resolve_config(base_config(), {"web", {}});
        }) == "unknown profile \"web\": the config has no profiles");
  user["profiles"]["web"]["data.n_trian"] = 5;
  CHECK(config_error([&] { gradlab::validate_config(user); }) ==
        "profiles.web: unknown key data.n_trian — did you mean data.n_train?");
  user["profiles"]["web"] = 3;
  CHECK(config_error([&] { gradlab::validate_config(user); }) ==
        "profiles.web: expected an object of {\"key.path\": value}, got the number 3");
}

TEST_CASE("config: a sweep expands to the Cartesian product, sharded without overlap", "[config]") {
  Json user = base_config();
  user["sweep"] = {{"optim.lr", {0.01, 0.02, 0.04}}, {"model.widths", {{8}, {16, 16}}}};
  const std::vector<gradlab::SweepPoint> points = gradlab::expand_sweep(user);
  REQUIRE(points.size() == 6);  // 2 x 3
  // Keys in sorted order, the first one (model.widths) varying slowest.
  CHECK(points[0].id == "model.widths=8,optim.lr=0.01");
  CHECK(points[1].id == "model.widths=8,optim.lr=0.02");
  CHECK(points[3].id == "model.widths=16x16,optim.lr=0.01");
  CHECK(points[5].id == "model.widths=16x16,optim.lr=0.04");
  CHECK(points[3].overrides == Json({{"model.widths", {16, 16}}, {"optim.lr", 0.01}}));
  std::set<std::string> ids;
  for (const auto& point : points) {
    ids.insert(point.id);
    CHECK(point.config["optim"]["lr"] == point.overrides["optim.lr"]);
    CHECK(point.config["model"]["widths"] == point.overrides["model.widths"]);
    CHECK_FALSE(point.config.contains("sweep"));
    CHECK(point.config["probe"]["settle_steps"] == 300);  // resolved: defaults filled
    // A point equals `gradlab run --set` of its values.
    std::vector<std::string> sets;
    for (const auto& item : point.overrides.items())
      sets.push_back(item.key() + "=" + item.value().dump());
    Json plain = base_config();
    CHECK(resolve_config(plain, {"", sets}) == point.config);
  }
  CHECK(ids.size() == points.size());
  // The base point: what `resolve_config` gives for a sweep config.
  CHECK(resolve_config(user)["optim"]["lr"] == 0.1);

  for (int count = 1; count <= 4; ++count) {
    std::multiset<std::string> seen;
    for (int index = 1; index <= count; ++index) {
      for (const auto& point : gradlab::shard(points, index, count)) seen.insert(point.id);
    }
    CHECK(seen == std::multiset<std::string>(ids.begin(), ids.end()));
  }
  const auto second_of_four = gradlab::shard(points, 2, 4);  // points 1 and 5 (0-based)
  REQUIRE(second_of_four.size() == 2);
  CHECK(second_of_four[0].id == points[1].id);
  CHECK(second_of_four[1].id == points[5].id);
  CHECK(gradlab::shard(points, 7, 20).empty());
  CHECK(config_error([&] { gradlab::shard(points, 0, 4); }) ==
        "--shard 0/4: expected I/N with 1 <= I <= N");
  CHECK(config_error([&] { gradlab::shard(points, 5, 4); }) ==
        "--shard 5/4: expected I/N with 1 <= I <= N");
  CHECK(gradlab::parse_shard("2/4") == std::make_pair(2, 4));
  for (const char* bad : {"0/4", "5/4", "2", "2/", "/4", "a/4", "-1/4", "1/0", ""}) {
    CHECK(config_error([&] { gradlab::parse_shard(bad); }) ==
          std::string("--shard expects I/N with 1 <= I <= N (e.g. 2/4), got \"") + bad + "\"");
  }
}

TEST_CASE("config: sweeping a discriminator gives each point its own defaults", "[config]") {
  Json user = base_config();
  user["sweep"] = {{"optim.type", {"sgd", "momentum", "adam"}}};
  const auto points = gradlab::expand_sweep(user);
  REQUIRE(points.size() == 3);
  CHECK(points[0].config["optim"]["momentum"] == 0.0);
  CHECK(points[1].config["optim"]["momentum"] == 0.9);
  CHECK_FALSE(points[2].config["optim"].contains("momentum"));
  CHECK(points[2].id == "optim.type=adam");

  // No sweep block: one point.
  const auto single = gradlab::expand_sweep(base_config());
  REQUIRE(single.size() == 1);
  CHECK(single[0].id == "run");
  CHECK(single[0].config == resolve_config(base_config()));
  // Ids are folder names: no slashes or spaces.
  Json paths = base_config();
  paths["data"] = {{"source", "npy"}, {"x", "x.npy"}, {"y", "y.npy"}};
  paths["sweep"] = {{"data.x", {"a/b c.npy", "a_b_c.npy"}}};
  const auto renamed = gradlab::expand_sweep(paths);
  CHECK(renamed[0].id == "data.x=a_b_c.npy");
  CHECK(renamed[1].id == "data.x=a_b_c.npy~2");
}

TEST_CASE("config: sweep errors", "[config]") {
  const auto sweep_error = [](Json sweep, std::vector<std::string> sets = {}) {
    Json user = base_config();
    user["sweep"] = std::move(sweep);
    return config_error([&] { gradlab::expand_sweep(user, {"", sets}); });
  };
  CHECK(sweep_error({{"optim.lrr", {0.1}}}) ==
        "sweep: unknown key optim.lrr — did you mean optim.lr?");
  CHECK(sweep_error({{"optim.lr", 0.1}}) ==
        "sweep optim.lr: expected a non-empty list of values, got the number 0.1");
  CHECK(sweep_error({{"optim.lr", Json::array()}}) ==
        "sweep optim.lr: expected a non-empty list of values, got an empty list");
  CHECK(sweep_error({{"optim.lr", {0.1, 0.1}}}) == "sweep optim.lr: the value 0.1 is listed twice");
  CHECK(sweep_error(Json::object()) ==
        "sweep: empty; give {\"key.path\": [value, ...]} or remove the block");
  CHECK(sweep_error({{"optim", {1}}})
            .rfind("sweep: optim is a section; sweep its keys (type, lr", 0) == 0);
  CHECK(sweep_error({{"optim.lr", {0.1, "fast"}}}) ==
        "sweep point optim.lr=fast: optim.lr: expected a number, got the string \"fast\"");
  CHECK(sweep_error({{"model.type", {"mlp", "cnn"}}}) ==
        "sweep point model.type=cnn: model.widths does not apply to model.type \"cnn\" (it is for "
        "model.type mlp)");
  CHECK(sweep_error({{"optim.lr", {0.1, 0.2}}}, {"optim.lr=0.3"}) ==
        "--set optim.lr: optim.lr is swept by the sweep block; change its values with --set "
        "'sweep.optim.lr=[...]'");
  // ... which is how to change them.
  Json user = base_config();
  user["sweep"] = {{"optim.lr", {0.1, 0.2}}};
  CHECK(gradlab::expand_sweep(user, {"", {"sweep.optim.lr=[0.5]"}}).size() == 1);
}

TEST_CASE("config: files and JSON text", "[config]") {
  CHECK(config_error([] {
          gradlab::parse_config_text("{\n  \"seed\": 1,\n  \"kind\" \"x\"\n}", "c.json");
        }) ==
        "c.json:3:12: invalid JSON: syntax error while parsing object separator - unexpected "
        "string literal; expected ':'");
  CHECK(config_error([] {
          gradlab::parse_config_text("{\"optim\": {\"lr\": 1, \"lr\": 2}}", "c.json");
        }) == "c.json: invalid JSON: duplicate key optim.lr");
  CHECK(config_error([] { gradlab::parse_config_text("[1, 2]", "c.json"); }) ==
        "c.json: expected a JSON object at the top level, got the list [1,2]");
  // Arrays of objects may repeat keys across elements.
  CHECK_NOTHROW(gradlab::parse_config_text("{\"a\": [{\"k\": 1}, {\"k\": 2}]}"));

  const std::string path = "gradlab_test_config.json";
  {
    std::ofstream file(path);
    file << kDesignExample;
  }
  CHECK(gradlab::load_config_file(path) == gradlab::parse_config_text(kDesignExample));
  std::remove(path.c_str());
  try {
    gradlab::load_config_file("no/such/config.json");
    FAIL("expected an IOError");
  } catch (const gradlab::IOError& e) {
    CHECK(std::string(e.what()) ==
          "config file no/such/config.json: cannot open (No such file or directory)");
  }
}

TEST_CASE("config: schema invariants", "[config]") {
  using gradlab::KeySpec;
  using gradlab::ValueType;
  namespace config = gradlab::config;
  const auto& schema = gradlab::config_schema();
  const auto& index = config::schema_index();
  std::map<std::string, size_t> first_position;
  for (size_t i = 0; i < schema.keys.size(); ++i) first_position.emplace(schema.keys[i].path, i);

  for (size_t i = 0; i < schema.keys.size(); ++i) {
    const KeySpec& spec = schema.keys[i];
    INFO(spec.path);
    CHECK_FALSE(spec.doc.empty());
    CHECK_FALSE(index.is_section(spec.path));  // a path is a key or a section, not both
    // Defaults are valid values of their own key.
    if (!spec.default_value.is_null())
      CHECK_NOTHROW(config::check_value(spec, spec.default_value, spec.path));
    if (!spec.default_from.empty()) {
      REQUIRE(first_position.count(spec.default_from));
      CHECK(first_position[spec.default_from] < i);
    }
    if (spec.when.always()) {
      CHECK(index.specs.at(spec.path).size() == 1);  // an unconditional key has one spec
      continue;
    }
    // The discriminator comes first and every value is one of its choices.
    REQUIRE(first_position.count(spec.when.key));
    CHECK(first_position[spec.when.key] < first_position[spec.path]);
    for (const KeySpec* disc : index.specs.at(spec.when.key)) {
      for (const Json& value : spec.when.values) {
        CHECK(std::find(disc->choices.begin(), disc->choices.end(), value) != disc->choices.end());
      }
    }
    // Specs of one path: one discriminator, disjoint values.
    for (const KeySpec* other : index.specs.at(spec.path)) {
      if (other == &spec) continue;
      CHECK(other->when.key == spec.when.key);
      for (const Json& value : other->when.values) {
        CHECK(std::find(spec.when.values.begin(), spec.when.values.end(), value) ==
              spec.when.values.end());
      }
    }
  }
  for (const auto& group : schema.exactly_one_of) {
    for (const std::string& path : group) CHECK(index.is_key(path));
  }
}

TEST_CASE("config: schema_json describes every key", "[config]") {
  const Json schema = Json::parse(gradlab::schema_json().dump());  // survives a round trip
  std::map<std::string, Json> first;
  for (const Json& key : schema["keys"]) first.emplace(key["path"].get<std::string>(), key);
  REQUIRE(first.count("optim.lr"));
  CHECK(first["optim.lr"]["type"] == "number");
  CHECK(first["optim.lr"]["required"] == true);
  CHECK(first["optim.lr"]["min"] == 0.0);
  CHECK_FALSE(first["optim.lr"].contains("max"));  // infinite bounds are left out
  CHECK(first["model.widths"]["when"] == Json({{"key", "model.type"}, {"values", {"mlp"}}}));
  CHECK(first["train.batch_size"]["choices"] == Json::array({"full"}));
  CHECK(first["data.stride"]["default_from"] == "data.seq_len");
  CHECK(schema["exactly_one_of"] == Json::array({Json::array({"train.steps", "train.epochs"})}));
  CHECK(schema["sections"] ==
        Json::array({"catapult", "central_flow", "data", "mode_connectivity", "model", "optim",
                     "optim.schedule", "probe", "quadratic", "svm", "train"}));
  CHECK(schema["keys"].size() == gradlab::config_schema().keys.size());
}

TEST_CASE("config: docs/config.md carries the generated key reference", "[config]") {
  const std::string path = std::string(GRADLAB_SOURCE_DIR) + "/docs/config.md";
  std::ifstream file(path);
  REQUIRE(file.good());
  std::stringstream text;
  text << file.rdbuf();
  const std::string doc = text.str();
  const std::string begin = "<!-- BEGIN GENERATED KEY REFERENCE -->\n";
  const std::string end = "<!-- END GENERATED KEY REFERENCE -->";
  const size_t b = doc.find(begin), e = doc.find(end);
  REQUIRE(b != std::string::npos);
  REQUIRE(e != std::string::npos);
  const std::string generated = gradlab::schema_markdown();
  std::string current = doc.substr(b + begin.size(), e - b - begin.size());
  if (current != generated && std::getenv("GRADLAB_UPDATE_DOCS") != nullptr) {
    std::ofstream(path) << doc.substr(0, b + begin.size()) << generated << doc.substr(e);
    WARN("rewrote " << path);
    current = generated;
  } else {
    INFO("docs/config.md is out of date: rerun this test with GRADLAB_UPDATE_DOCS=1");
    CHECK(current == generated);
  }
  for (const gradlab::KeySpec& spec : gradlab::config_schema().keys) {
    INFO(spec.path);
    CHECK(current.find("`" + spec.path + "`") != std::string::npos);
  }
}

TEST_CASE("config: data defaults agree with the data loader's", "[config]") {
  // resolve_data_config (src/data) fills the data block itself; both must give the same.
  const std::vector<std::string> blocks = {
      R"({"source": "fashion_mnist"})",
      R"({"source": "fashion_mnist", "n_train": 2000, "classes": [0, 1], "seed": 3})",
      R"({"source": "cifar10", "path": "/c", "subset": "random", "label_noise": 0.2})",
      R"({"source": "npy", "x": "x.npy", "y": "y.npy", "x_test": "a.npy", "y_test": "b.npy"})",
      R"({"source": "text", "path": "t.txt", "seq_len": 16})",
      R"({"source": "text", "path": "t.txt", "seq_len": 16, "stride": 4})",
      R"({"source": "synthetic", "generator": "gaussian_mixture", "n_train": 10})",
      R"({"source": "synthetic", "generator": "linearly_separable", "n_train": 10})",
      R"({"source": "synthetic", "generator": "two_moons", "n_train": 10, "n_test": 5})",
      R"({"source": "synthetic", "generator": "circles", "n_train": 10})",
      R"({"source": "synthetic", "generator": "xor", "n_train": 10})",
      R"({"source": "synthetic", "generator": "spiral", "n_train": 10, "num_classes": 5})",
      R"({"source": "synthetic", "generator": "teacher_mlp", "n_train": 10})",
  };
  for (const std::string& block : blocks) {
    INFO(block);
    Json user = base_config();
    user["data"] = Json::parse(block);
    const Json resolved = resolve_config(user);
    CHECK(resolved["data"] == gradlab::resolve_data_config(user["data"]));
  }
}
