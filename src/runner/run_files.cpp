// Crash-safe run files: metrics.jsonl, checkpoints, --resume checks (src/runner/run_files.h).
#include "runner/run_files.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <map>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

#include "gradlab/error.h"
#include "gradlab/safetensors.h"

namespace gradlab::runner_detail {

bool path_exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

void make_dirs(const std::string& path) {
  std::string cur;
  std::stringstream ss(path);
  std::string part;
  if (!path.empty() && path[0] == '/') cur = "/";
  while (std::getline(ss, part, '/')) {
    if (part.empty()) continue;
    cur += part + "/";
    if (!path_exists(cur) && ::mkdir(cur.c_str(), 0755) != 0 && !path_exists(cur))
      fail<IOError>("cannot create folder ", cur, ": ", std::strerror(errno));
  }
}

// ---- metrics.jsonl ----------------------------------------------------------------------

MetricsFile::MetricsFile(const std::string& path) : path_(path) {
  fd_ = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) fail<IOError>("cannot append to ", path, ": ", std::strerror(errno));
  struct stat st;
  if (::fstat(fd_, &st) == 0) bytes_ = st.st_size;
}

MetricsFile::~MetricsFile() {
  if (fd_ >= 0) ::close(fd_);
}

void MetricsFile::append(const std::string& line) {
  const std::string text = line + "\n";
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd_, text.data() + done, text.size() - done);
    if (n > 0) {
      done += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    const int err = n < 0 ? errno : EIO;
    // Leave no half row behind: the file ends with its last complete row again.
    const bool cut = ::ftruncate(fd_, bytes_) == 0;
    fail<IOError>("failed writing ", path_, ": ", std::strerror(err),
                  err == ENOSPC ? " (the disk is full)" : "",
                  cut ? "; it keeps its " : "; it could not be cut back to its ", rows_,
                  " complete rows and the last checkpoint is intact: free space and continue "
                  "with --resume");
  }
  bytes_ += static_cast<int64_t>(text.size());
  ++rows_;
}

void MetricsFile::sync() {
#if !defined(__EMSCRIPTEN__)
  if (::fsync(fd_) != 0)
    fail<IOError>("failed writing ", path_, " to disk (fsync): ", std::strerror(errno));
#endif
}

// ---- checkpoints ------------------------------------------------------------------------

namespace {
const char* const kTensorPrefix = "state-";
const char* const kTensorSuffix = ".safetensors";

std::vector<std::string> tensor_files(const std::string& dir) {
  std::vector<std::string> names;
  DIR* d = ::opendir(dir.c_str());
  if (!d) return names;
  while (const dirent* e = ::readdir(d)) {
    const std::string name = e->d_name;
    const std::string suffix = kTensorSuffix;
    if (name.rfind(kTensorPrefix, 0) == 0 && name.size() > suffix.size() &&
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0)
      names.push_back(name);
  }
  ::closedir(d);
  return names;
}

int64_t previous_step(const std::string& ckpt_dir) {
  try {
    const Json meta = Json::parse(read_file(ckpt_dir + "/state.json"));
    return meta.at("steps_done").get<int64_t>();
  } catch (const std::exception&) {
    return -1;
  }
}
}  // namespace

void save_checkpoint(const Experiment& exp, const std::string& dir, int64_t rows, double wall) {
  make_dirs(dir);
  NamedTensors tensors;
  Json state = Json::object();
  exp.save_state(tensors, state);
  // Named by step, so writing it never touches the file the current state.json points at: a
  // crash between the two renames leaves the old pair, complete.
  const std::string name = kTensorPrefix + std::to_string(exp.steps_done()) + kTensorSuffix;
  Json meta = {{"steps_done", exp.steps_done()},
               {"metrics_rows", rows},
               {"wall_time_s", wall},
               {"tensors", name},
               {"experiment", state}};
  try {
    save_safetensors(dir + "/" + name, tensors);
    write_file_atomic(dir + "/state.json", meta.dump(2) + "\n");
  } catch (const IOError& e) {
    const int64_t before = previous_step(dir);
    if (before != exp.steps_done()) std::remove((dir + "/" + name).c_str());
    const std::string kept = before >= 0 ? "the checkpoint of step " + std::to_string(before) +
                                               " is intact"
                                         : "there is no earlier checkpoint";
    fail<IOError>("checkpoint at step ", exp.steps_done(), " not written (", e.what(), "); ",
                  kept, " and so is metrics.jsonl: free space and continue with --resume");
  }
  for (const std::string& old : tensor_files(dir))
    if (old != name) std::remove((dir + "/" + old).c_str());
  std::remove((dir + "/state.safetensors").c_str());  // the layout before named tensor files
}

CheckpointInfo load_checkpoint(Experiment& exp, const std::string& dir) {
  const std::string meta_path = dir + "/state.json";
  Json meta;
  try {
    meta = Json::parse(read_file(meta_path));
  } catch (const Json::exception& e) {
    fail<IOError>(meta_path, " is not valid JSON (", e.what(), ")");
  }
  try {
    // Checkpoints written before the tensor file was named by step used state.safetensors.
    const std::string name =
        meta.contains("tensors") ? meta.at("tensors").get<std::string>() : "state.safetensors";
    if (name.find('/') != std::string::npos)
      fail<IOError>(meta_path, ": tensors names a path (\"", name, "\"), expected a file name");
    SafetensorsFile tensors = load_safetensors(dir + "/" + name);
    exp.load_state(tensors, meta.at("experiment"));
    CheckpointInfo info;
    info.steps_done = meta.at("steps_done").get<int64_t>();
    info.metrics_rows = meta.at("metrics_rows").get<int64_t>();
    info.wall_time_s = meta.at("wall_time_s").get<double>();
    return info;
  } catch (const Json::exception& e) {
    fail<IOError>(meta_path, ": ", e.what(), " (expected steps_done, metrics_rows, wall_time_s, ",
                  "experiment)");
  }
}

// ---- --resume checks --------------------------------------------------------------------

namespace {
void flatten(const Json& j, const std::string& prefix, std::map<std::string, Json>& out) {
  if (j.is_object() && !j.empty()) {
    for (auto it = j.begin(); it != j.end(); ++it)
      flatten(it.value(), prefix.empty() ? it.key() : prefix + "." + it.key(), out);
  } else {
    out[prefix] = j;
  }
}
}  // namespace

std::vector<std::string> config_differences(const Json& now, const Json& saved, size_t limit) {
  std::map<std::string, Json> a, b;
  flatten(now, "", a);
  flatten(saved, "", b);
  std::vector<std::string> keys;
  for (const auto& [k, v] : a)
    if (!b.count(k) || b.at(k) != v) keys.push_back(k);
  for (const auto& [k, v] : b)
    if (!a.count(k)) keys.push_back(k);
  std::sort(keys.begin(), keys.end());
  std::vector<std::string> out;
  for (const std::string& k : keys) {
    if (out.size() == limit) {
      out.push_back("… and " + std::to_string(keys.size() - limit) + " more");
      break;
    }
    const std::string here = a.count(k) ? a.at(k).dump() : "absent";
    const std::string there = b.count(k) ? b.at(k).dump() : "absent";
    out.push_back(k + " (" + here + " here, " + there + " in config.json)");
  }
  return out;
}

std::vector<Json> truncate_metrics(const std::string& path, int64_t rows) {
  std::vector<Json> kept;
  if (rows == 0 && !path_exists(path)) return kept;
  const std::string text = read_file(path);
  size_t pos = 0;
  while (static_cast<int64_t>(kept.size()) < rows) {
    const size_t nl = text.find('\n', pos);
    if (nl == std::string::npos)
      fail<IOError>(path, " has ", kept.size(), " complete rows but the checkpoint counts ", rows,
                    " (the file was cut or edited; start the run again without --resume)");
    try {
      kept.push_back(Json::parse(text.substr(pos, nl - pos)));
    } catch (const Json::exception&) {
      fail<IOError>(path, ": row ", kept.size() + 1, " is not valid JSON");
    }
    pos = nl + 1;
  }
  // Rows after the checkpoint (and a half-written last line) go: the resumed run writes them
  // again, identically.
  if (static_cast<size_t>(pos) != text.size() && ::truncate(path.c_str(), static_cast<off_t>(pos)) != 0)
    fail<IOError>("cannot cut ", path, " back to the checkpoint's ", rows, " rows: ",
                  std::strerror(errno));
  return kept;
}

}  // namespace gradlab::runner_detail
