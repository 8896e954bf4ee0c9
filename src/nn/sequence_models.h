// Factories of the sequence and attention models (not public API); build_sequence_model
// in sequence_models.cpp dispatches to them.
#pragma once

#include <memory>

#include "gradlab/config_views.h"
#include "gradlab/nn.h"

namespace gradlab::nn_detail {

std::unique_ptr<Model> make_vit(const InitConfig& init, const VitConfig& cfg,
                                const ModelContext& ctx, Rng& rng);
std::unique_ptr<Model> make_transformer_lm(const InitConfig& init, const TransformerLmConfig& cfg,
                                           const ModelContext& ctx, Rng& rng);
std::unique_ptr<Model> make_lstm(const InitConfig& init, const LstmConfig& cfg,
                                 const ModelContext& ctx, Rng& rng);
std::unique_ptr<Model> make_mamba(const InitConfig& init, const MambaConfig& cfg,
                                  const ModelContext& ctx, Rng& rng);

// DTypeError unless x holds floats (the message names the model and what it expected).
void require_float_input(const Tensor& x, const char* model, const char* expected);
// DTypeError unless x holds int64 token ids.
void require_token_input(const Tensor& x, const char* model, const char* expected);

}  // namespace gradlab::nn_detail
