// fuzz_text — the character-level text corpus reader (src/data/text.cpp) on arbitrary bytes:
// the first two bytes pick data.seq_len (1..64) and data.stride (1..16), the rest is the file;
// every window of both splits is read.
#include <cstdint>
#include <vector>

#include "data/data_internal.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace gradlab::data;
  if (size < 2) return 0;
  const int64_t seq_len = 1 + data[0] % 64, stride = 1 + data[1] % 16;
  const std::string name = "fuzz.txt";
  fuzz::expect_clean_error(name, [&] {
    const SourceData source =
        text_source(std::vector<uint8_t>(data + 2, data + size), name, seq_len, stride, 0.25);
    std::vector<double> x(static_cast<size_t>(seq_len));
    for (const SourceSplit* split : {&source.train, &source.test}) {
      for (int64_t i = 0; i < split->n; ++i) split->read_input(i, x.data());
      for (int64_t label : split->labels) {
        if (label < 0 || label >= source.num_classes) std::abort();
      }
    }
  });
  return 0;
}
