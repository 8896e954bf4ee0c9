// schema.cpp — the keys of the experiment config that several kinds share (docs/design.md §3),
// one table; each kind's own keys (svm.*, quadratic.*, ...) are in its kind file
// (src/experiments/kinds/, gradlab/kind.h) and appended here.
//
// Each section is a plain function returning its KeySpecs; config_schema() concatenates
// them (no static registration: the core is a static library and the linker would drop
// unreferenced registrar objects). Adding a key is one line in its section, written with
// the small builder of gradlab/config_keys.h:
//
//   key("optim.lr", T::Number, required, "step size η").at_least(0),
//   key("optim.momentum", T::Number, 0.9, "...").in(0, 1).when("optim.type", {"momentum"}),
//
// Order matters: a discriminator (model.type) must come before the keys that depend on it
// (tests/config/test_config.cpp checks this and the other table invariants). A key applies
// only to the kinds that read its block (KeySpec::block, the first part of its path), so an
// svm_margin config holds data and svm and nothing else.
#include "gradlab/config_keys.h"
#include "gradlab/kind.h"

namespace gradlab {
namespace config::schema_tables {
namespace {

// ---- choices shared by several keys -----------------------------------------------------------

// The implemented kinds (gradlab/kind.h): a planned kind does not validate.
std::vector<Json> kind_names() {
  std::vector<Json> out;
  for (const Kind& kind : experiment_kind_table()) out.emplace_back(kind.name);
  return out;
}

const std::vector<Json> kActivations =
    names({"relu", "tanh", "elu", "gelu", "silu", "softplus", "identity", "quadratic"});
// normalized_gd: w ← w − η∇L/‖∇L‖, ‖∇L‖ over all parameters together (src/optim).
const std::vector<Json> kAllOptimizers =
    names({"gd", "sgd", "momentum", "nesterov", "adam", "adamw", "rmsprop", "lamb", "gradient_flow",
           "normalized_gd", "lars"});

// ---- sections ----------------------------------------------------------------------------------

std::vector<KeySpec> top_level_keys() {
  return {
      key("kind", T::String, required, "the experiment to run (the implemented kinds)")
          .one_of(kind_names())
          .any_kind(),
      key("seed", T::Int, 0, "seeds every random choice (data, initialisation, batches)")
          .at_least(0)
          .any_kind(),
      key("dtype", T::String, "float32", "floating-point type of parameters and activations")
          .one_of({"float32", "float64"}),
      key("device", T::String, "cpu", "where tensors live; auto = cuda when a GPU is present")
          .one_of({"cpu", "cuda", "auto"}),
      // Before data.*: nothing in data depends on it today, but a default may one day.
      key("loss", T::String, required,
          "training loss: mse = ½‖f(x) − y‖² summed over outputs, mean over examples; mse_mean "
          "= torch.nn.MSELoss; logistic, exponential, hinge, squared_hinge are binary (y = ±1)")
          .one_of({"mse", "mse_mean", "cross_entropy", "logistic", "exponential", "hinge",
                   "squared_hinge"}),
  };
}

std::vector<KeySpec> model_keys() {
  return {
      key("model.type", T::String, required, "the network (docs/models.md: its PyTorch definition)")
          .one_of({"mlp", "cnn", "vit", "transformer_lm", "lstm", "linear", "random_features",
                   "mamba"}),
      key("model.widths", T::IntList, required, "hidden layer widths; [] is a linear model")
          .at_least(1)
          .when("model.type", {"mlp"}),
      key("model.channels", T::IntList, Json::array({32, 32}),
          "output channels of each convolution")
          .at_least(1)
          .items(1)
          .when("model.type", {"cnn"}),
      key("model.kernel", T::Int, 3, "convolution kernel size")
          .at_least(1)
          .when("model.type", {"cnn"}),
      key("model.stride", T::Int, 1, "convolution stride").at_least(1).when("model.type", {"cnn"}),
      key("model.padding", T::IntOrString, "same",
          "zero padding of each convolution; \"same\" keeps the size at stride 1")
          .one_of({"same"})
          .at_least(0)
          .when("model.type", {"cnn"}),
      key("model.pool", T::String, "max", "2x2 pooling after each convolution")
          .one_of({"max", "avg", "none"})
          .when("model.type", {"cnn"}),
      key("model.preset", T::String, required,
          "a named stack that replaces channels and pool: cohen_cnn = [32, 32] each max-pooled "
          "(Cohen et al. 2021), vgg_small = 64-64-M-128-128-M-256-256-M")
          .one_of({"cohen_cnn", "vgg_small"})
          .optional()
          .when("model.type", {"cnn"}),
      key("model.activation", T::String, "relu", "nonlinearity between layers")
          .one_of(kActivations)
          .when("model.type", {"mlp", "cnn", "random_features"}),
      key("model.bias", T::Bool, true, "layers have bias terms")
          .when("model.type", {"mlp", "cnn", "linear"}),
      key("model.patch", T::Int, 4, "patch size (pixels per side)")
          .at_least(1)
          .when("model.type", {"vit"}),
      key("model.dim", T::Int, 64, "embedding width")
          .at_least(1)
          .when("model.type", {"vit", "transformer_lm"}),
      key("model.depth", T::Int, 2, "transformer blocks")
          .at_least(1)
          .when("model.type", {"vit", "transformer_lm"}),
      key("model.heads", T::Int, 4, "attention heads (must divide model.dim)")
          .at_least(1)
          .when("model.type", {"vit", "transformer_lm"}),
      key("model.mlp_ratio", T::Number, 4.0, "hidden width of each block's MLP / model.dim")
          .at_least(0)
          .when("model.type", {"vit", "transformer_lm"}),
      key("model.pool", T::String, "cls", "the image summary: the class token, or the mean token")
          .one_of({"cls", "mean"})
          .when("model.type", {"vit"}),
      key("model.layer_norm", T::Bool, true,
          "LayerNorm before attention, before the MLP and before the head; false removes them "
          "(and their parameters), as in Nanda et al. 2023's grokking transformer")
          .when("model.type", {"transformer_lm"}),
      key("model.activation", T::String, "gelu", "the blocks' MLP nonlinearity (exact GELU or ReLU)")
          .one_of({"gelu", "relu"})
          .when("model.type", {"transformer_lm"}),
      key("model.output", T::String, "sequence",
          "sequence = logits at every position [N, T, V] (next-token prediction); last = logits "
          "at the last position only [N, V] (a sequence classifier, e.g. \"a b =\" -> c)")
          .one_of({"sequence", "last"})
          .when("model.type", {"transformer_lm"}),
      key("model.seq_len", T::Int, required, "context length; default data.seq_len")
          .at_least(1)
          .default_from("data.seq_len")
          .when("model.type", {"transformer_lm"}),
      key("model.hidden", T::Int, 128, "hidden state size")
          .at_least(1)
          .when("model.type", {"lstm"}),
      key("model.layers", T::Int, 1, "stacked LSTM layers")
          .at_least(1)
          .when("model.type", {"lstm"}),
      key("model.output", T::String, required,
          "what the head reads: the last step (one output per sequence) or every step "
          "(outputs [N, T, K]); absent: sequence for token inputs (data.source text), else last")
          .one_of({"last", "sequence"})
          .optional()
          .when("model.type", {"lstm"}),
      // mamba (Gu & Dao 2023; src/nn/mamba.cpp): the reference implementation's names.
      key("model.d_model", T::Int, 16, "residual stream width D")
          .at_least(1)
          .when("model.type", {"mamba"}),
      key("model.n_layers", T::Int, 2, "residual mixer blocks")
          .at_least(1)
          .when("model.type", {"mamba"}),
      key("model.d_state", T::Int, 8, "state size N per channel of the selective scan")
          .at_least(1)
          .when("model.type", {"mamba"}),
      key("model.expand", T::Int, 2, "expansion E: the mixer has E·d_model channels")
          .at_least(1)
          .when("model.type", {"mamba"}),
      key("model.d_conv", T::Int, 4, "width of the causal depthwise convolution")
          .at_least(1)
          .when("model.type", {"mamba"}),
      key("model.dt_rank", T::Int, required, "rank of the Δ projection; absent: ⌈d_model/16⌉")
          .at_least(1)
          .optional()
          .when("model.type", {"mamba"}),
      key("model.n_features", T::Int, required,
          "random features (fixed first layer); the trained head is linear in them")
          .at_least(1)
          .when("model.type", {"random_features"}),
      key("model.features", T::String, "relu",
          "random feature map: relu = √(2/N)·max(0, vᵀx + b), b ~ N(0, 1); fourier = "
          "√(2/N)·cos(vᵀx + b), b ~ U[0, 2π); v ~ N(0, I/σ²) (docs/kinds/double_descent.md)")
          .one_of({"relu", "fourier"})
          .when("model.type", {"random_features"}),
      key("model.bandwidth", T::Number, required,
          "σ of the random directions v ~ N(0, I/σ²); absent: √(input size)")
          .at_least(0)
          .optional()
          .when("model.type", {"random_features"}),
      key("model.ridge", T::Number, 0.0,
          "ridge λ of the least-squares fit; 0 = minimum-norm interpolation past N = n")
          .at_least(0)
          .when("model.type", {"random_features"}),
      key("model.init", T::String, "pytorch",
          "pytorch = torch.nn's defaults (U(±1/√fan_in)); normal = N(0, 1/fan_in) weights and "
          "zero biases; zeros")
          .one_of({"pytorch", "normal", "zeros"}),
      key("model.init_scale", T::Number, 1.0,
          "multiplies every initial weight (lazy vs rich regime, Chizat et al. 2019)")
          .at_least(0),
      key("model.init_from", T::Path, required,
          "safetensors file of initial parameters (PyTorch state_dict names)")
          .optional(),
  };
}

std::vector<KeySpec> optim_keys() {
  // PyTorch's defaults for each optimizer, so a run can be replicated with torch.optim.
  return {
      key("optim.type", T::String, required,
          "gd = full-batch steps; gradient_flow integrates dθ/dt = -∇L with step optim.lr")
          .one_of(kAllOptimizers),
      key("optim.lr", T::Number, required, "learning rate η").at_least(0),
      key("optim.momentum", T::Number, 0.0, "heavy-ball coefficient β (PyTorch SGD convention)")
          .in(0, 1)
          .when("optim.type", {"gd", "sgd", "rmsprop"}),
      key("optim.momentum", T::Number, 0.9, "heavy-ball coefficient β (PyTorch SGD convention)")
          .in(0, 1)
          .when("optim.type", {"momentum", "nesterov", "lars"}),
      key("optim.nesterov", T::Bool, false, "Nesterov momentum (optim.type nesterov sets it)")
          .when("optim.type", {"gd", "sgd", "momentum"}),
      key("optim.betas", T::NumberList, Json::array({0.9, 0.999}),
          "decay rates of the first and second moment estimates")
          .in(0, 1)
          .items(2, 2)
          .when("optim.type", {"adam", "adamw", "lamb"}),
      key("optim.bias_correction", T::Bool, true,
          "divide m and v by 1 - β1ᵗ and 1 - β2ᵗ (false: the Adam of Cohen et al. 2022, "
          "whose preconditioner does not drift with t)")
          .when("optim.type", {"adam", "adamw", "lamb"}),
      key("optim.trust_clamp", T::NumberList, required,
          "LAMB's φ: the trust ratio uses clamp(‖x‖, lo, hi); absent: φ the identity")
          .at_least(0)
          .items(2, 2)
          .when("optim.type", {"lamb"})
          .optional(),
      key("optim.alpha", T::Number, 0.99, "decay rate of the squared-gradient average")
          .in(0, 1)
          .when("optim.type", {"rmsprop"}),
      key("optim.eps", T::Number, 1e-8, "added to the denominator")
          .at_least(0)
          .when("optim.type", {"adam", "adamw", "rmsprop"}),
      key("optim.eps", T::Number, 1e-6, "added to the denominator")
          .at_least(0)
          .when("optim.type", {"lamb"}),
      key("optim.weight_decay", T::Number, 0.0,
          "L2 penalty added to the gradient (adamw: decoupled decay)")
          .at_least(0)
          .when("optim.type",
                {"gd", "sgd", "momentum", "nesterov", "adam", "rmsprop", "lamb", "lars"}),
      key("optim.trust_coefficient", T::Number, 0.001,
          "LARS's η_trust: each tensor's local rate is η_trust·‖w‖/(‖g‖ + λ‖w‖)")
          .at_least(0)
          .when("optim.type", {"lars"}),
      key("optim.weight_decay", T::Number, 0.01, "decoupled weight decay (Loshchilov & Hutter)")
          .at_least(0)
          .when("optim.type", {"adamw"}),
      key("optim.substeps", T::Int, 4,
          "Runge–Kutta (RK4) substeps per step of length optim.lr; RK4 needs "
          "(lr / substeps) · sharpness < 2.785 to stay stable")
          .at_least(1)
          .when("optim.type", {"gradient_flow"}),
      key("optim.schedule.type", T::String, "constant",
          "learning-rate schedule: step multiplies by gamma every step_size steps, cosine "
          "anneals to min_lr over training, warmup ramps up linearly then stays")
          .one_of({"constant", "step", "cosine", "warmup"}),
      key("optim.schedule.step_size", T::Int, required, "steps between decays")
          .at_least(1)
          .when("optim.schedule.type", {"step"}),
      key("optim.schedule.gamma", T::Number, 0.1, "decay factor")
          .in(0, 1)
          .when("optim.schedule.type", {"step"}),
      key("optim.schedule.min_lr", T::Number, 0.0, "learning rate at the end")
          .at_least(0)
          .when("optim.schedule.type", {"cosine"}),
      key("optim.schedule.warmup_steps", T::Int, 0, "linear warm-up steps before the decay")
          .at_least(0)
          .when("optim.schedule.type", {"cosine"}),
      key("optim.schedule.warmup_steps", T::Int, required, "steps of the linear ramp from 0 to lr")
          .at_least(1)
          .when("optim.schedule.type", {"warmup"}),
  };
}

std::vector<KeySpec> train_keys() {
  return {
      key("train.steps", T::Int, required, "optimizer steps (give this or train.epochs)")
          .at_least(1)
          .optional(),
      key("train.epochs", T::Int, required, "passes over the training set (or train.steps)")
          .at_least(1)
          .optional(),
      key("train.batch_size", T::IntOrString, "full", "examples per step; \"full\" = all (GD)")
          .one_of({"full"})
          .at_least(1),
      key("train.log_every", T::Int, 10, "steps between metrics rows").at_least(1),
      key("train.log_time", T::Bool, true,
          "add wall time time_s to metrics rows; false makes metrics.jsonl byte-reproducible")
          .any_kind(),
      key("train.checkpoint_every", T::Int, 0,
          "steps between checkpoints; 0 = only at the end and on interrupt")
          .at_least(0)
          .any_kind(),
      key("train.checkpoint_seconds", T::Number, 60.0,
          "wall-time seconds between checkpoints (a SIGKILL loses at most this much); 0 = off")
          .at_least(0)
          .any_kind(),
  };
}

std::vector<KeySpec> probe_keys() {
  return {
      key("probe.sharpness_every", T::Int, 0,
          "steps between Hessian top-eigenvalue measurements (Lanczos); 0 = never")
          .at_least(0),
      key("probe.top_k", T::Int, 1, "Hessian eigenvalues reported (metrics key eigs)").at_least(1),
      key("probe.lanczos_iters", T::Int, 20, "Lanczos iterations (Hessian-vector products)")
          .at_least(1),
      key("probe.probe_examples", T::IntOrString, "all",
          "training examples the Hessian is measured on: the first n, or \"all\"")
          .one_of({"all"})
          .at_least(1),
      key("probe.settle_steps", T::Int, 300,
          "steps after the edge of stability is reached (sharpness ≥ 0.95·2/η) before the "
          "summary's post_eos_* sharpness / threshold ratios are taken (Cohen et al. 2021)")
          .at_least(0),
      key("probe.average_window", T::Int, 0,
          "also measure the top eigenvalue (sharpness_avg) and the loss (loss_avg) at the mean "
          "of the last W iterates, W <= sharpness_every; 0 = off. Where GD oscillates across a "
          "valley, the time-averaged path is what the central flow follows (Cohen et al. 2024), "
          "whose sharpness stays at 2/η even where the iterates' is above it")
          .at_least(0),
      key("probe.per_layer", T::Bool, false,
          "also measure each parameter tensor's own sharpness λmax(H_ℓℓ), the top eigenvalue of "
          "its diagonal Hessian block (Lanczos on HVPs restricted to that tensor; metrics key "
          "layer_sharpness, {state_dict name: value}): the per-layer smoothness Lᵢ that LAMB's "
          "analysis assumes (You et al. 2019). Costs one Lanczos run per tensor"),
  };
}

// Blocks whose contents resolve.cpp checks itself (their keys are key paths).
std::vector<KeySpec> meta_keys() {
  return {
      key("sweep", T::Object, required,
          "{\"key.path\": [values, ...]}: one run per combination (gradlab sweep)")
          .optional()
          .any_kind(),
      key("profiles", T::Object, required,
          "{\"name\": {\"key.path\": value}}: named overrides; the browser applies web, tests "
          "apply test")
          .optional()
          .any_kind(),
  };
}

ConfigSchema build_schema() {
  ConfigSchema schema;
  auto append = [&schema](std::vector<KeySpec> section) {
    for (KeySpec& spec : section) schema.keys.push_back(std::move(spec));
  };
  append(top_level_keys());
  append(data_keys());
  for (auto section : {model_keys, optim_keys, train_keys, probe_keys}) append(section());
  // Each kind's own keys (svm.*, quadratic.*, ...), after the shared ones they may depend on.
  for (const Kind& kind : experiment_kind_table())
    if (kind.keys != nullptr) append(kind.keys());
  append(meta_keys());
  schema.exactly_one_of = {{"train.steps", "train.epochs"}};
  return schema;
}

}  // namespace
}  // namespace config::schema_tables

const ConfigSchema& config_schema() {
  static const ConfigSchema schema = config::schema_tables::build_schema();
  return schema;
}

}  // namespace gradlab
