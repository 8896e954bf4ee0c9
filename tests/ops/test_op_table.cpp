// test_op_table.cpp — every op of ops.h declared once, checked to third order (part 1 of 2).
//
// This file holds the elementwise, reduction and shape rows; test_op_table_nn.cpp holds linear
// algebra, convolution/pooling and the neural-network composites. Each row is run by
// op_harness.h: forward vs a naive float64 reference (reference.h), gradient vs finite
// differences, HVP vs finite differences of gradients plus symmetry, ∇(uᵀHv) vs finite
// differences of HVPs, and forward + gradient again in float32.
//
// Domains keep finite differences honest: positive inputs for log/sqrt/pow bases, values at
// least 0.1 from the kinks of relu/abs/elu/maximum/minimum, distinct values for max/min.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <map>
#include <string>

#include "op_harness.h"
#include "op_tables.h"
#include "reference.h"

namespace {

using namespace gradlab;
using namespace gradlab::optest;
namespace ref = gradlab::reference;

using UnaryFn = std::function<Tensor(const Tensor&)>;
using BinaryFn = std::function<Tensor(const Tensor&, const Tensor&)>;

// One input of `shape`, output of the same shape, reference applied elementwise.
OpCase unary(const std::string& name, const Domain& domain, const UnaryFn& f,
             const std::function<double(double)>& scalar_ref, const Shape& shape = {3, 4}) {
  return {name,
          {shape},
          shape,
          {domain},
          [f](const TensorList& x) { return f(x[0]); },
          [scalar_ref](const ValuesList& x) { return ref::map(x[0], scalar_ref); }};
}

// Two broadcasting inputs, reference applied to the broadcast pairs.
OpCase binary(const std::string& name, const Shape& sa, const Shape& sb,
              const std::vector<Domain>& domains, const BinaryFn& f,
              const std::function<double(double, double)>& scalar_ref) {
  return {name,
          {sa, sb},
          ref::broadcast_shape(sa, sb),
          domains,
          [f](const TensorList& x) { return f(x[0], x[1]); },
          [sa, sb, scalar_ref](const ValuesList& x) {
            return ref::zip(x[0], sa, x[1], sb, scalar_ref);
          }};
}

double sigmoid_ref(double v) { return 1.0 / (1.0 + std::exp(-v)); }

}  // namespace

// The tables themselves are shared with the CUDA parity test (op_tables.h).
namespace gradlab::optest {

std::vector<OpCase> elementwise_table() {
  std::vector<OpCase> t;
  // ---- unary ----
  t.push_back(unary(
      "neg", normal(), [](auto& x) { return neg(x); }, [](double v) { return -v; }));
  t.push_back(unary(
      "exp", normal(), [](auto& x) { return exp(x); }, [](double v) { return std::exp(v); }));
  t.push_back(unary(
      "log", uniform(0.5, 2.0), [](auto& x) { return log(x); },
      [](double v) { return std::log(v); }));
  t.push_back(unary(
      "log1p", uniform(-0.5, 2.0), [](auto& x) { return log1p(x); },
      [](double v) { return std::log1p(v); }));
  t.push_back(unary(
      "sqrt", uniform(0.5, 2.0), [](auto& x) { return sqrt(x); },
      [](double v) { return std::sqrt(v); }));
  t.push_back(unary(
      "abs", away_from_zero(), [](auto& x) { return abs(x); },
      [](double v) { return std::fabs(v); }));
  t.push_back(unary(
      "square", normal(), [](auto& x) { return square(x); }, [](double v) { return v * v; }));
  t.push_back(unary(
      "sin", normal(1.5), [](auto& x) { return sin(x); }, [](double v) { return std::sin(v); }));
  t.push_back(unary(
      "cos", normal(1.5), [](auto& x) { return cos(x); }, [](double v) { return std::cos(v); }));
  t.push_back(unary(
      "erf", normal(), [](auto& x) { return erf(x); }, [](double v) { return std::erf(v); }));
  t.push_back(unary(
      "relu", away_from_zero(), [](auto& x) { return relu(x); },
      [](double v) { return v > 0 ? v : 0.0; }));
  t.push_back(unary(
      "tanh", normal(), [](auto& x) { return tanh(x); }, [](double v) { return std::tanh(v); }));
  t.push_back(unary(
      "sigmoid", normal(2.0), [](auto& x) { return sigmoid(x); }, sigmoid_ref));
  t.push_back(unary(
      "elu", away_from_zero(), [](auto& x) { return elu(x); },
      [](double v) { return v > 0 ? v : std::exp(v) - 1.0; }));
  t.push_back(unary(
      "elu alpha 0.5", away_from_zero(), [](auto& x) { return elu(x, 0.5); },
      [](double v) { return v > 0 ? v : 0.5 * (std::exp(v) - 1.0); }));
  t.push_back(unary(
      "gelu", normal(), [](auto& x) { return gelu(x); },
      [](double v) { return 0.5 * v * (1.0 + std::erf(v / std::sqrt(2.0))); }));
  t.push_back(unary(
      "silu", normal(2.0), [](auto& x) { return silu(x); },
      [](double v) { return v * sigmoid_ref(v); }));
  t.push_back(unary(
      "softplus", normal(3.0), [](auto& x) { return softplus(x); },
      [](double v) { return std::log1p(std::exp(v)); }));
  // A permuted (non-contiguous) operand through an elementwise kernel.
  t.push_back(single(
      "exp of transposed view", {4, 3}, {3, 4}, normal(),
      [](auto& x) { return exp(transpose(x, 0, 1)); },
      [](const Values& x) {
        return ref::map(ref::transpose2d(x, 4, 3), [](double v) { return std::exp(v); });
      }));

  // ---- scalar forms ----
  t.push_back(unary(
      "add scalar", normal(), [](auto& x) { return add(x, 1.5); },
      [](double v) { return v + 1.5; }));
  t.push_back(unary(
      "sub scalar", normal(), [](auto& x) { return sub(x, 0.7); },
      [](double v) { return v - 0.7; }));
  t.push_back(unary(
      "rsub scalar", normal(), [](auto& x) { return rsub(2.0, x); },
      [](double v) { return 2.0 - v; }));
  t.push_back(unary(
      "mul scalar", normal(), [](auto& x) { return mul(x, -1.3); },
      [](double v) { return -1.3 * v; }));
  t.push_back(unary(
      "div scalar", normal(), [](auto& x) { return div(x, 4.0); },
      [](double v) { return v / 4.0; }));
  t.push_back(unary(
      "rdiv scalar", away_from_zero(0.5, 2.0), [](auto& x) { return rdiv(2.0, x); },
      [](double v) { return 2.0 / v; }));
  t.push_back(unary(
      "rdiv 1 (reciprocal)", away_from_zero(0.5, 2.0), [](auto& x) { return rdiv(1.0, x); },
      [](double v) { return 1.0 / v; }));
  t.push_back(unary(
      "pow scalar 2.5", uniform(0.5, 2.0), [](auto& x) { return pow(x, 2.5); },
      [](double v) { return std::pow(v, 2.5); }));
  t.push_back(unary(
      "pow scalar 2", normal(), [](auto& x) { return pow(x, 2.0); },
      [](double v) { return v * v; }));
  t.push_back(unary(
      "pow scalar 3 (negative base)", normal(), [](auto& x) { return pow(x, 3.0); },
      [](double v) { return v * v * v; }));
  t.push_back(unary(
      "pow scalar -1.5", uniform(0.5, 2.0), [](auto& x) { return pow(x, -1.5); },
      [](double v) { return std::pow(v, -1.5); }));

  // ---- binary with broadcasting ----
  auto plus = [](double a, double b) { return a + b; };
  auto minus = [](double a, double b) { return a - b; };
  auto times = [](double a, double b) { return a * b; };
  auto over = [](double a, double b) { return a / b; };
  t.push_back(binary(
      "add [2,3]+[3]", {2, 3}, {3}, {normal()}, [](auto& a, auto& b) { return add(a, b); }, plus));
  t.push_back(binary(
      "add []+[2,2]", {}, {2, 2}, {normal()}, [](auto& a, auto& b) { return add(a, b); }, plus));
  t.push_back(binary(
      "sub [2,1,3]-[4,1]", {2, 1, 3}, {4, 1}, {normal()},
      [](auto& a, auto& b) { return sub(a, b); }, minus));
  t.push_back(binary(
      "mul [3,4]*[3,1]", {3, 4}, {3, 1}, {normal()}, [](auto& a, auto& b) { return mul(a, b); },
      times));
  t.push_back(binary(
      "mul []*[]", {}, {}, {normal()}, [](auto& a, auto& b) { return mul(a, b); }, times));
  t.push_back(single(
      "mul x*x (same leaf twice)", {3}, {3}, normal(), [](auto& x) { return mul(x, x); },
      [](const Values& x) { return ref::map(x, [](double v) { return v * v; }); }));
  t.push_back(binary(
      "div [2,3]/[]", {2, 3}, {}, {normal(), away_from_zero(0.5, 2.0)},
      [](auto& a, auto& b) { return div(a, b); }, over));
  t.push_back(binary(
      "div [3]/[2,3]", {3}, {2, 3}, {normal(), away_from_zero(0.5, 2.0)},
      [](auto& a, auto& b) { return div(a, b); }, over));
  t.push_back(binary(
      "pow [2,3]^[2,3]", {2, 3}, {2, 3}, {uniform(0.5, 2.0), uniform(-1.5, 2.5)},
      [](auto& a, auto& b) { return pow(a, b); },
      [](double a, double b) { return std::pow(a, b); }));
  t.push_back(binary(
      "pow [2,3]^[3]", {2, 3}, {3}, {uniform(0.5, 2.0), uniform(-1.5, 2.5)},
      [](auto& a, auto& b) { return pow(a, b); },
      [](double a, double b) { return std::pow(a, b); }));
  auto larger = [](double a, double b) { return std::max(a, b); };
  auto smaller = [](double a, double b) { return std::min(a, b); };
  t.push_back(binary(
      "maximum [2,3],[2,3]", {2, 3}, {2, 3}, {lattice(0.0), lattice(0.2)},
      [](auto& a, auto& b) { return maximum(a, b); }, larger));
  t.push_back(binary(
      "maximum [2,3],[3]", {2, 3}, {3}, {lattice(0.2), lattice(0.0)},
      [](auto& a, auto& b) { return maximum(a, b); }, larger));
  t.push_back(binary(
      "minimum [2,3],[2,3]", {2, 3}, {2, 3}, {lattice(0.0), lattice(0.2)},
      [](auto& a, auto& b) { return minimum(a, b); }, smaller));
  t.push_back(binary(
      "minimum [3,1],[1,4]", {3, 1}, {1, 4}, {lattice(0.2), lattice(0.0)},
      [](auto& a, auto& b) { return minimum(a, b); }, smaller));
  // Both operands strided: a transposed view plus a row-broadcast one.
  t.push_back({"add transposed view + [3]",
               {{3, 2}, {3}},
               {2, 3},
               {normal()},
               [](const TensorList& x) { return add(transpose(x[0], 0, 1), x[1]); },
               [](const ValuesList& x) {
                 return ref::zip(ref::transpose2d(x[0], 3, 2), {2, 3}, x[1], {3},
                                 [](double a, double b) { return a + b; });
               }});

  // where(cond, a, b): cond is fixed data, a and b differentiable (b broadcast).
  const Values cond = {1, 0, 0, 1, 1, 0};
  t.push_back({"where [2,3], a [2,3], b [3]",
               {{2, 3}, {3}},
               {2, 3},
               {normal()},
               [cond](const TensorList& x) {
                 return where(from_vector(cond, {2, 3}, x[0].dtype(), x[0].device()), x[0], x[1]);
               },
               [cond](const ValuesList& x) {
                 Values out(6);
                 for (int64_t i = 0; i < 6; ++i) out[i] = cond[i] != 0 ? x[0][i] : x[1][i % 3];
                 return out;
               }});
  return t;
}

std::vector<OpCase> reduction_table() {
  const Shape s = {2, 3, 4};
  auto sum_over = [s](const ref::Dims& axes) {
    return [s, axes](const Values& x) { return ref::reduce_sum(x, s, axes); };
  };
  auto mean_over = [s](const ref::Dims& axes) {
    return [s, axes](const Values& x) { return ref::reduce_mean(x, s, axes); };
  };
  auto max_over = [s](const ref::Dims& axes) {
    return [s, axes](const Values& x) { return ref::reduce_max(x, s, axes); };
  };
  auto min_over = [s](const ref::Dims& axes) {
    return [s, axes](const Values& x) { return ref::reduce_min(x, s, axes); };
  };
  std::vector<OpCase> t;
  t.push_back(single(
      "sum all", s, {}, normal(), [](auto& x) { return sum(x); }, sum_over({0, 1, 2})));
  t.push_back(single(
      "sum axes {0,2}", s, {3}, normal(),
      [](auto& x) {
        return sum(x, {0, 2});
      },
      sum_over({0, 2})));
  t.push_back(single(
      "sum axis -1 keepdim", s, {2, 3, 1}, normal(), [](auto& x) { return sum(x, {-1}, true); },
      sum_over({2})));
  t.push_back(single(
      "sum of transposed view, axis 1", s, {4, 2}, normal(),
      [](auto& x) { return sum(transpose(x, 0, 2), {1}); },
      [s](const Values& x) {
        return ref::reduce_sum(ref::permute(x, s, {2, 1, 0}), {4, 3, 2}, {1});
      }));
  t.push_back(single(
      "mean all", s, {}, normal(), [](auto& x) { return mean(x); }, mean_over({0, 1, 2})));
  t.push_back(single(
      "mean axis 1 keepdim", s, {2, 1, 4}, normal(), [](auto& x) { return mean(x, {1}, true); },
      mean_over({1})));
  t.push_back(single(
      "mean axes {0,-1}", s, {3}, normal(),
      [](auto& x) {
        return mean(x, {0, -1});
      },
      mean_over({0, 2})));
  t.push_back(single(
      "max all", s, {}, distinct(), [](auto& x) { return max(x); }, max_over({0, 1, 2})));
  t.push_back(single(
      "max axis 1", s, {2, 4}, distinct(), [](auto& x) { return max(x, {1}); }, max_over({1})));
  t.push_back(single(
      "max axis -1 keepdim", s, {2, 3, 1}, distinct(), [](auto& x) { return max(x, {-1}, true); },
      max_over({2})));
  t.push_back(single(
      "min axis 0 keepdim", s, {1, 3, 4}, distinct(), [](auto& x) { return min(x, {0}, true); },
      min_over({0})));
  t.push_back(single(
      "min axes {0,2}", s, {3}, distinct(),
      [](auto& x) {
        return min(x, {0, 2});
      },
      min_over({0, 2})));
  t.push_back(single(
      "sum_to [3,1]", s, {3, 1}, normal(),
      [](auto& x) {
        return sum_to(x, {3, 1});
      },
      sum_over({0, 2})));
  t.push_back(single(
      "sum_to [1,4]", s, {1, 4}, normal(),
      [](auto& x) {
        return sum_to(x, {1, 4});
      },
      sum_over({0, 1})));
  t.push_back(single(
      "sum_to same shape", {2, 3}, {2, 3}, normal(),
      [](auto& x) {
        return sum_to(x, {2, 3});
      },
      [](const Values& x) { return x; }));
  return t;
}

std::vector<OpCase> shape_table() {
  const Shape s = {2, 3, 4};
  auto same = [](const Values& x) { return x; };
  std::vector<OpCase> t;
  t.push_back(single(
      "reshape [4,-1]", s, {4, 6}, normal(),
      [](auto& x) {
        return reshape(x, {4, -1});
      },
      same));
  t.push_back(single(
      "reshape of transposed view", s, {6, 4}, normal(),
      [](auto& x) {
        return reshape(transpose(x, 0, 1), {6, -1});
      },
      [s](const Values& x) {
        return ref::permute(x, s, {1, 0, 2});
      }));
  t.push_back(single(
      "flatten 1..2", s, {2, 12}, normal(), [](auto& x) { return flatten(x, 1, 2); }, same));
  t.push_back(single(
      "flatten all", s, {24}, normal(), [](auto& x) { return flatten(x); }, same));
  t.push_back(single(
      "permute {2,0,1}", s, {4, 2, 3}, normal(),
      [](auto& x) {
        return permute(x, {2, 0, 1});
      },
      [s](const Values& x) {
        return ref::permute(x, s, {2, 0, 1});
      }));
  t.push_back(single(
      "transpose 0,2", s, {4, 3, 2}, normal(), [](auto& x) { return transpose(x, 0, 2); },
      [s](const Values& x) {
        return ref::permute(x, s, {2, 1, 0});
      }));
  t.push_back(single(
      "unsqueeze 1", {2, 3}, {2, 1, 3}, normal(), [](auto& x) { return unsqueeze(x, 1); }, same));
  t.push_back(single(
      "unsqueeze -1", {2, 3}, {2, 3, 1}, normal(), [](auto& x) { return unsqueeze(x, -1); }, same));
  t.push_back(single(
      "squeeze 1", {2, 1, 3}, {2, 3}, normal(), [](auto& x) { return squeeze(x, 1); }, same));
  auto expanded = [](const Shape& from, const Shape& to) {
    return [from, to](const Values& x) {
      Values out(static_cast<size_t>(ref::numel(to)));
      for (int64_t i = 0; i < ref::numel(to); ++i)
        out[i] = x[ref::broadcast_ravel(ref::unravel(i, to), from)];
      return out;
    };
  };
  t.push_back(single(
      "expand [3,1]->[2,3,4]", {3, 1}, s, normal(), [s](auto& x) { return expand(x, s); },
      expanded({3, 1}, s)));
  t.push_back(single(
      "expand [4]->[3,4]", {4}, {3, 4}, normal(),
      [](auto& x) {
        return expand(x, {3, 4});
      },
      expanded({4}, {3, 4})));
  t.push_back(single(
      "slice axis 0, 1:5:2", {5, 4}, {2, 4}, normal(), [](auto& x) { return slice(x, 0, 1, 5, 2); },
      [](const Values& x) {
        return ref::slice(x, {5, 4}, 0, 1, 5, 2);
      }));
  t.push_back(single(
      "slice axis 1, -4:6:2", {3, 6}, {3, 2}, normal(),
      [](auto& x) { return slice(x, 1, -4, 6, 2); },
      [](const Values& x) {
        return ref::slice(x, {3, 6}, 1, 2, 6, 2);
      }));
  t.push_back(single(
      "slice axis -1, 0:3", s, {2, 3, 3}, normal(), [](auto& x) { return slice(x, -1, 0, 3); },
      [s](const Values& x) { return ref::slice(x, s, 2, 0, 3, 1); }));
  t.push_back(single(
      "slice_backward into [5,2] rows 1:5:2", {2, 2}, {5, 2}, normal(),
      [](auto& x) {
        return slice_backward(x, {5, 2}, 0, 1, 5, 2);
      },
      [](const Values& x) {
        Values out(10, 0.0);
        for (int64_t r = 0; r < 2; ++r)
          for (int64_t c = 0; c < 2; ++c) out[(1 + 2 * r) * 2 + c] = x[r * 2 + c];
        return out;
      }));
  // concat of [2,1,3], [2,2,3], [2,3,3] on the middle axis -> [2,6,3].
  t.push_back({"concat 3 inputs, axis 1",
               {{2, 1, 3}, {2, 2, 3}, {2, 3, 3}},
               {2, 6, 3},
               {normal()},
               [](const TensorList& x) { return concat(x, 1); },
               [](const ValuesList& x) {
                 Values out;
                 for (int64_t b = 0; b < 2; ++b)
                   for (int64_t i = 0; i < 3; ++i) {
                     int64_t rows = i + 1;  // input i has i+1 rows on axis 1
                     for (int64_t k = 0; k < rows * 3; ++k) out.push_back(x[i][b * rows * 3 + k]);
                   }
                 return out;
               }});
  t.push_back({"concat axis 0",
               {{1, 3}, {2, 3}},
               {3, 3},
               {normal()},
               [](const TensorList& x) { return concat(x, 0); },
               [](const ValuesList& x) {
                 Values out = x[0];
                 out.insert(out.end(), x[1].begin(), x[1].end());
                 return out;
               }});
  // Repeated indices: the gradient must accumulate (index_add), not overwrite.
  t.push_back(single(
      "index_select axis 0, repeated", {4, 3}, {5, 3}, normal(),
      [](auto& x) {
        return index_select(x, 0, from_indices({2, 0, 2, 3, 2}, {5}));
      },
      [](const Values& x) {
        return ref::index_select(x, {4, 3}, 0, {2, 0, 2, 3, 2});
      }));
  t.push_back(single(
      "index_select axis 1, [2,2] index", s, {2, 4, 4}, normal(),
      [](auto& x) {
        return index_select(x, 1, from_indices({2, 0, 2, 2}, {2, 2}));
      },
      [s](const Values& x) {
        return ref::index_select(x, s, 1, {2, 0, 2, 2});
      }));
  t.push_back(single(
      "index_add axis 1 into [2,4]", {2, 5}, {2, 4}, normal(),
      [](auto& x) {
        return index_add(x, 1, from_indices({1, 0, 1, 3, 1}, {5}), {2, 4});
      },
      [](const Values& x) {
        const ref::Dims index = {1, 0, 1, 3, 1};
        Values out(8, 0.0);
        for (int64_t r = 0; r < 2; ++r)
          for (int64_t i = 0; i < 5; ++i) out[r * 4 + index[i]] += x[r * 5 + i];
        return out;
      }));
  t.push_back(single(
      "embedding [5,3] by [2,3]", {5, 3}, {2, 3, 3}, normal(),
      [](auto& w) {
        return embedding(w, from_indices({4, 0, 4, 1, 3, 4}, {2, 3}));
      },
      [](const Values& w) {
        return ref::index_select(w, {5, 3}, 0, {4, 0, 4, 1, 3, 4});
      }));
  return t;
}

}  // namespace gradlab::optest

// Built into the parity executable with GRADLAB_OP_TABLE_ROWS_ONLY: the rows, not the CPU checks.
#if !defined(GRADLAB_OP_TABLE_ROWS_ONLY)

TEST_CASE("op table, elementwise: forward, gradient, HVP, third order (float64)", "[ops]") {
  run_table(elementwise_table(), check_float64);
}
TEST_CASE("op table, elementwise: forward and gradient (float32)", "[ops]") {
  run_table(elementwise_table(), check_float32);
}
TEST_CASE("op table, reductions: forward, gradient, HVP, third order (float64)", "[ops]") {
  run_table(reduction_table(), check_float64);
}
TEST_CASE("op table, reductions: forward and gradient (float32)", "[ops]") {
  run_table(reduction_table(), check_float32);
}
TEST_CASE("op table, shape ops: forward, gradient, HVP, third order (float64)", "[ops]") {
  run_table(shape_table(), check_float64);
}
TEST_CASE("op table, shape ops: forward and gradient (float32)", "[ops]") {
  run_table(shape_table(), check_float32);
}

// Every row of the unary op list (gradlab/unary_ops.h) is checked by this table: by a row of its
// own (named like the op, "_" read as " "), or by the row of the op whose forward or gradient
// runs it. A row added to the list without one here fails.
TEST_CASE("op table, elementwise: every op of the unary op list has a row", "[ops]") {
  const std::map<std::string, std::string> through = {
      {"step", "relu"},                       // relu's derivative mask
      {"expm1", "elu"},                       // elu = relu(x) + alpha * expm1(-relu(-x))
      {"reciprocal", "rdiv 1 (reciprocal)"},  // rdiv(1, x)
      {"sign", ""},  // no gradient: the "non-differentiable ops" test case below
  };
  std::vector<std::string> rows;
  for (const OpCase& c : elementwise_table()) rows.push_back(c.name);
  auto has_row = [&](const std::string& name, bool prefix) {
    return std::any_of(rows.begin(), rows.end(), [&](const std::string& row) {
      return row == name || (prefix && row.rfind(name + " ", 0) == 0);
    });
  };
  for (int i = 0; i < kUnaryOpCount; ++i) {
    std::string op = unary_op_name(static_cast<UnaryOp>(i));
    INFO("unary op " << op);
    const auto via = through.find(op);
    if (via == through.end()) {
      std::replace(op.begin(), op.end(), '_', ' ');
      CHECK(has_row(op, true));
    } else if (!via->second.empty()) {
      CHECK(has_row(via->second, false));
    }
  }
}

// sign, comparisons and argmax have no gradient: check their values in both dtypes, and that
// they never carry autograd history even when their input requires grad.
TEST_CASE("non-differentiable ops: forward against the reference", "[ops]") {
  Rng rng(20240611, 1);
  Values a = lattice(0.0)(rng, 12), b = lattice(0.2)(rng, 12);
  for (int i = 0; i < 12; i += 3) b[i] = a[i];  // some ties for equal/greater/less
  a[5] = 0.0;                                   // sign(0) = 0
  for (DType dtype : {DType::F32, DType::F64}) {
    INFO("dtype " << dtype_name(dtype));
    Tensor ta = from_vector(a, {3, 4}, dtype).requires_grad_();
    Tensor tb = from_vector(b, {3, 4}, dtype);
    auto expect = [&](const Tensor& got, const std::function<double(double, double)>& f) {
      CHECK(got.shape() == Shape{3, 4});
      CHECK_FALSE(got.requires_grad());
      Values want(12);
      for (size_t i = 0; i < 12; ++i) want[i] = f(a[i], b[i]);
      CHECK(got.to_vector() == want);
    };
    expect(sign(ta), [](double x, double) { return double((x > 0) - (x < 0)); });
    expect(greater(ta, tb), [](double x, double y) { return x > y ? 1.0 : 0.0; });
    expect(less(ta, tb), [](double x, double y) { return x < y ? 1.0 : 0.0; });
    expect(equal(ta, tb), [](double x, double y) { return x == y ? 1.0 : 0.0; });
    // argmax over each axis of distinct values (ties never occur).
    Values d = distinct()(rng, 12);
    Tensor td = from_vector(d, {3, 4}, dtype);
    std::vector<int64_t> rows(3), cols(4);
    for (int64_t r = 0; r < 3; ++r)
      for (int64_t c = 1; c < 4; ++c)
        if (d[r * 4 + c] > d[r * 4 + rows[r]]) rows[r] = c;
    for (int64_t c = 0; c < 4; ++c)
      for (int64_t r = 1; r < 3; ++r)
        if (d[r * 4 + c] > d[cols[c] * 4 + c]) cols[c] = r;
    CHECK(argmax(td, 1).dtype() == DType::I64);
    CHECK(argmax(td, -1).to_vector_i64() == rows);
    CHECK(argmax(td, 0).to_vector_i64() == cols);
  }
}

#endif  // !GRADLAB_OP_TABLE_ROWS_ONLY
