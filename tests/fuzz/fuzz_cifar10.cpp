// fuzz_cifar10 — the CIFAR-10 binary batch reader (src/data/cifar10.cpp) on arbitrary bytes;
// every example of a batch that parses is read.
#include <cstdint>
#include <vector>

#include "data/data_internal.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace gradlab::data;
  const std::string name = "fuzz_batch.bin";
  fuzz::expect_clean_error(name, [&] {
    const SourceSplit split =
        parse_cifar10_batches({{name, std::vector<uint8_t>(data, data + size)}});
    std::vector<double> x(3 * 32 * 32);
    for (int64_t i = 0; i < split.n; ++i) split.read_input(i, x.data());
  });
  return 0;
}
