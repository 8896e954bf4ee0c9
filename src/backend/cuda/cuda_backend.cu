// src/backend/cuda/cuda_backend.cu — the CUDA implementation of gradlab::Backend (built only
// with -DGRADLAB_CUDA=ON) and cuda_backend(), which src/backend/registry.cpp calls.
//
// Memory: cudaMallocAsync / cudaFreeAsync on the default stream, from the device's default
// memory pool with its release threshold raised so freed blocks stay cached for the next
// step's tensors (an autograd step frees and reallocates the same sizes every time; plain
// cudaMalloc/cudaFree would synchronise the device on each). The bytes held by live tensors
// are counted; their maximum is peak_allocated_bytes(), which summary.json reports.
//
// GEMM: cuBLAS. gradlab's matrices are row-major; cuBLAS is column-major. A row-major m x n
// matrix with row stride ld is the column-major n x m matrix (its transpose) with leading
// dimension ld, so  C = op(A) op(B)  is computed as  Cᵀ = op(B)ᵀ op(A)ᵀ : cuBLAS gets B first,
// with B's transposition flag, then A with A's, sizes (n, m, k), and the same leading
// dimensions. Batches go through the strided-batched calls (stride 0 broadcasts an operand).
// float32 uses plain FP32 arithmetic (cuBLAS's default math mode: no TF32), so results match
// the CPU to float rounding; float64 runs in FP64.
//
// Availability: the first call probes the driver and the devices. No driver, no GPU, or
// kernels not built for this GPU's architecture each raise a DeviceError that says which
// (and the next call probes again, so nothing is cached as broken).
#include <cublas_v2.h>

#include <atomic>
#include <climits>
#include <memory>
#include <mutex>
#include <string>

#include "cuda_common.cuh"

namespace gradlab {

namespace cuda {

void check(cudaError_t status, const char* what) {
  if (status == cudaSuccess) return;
  (void)cudaGetLastError();  // clear the sticky-free error state for the next call
  fail<DeviceError>("cuda: ", what, ": ", cudaGetErrorString(status), " (error ",
                    static_cast<int>(status), ")");
}

namespace {

const char* cublas_status_name(cublasStatus_t s) {
  switch (s) {
    case CUBLAS_STATUS_SUCCESS:
      return "success";
    case CUBLAS_STATUS_NOT_INITIALIZED:
      return "not initialized";
    case CUBLAS_STATUS_ALLOC_FAILED:
      return "allocation failed";
    case CUBLAS_STATUS_INVALID_VALUE:
      return "invalid value";
    case CUBLAS_STATUS_ARCH_MISMATCH:
      return "architecture mismatch";
    case CUBLAS_STATUS_EXECUTION_FAILED:
      return "execution failed";
    case CUBLAS_STATUS_INTERNAL_ERROR:
      return "internal error";
    case CUBLAS_STATUS_NOT_SUPPORTED:
      return "not supported";
    default:
      return "unknown status";
  }
}

void check_cublas(cublasStatus_t status, const char* what) {
  if (status != CUBLAS_STATUS_SUCCESS)
    fail<DeviceError>("cuda: cuBLAS ", what, ": ", cublas_status_name(status), " (status ",
                      static_cast<int>(status), ")");
}

__global__ void probe_kernel(int* flag) { *flag = 1; }

class CudaBackend final : public Backend {
 public:
  CudaBackend() {
    int count = 0;
    const cudaError_t status = cudaGetDeviceCount(&count);
    if (status != cudaSuccess) {
      (void)cudaGetLastError();
      fail<DeviceError>("device 'cuda' is not available: no usable CUDA driver or GPU (",
                        cudaGetErrorString(status), ")");
    }
    if (count == 0) fail<DeviceError>("device 'cuda' is not available: no CUDA GPU found");
    check(cudaSetDevice(0), "cudaSetDevice(0)");
    cudaDeviceProp prop{};
    check(cudaGetDeviceProperties(&prop, 0), "cudaGetDeviceProperties");
    name_ = std::string("cuda:0 (") + prop.name + ", sm_" + std::to_string(prop.major) +
            std::to_string(prop.minor) + ")";
    // One tiny kernel: fails here, with a clear message, when the build has no kernel image
    // for this GPU's architecture (CMAKE_CUDA_ARCHITECTURES), instead of at the first op.
    int* flag = nullptr;
    check(cudaMalloc(&flag, sizeof(int)), "cudaMalloc (probe)");
    probe_kernel<<<1, 1>>>(flag);
    const cudaError_t launched = cudaGetLastError();
    int host_flag = 0;
    const cudaError_t copied = cudaMemcpy(&host_flag, flag, sizeof(int), cudaMemcpyDeviceToHost);
    cudaFree(flag);
    if (launched != cudaSuccess || copied != cudaSuccess || host_flag != 1)
      fail<DeviceError>("device 'cuda' is not usable: ", prop.name, " is sm_", prop.major,
                        prop.minor, " but gradlab's kernels could not run on it (",
                        cudaGetErrorString(launched != cudaSuccess ? launched : copied),
                        "); rebuild with -DCMAKE_CUDA_ARCHITECTURES=", prop.major, prop.minor);
    // Keep freed blocks in the pool instead of returning them to the driver at each sync.
    cudaMemPool_t pool;
    check(cudaDeviceGetDefaultMemPool(&pool, 0), "cudaDeviceGetDefaultMemPool");
    uint64_t threshold = UINT64_MAX;
    check(cudaMemPoolSetAttribute(pool, cudaMemPoolAttrReleaseThreshold, &threshold),
          "cudaMemPoolSetAttribute");
    check_cublas(cublasCreate(&blas_), "cublasCreate");
    check_cublas(cublasSetStream(blas_, 0), "cublasSetStream");
    check_cublas(cublasSetPointerMode(blas_, CUBLAS_POINTER_MODE_HOST), "cublasSetPointerMode");
  }
  ~CudaBackend() override {
    if (blas_) cublasDestroy(blas_);
  }

  Device device() const override { return Device::CUDA; }
  std::string name() const override { return name_; }

  void* allocate(size_t bytes) override {
    void* p = nullptr;
    const size_t size = bytes == 0 ? 1 : bytes;
    cudaError_t status = cudaMallocAsync(&p, size, 0);
    if (status == cudaErrorMemoryAllocation) {  // cached pool blocks may be what is missing
      (void)cudaGetLastError();
      cudaDeviceSynchronize();
      cudaMemPool_t pool;
      if (cudaDeviceGetDefaultMemPool(&pool, 0) == cudaSuccess) cudaMemPoolTrimTo(pool, 0);
      status = cudaMallocAsync(&p, size, 0);
    }
    if (status != cudaSuccess) {
      (void)cudaGetLastError();
      fail<DeviceError>("cuda: out of device memory allocating ", bytes, " bytes (",
                        cudaGetErrorString(status), "; ", current_.load(),
                        " bytes held by tensors)");
    }
    const int64_t now =
        current_.fetch_add(static_cast<int64_t>(bytes)) + static_cast<int64_t>(bytes);
    int64_t peak = peak_.load();
    while (now > peak && !peak_.compare_exchange_weak(peak, now)) {
    }
    return p;
  }
  void deallocate(void* p, size_t bytes) override {
    // At process exit the runtime may already be gone: nothing useful to report then.
    cudaFreeAsync(p, 0);
    current_.fetch_sub(static_cast<int64_t>(bytes));
  }
  void copy_from_host(void* dst, const void* host_src, size_t bytes) override {
    if (bytes) check(cudaMemcpy(dst, host_src, bytes, cudaMemcpyHostToDevice), "copy to device");
  }
  void copy_to_host(void* host_dst, const void* src, size_t bytes) override {
    if (bytes) check(cudaMemcpy(host_dst, src, bytes, cudaMemcpyDeviceToHost), "copy to host");
  }
  int64_t peak_allocated_bytes() const override { return peak_.load(); }

  void fill(const View& out, double value) override { cuda::fill(out, value); }
  void copy(const View& src, const View& dst) override { cuda::copy(src, dst); }
  void unary(UnaryOp op, const View& x, const View& out, double param) override {
    cuda::unary(op, x, out, param);
  }
  void binary(BinaryOp op, const View& a, const View& b, const View& out) override {
    cuda::binary(op, a, b, out);
  }
  void reduce(ReduceOp op, const View& x, const View& out) override { cuda::reduce(op, x, out); }

  void gemm(DType dtype, bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, double alpha,
            const void* a, int64_t lda, int64_t stride_a, const void* b, int64_t ldb,
            int64_t stride_b, double beta, void* c, int64_t ldc, int64_t stride_c,
            int64_t batch) override {
    if (m < 0 || n < 0 || k < 0 || batch < 0)
      fail<ValueError>("gemm: negative size m=", m, " n=", n, " k=", k, " batch=", batch);
    if (m == 0 || n == 0 || batch == 0) return;
    if (k == 0 || alpha == 0.0) {  // no product term: C = beta * C
      cuda::scale_blocks(dtype, m, n, beta, c, ldc, stride_c, batch);
      return;
    }
    for (int64_t v : {m, n, k, lda, ldb, ldc, batch})
      if (v > INT_MAX)
        fail<ValueError>("gemm: size ", v, " exceeds cuBLAS's 32-bit interface (m=", m, " n=", n,
                         " k=", k, " batch=", batch, ")");
    const cublasOperation_t op_a = trans_a ? CUBLAS_OP_T : CUBLAS_OP_N;
    const cublasOperation_t op_b = trans_b ? CUBLAS_OP_T : CUBLAS_OP_N;
    const int M = static_cast<int>(m), N = static_cast<int>(n), K = static_cast<int>(k);
    const int LDA = static_cast<int>(lda), LDB = static_cast<int>(ldb), LDC = static_cast<int>(ldc);
    const int B = static_cast<int>(batch);
    switch (dtype) {
      case DType::F32: {
        const float al = static_cast<float>(alpha), be = static_cast<float>(beta);
        const float* A = static_cast<const float*>(a);
        const float* Bm = static_cast<const float*>(b);
        float* C = static_cast<float*>(c);
        if (batch == 1)
          check_cublas(cublasSgemm(blas_, op_b, op_a, N, M, K, &al, Bm, LDB, A, LDA, &be, C, LDC),
                       "sgemm");
        else
          check_cublas(cublasSgemmStridedBatched(blas_, op_b, op_a, N, M, K, &al, Bm, LDB, stride_b,
                                                 A, LDA, stride_a, &be, C, LDC, stride_c, B),
                       "sgemm (strided batched)");
        return;
      }
      case DType::F64: {
        const double* A = static_cast<const double*>(a);
        const double* Bm = static_cast<const double*>(b);
        double* C = static_cast<double*>(c);
        if (batch == 1)
          check_cublas(
              cublasDgemm(blas_, op_b, op_a, N, M, K, &alpha, Bm, LDB, A, LDA, &beta, C, LDC),
              "dgemm");
        else
          check_cublas(
              cublasDgemmStridedBatched(blas_, op_b, op_a, N, M, K, &alpha, Bm, LDB, stride_b, A,
                                        LDA, stride_a, &beta, C, LDC, stride_c, B),
              "dgemm (strided batched)");
        return;
      }
      case DType::I64:
        break;
    }
    fail<DTypeError>("gemm: expected float32 or float64, got ", dtype_name(dtype));
  }

  void im2col(const Conv2dGeometry& g, const void* x, void* cols, DType dtype,
              double pad_value) override {
    cuda::im2col(g, x, cols, dtype, pad_value);
  }
  void col2im(const Conv2dGeometry& g, const void* cols, void* x, DType dtype) override {
    cuda::col2im(g, cols, x, dtype);
  }
  void gather(DType dtype, const void* src, int64_t outer, int64_t src_axis, int64_t inner,
              const int64_t* index, int64_t n_index, void* out) override {
    cuda::gather(dtype, src, outer, src_axis, inner, index, n_index, out);
  }
  void scatter_add(DType dtype, const void* src, int64_t outer, int64_t n_index, int64_t inner,
                   const int64_t* index, void* out, int64_t out_axis) override {
    cuda::scatter_add(dtype, src, outer, n_index, inner, index, out, out_axis);
  }

 private:
  std::string name_;
  cublasHandle_t blas_ = nullptr;
  std::atomic<int64_t> current_{0}, peak_{0};
};

}  // namespace
}  // namespace cuda

// The process-wide CUDA backend, created on first use. A failed probe is not cached: every
// call until one succeeds probes again and throws the same DeviceError. Never destroyed:
// tensors held by other static objects may still free device memory during exit.
Backend& cuda_backend() {
  static std::mutex mutex;
  static cuda::CudaBackend* instance = nullptr;
  std::lock_guard<std::mutex> lock(mutex);
  if (!instance) instance = new cuda::CudaBackend();
  return *instance;
}

}  // namespace gradlab
