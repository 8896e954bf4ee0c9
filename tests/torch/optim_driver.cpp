// optim_driver.cpp — gradlab's side of the torch.optim parity check (native only).
//
// tests/python/test_optim_torch.py draws a small MLP's parameters and a batch (float64),
// writes them with an optimizer config to a JSON file, and runs
//
//   optim_driver IN.json OUT.json
//
// For each case this program trains the MLP for `steps` steps exactly as an experiment does
// (src/experiments/training.cpp): gradient of the loss at the current parameters, learning
// rate from scheduled_lr(optim, t, total_steps), then Optimizer::step under no_grad. It
// writes the learning rate, the loss and every parameter after each step; Python runs the
// same loop with torch.optim (and torch.optim.lr_scheduler) and compares. The gradients are
// recomputed at every step, so a wrong update in step 1 shows up in every later step too.
// The same cases check the losses (compute_loss) against their PyTorch expressions.
// Each "schedules" entry asks only for scheduled_lr over t = 0 .. total_steps − 1.
//
// JSON numbers carry float64 exactly both ways (see torch_ref_driver.cpp).
//
// IN.json:  {"cases": [{"name": str, "optim": {optim block}, "steps": int,
//                       "total_steps": int (schedule horizon; default steps),
//                       "activation": "tanh" | "relu" | "gelu", "loss": any config loss name,
//                       "params": [{"name": "layers.{2i}.weight|bias", "shape", "data"}],
//                       "x": {"shape": [N, in], "data"},
//                       "y": {"shape": [N, out], "data"} (dense targets: mse, mse_mean) and/or
//                       "labels": {"shape": [N], "labels": [class ids]} (the other losses)}],
//            "schedules": [{"name": str, "optim": {optim block}, "total_steps": int}]}
// OUT.json: {"cases": [{"name", "lr": [per step], "loss": [per step, before the update],
//                       "params": [per step: [flat row-major values per parameter]]}],
//            "schedules": [{"name", "lr": [per t]}]}
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "gradlab/autograd.h"
#include "gradlab/config_views.h"
#include "gradlab/error.h"
#include "gradlab/loss.h"
#include "gradlab/ops.h"
#include "gradlab/optim.h"
#include "gradlab/tensor.h"

using namespace gradlab;
using json = nlohmann::json;

namespace {

Tensor read_tensor(const json& j) {
  return from_vector(j.at("data").get<std::vector<double>>(), j.at("shape").get<Shape>(),
                     DType::F64);
}

Tensor activate(const std::string& name, const Tensor& h) {
  if (name == "tanh") return tanh(h);
  if (name == "relu") return relu(h);
  if (name == "gelu") return gelu(h);
  throw ValueError("optim_driver: unknown activation '" + name + "'");
}

// The MLP of PyTorch's nn.Sequential(Linear, act, Linear, act, ..., Linear): parameters
// layers.{2i}.weight [out, in] and layers.{2i}.bias [out], in that order in the file.
// x [N, in] -> [N, out].
Tensor mlp_forward(const TensorList& params, const Tensor& x, const std::string& activation) {
  if (params.size() % 2 != 0) throw ValueError("optim_driver: expected (weight, bias) pairs");
  Tensor h = x;
  for (size_t l = 0; l < params.size(); l += 2) {
    h = linear(h, params[l], params[l + 1]);
    if (l + 2 < params.size()) h = activate(activation, h);
  }
  return h;
}

json run_case(const json& c) {
  const std::string name = c.at("name").get<std::string>();
  // A hand-written optim block: the schema fills what it leaves out, as resolve_config would.
  const OptimConfig optim = optim_config_from_block(c.at("optim"));
  const int64_t steps = c.at("steps").get<int64_t>();
  const int64_t total = c.value("total_steps", steps);
  const std::string activation = c.value("activation", "tanh");
  const LossKind loss_kind = parse_loss(c.value("loss", "mse"));

  TensorList params;
  for (const json& p : c.at("params")) {
    Tensor t = read_tensor(p);
    t.requires_grad_();
    params.push_back(t);
  }
  const Tensor x = read_tensor(c.at("x"));  // [N, in]
  Targets targets;
  if (c.contains("y")) targets.dense = read_tensor(c["y"]);  // [N, out]
  if (c.contains("labels"))                                  // [N] class ids
    targets.index = from_indices(c["labels"].at("labels").get<std::vector<int64_t>>(),
                                 c["labels"].at("shape").get<Shape>());

  std::unique_ptr<Optimizer> optimizer = build_optimizer(optim);
  json out = {
      {"name", name}, {"lr", json::array()}, {"loss", json::array()}, {"params", json::array()}};
  for (int64_t t = 0; t < steps; ++t) {
    Tensor loss = compute_loss(loss_kind, mlp_forward(params, x, activation), targets);
    TensorList grads = grad(loss, params);
    const double lr = scheduled_lr(optim, t, total);
    {
      NoGradGuard no_grad;
      optimizer->step(params, grads, lr);
    }
    json after = json::array();
    for (const Tensor& p : params) after.push_back(p.to_vector());
    out["lr"].push_back(lr);
    out["loss"].push_back(loss.item());
    out["params"].push_back(after);
  }
  return out;
}

json run_schedule(const json& s) {
  const OptimConfig optim = optim_config_from_block(s.at("optim"));
  const int64_t total = s.at("total_steps").get<int64_t>();
  json lrs = json::array();
  for (int64_t t = 0; t < total; ++t) lrs.push_back(scheduled_lr(optim, t, total));
  return {{"name", s.at("name")}, {"lr", lrs}};
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: optim_driver IN.json OUT.json\n";
    return 2;
  }
  try {
    std::ifstream in(argv[1]);
    if (!in) throw IOError(std::string("cannot read ") + argv[1]);
    json input = json::parse(in);
    json output = {{"cases", json::array()}, {"schedules", json::array()}};
    for (const json& c : input.value("cases", json::array()))
      output["cases"].push_back(run_case(c));
    for (const json& s : input.value("schedules", json::array()))
      output["schedules"].push_back(run_schedule(s));
    std::ofstream out(argv[2]);
    if (!out) throw IOError(std::string("cannot write ") + argv[2]);
    out << output.dump() << "\n";
    return out.good() ? 0 : 1;
  } catch (const std::exception& e) {
    std::cerr << "optim_driver: " << e.what() << "\n";
    return 1;
  }
}
