// gradlab/nn.h — models, built from the experiment config's `model` block.
//
// Every model is PyTorch-equivalent: the same layer order, parameter shapes, and
// state_dict names (`layers.0.weight`), so parameters exported as safetensors load
// into the PyTorch definition in docs/models.md and give the same outputs.
//
// Models are *functional*: forward takes the parameter list explicitly, so a loss can
// be written as a function of the parameters (what hvp()/Lanczos need) and the same
// model can be evaluated at perturbed parameters.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "gradlab/config_views.h"
#include "gradlab/tensor.h"

namespace gradlab {

class Rng;

struct ForwardOptions {
  bool training = false;   // dropout on/off
  Rng* dropout_rng = nullptr;
};

class Model {
 public:
  virtual ~Model() = default;
  virtual std::string type() const = 0;
  // x: a batch shaped [N, *input_shape] (tokens as int64 for sequence models). Output
  // [N, output_dim] (transformer_lm: [N, T, vocab]).
  virtual Tensor forward(const TensorList& params, const Tensor& x,
                         const ForwardOptions& options = {}) const = 0;
  Tensor forward(const Tensor& x) const { return forward(params_, x); }

  // Parameters in state_dict order, with their PyTorch names.
  TensorList& params() { return params_; }
  const TensorList& params() const { return params_; }
  const std::vector<std::string>& names() const { return names_; }
  int64_t num_params() const;
  // The PyTorch module definition this model equals (for docs and tests).
  virtual std::string pytorch_definition() const = 0;

 protected:
  // Registers a parameter (marks it requires_grad) and returns it.
  Tensor& add_param(const std::string& name, Tensor value);

 private:
  TensorList params_;
  std::vector<std::string> names_;
};

struct ModelContext {
  Shape input_shape;       // per example, e.g. {1, 28, 28}
  int64_t output_dim = 0;  // classes (or regression targets); vocab for language models
  DType dtype = DType::F32;
  Device device = Device::CPU;
  // Token inputs (data.source text): int64 ids in [0, vocab); 0 = float inputs.
  int64_t vocab = 0;
};

// Builds the model of the view (gradlab/config_views.h: model_config of the resolved config),
// initialised as PyTorch would (distributions, not streams: values come from rng).
// random_features is not built here (src/experiments/double_descent.cpp fits it itself).
std::unique_ptr<Model> build_model(const ModelConfig& cfg, const ModelContext& ctx, Rng& rng);
// The same from the model block of a *resolved* config (ConfigError naming a missing key).
// For src/experiments until it holds the views itself.
std::unique_ptr<Model> build_model(const nlohmann::json& resolved_model_block,
                                   const ModelContext& ctx, Rng& rng);

// The model types with a one-line description each (for `gradlab list`).
std::vector<std::pair<std::string, std::string>> model_types();

}  // namespace gradlab
