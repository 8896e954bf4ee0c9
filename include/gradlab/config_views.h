// gradlab/config_views.h — typed views of a resolved config: what each part of the lab reads.
//
// resolve_config (gradlab/config.h) fills every default from the one schema table
// (src/config/schema.cpp). The views below are built once from that resolved config and are
// what optimizers, models, the runner and the web session read: named fields, enums for the
// choices, std::optional where the schema lets a key stay absent. They never supply a default
// of their own. A key that applies but is missing from a resolved config is a bug, and
// building the view throws ConfigError naming the key ("resolved config has no optim.eps
// ..."), instead of silently using some value. So the schema is the only place a default is
// written down, and tests/config/test_config_defaults_scan.cpp fails if src/ (outside
// src/config) reads a config key with a literal default again.
//
// Ways to build a view:
//   optim_config(resolved)        the whole resolved config (what a run reads)
//   optim_config_from_block(b)    a lone block written by hand (tests, benchmarks): its
//                                 absent keys are filled with the schema's defaults first,
//                                 exactly as resolve_config would fill them.
//   optim_config_of_resolved_block(b)  the block of a resolved config, strictly (what the
//                                 Json overloads of build_optimizer / build_model use).
// The data block has its own typed resolution in gradlab/data.h (resolve_data_config).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "gradlab/tensor.h"

namespace gradlab {

// ---- top level --------------------------------------------------------------------------------

enum class DevicePreference { Cpu, Cuda, Auto };  // "device": auto = cuda when a GPU is present

struct RunConfig {
  std::string kind;
  uint64_t seed = 0;
  // nullopt where the kind does not read the key (it computes in double on the CPU).
  std::optional<DType> dtype;
  std::optional<DevicePreference> device;
};
RunConfig run_config(const nlohmann::json& resolved);

// ---- optim ------------------------------------------------------------------------------------

enum class OptimizerType {
  Gd, Sgd, Momentum, Nesterov, Adam, AdamW, RmsProp, Lamb, GradientFlow, NormalizedGd, Lars
};
// The config's name of each type ("adamw"); optimizer_type parses it (ConfigError otherwise).
const char* optimizer_type_name(OptimizerType type);
OptimizerType optimizer_type(const std::string& name);

enum class ScheduleType { Constant, Step, Cosine, Warmup };

// optim.schedule. Only the fields of `type` are read from the config; the others stay 0.
struct ScheduleConfig {
  ScheduleType type = ScheduleType::Constant;
  int64_t step_size = 0;     // step
  double gamma = 0;          // step
  double min_lr = 0;         // cosine
  int64_t warmup_steps = 0;  // cosine, warmup
};

// optim. Only the keys that apply to `type` are read (the schema's `when` conditions); the
// others stay 0 / false, which for the update rules means "not used".
struct OptimConfig {
  OptimizerType type = OptimizerType::Gd;
  double lr = 0;
  double momentum = 0;            // gd, sgd, momentum, nesterov, rmsprop
  bool nesterov = false;          // gd, sgd, momentum (key); nesterov (always)
  std::array<double, 2> betas{};  // adam, adamw, lamb
  double alpha = 0;               // rmsprop
  double eps = 0;                 // adam, adamw, rmsprop, lamb
  double weight_decay = 0;        // every type but gradient_flow and normalized_gd
  int64_t substeps = 0;           // gradient_flow
  bool bias_correction = true;    // adam, adamw, lamb
  double trust_coefficient = 0;   // lars
  std::optional<std::array<double, 2>> trust_clamp;  // lamb; nullopt: φ the identity
  ScheduleConfig schedule;
};
OptimConfig optim_config(const nlohmann::json& resolved);
OptimConfig optim_config_from_block(const nlohmann::json& optim_block);
// The optim block of a resolved config on its own, read as strictly as optim_config (for the
// Json overloads in gradlab/optim.h that src/experiments still calls).
OptimConfig optim_config_of_resolved_block(const nlohmann::json& optim_block);

// ---- train, probe -----------------------------------------------------------------------------

struct TrainConfig {
  std::optional<int64_t> steps;       // exactly one of steps and epochs is set
  std::optional<int64_t> epochs;
  std::optional<int64_t> batch_size;  // nullopt: "full" (every training example, i.e. GD)
  int64_t log_every = 0;
  bool log_time = false;              // time_s in metrics rows
  int64_t checkpoint_every = 0;       // 0: only at the end and on interrupt
  std::optional<double> fit_threshold;      // random_labels; nullopt: 100% train accuracy
  std::optional<double> interpolation_tol;  // double_descent only
};
TrainConfig train_config(const nlohmann::json& resolved);

// What the runner and the browser session read around any kind's steps: train.log_time and
// train.checkpoint_every (the schema's defaults where they do not apply to the kind).
struct RunnerConfig {
  bool log_time = false;
  int64_t checkpoint_every = 0;
  double checkpoint_seconds = 0;  // wall time between checkpoints; 0 = none by time
};
RunnerConfig runner_config(const nlohmann::json& resolved);

struct ProbeConfig {
  int64_t sharpness_every = 0;  // 0: never
  int64_t top_k = 0;
  int64_t lanczos_iters = 0;
  std::optional<int64_t> probe_examples;  // nullopt: "all"
  int64_t settle_steps = 0;
  int64_t average_window = 0;   // 0: off
  bool per_layer = false;       // λmax of each diagonal Hessian block (layer_sharpness)
};
ProbeConfig probe_config(const nlohmann::json& resolved);

// ---- svm, quadratic (kind-specific blocks) ---------------------------------------------------

enum class SvmKernel { Linear, Rbf, Poly };  // libsvm's definitions (docs/config.md)

// svm: svm_margin reads all of it; implicit_bias only tol. Fields that do not apply to the
// config's kind or kernel stay 0.
struct SvmConfig {
  SvmKernel kernel = SvmKernel::Linear;
  std::optional<double> C;  // nullopt: "inf", the hard margin
  double gamma = 0;         // rbf, poly
  int64_t degree = 0;       // poly
  double coef0 = 0;         // poly
  double tol = 0;
  double delta = 0;         // confidence of the margin bound (svm_margin)
};
SvmConfig svm_config(const nlohmann::json& resolved);

struct QuadraticConfig {
  std::vector<double> eigenvalues;
  bool rotate = false;
  std::optional<std::vector<double>> x0;  // nullopt: seeded N(0, 1) entries
};
QuadraticConfig quadratic_config(const nlohmann::json& resolved);

// ---- model ------------------------------------------------------------------------------------

enum class ModelType { Mlp, Cnn, Vit, TransformerLm, Lstm, Linear, RandomFeatures, Mamba };
const char* model_type_name(ModelType type);

// Quadratic: x ↦ x², the activation of Gromov 2023's grokking MLP.
enum class Activation { Relu, Tanh, Elu, Gelu, Silu, Softplus, Identity, Quadratic };
// "relu" → Activation::Relu; ConfigError naming model.activation otherwise.
Activation parse_activation(const std::string& name);

enum class InitMode { Pytorch, Normal, Zeros };

// model.init, model.init_scale, model.init_from (every model type).
struct InitConfig {
  InitMode mode = InitMode::Pytorch;
  double scale = 1;
  std::optional<std::string> from;  // safetensors file of initial parameters
};

struct MlpConfig {  // mlp, and linear (no widths, identity activation)
  std::vector<int64_t> widths;
  Activation activation = Activation::Identity;
  bool bias = false;
};

enum class PoolType { Max, Avg, None };
enum class CnnPreset { CohenCnn, VggSmall };

struct CnnConfig {
  std::vector<int64_t> channels;
  int64_t kernel = 0;
  int64_t stride = 0;
  std::optional<int64_t> padding;  // nullopt: "same" (kernel / 2)
  PoolType pool = PoolType::None;
  std::optional<CnnPreset> preset;  // replaces channels and pool
  Activation activation = Activation::Identity;
  bool bias = false;
};

// The pre-norm transformer blocks of vit and transformer_lm.
struct BlockConfig {
  int64_t dim = 0;
  int64_t depth = 0;
  int64_t heads = 0;
  double mlp_ratio = 0;
};

enum class VitPool { Cls, Mean };

struct VitConfig {
  int64_t patch = 0;
  BlockConfig blocks;
  VitPool pool = VitPool::Cls;
};

struct TransformerLmConfig {
  int64_t seq_len = 0;  // context length (positions); data.seq_len unless given
  BlockConfig blocks;
  bool layer_norm = true;    // false: no LayerNorm anywhere (Nanda et al. 2023)
  bool relu = false;         // the blocks' MLP: ReLU instead of GELU
  bool output_last = false;  // logits at the last position only, [N, V]
};

enum class LstmOutput { Last, Sequence };

struct LstmConfig {
  int64_t hidden = 0;
  int64_t layers = 0;
  std::optional<LstmOutput> output;  // nullopt: Sequence for token inputs, else Last
};

// Gu & Dao 2023's selective state-space LM (src/nn/mamba.cpp).
struct MambaConfig {
  int64_t d_model = 0;
  int64_t n_layers = 0;
  int64_t d_state = 0;  // N
  int64_t expand = 0;   // E: the mixer has E·d_model channels
  int64_t d_conv = 0;   // width of the causal depthwise convolution
  std::optional<int64_t> dt_rank;  // nullopt: ceil(d_model / 16)
};

enum class FeatureMap { Relu, Fourier };

struct RandomFeaturesConfig {
  int64_t n_features = 0;
  FeatureMap features = FeatureMap::Relu;
  std::optional<double> bandwidth;  // nullopt: √(input size)
  double ridge = 0;
  Activation activation = Activation::Identity;
};

// model: the type, the initialisation, and the fields of that one type (the other types'
// structs stay empty).
struct ModelConfig {
  ModelType type = ModelType::Mlp;
  InitConfig init;
  MlpConfig mlp;  // mlp and linear
  CnnConfig cnn;
  VitConfig vit;
  TransformerLmConfig transformer_lm;
  LstmConfig lstm;
  MambaConfig mamba;
  RandomFeaturesConfig random_features;
};
ModelConfig model_config(const nlohmann::json& resolved);
ModelConfig model_config_from_block(const nlohmann::json& model_block);
ModelConfig model_config_of_resolved_block(const nlohmann::json& model_block);

}  // namespace gradlab
