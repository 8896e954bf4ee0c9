// gradlab sweep (docs/runner.md "Sweeps", docs/cluster.md): runs a sweep's points here, or hands
// them to GNU parallel or Slurm (sweep_engines.cpp); --status, --resume and --merge work on the
// sweep folder (sweep_track.cpp).
#include <csignal>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/sweep.h"
#include "gradlab/error.h"
#include "gradlab/experiment.h"
#include "gradlab/safetensors.h"

namespace gradlab::cli {

namespace {

volatile std::sig_atomic_t g_signal = 0;

// SIGINT (Ctrl-C) or SIGTERM (scancel, preemption, a time limit: Slurm sends SIGTERM first): the
// running point stops after its current step with a checkpoint and summary "interrupted"; a
// second signal kills at once.
void on_stop_signal(int sig) {
  g_signal = sig;
  request_stop();
  std::signal(sig, SIG_DFL);
}

struct SweepArgs {
  std::string config, out, shard, points_file, log, on, slurm;
  std::string status_dir, resume_dir, merge_dir;
  ResolveOptions resolve;
  int jobs = 0, shards = 0;
  bool no_wait = false, quiet = false, allow_mixed = false, on_given = false, slurm_given = false;
  std::optional<std::string> threads;
};

int parse_count(const std::string& flag, const std::string& v) {
  try {
    size_t used = 0;
    const long n = std::stol(v, &used);
    if (used == v.size() && n >= 1 && n <= 1000000) return static_cast<int>(n);
  } catch (const std::exception&) {
  }
  fail<ConfigError>("", flag, " expects a whole number >= 1, got \"", v, "\"");
}

SweepArgs parse(int argc, char** argv) {
  SweepArgs a;
  auto need = [&](int& i, const std::string& flag) -> std::string {
    if (i + 1 >= argc) fail<ConfigError>("", flag, " needs a value");
    return argv[++i];
  };
  for (int i = 1; i < argc; ++i) {
    const std::string s = argv[i];
    if (s == "--set") a.resolve.sets.push_back(need(i, s));
    else if (s == "--profile") a.resolve.profile = need(i, s);
    else if (s == "--out") a.out = need(i, s);
    else if (s == "--shard") a.shard = need(i, s);
    else if (s == "--points") a.points_file = need(i, s);
    else if (s == "--log") a.log = need(i, s);
    else if (s == "--threads") a.threads = need(i, s);
    else if (s == "--quiet") a.quiet = true;
    else if (s == "--on") { a.on = need(i, s); a.on_given = true; }
    else if (s == "--jobs") a.jobs = parse_count(s, need(i, s));
    else if (s == "--shards") a.shards = parse_count(s, need(i, s));
    else if (s == "--slurm") { a.slurm = need(i, s); a.slurm_given = true; }
    else if (s == "--no-wait") a.no_wait = true;
    else if (s == "--allow-mixed") a.allow_mixed = true;
    else if (s == "--status") a.status_dir = need(i, s);
    else if (s == "--resume") a.resume_dir = need(i, s);
    else if (s == "--merge") a.merge_dir = need(i, s);
    else if (s.rfind("--", 0) == 0) fail<ConfigError>("unknown option ", s);
    else if (a.config.empty()) a.config = s;
    else fail<ConfigError>("unexpected argument \"", s, "\" (one config file expected)");
  }
  const int modes = !a.status_dir.empty() + !a.resume_dir.empty() + !a.merge_dir.empty();
  if (modes > 1) fail<ConfigError>("use one of --status, --resume, --merge");
  if (modes == 1 && !a.config.empty())
    fail<ConfigError>("--status/--resume/--merge take the sweep folder, not a config (got \"",
                      a.config, "\" too)");
  if (modes == 0 && a.config.empty()) fail<ConfigError>("a config file is required");
  if (a.on_given && a.on != "local" && a.on != "parallel" && a.on != "slurm")
    fail<ConfigError>("--on expects local, parallel or slurm; got \"", a.on, "\"");
  if (a.on_given && (!a.shard.empty() || !a.points_file.empty()))
    fail<ConfigError>("--shard/--points run one share of the points here; they do not go "
                      "with --on");
  return a;
}

// Sends this process's stderr (progress, errors) to the end of `path`.
void redirect_stderr(const std::string& path) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (fd < 0) fail<IOError>("cannot open the log ", path);
  ::dup2(fd, 2);
  ::close(fd);
}

// The point ids of a --points file (one a line), each checked against the sweep's points.
std::set<std::string> read_points_file(const std::string& path, const SweepSpec& spec) {
  std::ifstream f(path);
  if (!f) fail<IOError>("cannot read --points file ", path);
  std::set<std::string> known, ids;
  for (const SweepPoint& p : spec.points) known.insert(p.id);
  for (std::string line; std::getline(f, line);) {
    if (line.empty()) continue;
    if (!known.count(line))
      fail<ConfigError>("--points file ", path, " names \"", line,
                        "\", which is not a point of this sweep");
    ids.insert(line);
  }
  return ids;
}

std::string abs_path(const std::string& p) { return std::filesystem::absolute(p).lexically_normal().string(); }

std::string self_binary() {
  const std::string p = executable_path();
  return p.empty() ? std::string("gradlab") : p;
}

// Runs `points` (in order) in this process. Finished points are skipped; a point with a
// checkpoint continues from it (what `gradlab run --resume` does). A point that fails with an
// error is recorded as failed and the others go on. Returns 0, 1 (a point failed), or 128 +
// signal when stopped.
int run_points(const std::string& dir, const std::vector<SweepPoint>& points, bool quiet,
               const std::string& log) {
  std::signal(SIGINT, on_stop_signal);
  std::signal(SIGTERM, on_stop_signal);
  int failures = 0;
  for (size_t k = 0; k < points.size(); ++k) {
    const SweepPoint& pt = points[k];
    const std::string d = point_dir(dir, pt);
    if (std::filesystem::exists(d + "/summary.json")) {
      const Json done = Json::parse(read_file(d + "/summary.json"));
      if (done.value("status", "") != "interrupted") {
        std::cerr << "sweep: " << pt.id << " already finished, skipped\n";
        continue;
      }
    }
    if (g_signal) return 128 + g_signal;  // stopped between two points
    std::cerr << "sweep: point " << (k + 1) << "/" << points.size() << ": " << pt.id << "\n";
    std::filesystem::create_directories(d);
    Json info = run_info_start(d, pt.config, log);
    RunOptions opt;
    opt.out_dir = d;
    opt.progress = !quiet;
    opt.resume = std::filesystem::exists(d + "/checkpoint/state.json") &&
                 std::filesystem::exists(d + "/config.json");
    try {
      const Json summary = run_experiment(pt.config, opt);
      const std::string status = summary.value("status", "");
      if (status == "interrupted") {
        const int sig = g_signal ? static_cast<int>(g_signal) : SIGINT;
        run_info_end(d, info, status, 128 + sig,
                     std::string("stopped by ") + (sig == SIGTERM ? "SIGTERM" : "SIGINT") +
                         " at step " + std::to_string(summary.value("steps_done", 0L)) +
                         " (scancel, preemption, a time limit or Ctrl-C); --resume continues "
                         "from its checkpoint");
        return 128 + sig;
      }
      run_info_end(d, info, status, 0, "");
      // A signal that came while the point was starting (run_experiment clears its stop flag)
      // let it finish; stop before the next one.
      if (g_signal) return 128 + g_signal;
    } catch (const Error& e) {
      run_info_end(d, info, "error", 2, e.what());
      std::cerr << "sweep: point " << pt.id << " failed: " << e.what() << "\n";
      ++failures;
    }
  }
  return failures ? 1 : 0;
}

void merge_after_share(const std::string& dir, const SweepSpec& spec) {
  // Each share merges what is done so far, so sequential `--shard` runs leave a complete
  // sweep.jsonl; an engine's driver merges again (strictly) once every share has ended.
  try {
    merge_sweep(dir, spec, /*allow_mixed=*/false);
  } catch (const ConfigError& e) {
    std::cerr << "sweep: sweep.jsonl not written: " << e.what() << "\n";
  }
}

}  // namespace

int run_points_of(const std::string& dir, SweepSpec& spec, const std::vector<std::string>& ids,
                  bool quiet) {
  std::set<std::string> want(ids.begin(), ids.end());
  std::vector<SweepPoint> points;
  for (const SweepPoint& p : spec.points)
    if (want.count(p.id)) points.push_back(p);
  return run_points(dir, points, quiet, "");
}

std::string gradlab_binary() { return self_binary(); }

int cmd_sweep(int argc, char** argv) {
  SweepArgs a = parse(argc, argv);
  apply_thread_option(a.threads);
  if (!a.status_dir.empty()) return print_status(a.status_dir);
  if (!a.merge_dir.empty()) {
    const SweepSpec spec = read_spec(a.merge_dir);
    const MergeResult r = merge_sweep(a.merge_dir, spec, a.allow_mixed);
    std::cout << "merged " << r.merged << " of " << r.total << " points into " << a.merge_dir
              << "/sweep.jsonl\n";
    if (r.merged < r.total)
      std::cerr << "sweep: " << (r.total - r.merged) << " points are not done: gradlab sweep "
                   "--status " << a.merge_dir << "\n";
    return 0;
  }
  EngineOptions eo;
  eo.jobs = a.jobs;
  eo.shards = a.shards;
  eo.wait = !a.no_wait;
  eo.quiet = a.quiet;
  if (!a.resume_dir.empty()) {
    const std::string dir = abs_path(a.resume_dir);
    SweepSpec spec = read_spec(dir);
    eo.engine = a.on_given ? a.on : spec.engine;
    eo.slurm = a.slurm_given ? a.slurm : spec.slurm_options;
    if (!eo.jobs) eo.jobs = spec.jobs;
    std::vector<std::string> pending;
    size_t running = 0;
    for (const PointState& s : point_states(dir, spec)) {
      if (s.state == "failed" || s.state == "missing") pending.push_back(s.id);
      if (s.state == "running") ++running;
    }
    if (running)
      std::cerr << "sweep: " << running << " points are still running; they are left to their "
                   "jobs (--status shows them)\n";
    std::cerr << "sweep: resuming " << pending.size() << " of " << spec.points.size()
              << " points on " << eo.engine << "\n";
    if (pending.empty()) {
      const MergeResult r = merge_sweep(dir, spec, a.allow_mixed);
      std::cerr << "sweep: nothing to resume; merged " << r.merged << " of " << r.total
                << " points\n";
      return running ? 1 : 0;
    }
    spec.engine = eo.engine;
    spec.slurm_options = eo.slurm;
    spec.jobs = eo.jobs;
    save_spec_engine(dir, spec);
    return run_on_engine(dir, spec, pending, eo, a.allow_mixed);
  }

  // A new sweep (or a share of one: --shard / --points).
  SweepSpec spec;
  spec.user = load_config_file(a.config);
  spec.profile = a.resolve.profile;
  spec.sets = a.resolve.sets;
  spec.points = expand_sweep(spec.user, a.resolve);
  spec.binary = self_binary();
  if (a.out.empty()) a.out = "runs/" + stem(a.config) + "-sweep-" + timestamp();
  std::filesystem::create_directories(a.out);
  write_spec(a.out, spec, a.allow_mixed);
  if (!a.shard.empty() || !a.points_file.empty()) {
    if (!a.log.empty()) redirect_stderr(a.log);
    std::vector<SweepPoint> points = spec.points;
    if (!a.points_file.empty()) {
      const std::set<std::string> ids = read_points_file(a.points_file, spec);
      std::vector<SweepPoint> kept;
      for (const SweepPoint& p : points)
        if (ids.count(p.id)) kept.push_back(p);
      points = kept;
    }
    if (!a.shard.empty()) {
      auto [i, n] = parse_shard(a.shard);
      points = shard(points, i, n);
    }
    const int rc = run_points(a.out, points, a.quiet, a.log.empty() ? "" : abs_path(a.log));
    merge_after_share(a.out, spec);
    return rc;
  }
  const std::string dir = abs_path(a.out);
  spec.engine = a.on_given ? a.on : "local";
  spec.slurm_options = a.slurm;
  spec.jobs = a.jobs;
  save_spec_engine(dir, spec);
  eo.engine = spec.engine;
  eo.slurm = a.slurm;
  std::vector<std::string> ids;
  for (const SweepPoint& p : spec.points) ids.push_back(p.id);
  return run_on_engine(dir, spec, ids, eo, a.allow_mixed);
}

}  // namespace gradlab::cli
