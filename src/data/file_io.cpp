// file_io.cpp — reading whole files (plain and gzip) for the dataset readers.
//
// Files are read whole: the largest, Fashion-MNIST's training images, is 47 MB
// decompressed. Under WebAssembly the test runner and the CLI use NODERAWFS, so the same
// <cstdio> code reads the host's files (and, in the browser, the in-memory files the worker
// staged); <cstdio> rather than <fstream>, whose iostreams would weigh on the browser module
// (gradlab/text.h). Only gzip needs zlib, which the WASM build does not link (Emscripten's
// zlib port would be a download), hence the guard below.
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
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

std::vector<uint8_t> gunzip_bytes(const std::vector<uint8_t>& compressed, const std::string& path,
                                  const std::string& what_for, size_t max_bytes) {
  // inflate() on the bytes in memory rather than gzread() on the file: the fuzz targets hand
  // the same function their bytes, and the output can stop at max_bytes + 1 (a decompression
  // bomb, or a header that does not match the data, never grows the buffer past what the
  // caller can use).
  z_stream stream{};
  // 16 + MAX_WBITS: expect a gzip wrapper (header + CRC-32 + length trailer), not raw zlib.
  if (inflateInit2(&stream, 16 + MAX_WBITS) != Z_OK) {
    fail<IOError>("cannot read ", path, " (", what_for, "): zlib failed to start");
  }
  std::vector<uint8_t> out;
  const size_t limit = max_bytes == SIZE_MAX ? max_bytes : max_bytes + 1;
  size_t consumed = 0;  // input bytes of the members before the current one
  int status = Z_OK;
  stream.next_in = const_cast<Bytef*>(compressed.data());
  stream.avail_in = static_cast<uInt>(compressed.size());
  constexpr size_t kChunk = size_t{1} << 20;
  while (out.size() < limit) {
    const size_t old_size = out.size();
    const size_t grow = std::min(kChunk, limit - old_size);
    out.resize(old_size + grow);
    stream.next_out = out.data() + old_size;
    stream.avail_out = static_cast<uInt>(grow);
    status = inflate(&stream, Z_NO_FLUSH);
    out.resize(old_size + grow - stream.avail_out);
    if (status == Z_STREAM_END) {
      // Concatenated gzip members (what `cat a.gz b.gz` makes) are one file, as for gunzip.
      consumed = compressed.size() - stream.avail_in;
      if (stream.avail_in == 0) break;
      if (inflateReset(&stream) != Z_OK) break;
      continue;
    }
    if (status != Z_OK && !(status == Z_BUF_ERROR && stream.avail_out == 0)) break;
  }
  const std::string message = stream.msg != nullptr ? stream.msg : "";
  const size_t input_used = compressed.size() - stream.avail_in;
  inflateEnd(&stream);
  if (out.size() >= limit) return out;  // the caller reports the oversized contents
  if (status != Z_STREAM_END) {
    if (status == Z_DATA_ERROR || status == Z_NEED_DICT || status == Z_MEM_ERROR) {
      fail<IOError>("corrupt gzip file ", path, " (", what_for, "): ",
                    message.empty() ? "not gzip data" : message, " at compressed byte ",
                    input_used, " after ", out.size(), " decompressed bytes");
    }
    fail<IOError>("truncated gzip file ", path, " (", what_for, "): the compressed stream of ",
                  compressed.size(), " bytes ends early (after ", consumed > 0 ? "a member and " : "",
                  out.size(), " decompressed bytes)");
  }
  return out;
}

std::vector<uint8_t> read_gzip_file(const std::string& path, const std::string& what_for,
                                    size_t max_bytes) {
  return gunzip_bytes(read_file_bytes(path, what_for), path, what_for, max_bytes);
}

#else  // GRADLAB_WASM

std::vector<uint8_t> gunzip_bytes(const std::vector<uint8_t>&, const std::string& path,
                                  const std::string& what_for, size_t) {
  fail<IOError>("cannot read ", path, " (", what_for,
                "): gzip files are not supported in the "
                "WebAssembly build; decompress it first (gunzip -k ",
                path, ") and the uncompressed file next to it is used");
}

std::vector<uint8_t> read_gzip_file(const std::string& path, const std::string& what_for,
                                    size_t max_bytes) {
  return gunzip_bytes({}, path, what_for, max_bytes);
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
