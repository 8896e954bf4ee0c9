// Pre-norm transformer blocks shared by vit and transformer_lm (not public API).
//
// One block, in PyTorch terms (the source is torch_block_classes()):
//   x = x + attn(norm1(x), mask)      multi-head self-attention, q/k/v from one Linear
//   x = x + mlp(norm2(x))             Linear(dim, hidden) -> GELU (exact) -> Linear(hidden, dim)
// transformer_lm may leave the norms out (identity, no parameters) and use ReLU in the MLP:
// Nanda et al. 2023's grokking transformer has no LayerNorm and a ReLU MLP.
// Shapes: N = batch, T = tokens, D = dim, H = heads, Dh = D / H.
#pragma once

#include <functional>
#include <string>

#include "gradlab/nn.h"
#include "nn/models_internal.h"

namespace gradlab::nn_detail {

struct BlockDims {
  int64_t dim = 0;     // D
  int64_t heads = 0;   // H (divides D)
  int64_t hidden = 0;  // width of the block's MLP
  bool layer_norm = true;  // false: norm1 / norm2 are the identity and have no parameters
  bool relu = false;       // the MLP's nonlinearity: ReLU instead of exact GELU
};

// From model.dim / heads / mlp_ratio (ConfigError when heads does not divide dim).
BlockDims block_dims(const BlockConfig& cfg, const char* model);

// Parameters per block, in state_dict order: norm1.{weight,bias}, attn.qkv.{weight,bias},
// attn.proj.{weight,bias}, norm2.{weight,bias}, mlp.fc1.{weight,bias}, mlp.fc2.{weight,bias}
// (without layer norm the four norm tensors are absent: 8).
constexpr size_t kBlockParams = 12;
inline size_t block_param_count(const BlockDims& dims) { return dims.layer_norm ? 12 : 8; }

// Registers one block's parameters under `prefix` ("blocks.0.") through add_param, in
// state_dict order, initialised as PyTorch's defaults (Linear U(±1/√fan_in), LayerNorm 1/0).
using AddParam = std::function<void(const std::string& name, Tensor value)>;
void add_block_params(const std::string& prefix, const BlockDims& dims, Init& init,
                      const AddParam& add_param);

// Multi-head self-attention. x [N, T, D]; mask undefined or [T, T] added to the scores
// (0 where attending is allowed, a large negative number where not).
Tensor self_attention(const Tensor& x, const Tensor& qkv_weight, const Tensor& qkv_bias,
                      const Tensor& proj_weight, const Tensor& proj_bias, int64_t heads,
                      const Tensor& mask);

// One block applied to x [N, T, D] with the kBlockParams tensors starting at params[first].
Tensor transformer_block(const TensorList& params, size_t first, const BlockDims& dims,
                         const Tensor& x, const Tensor& mask);

// Python source of the Attention, MLP and Block modules the definitions above equal
// (assumes `import math`, `import torch`, `from torch import nn`). Block(dim, heads, hidden,
// norm=True, act="gelu") mirrors BlockDims' layer_norm and relu.
std::string torch_block_classes();

}  // namespace gradlab::nn_detail
