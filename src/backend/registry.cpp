// src/backend/registry.cpp — maps a Device to its Backend.
//
// The CPU backend always exists. The CUDA backend is compiled only with
// -DGRADLAB_CUDA=ON (which defines GRADLAB_CUDA and adds src/backend/cuda/, where
// cuda_backend() lives and throws DeviceError when no GPU is present); without it, asking
// for CUDA is a DeviceError that says how to get it.
#include <string>

#include "gradlab/backend.h"
#include "gradlab/error.h"

namespace gradlab {

Backend& cpu_backend();  // src/backend/cpu/cpu_backend.cpp
#ifdef GRADLAB_CUDA
Backend& cuda_backend();  // src/backend/cuda/
#endif

Backend& backend(Device device) {
  switch (device) {
    case Device::CPU:
      return cpu_backend();
    case Device::CUDA:
#ifdef GRADLAB_CUDA
      return cuda_backend();
#else
      throw DeviceError(
          "device 'cuda' is not available: gradlab was built without CUDA (-DGRADLAB_CUDA=ON)");
#endif
  }
  throw DeviceError("unknown device " + std::to_string(static_cast<int>(device)));
}

bool device_available(Device device) {
  switch (device) {
    case Device::CPU:
      return true;
    case Device::CUDA:
#ifdef GRADLAB_CUDA
      try {
        cuda_backend();
        return true;
      } catch (const DeviceError&) {
        return false;
      }
#else
      return false;
#endif
  }
  return false;
}

}  // namespace gradlab
