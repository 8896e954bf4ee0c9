// torch_ref_driver.cpp — gradlab's side of the PyTorch reference check (native only).
//
// tests/python/test_torch_reference.py builds small networks in PyTorch (float64), writes
// their parameters, inputs, targets and a direction v to a JSON file, and runs
//
//   torch_ref_driver IN.json OUT.json
//
// This program rebuilds the same networks from gradlab ops with the same parameters and
// writes the loss L, the gradient ∇L and the Hessian-vector product (∇²L) v; Python compares
// them with torch.autograd (HVP by double backward) at 1e-10 relative.
//
// JSON numbers carry float64 exactly both ways (Python writes the shortest round-trip repr,
// nlohmann parses it correctly rounded and dumps 17 significant digits).
//
// IN.json:  {"cases": [{"name": str, "model": "mlp" | "cnn" | "attention",
//                       "activation": "tanh" | "gelu" (mlp), "loss": "mse" | "cross_entropy",
//                       "params": [{"name": str, "shape": [..], "data": [..]}, ...],
//                       "x": {"shape", "data"},
//                       "target": {"shape", "data"} (float, mse) or {"shape", "labels"} (ce),
//                       "v": [[..] per param, flat row-major]}]}
// OUT.json: {"cases": [{"name": str, "loss": float, "grad": [[..] per param],
//                       "hvp": [[..] per param]}]}
//
// Parameters follow PyTorch's state_dict names and layouts (nn.Linear weight [out, in],
// nn.Conv2d weight [O, C, kh, kw], NCHW inputs); the driver looks them up by name.
#include <cmath>
#include <cstdio>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "gradlab/autograd.h"
#include "gradlab/error.h"
#include "gradlab/ops.h"
#include "gradlab/tensor.h"

using namespace gradlab;
using json = nlohmann::json;

namespace {

Shape read_shape(const json& j) { return j.at("shape").get<Shape>(); }

Tensor read_tensor(const json& j) {
  return from_vector(j.at("data").get<std::vector<double>>(), read_shape(j), DType::F64);
}

// Parameters in file order, and their position by state_dict name.
struct Params {
  TensorList tensors;
  std::map<std::string, size_t> index;
};

Params read_params(const json& list) {
  Params p;
  for (const json& e : list) {
    Tensor t = read_tensor(e);
    t.requires_grad_();
    p.index[e.at("name").get<std::string>()] = p.tensors.size();
    p.tensors.push_back(t);
  }
  return p;
}

size_t find_param(const Params& p, const std::string& name) {
  auto it = p.index.find(name);
  if (it == p.index.end()) throw ValueError("missing parameter '" + name + "'");
  return it->second;
}

using Forward = std::function<Tensor(const TensorList& params)>;  // params -> model output

// MLP, PyTorch nn.Sequential-style names layers.{2i}.weight / .bias for the i-th Linear:
//   x [N, in] -> (linear, act)* -> linear -> [N, out]; activation after every layer but the last.
Forward mlp(const Params& p, const Tensor& x, const std::string& activation) {
  std::vector<std::pair<size_t, size_t>> layers;  // (weight, bias) positions
  for (int i = 0;; i += 2) {
    std::string prefix = "layers." + std::to_string(i);
    if (!p.index.count(prefix + ".weight")) break;
    layers.emplace_back(find_param(p, prefix + ".weight"), find_param(p, prefix + ".bias"));
  }
  if (layers.empty()) throw ValueError("mlp has no layers.0.weight");
  if (activation != "tanh" && activation != "gelu")
    throw ValueError("unknown activation '" + activation + "'");
  return [layers, x, activation](const TensorList& w) {
    Tensor h = x;
    for (size_t l = 0; l < layers.size(); ++l) {
      h = linear(h, w[layers[l].first], w[layers[l].second]);
      if (l + 1 < layers.size()) h = activation == "tanh" ? tanh(h) : gelu(h);
    }
    return h;
  };
}

// CNN, names conv1/conv2/fc:
//   x [N, C, H, W] -> conv1 (3x3, stride 1, pad 1) -> relu -> max_pool2d(2)
//   -> conv2 (3x3, stride 2, pad 1) -> elu -> avg_pool2d(2, stride 1) -> flatten -> fc
Forward cnn(const Params& p, const Tensor& x) {
  size_t c1w = find_param(p, "conv1.weight"), c1b = find_param(p, "conv1.bias");
  size_t c2w = find_param(p, "conv2.weight"), c2b = find_param(p, "conv2.bias");
  size_t fw = find_param(p, "fc.weight"), fb = find_param(p, "fc.bias");
  return [=](const TensorList& w) {
    Tensor h = relu(conv2d(x, w[c1w], w[c1b], Conv2dOptions{1, 1, 1, 1}));  // [N, C1, H, W]
    h = max_pool2d(h, 2);                                                   // [N, C1, H/2, W/2]
    h = elu(conv2d(h, w[c2w], w[c2b], Conv2dOptions{2, 2, 1, 1}));          // [N, C2, H', W']
    h = avg_pool2d(h, 2, 1);                                                // [N, C2, H'-1, W'-1]
    return linear(flatten(h, 1), w[fw], w[fb]);                             // [N, K]
  };
}

// A single attention block without masking, names ln/q/k/v:
//   x [B, T, D] -> u = layer_norm(x) -> q, k, v = linear(u)
//   -> softmax(q kᵀ / √D) v   [B, T, D]
Forward attention(const Params& p, const Tensor& x) {
  size_t lw = find_param(p, "ln.weight"), lb = find_param(p, "ln.bias");
  size_t qw = find_param(p, "q.weight"), qb = find_param(p, "q.bias");
  size_t kw = find_param(p, "k.weight"), kb = find_param(p, "k.bias");
  size_t vw = find_param(p, "v.weight"), vb = find_param(p, "v.bias");
  int64_t d = x.size(-1);
  return [=](const TensorList& w) {
    Tensor u = layer_norm(x, {d}, w[lw], w[lb]);      // [B, T, D]
    Tensor q = linear(u, w[qw], w[qb]);               // [B, T, D]
    Tensor k = linear(u, w[kw], w[kb]);               // [B, T, D]
    Tensor v = linear(u, w[vw], w[vb]);               // [B, T, D]
    Tensor scores = matmul(q, transpose(k, -1, -2));  // [B, T, T]
    Tensor att = softmax(div(scores, std::sqrt(static_cast<double>(d))), -1);
    return matmul(att, v);  // [B, T, D]
  };
}

json run_case(const json& c) {
  const std::string name = c.at("name").get<std::string>();
  const std::string model = c.at("model").get<std::string>();
  const std::string loss_name = c.at("loss").get<std::string>();
  Params params = read_params(c.at("params"));
  Tensor x = read_tensor(c.at("x"));

  Forward forward;
  if (model == "mlp")
    forward = mlp(params, x, c.at("activation").get<std::string>());
  else if (model == "cnn")
    forward = cnn(params, x);
  else if (model == "attention")
    forward = attention(params, x);
  else
    throw ValueError("unknown model '" + model + "' in case " + name);

  LossFn loss_fn;
  const json& tj = c.at("target");
  if (loss_name == "mse") {
    Tensor target = read_tensor(tj);
    loss_fn = [forward, target](const TensorList& w) { return mse_loss(forward(w), target); };
  } else if (loss_name == "cross_entropy") {
    Tensor labels = from_indices(tj.at("labels").get<std::vector<int64_t>>(), read_shape(tj));
    loss_fn = [forward, labels](const TensorList& w) { return cross_entropy(forward(w), labels); };
  } else {
    throw ValueError("unknown loss '" + loss_name + "' in case " + name);
  }

  const json& vj = c.at("v");
  if (vj.size() != params.tensors.size())
    throw ShapeError("case " + name + " has " + std::to_string(vj.size()) +
                     " direction tensors for " + std::to_string(params.tensors.size()) +
                     " parameters");
  TensorList v;
  for (size_t i = 0; i < vj.size(); ++i)
    v.push_back(
        from_vector(vj[i].get<std::vector<double>>(), params.tensors[i].shape(), DType::F64));

  Tensor loss = loss_fn(params.tensors);
  TensorList grads = grad(loss, params.tensors);
  TensorList hv = hvp(loss_fn, params.tensors, v);

  json out;
  out["name"] = name;
  out["loss"] = loss.item();
  out["grad"] = json::array();
  out["hvp"] = json::array();
  for (const Tensor& g : grads) out["grad"].push_back(g.to_vector());
  for (const Tensor& h : hv) out["hvp"].push_back(h.to_vector());
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: torch_ref_driver IN.json OUT.json\n";
    return 2;
  }
  try {
    std::ifstream in(argv[1]);
    if (!in) throw IOError(std::string("cannot read ") + argv[1]);
    json input = json::parse(in);
    json output;
    output["cases"] = json::array();
    for (const json& c : input.at("cases")) output["cases"].push_back(run_case(c));
    std::ofstream out(argv[2]);
    if (!out) throw IOError(std::string("cannot write ") + argv[2]);
    out << output.dump() << "\n";
    return out.good() ? 0 : 1;
  } catch (const std::exception& e) {
    std::cerr << "torch_ref_driver: " << e.what() << "\n";
    return 1;
  }
}
