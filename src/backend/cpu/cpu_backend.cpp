// src/backend/cpu/cpu_backend.cpp — the CPU implementation of gradlab::Backend.
//
// Memory is plain host memory (64-byte aligned: one cache line, and a whole AVX-512 /
// two AVX vectors, so kernels never straddle a line at a buffer start). Kernels live in
// the other cpu_*.cpp files (see cpu_kernels.h); GEMM forwards each batch entry to
// gradlab::sgemm / dgemm (gemm.cpp: OpenBLAS natively, wasm_simd128 in WASM).
#include <cstdlib>
#include <cstring>

#include "block_cache.h"
#include "cpu_kernels.h"
#include "gradlab/gemm.h"

namespace gradlab {
namespace {

using cpu::BlockCache;

constexpr size_t kAlignment = 64;

// C = beta * C for an m x n block with row stride ldc (BLAS convention: beta == 0
// overwrites, so uninitialised NaNs in C do not survive).
template <class T>
void scale_block(int64_t m, int64_t n, T beta, T* c, int64_t ldc) {
  for (int64_t i = 0; i < m; ++i) {
    T* row = c + i * ldc;
    for (int64_t j = 0; j < n; ++j) row[j] = beta == T(0) ? T(0) : beta * row[j];
  }
}

void gemm_one(bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
              int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  sgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}
void gemm_one(bool ta, bool tb, int64_t m, int64_t n, int64_t k, double alpha, const double* a,
              int64_t lda, const double* b, int64_t ldb, double beta, double* c, int64_t ldc) {
  dgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

class CpuBackend final : public Backend {
 public:
  Device device() const override { return Device::CPU; }
  std::string name() const override { return "cpu"; }

  void* allocate(size_t bytes) override {
    // aligned_alloc wants a size that is a multiple of the alignment; a 0-byte tensor
    // still gets a unique non-null block.
    if (bytes > SIZE_MAX - kAlignment)
      fail<Error>("cpu: cannot allocate ", bytes, " bytes (size overflow)");
    const size_t rounded =
        bytes == 0 ? kAlignment : (bytes + kAlignment - 1) / kAlignment * kAlignment;
    BlockCache& cache = cpu::host_block_cache();
    if (void* p = cache.take(rounded)) return p;
    void* p = std::aligned_alloc(kAlignment, rounded);
    if (p == nullptr) {  // cached blocks may be what is missing: give them back and retry
      cache.release_all();
      p = std::aligned_alloc(kAlignment, rounded);
    }
    if (p == nullptr) fail<Error>("cpu: out of memory allocating ", bytes, " bytes");
    return p;
  }
  void deallocate(void* p, size_t bytes) override {
    const size_t rounded =
        bytes == 0 ? kAlignment : (bytes + kAlignment - 1) / kAlignment * kAlignment;
    if (!cpu::host_block_cache().give(p, rounded)) std::free(p);
  }
  void copy_from_host(void* dst, const void* host_src, size_t bytes) override {
    if (bytes) std::memcpy(dst, host_src, bytes);
  }
  void copy_to_host(void* host_dst, const void* src, size_t bytes) override {
    if (bytes) std::memcpy(host_dst, src, bytes);
  }

  void fill(const View& out, double value) override { cpu::fill(out, value); }
  void copy(const View& src, const View& dst) override { cpu::copy(src, dst); }
  void unary(UnaryOp op, const View& x, const View& out, double param) override {
    cpu::unary(op, x, out, param);
  }
  void binary(BinaryOp op, const View& a, const View& b, const View& out) override {
    cpu::binary(op, a, b, out);
  }
  void reduce(ReduceOp op, const View& x, const View& out) override { cpu::reduce(op, x, out); }

  void gemm(DType dtype, bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, double alpha,
            const void* a, int64_t lda, int64_t stride_a, const void* b, int64_t ldb,
            int64_t stride_b, double beta, void* c, int64_t ldc, int64_t stride_c,
            int64_t batch) override {
    if (m < 0 || n < 0 || k < 0 || batch < 0)
      fail<ValueError>("gemm: negative size m=", m, " n=", n, " k=", k, " batch=", batch);
    if (m == 0 || n == 0 || batch == 0) return;
    cpu::dispatch_float(dtype, "gemm", [&](auto tag) {
      using T = decltype(tag);
      const T* A = static_cast<const T*>(a);
      const T* B = static_cast<const T*>(b);
      T* C = static_cast<T*>(c);
      for (int64_t i = 0; i < batch; ++i) {
        T* Ci = C + i * stride_c;
        if (k == 0) {  // empty inner product: BLAS leading-dimension rules would reject it
          scale_block<T>(m, n, static_cast<T>(beta), Ci, ldc);
          continue;
        }
        gemm_one(trans_a, trans_b, m, n, k, static_cast<T>(alpha), A + i * stride_a, lda,
                 B + i * stride_b, ldb, static_cast<T>(beta), Ci, ldc);
      }
    });
  }

  void im2col(const Conv2dGeometry& g, const void* x, void* cols, DType dtype,
              double pad_value) override {
    cpu::im2col(g, x, cols, dtype, pad_value);
  }
  void col2im(const Conv2dGeometry& g, const void* cols, void* x, DType dtype) override {
    cpu::col2im(g, cols, x, dtype);
  }
  void gather(DType dtype, const void* src, int64_t outer, int64_t src_axis, int64_t inner,
              const int64_t* index, int64_t n_index, void* out) override {
    cpu::gather(dtype, src, outer, src_axis, inner, index, n_index, out);
  }
  void scatter_add(DType dtype, const void* src, int64_t outer, int64_t n_index, int64_t inner,
                   const int64_t* index, void* out, int64_t out_axis) override {
    cpu::scatter_add(dtype, src, outer, n_index, inner, index, out, out_axis);
  }
};

}  // namespace

Backend& cpu_backend() {
  static CpuBackend instance;
  return instance;
}

}  // namespace gradlab
