// gemm_wasm_simd.cpp — hand-written wasm_simd128 GEMM micro-kernels for the WebAssembly
// build (compiled with -msimd128; the whole file is empty elsewhere).
//
// The blocking and packing are gemm_packed.h's; this file supplies register-blocked
// micro-kernels. Packing already turned op(A) and op(B) into unit-stride slivers, so all
// four transposition cases run the same kernel at the same speed.
//
// Tile: MR rows x NV vectors of C kept in v128 registers. Per k step the kernel loads NV
// vectors of the packed B row, broadcasts each of the MR packed A values with
// v128.load32_splat / load64_splat (one load instruction on x64 engines), and does MR*NV
// multiply+add pairs (WASM SIMD has no fused multiply-add before relaxed-simd).
//
// Choosing MR x NV (measured under node 20 / V8 11.3 on the 2-vCPU AMD EPYC dev machine,
// f32 512^3, GFLOP/s of process CPU time; the ceiling is ~51 = 2 mul + 2 add pipes x 4 lanes
// x ~3.2 GHz): 5x2 41, 3x3 41, 2x4 40, 4x2 39, 1x8 12, 6x2 25 (spills). V8 on x64
// allocates 15 xmm registers (xmm15 is its scratch): MR*NV accumulators + NV B vectors
// + 1 broadcast + 1 product temporary must fit, which 5x2 (14) does and 6x2 (16) does not.
// Per k step 5x2 issues ~30 instructions for 80 flops, so the 6-wide front end and the four
// FP pipes saturate together; unrolling the k loop (clang's unroller, or by hand) raised
// register pressure and lost ~25 %. f64 (f64x2): 5x2 21, 3x3 20.5, 4x2 19, 6x2 13.5.
#if defined(GRADLAB_WASM)

#include <wasm_simd128.h>

#include "gemm_kernels.h"
#include "gemm_packed.h"

namespace gradlab::detail {
namespace {

// Lane traits: f32x4 (4 lanes) and f64x2 (2 lanes) share one kernel template.
struct F32Lanes {
  using Scalar = float;
  static constexpr int kLanes = 4;
  static v128_t splat_load(const float* p) { return wasm_v128_load32_splat(p); }
  static v128_t splat(float v) { return wasm_f32x4_splat(v); }
  static v128_t mul(v128_t x, v128_t y) { return wasm_f32x4_mul(x, y); }
  static v128_t add(v128_t x, v128_t y) { return wasm_f32x4_add(x, y); }
};
struct F64Lanes {
  using Scalar = double;
  static constexpr int kLanes = 2;
  static v128_t splat_load(const double* p) { return wasm_v128_load64_splat(p); }
  static v128_t splat(double v) { return wasm_f64x2_splat(v); }
  static v128_t mul(v128_t x, v128_t y) { return wasm_f64x2_mul(x, y); }
  static v128_t add(v128_t x, v128_t y) { return wasm_f64x2_add(x, y); }
};

template <class L, int MR_, int NV, int64_t MC_, int64_t KC_, int64_t NC_>
struct SimdKernel : PackingDefaults<typename L::Scalar, MR_, NV * L::kLanes> {
  using Scalar = typename L::Scalar;
  static constexpr int MR = MR_;
  static constexpr int NR = NV * L::kLanes;
  static constexpr int64_t MC = MC_;
  static constexpr int64_t KC = KC_;
  static constexpr int64_t NC = NC_;

  // C(MR, NR) = alpha * A_sliver(kc, MR)^T B_sliver(kc, NR) + beta * C (beta == 0: C not read).
  // noinline: inlined into the driver, the driver's live loop state and alpha/beta compete
  // with the accumulators for registers and V8 spills inside the k loop (5x2: 41 -> 26).
  __attribute__((noinline)) static void micro(int64_t kc, const Scalar* a_sliver,
                                              const Scalar* b_sliver, Scalar* c, int64_t ldc,
                                              Scalar alpha, Scalar beta) {
    v128_t acc[MR][NV];  // (MR, NR) as NV vectors per row
    for (int r = 0; r < MR; ++r)
      for (int v = 0; v < NV; ++v) acc[r][v] = wasm_i64x2_const(0, 0);
    const Scalar* ap = a_sliver;  // (kc, MR)
    const Scalar* bp = b_sliver;  // (kc, NR)
    for (int p = 0; p < static_cast<int>(kc); ++p) {
      v128_t bv[NV];  // op(B)[p, tile columns]
      for (int v = 0; v < NV; ++v) bv[v] = wasm_v128_load(bp + v * L::kLanes);
      for (int r = 0; r < MR; ++r) {
        const v128_t av = L::splat_load(ap + r);  // op(A)[row r, p] in every lane
        for (int v = 0; v < NV; ++v) acc[r][v] = L::add(acc[r][v], L::mul(av, bv[v]));
      }
      ap += MR;
      bp += NR;
    }
    const v128_t alpha_v = L::splat(alpha);
    if (beta == Scalar(0)) {
      for (int r = 0; r < MR; ++r)
        for (int v = 0; v < NV; ++v)
          wasm_v128_store(c + r * ldc + v * L::kLanes, L::mul(alpha_v, acc[r][v]));
    } else {
      const v128_t beta_v = L::splat(beta);
      for (int r = 0; r < MR; ++r)
        for (int v = 0; v < NV; ++v) {
          Scalar* out = c + r * ldc + v * L::kLanes;
          wasm_v128_store(out,
                          L::add(L::mul(alpha_v, acc[r][v]), L::mul(beta_v, wasm_v128_load(out))));
        }
    }
  }
};

// Cache blocks (MC, KC, NC): the KC-long A and B slivers (26 KB f32, 18 KB f64) stay in the
// 32 KB L1 during the micro-kernel, the packed A block (MC x KC, 240 KB) in L2, the B panel
// (KC x NC, 4 MB f32 / 2 MB f64) in L3. KC = 512 beat 256 by ~7 % for f32 (fewer passes
// over C); MC from 60 to 240 rows made no measurable difference.
using SgemmKernel = SimdKernel<F32Lanes, 5, 2, 120, 512, 2048>;
using DgemmKernel = SimdKernel<F64Lanes, 5, 2, 120, 256, 1024>;

}  // namespace

void sgemm_wasm_simd(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                     const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c,
                     int64_t ldc) {
  packed_gemm<SgemmKernel>(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

void dgemm_wasm_simd(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, double alpha,
                     const double* a, int64_t lda, const double* b, int64_t ldb, double beta,
                     double* c, int64_t ldc) {
  packed_gemm<DgemmKernel>(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

}  // namespace gradlab::detail

#endif  // GRADLAB_WASM
