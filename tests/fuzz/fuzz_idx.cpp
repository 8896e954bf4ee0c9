// fuzz_idx — the IDX reader of the fashion_mnist source (src/data/fashion_mnist.cpp) on
// arbitrary bytes: the first byte picks images (3 dims) or labels (1 dim); an images file that
// parses is split with labels of the same count and every example is read (ASan checks the
// offsets). fuzz_idx_gzip compiles this file with FUZZ_IDX_GZIP: the bytes are a .gz file.
#include <cstdint>
#include <vector>

#include "data/data_internal.h"
#include "fuzz_util.h"

#ifdef FUZZ_IDX_GZIP
constexpr bool kGzip = true;
#else
constexpr bool kGzip = false;
#endif

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace gradlab::data;
  if (size == 0) return 0;
  const bool images = data[0] & 1;
  const std::string name = kGzip ? "fuzz-idx.gz" : "fuzz-idx";
  fuzz::expect_clean_error(name, [&] {
    const IdxFile idx = parse_idx(std::vector<uint8_t>(data + 1, data + size), name,
                                  images ? kIdxImagesMagic : kIdxLabelsMagic, kGzip);
    if (!images || idx.dims[0] > 4096) return;
    IdxFile labels;
    labels.path = name + "-labels";
    labels.dims = {idx.dims[0]};
    labels.data_offset = 8;
    labels.bytes = std::make_shared<std::vector<uint8_t>>(8 + idx.dims[0], uint8_t{3});
    std::vector<int64_t> input_shape;
    const SourceSplit split = idx_split(idx, labels, input_shape);
    std::vector<double> x(static_cast<size_t>(input_shape[1] * input_shape[2]));
    for (int64_t i = 0; i < split.n; ++i) split.read_input(i, x.data());
  });
  return 0;
}
