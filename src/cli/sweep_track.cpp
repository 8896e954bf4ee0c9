// Results tracking for sweeps (sweep.h): run_info.json per run, the sweep folder's spec, the
// state of every point, and the merge into sweep.jsonl.
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/sweep.h"
#include "gradlab/config_views.h"
#include "gradlab/error.h"
#include "gradlab/experiment.h"
#include "gradlab/kind.h"
#include "gradlab/safetensors.h"

namespace gradlab::cli {

namespace {

bool exists(const std::string& p) {
  struct stat st;
  return ::stat(p.c_str(), &st) == 0;
}

Json read_json(const std::string& path) {
  try {
    return Json::parse(read_file(path));
  } catch (const Json::exception& e) {
    fail<IOError>(path, ": not valid JSON (", e.what(), ")");
  }
}

// Written by a temporary file of this process and a rename: several shards may write the same
// file at once (sweep.jsonl), each rename is atomic, none reads a half-written file.
void write_atomic_unique(const std::string& path, const std::string& bytes) {
  const std::string tmp = path + ".tmp" + std::to_string(::getpid());
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    if (!f) fail<IOError>("cannot write ", tmp);
    f << bytes;
    if (!f.flush()) fail<IOError>("cannot write ", tmp);
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) fail<IOError>("cannot rename ", tmp, " to ", path);
}

// The last non-empty line of a text file ("" when it cannot be read).
std::string last_line(const std::string& path) {
  std::ifstream f(path);
  std::string line, last;
  while (std::getline(f, line)) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    // A progress bar redraws with '\r': the text after the last one is what was shown.
    const size_t cr = line.find_last_of('\r');
    if (cr != std::string::npos) line = line.substr(cr + 1);
    if (!line.empty()) last = line;
  }
  return last;
}

// Is the process of a run_info (same host) a live gradlab? A pid may have been reused.
bool local_process_alive(const Json& info) {
  if (info.value("host", "") != host_name()) return false;
  const long pid = info.value("pid", 0L);
  if (pid <= 0 || (::kill(static_cast<pid_t>(pid), 0) != 0 && errno != EPERM)) return false;
  std::ifstream cmd("/proc/" + std::to_string(pid) + "/cmdline");
  std::string text((std::istreambuf_iterator<char>(cmd)), std::istreambuf_iterator<char>());
  return !cmd || text.find("gradlab") != std::string::npos;
}

// The job ids squeue lists for this user (pending or running), or nullopt without squeue.
std::optional<std::set<std::string>> slurm_active_jobs() {
  std::string out;
  if (run_process({"squeue", "-h", "-r", "--me", "-o", "%A"}, &out) != 0) return std::nullopt;
  std::set<std::string> ids;
  std::istringstream in(out);
  for (std::string id; in >> id;) ids.insert(id);
  return ids;
}

}  // namespace

std::string fnv1a_hex(const std::string& bytes) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

std::string config_hash(const Json& config) { return fnv1a_hex(config.dump()); }

std::string binary_hash() {
  static const std::string hash = [] {
    std::ifstream f("/proc/self/exe", std::ios::binary);
    if (!f) return std::string("unknown");
    std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    return fnv1a_hex(bytes);
  }();
  return hash;
}

std::string host_name() {
  char buf[256] = {0};
  if (::gethostname(buf, sizeof buf - 1) != 0) return "unknown";
  return buf;
}

std::string utc_now() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

Json run_info_start(const std::string& dir, const Json& config, const std::string& log) {
  Json info = {{"config_hash", config_hash(config)},
               {"seed", run_config(config).seed},
               {"build_id", build_id()},
               {"binary_hash", binary_hash()},
               {"host", host_name()},
               {"pid", static_cast<long>(::getpid())},
               {"start_time", utc_now()},
               {"status", "running"}};
  if (!log.empty()) info["log"] = log;
  // Under Slurm: the job, so that --status can ask squeue whether the run still goes on.
  if (const char* job = std::getenv("SLURM_JOB_ID")) info["slurm_job_id"] = job;
  if (const char* a = std::getenv("SLURM_ARRAY_JOB_ID")) {
    const char* t = std::getenv("SLURM_ARRAY_TASK_ID");
    info["slurm_array_task"] = std::string(a) + "_" + (t ? t : "?");
  }
  if (exists(dir + "/run_info.json")) {
    // A resumed or restarted run keeps the first start and counts its attempts.
    const Json before = read_json(dir + "/run_info.json");
    info["first_start_time"] = before.value("first_start_time", before.value("start_time", ""));
    info["attempt"] = before.value("attempt", 1) + 1;
  } else {
    info["attempt"] = 1;
  }
  write_atomic_unique(dir + "/run_info.json", info.dump(2) + "\n");
  return info;
}

void run_info_end(const std::string& dir, Json info, const std::string& status, int exit_status,
                  const std::string& error) {
  info["end_time"] = utc_now();
  info["status"] = status;
  info["exit_status"] = exit_status;
  if (!error.empty()) info["error"] = error;
  write_atomic_unique(dir + "/run_info.json", info.dump(2) + "\n");
}

// ---- the sweep folder ----------------------------------------------------------------------

namespace {
Json spec_identity(const SweepSpec& s) {
  return {{"config", s.user}, {"profile", s.profile}, {"sets", s.sets}};
}
}  // namespace

void write_spec(const std::string& dir, const SweepSpec& spec, bool allow_mixed) {
  const std::string path = dir + "/sweep_spec.json";
  if (exists(path)) {
    const Json old = read_json(path);
    const Json was = {{"config", read_json(dir + "/sweep_config.json")},
                      {"profile", old.value("profile", "")},
                      {"sets", old.value("sets", Json::array())}};
    if (was == spec_identity(spec)) return;
    if (!allow_mixed)
      fail<ConfigError>("", dir, " holds a sweep of another config (or other --profile/--set"
                        " values); use a new --out folder, or --allow-mixed to add to it anyway");
  }
  write_atomic_unique(dir + "/sweep_config.json", spec.user.dump(2) + "\n");
  save_spec_engine(dir, spec);
}

void save_spec_engine(const std::string& dir, const SweepSpec& spec) {
  Json ids = Json::array();
  for (const SweepPoint& p : spec.points) ids.push_back(p.id);
  Json j = {{"profile", spec.profile}, {"sets", spec.sets},        {"engine", spec.engine},
            {"slurm", spec.slurm_options}, {"jobs", spec.jobs},      {"binary", spec.binary},
            {"points", ids},               {"written", utc_now()}};
  write_atomic_unique(dir + "/sweep_spec.json", j.dump(2) + "\n");
}

SweepSpec read_spec(const std::string& dir) {
  if (!exists(dir + "/sweep_spec.json") || !exists(dir + "/sweep_config.json"))
    fail<ConfigError>("", dir, " is not a sweep folder (no sweep_spec.json and "
                      "sweep_config.json; it is made by `gradlab sweep CONFIG --out ", dir, "`)");
  const Json j = read_json(dir + "/sweep_spec.json");
  SweepSpec s;
  s.user = read_json(dir + "/sweep_config.json");
  s.profile = j.value("profile", "");
  s.sets = j.value("sets", std::vector<std::string>{});
  s.engine = j.value("engine", "local");
  s.slurm_options = j.value("slurm", "");
  s.jobs = j.value("jobs", 0);
  s.binary = j.value("binary", "");
  ResolveOptions ro;
  ro.profile = s.profile;
  ro.sets = s.sets;
  s.points = expand_sweep(s.user, ro);
  return s;
}

std::string point_dir(const std::string& dir, const SweepPoint& p) {
  return dir + "/runs/" + safe_id(p.id);
}

std::vector<PointState> point_states(const std::string& dir, const SweepSpec& spec) {
  std::vector<PointState> states;
  std::optional<std::optional<std::set<std::string>>> jobs;  // asked once, when needed
  for (const SweepPoint& p : spec.points) {
    const std::string d = point_dir(dir, p);
    PointState st{p.id, "missing", ""};
    const bool has_info = exists(d + "/run_info.json");
    const Json info = has_info ? read_json(d + "/run_info.json") : Json::object();
    if (exists(d + "/summary.json")) {
      const Json summary = read_json(d + "/summary.json");
      const std::string status = summary.value("status", "");
      if (status != "interrupted") {
        st.state = "done";
        st.detail = status;
        states.push_back(st);
        continue;
      }
    }
    if (!has_info) {
      states.push_back(st);
      continue;
    }
    if (!info.contains("end_time")) {
      bool running = local_process_alive(info);
      std::string where = "on " + info.value("host", "?") + " pid " +
                          std::to_string(info.value("pid", 0L));
      if (!running && info.contains("slurm_job_id")) {
        if (!jobs) jobs = slurm_active_jobs();
        running = *jobs && (*jobs)->count(info["slurm_job_id"].get<std::string>()) > 0;
        where = "Slurm job " + info.value("slurm_array_task", info["slurm_job_id"].get<std::string>());
      } else if (!running && info.value("host", "") != host_name()) {
        // Another machine, no scheduler to ask: it may still be going.
        st.state = "running";
        st.detail = where + " (another host: cannot check from here)";
        states.push_back(st);
        continue;
      }
      if (running) {
        st.state = "running";
        st.detail = where + ", since " + info.value("start_time", "?");
      } else {
        st.state = "failed";
        const std::string log = info.contains("log") ? last_line(info["log"].get<std::string>()) : "";
        st.detail = "killed (" + where + " ended without recording an end: SIGKILL, scancel, "
                    "time limit or node failure)";
        if (!log.empty()) st.detail += "; last log line: " + log;
      }
    } else {
      st.state = "failed";
      st.detail = info.value("error", "exit status " + std::to_string(info.value("exit_status", -1)));
    }
    states.push_back(st);
  }
  return states;
}

std::string state_counts(const std::vector<PointState>& states) {
  size_t done = 0, running = 0, failed = 0, missing = 0;
  for (const PointState& s : states) {
    if (s.state == "done") ++done;
    else if (s.state == "running") ++running;
    else if (s.state == "failed") ++failed;
    else ++missing;
  }
  std::ostringstream os;
  os << states.size() << " points: " << done << " done, " << running << " running, " << failed
     << " failed, " << missing << " missing";
  return os.str();
}

int print_status(const std::string& dir) {
  const SweepSpec spec = read_spec(dir);
  const std::vector<PointState> states = point_states(dir, spec);
  std::cout << "sweep " << dir << ": " << state_counts(states) << "\n";
  size_t width = 0;
  for (const PointState& s : states) width = std::max(width, s.id.size());
  for (const PointState& s : states) {
    std::cout << "  " << s.state << std::string(9 - s.state.size(), ' ') << s.id;
    if (!s.detail.empty()) std::cout << std::string(width - s.id.size() + 2, ' ') << s.detail;
    std::cout << "\n";
  }
  return 0;
}

MergeResult merge_sweep(const std::string& dir, const SweepSpec& spec, bool allow_mixed) {
  MergeResult r;
  r.total = spec.points.size();
  std::vector<Json> rows;
  std::string first_build, first_id;
  for (const SweepPoint& p : spec.points) {
    const std::string d = point_dir(dir, p);
    if (!exists(d + "/summary.json")) continue;
    const Json summary = read_json(d + "/summary.json");
    if (summary.value("status", "") == "interrupted") continue;
    Json info = exists(d + "/run_info.json") ? read_json(d + "/run_info.json") : Json();
    if (!allow_mixed) {
      if (info.is_null())
        fail<ConfigError>("merge: ", d, " has no run_info.json (made by an older gradlab), so its "
                          "config and build are unknown; pass --allow-mixed to merge it anyway");
      if (info.value("config_hash", "") != config_hash(p.config))
        fail<ConfigError>("merge: point ", p.id, " was run with another config than the sweep's (",
                          d, "/config.json differs); rerun it or pass --allow-mixed");
      const std::string build = info.value("build_id", "") + " " + info.value("binary_hash", "");
      if (first_build.empty()) {
        first_build = build;
        first_id = p.id;
      } else if (build != first_build) {
        fail<ConfigError>("merge: points of different builds: ", first_id, " ran on ", first_build,
                          ", ", p.id, " on ", build, "; rerun them with one build or pass "
                          "--allow-mixed");
      }
    }
    Json row = Json::object();
    row["id"] = p.id;
    for (auto it = p.overrides.begin(); it != p.overrides.end(); ++it) {
      row[it.key()] = it.value();
      const std::string last = it.key().substr(it.key().find_last_of('.') + 1);
      if (!row.contains(last)) row[last] = it.value();
    }
    for (auto it = summary.begin(); it != summary.end(); ++it)
      if (!row.contains(it.key())) row[it.key()] = it.value();
    if (!info.is_null()) {
      Json run = Json::object();
      for (const char* k : {"config_hash", "seed", "build_id", "binary_hash", "host", "start_time",
                            "end_time", "exit_status", "attempt", "slurm_array_task"})
        if (info.contains(k)) run[k] = info[k];
      row["run"] = run;
    }
    rows.push_back(row);
  }
  std::string text;
  for (const Json& row : rows) text += row.dump() + "\n";
  write_atomic_unique(dir + "/sweep.jsonl", text);
  r.merged = rows.size();
  // Kinds with a sweep-level figure (double_descent: where the interpolation threshold and the
  // test-error / ‖W‖ peaks lie) get it in sweep_summary.json, from the merged rows.
  if (!rows.empty()) {
    const Json figures = sweep_summary(spec.points.front().config, rows);
    if (!figures.is_null()) write_atomic_unique(dir + "/sweep_summary.json", figures.dump(2) + "\n");
  }
  return r;
}

}  // namespace gradlab::cli
