// test_op_table_nn.cpp — every op of ops.h declared once, checked to third order (part 2 of 2).
//
// Linear algebra (matmul in all its broadcasting and 1-D forms, transposed-view operands,
// linear), im2col/col2im, convolution and pooling, and the composites that models are made
// of: layer-norm, softmax/log-softmax, the losses, dropout, an attention head and a small MLP.
// The harness (op_harness.h) is the same as for part 1 (test_op_table.cpp).
#include <catch2/catch.hpp>
#include <cmath>

#include "gradlab/rng.h"
#include "op_harness.h"
#include "op_tables.h"
#include "reference.h"

namespace {

using namespace gradlab;
using namespace gradlab::optest;
namespace ref = gradlab::reference;

// Two inputs and a reference on both.
OpCase pair(const std::string& name, const Shape& sa, const Shape& sb, const Shape& out,
            const std::function<Tensor(const Tensor&, const Tensor&)>& f,
            const std::function<Values(const Values&, const Values&)>& reference,
            const std::vector<Domain>& domains = {normal()}) {
  return {name,
          {sa, sb},
          out,
          domains,
          [f](const TensorList& x) { return f(x[0], x[1]); },
          [reference](const ValuesList& x) { return reference(x[0], x[1]); }};
}

// y = x wᵀ + b for x [rows, in], w [out, in], b [out] or null.
Values linear_ref(const Values& x, int64_t rows, const Values& w, int64_t out, int64_t in,
                  const Values* b) {
  Values y = ref::matmul(x, {rows, in}, ref::transpose2d(w, out, in), {in, out});
  if (b)
    for (int64_t i = 0; i < rows * out; ++i) y[i] += (*b)[i % out];
  return y;
}

}  // namespace

// The tables themselves are shared with the CUDA parity test (op_tables.h).
namespace gradlab::optest {

std::vector<OpCase> linalg_table() {
  std::vector<OpCase> t;
  auto mm = [](const Tensor& a, const Tensor& b) { return matmul(a, b); };
  auto mm_ref = [](const Shape& sa, const Shape& sb) {
    return [sa, sb](const Values& a, const Values& b) { return ref::matmul(a, sa, b, sb); };
  };
  t.push_back(pair("matmul [3,4]@[4,2]", {3, 4}, {4, 2}, {3, 2}, mm, mm_ref({3, 4}, {4, 2})));
  t.push_back(pair("matmul batched [2,3,4]@[2,4,2]", {2, 3, 4}, {2, 4, 2}, {2, 3, 2}, mm,
                   mm_ref({2, 3, 4}, {2, 4, 2})));
  t.push_back(pair("matmul broadcast [2,1,3,4]@[3,4,2]", {2, 1, 3, 4}, {3, 4, 2}, {2, 3, 3, 2}, mm,
                   mm_ref({2, 1, 3, 4}, {3, 4, 2})));
  t.push_back(pair("matmul [2,3,4]@[4,2] (2-D right)", {2, 3, 4}, {4, 2}, {2, 3, 2}, mm,
                   mm_ref({2, 3, 4}, {4, 2})));
  t.push_back(pair("matmul 1-D [4]@[4]", {4}, {4}, {}, mm, mm_ref({4}, {4})));
  t.push_back(pair("matmul 1-D [4]@[4,3]", {4}, {4, 3}, {3}, mm, mm_ref({4}, {4, 3})));
  t.push_back(pair("matmul 1-D [3]@[2,3,4]", {3}, {2, 3, 4}, {2, 4}, mm, mm_ref({3}, {2, 3, 4})));
  t.push_back(pair("matmul 1-D [2,3,4]@[4]", {2, 3, 4}, {4}, {2, 3}, mm, mm_ref({2, 3, 4}, {4})));
  // Transposed views reach GEMM as transpose flags: all four (trans_a, trans_b) cases.
  t.push_back(pair(
      "matmul transposed views aT@bT", {4, 3}, {2, 4}, {3, 2},
      [](auto& a, auto& b) { return matmul(transpose(a, 0, 1), transpose(b, 0, 1)); },
      [](const Values& a, const Values& b) {
        return ref::matmul(ref::transpose2d(a, 4, 3), {3, 4}, ref::transpose2d(b, 2, 4), {4, 2});
      }));
  t.push_back(pair(
      "matmul batched aT@b", {2, 4, 3}, {2, 4, 2}, {2, 3, 2},
      [](auto& a, auto& b) { return matmul(transpose(a, -1, -2), b); },
      [](const Values& a, const Values& b) {
        return ref::matmul(ref::permute(a, {2, 4, 3}, {0, 2, 1}), {2, 3, 4}, b, {2, 4, 2});
      }));
  t.push_back(pair(
      "matmul batched a@bT", {2, 3, 4}, {2, 2, 4}, {2, 3, 2},
      [](auto& a, auto& b) { return matmul(a, transpose(b, -1, -2)); },
      [](const Values& a, const Values& b) {
        return ref::matmul(a, {2, 3, 4}, ref::permute(b, {2, 2, 4}, {0, 2, 1}), {2, 4, 2});
      }));
  // One leaf on both sides: gradients from the two uses must add up.
  t.push_back(single(
      "matmul x@xT (Gram)", {3, 4}, {3, 3}, normal(),
      [](auto& x) { return matmul(x, transpose(x, 0, 1)); },
      [](const Values& x) {
        return ref::matmul(x, {3, 4}, ref::transpose2d(x, 3, 4), {4, 3});
      }));
  t.push_back({"linear 3-D input with bias",
               {{2, 3, 4}, {5, 4}, {5}},
               {2, 3, 5},
               {normal()},
               [](const TensorList& x) { return linear(x[0], x[1], x[2]); },
               [](const ValuesList& x) { return linear_ref(x[0], 6, x[1], 5, 4, &x[2]); }});
  t.push_back(pair(
      "linear without bias", {3, 4}, {2, 4}, {3, 2},
      [](auto& x, auto& w) { return linear(x, w, Tensor()); },
      [](const Values& x, const Values& w) { return linear_ref(x, 3, w, 2, 4, nullptr); }));
  return t;
}

std::vector<OpCase> conv_table() {
  std::vector<OpCase> t;
  t.push_back(single(
      "unfold k2", {1, 2, 4, 4}, {1, 8, 9}, normal(), [](auto& x) { return unfold(x, 2, 2); },
      [](const Values& x) {
        return ref::unfold(x, {1, 2, 4, 4}, {2, 2});
      }));
  t.push_back(single(
      "unfold k3 s2 p1", {1, 1, 5, 5}, {1, 9, 9}, normal(),
      [](auto& x) {
        return unfold(x, 3, 3, {2, 2, 1, 1});
      },
      [](const Values& x) {
        return ref::unfold(x, {1, 1, 5, 5}, {3, 3, 2, 2, 1, 1});
      }));
  t.push_back(single(
      "fold k2 s2 (no overlap)", {1, 4, 4}, {1, 1, 4, 4}, normal(),
      [](auto& c) {
        return fold(c, {1, 1, 4, 4}, 2, 2, {2, 2, 0, 0});
      },
      [](const Values& c) {
        return ref::fold(c, {1, 1, 4, 4}, {2, 2, 2, 2});
      }));
  t.push_back(single(
      "fold k2 s1 (overlapping)", {1, 4, 4}, {1, 1, 3, 3}, normal(),
      [](auto& c) {
        return fold(c, {1, 1, 3, 3}, 2, 2);
      },
      [](const Values& c) {
        return ref::fold(c, {1, 1, 3, 3}, {2, 2});
      }));
  t.push_back(single(
      "fold k2 s1 p1", {1, 4, 16}, {1, 1, 3, 3}, normal(),
      [](auto& c) {
        return fold(c, {1, 1, 3, 3}, 2, 2, {1, 1, 1, 1});
      },
      [](const Values& c) {
        return ref::fold(c, {1, 1, 3, 3}, {2, 2, 1, 1, 1, 1});
      }));
  t.push_back({"conv2d s1 p1 with bias",
               {{1, 2, 3, 3}, {2, 2, 3, 3}, {2}},
               {1, 2, 3, 3},
               {normal()},
               [](const TensorList& x) {
                 return conv2d(x[0], x[1], x[2], {1, 1, 1, 1});
               },
               [](const ValuesList& x) {
                 return ref::conv2d(x[0], {1, 2, 3, 3}, x[1], {2, 2, 3, 3}, &x[2], 1, 1, 1, 1);
               }});
  t.push_back(pair(
      "conv2d s2 p0 without bias", {2, 1, 4, 4}, {2, 1, 2, 2}, {2, 2, 2, 2},
      [](auto& x, auto& w) {
        return conv2d(x, w, Tensor(), {2, 2, 0, 0});
      },
      [](const Values& x, const Values& w) {
        return ref::conv2d(x, {2, 1, 4, 4}, w, {2, 1, 2, 2}, nullptr, 2, 2, 0, 0);
      }));
  t.push_back({"conv2d stride (1,2) pad (1,0) with bias",
               {{1, 1, 4, 5}, {2, 1, 2, 3}, {2}},
               {1, 2, 5, 2},
               {normal()},
               [](const TensorList& x) {
                 return conv2d(x[0], x[1], x[2], {1, 2, 1, 0});
               },
               [](const ValuesList& x) {
                 return ref::conv2d(x[0], {1, 1, 4, 5}, x[1], {2, 1, 2, 3}, &x[2], 1, 2, 1, 0);
               }});
  t.push_back(single(
      "max_pool2d k2", {1, 2, 4, 4}, {1, 2, 2, 2}, distinct(),
      [](auto& x) { return max_pool2d(x, 2); },
      [](const Values& x) {
        return ref::pool2d(x, {1, 2, 4, 4}, 2, 2, 0, true);
      }));
  t.push_back(single(
      "max_pool2d k3 s2 p1", {1, 1, 5, 5}, {1, 1, 3, 3}, distinct(),
      [](auto& x) { return max_pool2d(x, 3, 2, 1); },
      [](const Values& x) {
        return ref::pool2d(x, {1, 1, 5, 5}, 3, 2, 1, true);
      }));
  t.push_back(single(
      "avg_pool2d k2", {1, 2, 4, 4}, {1, 2, 2, 2}, normal(),
      [](auto& x) { return avg_pool2d(x, 2); },
      [](const Values& x) {
        return ref::pool2d(x, {1, 2, 4, 4}, 2, 2, 0, false);
      }));
  t.push_back(single(
      "avg_pool2d k3 s1 p1 (count_include_pad)", {1, 1, 4, 4}, {1, 1, 4, 4}, normal(),
      [](auto& x) { return avg_pool2d(x, 3, 1, 1); },
      [](const Values& x) {
        return ref::pool2d(x, {1, 1, 4, 4}, 3, 1, 1, false);
      }));
  return t;
}

std::vector<OpCase> nn_table() {
  std::vector<OpCase> t;
  // ---- layer norm ----
  t.push_back({"layer_norm [3,4] over [4], weight and bias",
               {{3, 4}, {4}, {4}},
               {3, 4},
               {normal()},
               [](const TensorList& x) { return layer_norm(x[0], {4}, x[1], x[2]); },
               [](const ValuesList& x) { return ref::layer_norm(x[0], 4, &x[1], &x[2], 1e-5); }});
  t.push_back(single(
      "layer_norm [2,3,4] over [3,4], no affine", {2, 3, 4}, {2, 3, 4}, normal(),
      [](auto& x) {
        return layer_norm(x, {3, 4}, Tensor(), Tensor());
      },
      [](const Values& x) { return ref::layer_norm(x, 12, nullptr, nullptr, 1e-5); }));
  t.push_back({"layer_norm [2,2,3] over [2,3], weight and bias",
               {{2, 2, 3}, {2, 3}, {2, 3}},
               {2, 2, 3},
               {normal()},
               [](const TensorList& x) {
                 return layer_norm(x[0], {2, 3}, x[1], x[2]);
               },
               [](const ValuesList& x) { return ref::layer_norm(x[0], 6, &x[1], &x[2], 1e-5); }});
  t.push_back(pair(
      "layer_norm [3,4] over [4], weight only", {3, 4}, {4}, {3, 4},
      [](auto& x, auto& w) { return layer_norm(x, {4}, w, Tensor()); },
      [](const Values& x, const Values& w) { return ref::layer_norm(x, 4, &w, nullptr, 1e-5); }));

  // ---- softmax family ----
  auto softmax_row = [](const std::string& name, const Shape& s, int64_t axis, bool log_form) {
    int64_t a = axis < 0 ? axis + static_cast<int64_t>(s.size()) : axis;
    return single(
        name, s, s, normal(2.0),
        [axis, log_form](auto& x) { return log_form ? log_softmax(x, axis) : softmax(x, axis); },
        [s, a, log_form](const Values& x) { return ref::softmax(x, s, a, log_form); });
  };
  t.push_back(softmax_row("softmax axis -1", {3, 4}, -1, false));
  t.push_back(softmax_row("softmax axis 0", {3, 4}, 0, false));
  t.push_back(softmax_row("softmax [2,3,4] axis 1", {2, 3, 4}, 1, false));
  t.push_back(softmax_row("log_softmax axis -1", {3, 4}, -1, true));
  t.push_back(softmax_row("log_softmax axis 0", {3, 4}, 0, true));

  // ---- losses ----
  const std::vector<int64_t> labels = {2, 0, 1, 2};
  t.push_back(single(
      "cross_entropy int64 targets", {4, 3}, {}, normal(2.0),
      [labels](auto& z) { return cross_entropy(z, from_indices(labels, {4})); },
      [labels](const Values& z) {
        Values onehot(12, 0.0);
        for (int64_t i = 0; i < 4; ++i) onehot[i * 3 + labels[i]] = 1.0;
        return ref::cross_entropy_soft(z, onehot, 4, 3);
      }));
  t.push_back(pair(
      "cross_entropy_soft (targets differentiable too)", {3, 4}, {3, 4}, {},
      [](auto& z, auto& p) { return cross_entropy_soft(z, p); },
      [](const Values& z, const Values& p) { return ref::cross_entropy_soft(z, p, 3, 4); },
      {normal(2.0), uniform(0.05, 1.0)}));
  t.push_back(pair(
      "mse_loss", {3, 4}, {3, 4}, {}, [](auto& a, auto& b) { return mse_loss(a, b); },
      [](const Values& a, const Values& b) {
        double s = 0.0;
        for (size_t i = 0; i < a.size(); ++i) s += (a[i] - b[i]) * (a[i] - b[i]);
        return Values{s / double(a.size())};
      }));

  // ---- dropout: a fresh Rng with the same seed in every evaluation gives the same mask. The
  // reference redraws that mask: keep element i when its uniform draw is >= p (row-major), as
  // dropout documents, and scale kept elements by 1/(1 − p).
  const uint64_t seed = 99;
  const double p = 0.3;
  t.push_back(single(
      "dropout p 0.3, fixed seed", {3, 4}, {3, 4}, normal(),
      [seed, p](auto& x) {
        Rng rng(seed);
        return dropout(x, p, rng);
      },
      [seed, p](const Values& x) {
        Rng rng(seed);
        Values out(x.size());
        for (size_t i = 0; i < x.size(); ++i) out[i] = rng.uniform() >= p ? x[i] / (1.0 - p) : 0.0;
        return out;
      }));

  // ---- composites of composites ----
  // One attention head: softmax(q kᵀ / √d) v with q [2,3], k [4,3], v [4,2].
  t.push_back({"attention head softmax(qkT/sqrt(d))v",
               {{2, 3}, {4, 3}, {4, 2}},
               {2, 2},
               {normal()},
               [](const TensorList& x) {
                 Tensor scores = div(matmul(x[0], transpose(x[1], 0, 1)), std::sqrt(3.0));
                 return matmul(softmax(scores, -1), x[2]);
               },
               [](const ValuesList& x) {
                 Values s = ref::matmul(x[0], {2, 3}, ref::transpose2d(x[1], 4, 3), {3, 4});
                 for (double& v : s) v /= std::sqrt(3.0);
                 return ref::matmul(ref::softmax(s, {2, 4}, 1, false), {2, 4}, x[2], {4, 2});
               }});
  // A tanh MLP's MSE loss in its parameters (w1 [4,3], b1 [4], w2 [2,4]) on fixed data
  // X [5,3], Y [5,2]: the Hessian that edge-of-stability experiments probe.
  Rng data_rng(7);
  Values xs(15), ys(10);
  for (double& v : xs) v = data_rng.normal();
  for (double& v : ys) v = data_rng.normal();
  t.push_back({"tanh MLP mse loss in its weights",
               {{4, 3}, {4}, {2, 4}},
               {},
               {normal(0.7)},
               [xs, ys](const TensorList& w) {
                 DType dt = w[0].dtype();
                 Device dev = w[0].device();  // the data sits with the weights (CUDA parity)
                 Tensor hidden = tanh(linear(from_vector(xs, {5, 3}, dt, dev), w[0], w[1]));
                 return mse_loss(linear(hidden, w[2], Tensor()), from_vector(ys, {5, 2}, dt, dev));
               },
               [xs, ys](const ValuesList& w) {
                 Values hidden = linear_ref(xs, 5, w[0], 4, 3, &w[1]);
                 for (double& v : hidden) v = std::tanh(v);
                 Values out = linear_ref(hidden, 5, w[2], 2, 4, nullptr);
                 double s = 0.0;
                 for (size_t i = 0; i < out.size(); ++i) s += (out[i] - ys[i]) * (out[i] - ys[i]);
                 return Values{s / double(out.size())};
               }});
  return t;
}

}  // namespace gradlab::optest

// Built into the parity executable with GRADLAB_OP_TABLE_ROWS_ONLY: the rows, not the CPU checks.
#if !defined(GRADLAB_OP_TABLE_ROWS_ONLY)

TEST_CASE("op table, linear algebra: forward, gradient, HVP, third order (float64)", "[ops]") {
  run_table(linalg_table(), check_float64);
}
TEST_CASE("op table, linear algebra: forward and gradient (float32)", "[ops]") {
  run_table(linalg_table(), check_float32);
}
TEST_CASE("op table, convolution and pooling: forward, gradient, HVP, third order (float64)",
          "[ops]") {
  run_table(conv_table(), check_float64);
}
TEST_CASE("op table, convolution and pooling: forward and gradient (float32)", "[ops]") {
  run_table(conv_table(), check_float32);
}
TEST_CASE("op table, nn composites: forward, gradient, HVP, third order (float64)", "[ops]") {
  run_table(nn_table(), check_float64);
}
TEST_CASE("op table, nn composites: forward and gradient (float32)", "[ops]") {
  run_table(nn_table(), check_float32);
}

#endif  // !GRADLAB_OP_TABLE_ROWS_ONLY
