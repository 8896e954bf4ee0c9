// Sweeps handed to an engine (docs/cluster.md): the sweep folder, per-point run records,
// status, merge (sweep_track.cpp) and the local / GNU parallel / Slurm drivers
// (sweep_engines.cpp). `gradlab sweep` itself is in sweep.cpp.
//
// A sweep folder DIR holds
//   sweep_config.json   the user config as given (the workers read it: `--shard I/N`)
//   sweep_spec.json     how the points were made: profile, --set values, engine, point ids
//   runs/<id>/          one run folder per point, with run_info.json (run_info below)
//   sweep.jsonl         the merged rows, in point order
//   slurm/ parallel/    what the engine was given: sbatch files, point lists, logs, joblogs
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "gradlab/config.h"  // Json

namespace gradlab::cli {

// ---- run records (sweep_track.cpp) -------------------------------------------------------------

// 64-bit FNV-1a of the bytes, as 16 hex digits: a fingerprint, not a cryptographic hash.
std::string fnv1a_hex(const std::string& bytes);
// The fingerprint of a resolved config (its canonical dump: nlohmann orders object keys).
std::string config_hash(const Json& config);
// The fingerprint of this executable's file: two builds from different sources differ even
// when build_id() (compiler, target) is the same.
std::string binary_hash();
std::string host_name();
std::string utc_now();  // 2026-01-31T12:00:00Z

// run_info.json in a run folder: what ran, where, when, and how it ended. Written when the run
// starts (status "running", no end_time) and again when it ends, so a folder whose run_info has
// no end_time and whose process is gone was killed.
// `log`: the file the process's stderr goes to, if any (its last line explains a kill).
Json run_info_start(const std::string& dir, const Json& config, const std::string& log = "");
void run_info_end(const std::string& dir, Json info, const std::string& status, int exit_status,
                  const std::string& error);

// ---- the sweep folder ----------------------------------------------------------------------

struct SweepSpec {
  Json user;                   // the user config (sweep_config.json)
  std::string profile;
  std::vector<std::string> sets;
  std::string engine = "local";
  std::string slurm_options;   // --slurm as given
  int jobs = 0;                // --jobs (parallel)
  std::string binary;          // absolute path of the gradlab that made the folder
  std::vector<SweepPoint> points;
};

// Writes sweep_config.json and sweep_spec.json for a new sweep folder; an existing folder must
// hold the same user config, profile and --set values (else ConfigError, unless allow_mixed, which
// replaces them) and is left as it is.
void write_spec(const std::string& dir, const SweepSpec& spec, bool allow_mixed);
// Reads the folder back and expands its points (ConfigError when DIR is not a sweep folder).
SweepSpec read_spec(const std::string& dir);
void save_spec_engine(const std::string& dir, const SweepSpec& spec);

std::string point_dir(const std::string& dir, const SweepPoint& p);

struct PointState {
  std::string id;
  std::string state;   // done | running | failed | missing
  std::string detail;  // the failing run's last error line, or where it runs
};
// The state of every point, in point order. Asks squeue which jobs still run when a point's
// run_info names a Slurm job.
std::vector<PointState> point_states(const std::string& dir, const SweepSpec& spec);
// "20 points: 16 done, 1 running, 2 failed, 1 missing"
std::string state_counts(const std::vector<PointState>& states);
int print_status(const std::string& dir);

struct MergeResult {
  size_t merged = 0, total = 0;
};
// Writes DIR/sweep.jsonl (and sweep_summary.json for kinds with a sweep-level figure) from the
// done points, in point order. Refuses (ConfigError) points whose config hash differs from
// their point's config, or points of different builds, unless allow_mixed.
MergeResult merge_sweep(const std::string& dir, const SweepSpec& spec, bool allow_mixed);

// ---- processes and engines (sweep_engines.cpp) --------------------------------------------

// Runs argv (no shell), waits, returns the exit status; stdout captured into *out when given.
int run_process(const std::vector<std::string>& argv, std::string* out = nullptr,
                std::string* err = nullptr);
std::vector<std::string> split_words(const std::string& s);  // shell-like: quotes, no expansion

struct EngineOptions {
  std::string engine;       // local | parallel | slurm
  int jobs = 0;             // parallel: simultaneous jobs (0 = every core)
  int shards = 0;           // 0 = the engine's default
  std::string slurm;        // extra sbatch options
  bool wait = true;
  bool quiet = false;
};

// Runs the points named by `ids` in this process (sweep.cpp); 0, 1 (a point failed) or 128+signal.
int run_points_of(const std::string& dir, SweepSpec& spec, const std::vector<std::string>& ids,
                  bool quiet);
std::string gradlab_binary();  // this executable's absolute path

// Hands the points named by `ids` (all, or the unfinished ones on --resume) to the engine,
// waits (unless !wait) with a progress line, then merges. Returns the exit status.
int run_on_engine(const std::string& dir, SweepSpec& spec, const std::vector<std::string>& ids,
                  const EngineOptions& opt, bool allow_mixed);

}  // namespace gradlab::cli
