// bench_gemm.cpp — GEMM throughput: C = A B with square n x n matrices (n = ctx.sizes()),
// in all four transposition cases for f32 and the plain case for f64.
//
// A backward pass calls exactly the transposed shapes (dW = X^T G is "tn", dX = G W^T is
// "nt"), so each case is measured. GFLOP/s counts 2 m n k flops per call.
#include <cstdint>
#include <vector>

#include "bench.h"
#include "gradlab/gemm.h"

namespace gradlab::bench {
namespace {

// Uniform values in [-1, 1) from a 64-bit LCG (Knuth's MMIX constants): deterministic,
// dependency-free input data; the values only need to be ordinary finite numbers.
template <class T>
std::vector<T> random_matrix(int64_t count, uint64_t seed) {
  std::vector<T> out(static_cast<size_t>(count));
  uint64_t state = seed * 2862933555777941757ULL + 3037000493ULL;
  for (T& v : out) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    v = static_cast<T>(static_cast<double>(state >> 11) * 0x1.0p-53 * 2.0 - 1.0);
  }
  return out;
}

void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda,
          const float* b, int64_t ldb, float* c, int64_t ldc) {
  sgemm(trans_a, trans_b, m, n, k, 1.0f, a, lda, b, ldb, 0.0f, c, ldc);
}
void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, const double* a, int64_t lda,
          const double* b, int64_t ldb, double* c, int64_t ldc) {
  dgemm(trans_a, trans_b, m, n, k, 1.0, a, lda, b, ldb, 0.0, c, ldc);
}

template <class T>
void run_gemm(const Context& ctx, bool trans_a, bool trans_b) {
  for (const int64_t size : ctx.sizes()) {
    const int64_t m = size, n = size, k = size;
    // Stored shapes: A (m, k) or (k, m) when transposed; B (k, n) or (n, k); C (m, n).
    const std::vector<T> a = random_matrix<T>(m * k, 1);
    const std::vector<T> b = random_matrix<T>(k * n, 2);
    std::vector<T> c(static_cast<size_t>(m * n));
    const int64_t lda = trans_a ? m : k;
    const int64_t ldb = trans_b ? k : n;
    const Timing t = measure(
        [&] { gemm(trans_a, trans_b, m, n, k, a.data(), lda, b.data(), ldb, c.data(), n); });
    Record(ctx).set("m", m).set("n", n).set("k", k).timing(t).gflops(2.0 * m * n * k, t).emit();
  }
}

}  // namespace

GRADLAB_BENCHMARK(gemm_f32_nn) { run_gemm<float>(ctx, false, false); }
GRADLAB_BENCHMARK(gemm_f32_nt) { run_gemm<float>(ctx, false, true); }
GRADLAB_BENCHMARK(gemm_f32_tn) { run_gemm<float>(ctx, true, false); }
GRADLAB_BENCHMARK(gemm_f32_tt) { run_gemm<float>(ctx, true, true); }
GRADLAB_BENCHMARK(gemm_f64_nn) { run_gemm<double>(ctx, false, false); }

}  // namespace gradlab::bench
