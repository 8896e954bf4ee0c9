// fuzz_npy — the NumPy .npy reader (src/data/npy.cpp) on arbitrary bytes.
#include <cstdint>
#include <vector>

#include "data/data_internal.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string name = "fuzz.npy";
  fuzz::expect_clean_error(name, [&] {
    gradlab::data::parse_npy(std::vector<uint8_t>(data, data + size), name, "x");
  });
  return 0;
}
