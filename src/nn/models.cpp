// Feed-forward models: mlp, linear, cnn (docs/models.md gives each as PyTorch code).
//
// Parameter names follow PyTorch's state_dict for a module whose body is
// `self.layers = nn.Sequential(...)`; the input is flattened in forward() (mlp, linear)
// so Sequential indices start at the first Linear: layers.0.weight, layers.0.bias,
// (layers.1 = activation), layers.2.weight, ...
#include <cmath>

#include "gradlab/nn.h"
#include "gradlab/ops.h"
#include "gradlab/rng.h"
#include "gradlab/text.h"
#include "nn/models_internal.h"

namespace gradlab {

int64_t Model::num_params() const {
  int64_t n = 0;
  for (const Tensor& p : params_) n += p.numel();
  return n;
}

Tensor& Model::add_param(const std::string& name, Tensor value) {
  value.requires_grad_(true);
  params_.push_back(value);
  names_.push_back(name);
  return params_.back();
}

namespace nn_detail {

Tensor activate(Activation a, const Tensor& x) {
  switch (a) {
    case Activation::Relu: return relu(x);
    case Activation::Tanh: return tanh(x);
    case Activation::Elu: return elu(x);
    case Activation::Gelu: return gelu(x);
    case Activation::Silu: return silu(x);
    case Activation::Softplus: return softplus(x);
    case Activation::Identity: return x;
    case Activation::Quadratic: return square(x);
  }
  return x;
}

const char* torch_activation(Activation a) {
  switch (a) {
    case Activation::Relu: return "nn.ReLU()";
    case Activation::Tanh: return "nn.Tanh()";
    case Activation::Elu: return "nn.ELU()";
    case Activation::Gelu: return "nn.GELU()";
    case Activation::Silu: return "nn.SiLU()";
    case Activation::Softplus: return "nn.Softplus()";
    case Activation::Identity: return "nn.Identity()";
    case Activation::Quadratic: return "Quadratic()";
  }
  return "";
}

std::string torch_activation_class(Activation a) {
  // PyTorch has no x² module; the definition carries its own.
  if (a != Activation::Quadratic) return "";
  return "class Quadratic(nn.Module):\n    def forward(self, x):\n        return x * x\n\n";
}

Init::Init(const InitConfig& init, Rng& rng, DType dtype, Device device)
    : rng_(rng), dtype_(dtype), device_(device), mode_(init.mode), scale_(init.scale) {}

// torch.nn.Linear/Conv2d reset_parameters: kaiming_uniform_(a=√5) gives
// U(±1/√fan_in) for weights, and biases are U(±1/√fan_in) too.
// "normal": N(0, 1/fan_in) weights, zero biases (the NTK-style scale).
Tensor Init::weight(const Shape& shape, int64_t fan_in) {
  double bound = 1.0 / std::sqrt(static_cast<double>(std::max<int64_t>(fan_in, 1)));
  Tensor t;
  if (mode_ == InitMode::Zeros) t = zeros(shape, dtype_, device_);
  else if (mode_ == InitMode::Normal) t = mul(randn(shape, rng_, dtype_, device_), bound);
  else t = rand_uniform(shape, -bound, bound, rng_, dtype_, device_);
  return scale_ == 1.0 ? t : mul(t, scale_);
}

Tensor Init::bias(const Shape& shape, int64_t fan_in) {
  double bound = 1.0 / std::sqrt(static_cast<double>(std::max<int64_t>(fan_in, 1)));
  Tensor t;
  if (mode_ == InitMode::Pytorch) t = rand_uniform(shape, -bound, bound, rng_, dtype_, device_);
  else t = zeros(shape, dtype_, device_);
  return scale_ == 1.0 ? t : mul(t, scale_);
}

Tensor Init::constant(const Shape& shape, double v) { return full(shape, v, dtype_, device_); }
Tensor Init::normal(const Shape& shape, double std) {
  return mul(randn(shape, rng_, dtype_, device_), std * scale_);
}

}  // namespace nn_detail

using namespace nn_detail;

namespace {

int64_t numel_of(const Shape& s) {
  int64_t n = 1;
  for (int64_t v : s) n *= v;
  return n;
}

// Fully connected: flatten, then Linear/activation pairs; the last Linear has no activation.
class Mlp : public Model {
 public:
  // linear: the view has no widths and the identity activation.
  Mlp(const InitConfig& init_cfg, const MlpConfig& cfg, const ModelContext& ctx, Rng& rng,
      const char* type)
      : type_(type), act_(cfg.activation), bias_(cfg.bias) {
    Init init(init_cfg, rng, ctx.dtype, ctx.device);
    const std::vector<int64_t>& widths = cfg.widths;
    dims_.push_back(numel_of(ctx.input_shape));
    for (int64_t w : widths) {
      if (w <= 0) fail<ConfigError>("model.widths: widths must be positive, got ", w);
      dims_.push_back(w);
    }
    dims_.push_back(ctx.output_dim);
    for (size_t l = 0; l + 1 < dims_.size(); ++l) {
      std::string base = "layers." + std::to_string(2 * l) + ".";
      add_param(base + "weight", init.weight({dims_[l + 1], dims_[l]}, dims_[l]));
      if (bias_) add_param(base + "bias", init.bias({dims_[l + 1]}, dims_[l]));
    }
  }
  std::string type() const override { return type_; }
  Tensor forward(const TensorList& p, const Tensor& x, const ForwardOptions&) const override {
    if (x.dim() < 1 || numel_of(Shape(x.shape().begin() + 1, x.shape().end())) != dims_[0])
      fail<ShapeError>(type_, ": input ", x.shape_str(), " does not have ", dims_[0],
                       " features per example");
    Tensor h = x.dim() == 2 ? x : flatten(x, 1);
    size_t k = 0;
    for (size_t l = 0; l + 1 < dims_.size(); ++l) {
      const Tensor& w = p.at(k++);
      Tensor b = bias_ ? p.at(k++) : Tensor();
      h = linear(h, w, b);
      if (l + 2 < dims_.size()) h = activate(act_, h);
    }
    return h;
  }
  std::string pytorch_definition() const override {
    TextBuilder os;
    os << torch_activation_class(act_) << "class Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
       << "        self.layers = nn.Sequential(\n";
    for (size_t l = 0; l + 1 < dims_.size(); ++l) {
      os << "            nn.Linear(" << dims_[l] << ", " << dims_[l + 1]
         << (bias_ ? "" : ", bias=False") << "),\n";
      if (l + 2 < dims_.size()) os << "            " << torch_activation(act_) << ",\n";
    }
    os << "        )\n    def forward(self, x):\n        return self.layers(x.flatten(1))\n";
    return os.str();
  }

 private:
  std::string type_;
  Activation act_;
  bool bias_;
  std::vector<int64_t> dims_;
};

// Convolutional: [Conv2d, activation, pool?] per entry of `channels`, then flatten and a
// Linear head. A pool entry is a 2x2 max/avg pooling (stride 2) after a convolution.
class Cnn : public Model {
 public:
  Cnn(const InitConfig& init_cfg, const CnnConfig& cfg, const ModelContext& ctx, Rng& rng) {
    Init init(init_cfg, rng, ctx.dtype, ctx.device);
    if (ctx.input_shape.size() != 3)
      fail<ConfigError>("model.type cnn needs image inputs [C, H, W], the data has shape ",
                        shape_str(ctx.input_shape));
    act_ = cfg.activation;
    bias_ = cfg.bias;
    kernel_ = cfg.kernel;
    stride_ = cfg.stride;
    PoolType pool = cfg.pool;
    std::vector<int64_t> channels = cfg.channels;
    std::vector<bool> pool_after(channels.size(), pool != PoolType::None);
    if (cfg.preset) apply_preset(*cfg.preset, channels, pool_after, pool);
    pool_max_ = pool == PoolType::Max;
    padding_ = cfg.padding ? *cfg.padding : kernel_ / 2;  // "same" at stride 1
    int64_t c = ctx.input_shape[0], h = ctx.input_shape[1], w = ctx.input_shape[2];
    int64_t index = 0;
    for (size_t i = 0; i < channels.size(); ++i) {
      Layer layer;
      layer.in = c;
      layer.out = channels[i];
      layer.index = index;
      std::string base = "layers." + std::to_string(index) + ".";
      int64_t fan_in = c * kernel_ * kernel_;
      add_param(base + "weight", init.weight({layer.out, c, kernel_, kernel_}, fan_in));
      if (bias_) add_param(base + "bias", init.bias({layer.out}, fan_in));
      h = (h + 2 * padding_ - kernel_) / stride_ + 1;
      w = (w + 2 * padding_ - kernel_) / stride_ + 1;
      index += 2;  // conv, activation
      layer.pool = pool_after[i] && pool != PoolType::None;
      if (layer.pool) {
        h /= 2;
        w /= 2;
        ++index;
      }
      if (h <= 0 || w <= 0)
        fail<ConfigError>("model: the cnn shrinks the ", shape_str(ctx.input_shape),
                          " input to nothing after convolution ", i,
                          " (fewer convolutions or pools, or more padding)");
      layers_.push_back(layer);
      c = layer.out;
    }
    flat_ = c * h * w;
    head_index_ = index + 1;  // nn.Flatten() sits at `index`
    std::string base = "layers." + std::to_string(head_index_) + ".";
    add_param(base + "weight", init.weight({ctx.output_dim, flat_}, flat_));
    if (bias_) add_param(base + "bias", init.bias({ctx.output_dim}, flat_));
    out_dim_ = ctx.output_dim;
  }
  std::string type() const override { return "cnn"; }
  Tensor forward(const TensorList& p, const Tensor& x, const ForwardOptions&) const override {
    if (x.dim() != 4 || x.size(1) != layers_.front().in)
      fail<ShapeError>("cnn: input ", x.shape_str(), " is not [N, ", layers_.front().in,
                       ", H, W]");
    Tensor h = x;
    size_t k = 0;
    Conv2dOptions opt{stride_, stride_, padding_, padding_};
    for (const Layer& layer : layers_) {
      const Tensor& w = p.at(k++);
      Tensor b = bias_ ? p.at(k++) : Tensor();
      h = activate(act_, conv2d(h, w, b, opt));
      if (layer.pool) h = pool_max_ ? max_pool2d(h, 2) : avg_pool2d(h, 2);
    }
    h = flatten(h, 1);
    const Tensor& w = p.at(k++);
    Tensor b = bias_ ? p.at(k++) : Tensor();
    return linear(h, w, b);
  }
  std::string pytorch_definition() const override {
    TextBuilder os;
    os << torch_activation_class(act_) << "class Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
       << "        self.layers = nn.Sequential(\n";
    for (const Layer& l : layers_) {
      os << "            nn.Conv2d(" << l.in << ", " << l.out << ", " << kernel_
         << ", stride=" << stride_ << ", padding=" << padding_ << (bias_ ? "" : ", bias=False")
         << "),\n            " << torch_activation(act_) << ",\n";
      if (l.pool) os << "            " << (pool_max_ ? "nn.MaxPool2d(2)" : "nn.AvgPool2d(2)") << ",\n";
    }
    os << "            nn.Flatten(),\n            nn.Linear(" << flat_ << ", " << out_dim_
       << (bias_ ? "" : ", bias=False") << "),\n        )\n"
       << "    def forward(self, x):\n        return self.layers(x)\n";
    return os.str();
  }

 private:
  struct Layer {
    int64_t in, out, index;
    bool pool;
  };
  // Cohen et al. 2021's conv nets: two 32-channel 3x3 convolutions, each followed by 2x2
  // max pooling. vgg_small: VGG-style blocks 64-64-M-128-128-M-256-256-M.
  static void apply_preset(CnnPreset preset, std::vector<int64_t>& channels,
                           std::vector<bool>& pool_after, PoolType& pool) {
    switch (preset) {
      case CnnPreset::CohenCnn:
        channels = {32, 32};
        pool_after = {true, true};
        break;
      case CnnPreset::VggSmall:
        channels = {64, 64, 128, 128, 256, 256};
        pool_after = {false, true, false, true, false, true};
        break;
    }
    pool = PoolType::Max;
  }
  Activation act_ = Activation::Relu;
  bool bias_ = true, pool_max_ = true;
  int64_t kernel_ = 3, stride_ = 1, padding_ = 1, flat_ = 0, head_index_ = 0, out_dim_ = 0;
  std::vector<Layer> layers_;
};

}  // namespace

std::unique_ptr<Model> build_model(const ModelConfig& cfg, const ModelContext& ctx, Rng& rng) {
  if (ctx.output_dim <= 0) fail<ConfigError>("model: the data set defines no outputs");
  if (cfg.type == ModelType::Mlp) return std::make_unique<Mlp>(cfg.init, cfg.mlp, ctx, rng, "mlp");
  if (cfg.type == ModelType::Linear)
    return std::make_unique<Mlp>(cfg.init, cfg.mlp, ctx, rng, "linear");
  if (cfg.type == ModelType::Cnn) return std::make_unique<Cnn>(cfg.init, cfg.cnn, ctx, rng);
  if (auto m = build_sequence_model(cfg, ctx, rng)) return m;
  fail<ConfigError>("model.type: \"", model_type_name(cfg.type), "\" cannot be built in this build (available: ",
                    [] {
                      std::string s;
                      for (auto& [n, d] : model_types()) s += (s.empty() ? "" : ", ") + n;
                      return s;
                    }(),
                    ")");
}

std::unique_ptr<Model> build_model(const nlohmann::json& resolved_model_block,
                                   const ModelContext& ctx, Rng& rng) {
  return build_model(model_config_of_resolved_block(resolved_model_block), ctx, rng);
}

}  // namespace gradlab
