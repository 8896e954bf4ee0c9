// views.cpp — the typed views of gradlab/config_views.h, read from a resolved config.
//
// Each reader mirrors the schema's `when` conditions by hand (the momentum of rmsprop, the
// betas of adam/adamw/lamb ...) and reads each key that applies with a strict lookup: no
// default is written here. tests/config/test_config_views.cpp checks the two agree: for every
// optimizer, schedule and model type, a block with only its required keys, completed by the
// schema (the *_from_block functions), gives a view without error, and a resolved config
// missing one of those keys fails naming it.
#include "gradlab/config_views.h"

#include <string>
#include <utility>
#include <vector>

#include "config/config_internal.h"
#include "gradlab/error.h"

namespace gradlab {
namespace {

// One block of a resolved config ("optim", "optim.schedule", "model") and strict reads in it.
// Where a block comes from, for the message about a missing key.
enum class Origin { Resolved, Completed };

class Block {
 public:
  Block(const Json& json, std::string section, Origin origin = Origin::Resolved)
      : json_(json), section_(std::move(section)), origin_(origin) {
    if (!json_.is_object())
      fail<ConfigError>(section_, ": expected an object in the resolved config, got ",
                        config::describe_value(json_));
  }
  bool has(const char* key) const { return json_.contains(key); }
  const Json& at(const char* key) const {
    const auto it = json_.find(key);
    if (it == json_.end() && origin_ == Origin::Completed)
      fail<ConfigError>("missing key ", path(key), " (the schema has no default for it here)");
    if (it == json_.end())
      fail<ConfigError>("the resolved config has no ", path(key),
                        " (resolve_config fills every key that applies from the schema; a "
                        "config given to a run must be resolved first)");
    return *it;
  }
  template <class T>
  T get(const char* key) const {
    const Json& value = at(key);
    try {
      return value.get<T>();
    } catch (const nlohmann::json::exception&) {
      fail<ConfigError>(path(key), ": unexpected ", config::describe_value(value),
                        " in the resolved config");
    }
  }
  template <class T>
  std::optional<T> get_optional(const char* key) const {
    if (!has(key)) return std::nullopt;
    return get<T>(key);
  }
  // An IntOrString key whose string choice means "all" / "full" / "same": nullopt then.
  std::optional<int64_t> count_or_word(const char* key, const char* word) const {
    const Json& value = at(key);
    if (value.is_string() && value.get<std::string>() == word) return std::nullopt;
    return get<int64_t>(key);
  }
  Block block(const char* key) const { return Block(at(key), path(key), origin_); }
  std::string path(const char* key) const {
    return section_.empty() ? std::string(key) : section_ + "." + key;
  }

 private:
  const Json& json_;
  std::string section_;
  Origin origin_;
};

// `choices` maps the config's strings to enum values, in the schema's order.
template <class E, size_t N>
E choose(const Block& b, const char* key, const std::pair<const char*, E> (&choices)[N]) {
  const std::string name = b.get<std::string>(key);
  std::string expected;
  for (const auto& [word, value] : choices) {
    if (name == word) return value;
    expected += (expected.empty() ? "" : ", ") + std::string(word);
  }
  fail<ConfigError>(b.path(key), ": unknown value \"", name, "\" (expected ", expected, ")");
}

constexpr std::pair<const char*, OptimizerType> kOptimizers[] = {
    {"gd", OptimizerType::Gd},           {"sgd", OptimizerType::Sgd},
    {"momentum", OptimizerType::Momentum}, {"nesterov", OptimizerType::Nesterov},
    {"adam", OptimizerType::Adam},       {"adamw", OptimizerType::AdamW},
    {"rmsprop", OptimizerType::RmsProp}, {"lamb", OptimizerType::Lamb},
    {"gradient_flow", OptimizerType::GradientFlow},
    {"normalized_gd", OptimizerType::NormalizedGd}, {"lars", OptimizerType::Lars}};
constexpr std::pair<const char*, ModelType> kModels[] = {
    {"mlp", ModelType::Mlp},       {"cnn", ModelType::Cnn},
    {"vit", ModelType::Vit},       {"transformer_lm", ModelType::TransformerLm},
    {"lstm", ModelType::Lstm},     {"linear", ModelType::Linear},
    {"random_features", ModelType::RandomFeatures}, {"mamba", ModelType::Mamba}};
constexpr std::pair<const char*, Activation> kActivations[] = {
    {"relu", Activation::Relu}, {"tanh", Activation::Tanh},         {"elu", Activation::Elu},
    {"gelu", Activation::Gelu}, {"silu", Activation::Silu},         {"softplus", Activation::Softplus},
    {"identity", Activation::Identity}, {"quadratic", Activation::Quadratic}};

ScheduleConfig read_schedule(const Block& optim) {
  ScheduleConfig s;
  // optim.schedule.type has a default, so a resolved config always has the block.
  const Block b = optim.block("schedule");
  s.type = choose<ScheduleType>(b, "type",
                  {{"constant", ScheduleType::Constant}, {"step", ScheduleType::Step},
                   {"cosine", ScheduleType::Cosine}, {"warmup", ScheduleType::Warmup}});
  switch (s.type) {
    case ScheduleType::Constant: break;
    case ScheduleType::Step:
      s.step_size = b.get<int64_t>("step_size");
      s.gamma = b.get<double>("gamma");
      break;
    case ScheduleType::Cosine:
      s.min_lr = b.get<double>("min_lr");
      s.warmup_steps = b.get<int64_t>("warmup_steps");
      break;
    case ScheduleType::Warmup: s.warmup_steps = b.get<int64_t>("warmup_steps"); break;
  }
  return s;
}

OptimConfig read_optim(const Block& b) {
  using T = OptimizerType;
  OptimConfig c;
  c.type = choose(b, "type", kOptimizers);
  c.lr = b.get<double>("lr");
  const T t = c.type;
  const bool sgd_family = t == T::Gd || t == T::Sgd || t == T::Momentum || t == T::Nesterov;
  if (sgd_family || t == T::RmsProp || t == T::Lars) c.momentum = b.get<double>("momentum");
  if (t == T::Lars) c.trust_coefficient = b.get<double>("trust_coefficient");
  if (t == T::Nesterov) c.nesterov = true;  // the type implies it (the key does not apply)
  else if (sgd_family) c.nesterov = b.get<bool>("nesterov");
  if (t == T::Adam || t == T::AdamW || t == T::Lamb) {
    const std::vector<double> betas = b.get<std::vector<double>>("betas");
    if (betas.size() != 2)
      fail<ConfigError>(b.path("betas"), ": expected 2 numbers, got ", betas.size());
    c.betas = {betas[0], betas[1]};
    c.bias_correction = b.get<bool>("bias_correction");
  }
  if (t == T::Lamb) {
    if (auto clamp = b.get_optional<std::vector<double>>("trust_clamp")) {
      if (clamp->size() != 2)
        fail<ConfigError>(b.path("trust_clamp"), ": expected 2 numbers [lo, hi], got ",
                          clamp->size());
      c.trust_clamp = std::array<double, 2>{(*clamp)[0], (*clamp)[1]};
    }
  }
  if (t == T::RmsProp) c.alpha = b.get<double>("alpha");
  if (t == T::Adam || t == T::AdamW || t == T::RmsProp || t == T::Lamb) c.eps = b.get<double>("eps");
  if (t != T::GradientFlow && t != T::NormalizedGd) c.weight_decay = b.get<double>("weight_decay");
  if (t == T::GradientFlow) c.substeps = b.get<int64_t>("substeps");
  c.schedule = read_schedule(b);
  return c;
}

InitConfig read_init(const Block& b) {
  InitConfig init;
  init.mode = choose<InitMode>(b, "init",
                     {{"pytorch", InitMode::Pytorch}, {"normal", InitMode::Normal},
                      {"zeros", InitMode::Zeros}});
  init.scale = b.get<double>("init_scale");
  init.from = b.get_optional<std::string>("init_from");
  return init;
}

BlockConfig read_blocks(const Block& b) {
  return {b.get<int64_t>("dim"), b.get<int64_t>("depth"), b.get<int64_t>("heads"),
          b.get<double>("mlp_ratio")};
}

ModelConfig read_model(const Block& b) {
  ModelConfig m;
  m.type = choose(b, "type", kModels);
  m.init = read_init(b);
  switch (m.type) {
    case ModelType::Mlp:
      m.mlp.widths = b.get<std::vector<int64_t>>("widths");
      m.mlp.activation = choose(b, "activation", kActivations);
      m.mlp.bias = b.get<bool>("bias");
      break;
    case ModelType::Linear:  // an MLP without hidden layers: nothing to activate
      m.mlp.activation = Activation::Identity;
      m.mlp.bias = b.get<bool>("bias");
      break;
    case ModelType::Cnn: {
      CnnConfig& c = m.cnn;
      c.channels = b.get<std::vector<int64_t>>("channels");
      c.kernel = b.get<int64_t>("kernel");
      c.stride = b.get<int64_t>("stride");
      c.padding = b.count_or_word("padding", "same");
      c.pool = choose<PoolType>(b, "pool",
                      {{"max", PoolType::Max}, {"avg", PoolType::Avg}, {"none", PoolType::None}});
      if (b.has("preset"))
        c.preset = choose<CnnPreset>(b, "preset",
                          {{"cohen_cnn", CnnPreset::CohenCnn}, {"vgg_small", CnnPreset::VggSmall}});
      c.activation = choose(b, "activation", kActivations);
      c.bias = b.get<bool>("bias");
      break;
    }
    case ModelType::Vit:
      m.vit.patch = b.get<int64_t>("patch");
      m.vit.blocks = read_blocks(b);
      m.vit.pool = choose<VitPool>(b, "pool", {{"cls", VitPool::Cls}, {"mean", VitPool::Mean}});
      break;
    case ModelType::TransformerLm:
      m.transformer_lm.seq_len = b.get<int64_t>("seq_len");
      m.transformer_lm.blocks = read_blocks(b);
      m.transformer_lm.layer_norm = b.get<bool>("layer_norm");
      m.transformer_lm.relu = b.get<std::string>("activation") == "relu";
      m.transformer_lm.output_last = b.get<std::string>("output") == "last";
      break;
    case ModelType::Lstm:
      m.lstm.hidden = b.get<int64_t>("hidden");
      m.lstm.layers = b.get<int64_t>("layers");
      if (b.has("output"))
        m.lstm.output =
            choose<LstmOutput>(b, "output", {{"last", LstmOutput::Last}, {"sequence", LstmOutput::Sequence}});
      break;
    case ModelType::Mamba:
      m.mamba.d_model = b.get<int64_t>("d_model");
      m.mamba.n_layers = b.get<int64_t>("n_layers");
      m.mamba.d_state = b.get<int64_t>("d_state");
      m.mamba.expand = b.get<int64_t>("expand");
      m.mamba.d_conv = b.get<int64_t>("d_conv");
      m.mamba.dt_rank = b.get_optional<int64_t>("dt_rank");
      break;
    case ModelType::RandomFeatures: {
      RandomFeaturesConfig& r = m.random_features;
      r.n_features = b.get<int64_t>("n_features");
      r.features = choose<FeatureMap>(b, "features", {{"relu", FeatureMap::Relu}, {"fourier", FeatureMap::Fourier}});
      r.bandwidth = b.get_optional<double>("bandwidth");
      r.ridge = b.get<double>("ridge");
      r.activation = choose(b, "activation", kActivations);
      break;
    }
  }
  return m;
}

// The default of a key that applies to every config (one unconditional spec).
const Json& schema_default(const std::string& path) {
  const auto found = config::schema_index().specs.find(path);
  if (found == config::schema_index().specs.end() || found->second.size() != 1 ||
      !found->second.front()->when.always() || found->second.front()->default_value.is_null())
    fail<ConfigError>("schema: ", path, " has no single unconditional default");
  return found->second.front()->default_value;
}

const Json& section(const Json& resolved, const char* name) {
  if (!resolved.is_object() || !resolved.contains(name))
    fail<ConfigError>("the resolved config has no ", name, " block (this kind does not read it, ",
                      "or the config was not resolved)");
  return resolved[name];
}

// A lone block completed by the schema as it would be inside a config. `kind` is a training
// kind: the model keys apply to every kind that trains a model.
Json complete_block(const char* name, const Json& block, const char* kind) {
  if (!block.is_object())
    fail<ConfigError>(name, ": expected an object, got ", config::describe_value(block));
  Json config = {{name, block}};
  if (kind != nullptr) config["kind"] = kind;
  config::fill_defaults(config);
  return config;
}

}  // namespace

const char* optimizer_type_name(OptimizerType type) {
  for (const auto& [word, value] : kOptimizers)
    if (value == type) return word;
  return "?";
}

OptimizerType optimizer_type(const std::string& name) {
  return choose(Block(Json{{"type", name}}, "optim"), "type", kOptimizers);
}

const char* model_type_name(ModelType type) {
  for (const auto& [word, value] : kModels)
    if (value == type) return word;
  return "?";
}

Activation parse_activation(const std::string& name) {
  return choose(Block(Json{{"activation", name}}, "model"), "activation", kActivations);
}

RunConfig run_config(const Json& resolved) {
  const Block b(resolved, "");
  RunConfig r;
  r.kind = b.get<std::string>("kind");
  r.seed = b.get<uint64_t>("seed");
  // dtype and device apply only to the kinds that train tensors (gradlab/kind.h).
  if (config::applicable_spec(resolved, "dtype") != nullptr)
    r.dtype = choose<DType>(b, "dtype", {{"float32", DType::F32}, {"float64", DType::F64}});
  if (config::applicable_spec(resolved, "device") != nullptr)
    r.device = choose<DevicePreference>(b, "device",
                                        {{"cpu", DevicePreference::Cpu},
                                         {"cuda", DevicePreference::Cuda},
                                         {"auto", DevicePreference::Auto}});
  return r;
}

OptimConfig optim_config(const Json& resolved) {
  return read_optim(Block(section(resolved, "optim"), "optim"));
}

OptimConfig optim_config_from_block(const Json& optim_block) {
  const Json config = complete_block("optim", optim_block, nullptr);
  return read_optim(Block(config.at("optim"), "optim", Origin::Completed));
}

OptimConfig optim_config_of_resolved_block(const Json& optim_block) {
  return read_optim(Block(optim_block, "optim"));
}

TrainConfig train_config(const Json& resolved) {
  const Block b(section(resolved, "train"), "train");
  TrainConfig t;
  t.steps = b.get_optional<int64_t>("steps");
  t.epochs = b.get_optional<int64_t>("epochs");
  if (t.steps.has_value() == t.epochs.has_value())
    fail<ConfigError>("train: the resolved config must give exactly one of train.steps and "
                      "train.epochs");
  t.batch_size = b.count_or_word("batch_size", "full");
  t.log_every = b.get<int64_t>("log_every");
  t.log_time = b.get<bool>("log_time");
  t.checkpoint_every = b.get<int64_t>("checkpoint_every");
  // Read for its check (present, a number) like every key of the block; the runner takes its
  // value from runner_config, which is what uses it.
  (void)b.get<double>("checkpoint_seconds");
  // Keys of one kind: read where the schema applies them to this config's kind.
  if (config::applicable_spec(resolved, "train.fit_threshold") != nullptr)
    t.fit_threshold = b.get_optional<double>("fit_threshold");  // optional in the schema too
  if (config::applicable_spec(resolved, "train.interpolation_tol") != nullptr)
    t.interpolation_tol = b.get<double>("interpolation_tol");
  return t;
}

RunnerConfig runner_config(const Json& resolved) {
  // Strict where the key applies to the config's kind (then resolve_config filled it); the
  // schema's default where it does not (a kind with nothing to time or checkpoint).
  const auto read = [&](const char* path) -> Json {
    if (config::applicable_spec(resolved, path) == nullptr) return schema_default(path);
    const Json* value = config::find_path(resolved, path);
    if (value == nullptr)
      fail<ConfigError>("the resolved config has no ", path,
                        " (resolve_config fills every key that applies from the schema; a "
                        "config given to a run must be resolved first)");
    return *value;
  };
  try {
    return {read("train.log_time").get<bool>(), read("train.checkpoint_every").get<int64_t>(),
            read("train.checkpoint_seconds").get<double>()};
  } catch (const nlohmann::json::exception& e) {
    fail<ConfigError>("train.log_time / train.checkpoint_every / train.checkpoint_seconds in the "
                      "resolved config: ", e.what());
  }
}

ProbeConfig probe_config(const Json& resolved) {
  const Block b(section(resolved, "probe"), "probe");
  ProbeConfig p;
  p.sharpness_every = b.get<int64_t>("sharpness_every");
  p.top_k = b.get<int64_t>("top_k");
  p.lanczos_iters = b.get<int64_t>("lanczos_iters");
  p.probe_examples = b.count_or_word("probe_examples", "all");
  p.settle_steps = b.get<int64_t>("settle_steps");
  p.average_window = b.get<int64_t>("average_window");
  p.per_layer = b.get<bool>("per_layer");
  return p;
}

SvmConfig svm_config(const Json& resolved) {
  const Block b(section(resolved, "svm"), "svm");
  const auto applies = [&](const char* path) {
    return config::applicable_spec(resolved, path) != nullptr;
  };
  SvmConfig s;
  s.tol = b.get<double>("tol");
  if (applies("svm.kernel"))
    s.kernel = choose<SvmKernel>(
        b, "kernel", {{"linear", SvmKernel::Linear}, {"rbf", SvmKernel::Rbf}, {"poly", SvmKernel::Poly}});
  if (applies("svm.C")) {
    const Json& c = b.at("C");
    if (!c.is_string()) s.C = b.get<double>("C");  // the string choice is "inf"
  }
  if (applies("svm.gamma")) s.gamma = b.get<double>("gamma");
  if (applies("svm.degree")) s.degree = b.get<int64_t>("degree");
  if (applies("svm.coef0")) s.coef0 = b.get<double>("coef0");
  if (applies("svm.delta")) s.delta = b.get<double>("delta");
  return s;
}

QuadraticConfig quadratic_config(const Json& resolved) {
  const Block b(section(resolved, "quadratic"), "quadratic");
  return {b.get<std::vector<double>>("eigenvalues"), b.get<bool>("rotate"),
          b.get_optional<std::vector<double>>("x0")};
}

ModelConfig model_config(const Json& resolved) {
  return read_model(Block(section(resolved, "model"), "model"));
}

ModelConfig model_config_from_block(const Json& model_block) {
  const Json config = complete_block("model", model_block, "edge_of_stability");
  return read_model(Block(config.at("model"), "model", Origin::Completed));
}

ModelConfig model_config_of_resolved_block(const Json& model_block) {
  return read_model(Block(model_block, "model"));
}

}  // namespace gradlab
