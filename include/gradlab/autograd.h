// gradlab/autograd.h — reverse-mode differentiation to any order.
//
// Ops record a Node when grad mode is on and some input requires grad. Each Node's
// backward rule is written in differentiable tensor ops, so running the backward
// pass with create_graph = true records a graph of the gradient itself, which can
// be differentiated again: that is how hvp() gives exact Hessian-vector products
// (Pearlmutter 1994) and how ∇_w(uᵀH(w)v) (third derivatives, for the central flow)
// is obtained. The engine walks the graph iteratively (no recursion: the WASM
// stack is small).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "gradlab/tensor.h"

namespace gradlab {

// Passed to a backward rule: which inputs need a gradient, and the op's output
// (re-attached to this node when building a graph of the gradient).
struct BackwardContext {
  const std::vector<bool>& needs_grad;
  // The forward output, carrying this node as grad_fn when create_graph is on, so
  // rules like d tanh = 1 - y² stay differentiable without a reference cycle.
  Tensor output;
  bool needs(size_t i) const { return i < needs_grad.size() && needs_grad[i]; }
};

using BackwardFn = std::function<TensorList(const BackwardContext&, const Tensor& grad_output)>;

struct Node : std::enable_shared_from_this<Node> {
  std::string name;  // op name, for error messages and graph dumps
  // Producer node of each input that requires grad (null where it does not).
  std::vector<std::shared_ptr<Node>> next;
  BackwardFn backward;      // empty for leaves
  Tensor saved_output;      // detached forward output (same storage)
  Shape output_shape;
  DType output_dtype = DType::F32;
  bool is_leaf() const { return !backward; }
  // Releases the graph behind this node iteratively: a long chain (an LSTM unrolled over
  // thousands of steps) would otherwise be freed by nested destructor calls, one stack
  // frame per node, and overflow the (small, in WASM) stack.
  ~Node();
};

// ---- grad mode -------------------------------------------------------------------
bool grad_enabled();
class NoGradGuard {
 public:
  NoGradGuard();
  ~NoGradGuard();
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;

 private:
  bool previous_;
};
// Sets grad mode to a given value for a scope (used by the engine for create_graph).
class GradModeGuard {
 public:
  explicit GradModeGuard(bool enabled);
  ~GradModeGuard();
  GradModeGuard(const GradModeGuard&) = delete;
  GradModeGuard& operator=(const GradModeGuard&) = delete;

 private:
  bool previous_;
};

// Called by every op after computing `output` from `inputs`: when grad mode is on
// and an input requires grad, attaches a Node with the given backward rule and
// returns output marked requires_grad. Otherwise returns output unchanged.
// `output` must be a fresh tensor handle made by the op. With save_output the rule
// can use ctx.output (e.g. exp, tanh, sigmoid reuse their result).
Tensor record(const char* name, Tensor output, const TensorList& inputs, BackwardFn backward,
              bool save_output = false);

struct GradOptions {
  // Build a graph of the gradient (needed to differentiate it again).
  bool create_graph = false;
  // If false, an input the outputs do not depend on is an AutogradError; if true
  // its gradient is returned as zeros.
  bool allow_unused = false;
};

// Gradients of sum_i <grad_outputs[i], outputs[i]> with respect to each input.
// grad_outputs may be empty when every output is a scalar (then ones are used).
TensorList grad(const TensorList& outputs, const TensorList& inputs,
                const TensorList& grad_outputs = {}, GradOptions options = {});
inline TensorList grad(const Tensor& output, const TensorList& inputs, GradOptions options = {}) {
  return grad(TensorList{output}, inputs, {}, options);
}

using LossFn = std::function<Tensor(const TensorList& params)>;

// Exact Hessian-vector product H(params) v of the scalar loss_fn(params), by
// differentiating <∇L, v> (double backward). With create_graph the result is
// itself differentiable in params (for third-order terms).
TensorList hvp(const LossFn& loss_fn, const TensorList& params, const TensorList& v,
               GradOptions options = {});
// The same for a loss whose gradient graph was already built: grads must come from
// grad(loss, params, {create_graph = true}).
TensorList hvp_from_grads(const TensorList& grads, const TensorList& params,
                          const TensorList& v, GradOptions options = {});

}  // namespace gradlab
