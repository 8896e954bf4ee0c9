// Sequence and attention models — vit (vit.cpp), transformer_lm (transformer_lm.cpp), lstm
// (lstm.cpp), mamba (mamba.cpp) — their dispatch, shared input checks, and the model-type table for
// `gradlab list`.
#include "nn/sequence_models.h"

#include "gradlab/nn.h"
#include "nn/models_internal.h"

namespace gradlab {

namespace nn_detail {

void require_float_input(const Tensor& x, const char* model, const char* expected) {
  if (x.dtype() == DType::I64)
    fail<DTypeError>(model, ": input ", x.shape_str(), " is int64, expected ", expected,
                     " as float32/float64");
}

void require_token_input(const Tensor& x, const char* model, const char* expected) {
  if (x.dtype() != DType::I64)
    fail<DTypeError>(model, ": input ", x.shape_str(), " is ", dtype_name(x.dtype()), ", expected ",
                     expected, " as int64 (data.source text gives token ids)");
}

}  // namespace nn_detail

std::unique_ptr<Model> build_sequence_model(const ModelConfig& cfg, const ModelContext& ctx,
                                            Rng& rng) {
  switch (cfg.type) {
    case ModelType::Vit: return nn_detail::make_vit(cfg.init, cfg.vit, ctx, rng);
    case ModelType::TransformerLm:
      return nn_detail::make_transformer_lm(cfg.init, cfg.transformer_lm, ctx, rng);
    case ModelType::Lstm: return nn_detail::make_lstm(cfg.init, cfg.lstm, ctx, rng);
    case ModelType::Mamba: return nn_detail::make_mamba(cfg.init, cfg.mamba, ctx, rng);
    default: return nullptr;
  }
}

std::vector<std::pair<std::string, std::string>> model_types() {
  return {
      {"mlp", "fully connected: Linear layers with an activation between them"},
      {"linear", "a single Linear layer (logistic regression, SVM-style models)"},
      {"cnn", "Conv2d + activation (+ 2x2 pooling) blocks, then a Linear head"},
      {"vit", "Vision Transformer: patch embedding, pre-norm attention blocks, class-token head"},
      {"transformer_lm", "causal decoder-only transformer language model (next-token logits)"},
      {"lstm", "stacked LSTM (torch.nn.LSTM) over tokens, sequences or image rows; Linear head"},
      {"mamba", "selective state-space LM (Gu & Dao 2023): RMSNorm, conv + selective scan blocks"},
  };
}

}  // namespace gradlab
