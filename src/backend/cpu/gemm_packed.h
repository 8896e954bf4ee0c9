// gemm_packed.h — the cache-blocked, packed GEMM driver shared by the WASM SIMD kernels
// and the portable scalar fallback (internal to src/backend/cpu).
//
// The loop nest is the Goto/BLIS one (Goto & van de Geijn 2008, "Anatomy of
// high-performance matrix multiplication"; Van Zee & van de Geijn 2015, BLIS):
//
//   for jc in n step NC:              B panel  op(B)[pc:pc+KC, jc:jc+NC]  -> packed_b
//     for pc in k step KC:            (lives in L2/L3, reused by every row block)
//       for ic in m step MC:          A block  op(A)[ic:ic+MC, pc:pc+KC]  -> packed_a
//         for jr in NC step NR:       (lives in L2, reused by every column sliver)
//           for ir in MC step MR:     MR x NR tile of C, accumulated in registers
//             micro-kernel(kc)
//
// Packing copies op(A) into MR-row slivers and op(B) into NR-column slivers, each laid out
// k-major, so the micro-kernel reads both with unit stride whatever the transposition:
//
//   packed_a: (ceil(mc/MR), kc, MR)   sliver s holds op(A)[ic+s*MR .. +MR, pc .. pc+kc]
//   packed_b: (ceil(nc/NR), kc, NR)   sliver s holds op(B)[pc .. pc+kc, jc+s*NR .. +NR]
//
// Rows/columns past the matrix edge are packed as zeros, so the micro-kernel always runs
// a full MR x NR tile; a partial tile is written to a scratch tile and merged here.
//
// A Kernel type supplies: `Scalar`, the tile `MR`, `NR`, the cache blocks `MC`, `KC`, `NC`
// (MC % MR == 0, NC % NR == 0), `micro(kc, a_sliver, b_sliver, c, ldc, alpha, beta)`
// computing C_tile = alpha * A_sliver * B_sliver + beta * C_tile (beta == 0: C not read),
// and `pack_a` / `pack_b` (PackingDefaults gives portable ones; a kernel may hide them
// with faster versions).
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

namespace gradlab::detail {

// Packs a kc-long band of a matrix into slivers of W lines: X(w, p) = src[w*w_stride + p*p_stride]
// for w < width, p < kc, becomes packed (ceil(width/W), kc, W) with lines past `width` zero.
// One of the strides is 1: either the W values of one k step are contiguous (a plain copy per
// k step) or each line is contiguous along k (a W-way interleave).
template <class T, int W>
void pack_slivers(const T* src, int64_t w_stride, int64_t p_stride, int64_t width, int64_t kc,
                  T* packed) {
  for (int64_t s = 0; s < width; s += W) {
    const int lines = static_cast<int>(std::min<int64_t>(W, width - s));
    const T* band = src + s * w_stride;
    T* out = packed + s * kc;  // this sliver: (kc, W)
    if (lines == W && w_stride == 1) {
      // Fixed-length copies the compiler turns into vector moves.
      for (int64_t p = 0; p < kc; ++p)
        for (int w = 0; w < W; ++w) out[p * W + w] = band[p * p_stride + w];
    } else if (lines == W) {
      for (int64_t p = 0; p < kc; ++p)
        for (int w = 0; w < W; ++w) out[p * W + w] = band[w * w_stride + p * p_stride];
    } else {
      for (int64_t p = 0; p < kc; ++p) {
        for (int w = 0; w < lines; ++w) out[p * W + w] = band[w * w_stride + p * p_stride];
        for (int w = lines; w < W; ++w) out[p * W + w] = T(0);
      }
    }
  }
}

// Portable packing routines; `Kernel`s inherit them and may hide them with faster ones.
template <class T, int MR, int NR>
struct PackingDefaults {
  // Pack op(A)[i0:i0+mc, p0:p0+kc] into (ceil(mc/MR), kc, MR) slivers.
  // op(A)(i, p) = trans ? a[p*lda + i] : a[i*lda + p].
  static void pack_a(bool trans, const T* a, int64_t lda, int64_t i0, int64_t p0, int64_t mc,
                     int64_t kc, T* packed) {
    if (trans)
      pack_slivers<T, MR>(a + p0 * lda + i0, 1, lda, mc, kc, packed);
    else
      pack_slivers<T, MR>(a + i0 * lda + p0, lda, 1, mc, kc, packed);
  }

  // Pack op(B)[p0:p0+kc, j0:j0+nc] into (ceil(nc/NR), kc, NR) slivers.
  // op(B)(p, j) = trans ? b[j*ldb + p] : b[p*ldb + j].
  static void pack_b(bool trans, const T* b, int64_t ldb, int64_t p0, int64_t j0, int64_t kc,
                     int64_t nc, T* packed) {
    if (trans)
      pack_slivers<T, NR>(b + j0 * ldb + p0, ldb, 1, nc, kc, packed);
    else
      pack_slivers<T, NR>(b + p0 * ldb + j0, 1, ldb, nc, kc, packed);
  }
};

// C = beta * C over an m x n block (beta == 0 writes zeros, ignoring NaN/Inf in C). Used when
// the product term vanishes (k == 0 or alpha == 0), where BLAS does not read A or B.
template <class T>
void scale_c(int64_t m, int64_t n, T beta, T* c, int64_t ldc) {
  for (int64_t i = 0; i < m; ++i) {
    T* row = c + i * ldc;
    if (beta == T(0)) {
      std::fill(row, row + n, T(0));
    } else if (beta != T(1)) {
      for (int64_t j = 0; j < n; ++j) row[j] *= beta;
    }
  }
}

// Row-major C = alpha * op(A) op(B) + beta * C with the blocked loop nest above.
// Arguments are assumed valid and m, n, k > 0 (gemm.cpp checks and handles the empty cases).
template <class Kernel>
void packed_gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k,
                 typename Kernel::Scalar alpha, const typename Kernel::Scalar* a, int64_t lda,
                 const typename Kernel::Scalar* b, int64_t ldb, typename Kernel::Scalar beta,
                 typename Kernel::Scalar* c, int64_t ldc) {
  using T = typename Kernel::Scalar;
  constexpr int MR = Kernel::MR;
  constexpr int NR = Kernel::NR;
  static_assert(Kernel::MC % MR == 0 && Kernel::NC % NR == 0, "cache blocks must hold whole tiles");

  // Reused across calls (one pair per kernel type and thread) so a GEMM does not allocate.
  static thread_local std::vector<T> packed_a_buffer;  // (MC/MR, KC, MR)
  static thread_local std::vector<T> packed_b_buffer;  // (NC/NR, KC, NR)
  const int64_t kc_max = std::min<int64_t>(Kernel::KC, k);
  const int64_t mc_max = std::min<int64_t>(Kernel::MC, (m + MR - 1) / MR * MR);
  const int64_t nc_max = std::min<int64_t>(Kernel::NC, (n + NR - 1) / NR * NR);
  if (packed_a_buffer.size() < static_cast<size_t>(mc_max * kc_max))
    packed_a_buffer.resize(mc_max * kc_max);
  if (packed_b_buffer.size() < static_cast<size_t>(nc_max * kc_max))
    packed_b_buffer.resize(nc_max * kc_max);
  T* packed_a = packed_a_buffer.data();
  T* packed_b = packed_b_buffer.data();

  for (int64_t jc = 0; jc < n; jc += Kernel::NC) {
    const int64_t nc = std::min<int64_t>(Kernel::NC, n - jc);
    for (int64_t pc = 0; pc < k; pc += Kernel::KC) {
      const int64_t kc = std::min<int64_t>(Kernel::KC, k - pc);
      Kernel::pack_b(trans_b, b, ldb, pc, jc, kc, nc, packed_b);
      // The first k block applies the caller's beta; later ones accumulate onto it.
      const T block_beta = pc == 0 ? beta : T(1);
      for (int64_t ic = 0; ic < m; ic += Kernel::MC) {
        const int64_t mc = std::min<int64_t>(Kernel::MC, m - ic);
        Kernel::pack_a(trans_a, a, lda, ic, pc, mc, kc, packed_a);
        for (int64_t jr = 0; jr < nc; jr += NR) {
          const int64_t cols = std::min<int64_t>(NR, nc - jr);
          const T* b_sliver = packed_b + jr * kc;  // (kc, NR)
          for (int64_t ir = 0; ir < mc; ir += MR) {
            const int64_t rows = std::min<int64_t>(MR, mc - ir);
            const T* a_sliver = packed_a + ir * kc;  // (kc, MR)
            T* c_tile = c + (ic + ir) * ldc + jc + jr;
            if (rows == MR && cols == NR) {
              Kernel::micro(kc, a_sliver, b_sliver, c_tile, ldc, alpha, block_beta);
            } else {
              T scratch[MR * NR];  // (MR, NR): the full tile, of which rows x cols are kept
              Kernel::micro(kc, a_sliver, b_sliver, scratch, NR, T(1), T(0));
              for (int64_t r = 0; r < rows; ++r)
                for (int64_t j = 0; j < cols; ++j) {
                  T& out = c_tile[r * ldc + j];
                  out =
                      alpha * scratch[r * NR + j] + (block_beta == T(0) ? T(0) : block_beta * out);
                }
            }
          }
        }
      }
    }
  }
}

// The portable micro-kernel: plain loops over an MR x NR accumulator array, which the
// compiler keeps in registers (and auto-vectorises when it can).
template <class T, int MR_, int NR_>
struct PortableKernel : PackingDefaults<T, MR_, NR_> {
  using Scalar = T;
  static constexpr int MR = MR_;
  static constexpr int NR = NR_;
  static constexpr int64_t MC = 64 * MR_;
  static constexpr int64_t KC = 256;
  static constexpr int64_t NC = 512 * NR_;

  static void micro(int64_t kc, const T* a_sliver, const T* b_sliver, T* c, int64_t ldc, T alpha,
                    T beta) {
    T acc[MR][NR] = {};  // (MR, NR)
    for (int64_t p = 0; p < kc; ++p) {
      const T* ap = a_sliver + p * MR;  // (MR,)
      const T* bp = b_sliver + p * NR;  // (NR,)
      for (int r = 0; r < MR; ++r)
        for (int j = 0; j < NR; ++j) acc[r][j] += ap[r] * bp[j];
    }
    for (int r = 0; r < MR; ++r)
      for (int j = 0; j < NR; ++j) {
        T& out = c[r * ldc + j];
        out = alpha * acc[r][j] + (beta == T(0) ? T(0) : beta * out);
      }
  }
};

}  // namespace gradlab::detail
