// vit: a Vision Transformer (Dosovitskiy et al. 2021, "An Image is Worth 16x16 Words").
//
// Images [N, C, H, W] are cut into non-overlapping P x P patches by a Conv2d with stride P
// (the same as a Linear on flattened patches), giving L = (H/P)(W/P) tokens of width D.
// With pool "cls" a learned class token is prepended (L + 1 tokens) and its final state is
// the image summary; with pool "mean" the summary is the mean token. A learned position
// embedding is added, then `depth` pre-norm blocks (nn/attention.h), a final LayerNorm and
// a Linear head. Legend: N = batch, L = tokens, D = dim, K = outputs.

#include "gradlab/ops.h"
#include "gradlab/text.h"
#include "nn/attention.h"
#include "nn/sequence_models.h"

namespace gradlab::nn_detail {
namespace {

class Vit : public Model {
 public:
  Vit(const InitConfig& init_cfg, const VitConfig& cfg, const ModelContext& ctx, Rng& rng) {
    Init init(init_cfg, rng, ctx.dtype, ctx.device);
    if (ctx.input_shape.size() != 3)
      fail<ConfigError>("model.type vit needs image inputs [C, H, W], the data has shape ",
                        shape_str(ctx.input_shape));
    channels_ = ctx.input_shape[0];
    height_ = ctx.input_shape[1];
    width_ = ctx.input_shape[2];
    patch_ = cfg.patch;
    if (patch_ <= 0 || height_ % patch_ != 0 || width_ % patch_ != 0)
      fail<ConfigError>("model.patch = ", patch_, " must divide the image height and width (",
                        height_, " x ", width_, ")");
    dims_ = block_dims(cfg.blocks, "vit");
    depth_ = cfg.blocks.depth;
    if (depth_ < 1) fail<ConfigError>("model.depth must be at least 1, got ", depth_);
    cls_ = cfg.pool == VitPool::Cls;
    out_dim_ = ctx.output_dim;
    patches_ = (height_ / patch_) * (width_ / patch_);
    const int64_t d = dims_.dim, tokens = patches_ + (cls_ ? 1 : 0);

    // state_dict order: Net's own parameters first, then its submodules in order.
    if (cls_) add_param("cls_token", init.normal({1, 1, d}, 0.02));
    add_param("pos_embed", init.normal({1, tokens, d}, 0.02));  // [1, L(+1), D]
    const int64_t fan_in = channels_ * patch_ * patch_;
    add_param("patch_embed.weight", init.weight({d, channels_, patch_, patch_}, fan_in));
    add_param("patch_embed.bias", init.bias({d}, fan_in));
    for (int64_t b = 0; b < depth_; ++b)
      add_block_params("blocks." + std::to_string(b) + ".", dims_, init,
                       [this](const std::string& name, Tensor v) { add_param(name, v); });
    add_param("norm.weight", init.constant({d}, 1.0));
    add_param("norm.bias", init.constant({d}, 0.0));
    add_param("head.weight", init.weight({out_dim_, d}, d));
    add_param("head.bias", init.bias({out_dim_}, d));
  }

  std::string type() const override { return "vit"; }

  Tensor forward(const TensorList& p, const Tensor& x, const ForwardOptions&) const override {
    require_float_input(x, "vit", "images [N, C, H, W]");
    if (x.dim() != 4 || x.size(1) != channels_ || x.size(2) != height_ || x.size(3) != width_)
      fail<ShapeError>("vit: input ", x.shape_str(), " is not [N, ", channels_, ", ", height_, ", ",
                       width_, "] (the image size the model was built for)");
    const int64_t n = x.size(0), d = dims_.dim;
    size_t k = 0;
    Tensor cls = cls_ ? p.at(k++) : Tensor();
    const Tensor& pos = p.at(k++);
    const Tensor& patch_w = p.at(k++);
    const Tensor& patch_b = p.at(k++);
    Conv2dOptions opt{patch_, patch_, 0, 0};
    Tensor h = conv2d(x, patch_w, patch_b, opt);           // [N, D, H/P, W/P]
    h = transpose(flatten(h, 2), 1, 2);                    // [N, L, D]
    if (cls_) h = concat({expand(cls, {n, 1, d}), h}, 1);  // [N, L+1, D]
    h = add(h, pos);
    for (int64_t b = 0; b < depth_; ++b, k += kBlockParams)
      h = transformer_block(p, k, dims_, h, Tensor());
    h = layer_norm(h, {d}, p.at(k), p.at(k + 1));
    k += 2;
    // The summary [N, D]: the class token's final state, or the mean over tokens.
    Tensor summary = cls_ ? reshape(slice(h, 1, 0, 1), {n, d}) : mean(h, {1});
    return linear(summary, p.at(k), p.at(k + 1));
  }

  std::string pytorch_definition() const override {
    const int64_t d = dims_.dim, tokens = patches_ + (cls_ ? 1 : 0);
    TextBuilder os;
    os << torch_block_classes() << "\n\nclass Net(nn.Module):\n"
       << "    def __init__(self):\n        super().__init__()\n";
    if (cls_)
      os << "        self.cls_token = nn.Parameter(torch.zeros(1, 1, " << d << "))\n"
         << "        nn.init.normal_(self.cls_token, std=0.02)\n";
    os << "        self.pos_embed = nn.Parameter(torch.zeros(1, " << tokens << ", " << d << "))\n"
       << "        nn.init.normal_(self.pos_embed, std=0.02)\n"
       << "        self.patch_embed = nn.Conv2d(" << channels_ << ", " << d << ", " << patch_
       << ", stride=" << patch_ << ")\n"
       << "        self.blocks = nn.ModuleList([Block(" << d << ", " << dims_.heads << ", "
       << dims_.hidden << ") for _ in range(" << depth_ << ")])\n"
       << "        self.norm = nn.LayerNorm(" << d << ")\n"
       << "        self.head = nn.Linear(" << d << ", " << out_dim_ << ")\n\n"
       << "    def forward(self, x):\n"
       << "        x = self.patch_embed(x).flatten(2).transpose(1, 2)  # [n, tokens, dim]\n";
    if (cls_)
      os << "        x = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), x], dim=1)\n";
    os << "        x = x + self.pos_embed\n"
       << "        for block in self.blocks:\n            x = block(x)\n"
       << "        x = self.norm(x)\n"
       << (cls_ ? "        return self.head(x[:, 0])\n"
                : "        return self.head(x.mean(dim=1))\n");
    return os.str();
  }

 private:
  int64_t channels_ = 0, height_ = 0, width_ = 0, patch_ = 4, patches_ = 0, depth_ = 2;
  int64_t out_dim_ = 0;
  bool cls_ = true;
  BlockDims dims_;
};

}  // namespace

std::unique_ptr<Model> make_vit(const InitConfig& init, const VitConfig& cfg,
                                const ModelContext& ctx, Rng& rng) {
  return std::make_unique<Vit>(init, cfg, ctx, rng);
}

}  // namespace gradlab::nn_detail
