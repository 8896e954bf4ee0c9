// Shared pieces of the model implementations in src/nn (not public API).
#pragma once

#include <memory>
#include <string>

#include "gradlab/config_views.h"
#include "gradlab/nn.h"

namespace gradlab {
class Rng;

namespace nn_detail {

// model.activation: gradlab::Activation (gradlab/config_views.h).
Tensor activate(Activation a, const Tensor& x);
const char* torch_activation(Activation a);  // "nn.ReLU()", ...
// The Python class a torch_activation needs defined before `class Net` ("" for nn.* ones).
std::string torch_activation_class(Activation a);

// Parameter initialisation per model.init / model.init_scale (PyTorch defaults by default).
class Init {
 public:
  Init(const InitConfig& init, Rng& rng, DType dtype, Device device);
  Tensor weight(const Shape& shape, int64_t fan_in);  // Linear / Conv2d weight
  Tensor bias(const Shape& shape, int64_t fan_in);    // Linear / Conv2d bias
  Tensor constant(const Shape& shape, double value);  // LayerNorm weight/bias
  Tensor normal(const Shape& shape, double std);      // embeddings, tokens

 private:
  Rng& rng_;
  DType dtype_;
  Device device_;
  InitMode mode_;
  double scale_;
};

}  // namespace nn_detail

// vit, transformer_lm, lstm (src/nn/sequence_models.cpp); null for other types.
std::unique_ptr<Model> build_sequence_model(const ModelConfig& cfg, const ModelContext& ctx,
                                            Rng& rng);

}  // namespace gradlab
