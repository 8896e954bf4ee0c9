// The reverse-mode engine: recording nodes, and grad()/hvp() by an iterative walk.
//
// Gradients are keyed by Node (every op output has exactly one producer node; a leaf
// that requires grad gets a leaf node the first time it is used). The walk is a
// depth-first post-order built with an explicit stack, then processed in reverse
// (parents before children), so each node's incoming gradient is complete when its
// rule runs. Nodes that cannot reach a requested input are pruned, and a rule is
// told which of its inputs need a gradient (e.g. no dX for the first layer).
#include <algorithm>
#include <unordered_map>
#include <unordered_set>

#include "gradlab/autograd.h"
#include "gradlab/ops.h"
#include "tensor/tensor_internal.h"

namespace gradlab {

namespace {
thread_local bool g_grad_enabled = true;

std::shared_ptr<Node> node_of(const Tensor& t) {
  TensorImpl& impl = t.impl();
  if (impl.grad_fn) return impl.grad_fn;
  if (!impl.leaf_node) {
    impl.leaf_node = std::make_shared<Node>();
    impl.leaf_node->name = "leaf";
    impl.leaf_node->output_shape = impl.shape;
    impl.leaf_node->output_dtype = impl.dtype;
  }
  return impl.leaf_node;
}
}  // namespace

// Deferred destruction. Destroying a node releases its children and its backward closure
// (whose captured tensors hold more nodes); done naively each release nests one more
// destructor call. Instead the outermost ~Node drains a work list, and any ~Node that
// runs while it does only moves its parts onto the list, so the stack depth stays
// constant however long the graph is.
namespace {
struct Graveyard {
  bool draining = false;
  std::vector<std::shared_ptr<Node>> nodes;
  std::vector<BackwardFn> closures;
  std::vector<Tensor> tensors;
};
thread_local Graveyard g_graveyard;
}  // namespace

Node::~Node() {
  Graveyard& g = g_graveyard;
  for (auto& child : next)
    if (child) g.nodes.push_back(std::move(child));
  if (backward) g.closures.push_back(std::move(backward));
  if (saved_output.defined()) g.tensors.push_back(std::move(saved_output));
  if (g.draining) return;
  g.draining = true;
  while (!g.nodes.empty() || !g.closures.empty() || !g.tensors.empty()) {
    if (!g.closures.empty()) {
      BackwardFn f = std::move(g.closures.back());
      g.closures.pop_back();
    } else if (!g.tensors.empty()) {
      Tensor t = std::move(g.tensors.back());
      g.tensors.pop_back();
    } else {
      std::shared_ptr<Node> n = std::move(g.nodes.back());
      g.nodes.pop_back();
    }
  }
  g.draining = false;
}

bool grad_enabled() { return g_grad_enabled; }

NoGradGuard::NoGradGuard() : previous_(g_grad_enabled) { g_grad_enabled = false; }
NoGradGuard::~NoGradGuard() { g_grad_enabled = previous_; }
GradModeGuard::GradModeGuard(bool enabled) : previous_(g_grad_enabled) {
  g_grad_enabled = enabled;
}
GradModeGuard::~GradModeGuard() { g_grad_enabled = previous_; }

Tensor record(const char* name, Tensor output, const TensorList& inputs, BackwardFn backward,
              bool save_output) {
  if (!g_grad_enabled) return output;
  bool any = false;
  for (const Tensor& t : inputs) any = any || (t.defined() && t.requires_grad());
  if (!any) return output;
  auto node = std::make_shared<Node>();
  node->name = name;
  node->backward = std::move(backward);
  node->next.resize(inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i)
    if (inputs[i].defined() && inputs[i].requires_grad()) node->next[i] = node_of(inputs[i]);
  node->output_shape = output.shape();
  node->output_dtype = output.dtype();
  if (save_output) node->saved_output = output.detach();
  TensorImpl& impl = output.impl();
  impl.grad_fn = node;
  impl.requires_grad = true;
  return output;
}

TensorList grad(const TensorList& outputs, const TensorList& inputs,
                const TensorList& grad_outputs, GradOptions options) {
  if (outputs.empty()) fail<AutogradError>("grad: no outputs given");
  if (!grad_outputs.empty() && grad_outputs.size() != outputs.size())
    fail<AutogradError>("grad: ", outputs.size(), " outputs but ", grad_outputs.size(),
                        " grad_outputs");
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (!inputs[i].defined()) fail<AutogradError>("grad: input ", i, " is undefined");
    if (!inputs[i].requires_grad())
      fail<AutogradError>("grad: input ", i, " (shape ", inputs[i].shape_str(),
                          ") does not require grad; call requires_grad_() on it before "
                          "computing the outputs");
  }

  // Seeds: gradient of each output. Outputs that do not require grad contribute nothing.
  std::vector<std::pair<std::shared_ptr<Node>, Tensor>> seeds;
  for (size_t i = 0; i < outputs.size(); ++i) {
    const Tensor& y = outputs[i];
    if (!y.defined()) fail<AutogradError>("grad: output ", i, " is undefined");
    Tensor g;
    if (grad_outputs.empty() || !grad_outputs[i].defined()) {
      if (y.numel() != 1)
        fail<AutogradError>("grad: output ", i, " has shape ", y.shape_str(),
                            "; grad_outputs are required for non-scalar outputs");
      g = ones_like(y);
    } else {
      g = grad_outputs[i];
      if (g.shape() != y.shape())
        fail<ShapeError>("grad: grad_output ", i, " has shape ", g.shape_str(),
                         " but output has shape ", y.shape_str());
      if (g.dtype() != y.dtype())
        fail<DTypeError>("grad: grad_output ", i, " is ", dtype_name(g.dtype()),
                         " but output is ", dtype_name(y.dtype()));
    }
    if (!y.requires_grad()) continue;
    seeds.emplace_back(node_of(y), g);
  }

  std::vector<std::shared_ptr<Node>> input_nodes;
  std::unordered_set<Node*> targets;
  for (const Tensor& x : inputs) {
    input_nodes.push_back(node_of(x));
    targets.insert(input_nodes.back().get());
  }

  // Post-order DFS over reachable nodes (children before parents), iteratively.
  std::vector<Node*> postorder;
  std::unordered_set<Node*> visited;
  std::vector<std::pair<Node*, size_t>> stack;
  for (auto& seed : seeds) {
    if (visited.insert(seed.first.get()).second) stack.emplace_back(seed.first.get(), 0);
    while (!stack.empty()) {
      auto& [node, next_child] = stack.back();
      if (next_child < node->next.size()) {
        Node* child = node->next[next_child++].get();
        if (child && visited.insert(child).second) stack.emplace_back(child, 0);
      } else {
        postorder.push_back(node);
        stack.pop_back();
      }
    }
  }
  // A node is needed when it is a target or leads to one.
  std::unordered_set<Node*> needed;
  for (Node* node : postorder) {
    bool need = targets.count(node) > 0;
    for (auto& child : node->next) need = need || (child && needed.count(child.get()));
    if (need) needed.insert(node);
  }

  GradModeGuard mode(options.create_graph);
  std::unordered_map<Node*, Tensor> grads;
  auto accumulate = [&](Node* node, const Tensor& g) {
    auto it = grads.find(node);
    if (it == grads.end())
      grads.emplace(node, g);
    else
      it->second = add(it->second, g);
  };
  for (auto& seed : seeds)
    if (needed.count(seed.first.get())) accumulate(seed.first.get(), seed.second);

  std::unordered_map<Node*, Tensor> results;
  for (auto it = postorder.rbegin(); it != postorder.rend(); ++it) {
    Node* node = *it;
    if (!needed.count(node)) continue;
    auto found = grads.find(node);
    if (found == grads.end()) continue;  // no gradient flows into this node
    Tensor g = found->second;
    grads.erase(found);
    if (targets.count(node)) results[node] = g;
    if (node->is_leaf()) continue;

    std::vector<bool> needs(node->next.size(), false);
    bool any = false;
    for (size_t i = 0; i < node->next.size(); ++i) {
      needs[i] = node->next[i] && needed.count(node->next[i].get());
      any = any || needs[i];
    }
    if (!any) continue;
    Tensor output;
    if (node->saved_output.defined()) {
      output = node->saved_output;
      if (options.create_graph) {
        // Re-attach the saved result to its producer so rules using it (tanh: 1 - y²)
        // are differentiated through y, without a node -> tensor -> node cycle.
        output = detail::make_view(output, output.shape(), output.strides(), output.offset());
        output.impl().grad_fn = node->shared_from_this();
        output.impl().requires_grad = true;
      }
    }
    BackwardContext ctx{needs, output};
    TensorList input_grads = node->backward(ctx, g);
    for (size_t i = 0; i < node->next.size(); ++i) {
      if (!needs[i] || i >= input_grads.size() || !input_grads[i].defined()) continue;
      Node* child = node->next[i].get();
      if (input_grads[i].shape() != child->output_shape)
        fail<AutogradError>("internal: backward of ", node->name, " produced gradient of shape ",
                            input_grads[i].shape_str(), " for input ", i, " of shape ",
                            shape_str(child->output_shape));
      accumulate(child, input_grads[i]);
    }
  }

  TensorList out;
  out.reserve(inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    auto found = results.find(input_nodes[i].get());
    if (found != results.end()) {
      out.push_back(found->second);
    } else if (options.allow_unused) {
      out.push_back(zeros_like(inputs[i]));
    } else {
      fail<AutogradError>("grad: input ", i, " (shape ", inputs[i].shape_str(),
                          ") was not used to compute the outputs (pass allow_unused to get "
                          "zeros)");
    }
  }
  return out;
}

TensorList hvp_from_grads(const TensorList& grads, const TensorList& params, const TensorList& v,
                          GradOptions options) {
  if (grads.size() != params.size() || v.size() != params.size())
    fail<AutogradError>("hvp: ", params.size(), " params, ", grads.size(), " gradients and ",
                        v.size(), " vectors (expected equal counts)");
  TensorList outputs, directions;
  for (size_t i = 0; i < params.size(); ++i) {
    if (v[i].shape() != params[i].shape())
      fail<ShapeError>("hvp: vector ", i, " has shape ", v[i].shape_str(), " but parameter ", i,
                       " has shape ", params[i].shape_str());
    if (v[i].dtype() != params[i].dtype())
      fail<DTypeError>("hvp: vector ", i, " is ", dtype_name(v[i].dtype()), " but parameter ", i,
                       " is ", dtype_name(params[i].dtype()));
    // A gradient that does not depend on the parameters (a loss linear in them)
    // contributes a zero block of the Hessian.
    if (grads[i].requires_grad()) {
      outputs.push_back(grads[i]);
      directions.push_back(v[i]);
    }
  }
  if (outputs.empty()) {
    TensorList zero;
    for (const Tensor& p : params) zero.push_back(zeros_like(p));
    return zero;
  }
  options.allow_unused = true;  // a parameter may have a zero Hessian row
  return grad(outputs, params, directions, options);
}

TensorList hvp(const LossFn& loss_fn, const TensorList& params, const TensorList& v,
               GradOptions options) {
  Tensor loss = loss_fn(params);
  if (loss.numel() != 1)
    fail<AutogradError>("hvp: the loss must be a scalar, got shape ", loss.shape_str());
  GradOptions first;
  first.create_graph = true;
  first.allow_unused = true;
  TensorList grads = grad(TensorList{loss}, params, {}, first);
  return hvp_from_grads(grads, params, v, options);
}

}  // namespace gradlab
