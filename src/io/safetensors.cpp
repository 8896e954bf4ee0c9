// safetensors reader/writer and atomic file helpers (see include/gradlab/safetensors.h).
#include "gradlab/safetensors.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include <fcntl.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "gradlab/json_text.h"

namespace gradlab {

namespace {
const char* st_dtype(DType t) { return t == DType::F32 ? "F32" : t == DType::F64 ? "F64" : "I64"; }

DType parse_dtype(const std::string& s, const std::string& path, const std::string& name) {
  if (s == "F32") return DType::F32;
  if (s == "F64") return DType::F64;
  if (s == "I64") return DType::I64;
  fail<IOError>(path, ": tensor '", one_line(name), "' has dtype ", one_line(s),
                " (supported: F32, F64, I64)");
}

void put_u64_le(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
}  // namespace

// <cstdio> rather than <fstream> here: iostreams would weigh on the browser module, which
// exports parameters through these two (gradlab/text.h).
//
// Crash safety (docs/runner.md): the bytes go to path.tmp, are fsync'ed, renamed over path and
// the folder is fsync'ed, so after a crash or power loss path holds either the old or the new
// contents, never a mix. A failed write (ENOSPC, EFBIG, EIO) removes the temporary file and
// leaves path untouched; the error names the file and the system's reason.
void write_file_atomic(const std::string& path, const std::string& bytes) {
  const std::string tmp = path + ".tmp";
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (!f)
    fail<IOError>("cannot write ", tmp, ": ", std::strerror(errno),
                  " (does the folder exist and is it writable?)");
  bool ok = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
  int err = ok ? 0 : errno;
  if (ok && std::fflush(f) != 0) ok = false, err = errno;
#if !defined(__EMSCRIPTEN__)
  if (ok && ::fsync(::fileno(f)) != 0) ok = false, err = errno;
#endif
  if (std::fclose(f) != 0 && ok) ok = false, err = errno;
  if (!ok) {
    std::remove(tmp.c_str());
    fail<IOError>("failed writing ", path, ": ", std::strerror(err ? err : EIO),
                  err == ENOSPC ? " (the disk is full; the previous file was left as it was)"
                                : " (the previous file was left as it was)");
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    err = errno;
    std::remove(tmp.c_str());
    fail<IOError>("cannot rename ", tmp, " to ", path, ": ", std::strerror(err));
  }
  fsync_folder_of(path);
}

void fsync_folder_of(const std::string& path) {
#if !defined(__EMSCRIPTEN__)
  // The rename is durable only once the folder's entry is on disk.
  const size_t slash = path.find_last_of('/');
  const std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd >= 0) {
    ::fsync(fd);  // best effort: some file systems refuse fsync on folders
    ::close(fd);
  }
#else
  (void)path;
#endif
}

std::string read_file(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) fail<IOError>("cannot open ", path, " (file not found or not readable)");
  std::string text;
  char buf[1 << 14];
  size_t got = 0;
  while ((got = std::fread(buf, 1, sizeof buf, f)) > 0) text.append(buf, got);
  const bool failed = std::ferror(f) != 0;
  std::fclose(f);
  if (failed) fail<IOError>("cannot read ", path, " (a folder, or an I/O error)");
  return text;
}

void save_safetensors(const std::string& path,
                      const std::vector<std::pair<std::string, Tensor>>& tensors,
                      const std::map<std::string, std::string>& metadata) {
  // Host copies, contiguous (the format stores row-major little-endian data). The header is a
  // plain (key-sorted) json object: the format does not order its keys, the data keeps the order
  // given here, and the loader returns tensors by data offset. (nlohmann::ordered_json would be a
  // second instantiation of the whole JSON library, ~13 KB of the browser module.)
  nlohmann::json header = nlohmann::json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::string body;
  for (const auto& [name, t] : tensors) {
    if (header.contains(name)) fail<IOError>(path, ": duplicate tensor name '", name, "'");
    Tensor c = t.detach().to(Device::CPU).contiguous();
    size_t bytes = static_cast<size_t>(c.numel()) * dtype_size(c.dtype());
    size_t begin = body.size();
    body.append(static_cast<const char*>(c.raw_data()), bytes);
    header[name] = {{"dtype", st_dtype(c.dtype())},
                    {"shape", c.shape()},
                    {"data_offsets", {begin, begin + bytes}}};
  }
  std::string h = header.dump();
  while ((h.size() + 8) % 8 != 0) h.push_back(' ');  // align the data to 8 bytes
  std::string out;
  put_u64_le(out, h.size());
  out += h;
  out += body;
  write_file_atomic(path, out);
}

const Tensor* SafetensorsFile::find(const std::string& name) const {
  for (const auto& [n, t] : tensors)
    if (n == name) return &t;
  return nullptr;
}

SafetensorsFile load_safetensors(const std::string& path) {
  return parse_safetensors(read_file(path), path);
}

SafetensorsFile parse_safetensors(const std::string& data, const std::string& path) {
  if (data.size() < 8) fail<IOError>(path, ": truncated safetensors file (", data.size(), " bytes)");
  uint64_t n = 0;
  for (int i = 0; i < 8; ++i) n |= static_cast<uint64_t>(static_cast<unsigned char>(data[i])) << (8 * i);
  if (n > data.size() - 8)
    fail<IOError>(path, ": header length ", n, " exceeds the file size ", data.size());
  const nlohmann::json header =
      parse_json_text(data.substr(8, static_cast<size_t>(n)), path + ": safetensors header");
  if (!header.is_object()) fail<IOError>(path, ": safetensors header is not a JSON object");
  const uint64_t base = 8 + n;
  const uint64_t data_bytes = data.size() - base;  // the data section after the header
  SafetensorsFile out;
  std::vector<std::pair<uint64_t, std::pair<std::string, Tensor>>> ordered;
  for (auto it = header.begin(); it != header.end(); ++it) {
    if (it.key() == "__metadata__") {
      if (!it->is_object()) fail<IOError>(path, ": __metadata__ is not a JSON object");
      for (auto m = it->begin(); m != it->end(); ++m)
        out.metadata[m.key()] = m->is_string() ? m->get<std::string>() : m->dump();
      continue;
    }
    const auto& e = *it;
    if (!e.is_object() || !e.contains("dtype") || !e.contains("shape") || !e.contains("data_offsets"))
      fail<IOError>(path, ": entry '", one_line(it.key()), "' lacks dtype/shape/data_offsets");
    if (!e["dtype"].is_string())
      fail<IOError>(path, ": entry '", one_line(it.key()), "' has a dtype that is not a string");
    const DType dt = parse_dtype(e["dtype"].get<std::string>(), path, it.key());
    // Every dimension a non-negative integer, and the element count bounded by the data
    // section (checked as we multiply, so a corrupt shape cannot overflow int64 or ask for a
    // multi-GB tensor before the offsets are compared with the file).
    const nlohmann::json& dims = e["shape"];
    if (!dims.is_array())
      fail<IOError>(path, ": entry '", one_line(it.key()), "' has a shape that is not a list");
    // The product of the non-zero dimensions is bounded too (an empty [0, 2^40, 2^40] tensor
    // would overflow its strides).
    const uint64_t limit = std::max<uint64_t>(data_bytes, uint64_t{1} << 32);
    Shape shape;
    uint64_t nonzero = 1;
    bool has_zero = false, too_large = false;
    for (const nlohmann::json& d : dims) {
      if (!d.is_number_unsigned())
        fail<IOError>(path, ": entry '", one_line(it.key()), "' has shape ", dims.dump(),
                      ": dimensions must be non-negative integers");
      const uint64_t size = d.get<uint64_t>();
      if (size == 0) {
        has_zero = true;
      } else if (nonzero > limit / size) {
        too_large = true;
      } else {
        nonzero *= size;
      }
      if (too_large)
        fail<IOError>(path, ": entry '", one_line(it.key()), "' has shape ", dims.dump(), ", more ",
                      "values than the file's ", data_bytes, " data bytes hold");
      shape.push_back(static_cast<int64_t>(size));
    }
    const uint64_t count = has_zero ? 0 : nonzero;
    const nlohmann::json& offsets = e["data_offsets"];
    if (!offsets.is_array() || offsets.size() != 2 || !offsets[0].is_number_unsigned() ||
        !offsets[1].is_number_unsigned())
      fail<IOError>(path, ": entry '", one_line(it.key()), "' has invalid data_offsets ", offsets.dump(),
                    " (expected [begin, end], byte offsets into the data)");
    const uint64_t begin = offsets[0].get<uint64_t>(), end = offsets[1].get<uint64_t>();
    if (end < begin)
      fail<IOError>(path, ": entry '", one_line(it.key()), "' has invalid data_offsets [", begin, ", ",
                    end, "] (end before begin)");
    if (end > data_bytes)
      fail<IOError>(path, ": truncated: entry '", one_line(it.key()), "' ends at byte ", end,
                    " of the data but the file holds ", data_bytes, " data bytes");
    const uint64_t width = dtype_size(dt);
    if (count > data_bytes / width)
      fail<IOError>(path, ": entry '", one_line(it.key()), "' has shape ", dims.dump(), ", more ",
                    dtype_name(dt), " values than the file's ", data_bytes, " data bytes hold");
    const uint64_t want = count * width;
    if (end - begin != want)
      fail<IOError>(path, ": entry '", one_line(it.key()), "' has ", end - begin, " bytes but shape ",
                    shape_str(shape), " of ", dtype_name(dt), " needs ", want);
    Tensor t = empty(shape, dt, Device::CPU);
    if (want) std::memcpy(t.raw_data(), data.data() + base + begin, static_cast<size_t>(want));
    ordered.push_back({begin, {it.key(), t}});
  }
  std::sort(ordered.begin(), ordered.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  for (auto& o : ordered) out.tensors.push_back(std::move(o.second));
  return out;
}

}  // namespace gradlab
