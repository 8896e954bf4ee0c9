// Pre-norm transformer blocks (Vaswani et al. 2017 attention; pre-norm placement as in
// GPT-2 and ViT): parameters, forward, and the PyTorch source they equal.
// Legend: N = batch, T = tokens, D = dim, H = heads, Dh = D / H.
#include "nn/attention.h"

#include <cmath>

#include "gradlab/ops.h"

namespace gradlab::nn_detail {

BlockDims block_dims(const BlockConfig& cfg, const char* model) {
  BlockDims d;
  d.dim = cfg.dim;
  d.heads = cfg.heads;
  const double ratio = cfg.mlp_ratio;
  if (d.dim <= 0 || d.heads <= 0)
    fail<ConfigError>("model.dim and model.heads must be positive for ", model, ", got dim ", d.dim,
                      " and heads ", d.heads);
  if (d.dim % d.heads != 0)
    fail<ConfigError>("model.heads = ", d.heads, " must divide model.dim = ", d.dim, " (", model,
                      ": each head gets dim / heads features)");
  // int(dim * mlp_ratio), as timm and most ViT code write it.
  d.hidden = static_cast<int64_t>(static_cast<double>(d.dim) * ratio);
  if (d.hidden < 1)
    fail<ConfigError>("model.mlp_ratio = ", ratio, " gives an MLP of width ", d.hidden,
                      " for model.dim = ", d.dim, " (", model, " needs at least 1)");
  return d;
}

void add_block_params(const std::string& prefix, const BlockDims& dims, Init& init,
                      const AddParam& add_param) {
  const int64_t d = dims.dim, h = dims.hidden;
  if (dims.layer_norm) {
    add_param(prefix + "norm1.weight", init.constant({d}, 1.0));
    add_param(prefix + "norm1.bias", init.constant({d}, 0.0));
  }
  add_param(prefix + "attn.qkv.weight", init.weight({3 * d, d}, d));  // [3D, D]
  add_param(prefix + "attn.qkv.bias", init.bias({3 * d}, d));
  add_param(prefix + "attn.proj.weight", init.weight({d, d}, d));
  add_param(prefix + "attn.proj.bias", init.bias({d}, d));
  if (dims.layer_norm) {
    add_param(prefix + "norm2.weight", init.constant({d}, 1.0));
    add_param(prefix + "norm2.bias", init.constant({d}, 0.0));
  }
  add_param(prefix + "mlp.fc1.weight", init.weight({h, d}, d));  // [hidden, D]
  add_param(prefix + "mlp.fc1.bias", init.bias({h}, d));
  add_param(prefix + "mlp.fc2.weight", init.weight({d, h}, h));  // [D, hidden]
  add_param(prefix + "mlp.fc2.bias", init.bias({d}, h));
}

Tensor self_attention(const Tensor& x, const Tensor& qkv_weight, const Tensor& qkv_bias,
                      const Tensor& proj_weight, const Tensor& proj_bias, int64_t heads,
                      const Tensor& mask) {
  const int64_t n = x.size(0), t = x.size(1), d = x.size(2), dh = d / heads;
  // [N, T, 3D] -> [N, T, 3, H, Dh] -> [3, N, H, T, Dh]: q, k, v per head.
  Tensor qkv =
      permute(reshape(linear(x, qkv_weight, qkv_bias), {n, t, 3, heads, dh}), {2, 0, 3, 1, 4});
  auto part = [&](int64_t i) { return squeeze(slice(qkv, 0, i, i + 1), 0); };  // [N, H, T, Dh]
  Tensor q = part(0), k = part(1), v = part(2);
  // Scaled dot-product scores softmax(q kᵀ / √Dh): [N, H, T, T].
  Tensor scores = div(matmul(q, transpose(k, -2, -1)), std::sqrt(static_cast<double>(dh)));
  if (mask.defined()) scores = add(scores, mask);
  Tensor y = matmul(softmax(scores, -1), v);   // [N, H, T, Dh]
  y = reshape(transpose(y, 1, 2), {n, t, d});  // heads side by side: [N, T, D]
  return linear(y, proj_weight, proj_bias);
}

Tensor transformer_block(const TensorList& p, size_t first, const BlockDims& dims, const Tensor& x,
                         const Tensor& mask) {
  auto at = [&](size_t i) -> const Tensor& { return p.at(first + i); };
  const Shape norm_shape{dims.dim};
  if (!dims.layer_norm) {  // the 8 tensors: attn.qkv, attn.proj, mlp.fc1, mlp.fc2 (weight, bias)
    Tensor out = add(x, self_attention(x, at(0), at(1), at(2), at(3), dims.heads, mask));
    Tensor pre = linear(out, at(4), at(5));
    return add(out, linear(dims.relu ? relu(pre) : gelu(pre), at(6), at(7)));
  }
  Tensor h = layer_norm(x, norm_shape, at(0), at(1));
  Tensor out = add(x, self_attention(h, at(2), at(3), at(4), at(5), dims.heads, mask));
  h = layer_norm(out, norm_shape, at(6), at(7));
  Tensor pre = linear(h, at(8), at(9));
  h = linear(dims.relu ? relu(pre) : gelu(pre), at(10), at(11));
  return add(out, h);
}

std::string torch_block_classes() {
  return R"PY(class Attention(nn.Module):
    # Multi-head self-attention: one Linear gives q, k, v; softmax(q k^T / sqrt(d_head) + mask) v.
    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x, mask=None):
        n, t, d = x.shape
        qkv = self.qkv(x).reshape(n, t, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]  # [n, heads, t, d_head]
        att = q @ k.transpose(-2, -1) / math.sqrt(d // self.heads)
        if mask is not None:
            att = att + mask
        y = att.softmax(dim=-1) @ v
        return self.proj(y.transpose(1, 2).reshape(n, t, d))


class MLP(nn.Module):
    def __init__(self, dim, hidden, act="gelu"):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.act = nn.ReLU() if act == "relu" else nn.GELU()  # GELU: the exact (erf) form
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


class Block(nn.Module):
    # Pre-norm residual block; norm=False: no LayerNorm (Identity has no parameters).
    def __init__(self, dim, heads, hidden, norm=True, act="gelu"):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim) if norm else nn.Identity()
        self.attn = Attention(dim, heads)
        self.norm2 = nn.LayerNorm(dim) if norm else nn.Identity()
        self.mlp = MLP(dim, hidden, act)

    def forward(self, x, mask=None):
        x = x + self.attn(self.norm1(x), mask)
        return x + self.mlp(self.norm2(x))
)PY";
}

}  // namespace gradlab::nn_detail
