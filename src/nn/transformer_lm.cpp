// transformer_lm: a causal decoder-only language model (GPT-style, Radford et al. 2018/2019).
//
// Token ids [N, T] (int64, T <= seq_len) are embedded, a learned position embedding is
// added, `depth` pre-norm blocks (nn/attention.h) attend only to the current and earlier
// positions, and a final LayerNorm + Linear head gives next-token logits [N, T, V].
// model.layer_norm = false leaves every LayerNorm out (no parameters), model.activation = relu
// puts ReLU in the blocks' MLP, and model.output = last keeps only the last position's logits
// [N, V]: together Nanda et al. 2023's one-layer grokking transformer, which reads the answer
// c = a + b mod p at the "=" of "a b =".
//
// Causal mask: the scores get 0 where key position <= query position and kMaskValue
// above the diagonal. A finite value rather than -inf because gradlab's where() is
// cond·a + (1 − cond)·b, so an infinity would turn into NaN; the PyTorch definition uses
// the same finite mask so both compute the same numbers. exp(-1e9 + O(1)) underflows to
// exactly 0 in float32 and float64, so masked keys get weight exactly 0 (and zero gradient).
// Legend: N = batch, T = tokens, D = dim, V = vocabulary.

#include "gradlab/ops.h"
#include "gradlab/text.h"
#include "nn/attention.h"
#include "nn/sequence_models.h"

namespace gradlab::nn_detail {
namespace {

constexpr double kMaskValue = -1e9;

class TransformerLm : public Model {
 public:
  TransformerLm(const InitConfig& init_cfg, const TransformerLmConfig& cfg, const ModelContext& ctx,
                Rng& rng) {
    Init init(init_cfg, rng, ctx.dtype, ctx.device);
    if (ctx.input_shape.size() != 1)
      fail<ConfigError>(
          "model.type transformer_lm needs token sequences [T] (data.source text), "
          "the data has shape ",
          shape_str(ctx.input_shape));
    if (ctx.vocab <= 0)
      fail<ConfigError>("model.type transformer_lm needs token ids (data.source text, or "
                        "modular with data.encoding tokens); the data gives float inputs of shape ",
                        shape_str(ctx.input_shape));
    seq_len_ = cfg.seq_len;  // resolve_config copies data.seq_len when the model leaves it out
    if (seq_len_ < 1) fail<ConfigError>("model.seq_len must be at least 1, got ", seq_len_);
    if (ctx.input_shape[0] > seq_len_)
      fail<ConfigError>("model.seq_len = ", seq_len_, " is shorter than the data's sequences (",
                        ctx.input_shape[0], " tokens, data.seq_len)");
    dims_ = block_dims(cfg.blocks, "transformer_lm");
    dims_.layer_norm = cfg.layer_norm;
    dims_.relu = cfg.relu;
    output_last_ = cfg.output_last;
    depth_ = cfg.blocks.depth;
    if (depth_ < 1) fail<ConfigError>("model.depth must be at least 1, got ", depth_);
    vocab_ = ctx.vocab > 0 ? ctx.vocab : ctx.output_dim;
    out_dim_ = ctx.output_dim;
    const int64_t d = dims_.dim;

    // state_dict order: Net's own parameter first, then its submodules in order.
    add_param("pos_embed", init.normal({1, seq_len_, d}, 0.02));   // [1, seq_len, D]
    add_param("tok_embed.weight", init.normal({vocab_, d}, 1.0));  // [V, D], nn.Embedding's N(0, 1)
    for (int64_t b = 0; b < depth_; ++b)
      add_block_params("blocks." + std::to_string(b) + ".", dims_, init,
                       [this](const std::string& name, Tensor v) { add_param(name, v); });
    if (dims_.layer_norm) {
      add_param("norm.weight", init.constant({d}, 1.0));
      add_param("norm.bias", init.constant({d}, 0.0));
    }
    add_param("head.weight", init.weight({out_dim_, d}, d));
    add_param("head.bias", init.bias({out_dim_}, d));
  }

  std::string type() const override { return "transformer_lm"; }

  Tensor forward(const TensorList& p, const Tensor& x, const ForwardOptions&) const override {
    require_token_input(x, "transformer_lm", "token ids [N, T]");
    if (x.dim() != 2 || x.size(1) < 1 || x.size(1) > seq_len_)
      fail<ShapeError>("transformer_lm: input ", x.shape_str(),
                       " is not [N, T] with 1 <= T <= ", seq_len_, " (model.seq_len)");
    const int64_t t = x.size(1);
    const Tensor& pos = p.at(0);
    const Tensor& tok = p.at(1);
    Tensor h = add(embedding(tok, x), slice(pos, 1, 0, t));  // [N, T, D]
    Tensor mask = causal_mask(t, pos.dtype(), pos.device());
    size_t k = 2;
    for (int64_t b = 0; b < depth_; ++b, k += block_param_count(dims_))
      h = transformer_block(p, k, dims_, h, mask);
    if (dims_.layer_norm) {
      h = layer_norm(h, {dims_.dim}, p.at(k), p.at(k + 1));
      k += 2;
    }
    // Causal attention: position T − 1 sees the whole sequence, so reading only it is a
    // sequence classifier; the head then runs on [N, D] alone.
    if (output_last_) h = squeeze(slice(h, 1, t - 1, t), 1);  // [N, D]
    return linear(h, p.at(k), p.at(k + 1));                 // [N, T, V] or [N, V]
  }

  std::string pytorch_definition() const override {
    const int64_t d = dims_.dim;
    TextBuilder os;
    os << torch_block_classes() << "\n\nclass Net(nn.Module):\n"
       << "    def __init__(self):\n        super().__init__()\n"
       << "        self.pos_embed = nn.Parameter(torch.zeros(1, " << seq_len_ << ", " << d << "))\n"
       << "        nn.init.normal_(self.pos_embed, std=0.02)\n"
       << "        self.tok_embed = nn.Embedding(" << vocab_ << ", " << d << ")\n"
       << "        self.blocks = nn.ModuleList([Block(" << d << ", " << dims_.heads << ", "
       << dims_.hidden << ", norm=" << (dims_.layer_norm ? "True" : "False") << ", act=\""
       << (dims_.relu ? "relu" : "gelu") << "\") for _ in range(" << depth_ << ")])\n"
       << "        self.norm = "
       << (dims_.layer_norm ? "nn.LayerNorm(" + std::to_string(d) + ")" : "nn.Identity()") << "\n"
       << "        self.head = nn.Linear(" << d << ", " << out_dim_ << ")\n"
       << "        # Causal mask: -1e9 above the diagonal (a future key), 0 elsewhere; not a\n"
       << "        # parameter and not saved in the state_dict.\n"
       << "        self.register_buffer(\"mask\", torch.full((" << seq_len_ << ", " << seq_len_
       << "), -1e9).triu(1), persistent=False)\n\n"
       << "    def forward(self, idx):\n"
       << "        t = idx.shape[1]\n"
       << "        x = self.tok_embed(idx) + self.pos_embed[:, :t]\n"
       << "        for block in self.blocks:\n"
       << "            x = block(x, self.mask[:t, :t])\n"
       << "        x = self.norm(x)\n"
       << (output_last_ ? "        return self.head(x[:, -1])\n" : "        return self.head(x)\n");
    return os.str();
  }

 private:
  // [T, T]: 0 on and below the diagonal, kMaskValue above it (key j > query i).
  static Tensor causal_mask(int64_t t, DType dtype, Device device) {
    std::vector<double> m(static_cast<size_t>(t * t), 0.0);
    for (int64_t i = 0; i < t; ++i)
      for (int64_t j = i + 1; j < t; ++j) m[static_cast<size_t>(i * t + j)] = kMaskValue;
    return from_vector(m, {t, t}, dtype, device);
  }

  int64_t seq_len_ = 0, depth_ = 2, vocab_ = 0, out_dim_ = 0;
  bool output_last_ = false;
  BlockDims dims_;
};

}  // namespace

std::unique_ptr<Model> make_transformer_lm(const InitConfig& init, const TransformerLmConfig& cfg,
                                           const ModelContext& ctx, Rng& rng) {
  return std::make_unique<TransformerLm>(init, cfg, ctx, rng);
}

}  // namespace gradlab::nn_detail
