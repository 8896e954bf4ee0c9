// fuzz_safetensors — the safetensors reader (src/io/safetensors.cpp: checkpoints, init
// parameters) on arbitrary bytes; every tensor that loads is summed (ASan checks its memory).
#include <cstdint>
#include <string>

#include "fuzz_util.h"
#include "gradlab/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string name = "fuzz.safetensors";
  fuzz::expect_clean_error(name, [&] {
    const gradlab::SafetensorsFile file =
        gradlab::parse_safetensors(std::string(reinterpret_cast<const char*>(data), size), name);
    volatile uint8_t sum = 0;
    for (const auto& [tensor_name, t] : file.tensors) {
      const auto* bytes = static_cast<const uint8_t*>(t.raw_data());
      const size_t n = static_cast<size_t>(t.numel()) * gradlab::dtype_size(t.dtype());
      for (size_t i = 0; i < n; ++i) sum = sum + bytes[i];
    }
  });
  return 0;
}
