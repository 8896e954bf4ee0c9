// gradlab/tensor.h — the Tensor value type.
//
// A Tensor is a cheap handle (shared pointer) to: a Storage owned by a backend, a
// shape, element strides and an offset (so reshape/permute/slice/expand are views
// that share storage), a dtype, and autograd metadata (requires_grad and the Node
// that produced it). Tensors are never mutated in place by differentiable ops;
// optimizers update parameters in place only under no_grad (see assign_).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "gradlab/backend.h"
#include "gradlab/error.h"

namespace gradlab {

using Shape = std::vector<int64_t>;

struct Node;
class Rng;

// A block of backend memory. Freed through its backend when the last view dies.
struct Storage {
  Storage(Device device, size_t bytes);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;
  Device device;
  size_t bytes;
  void* data;
};

struct TensorImpl {
  std::shared_ptr<Storage> storage;
  Shape shape;
  Shape strides;  // elements
  int64_t offset = 0;  // elements
  DType dtype = DType::F32;
  bool requires_grad = false;
  // Producer of this tensor in the autograd graph (null for leaves and for
  // tensors created under no_grad). Leaves that require grad get a leaf node on
  // first use as an input, so the engine can key gradients by node.
  std::shared_ptr<Node> grad_fn;
  std::shared_ptr<Node> leaf_node;
};

class Tensor {
 public:
  Tensor() = default;
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

  bool defined() const { return impl_ != nullptr; }
  const Shape& shape() const { return impl().shape; }
  const Shape& strides() const { return impl().strides; }
  int64_t offset() const { return impl().offset; }
  int64_t dim() const { return static_cast<int64_t>(impl().shape.size()); }
  // Size of one axis; negative axes count from the end. Throws IndexError.
  int64_t size(int64_t axis) const;
  int64_t numel() const;
  DType dtype() const { return impl().dtype; }
  Device device() const { return impl().storage->device; }
  bool is_contiguous() const;
  std::string shape_str() const { return gradlab::shape_str(shape()); }

  // ---- autograd -------------------------------------------------------------
  bool requires_grad() const { return impl().requires_grad; }
  // Marks a leaf as a variable to differentiate with respect to.
  Tensor& requires_grad_(bool on = true);
  // Same storage, no graph history, requires_grad false.
  Tensor detach() const;
  const std::shared_ptr<Node>& grad_fn() const { return impl().grad_fn; }
  bool is_leaf() const { return impl().grad_fn == nullptr; }

  // ---- memory ---------------------------------------------------------------
  Tensor contiguous() const;  // self if already contiguous
  Tensor clone() const;       // always a fresh contiguous copy (differentiable)
  Tensor to(DType dtype) const;    // differentiable for float->float
  Tensor to(Device device) const;  // not differentiable across devices (detaches)
  // In-place overwrite of this tensor's elements with src's (same shape; dtype
  // converted). Not recorded by autograd: use for parameter updates under no_grad.
  void assign_(const Tensor& src);

  // ---- host access (copies) -------------------------------------------------
  std::vector<double> to_vector() const;  // row-major logical order
  std::vector<float> to_vector_f32() const;
  std::vector<int64_t> to_vector_i64() const;
  double item() const;  // numel must be 1

  // Kernel view of this tensor (data pointer includes the offset).
  View view() const;
  // Raw pointer to the first element (CPU, any layout). Callers must respect strides.
  void* raw_data() const;
  template <class T>
  T* data() const {
    return static_cast<T*>(raw_data());
  }

  TensorImpl& impl() const;
  const std::shared_ptr<TensorImpl>& impl_ptr() const { return impl_; }

 private:
  std::shared_ptr<TensorImpl> impl_;
};

using TensorList = std::vector<Tensor>;

// ---- factories (default dtype float32, device cpu) ------------------------------
Tensor empty(const Shape& shape, DType dtype = DType::F32, Device device = Device::CPU);
Tensor zeros(const Shape& shape, DType dtype = DType::F32, Device device = Device::CPU);
Tensor ones(const Shape& shape, DType dtype = DType::F32, Device device = Device::CPU);
Tensor full(const Shape& shape, double value, DType dtype = DType::F32,
            Device device = Device::CPU);
Tensor zeros_like(const Tensor& t);
Tensor ones_like(const Tensor& t);
// 0-d tensor.
Tensor scalar(double value, DType dtype = DType::F32, Device device = Device::CPU);
// Values given in row-major order; values.size() must equal the shape's numel.
Tensor from_vector(const std::vector<double>& values, const Shape& shape,
                   DType dtype = DType::F32, Device device = Device::CPU);
Tensor from_vector_f32(const std::vector<float>& values, const Shape& shape,
                       Device device = Device::CPU);
Tensor from_indices(const std::vector<int64_t>& values, const Shape& shape,
                    Device device = Device::CPU);
// Random tensors from gradlab's own RNG (identical natively and in WASM): values
// are drawn in double in row-major order, then converted to dtype.
Tensor randn(const Shape& shape, Rng& rng, DType dtype = DType::F32, Device device = Device::CPU);
Tensor rand_uniform(const Shape& shape, double low, double high, Rng& rng,
                    DType dtype = DType::F32, Device device = Device::CPU);

int64_t shape_numel(const Shape& shape);
Shape contiguous_strides(const Shape& shape);

}  // namespace gradlab
