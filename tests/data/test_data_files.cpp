// test_data_files.cpp — the file sources: Fashion-MNIST IDX (raw and gzip), CIFAR-10
// binary batches, NumPy .npy, character-level text; and their error messages.
//
// Every test writes its own small files to a scratch folder (data_test_util.h), so they
// run natively and under WASM (NODERAWFS) without any downloaded dataset. Only the last
// test reads the real Fashion-MNIST, when the Debian package has installed it.
#include <algorithm>
#include <cmath>
#include <limits>

#include "data/data_internal.h"
#include "data_test_util.h"
#include "gradlab/data.h"
#include "gradlab/error.h"

using namespace gradlab;
using namespace data_test;
using Catch::Matchers::Contains;
using nlohmann::json;

namespace {

json fashion_block(const TempDir& dir) {
  return {{"source", "fashion_mnist"}, {"path", dir.path()}};
}

// x / labels of fake Fashion-MNIST example i (write_fake_fashion) with rows x cols pixels.
void check_fake_example(const DataSplit& split, int64_t k, int64_t original, int64_t pixels) {
  for (int64_t p = 0; p < pixels; ++p) {
    REQUIRE(split.x[static_cast<size_t>(k * pixels + p)] == fake_pixel(original, p) / 255.0);
  }
}

}  // namespace

TEST_CASE("data: fashion_mnist reads raw IDX files", "[data]") {
  TempDir dir;
  write_fake_fashion(dir, 12, 5, 4, 3);  // non-square: rows and cols must not swap
  const Dataset ds = load_dataset(fashion_block(dir), 0);
  CHECK(ds.input_shape == std::vector<int64_t>{1, 4, 3});
  CHECK(ds.label_shape.empty());
  CHECK(ds.train.n == 12);
  CHECK(ds.test.n == 5);
  CHECK(ds.num_classes == 10);
  CHECK(ds.class_names.at(9) == "Ankle boot");
  CHECK(ds.train.x.size() == 12 * 12);
  for (int64_t i = 0; i < 12; ++i) {
    CHECK(ds.train.labels[i] == i % 10);
    check_fake_example(ds.train, i, i, 12);
  }
  check_fake_example(ds.test, 4, 4, 12);
  CHECK(ds.description == "fashion_mnist: 12 train / 5 test, 10 classes, input [1, 4, 3]");
}

TEST_CASE("data: fashion_mnist reads gzipped IDX files natively, and says why not under WASM",
          "[data]") {
  TempDir dir;
#ifndef GRADLAB_WASM
  write_fake_fashion(dir, 12, 5, 4, 3, /*gzip=*/true);
  const Dataset ds = load_dataset(fashion_block(dir), 0);
  CHECK(ds.train.n == 12);
  CHECK(ds.train.labels[11] == 1);
  check_fake_example(ds.train, 11, 11, 12);
  check_fake_example(ds.test, 2, 2, 12);

  // A download cut short: the gzip stream ends before its trailer.
  TempDir cut;
  write_fake_fashion(cut, 12, 5, 4, 3, /*gzip=*/true);
  const std::string path = cut.path() + "/train-images-idx3-ubyte.gz";
  Bytes whole = data::read_file_bytes(path, "test");
  whole.resize(whole.size() / 2);
  write_file(path, whole);
  const std::string message = error_of<IOError>([&] { load_dataset(fashion_block(cut), 0); });
  CHECK_THAT(message, Contains("truncated gzip file") && Contains(path));
#else
  const std::string path = dir.file("x.gz");
  write_file(path, {0x1f, 0x8b});
  const std::string message = error_of<IOError>([&] { data::read_gzip_file(path, "test"); });
  CHECK_THAT(message, Contains("gzip files are not supported in the WebAssembly build") &&
                          Contains("gunzip -k"));
#endif
}

TEST_CASE("data: fashion_mnist rejects wrong magic numbers, truncated and inconsistent files",
          "[data]") {
  SECTION("labels file with the images' magic number") {
    TempDir dir;
    write_fake_fashion(dir, 12, 5, 4, 3);
    write_file(dir.path() + "/train-labels-idx1-ubyte", idx_file(0x803, {12}, Bytes(12, 0)));
    CHECK_THAT(error_of<IOError>([&] { load_dataset(fashion_block(dir), 0); }),
               Contains("train-labels-idx1-ubyte: wrong IDX magic number 0x803, expected 0x801"));
  }
  SECTION("truncated image file") {
    TempDir dir;
    write_fake_fashion(dir, 12, 5, 4, 3);
    write_file(dir.path() + "/train-images-idx3-ubyte", idx_file(0x803, {12, 4, 3}, Bytes(100, 7)));
    CHECK_THAT(error_of<IOError>([&] { load_dataset(fashion_block(dir), 0); }),
               Contains("train-images-idx3-ubyte: truncated IDX file: its header says [12, 4, 3] "
                        "(160 bytes with the header) but it has 116 bytes"));
  }
  SECTION("file shorter than its header") {
    TempDir dir;
    write_fake_fashion(dir, 12, 5, 4, 3);
    write_file(dir.path() + "/t10k-labels-idx1-ubyte", {0, 0, 8});
    CHECK_THAT(
        error_of<IOError>([&] { load_dataset(fashion_block(dir), 0); }),
        Contains(
            "t10k-labels-idx1-ubyte: truncated IDX file: 3 bytes, shorter than its 8-byte header"));
  }
  SECTION("image and label counts differ") {
    TempDir dir;
    write_fake_fashion(dir, 12, 5, 4, 3);
    write_file(dir.path() + "/train-labels-idx1-ubyte", idx_file(0x801, {11}, Bytes(11, 0)));
    CHECK_THAT(error_of<IOError>([&] { load_dataset(fashion_block(dir), 0); }),
               Contains("holds 12 images but") && Contains("holds 11 labels"));
  }
  SECTION("label outside 0..9") {
    TempDir dir;
    write_fake_fashion(dir, 12, 5, 4, 3);
    Bytes labels(12, 1);
    labels[6] = 10;
    write_file(dir.path() + "/train-labels-idx1-ubyte", idx_file(0x801, {12}, labels));
    CHECK_THAT(error_of<IOError>([&] { load_dataset(fashion_block(dir), 0); }),
               Contains("label 10 of example 6 is not a class id 0..9"));
  }
  SECTION("missing files") {
    TempDir dir;
    CHECK_THAT(error_of<IOError>([&] { load_dataset(fashion_block(dir), 0); }),
               Contains("cannot find train-images-idx3-ubyte.gz or train-images-idx3-ubyte in " +
                        dir.path()));
  }
}

TEST_CASE("data: cifar10 reads binary batches (CHW records) and validates their size", "[data]") {
  TempDir dir;
  const std::string folder = dir.subdir("cifar-10-batches-bin");  // as the archive unpacks
  // Record r of batch b: label (b + r) % 10, pixel q = (7 r + q + b) % 256.
  auto batch = [](int b, int records) {
    Bytes out;
    for (int r = 0; r < records; ++r) {
      out.push_back(static_cast<uint8_t>((b + r) % 10));
      for (int q = 0; q < 3072; ++q) out.push_back(static_cast<uint8_t>((7 * r + q + b) % 256));
    }
    return out;
  };
  for (int b = 1; b <= 5; ++b)
    write_file(dir.file("cifar-10-batches-bin/data_batch_" + std::to_string(b) + ".bin"),
               batch(b, 3));
  write_file(dir.file("cifar-10-batches-bin/test_batch.bin"), batch(0, 2));

  const json block = {{"source", "cifar10"}, {"path", dir.path()}};  // the parent folder works too
  const Dataset ds = load_dataset(block, 0);
  CHECK(ds.input_shape == std::vector<int64_t>{3, 32, 32});
  CHECK(ds.train.n == 15);
  CHECK(ds.test.n == 2);
  CHECK(ds.class_names.at(0) == "airplane");
  // Training example 7 is batch 3, record 1: label 4; its green channel (q = 1024..2047)
  // starts at byte (7 + 1024 + 3) % 256.
  CHECK(ds.train.labels[7] == 4);
  CHECK(ds.train.x[7 * 3072 + 1024] == ((7 + 1024 + 3) % 256) / 255.0);
  CHECK(ds.test.labels[1] == 1);

  SECTION("a batch that is not a whole number of records") {
    Bytes cut = batch(2, 3);
    cut.resize(cut.size() - 5);
    write_file(folder + "/data_batch_2.bin", cut);
    CHECK_THAT(
        error_of<IOError>([&] { load_dataset(block, 0); }),
        Contains(
            "data_batch_2.bin: a CIFAR-10 binary batch is a whole number of 3073-byte records") &&
            Contains("9214 bytes"));
  }
  SECTION("a missing batch and a missing path") {
    std::remove((folder + "/data_batch_5.bin").c_str());
    CHECK_THAT(error_of<IOError>([&] { load_dataset(block, 0); }),
               Contains("cifar10: cannot find") && Contains("data_batch_5.bin"));
    CHECK_THAT(error_of<ConfigError>([&] {
                 load_dataset({{"source", "cifar10"}}, 0);
               }),
               Contains("data.path is required for source cifar10"));
  }
}

TEST_CASE("data: npy reads every supported dtype, classification and regression", "[data]") {
  TempDir dir;
  const std::vector<double> values = {0, 1, 2, 3, 4, 5};  // exact in every dtype
  struct Case {
    const char* descr;
    Bytes data;
  };
  const std::vector<Case> inputs = {
      {"<f4", raw_bytes(std::vector<float>(values.begin(), values.end()))},
      {"<f8", raw_bytes(values)},
      {"|u1", Bytes{0, 1, 2, 3, 4, 5}},
      {"<i4", raw_bytes(std::vector<int32_t>{0, 1, 2, 3, 4, 5})},
      {"<i8", raw_bytes(std::vector<int64_t>{0, 1, 2, 3, 4, 5})},
  };
  const std::string y_path = dir.file("y.npy");
  write_file(y_path, npy_file("<i8", {3}, raw_bytes(std::vector<int64_t>{2, 0, 4})));
  for (const Case& c : inputs) {
    INFO("x dtype " << c.descr);
    const std::string x_path = dir.file(std::string("x") + (c.descr + 1) + ".npy");
    write_file(x_path, npy_file(c.descr, {3, 2}, c.data, false, c.descr[1] == 'f' ? 1 : 2));
    const Dataset ds = load_dataset({{"source", "npy"}, {"x", x_path}, {"y", y_path}}, 0);
    CHECK(ds.input_shape == std::vector<int64_t>{2});
    CHECK(ds.train.x == values);
    CHECK(ds.train.labels == std::vector<int64_t>{2, 0, 4});
    CHECK(ds.num_classes == 5);  // max label + 1
    CHECK(ds.test.n == 0);
  }
  SECTION("integer labels in u1 and i4, a 1-D x") {
    write_file(dir.file("x1.npy"),
               npy_file("<f8", {3}, raw_bytes(std::vector<double>{0.5, 1.5, 2.5})));
    write_file(dir.file("yu1.npy"), npy_file("|u1", {3, 1}, Bytes{1, 1, 0}));
    write_file(dir.file("yi4.npy"), npy_file("<i4", {3}, raw_bytes(std::vector<int32_t>{1, 1, 0})));
    for (const char* y : {"yu1.npy", "yi4.npy"}) {
      const Dataset ds = load_dataset(
          {{"source", "npy"}, {"x", dir.path() + "/x1.npy"}, {"y", dir.path() + "/" + y}}, 0);
      CHECK(ds.input_shape == std::vector<int64_t>{1});
      CHECK(ds.train.labels == std::vector<int64_t>{1, 1, 0});
      CHECK(ds.num_classes == 2);
    }
  }
  SECTION("float y is regression; x_test / y_test form the test split") {
    const std::string x = dir.file("xr.npy"), y = dir.file("yr.npy");
    const std::string xt = dir.file("xrt.npy"), yt = dir.file("yrt.npy");
    write_file(x, npy_file("<f8", {3, 2}, raw_bytes(values)));
    write_file(y, npy_file("<f4", {3, 2}, raw_bytes(std::vector<float>{0.25f, -1, 2, 3, 4, 5})));
    write_file(xt, npy_file("<f8", {1, 2}, raw_bytes(std::vector<double>{7, 8})));
    write_file(yt, npy_file("<f8", {1, 2}, raw_bytes(std::vector<double>{9, 10})));
    const Dataset ds =
        load_dataset({{"source", "npy"}, {"x", x}, {"y", y}, {"x_test", xt}, {"y_test", yt}}, 0);
    CHECK(ds.is_regression());
    CHECK(ds.target_dim == 2);
    CHECK(ds.train.labels.empty());
    CHECK(ds.train.y == std::vector<double>{0.25, -1, 2, 3, 4, 5});
    CHECK(ds.test.n == 1);
    CHECK(ds.test.y == std::vector<double>{9, 10});
    CHECK_THAT(error_of<ConfigError>([&] {
                 load_dataset({{"source", "npy"}, {"x", x}, {"y", y}, {"targets", "onehot"}}, 0);
               }),
               Contains("data.targets = \"onehot\": not available, the targets are real-valued"));
  }
}

TEST_CASE("data: npy rejects Fortran order, unsupported dtypes, truncation and mismatches",
          "[data]") {
  TempDir dir;
  const std::string x = dir.file("x.npy"), y = dir.file("y.npy");
  write_file(y, npy_file("<i8", {3}, raw_bytes(std::vector<int64_t>{0, 1, 0})));
  auto error_for_x = [&](const Bytes& file) {
    write_file(x, file);
    return error_of<IOError>([&] { load_dataset({{"source", "npy"}, {"x", x}, {"y", y}}, 0); });
  };
  const Bytes six_doubles = raw_bytes(std::vector<double>(6, 1.0));
  CHECK_THAT(error_for_x(npy_file("<f8", {3, 2}, six_doubles, /*fortran_order=*/true)),
             Contains(x + " (data.x): the array is stored in Fortran order"));
  CHECK_THAT(error_for_x(npy_file("<f2", {3, 2}, Bytes(12, 0))),
             Contains("unsupported dtype '<f2' (supported: <f4, <f8, |u1, <i4, <i8"));
  CHECK_THAT(error_for_x(npy_file(">f8", {3, 2}, six_doubles)),
             Contains("dtype '>f8' is big-endian"));
  CHECK_THAT(
      error_for_x(npy_file("<f8", {3, 2}, Bytes(six_doubles.begin(), six_doubles.end() - 8))),
      Contains("truncated .npy file: shape [3, 2] of '<f8' needs 48 data bytes, the file has 40"));
  CHECK_THAT(error_for_x(Bytes{'P', 'K', 3, 4, 0, 0, 0, 0, 0, 0}),
             Contains("not a NumPy .npy file"));
  CHECK_THAT(error_for_x(npy_file("<f8", {4, 2}, raw_bytes(std::vector<double>(8, 1.0)))),
             Contains("data.y (" + y + ") has shape [3] but data.x has 4 examples"));
  std::vector<double> with_nan(6, 0.0);
  with_nan[4] = std::numeric_limits<double>::quiet_NaN();
  CHECK_THAT(error_for_x(npy_file("<f8", {3, 2}, raw_bytes(with_nan))),
             Contains("element 4 is nan; data must be finite"));

  write_file(x, npy_file("<f8", {3, 2}, six_doubles));
  CHECK_THAT(error_of<ConfigError>([&] {
               load_dataset({{"source", "npy"}, {"x", x}, {"y", y}, {"n_test", 2}}, 0);
             }),
             Contains("data.n_test = 2, but npy has only 0 test examples (no data.x_test / "
                      "data.y_test given)"));
  CHECK_THAT(error_of<IOError>([&] {
               load_dataset({{"source", "npy"}, {"x", x}, {"y", dir.path() + "/nope.npy"}}, 0);
             }),
             Contains("cannot open " + dir.path() + "/nope.npy (data.y)"));
}

TEST_CASE("data: text makes next-character windows over UTF-8 code points", "[data]") {
  TempDir dir;
  const std::string path = dir.file("corpus.txt");
  write_text(path,
             "abcab\xC3\xA9"
             "cba\xE2\x82\xAC");  // "abcabécba€": 10 characters, 12 bytes
  const Dataset ds = load_dataset(
      {{"source", "text"}, {"path", path}, {"seq_len", 3}, {"stride", 2}, {"test_fraction", 0.3}},
      0);
  // Vocabulary sorted by code point: a b c é €.
  CHECK(ds.vocabulary == std::vector<std::string>{"a", "b", "c", "\xC3\xA9", "\xE2\x82\xAC"});
  CHECK(ds.num_classes == 5);
  CHECK(ds.input_shape == std::vector<int64_t>{3});
  CHECK(ds.label_shape == std::vector<int64_t>{3});
  // Training text = first 7 tokens "abcabéc" = 0 1 2 0 1 3 2; windows start at 0, 2 (2 + 4 <= 7).
  CHECK(ds.train.n == 2);
  CHECK(ds.train.x == std::vector<double>{0, 1, 2, 2, 0, 1});
  CHECK(ds.train.labels == std::vector<int64_t>{1, 2, 0, 0, 1, 3});
  // Test text "ba€" has 3 tokens: no window of 3 + 1.
  CHECK(ds.test.n == 0);

  write_text(path, "ab\xC3(");
  CHECK_THAT(error_of<IOError>([&] {
               load_dataset({{"source", "text"}, {"path", path}, {"seq_len", 1}}, 0);
             }),
             Contains("invalid UTF-8 at byte 3 (expected a continuation byte)"));
  write_text(path, "abc");
  CHECK_THAT(error_of<IOError>([&] {
               load_dataset({{"source", "text"}, {"path", path}, {"seq_len", 8}}, 0);
             }),
             Contains("fewer than data.seq_len + 1 = 9 needed for one training window"));
  CHECK_THAT(
      error_of<ConfigError>([&] {
        load_dataset({{"source", "text"}, {"path", path}, {"seq_len", 1}, {"label_noise", 0.1}}, 0);
      }),
      Contains("data.label_noise: not supported for source text"));
}

#if !defined(GRADLAB_WASM)  // the package ships gzip files, which only the native build reads
TEST_CASE("data: the real Fashion-MNIST from the Debian package", "[data][fashion]") {
  const std::string folder = "/usr/share/datasets/fashion-mnist";
  const bool available = data::file_exists(folder + "/train-images-idx3-ubyte.gz") ||
                         data::file_exists(folder + "/train-images-idx3-ubyte");
  // The dataset is a declared dependency (./lab setup installs it): absent is a failure.
  INFO(folder << " is not installed (./lab setup installs dataset-fashion-mnist)");
  REQUIRE(available);
  const Dataset ds = load_dataset({{"source", "fashion_mnist"}}, 0);
  CHECK(ds.train.n == 60000);
  CHECK(ds.test.n == 10000);
  CHECK(ds.input_shape == std::vector<int64_t>{1, 28, 28});
  // Fashion-MNIST is balanced: 6000 training and 1000 test images per class.
  for (const auto& [split, per_class] : {std::pair{&ds.train, 6000}, std::pair{&ds.test, 1000}}) {
    std::vector<int64_t> counts(10, 0);
    for (int64_t label : split->labels) {
      REQUIRE(label >= 0);
      REQUIRE(label < 10);
      ++counts[static_cast<size_t>(label)];
    }
    CHECK(counts == std::vector<int64_t>(10, per_class));
  }
  const auto [lo, hi] = std::minmax_element(ds.train.x.begin(), ds.train.x.end());
  CHECK(*lo == 0.0);
  CHECK(*hi == 1.0);
  CHECK(ds.train.labels[0] == 9);  // the first training image is an ankle boot
}
#endif
