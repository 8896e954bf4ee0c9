// safetensors reader/writer and atomic file helpers (see include/gradlab/safetensors.h).
#include "gradlab/safetensors.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include <fcntl.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

namespace gradlab {

namespace {
const char* st_dtype(DType t) { return t == DType::F32 ? "F32" : t == DType::F64 ? "F64" : "I64"; }

DType parse_dtype(const std::string& s, const std::string& path, const std::string& name) {
  if (s == "F32") return DType::F32;
  if (s == "F64") return DType::F64;
  if (s == "I64") return DType::I64;
  fail<IOError>(path, ": tensor '", name, "' has dtype ", s,
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
  std::string data = read_file(path);
  if (data.size() < 8) fail<IOError>(path, ": truncated safetensors file (", data.size(), " bytes)");
  uint64_t n = 0;
  for (int i = 0; i < 8; ++i) n |= static_cast<uint64_t>(static_cast<unsigned char>(data[i])) << (8 * i);
  if (n > data.size() - 8)
    fail<IOError>(path, ": header length ", n, " exceeds the file size ", data.size());
  nlohmann::json header;
  try {
    header = nlohmann::json::parse(data.begin() + 8, data.begin() + 8 + static_cast<int64_t>(n));
  } catch (const nlohmann::json::exception& e) {
    fail<IOError>(path, ": safetensors header is not valid JSON (", e.what(), ")");
  }
  if (!header.is_object()) fail<IOError>(path, ": safetensors header is not a JSON object");
  size_t base = 8 + n;
  SafetensorsFile out;
  std::vector<std::pair<uint64_t, std::pair<std::string, Tensor>>> ordered;
  for (auto it = header.begin(); it != header.end(); ++it) {
    if (it.key() == "__metadata__") {
      for (auto m = it->begin(); m != it->end(); ++m)
        out.metadata[m.key()] = m->is_string() ? m->get<std::string>() : m->dump();
      continue;
    }
    const auto& e = *it;
    if (!e.is_object() || !e.contains("dtype") || !e.contains("shape") || !e.contains("data_offsets"))
      fail<IOError>(path, ": entry '", it.key(), "' lacks dtype/shape/data_offsets");
    DType dt = parse_dtype(e["dtype"].get<std::string>(), path, it.key());
    Shape shape = e["shape"].get<Shape>();
    auto offs = e["data_offsets"].get<std::vector<uint64_t>>();
    if (offs.size() != 2 || offs[1] < offs[0])
      fail<IOError>(path, ": entry '", it.key(), "' has invalid data_offsets");
    uint64_t want = static_cast<uint64_t>(shape_numel(shape)) * dtype_size(dt);
    if (offs[1] - offs[0] != want)
      fail<IOError>(path, ": entry '", it.key(), "' has ", offs[1] - offs[0], " bytes but shape ",
                    shape_str(shape), " of ", dtype_name(dt), " needs ", want);
    if (base + offs[1] > data.size())
      fail<IOError>(path, ": truncated: entry '", it.key(), "' ends at byte ", base + offs[1],
                    " but the file has ", data.size());
    Tensor t = empty(shape, dt, Device::CPU);
    if (want) std::memcpy(t.raw_data(), data.data() + base + offs[0], want);
    ordered.push_back({offs[0], {it.key(), t}});
  }
  std::sort(ordered.begin(), ordered.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  for (auto& o : ordered) out.tensors.push_back(std::move(o.second));
  return out;
}

}  // namespace gradlab
