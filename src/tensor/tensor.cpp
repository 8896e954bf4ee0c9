// Tensor handles, storage and factories (see include/gradlab/tensor.h).
#include "gradlab/tensor.h"

#include <cstring>

#include "gradlab/autograd.h"
#include "gradlab/ops.h"
#include "gradlab/rng.h"
#include "tensor/tensor_internal.h"

namespace gradlab {

Storage::Storage(Device dev, size_t nbytes) : device(dev), bytes(nbytes), data(nullptr) {
  data = backend(dev).allocate(nbytes == 0 ? 1 : nbytes);
}

Storage::~Storage() {
  if (data) backend(device).deallocate(data, bytes == 0 ? 1 : bytes);
}

int64_t shape_numel(const Shape& shape) {
  int64_t n = 1;
  for (int64_t s : shape) n *= s;
  return n;
}

Shape contiguous_strides(const Shape& shape) {
  Shape strides(shape.size());
  int64_t s = 1;
  for (size_t i = shape.size(); i-- > 0;) {
    strides[i] = s;
    s *= shape[i];
  }
  return strides;
}

TensorImpl& Tensor::impl() const {
  if (!impl_) throw Error("use of an undefined tensor");
  return *impl_;
}

int64_t Tensor::size(int64_t axis) const {
  return shape()[normalize_axis(axis, dim(), "size")];
}

int64_t Tensor::numel() const { return shape_numel(shape()); }

bool Tensor::is_contiguous() const {
  const TensorImpl& t = impl();
  int64_t expect = 1;
  for (size_t i = t.shape.size(); i-- > 0;) {
    if (t.shape[i] != 1 && t.strides[i] != expect) return false;
    expect *= t.shape[i];
  }
  return true;
}

Tensor& Tensor::requires_grad_(bool on) {
  TensorImpl& t = impl();
  if (on && t.dtype == DType::I64)
    fail<DTypeError>("requires_grad_: int64 tensors cannot require gradients");
  if (!is_leaf())
    fail<AutogradError>("requires_grad_: only leaf tensors can be marked (this one was produced by ",
                        t.grad_fn->name, "); use detach() first");
  t.requires_grad = on;
  return *this;
}

Tensor Tensor::detach() const {
  return detail::make_view(*this, shape(), strides(), offset());
}

View Tensor::view() const {
  const TensorImpl& t = impl();
  if (t.shape.size() > static_cast<size_t>(kMaxDims))
    fail<ShapeError>("tensor of rank ", t.shape.size(), " exceeds the maximum rank ", kMaxDims);
  View v;
  v.data = raw_data();
  v.dtype = t.dtype;
  v.ndim = static_cast<int>(t.shape.size());
  for (int i = 0; i < v.ndim; ++i) {
    v.shape[i] = t.shape[i];
    v.strides[i] = t.strides[i];
  }
  return v;
}

void* Tensor::raw_data() const {
  const TensorImpl& t = impl();
  return static_cast<char*>(t.storage->data) + t.offset * static_cast<int64_t>(dtype_size(t.dtype));
}

Tensor Tensor::contiguous() const {
  if (is_contiguous()) return *this;
  Tensor out = empty(shape(), dtype(), device());
  backend(device()).copy(view(), out.view());
  return record("contiguous", out, {*this},
                [](const BackwardContext&, const Tensor& g) -> TensorList { return {g}; });
}

Tensor Tensor::clone() const {
  Tensor out = empty(shape(), dtype(), device());
  backend(device()).copy(view(), out.view());
  return record("clone", out, {*this},
                [](const BackwardContext&, const Tensor& g) -> TensorList { return {g}; });
}

Tensor Tensor::to(DType target) const {
  if (target == dtype()) return *this;
  Tensor out = empty(shape(), target, device());
  backend(device()).copy(view(), out.view());
  if (target == DType::I64 || dtype() == DType::I64) return out;  // not differentiable
  DType source = dtype();
  return record("to_dtype", out, {*this},
                [source](const BackwardContext&, const Tensor& g) -> TensorList {
                  return {g.to(source)};
                });
}

Tensor Tensor::to(Device target) const {
  if (target == device()) return *this;
  Tensor src = contiguous();
  Tensor out = empty(shape(), dtype(), target);
  size_t bytes = static_cast<size_t>(numel()) * dtype_size(dtype());
  std::vector<char> host(bytes);
  backend(device()).copy_to_host(host.data(), src.raw_data(), bytes);
  backend(target).copy_from_host(out.raw_data(), host.data(), bytes);
  return out;
}

void Tensor::assign_(const Tensor& src) {
  if (src.shape() != shape())
    fail<ShapeError>("assign_: source shape ", src.shape_str(), " differs from destination ",
                     shape_str());
  Tensor s = src.device() == device() ? src : src.to(device());
  backend(device()).copy(s.view(), view());
}

std::vector<double> Tensor::to_vector() const {
  Tensor c = to(Device::CPU).contiguous();
  if (c.dtype() != DType::F64) c = c.detach().to(DType::F64);
  const double* p = c.data<double>();
  return std::vector<double>(p, p + c.numel());
}

std::vector<float> Tensor::to_vector_f32() const {
  Tensor c = to(Device::CPU).contiguous();
  if (c.dtype() != DType::F32) c = c.detach().to(DType::F32);
  const float* p = c.data<float>();
  return std::vector<float>(p, p + c.numel());
}

std::vector<int64_t> Tensor::to_vector_i64() const {
  Tensor c = to(Device::CPU).contiguous();
  if (c.dtype() != DType::I64) c = c.detach().to(DType::I64);
  const int64_t* p = c.data<int64_t>();
  return std::vector<int64_t>(p, p + c.numel());
}

double Tensor::item() const {
  if (numel() != 1)
    fail<ShapeError>("item: tensor of shape ", shape_str(), " has ", numel(),
                     " elements (expected exactly 1)");
  return to_vector()[0];
}

// ---- factories ----------------------------------------------------------------------

static void check_shape(const Shape& shape, const char* op) {
  for (int64_t s : shape)
    if (s < 0) fail<ShapeError>(op, ": negative dimension in shape ", shape_str(shape));
  if (shape.size() > static_cast<size_t>(kMaxDims))
    fail<ShapeError>(op, ": rank ", shape.size(), " exceeds the maximum rank ", kMaxDims);
}

Tensor empty(const Shape& shape, DType dtype, Device device) {
  check_shape(shape, "empty");
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = std::make_shared<Storage>(
      device, static_cast<size_t>(shape_numel(shape)) * dtype_size(dtype));
  impl->shape = shape;
  impl->strides = contiguous_strides(shape);
  impl->dtype = dtype;
  return Tensor(impl);
}

Tensor full(const Shape& shape, double value, DType dtype, Device device) {
  Tensor t = empty(shape, dtype, device);
  backend(device).fill(t.view(), value);
  return t;
}
Tensor zeros(const Shape& shape, DType dtype, Device device) {
  return full(shape, 0.0, dtype, device);
}
Tensor ones(const Shape& shape, DType dtype, Device device) {
  return full(shape, 1.0, dtype, device);
}
Tensor zeros_like(const Tensor& t) { return zeros(t.shape(), t.dtype(), t.device()); }
Tensor ones_like(const Tensor& t) { return ones(t.shape(), t.dtype(), t.device()); }
Tensor scalar(double value, DType dtype, Device device) { return full({}, value, dtype, device); }

Tensor from_vector(const std::vector<double>& values, const Shape& shape, DType dtype,
                   Device device) {
  check_shape(shape, "from_vector");
  if (static_cast<int64_t>(values.size()) != shape_numel(shape))
    fail<ShapeError>("from_vector: ", values.size(), " values do not fill shape ",
                     shape_str(shape), " (", shape_numel(shape), " elements)");
  Tensor host = empty(shape, DType::F64, Device::CPU);
  if (!values.empty()) std::memcpy(host.raw_data(), values.data(), values.size() * sizeof(double));
  if (dtype != DType::F64) host = host.to(dtype);
  return host.to(device);
}

Tensor from_vector_f32(const std::vector<float>& values, const Shape& shape, Device device) {
  check_shape(shape, "from_vector_f32");
  if (static_cast<int64_t>(values.size()) != shape_numel(shape))
    fail<ShapeError>("from_vector_f32: ", values.size(), " values do not fill shape ",
                     shape_str(shape));
  Tensor host = empty(shape, DType::F32, Device::CPU);
  if (!values.empty()) std::memcpy(host.raw_data(), values.data(), values.size() * sizeof(float));
  return host.to(device);
}

Tensor from_indices(const std::vector<int64_t>& values, const Shape& shape, Device device) {
  check_shape(shape, "from_indices");
  if (static_cast<int64_t>(values.size()) != shape_numel(shape))
    fail<ShapeError>("from_indices: ", values.size(), " values do not fill shape ",
                     shape_str(shape));
  Tensor host = empty(shape, DType::I64, Device::CPU);
  if (!values.empty())
    std::memcpy(host.raw_data(), values.data(), values.size() * sizeof(int64_t));
  return host.to(device);
}

Tensor randn(const Shape& shape, Rng& rng, DType dtype, Device device) {
  std::vector<double> v(static_cast<size_t>(shape_numel(shape)));
  for (double& x : v) x = rng.normal();
  return from_vector(v, shape, dtype, device);
}

Tensor rand_uniform(const Shape& shape, double low, double high, Rng& rng, DType dtype,
                    Device device) {
  std::vector<double> v(static_cast<size_t>(shape_numel(shape)));
  for (double& x : v) x = rng.uniform(low, high);
  return from_vector(v, shape, dtype, device);
}

namespace detail {

Tensor make_view(const Tensor& base, const Shape& shape, const Shape& strides, int64_t offset) {
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = base.impl().storage;
  impl->shape = shape;
  impl->strides = strides;
  impl->offset = offset;
  impl->dtype = base.dtype();
  return Tensor(impl);
}

}  // namespace detail
}  // namespace gradlab
