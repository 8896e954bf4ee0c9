// file_io.cpp — reading whole files (plain and gzip) for the dataset readers.
//
// Files are read whole: the largest, Fashion-MNIST's training images, is 47 MB
// decompressed. Under WebAssembly the test runner and the CLI use NODERAWFS, so the same
// <cstdio> code reads the host's files (and, in the browser, the in-memory files the worker
// staged); <cstdio> rather than <fstream>, whose iostreams would weigh on the browser module
// (gradlab/text.h). Only gzip needs zlib, which the WASM build does not link (Emscripten's
// zlib port would be a download), hence the guard below.
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "data/data_internal.h"
#include "gradlab/error.h"

#ifndef GRADLAB_WASM
#include <zlib.h>
#endif

namespace gradlab::data {

bool file_exists(const std::string& path) {
  std::FILE* in = std::fopen(path.c_str(), "rb");
  if (in) std::fclose(in);
  return in != nullptr;
}

std::string join_path(const std::string& folder, const std::string& name) {
  if (folder.empty() || folder.back() == '/') return folder + name;
  return folder + "/" + name;
}

std::vector<uint8_t> read_file_bytes(const std::string& path, const std::string& what_for) {
  std::FILE* in = std::fopen(path.c_str(), "rb");
  if (!in) {
    fail<IOError>("cannot open ", path, " (", what_for, "): ", std::strerror(errno));
  }
  struct stat st;
  if (::fstat(::fileno(in), &st) != 0 || !S_ISREG(st.st_mode)) {
    std::fclose(in);
    fail<IOError>("cannot read ", path, " (", what_for, "): not a regular file");
  }
  const size_t size = static_cast<size_t>(st.st_size);
  std::vector<uint8_t> bytes(size);
  const size_t got = size > 0 ? std::fread(bytes.data(), 1, size, in) : 0;
  std::fclose(in);
  if (got != size) {
    fail<IOError>("cannot read ", path, " (", what_for, "): read failed after ", got, " of ",
                  size, " bytes");
  }
  return bytes;
}

#ifndef GRADLAB_WASM

std::vector<uint8_t> read_gzip_file(const std::string& path, const std::string& what_for) {
  if (!file_exists(path)) {
    fail<IOError>("cannot open ", path, " (", what_for, "): ", std::strerror(errno));
  }
  gzFile file = gzopen(path.c_str(), "rb");
  if (file == nullptr) fail<IOError>("cannot open ", path, " (", what_for, ") with zlib");
  gzbuffer(file, 1 << 18);
  std::vector<uint8_t> bytes;
  constexpr size_t kChunk = 1 << 20;
  while (true) {
    const size_t old_size = bytes.size();
    bytes.resize(old_size + kChunk);
    const int got = gzread(file, bytes.data() + old_size, static_cast<unsigned>(kChunk));
    if (got < 0) {
      int code = 0;
      const std::string message = gzerror(file, &code);
      gzclose(file);
      fail<IOError>("corrupt gzip file ", path, " (", what_for, "): ", message, " after ", old_size,
                    " decompressed bytes");
    }
    bytes.resize(old_size + static_cast<size_t>(got));
    if (got == 0) break;
  }
  // gzclose reports a stream that ended before its gzip trailer (a truncated download).
  const int status = gzclose(file);
  if (status != Z_OK) {
    fail<IOError>("truncated or corrupt gzip file ", path, " (", what_for, "): the compressed ",
                  "stream ends early (zlib status ", status, ") after ", bytes.size(),
                  " decompressed bytes");
  }
  return bytes;
}

#else  // GRADLAB_WASM

std::vector<uint8_t> read_gzip_file(const std::string& path, const std::string& what_for) {
  fail<IOError>("cannot read ", path, " (", what_for,
                "): gzip files are not supported in the "
                "WebAssembly build; decompress it first (gunzip -k ",
                path, ") and the uncompressed file next to it is used");
}

#endif

uint32_t read_be32(const std::vector<uint8_t>& bytes, size_t offset) {
  return (uint32_t{bytes[offset]} << 24) | (uint32_t{bytes[offset + 1]} << 16) |
         (uint32_t{bytes[offset + 2]} << 8) | uint32_t{bytes[offset + 3]};
}

int64_t shape_numel(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

int64_t header_element_count(const std::vector<int64_t>& dims) {
  constexpr int64_t kCap = int64_t{1} << 50;
  int64_t n = 1;
  for (int64_t d : dims) {
    if (d != 0 && n > kCap / d) return kCap;
    n *= d;
  }
  return n;
}

}  // namespace gradlab::data
