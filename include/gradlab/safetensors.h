// gradlab/safetensors.h — read and write the safetensors format.
//
// Layout (the format's published spec): 8-byte little-endian header length N, then N
// bytes of JSON {"name": {"dtype": "F32"|"F64"|"I64", "shape": [...], "data_offsets":
// [begin, end]}, ..., "__metadata__": {string: string}}, then the raw little-endian
// tensor bytes (offsets relative to the end of the header). PyTorch loads these with
// safetensors.torch.load_file, or tests read them with a few lines of Python.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "gradlab/tensor.h"

namespace gradlab {

// Writes atomically (temp file + rename). Tensors are written in the given order.
void save_safetensors(const std::string& path,
                      const std::vector<std::pair<std::string, Tensor>>& tensors,
                      const std::map<std::string, std::string>& metadata = {});

struct SafetensorsFile {
  std::vector<std::pair<std::string, Tensor>> tensors;  // in file offset order
  std::map<std::string, std::string> metadata;
  const Tensor* find(const std::string& name) const;
};
// IOError naming the file and the problem (missing, truncated, bad header, bad dtype).
// Every size in the header is checked against the file before anything is allocated.
SafetensorsFile load_safetensors(const std::string& path);
// The same for a file's bytes already in memory; `path` names them in messages.
SafetensorsFile parse_safetensors(const std::string& bytes, const std::string& path);

// Write bytes to path atomically and durably: path.tmp, fsync, rename, fsync of the folder (a
// crash leaves the old file or the new one). IOError naming the file and errno's reason (e.g.
// "No space left on device") on failure, with the temporary removed and path untouched.
void write_file_atomic(const std::string& path, const std::string& bytes);
// fsync of the folder holding path (makes a rename or a new file's entry durable); best effort.
void fsync_folder_of(const std::string& path);
std::string read_file(const std::string& path);

}  // namespace gradlab
