// gemm.cpp — gradlab::sgemm / dgemm: argument checks, the cases with no product term, and
// dispatch to one implementation chosen at build time:
//   GRADLAB_OPENBLAS (native)  -> OpenBLAS cblas_?gemm, threads via openblas_set_num_threads
//   GRADLAB_WASM               -> wasm_simd128 packed kernels (gemm_wasm_simd.cpp); in the
//                                 threaded module split by rows of C over the CPU pool
//   neither                    -> the portable packed kernel (gemm_packed.h)
#include "gradlab/gemm.h"

#include <algorithm>
#include <atomic>
#include <climits>
#include <mutex>

#include "cpu_parallel.h"
#include "gemm_kernels.h"
#include "gemm_packed.h"
#include "gradlab/error.h"
#include "gradlab/threads.h"

#if defined(GRADLAB_OPENBLAS)
#include <cblas.h>
// Declared here as well because cblas.h from other BLAS vendors lacks it; we link OpenBLAS.
extern "C" void openblas_set_num_threads(int num_threads);
#endif

namespace gradlab {

namespace detail {

// 4 x 8 (f32) / 4 x 4 (f64) tiles: small enough for any register file, and the
// accumulator loops auto-vectorise natively.
void sgemm_portable(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                    const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c,
                    int64_t ldc) {
  packed_gemm<PortableKernel<float, 4, 8>>(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta,
                                           c, ldc);
}
void dgemm_portable(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, double alpha,
                    const double* a, int64_t lda, const double* b, int64_t ldb, double beta,
                    double* c, int64_t ldc) {
  packed_gemm<PortableKernel<double, 4, 4>>(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta,
                                            c, ldc);
}

}  // namespace detail

namespace {

std::atomic<int> g_threads{1};

#if defined(GRADLAB_OPENBLAS)
// OpenBLAS otherwise starts one thread per core; gradlab's default is 1 (experiments that
// run several processes, and benchmarks, choose threads explicitly).
std::once_flag g_openblas_init;
void ensure_openblas_threads() {
  std::call_once(g_openblas_init, [] { openblas_set_num_threads(g_threads.load()); });
}
#endif

// BLAS argument rules (row-major): dims >= 0, each leading dimension at least the stored
// row length and at least 1. Natively cblas takes int, so everything must fit in one.
void check_args(const char* op, bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k,
                int64_t lda, int64_t ldb, int64_t ldc) {
  if (m < 0 || n < 0 || k < 0) fail<ValueError>(op, ": negative size m=", m, " n=", n, " k=", k);
  const int64_t a_cols = trans_a ? m : k;  // A stored (m, k) or, transposed, (k, m)
  const int64_t b_cols = trans_b ? k : n;  // B stored (k, n) or, transposed, (n, k)
  if (lda < std::max<int64_t>(1, a_cols))
    fail<ValueError>(op, ": lda=", lda, " < ", a_cols, " (A stored ", trans_a ? "k x m" : "m x k",
                     " with m=", m, " k=", k, ")");
  if (ldb < std::max<int64_t>(1, b_cols))
    fail<ValueError>(op, ": ldb=", ldb, " < ", b_cols, " (B stored ", trans_b ? "n x k" : "k x n",
                     " with k=", k, " n=", n, ")");
  if (ldc < std::max<int64_t>(1, n)) fail<ValueError>(op, ": ldc=", ldc, " < n=", n);
#if defined(GRADLAB_OPENBLAS)
  for (int64_t v : {m, n, k, lda, ldb, ldc})
    if (v > INT_MAX)
      fail<ValueError>(op, ": size ", v, " exceeds the 32-bit BLAS interface (m=", m, " n=", n,
                       " k=", k, ")");
#endif
}

template <class T>
bool product_vanishes(int64_t m, int64_t n, int64_t k, T alpha, T beta, T* c, int64_t ldc) {
  if (m == 0 || n == 0) return true;
  if (k == 0 || alpha == T(0)) {
    detail::scale_c(m, n, beta, c, ldc);
    return true;
  }
  return false;
}

#if defined(GRADLAB_WASM)
// The WASM kernels on contiguous bands of rows of C, one band per pool thread when the product
// is big enough to pay for waking them (≥ 2^20 multiply-adds; always one band in the
// single-threaded module). Each element of C is still one kernel's sum over the same k
// blocks in the same order, so the result does not depend on the number of bands.
template <class T, class Kernel>
void gemm_row_bands(Kernel kernel, bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k,
                    T alpha, const T* a, int64_t lda, const T* b, int64_t ldb, T beta, T* c,
                    int64_t ldc) {
  const int bands = m * n * k >= (int64_t{1} << 20) ? cpu::plan_tasks(m, 16) : 1;
  if (bands <= 1) {
    kernel(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    return;
  }
  cpu::run_tasks(bands, [&](int band) {
    const int64_t r0 = m * band / bands, r1 = m * (band + 1) / bands;
    // Row r of op(A): row r of A, or column r of A when transposed.
    const T* a_rows = trans_a ? a + r0 : a + r0 * lda;
    kernel(trans_a, trans_b, r1 - r0, n, k, alpha, a_rows, lda, b, ldb, beta, c + r0 * ldc, ldc);
  });
}
#endif

}  // namespace

void sgemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
           int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  check_args("sgemm", trans_a, trans_b, m, n, k, lda, ldb, ldc);
  if (product_vanishes(m, n, k, alpha, beta, c, ldc)) return;
#if defined(GRADLAB_OPENBLAS)
  ensure_openblas_threads();
  cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
              trans_b ? CblasTrans : CblasNoTrans, static_cast<int>(m), static_cast<int>(n),
              static_cast<int>(k), alpha, a, static_cast<int>(lda), b, static_cast<int>(ldb), beta,
              c, static_cast<int>(ldc));
#elif defined(GRADLAB_WASM)
  gemm_row_bands<float>(detail::sgemm_wasm_simd, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb,
                        beta, c, ldc);
#else
  detail::sgemm_portable(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
#endif
}

void dgemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, double alpha,
           const double* a, int64_t lda, const double* b, int64_t ldb, double beta, double* c,
           int64_t ldc) {
  check_args("dgemm", trans_a, trans_b, m, n, k, lda, ldb, ldc);
  if (product_vanishes(m, n, k, alpha, beta, c, ldc)) return;
#if defined(GRADLAB_OPENBLAS)
  ensure_openblas_threads();
  cblas_dgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
              trans_b ? CblasTrans : CblasNoTrans, static_cast<int>(m), static_cast<int>(n),
              static_cast<int>(k), alpha, a, static_cast<int>(lda), b, static_cast<int>(ldb), beta,
              c, static_cast<int>(ldc));
#elif defined(GRADLAB_WASM)
  gemm_row_bands<double>(detail::dgemm_wasm_simd, trans_a, trans_b, m, n, k, alpha, a, lda, b,
                         ldb, beta, c, ldc);
#else
  detail::dgemm_portable(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
#endif
}

void set_gemm_threads(int threads) {
  if (threads < 1) fail<ValueError>("set_gemm_threads: threads=", threads, " must be >= 1");
#if defined(GRADLAB_OPENBLAS)
  g_threads.store(threads);
  ensure_openblas_threads();  // first use: applies g_threads
  openblas_set_num_threads(threads);
#endif
  // WASM follows cpu_threads() (gemm_row_bands); the portable build runs single-threaded.
}

int gemm_threads() { return g_threads.load(); }

const char* gemm_implementation() {
#if defined(GRADLAB_OPENBLAS)
  return "openblas";
#elif defined(GRADLAB_WASM)
  return "wasm_simd128";
#else
  return "scalar";
#endif
}

}  // namespace gradlab
