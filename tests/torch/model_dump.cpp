// model_dump.cpp — gradlab's side of the model-equivalence check with PyTorch (native only).
//
// tests/python/test_models_torch.py runs
//
//   model_dump SPEC.json OUT.safetensors
//
// for every model type. This program builds the model from SPEC's model block with
// build_model (float64), draws an input batch, targets and a direction v from gradlab's
// RNG, and writes, as safetensors:
//   <state_dict name>     each parameter, in state_dict order (loadable with load_state_dict)
//   grad.<name>           ∂loss/∂parameter
//   v.<name>, hvp.<name>  a random direction and the exact Hessian-vector product (∇²loss) v
//   dump.input            the batch: float [N, *input_shape], or int64 token ids [N, T]
//   dump.output           the model's output
//   dump.target           int64 class ids (cross_entropy) or float targets shaped like the
//                         output (mse)
//   dump.loss             [1]
// and metadata: "type", "loss", "names" (a JSON list of the parameter names in order) and
// "pytorch_definition" (Model::pytorch_definition(): the Python source of class Net).
// Python rebuilds Net from that source, loads the parameters, and compares everything.
//
// SPEC.json: {"model": {...the config's model block...}, "input_shape": [...],
//             "output_dim": K, "vocab": V (token inputs; optional), "batch": N,
//             "loss": "cross_entropy" | "mse", "seed": S (optional)}
#include <cstdio>
#include <exception>
#include <iostream>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "gradlab/autograd.h"
#include "gradlab/loss.h"
#include "gradlab/nn.h"
#include "gradlab/ops.h"
#include "gradlab/rng.h"
#include "gradlab/safetensors.h"

using namespace gradlab;
using Json = nlohmann::json;

namespace {

// Uniform class ids in [0, k) shaped `shape`.
Tensor random_ids(const Shape& shape, int64_t k, Rng& rng) {
  std::vector<int64_t> ids(static_cast<size_t>(shape_numel(shape)));
  for (int64_t& id : ids) id = static_cast<int64_t>(rng.below(static_cast<uint64_t>(k)));
  return from_indices(ids, shape);
}

void dump(const Json& spec, const std::string& out_path) {
  ModelContext ctx;
  ctx.input_shape = spec.at("input_shape").get<Shape>();
  ctx.output_dim = spec.at("output_dim").get<int64_t>();
  ctx.vocab = spec.value("vocab", int64_t{0});
  ctx.dtype = DType::F64;
  const uint64_t seed = spec.value("seed", uint64_t{0});
  Rng init_rng(seed, 1), data_rng(seed, 2);
  // A hand-written model block: the schema fills what it leaves out, as resolve_config would.
  std::unique_ptr<Model> model = build_model(model_config_from_block(spec.at("model")), ctx, init_rng);

  const int64_t n = spec.at("batch").get<int64_t>();
  Shape input_shape{n};
  input_shape.insert(input_shape.end(), ctx.input_shape.begin(), ctx.input_shape.end());
  Tensor x = ctx.vocab > 0 ? random_ids(input_shape, ctx.vocab, data_rng)
                           : randn(input_shape, data_rng, DType::F64);

  const std::string loss_name = spec.at("loss").get<std::string>();
  const LossKind kind = parse_loss(loss_name);
  Tensor output = model->forward(x);
  Targets targets;
  Tensor target;
  if (kind == LossKind::CrossEntropy) {
    Shape label_shape(output.shape().begin(), output.shape().end() - 1);  // [N] or [N, T]
    targets.index = target = random_ids(label_shape, output.shape().back(), data_rng);
  } else {
    targets.dense = target = randn(output.shape(), data_rng, DType::F64);
  }
  LossFn loss_fn = [&](const TensorList& p) {
    return compute_loss(kind, model->forward(p, x), targets);
  };
  const TensorList& params = model->params();
  Tensor loss = loss_fn(params);
  TensorList grads = grad(loss, params);
  TensorList v;
  for (const Tensor& p : params) v.push_back(randn(p.shape(), data_rng, DType::F64));
  TensorList hv = hvp(loss_fn, params, v);

  std::vector<std::pair<std::string, Tensor>> tensors;
  const std::vector<std::string>& names = model->names();
  for (size_t i = 0; i < params.size(); ++i) tensors.emplace_back(names[i], params[i].detach());
  for (size_t i = 0; i < params.size(); ++i) tensors.emplace_back("grad." + names[i], grads[i]);
  for (size_t i = 0; i < params.size(); ++i) tensors.emplace_back("v." + names[i], v[i]);
  for (size_t i = 0; i < params.size(); ++i) tensors.emplace_back("hvp." + names[i], hv[i]);
  tensors.emplace_back("dump.input", x);
  tensors.emplace_back("dump.output", output.detach());
  tensors.emplace_back("dump.target", target);
  tensors.emplace_back("dump.loss", reshape(loss.detach(), {1}));
  std::map<std::string, std::string> metadata = {
      {"type", model->type()},
      {"loss", loss_name},
      {"names", Json(names).dump()},
      {"pytorch_definition", model->pytorch_definition()}};
  save_safetensors(out_path, tensors, metadata);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: model_dump SPEC.json OUT.safetensors\n";
    return 2;
  }
  try {
    dump(Json::parse(read_file(argv[1])), argv[2]);
  } catch (const std::exception& e) {
    std::cerr << "model_dump: " << e.what() << "\n";
    return 2;
  }
  return 0;
}
