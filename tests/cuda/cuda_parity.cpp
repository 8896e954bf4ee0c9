// cuda_parity.cpp — the CUDA backend against the CPU backend (issue 8 acceptance), as its own
// executable gradlab_cuda_parity, built only with -DGRADLAB_CUDA=ON.
//
// 1. Every row of the op table (tests/ops/op_tables.h) is evaluated with its inputs on the GPU
//    and on the CPU: the forward value, the gradient of L(x) = Σ r ⊙ f(x) and the
//    Hessian-vector product H v (double backward), in float32 and float64. Norm-wise relative
//    agreement: 1e-5 in float32, 1e-12 in float64 (absolute 1e-8 where the CPU value is ~0,
//    as in op_harness.h). A row whose op reads device memory on the host, or creates a tensor
//    on the wrong device, fails here with the row's name.
// 2. Backend kernels directly, on sizes the op table does not reach: GEMM in all four
//    transposition cases, batched with a broadcast (stride 0) operand and with k = 0; long and
//    many-output reductions (both reduction kernels); scatter_add with repeated indices.
// 3. Device memory: peak_allocated_bytes() grows with what tensors hold.
//
// Without a GPU (or a driver) nothing here can run: main prints "SKIPPED: no GPU" with the
// reason and exits with 77, which ctest reports as *skipped* (SKIP_RETURN_CODE), never passed.
#define CATCH_CONFIG_RUNNER
#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdio>
#include <string>

#include "../ops/op_tables.h"
#include "gradlab/autograd.h"
#include "gradlab/backend.h"
#include "gradlab/ops.h"
#include "gradlab/rng.h"

namespace {

using namespace gradlab;
using namespace gradlab::optest;

struct Evaluation {
  Values forward, gradient, hvp;
};

TensorList inputs_on(const OpCase& op, const Values& flat, DType dtype, Device device,
                     bool requires_grad) {
  ValuesList parts = split(flat, op.shapes);
  TensorList out;
  for (size_t i = 0; i < parts.size(); ++i) {
    out.push_back(from_vector(parts[i], op.shapes[i], dtype, device));
    if (requires_grad) out.back().requires_grad_();
  }
  return out;
}

Evaluation evaluate(const OpCase& op, const RowData& d, DType dtype, Device device) {
  auto loss = [&](const TensorList& in) {
    Tensor y = op.fn(in);
    return sum(mul(from_vector(d.r, y.shape(), dtype, device), y));
  };
  Evaluation e;
  {
    NoGradGuard no_grad;
    Tensor y = op.fn(inputs_on(op, d.x, dtype, device, false));
    INFO(op.name << ": output on " << device_name(y.device()) << ", inputs on "
                 << device_name(device));
    CHECK(y.device() == device);
    e.forward = y.to_vector();
  }
  TensorList in = inputs_on(op, d.x, dtype, device, true);
  e.gradient = flatten(grad(loss(in), in));
  TensorList at = inputs_on(op, d.x, dtype, device, true);
  TensorList dir = inputs_on(op, d.v, dtype, device, false);
  e.hvp = flatten(hvp(loss, at, dir));
  return e;
}

void check_row(const OpCase& op, DType dtype) {
  RowData d = draw_row(op);
  if (dtype == DType::F32) {  // both backends start from the same float inputs
    d.x = round_to_float(d.x);
    d.r = round_to_float(d.r);
    d.v = round_to_float(d.v);
  }
  const double tol = dtype == DType::F32 ? 1e-5 : 1e-12;
  const Evaluation cpu = evaluate(op, d, dtype, Device::CPU);
  const Evaluation gpu = evaluate(op, d, dtype, Device::CUDA);
  expect_close(op, dtype, "cuda forward vs cpu", gpu.forward, cpu.forward, tol);
  expect_close(op, dtype, "cuda gradient vs cpu", gpu.gradient, cpu.gradient, tol);
  expect_close(op, dtype, "cuda hvp vs cpu", gpu.hvp, cpu.hvp, tol);
}

void check_f32(const OpCase& op) { check_row(op, DType::F32); }
void check_f64(const OpCase& op) { check_row(op, DType::F64); }

// Same random values on both devices.
Tensor randn_on(const Shape& shape, uint64_t seed, DType dtype, Device device) {
  Rng rng(seed);
  return randn(shape, rng, dtype).to(device);
}

void expect_same(const char* what, DType dtype, const Tensor& gpu, const Tensor& cpu) {
  const double tol = dtype == DType::F32 ? 1e-5 : 1e-12;
  Comparison c = compare(gpu.to_vector(), cpu.to_vector(), tol);
  INFO(what << " [" << dtype_name(dtype) << "]: " << c.describe(tol));
  CHECK(c.ok);
}

}  // namespace

// One test case per table and dtype: run_table opens a section per row, and a section name
// seen twice in one test case would run only once.
TEST_CASE("cuda parity, op table elementwise (float64)", "[cuda]") {
  run_table(elementwise_table(), check_f64);
}
TEST_CASE("cuda parity, op table elementwise (float32)", "[cuda]") {
  run_table(elementwise_table(), check_f32);
}
TEST_CASE("cuda parity, op table reductions (float64)", "[cuda]") {
  run_table(reduction_table(), check_f64);
}
TEST_CASE("cuda parity, op table reductions (float32)", "[cuda]") {
  run_table(reduction_table(), check_f32);
}
TEST_CASE("cuda parity, op table shape ops (float64)", "[cuda]") {
  run_table(shape_table(), check_f64);
}
TEST_CASE("cuda parity, op table shape ops (float32)", "[cuda]") {
  run_table(shape_table(), check_f32);
}
TEST_CASE("cuda parity, op table linear algebra (float64)", "[cuda]") {
  run_table(linalg_table(), check_f64);
}
TEST_CASE("cuda parity, op table linear algebra (float32)", "[cuda]") {
  run_table(linalg_table(), check_f32);
}
TEST_CASE("cuda parity, op table convolution and pooling (float64)", "[cuda]") {
  run_table(conv_table(), check_f64);
}
TEST_CASE("cuda parity, op table convolution and pooling (float32)", "[cuda]") {
  run_table(conv_table(), check_f32);
}
TEST_CASE("cuda parity, op table nn composites (float64)", "[cuda]") {
  run_table(nn_table(), check_f64);
}
TEST_CASE("cuda parity, op table nn composites (float32)", "[cuda]") {
  run_table(nn_table(), check_f32);
}

TEST_CASE("cuda parity, gemm: every transposition, batched, broadcast, k = 0", "[cuda]") {
  for (DType dtype : {DType::F32, DType::F64}) {
    for (bool ta : {false, true})
      for (bool tb : {false, true}) {
        INFO("trans_a " << ta << ", trans_b " << tb);
        // a [3, 70, 50] or its transpose, b [50, 90] or its transpose broadcast over the batch.
        Tensor a = randn_on(ta ? Shape{3, 50, 70} : Shape{3, 70, 50}, 1, dtype, Device::CPU);
        Tensor b = randn_on(tb ? Shape{90, 50} : Shape{50, 90}, 2, dtype, Device::CPU);
        auto product = [&](Device dev) {
          Tensor A = a.to(dev), B = b.to(dev);
          if (ta) A = transpose(A, -1, -2);
          if (tb) B = transpose(B, -1, -2);
          return matmul(A, B);  // [3, 70, 90]
        };
        expect_same("gemm", dtype, product(Device::CUDA), product(Device::CPU));
      }
    Tensor empty_k = matmul(zeros({4, 0}, dtype, Device::CUDA), zeros({0, 5}, dtype, Device::CUDA));
    CHECK(empty_k.to_vector() == std::vector<double>(20, 0.0));
  }
}

TEST_CASE("cuda parity, reductions on large and many-output shapes", "[cuda]") {
  for (DType dtype : {DType::F32, DType::F64}) {
    Tensor x = randn_on({512, 3000}, 3, dtype, Device::CPU);
    Tensor y = x.to(Device::CUDA);
    expect_same("full sum", dtype, sum(y), sum(x));
    expect_same("row sums", dtype, sum(y, {1}), sum(x, {1}));
    expect_same("column sums", dtype, sum(y, {0}), sum(x, {0}));
    expect_same("row max", dtype, max(y, {1}), max(x, {1}));
    expect_same("column min", dtype, min(y, {0}), min(x, {0}));
    Tensor many = randn_on({20000, 10}, 4, dtype, Device::CPU);  // softmax-like: per-thread kernel
    expect_same("many short rows", dtype, sum(many.to(Device::CUDA), {1}), sum(many, {1}));
    expect_same("permuted sums", dtype, sum(transpose(y, 0, 1), {1}), sum(transpose(x, 0, 1), {1}));
  }
}

TEST_CASE("cuda parity, gather and scatter_add with repeated indices", "[cuda]") {
  for (DType dtype : {DType::F32, DType::F64}) {
    Tensor w = randn_on({50, 64}, 5, dtype, Device::CPU);
    std::vector<int64_t> ids;
    Rng rng(6);
    for (int i = 0; i < 300; ++i) ids.push_back(static_cast<int64_t>(rng.below(50)));
    Tensor idx = from_indices(ids, {300});
    Tensor picked_cpu = index_select(w, 0, idx);
    Tensor picked_gpu = index_select(w.to(Device::CUDA), 0, idx);  // index moves to the GPU
    expect_same("gather", dtype, picked_gpu, picked_cpu);
    expect_same("scatter_add", dtype, index_add(picked_gpu, 0, idx, {50, 64}),
                index_add(picked_cpu, 0, idx, {50, 64}));
  }
}

TEST_CASE("cuda parity, peak device memory is tracked", "[cuda]") {
  const int64_t before = backend(Device::CUDA).peak_allocated_bytes();
  { Tensor big = zeros({1 << 20}, DType::F64, Device::CUDA); }  // 8 MiB
  CHECK(backend(Device::CUDA).peak_allocated_bytes() >= std::max<int64_t>(before, 8 << 20));
}

int main(int argc, char** argv) {
  if (!gradlab::device_available(gradlab::Device::CUDA)) {
    std::string why = "unknown reason";
    try {
      gradlab::backend(gradlab::Device::CUDA);
    } catch (const std::exception& e) {
      why = e.what();
    }
    std::printf("SKIPPED: no GPU: the CUDA parity tests did not run (%s)\n", why.c_str());
    return 77;  // ctest: SKIP_RETURN_CODE, reported as skipped
  }
  std::printf("cuda parity on %s\n", gradlab::backend(gradlab::Device::CUDA).name().c_str());
  return Catch::Session().run(argc, argv);
}
