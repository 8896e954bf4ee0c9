// gemm_kernels.h — the GEMM implementations behind gradlab::sgemm / dgemm (internal).
//
// gemm.cpp validates arguments, handles the empty cases (m or n == 0, k == 0, alpha == 0)
// and then calls exactly one of these. They take the same arguments as sgemm/dgemm and
// assume them valid with m, n, k > 0. The portable ones are always compiled so that the
// tests exercise the packing/blocking code natively too; the WASM ones only exist in the
// WebAssembly build (they need wasm_simd128.h).
#pragma once

#include <cstdint>

namespace gradlab::detail {

// Packed, cache-blocked GEMM with a plain-C++ micro-kernel (gemm_packed.h).
void sgemm_portable(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                    const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c,
                    int64_t ldc);
void dgemm_portable(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, double alpha,
                    const double* a, int64_t lda, const double* b, int64_t ldb, double beta,
                    double* c, int64_t ldc);

#if defined(GRADLAB_WASM)
// The same driver with wasm_simd128 micro-kernels and packing (gemm_wasm_simd.cpp).
void sgemm_wasm_simd(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                     const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c,
                     int64_t ldc);
void dgemm_wasm_simd(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, double alpha,
                     const double* a, int64_t lda, const double* b, int64_t ldb, double beta,
                     double* c, int64_t ldc);
#endif

}  // namespace gradlab::detail
