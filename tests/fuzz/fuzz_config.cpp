// fuzz_config — a config file's text (src/config) through parse, validation, resolution and
// sweep expansion, as `gradlab run` / `gradlab validate` take it; a resolved `points` data
// block (data inline in the config, src/data/points.cpp) is also loaded. Other data sources
// are not loaded: they read the files the config names, or generate data of the size it asks.
#include <cstdint>
#include <string>

#include "fuzz_util.h"
#include "gradlab/config.h"
#include "gradlab/data.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string name = "fuzz-config.json";
  fuzz::expect_clean_error(name, [&] {
    const gradlab::Json user =
        gradlab::parse_config_text(std::string(reinterpret_cast<const char*>(data), size), name);
    // Past parsing, messages name the key rather than the file (the CLI prefixes the command).
    try {
      const gradlab::Json config = gradlab::resolve_config(user);
      gradlab::expand_sweep(user);
      const auto data_block = config.find("data");
      if (data_block != config.end() && data_block->is_object() &&
          data_block->contains("source") && (*data_block)["source"] == "points") {
        gradlab::load_dataset(*data_block, 0);
      }
    } catch (const gradlab::Error& e) {
      if (std::string(e.what()).find('\n') != std::string::npos) std::abort();
    }
  });
  return 0;
}
