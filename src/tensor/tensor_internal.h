// Internal helpers shared by src/tensor and src/ops (not part of the public API).
#pragma once

#include "gradlab/tensor.h"

namespace gradlab::detail {

// A tensor sharing base's storage with the given geometry (no autograd history).
Tensor make_view(const Tensor& base, const Shape& shape, const Shape& strides, int64_t offset);

}  // namespace gradlab::detail
