// lstm: stacked LSTM (Hochreiter & Schmidhuber 1997, with forget gate, Gers et al. 2000)
// equal to torch.nn.LSTM(batch_first=True): same gate order, parameter names and init.
//
// Per layer and step, with x_t the layer's input at time t and h_0 = c_0 = 0:
//   [i, f, g, o] = x_t W_ihᵀ + b_ih + h_{t-1} W_hhᵀ + b_hh        (4 chunks of H)
//   c_t = σ(f) ⊙ c_{t-1} + σ(i) ⊙ tanh(g),   h_t = σ(o) ⊙ tanh(c_t)
// Layer k > 0 reads layer k-1's h_1..h_T.
//
// Inputs become a sequence [N, T, F] as follows:
//   token ids [N, T] (int64, ctx.vocab > 0: data.source text) -> embed: Embedding(V, H)
//   float sequences [N, T, F]                                  -> as they are
//   images [N, C, H, W]                                        -> rows: T = H, F = C·W
//   float vectors [N, F]                                       -> T = F scalars, F = 1
// model.output: "last" = head(h_T) [N, K] (sequence classification), "sequence" =
// head(h_t) at every step [N, T, K] (a character LM). Default: sequence for token inputs,
// last otherwise. Legend: N = batch, T = steps, F = features, H = hidden, K = outputs.

#include "gradlab/ops.h"
#include "gradlab/text.h"
#include "nn/models_internal.h"
#include "nn/sequence_models.h"

namespace gradlab::nn_detail {
namespace {

enum class InputKind { Tokens, Sequence, Image, Vector };
enum class OutputKind { Last, Sequence };

class Lstm : public Model {
 public:
  Lstm(const InitConfig& init_cfg, const LstmConfig& cfg, const ModelContext& ctx, Rng& rng) {
    Init init(init_cfg, rng, ctx.dtype, ctx.device);
    hidden_ = cfg.hidden;
    layers_ = cfg.layers;
    if (hidden_ < 1 || layers_ < 1)
      fail<ConfigError>("model.hidden and model.layers must be at least 1 for lstm, got ", hidden_,
                        " and ", layers_);
    input_shape_ = ctx.input_shape;
    const size_t rank = input_shape_.size();
    if (ctx.vocab > 0) {
      if (rank != 1)
        fail<ConfigError>(
            "model.type lstm: token inputs must be sequences [T], the data has shape ",
            shape_str(input_shape_));
      input_ = InputKind::Tokens;
      vocab_ = ctx.vocab;
      features_ = hidden_;
    } else if (rank == 1) {
      input_ = InputKind::Vector;
      features_ = 1;
    } else if (rank == 2) {
      input_ = InputKind::Sequence;
      features_ = input_shape_[1];
    } else if (rank == 3) {
      input_ = InputKind::Image;
      features_ = input_shape_[0] * input_shape_[2];
    } else {
      fail<ConfigError>(
          "model.type lstm reads sequences [T, F], images [C, H, W], vectors [F] or "
          "token ids [T]; the data has shape ",
          shape_str(input_shape_));
    }
    // model.output absent: a character LM (token inputs) predicts at every step.
    const LstmOutput output =
        cfg.output ? *cfg.output
                   : (input_ == InputKind::Tokens ? LstmOutput::Sequence : LstmOutput::Last);
    output_ = output == LstmOutput::Last ? OutputKind::Last : OutputKind::Sequence;
    out_dim_ = ctx.output_dim;

    // state_dict order = module order: embed, lstm (per layer: w_ih, w_hh, b_ih, b_hh), head.
    if (input_ == InputKind::Tokens) add_param("embed.weight", init.normal({vocab_, hidden_}, 1.0));
    for (int64_t k = 0; k < layers_; ++k) {
      const std::string l = "_l" + std::to_string(k);
      const int64_t in = k == 0 ? features_ : hidden_;
      // nn.LSTM.reset_parameters: every weight and bias U(±1/√H).
      add_param("lstm.weight_ih" + l, init.weight({4 * hidden_, in}, hidden_));       // [4H, F]
      add_param("lstm.weight_hh" + l, init.weight({4 * hidden_, hidden_}, hidden_));  // [4H, H]
      add_param("lstm.bias_ih" + l, init.bias({4 * hidden_}, hidden_));
      add_param("lstm.bias_hh" + l, init.bias({4 * hidden_}, hidden_));
    }
    add_param("head.weight", init.weight({out_dim_, hidden_}, hidden_));
    add_param("head.bias", init.bias({out_dim_}, hidden_));
  }

  std::string type() const override { return "lstm"; }

  Tensor forward(const TensorList& p, const Tensor& x, const ForwardOptions&) const override {
    size_t k = 0;
    Tensor seq = to_sequence(x, input_ == InputKind::Tokens ? p.at(k++) : Tensor());  // [N, T, F]
    const int64_t n = seq.size(0), steps = seq.size(1), h4 = 4 * hidden_;
    Tensor h;
    for (int64_t layer = 0; layer < layers_; ++layer, k += 4) {
      const Tensor &w_ih = p.at(k), &w_hh = p.at(k + 1), &b_ih = p.at(k + 2), &b_hh = p.at(k + 3);
      // The input half of every step's gates at once: [N, T, 4H].
      Tensor input_gates = linear(seq, w_ih, b_ih);
      h = zeros({n, hidden_}, w_ih.dtype(), w_ih.device());  // [N, H]
      Tensor c = h;                                          // [N, H]
      const bool keep_all = layer + 1 < layers_ || output_ == OutputKind::Sequence;
      TensorList outputs;
      for (int64_t t = 0; t < steps; ++t) {
        Tensor gates = add(reshape(slice(input_gates, 1, t, t + 1), {n, h4}),
                           linear(h, w_hh, b_hh));  // [N, 4H]
        Tensor i = sigmoid(slice(gates, 1, 0, hidden_));
        Tensor f = sigmoid(slice(gates, 1, hidden_, 2 * hidden_));
        Tensor g = tanh(slice(gates, 1, 2 * hidden_, 3 * hidden_));
        Tensor o = sigmoid(slice(gates, 1, 3 * hidden_, h4));
        c = add(mul(f, c), mul(i, g));
        h = mul(o, tanh(c));
        if (keep_all) outputs.push_back(unsqueeze(h, 1));
      }
      if (keep_all) seq = concat(outputs, 1);  // [N, T, H]
    }
    const Tensor& head_w = p.at(k);
    const Tensor& head_b = p.at(k + 1);
    return output_ == OutputKind::Last ? linear(h, head_w, head_b)     // [N, K]
                                       : linear(seq, head_w, head_b);  // [N, T, K]
  }

  std::string pytorch_definition() const override {
    TextBuilder os;
    os << "class Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n";
    if (input_ == InputKind::Tokens)
      os << "        self.embed = nn.Embedding(" << vocab_ << ", " << hidden_ << ")\n";
    os << "        self.lstm = nn.LSTM(" << features_ << ", " << hidden_
       << ", num_layers=" << layers_ << ", batch_first=True)\n"
       << "        self.head = nn.Linear(" << hidden_ << ", " << out_dim_ << ")\n\n"
       << "    def forward(self, x):\n";
    switch (input_) {
      case InputKind::Tokens:
        os << "        x = self.embed(x)  # [n, t, hidden]\n";
        break;
      case InputKind::Image:
        os << "        x = x.permute(0, 2, 1, 3).flatten(2)  # image rows as steps: [n, h, c*w]\n";
        break;
      case InputKind::Vector:
        os << "        x = x.unsqueeze(-1)  # one scalar per step: [n, f, 1]\n";
        break;
      case InputKind::Sequence:
        break;
    }
    os << "        out, _ = self.lstm(x)  # [n, t, hidden]\n"
       << (output_ == OutputKind::Last ? "        return self.head(out[:, -1])\n"
                                       : "        return self.head(out)\n");
    return os.str();
  }

 private:
  // x as a float sequence [N, T, F] (embedding token ids with embed_weight).
  Tensor to_sequence(const Tensor& x, const Tensor& embed_weight) const {
    Shape expected{-1};
    expected.insert(expected.end(), input_shape_.begin(), input_shape_.end());
    bool ok = x.dim() == static_cast<int64_t>(expected.size());
    for (size_t a = 1; ok && a < expected.size(); ++a)
      ok = x.size(static_cast<int64_t>(a)) == expected[a];
    if (input_ == InputKind::Tokens) {
      require_token_input(x, "lstm", "token ids [N, T]");
      // Any length works for token ids: the model has no position-dependent parameters.
      if (x.dim() != 2 || x.size(1) < 1)
        fail<ShapeError>("lstm: input ", x.shape_str(), " is not token ids [N, T]");
      return embedding(embed_weight, x);
    }
    require_float_input(x, "lstm", "float sequences, images or vectors");
    if (!ok)
      fail<ShapeError>("lstm: input ", x.shape_str(), " is not [N, ",
                       shape_str(input_shape_).substr(1), " (the shape the model was built for)");
    const int64_t n = x.size(0);
    switch (input_) {
      case InputKind::Image:  // [N, C, H, W] -> [N, H, C, W] -> [N, H, C·W]
        return reshape(permute(x, {0, 2, 1, 3}), {n, input_shape_[1], features_});
      case InputKind::Vector:
        return unsqueeze(x, -1);  // [N, F, 1]
      default:
        return x;
    }
  }

  InputKind input_ = InputKind::Sequence;
  OutputKind output_ = OutputKind::Last;
  Shape input_shape_;
  int64_t hidden_ = 128, layers_ = 1, features_ = 0, vocab_ = 0, out_dim_ = 0;
};

}  // namespace

std::unique_ptr<Model> make_lstm(const InitConfig& init, const LstmConfig& cfg,
                                 const ModelContext& ctx, Rng& rng) {
  return std::make_unique<Lstm>(init, cfg, ctx, rng);
}

}  // namespace gradlab::nn_detail
