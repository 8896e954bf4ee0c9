// data_test_util.h — helpers for the data tests: a scratch folder and writers for the
// file formats the data sources read (IDX, gzip, CIFAR-10 batches, .npy), so the tests
// build their own small datasets and never depend on a downloaded one.
//
// The scratch folder comes from mkdtemp, unique per process: ctest runs every test case
// as its own process, two at a time. Under WebAssembly the test binary runs with
// NODERAWFS, so these are the host's real files there too.
#pragma once

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#ifndef GRADLAB_WASM
#include <zlib.h>
#endif

namespace data_test {

using Bytes = std::vector<uint8_t>;

class TempDir {
 public:
  TempDir() {
    char pattern[] = "/tmp/gradlab-data-test-XXXXXX";
    const char* made = mkdtemp(pattern);
    REQUIRE(made != nullptr);
    path_ = made;
  }
  ~TempDir() {
    for (auto it = created_.rbegin(); it != created_.rend(); ++it) std::remove(it->c_str());
    std::remove(path_.c_str());
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // FOLDER/name, remembered for removal (sub-folders must be made with subdir first).
  std::string file(const std::string& name) {
    created_.push_back(path_ + "/" + name);
    return created_.back();
  }
  std::string subdir(const std::string& name) {
    const std::string dir = path_ + "/" + name;
    REQUIRE(mkdir(dir.c_str(), 0700) == 0);
    created_.push_back(dir);  // removed after the files in it (reverse order)
    return dir;
  }

 private:
  std::string path_;
  std::vector<std::string> created_;
};

inline void write_file(const std::string& path, const Bytes& bytes) {
  std::ofstream out(path, std::ios::binary);
  REQUIRE(out);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  REQUIRE(out);
}

inline void write_text(const std::string& path, const std::string& text) {
  write_file(path, Bytes(text.begin(), text.end()));
}

inline void put_be32(Bytes& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<uint8_t>(v >> shift));
}

// An IDX file: magic, big-endian dims, then the bytes.
inline Bytes idx_file(uint32_t magic, const std::vector<uint32_t>& dims, const Bytes& values) {
  Bytes out;
  put_be32(out, magic);
  for (uint32_t d : dims) put_be32(out, d);
  out.insert(out.end(), values.begin(), values.end());
  return out;
}

#ifndef GRADLAB_WASM
inline void write_gzip(const std::string& path, const Bytes& bytes) {
  gzFile file = gzopen(path.c_str(), "wb");
  REQUIRE(file != nullptr);
  REQUIRE(gzwrite(file, bytes.data(), static_cast<unsigned>(bytes.size())) ==
          static_cast<int>(bytes.size()));
  REQUIRE(gzclose(file) == Z_OK);
}
#endif

// Pixel p of fake image i (p in [0, rows*cols)): distinct along p, so a permutation of
// positions can be read back from the values.
inline uint8_t fake_pixel(int64_t i, int64_t p) { return static_cast<uint8_t>((i + 3 * p) % 256); }

// A Fashion-MNIST-shaped folder: n_train / n_test images of rows x cols, label i % 10.
// gzip: write name.gz files instead of the raw ones.
inline void write_fake_fashion(TempDir& dir, int64_t n_train, int64_t n_test, uint32_t rows,
                               uint32_t cols, bool gzip = false) {
  for (const auto& [prefix, n] :
       {std::pair<std::string, int64_t>{"train", n_train}, {"t10k", n_test}}) {
    Bytes images, labels;
    for (int64_t i = 0; i < n; ++i) {
      labels.push_back(static_cast<uint8_t>(i % 10));
      for (int64_t p = 0; p < rows * cols; ++p) images.push_back(fake_pixel(i, p));
    }
    const Bytes image_file = idx_file(0x803, {static_cast<uint32_t>(n), rows, cols}, images);
    const Bytes label_file = idx_file(0x801, {static_cast<uint32_t>(n)}, labels);
    const std::string images_name = prefix + "-images-idx3-ubyte";
    const std::string labels_name = prefix + "-labels-idx1-ubyte";
#ifndef GRADLAB_WASM
    if (gzip) {
      write_gzip(dir.file(images_name + ".gz"), image_file);
      write_gzip(dir.file(labels_name + ".gz"), label_file);
      continue;
    }
#endif
    (void)gzip;
    write_file(dir.file(images_name), image_file);
    write_file(dir.file(labels_name), label_file);
  }
}

// Little-endian bytes of a vector of numbers.
template <class T>
Bytes raw_bytes(const std::vector<T>& values) {
  Bytes out(values.size() * sizeof(T));
  if (!values.empty()) std::memcpy(out.data(), values.data(), out.size());
  return out;
}

// A .npy file (format `major`.0) with the given header fields and raw data.
inline Bytes npy_file(const std::string& descr, const std::vector<int64_t>& shape,
                      const Bytes& data, bool fortran_order = false, int major = 1) {
  std::string header = "{'descr': '" + descr +
                       "', 'fortran_order': " + (fortran_order ? "True" : "False") + ", 'shape': (";
  // Python's tuple syntax: (5,) for one dimension, (5, 3) for two, () for a scalar.
  for (size_t i = 0; i < shape.size(); ++i) {
    header += std::to_string(shape[i]);
    if (shape.size() == 1)
      header += ",";
    else if (i + 1 < shape.size())
      header += ", ";
  }
  header += "), }";
  const size_t prefix = major == 1 ? 10 : 12;
  while ((prefix + header.size() + 1) % 64 != 0) header += ' ';  // numpy pads to 64 bytes
  header += '\n';
  Bytes out = {0x93, 'N', 'U', 'M', 'P', 'Y', static_cast<uint8_t>(major), 0};
  const auto length = static_cast<uint32_t>(header.size());
  out.push_back(static_cast<uint8_t>(length & 0xff));
  out.push_back(static_cast<uint8_t>((length >> 8) & 0xff));
  if (major != 1) {
    out.push_back(static_cast<uint8_t>((length >> 16) & 0xff));
    out.push_back(static_cast<uint8_t>(length >> 24));
  }
  out.insert(out.end(), header.begin(), header.end());
  out.insert(out.end(), data.begin(), data.end());
  return out;
}

// Runs `fn` and returns the message of the exception of type E it throws (fails if none).
template <class E, class Fn>
std::string error_of(Fn&& fn) {
  try {
    fn();
  } catch (const E& e) {
    return e.what();
  }
  FAIL("expected an exception, none was thrown");
  return {};
}

}  // namespace data_test
