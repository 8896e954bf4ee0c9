// gradlab/gemm.h — single-matrix GEMM kernels used by the CPU backend.
//
// Row-major C = alpha * op(A) * op(B) + beta * C with op(A) m x k and op(B) k x n.
// A is stored m x k (lda >= k) or, when trans_a, k x m (lda >= m); likewise B.
// Natively these call OpenBLAS (cblas); in the WASM build they run hand-written
// wasm_simd128 kernels (packing + register-blocked micro-kernel); `gemm_reference`
// is the naive triple loop used as the test oracle.
#pragma once

#include <cstdint>

namespace gradlab {

void sgemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
           const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c,
           int64_t ldc);
void dgemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, double alpha,
           const double* a, int64_t lda, const double* b, int64_t ldb, double beta, double* c,
           int64_t ldc);

template <class T>
void gemm_reference(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, T alpha,
                    const T* a, int64_t lda, const T* b, int64_t ldb, T beta, T* c, int64_t ldc) {
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      T acc = 0;
      for (int64_t p = 0; p < k; ++p) {
        T av = trans_a ? a[p * lda + i] : a[i * lda + p];
        T bv = trans_b ? b[j * ldb + p] : b[p * ldb + j];
        acc += av * bv;
      }
      c[i * ldc + j] = alpha * acc + (beta == T(0) ? T(0) : beta * c[i * ldc + j]);
    }
}

// Threads used by native GEMM (OpenBLAS); 1 in WASM. Default 1.
void set_gemm_threads(int threads);
int gemm_threads();
// "openblas", "wasm_simd128" or "scalar" — printed by benchmarks.
const char* gemm_implementation();

}  // namespace gradlab
