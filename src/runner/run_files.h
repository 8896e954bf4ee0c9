// The crash-safe files of a run folder (src/runner/runner.cpp, docs/runner.md "Checkpoints"):
// metrics.jsonl appended row by row, checkpoints written atomically, and the checks --resume
// makes before it continues a run.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "gradlab/experiment.h"

namespace gradlab::runner_detail {

// metrics.jsonl, appended one complete line at a time. A failed write (a full disk) cuts the
// file back to its last complete row and throws IOError, so the file never ends in half a row.
class MetricsFile {
 public:
  // Opens path for appending; its current size is the last good length.
  explicit MetricsFile(const std::string& path);
  ~MetricsFile();
  MetricsFile(const MetricsFile&) = delete;
  MetricsFile& operator=(const MetricsFile&) = delete;
  void append(const std::string& line);  // line without its '\n'
  // fsync: the rows a checkpoint counts must be on disk before the checkpoint is.
  void sync();
  int64_t rows() const { return rows_; }
  void set_rows(int64_t rows) { rows_ = rows; }

 private:
  std::string path_;
  int fd_ = -1;
  int64_t bytes_ = 0;
  int64_t rows_ = 0;
};

// What a checkpoint's state.json says (checkpoint/state.json).
struct CheckpointInfo {
  int64_t steps_done = 0;
  int64_t metrics_rows = 0;
  double wall_time_s = 0;
};

// Writes checkpoint/state-<step>.safetensors, then checkpoint/state.json naming it (both
// atomic and fsync'ed; state.json last, so it only ever points at a complete tensor file),
// then removes the older tensor files. On failure (IOError, e.g. a full disk) the previous
// checkpoint is left as it was and the error says so.
void save_checkpoint(const Experiment& exp, const std::string& ckpt_dir, int64_t metrics_rows,
                     double wall_time_s);

// Loads the checkpoint into exp; returns what state.json recorded.
CheckpointInfo load_checkpoint(Experiment& exp, const std::string& ckpt_dir);

// The keys (dotted paths) whose values differ between two resolved configs, each as
// "path (A here, B in config.json)" — at most `limit`, then "… and N more".
std::vector<std::string> config_differences(const nlohmann::json& now, const nlohmann::json& saved,
                                            size_t limit = 8);

// Cuts metrics.jsonl back to its first `rows` lines (the rows the checkpoint had seen) and
// returns them parsed. IOError when the file holds fewer complete rows than that.
std::vector<nlohmann::json> truncate_metrics(const std::string& path, int64_t rows);

bool path_exists(const std::string& path);
void make_dirs(const std::string& path);

}  // namespace gradlab::runner_detail
