// test_config_views.cpp — the typed views of gradlab/config_views.h.
//
// The views read each key with a strict lookup and carry no defaults, so what they must agree
// with is the schema: (1) a block with only its required keys, completed by the schema, gives
// the schema's (= PyTorch's) defaults in the view, for every optimizer, schedule and model
// type; (2) every key of a resolved block is read: removing any one of them makes building
// the view fail with a ConfigError naming it (no silent default); (3) every example config
// under experiments/ resolves into views without error.
#include <algorithm>
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "config/config_internal.h"
#include "gradlab/config.h"
#include "gradlab/config_views.h"
#include "gradlab/error.h"

#if !defined(__EMSCRIPTEN__)
#include <filesystem>
#endif

using namespace gradlab;

namespace {

// A minimal training config on synthetic data: every block a view reads.
Json training_config(const Json& model, const Json& optim) {
  return {{"kind", "edge_of_stability"},
          {"loss", "mse"},
          {"data", {{"source", "synthetic"}, {"generator", "two_moons"}, {"n_train", 8}}},
          {"model", model},
          {"optim", optim},
          {"train", {{"steps", 3}}}};
}

// Removes each key of resolved[section] in turn and checks that `read` then fails naming it.
// The keys the schema lets stay absent (model.preset, ...) are the view's std::optionals.
template <class Read>
void check_every_key_is_read(const Json& resolved, const std::string& section, Read read) {
  REQUIRE(resolved.contains(section));
  REQUIRE_NOTHROW(read(resolved));
  const std::vector<std::string> optional = {"preset", "output", "bandwidth", "init_from"};
  for (const auto& item : resolved[section].items()) {
    if (std::find(optional.begin(), optional.end(), item.key()) != optional.end()) continue;
    Json broken = resolved;
    broken[section].erase(item.key());
    const std::string path = section + "." + item.key();
    INFO("without " << path);
    if (item.value().is_object()) {  // optim.schedule: its keys in turn
      for (const auto& inner : item.value().items()) {
        Json broken_inner = resolved;
        broken_inner[section][item.key()].erase(inner.key());
        INFO("without " << path << "." << inner.key());
        CHECK_THROWS_WITH(read(broken_inner), Catch::Contains(path + "." + inner.key()));
      }
    }
    CHECK_THROWS_AS(read(broken), ConfigError);
    CHECK_THROWS_WITH(read(broken), Catch::Contains(path));
  }
}

}  // namespace

TEST_CASE("config views: optimizer defaults come from the schema (PyTorch's)") {
  const auto from = [](const char* type) {
    return optim_config_from_block({{"type", type}, {"lr", 0.1}});
  };
  const OptimConfig gd = from("gd");
  CHECK(gd.type == OptimizerType::Gd);
  CHECK(gd.lr == 0.1);
  CHECK(gd.momentum == 0.0);
  CHECK_FALSE(gd.nesterov);
  CHECK(gd.weight_decay == 0.0);
  CHECK(gd.schedule.type == ScheduleType::Constant);
  CHECK(from("momentum").momentum == 0.9);
  const OptimConfig nesterov = from("nesterov");
  CHECK(nesterov.momentum == 0.9);
  CHECK(nesterov.nesterov);  // implied by the type
  const OptimConfig adam = from("adam");
  CHECK(adam.betas == std::array<double, 2>{0.9, 0.999});
  CHECK(adam.eps == 1e-8);
  CHECK(adam.weight_decay == 0.0);
  CHECK(from("adamw").weight_decay == 0.01);  // torch.optim.AdamW
  const OptimConfig rms = from("rmsprop");
  CHECK(rms.alpha == 0.99);
  CHECK(rms.eps == 1e-8);
  CHECK(rms.momentum == 0.0);
  CHECK(from("lamb").eps == 1e-6);
  CHECK(from("gradient_flow").substeps == 4);
  CHECK(from("normalized_gd").type == OptimizerType::NormalizedGd);
  // A given value wins over the default.
  CHECK(optim_config_from_block({{"type", "adam"}, {"lr", 1}, {"eps", 1e-3}}).eps == 1e-3);

  const auto schedule = [](const Json& s) {
    return optim_config_from_block({{"type", "gd"}, {"lr", 1}, {"schedule", s}}).schedule;
  };
  const ScheduleConfig step = schedule({{"type", "step"}, {"step_size", 5}});
  CHECK(step.type == ScheduleType::Step);
  CHECK(step.step_size == 5);
  CHECK(step.gamma == 0.1);
  const ScheduleConfig cosine = schedule({{"type", "cosine"}});
  CHECK(cosine.min_lr == 0.0);
  CHECK(cosine.warmup_steps == 0);
  CHECK(schedule({{"type", "warmup"}, {"warmup_steps", 7}}).warmup_steps == 7);
  // warmup_steps has no default for the warmup schedule: the message names it.
  CHECK_THROWS_WITH(schedule({{"type", "warmup"}}),
                    Catch::Contains("optim.schedule.warmup_steps"));
  CHECK_THROWS_WITH(optim_config_from_block({{"type", "adagrad"}, {"lr", 1}}),
                    Catch::Contains("optim.type") && Catch::Contains("adagrad"));
  CHECK(optimizer_type("rmsprop") == OptimizerType::RmsProp);
  CHECK(std::string(optimizer_type_name(OptimizerType::AdamW)) == "adamw");
}

TEST_CASE("config views: model defaults come from the schema") {
  const ModelConfig mlp = model_config_from_block({{"type", "mlp"}, {"widths", {3, 4}}});
  CHECK(mlp.type == ModelType::Mlp);
  CHECK(mlp.mlp.widths == std::vector<int64_t>{3, 4});
  CHECK(mlp.mlp.activation == Activation::Relu);
  CHECK(mlp.mlp.bias);
  CHECK(mlp.init.mode == InitMode::Pytorch);
  CHECK(mlp.init.scale == 1.0);
  CHECK_FALSE(mlp.init.from.has_value());

  const ModelConfig linear = model_config_from_block({{"type", "linear"}, {"bias", false}});
  CHECK(linear.mlp.widths.empty());
  CHECK(linear.mlp.activation == Activation::Identity);
  CHECK_FALSE(linear.mlp.bias);

  const CnnConfig cnn = model_config_from_block({{"type", "cnn"}}).cnn;
  CHECK(cnn.channels == std::vector<int64_t>{32, 32});
  CHECK(cnn.kernel == 3);
  CHECK(cnn.stride == 1);
  CHECK_FALSE(cnn.padding.has_value());  // "same"
  CHECK(cnn.pool == PoolType::Max);
  CHECK_FALSE(cnn.preset.has_value());
  const CnnConfig preset =
      model_config_from_block({{"type", "cnn"}, {"preset", "vgg_small"}, {"padding", 0}}).cnn;
  CHECK(preset.preset == CnnPreset::VggSmall);
  CHECK(preset.padding == 0);

  const VitConfig vit = model_config_from_block({{"type", "vit"}}).vit;
  CHECK(vit.patch == 4);
  CHECK(vit.blocks.dim == 64);
  CHECK(vit.blocks.depth == 2);
  CHECK(vit.blocks.heads == 4);
  CHECK(vit.blocks.mlp_ratio == 4.0);
  CHECK(vit.pool == VitPool::Cls);

  CHECK(model_config_from_block({{"type", "transformer_lm"}, {"seq_len", 9}}).transformer_lm.seq_len ==
        9);
  // Only data.seq_len can stand in for model.seq_len; a lone block must give it.
  CHECK_THROWS_WITH(model_config_from_block({{"type", "transformer_lm"}}),
                    Catch::Contains("model.seq_len"));

  const LstmConfig lstm = model_config_from_block({{"type", "lstm"}}).lstm;
  CHECK(lstm.hidden == 128);
  CHECK(lstm.layers == 1);
  CHECK_FALSE(lstm.output.has_value());

  const RandomFeaturesConfig rf =
      model_config_from_block({{"type", "random_features"}, {"n_features", 50}}).random_features;
  CHECK(rf.n_features == 50);
  CHECK(rf.features == FeatureMap::Relu);
  CHECK_FALSE(rf.bandwidth.has_value());
  CHECK(rf.ridge == 0.0);

  CHECK_THROWS_WITH(model_config_from_block({{"type", "mlp"}, {"widths", {2}}, {"activation", "swish"}}),
                    Catch::Contains("model.activation") && Catch::Contains("swish"));
  CHECK(parse_activation("gelu") == Activation::Gelu);
}

TEST_CASE("config views: every key of a resolved block is read, none defaulted") {
  for (const char* type : {"gd", "sgd", "momentum", "nesterov", "adam", "adamw", "rmsprop", "lamb",
                           "gradient_flow"}) {
    INFO("optim.type " << type);
    const Json resolved = resolve_config(
        training_config({{"type", "mlp"}, {"widths", {4}}}, {{"type", type}, {"lr", 0.1}}));
    check_every_key_is_read(resolved, "optim", optim_config);
  }
  for (const Json& s : {Json{{"type", "step"}, {"step_size", 2}}, Json{{"type", "cosine"}},
                        Json{{"type", "warmup"}, {"warmup_steps", 2}}}) {
    INFO("optim.schedule " << s.dump());
    const Json resolved = resolve_config(training_config(
        {{"type", "mlp"}, {"widths", {4}}}, {{"type", "gd"}, {"lr", 0.1}, {"schedule", s}}));
    check_every_key_is_read(resolved, "optim", optim_config);
  }
  const Json models[] = {
      {{"type", "mlp"}, {"widths", {4}}},
      {{"type", "linear"}},
      {{"type", "cnn"}, {"preset", "cohen_cnn"}},
      {{"type", "vit"}},
      {{"type", "transformer_lm"}, {"seq_len", 4}},
      {{"type", "lstm"}, {"output", "last"}},
      {{"type", "random_features"}, {"n_features", 10}, {"bandwidth", 2.0}},
  };
  for (const Json& model : models) {
    INFO("model " << model.dump());
    const Json resolved = resolve_config(training_config(model, {{"type", "gd"}, {"lr", 0.1}}));
    check_every_key_is_read(resolved, "model", model_config);
  }
  const Json resolved = resolve_config(
      training_config({{"type", "mlp"}, {"widths", {4}}}, {{"type", "gd"}, {"lr", 0.1}}));
  check_every_key_is_read(resolved, "train", train_config);
  check_every_key_is_read(resolved, "probe", probe_config);
  CHECK_THROWS_WITH(run_config(Json{{"kind", "edge_of_stability"}}), Catch::Contains("seed"));

  // An unresolved config is refused, naming the key and what to do.
  const Json user = training_config({{"type", "mlp"}, {"widths", {4}}}, {{"type", "adam"}, {"lr", 1}});
  CHECK_THROWS_WITH(optim_config(user), Catch::Contains("optim.betas") && Catch::Contains("resolve"));
  CHECK_THROWS_WITH(probe_config(user), Catch::Contains("no probe block"));
}

TEST_CASE("config views: train, probe, run and runner views of a resolved config") {
  Json user = training_config({{"type", "mlp"}, {"widths", {4}}}, {{"type", "gd"}, {"lr", 0.1}});
  user["train"] = {{"epochs", 2}, {"batch_size", 4}, {"log_time", false}};
  user["probe"] = {{"sharpness_every", 5}, {"probe_examples", 6}};
  user["dtype"] = "float64";
  user["device"] = "auto";
  const Json resolved = resolve_config(user);
  const TrainConfig train = train_config(resolved);
  CHECK_FALSE(train.steps.has_value());
  CHECK(train.epochs == 2);
  CHECK(train.batch_size == 4);
  CHECK(train.log_every == 10);
  CHECK_FALSE(train.log_time);
  CHECK(train.checkpoint_every == 0);
  CHECK_FALSE(train.fit_threshold.has_value());
  CHECK_FALSE(train.interpolation_tol.has_value());  // a double_descent key
  const ProbeConfig probe = probe_config(resolved);
  CHECK(probe.sharpness_every == 5);
  CHECK(probe.top_k == 1);
  CHECK(probe.lanczos_iters == 20);
  CHECK(probe.probe_examples == 6);
  CHECK(probe.settle_steps == 300);
  CHECK(probe.average_window == 0);
  const RunConfig run = run_config(resolved);
  CHECK(run.kind == "edge_of_stability");
  CHECK(run.seed == 0);
  CHECK(run.dtype == DType::F64);
  CHECK(run.device == DevicePreference::Auto);
  const RunnerConfig runner = runner_config(resolved);
  CHECK_FALSE(runner.log_time);
  CHECK(runner.checkpoint_every == 0);
  // "full" and "all" are nullopt.
  CHECK_FALSE(train_config(resolve_config(training_config(
                               {{"type", "mlp"}, {"widths", {4}}}, {{"type", "gd"}, {"lr", 0.1}})))
                  .batch_size.has_value());
  // A kind that does not train step by step still has both (resolve_config fills them).
  const Json svm = resolve_config({{"kind", "svm_margin"},
                                   {"data", {{"source", "points"},
                                             {"points", {{0, 1}, {1, 0}}},
                                             {"labels", {-1, 1}}}}});
  CHECK(runner_config(svm).log_time);
  CHECK(runner_config(svm).checkpoint_every == 0);
  Json broken = resolved;
  broken["train"].erase("log_time");
  CHECK_THROWS_WITH(runner_config(broken), Catch::Contains("train.log_time"));
}

TEST_CASE("config views: svm and quadratic blocks") {
  Json user = {{"kind", "svm_margin"},
               {"data", {{"source", "synthetic"}, {"generator", "two_moons"}, {"n_train", 8}}},
               {"svm", {{"kernel", "poly"}, {"C", 2.5}}}};
  const Json resolved = resolve_config(user);
  const SvmConfig svm = svm_config(resolved);
  CHECK(svm.kernel == SvmKernel::Poly);
  CHECK(svm.C == 2.5);
  CHECK(svm.gamma == 0.5);
  CHECK(svm.degree == 3);
  CHECK(svm.coef0 == 1.0);
  CHECK(svm.tol == 1e-6);
  CHECK(svm.delta == 0.05);
  check_every_key_is_read(resolved, "svm", svm_config);
  user["svm"] = {{"kernel", "linear"}};
  const SvmConfig hard = svm_config(resolve_config(user));
  CHECK_FALSE(hard.C.has_value());  // "inf"
  CHECK(hard.gamma == 0);           // does not apply to the linear kernel

  const Json quad = resolve_config({{"kind", "quadratic_gd"},
                                    {"quadratic", {{"eigenvalues", {1, 4}}}},
                                    {"optim", {{"type", "gd"}, {"lr", 0.1}}},
                                    {"train", {{"steps", 2}}}});
  const QuadraticConfig q = quadratic_config(quad);
  CHECK(q.eigenvalues == std::vector<double>{1, 4});
  CHECK_FALSE(q.rotate);
  CHECK_FALSE(q.x0.has_value());
  // quadratic_gd computes in double on the CPU: it reads neither dtype nor device.
  CHECK_FALSE(run_config(quad).dtype.has_value());
  CHECK_FALSE(run_config(quad).device.has_value());
  check_every_key_is_read(quad, "quadratic", quadratic_config);
}

#if !defined(__EMSCRIPTEN__)
// Native only: the WASM test build has no portable directory listing for experiments/.
TEST_CASE("config views: every example config resolves into its views") {
  namespace fs = std::filesystem;
  const fs::path root = fs::path(GRADLAB_SOURCE_DIR) / "experiments";
  int checked = 0;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (entry.path().extension() != ".json") continue;
    INFO(entry.path().string());
    for (const SweepPoint& point : expand_sweep(load_config_file(entry.path().string()))) {
      const Json& c = point.config;
      // A view of each block the config's kind reads (a key of it that applies to any kind
      // that reads the block tells which).
      const auto reads = [&](const char* path) {
        return gradlab::config::applicable_spec(c, path) != nullptr;
      };
      CHECK_NOTHROW(run_config(c));
      CHECK_NOTHROW(runner_config(c));
      if (reads("optim.type")) CHECK_NOTHROW(optim_config(c));
      if (reads("train.log_every")) CHECK_NOTHROW(train_config(c));
      if (reads("probe.top_k")) CHECK_NOTHROW(probe_config(c));
      if (reads("model.type")) CHECK_NOTHROW(model_config(c));
      if (reads("svm.tol")) CHECK_NOTHROW(svm_config(c));
      if (reads("quadratic.eigenvalues")) CHECK_NOTHROW(quadratic_config(c));
    }
    ++checked;
  }
  CHECK(checked >= 20);
}
#endif
