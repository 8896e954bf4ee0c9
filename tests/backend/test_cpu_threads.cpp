// test_cpu_threads.cpp — the multi-threaded CPU backend gives the same numbers for every
// thread count (gradlab/threads.h).
//
// The kernels split only their outputs (and a long sum only along its own pairwise tree), so
// elementwise ops, copies, reductions, im2col/col2im and gather/scatter must be bit-identical
// with 1, 2 and 3 threads. GEMM is split by OpenBLAS as it likes: there we ask for equality
// within rounding across counts, and bit-identical repeats for one count. Sizes are chosen
// above the split threshold (cpu_parallel.h: 2 x 32K elements), and natively the test checks
// that the pool's workers really ran tasks. In WASM set_cpu_threads keeps 1 thread; the
// comparisons then hold trivially and still run.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <vector>

#include "backend/cpu/cpu_parallel.h"
#include "gradlab/autograd.h"
#include "gradlab/ops.h"
#include "gradlab/rng.h"
#include "gradlab/threads.h"

#if defined(GRADLAB_OPENBLAS)
extern "C" int openblas_get_num_threads(void);  // OpenBLAS's own view of its thread count
#endif

namespace {

using namespace gradlab;

// Restores the library default (1 thread) when a test case ends, pass or fail.
struct ThreadCountGuard {
  ~ThreadCountGuard() { set_cpu_threads(1); }
};

// Bit patterns, so -0.0 vs 0.0 and NaN payloads count as differences too.
std::vector<uint64_t> bits(const Tensor& t) {
  std::vector<double> v = t.to_vector();
  std::vector<uint64_t> out(v.size());
  std::memcpy(out.data(), v.data(), v.size() * sizeof(double));
  return out;
}

// Evaluates `compute` with 1, 2 and 3 threads and requires identical bits each time.
void same_bits_for_every_count(const char* what, const std::function<TensorList()>& compute) {
  set_cpu_threads(1);
  TensorList want = compute();
  for (int threads : {2, 3, 2}) {
    set_cpu_threads(threads);
    TensorList got = compute();
    REQUIRE(got.size() == want.size());
    for (size_t i = 0; i < got.size(); ++i) {
      INFO(what << ", result " << i << " (shape " << got[i].shape_str() << "), " << threads
                << " threads vs 1");
      CHECK(bits(got[i]) == bits(want[i]));
    }
  }
}

}  // namespace

TEST_CASE("cpu threads: elementwise, copy, im2col and gather results are bit-identical",
          "[backend][cpu][threads]") {
  ThreadCountGuard guard;
  Rng rng(11);
  for (DType dtype : {DType::F32, DType::F64}) {
    INFO("dtype " << dtype_name(dtype));
    Tensor a = randn({600, 700}, rng, dtype);  // 420K elements: several tasks
    Tensor row = randn({700}, rng, dtype);     // broadcast along rows
    Tensor col = randn({600, 1}, rng, dtype);  // broadcast along columns
    Tensor img = randn({4, 8, 40, 40}, rng, dtype);
    std::vector<int64_t> picks;
    for (int64_t i = 0; i < 900; ++i) picks.push_back(static_cast<int64_t>(rng.below(600)));
    Tensor index = from_indices(picks, {900});
    const int64_t before = cpu::worker_tasks_run();
    same_bits_for_every_count("elementwise", [&] {
      return TensorList{
          tanh(a),
          exp(a),
          add(a, row),
          mul(a, col),
          div(a, add(abs(a), 1.0)),
          full({512, 300}, 0.25, dtype),
          transpose(a, 0, 1).contiguous(),                      // tiled transpose copy
          a.to(dtype == DType::F32 ? DType::F64 : DType::F32),  // converting copy
          unfold(img, 3, 3, {1, 1, 1, 1}),                      // im2col
          fold(unfold(img, 3, 3, {1, 1, 1, 1}), {4, 8, 40, 40}, 3, 3, {1, 1, 1, 1}),  // col2im
          index_select(a, 0, index),                                    // gather with repeats
          index_add(index_select(a, 0, index), 0, index, {600, 700})};  // scatter
    });
#if !defined(GRADLAB_WASM)
    CHECK(cpu::worker_tasks_run() > before);  // the pool's workers really took part
#else
    (void)before;
#endif
  }
}

TEST_CASE("cpu threads: reductions are bit-identical across counts and repeated runs",
          "[backend][cpu][threads]") {
  ThreadCountGuard guard;
  Rng rng(12);
  for (DType dtype : {DType::F32, DType::F64}) {
    INFO("dtype " << dtype_name(dtype));
    Tensor v = randn({1 << 20}, rng, dtype);        // one long pairwise sum
    Tensor rows = randn({300, 4096}, rng, dtype);   // row sums (softmax-like)
    Tensor cols = randn({4096, 300}, rng, dtype);   // column sums (bias gradients)
    Tensor narrow = randn({65536, 3}, rng, dtype);  // few columns: split by columns
    Tensor cube = randn({64, 50, 64}, rng, dtype);  // reduced axes around a kept one
    Tensor with_nan = randn({200000}, rng, dtype);
    {
      std::vector<double> values = with_nan.to_vector();
      values[123457] = std::numeric_limits<double>::quiet_NaN();
      with_nan = from_vector(values, {200000}, dtype);
    }
    same_bits_for_every_count("reductions", [&] {
      return TensorList{sum(v),
                        max(v),
                        min(v),
                        sum(rows, {1}),
                        max(rows, {1}),
                        sum(cols, {0}),
                        min(cols, {0}),
                        sum(narrow, {0}),
                        sum(transpose(cols, 0, 1), {1}),  // strided input
                        sum(cube, {0, 2}),
                        mean(cube, {1}),
                        max(with_nan)};
    });
    // And the split sum is the right number: within float rounding of the result (float32), or
    // far inside the pairwise error bound (float64), of a compensated (Kahan) sum.
    set_cpu_threads(2);
    std::vector<double> values = v.to_vector();
    double kahan = 0, carry = 0;
    for (double x : values) {
      const double y = x - carry;
      const double t = kahan + y;
      carry = (t - kahan) - y;
      kahan = t;
    }
    const double got = sum(v).item();
    const double tol = dtype == DType::F32 ? 2e-7 : 1e-11;
    CHECK(std::fabs(got - kahan) <= tol * (1.0 + std::fabs(kahan)));
    CHECK(std::isnan(max(with_nan).item()));
  }
}

TEST_CASE("cpu threads: GEMM-heavy gradients agree across counts, repeat exactly per count",
          "[backend][cpu][threads]") {
  ThreadCountGuard guard;
  Rng rng(13);
  Tensor x = randn({256, 300}, rng, DType::F64);
  Tensor w1 = randn({300, 200}, rng, DType::F64).requires_grad_();
  Tensor w2 = randn({200, 10}, rng, DType::F64).requires_grad_();
  auto gradients = [&] {
    Tensor loss = sum(square(matmul(tanh(matmul(x, w1)), w2)));
    return grad(loss, {w1, w2});
  };
  set_cpu_threads(1);
  TensorList one = gradients();
  set_cpu_threads(2);
  TensorList two = gradients(), again = gradients();
  for (size_t i = 0; i < one.size(); ++i) {
    CHECK(bits(two[i]) == bits(again[i]));  // deterministic for a fixed count
    std::vector<double> a = one[i].to_vector(), b = two[i].to_vector();
    double diff = 0, norm = 0;
    for (size_t k = 0; k < a.size(); ++k) {
      diff += (a[k] - b[k]) * (a[k] - b[k]);
      norm += a[k] * a[k];
    }
    INFO("gradient " << i << ": relative difference 1 vs 2 threads");
    CHECK(std::sqrt(diff / norm) < 1e-12);
  }
}

TEST_CASE("cpu threads: invalid counts are clear errors, valid ones reach OpenBLAS",
          "[backend][cpu][threads]") {
  ThreadCountGuard guard;
  CHECK(parse_thread_count("1", "run: --threads") == 1);
  CHECK(parse_thread_count("16", "run: --threads") == 16);
  for (const char* bad : {"0", "-2", "1.5", "two", "", "4x", " 3", "100000"}) {
    INFO("text '" << bad << "'");
    try {
      parse_thread_count(bad, "run: --threads");
      FAIL("accepted");
    } catch (const ConfigError& e) {
      const std::string msg = e.what();
      CHECK(msg.find("run: --threads") != std::string::npos);
      CHECK(msg.find(std::string("'") + bad + "'") != std::string::npos);
    }
  }
  CHECK_THROWS_AS(set_cpu_threads(0), ValueError);
  CHECK_THROWS_AS(set_cpu_threads(-1), ValueError);
  CHECK(available_cores() >= 1);
  set_cpu_threads(2);
#if defined(GRADLAB_WASM)
  CHECK(cpu_threads() == 1);  // no threads in the browser build
#else
  CHECK(cpu_threads() == 2);
#endif
#if defined(GRADLAB_OPENBLAS)
  CHECK(openblas_get_num_threads() == 2);  // the count reached OpenBLAS's GEMM
  set_cpu_threads(1);
  CHECK(openblas_get_num_threads() == 1);
#endif
}
