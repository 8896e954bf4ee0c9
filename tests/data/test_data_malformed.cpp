// test_data_malformed.cpp — regression tests for what fuzzing the file readers found
// (docs/fuzzing.md): each malformed input must give a gradlab::Error whose message is one line
// naming the file, with no crash, sanitizer report, huge allocation or hang. The ASan + UBSan
// suite (./lab test, build/asan) runs these too, so an out-of-bounds read here fails there.
#include <cstdint>
#include <string>

#include "data/data_internal.h"
#include "data_test_util.h"
#include "gradlab/config.h"
#include "gradlab/data.h"
#include "gradlab/error.h"
#include "gradlab/json_text.h"
#include "gradlab/safetensors.h"

using namespace gradlab;
using namespace data_test;
using Catch::Matchers::Contains;

namespace {

// One line, naming `name`.
void check_one_line(const std::string& message, const std::string& name) {
  INFO(message);
  CHECK(message.find('\n') == std::string::npos);
  CHECK_THAT(message, Contains(name));
}

// A safetensors file: 8-byte length, the header text as given, then `data`.
std::string safetensors_bytes(const std::string& header, const std::string& data = "") {
  std::string out;
  const uint64_t length = header.size();  // 64-bit also where size_t is 32 (WASM)
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((length >> (8 * i)) & 0xff));
  return out + header + data;
}

}  // namespace

TEST_CASE("malformed: safetensors offsets, shapes and types are checked before any copy",
          "[data][malformed]") {
  const std::string name = "bad.safetensors";
  auto error = [&](const std::string& header, const std::string& data = "") {
    return error_of<IOError>([&] { parse_safetensors(safetensors_bytes(header, data), name); });
  };
  // Offsets near 2^64: base + end wrapped around and the old check let a memcpy read far out
  // of the file (heap overflow).
  const std::string wrap = error(
      R"({"w": {"dtype": "F32", "shape": [2], "data_offsets": [18446744073709551608, 0]}})",
      std::string(8, '\0'));
  check_one_line(wrap, name);
  CHECK_THAT(error(R"({"w": {"dtype": "F32", "shape": [2], "data_offsets": [18446744073709551600, 18446744073709551608]}})",
                   std::string(8, '\0')),
             Contains("truncated: entry 'w' ends at byte 18446744073709551608"));
  // Negative numbers, non-integers and wrong types: once nlohmann type errors (exit 1).
  CHECK_THAT(error(R"({"w": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}})",
                   std::string(4, '\0')),
             Contains("dimensions must be non-negative integers"));
  CHECK_THAT(error(R"({"w": {"dtype": 7, "shape": [1], "data_offsets": [0, 4]}})",
                   std::string(4, '\0')),
             Contains("dtype that is not a string"));
  CHECK_THAT(error(R"({"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, "4"]}})",
                   std::string(4, '\0')),
             Contains("invalid data_offsets"));
  CHECK_THAT(error(R"({"__metadata__": "x"})"), Contains("__metadata__ is not a JSON object"));
  // A shape whose element count overflows int64, and one far larger than the file.
  check_one_line(error(R"({"w": {"dtype": "F64", "shape": [4294967296, 4294967296, 16], "data_offsets": [0, 0]}})"),
                 name);
  CHECK_THAT(error(R"({"w": {"dtype": "F64", "shape": [0, 4294967296, 4294967296, 4294967296], "data_offsets": [0, 0]}})"),
             Contains("more values than the file's 0 data bytes hold"));
  // Nested JSON deeper than the bound, and invalid JSON: one line each.
  CHECK_THAT(error(std::string(100000, '[') + std::string(100000, ']')),
             Contains("JSON nested deeper than 64 levels"));
  check_one_line(error("{\"a\": \"\n"), name);
  // A number past double's range: nlohmann's out_of_range, not a parse error, escaped as an
  // "internal error" (found by fuzz_safetensors).
  CHECK_THAT(error(R"({"w": 1e999})"), Contains("not valid JSON") && Contains("number overflow"));
  // A valid file still loads.
  const SafetensorsFile ok = parse_safetensors(
      safetensors_bytes(R"({"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}})",
                        std::string(4, '\0')),
      name);
  REQUIRE(ok.tensors.size() == 1);
  CHECK(ok.tensors[0].second.numel() == 1);
}

TEST_CASE("malformed: npy class labels past 2^20 and header errors on one line",
          "[data][malformed]") {
  TempDir dir;
  const std::string x = dir.file("x.npy"), y = dir.file("y.npy");
  write_file(x, npy_file("<f8", {2, 1}, raw_bytes(std::vector<double>{0.0, 1.0})));
  // INT64_MAX + 1 was signed overflow; 2^40 asked the dataset for 2^40 class ids (8 TB).
  for (int64_t label : {int64_t{1} << 40, int64_t{9223372036854775807}}) {
    write_file(y, npy_file("<i8", {2}, raw_bytes(std::vector<int64_t>{0, label})));
    const std::string message =
        error_of<IOError>([&] { load_dataset({{"source", "npy"}, {"x", x}, {"y", y}}, 0); });
    check_one_line(message, y);
    CHECK_THAT(message, Contains("class labels must lie in 0..1048575"));
  }
  // The header (which ends with a newline, and may hold any byte) is quoted on one line, and
  // so is the unknown key it names (fuzz_npy's first finding: the key '\nescr').
  Bytes bad = npy_file("<f8", {2, 1}, raw_bytes(std::vector<double>{0.0, 1.0}));
  bad[12] = '\n';
  write_file(x, bad);
  const std::string message = error_of<IOError>([&] { data::read_npy(x, "x"); });
  check_one_line(message, x);
  CHECK_THAT(message, Contains("malformed .npy header") && Contains("\\n"));
  // And the dtype it names (fuzz_npy's second finding: descr '<\n*4').
  write_file(x, npy_file("<\n*4", {2, 1}, Bytes(16, 0)));
  const std::string dtype = error_of<IOError>([&] { data::read_npy(x, "x"); });
  check_one_line(dtype, x);
  CHECK_THAT(dtype, Contains("unsupported dtype '<\\n*4'"));
}

TEST_CASE("malformed: IDX headers that promise more than the file, and empty image sets",
          "[data][malformed]") {
  using data::parse_idx;
  // [0, 28, 28]: no images (the loader used to hand on an empty training set).
  const std::string empty = error_of<IOError>([&] {
    data::IdxFile images = parse_idx(idx_file(0x803, {0, 28, 28}, {}), "imgs", 0x803, false);
    data::IdxFile labels = parse_idx(idx_file(0x801, {0}, {}), "lbls", 0x801, false);
    std::vector<int64_t> shape;
    data::idx_split(images, labels, shape);
  });
  check_one_line(empty, "imgs");
  CHECK_THAT(empty, Contains("holds no images"));
  // A 4 GB header on a 16-byte file.
  check_one_line(error_of<IOError>([&] {
                   parse_idx(idx_file(0x803, {4294967295u, 4294967295u, 4294967295u}, {}), "big",
                             0x803, false);
                 }),
                 "big");
#ifndef GRADLAB_WASM
  // gzip: a header that promises more than deflate can pack into the file is refused before
  // inflating; a stream longer than its header is cut at header + 1 bytes (no gzip bomb).
  TempDir dir;
  const std::string path = dir.file("bomb.gz");
  write_gzip(path, idx_file(0x801, {4294967295u}, Bytes(1000, 0)));
  const std::string promised = error_of<IOError>([&] {
    parse_idx(data::read_file_bytes(path, "test"), path, 0x801, true);
  });
  check_one_line(promised, path);
  CHECK_THAT(promised, Contains("more than") && Contains("gzip bytes can hold"));
  write_gzip(path, idx_file(0x801, {10}, Bytes(4 << 20, 0)));
  const std::string oversized = error_of<IOError>([&] {
    parse_idx(data::read_file_bytes(path, "test"), path, 0x801, true);
  });
  CHECK_THAT(oversized, Contains("oversized IDX file") && Contains(path));
  CHECK(data::gunzip_bytes(data::read_file_bytes(path, "test"), path, "test", 100).size() == 101);
  // Not gzip at all.
  write_file(path, Bytes{'n', 'o', 't', ' ', 'g', 'z', 'i', 'p'});
  check_one_line(error_of<IOError>([&] {
                   parse_idx(data::read_file_bytes(path, "test"), path, 0x801, true);
                 }),
                 path);
#endif
}

TEST_CASE("malformed: deeply nested config JSON and huge sweeps fail at once",
          "[config][malformed]") {
  // 10^5 levels parse iteratively but then overflowed the stack when copied.
  const std::string deep = "{\"a\": " + std::string(100000, '[') + std::string(100000, ']') + "}";
  const std::string message =
      error_of<ConfigError>([&] { parse_config_text(deep, "deep.json"); });
  check_one_line(message, "deep.json");
  CHECK_THAT(message, Contains("nested deeper than 64 levels"));
  CHECK_THAT(error_of<ConfigError>([&] { parse_config_text(R"({"seed": 1e999})", "big.json"); }),
             Contains("big.json: invalid JSON: ") && Contains("number overflow"));
  // 6 keys x 10 values = 10^6 points: refused before validating any of them.
  Json config = parse_config_text(R"({"kind": "quadratic_gd", "quadratic": {"eigenvalues": [1, 2]},
      "optim": {"type": "gd", "lr": 0.1}, "train": {"steps": 5}})",
                                  "sweep.json");
  Json sweep = Json::object();
  for (const char* key : {"optim.lr", "seed", "train.steps", "train.log_every", "data.seed",
                          "quadratic.eigenvalues"}) {
    Json values = Json::array();
    for (int v = 1; v <= 10; ++v) values.push_back(v);
    sweep[key] = values;
  }
  config["sweep"] = sweep;
  CHECK_THAT(error_of<ConfigError>([&] { validate_config(config); }),
             Contains("sweep: more than 10000 points"));
}
