// The engines behind `gradlab sweep --on local|parallel|slurm` (sweep.h, docs/cluster.md).
//
// gradlab does not schedule: it splits the points into shards (round robin, `--shard I/N`) and
// hands one command per shard to GNU parallel or to a Slurm job array. Every shard is the same
// `gradlab sweep SWEEP_CONFIG --out DIR --points FILE --shard I/N`, so a shard that dies loses
// only its unfinished points, which `--resume` finds from the run folders and submits again.
// Commands are argv vectors (no shell) except the sbatch file, whose words are shell-quoted.
#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <sstream>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/sweep.h"
#include "gradlab/error.h"
#include "gradlab/threads.h"

namespace gradlab::cli {

namespace fs = std::filesystem;

namespace {

std::string read_fd(int fd) {
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) out.append(buf, static_cast<size_t>(n));
  return out;
}

// fork + exec argv with stdin from /dev/null; stdout/stderr to `log` when given (appended),
// else inherited. `detach`: a new session, so the child outlives this process and its terminal.
pid_t spawn(const std::vector<std::string>& argv, const std::string& log, bool detach) {
  std::vector<char*> args;
  for (const std::string& s : argv) args.push_back(const_cast<char*>(s.c_str()));
  args.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) fail<IOError>("fork failed");
  if (pid == 0) {
    if (detach) ::setsid();
    const int in = ::open("/dev/null", O_RDONLY);
    if (in >= 0) ::dup2(in, 0);
    if (!log.empty()) {
      const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      if (fd >= 0) {
        ::dup2(fd, 1);
        ::dup2(fd, 2);
      }
    }
    ::execvp(args[0], args.data());
    std::fprintf(stderr, "sweep: cannot run %s: %s\n", args[0], std::strerror(errno));
    ::_exit(127);
  }
  return pid;
}

// A tool's error output as one line (an error message is one line, docs/design.md §2).
std::string one_line(std::string text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
  for (char& c : text)
    if (c == '\n') c = ' ';
  return text;
}

int exit_code(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 1;
}

// Next free number K for DIR/<engine>/points-K.txt: one list (and sbatch file, joblog) per
// submission, so a resume never overwrites what an earlier submission was given.
int next_submission(const std::string& engine_dir) {
  int k = 1;
  while (fs::exists(engine_dir + "/points-" + std::to_string(k) + ".txt")) ++k;
  return k;
}

std::string write_points(const std::string& engine_dir, int k, const std::vector<std::string>& ids) {
  fs::create_directories(engine_dir + "/logs");
  const std::string path = engine_dir + "/points-" + std::to_string(k) + ".txt";
  std::ofstream f(path);
  for (const std::string& id : ids) f << id << "\n";
  if (!f.flush()) fail<IOError>("cannot write ", path);
  return path;
}

// The shard command's words after the binary, for shard `shard_word` ("{}" for parallel, a
// shell expansion for Slurm, quoted by the caller).
std::vector<std::string> worker_args(const std::string& dir, const SweepSpec& spec,
                                     const std::string& points) {
  std::vector<std::string> w = {"sweep", dir + "/sweep_config.json", "--out", dir, "--points",
                                points,  "--quiet"};
  if (!spec.profile.empty()) w.insert(w.end(), {"--profile", spec.profile});
  for (const std::string& s : spec.sets) w.insert(w.end(), {"--set", s});
  return w;
}

// A progress line until `active()` turns false: points done / running / failed from the run
// folders. Redrawn in place on a terminal, else a line when the counts change (at most one per
// 10 s).
void wait_with_progress(const std::string& what, const std::string& dir, const SweepSpec& spec,
                        const std::function<bool()>& active, bool quiet) {
  const bool tty = ::isatty(2);
  std::string last;
  auto last_print = std::chrono::steady_clock::now() - std::chrono::hours(1);
  const auto start = std::chrono::steady_clock::now();
  while (active()) {
    if (!quiet) {
      const auto now = std::chrono::steady_clock::now();
      const std::string line = what + ": " + state_counts(point_states(dir, spec));
      const double since = std::chrono::duration<double>(now - last_print).count();
      const double elapsed = std::chrono::duration<double>(now - start).count();
      if (tty) {
        std::cerr << "\r" << line << "  (" << static_cast<int>(elapsed) << " s)   " << std::flush;
      } else if (line != last && since >= 10) {
        std::cerr << line << "  (" << static_cast<int>(elapsed) << " s)\n";
        last = line;
        last_print = now;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  if (!quiet && tty) std::cerr << "\n";
}

// After the engine: merge what is done; say what is not and how to go on.
int finish(const std::string& dir, const SweepSpec& spec, bool allow_mixed, bool quiet) {
  const std::vector<PointState> states = point_states(dir, spec);
  const MergeResult r = merge_sweep(dir, spec, allow_mixed);
  if (r.merged == r.total) {
    if (!quiet) std::cerr << "sweep: " << r.total << " points done, merged into " << dir << "/sweep.jsonl\n";
    return 0;
  }
  std::cerr << "sweep: " << state_counts(states) << "; merged the " << r.merged
            << " done into " << dir << "/sweep.jsonl. See `gradlab sweep --status " << shell_quote(dir)
            << "`, then `gradlab sweep --resume " << shell_quote(dir) << "`\n";
  return 1;
}

// ---- GNU parallel ------------------------------------------------------------------------------

int on_parallel(const std::string& dir, SweepSpec& spec, const std::vector<std::string>& ids,
                const EngineOptions& opt, bool allow_mixed) {
  const int cores = std::max(1, available_cores());
  const int jobs = opt.jobs > 0 ? opt.jobs : cores;
  const int n = std::max(1, std::min<int>(opt.shards > 0 ? opt.shards : jobs, ids.size()));
  const int threads = std::max(1, cores / jobs);
  const std::string edir = dir + "/parallel";
  const int k = next_submission(edir);
  const std::string points = write_points(edir, k, ids);
  const std::string ks = std::to_string(k);
  // -q: parallel quotes every word itself (paths with spaces survive); {} is the shard number.
  std::vector<std::string> argv = {"parallel", "--joblog", edir + "/joblog-" + ks + ".tsv",
                                   "--jobs",   std::to_string(jobs), "-q", gradlab_binary()};
  for (const std::string& w : worker_args(dir, spec, points)) argv.push_back(w);
  argv.insert(argv.end(), {"--shard", "{}/" + std::to_string(n), "--threads",
                           std::to_string(threads), "--log",
                           edir + "/logs/shard-" + ks + "-{}.log", ":::"});
  for (int i = 1; i <= n; ++i) argv.push_back(std::to_string(i));
  const std::string log = edir + "/parallel-" + ks + ".log";
  if (!opt.quiet)
    std::cerr << "sweep: " << ids.size() << " points in " << n << " shards on GNU parallel, "
              << jobs << " at a time (joblog " << edir << "/joblog-" << ks << ".tsv)\n";
  const pid_t pid = spawn(argv, log, !opt.wait);
  if (!opt.wait) {
    std::cout << "parallel pid " << pid << "\n";
    std::cerr << "sweep: running in the background; `gradlab sweep --status " << shell_quote(dir)
              << "`, then --merge when done\n";
    return 0;
  }
  int status = 0;
  bool ended = false;
  wait_with_progress("sweep on parallel", dir, spec, [&] {
    if (!ended && ::waitpid(pid, &status, WNOHANG) == pid) ended = true;
    return !ended;
  }, opt.quiet);
  const int rc = exit_code(status);
  if (rc == 127 || rc == 255)
    fail<IOError>("GNU parallel did not run (exit ", rc, "): is the Debian package "
                  "`parallel` installed? Its output: ", log);
  return finish(dir, spec, allow_mixed, opt.quiet);
}

// ---- Slurm ---------------------------------------------------------------------------------

int slurm_max_array_size() {
  std::string out, err;
  if (run_process({"scontrol", "show", "config"}, &out, &err) != 0)
    fail<IOError>("--on slurm: `scontrol show config` failed (is Slurm installed and "
                  "SLURM_CONF set? `./lab slurm up` starts a local cluster): ", one_line(err));
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("MaxArraySize", 0) != 0) continue;
    const size_t eq = line.find('=');
    if (eq != std::string::npos) return std::atoi(line.c_str() + eq + 1);
  }
  return 1001;  // Slurm's documented default when the line is absent
}

// The CPUs of the partition the options name (--partition=P / -p P), else of the default one, from
// sinfo's "allocated/idle/other/total"; 16 when sinfo cannot say.
int slurm_partition_cpus(const std::vector<std::string>& options) {
  std::string partition;
  for (size_t i = 0; i < options.size(); ++i) {
    if (options[i].rfind("--partition=", 0) == 0) partition = options[i].substr(12);
    else if ((options[i] == "-p" || options[i] == "--partition") && i + 1 < options.size()) partition = options[i + 1];
  }
  std::vector<std::string> argv = {"sinfo", "-h", "-o", "%C"};
  if (!partition.empty()) argv.insert(argv.end(), {"-p", partition});
  std::string out;
  if (run_process(argv, &out) != 0) return 16;
  long total = 0;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);) {
    const size_t slash = line.find_last_of('/');
    if (slash != std::string::npos) total += std::atol(line.c_str() + slash + 1);
  }
  return total > 0 ? static_cast<int>(std::min(total, 1L << 20)) : 16;
}

// Active (pending/running/completing) tasks of a job, or -1 when squeue cannot be asked.
int slurm_active_tasks(const std::string& job) {
  std::string out;
  if (run_process({"squeue", "-h", "-r", "-j", job, "-t", "PD,R,CG,CF,S,RQ,RS,RH", "-o", "%T"},
                  &out) != 0)
    return -1;
  return static_cast<int>(std::count(out.begin(), out.end(), '\n'));
}

int on_slurm(const std::string& dir, SweepSpec& spec, const std::vector<std::string>& ids,
             const EngineOptions& opt, bool allow_mixed) {
  // Slurm expands %-patterns in --output and reads the #SBATCH line up to a quote.
  for (char c : std::string("\"%\n"))
    if (dir.find(c) != std::string::npos)
      fail<ConfigError>("--on slurm: the folder ", dir, " contains '", c == '\n' ? "\\n" : std::string(1, c),
                        "', which an sbatch file cannot carry; choose another --out");
  const int max_array = slurm_max_array_size();
  if (max_array < 2) fail<ConfigError>("--on slurm: the cluster allows no job arrays (MaxArraySize ", max_array, ")");
  std::vector<std::string> extra = split_words(opt.slurm);
  // Default: one shard per CPU of the partition, at most 16. Array tasks beyond the CPUs wait for
  // a scheduler pass each (about a second on a quiet cluster), so more shards than CPUs cost time.
  int n = opt.shards > 0 ? opt.shards : std::min(16, std::max(1, slurm_partition_cpus(extra)));
  n = std::max(1, std::min({n, static_cast<int>(ids.size()), max_array - 1}));
  for (const std::string& w : extra)
    if (w.rfind("-", 0) != 0)
      fail<ConfigError>("--slurm takes sbatch options (\"--partition=gpu --time=1:00:00\"); "
                        "\"", w, "\" is not one");
  const std::string edir = dir + "/slurm";
  const int k = next_submission(edir);
  const std::string points = write_points(edir, k, ids);
  const std::string script = edir + (k == 1 ? "/sweep.sbatch" : "/resume-" + std::to_string(k - 1) + ".sbatch");
  std::ostringstream s;
  s << "#!/bin/bash\n"
    << "# " << ids.size() << " points of a gradlab sweep in " << n << " shards, one array task each\n"
    << "# (written by `gradlab sweep --on slurm`; docs/cluster.md). Submit with: sbatch "
    << shell_quote(script) << "\n"
    << "#SBATCH --job-name=gradlab-sweep\n"
    << "#SBATCH --array=1-" << n << (opt.jobs > 0 ? "%" + std::to_string(opt.jobs) : "") << "\n"
    << "#SBATCH --output=\"" << edir << "/logs/%A_%a.out\"\n";
  for (const std::string& w : extra) s << "#SBATCH " << w << "\n";
  s << "set -u\n"
    << "# One CPU thread per allocated CPU (every core of the node otherwise).\n"
    << "export GRADLAB_THREADS=\"${SLURM_CPUS_PER_TASK:-1}\"\n"
    << "exec " << shell_quote(gradlab_binary());
  for (const std::string& w : worker_args(dir, spec, points)) s << " " << shell_quote(w);
  s << " --shard \"$SLURM_ARRAY_TASK_ID/" << n << "\" --log "
    << shell_quote(edir + "/logs/shard-") << "\"${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}.log\"\n";
  {
    std::ofstream f(script);
    f << s.str();
    if (!f.flush()) fail<IOError>("cannot write ", script);
  }
  fs::permissions(script, fs::perms::owner_exec, fs::perm_options::add);
  std::string out, err;
  if (run_process({"sbatch", "--parsable", script}, &out, &err) != 0)
    fail<IOError>("--on slurm: sbatch refused ", script, ": ", one_line(err));
  const std::string job = out.substr(0, out.find_first_of(";\n"));
  {
    std::ofstream jobs(edir + "/jobs.jsonl", std::ios::app);
    jobs << Json{{"job", job}, {"script", script}, {"points", points}, {"shards", n},
                 {"submitted", utc_now()}}.dump() << "\n";
  }
  std::cout << "slurm job " << job << "\n";
  if (!opt.quiet)
    std::cerr << "sweep: " << ids.size() << " points in " << n << " array tasks, Slurm job " << job
              << " (" << script << ")\n";
  if (!opt.wait) {
    std::cerr << "sweep: not waiting; `gradlab sweep --status " << shell_quote(dir)
              << "`, then --merge (or --resume) when the job has ended\n";
    return 0;
  }
  // `sbatch --wait` may return well after the job ends: ask squeue instead.
  int unanswered = 0;
  wait_with_progress("sweep on Slurm job " + job, dir, spec, [&] {
    const int active = slurm_active_tasks(job);
    if (active < 0) return ++unanswered < 20;  // squeue briefly unreachable: keep asking
    unanswered = 0;
    return active > 0;
  }, opt.quiet);
  return finish(dir, spec, allow_mixed, opt.quiet);
}

}  // namespace

int run_process(const std::vector<std::string>& argv, std::string* out, std::string* err) {
  int pout[2], perr[2];
  if (::pipe(pout) != 0 || ::pipe(perr) != 0) fail<IOError>("pipe failed");
  std::vector<char*> args;
  for (const std::string& s : argv) args.push_back(const_cast<char*>(s.c_str()));
  args.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) fail<IOError>("fork failed");
  if (pid == 0) {
    ::dup2(pout[1], 1);
    ::dup2(perr[1], 2);
    ::close(pout[0]);
    ::close(perr[0]);
    ::execvp(args[0], args.data());
    std::fprintf(stderr, "cannot run %s: %s\n", args[0], std::strerror(errno));
    ::_exit(127);
  }
  ::close(pout[1]);
  ::close(perr[1]);
  // Small outputs (squeue, scontrol, sbatch): read stdout to the end, then stderr.
  std::string o = read_fd(pout[0]);
  std::string e = read_fd(perr[0]);
  ::close(pout[0]);
  ::close(perr[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (out) *out = o;
  if (err) *err = e;
  return exit_code(status);
}

std::vector<std::string> split_words(const std::string& s) {
  std::vector<std::string> words;
  std::string cur;
  bool any = false;
  char quote = 0;
  for (char c : s) {
    if (quote) {
      if (c == quote) quote = 0;
      else cur += c;
    } else if (c == '\'' || c == '"') {
      quote = c;
      any = true;
    } else if (std::isspace(static_cast<unsigned char>(c))) {
      if (any) words.push_back(cur);
      cur.clear();
      any = false;
    } else {
      cur += c;
      any = true;
    }
  }
  if (quote) fail<ConfigError>("--slurm \"", s, "\": unbalanced quote");
  if (any) words.push_back(cur);
  return words;
}

int run_on_engine(const std::string& dir, SweepSpec& spec, const std::vector<std::string>& ids,
                  const EngineOptions& opt, bool allow_mixed) {
#if defined(GRADLAB_WASM)
  if (opt.engine != "local")
    fail<ConfigError>("--on ", opt.engine, " needs the native gradlab: the WASM CLI cannot start "
                      "processes (use --on local, or build/native/gradlab)");
#endif
  if (opt.engine == "parallel") return on_parallel(dir, spec, ids, opt, allow_mixed);
  if (opt.engine == "slurm") return on_slurm(dir, spec, ids, opt, allow_mixed);
  if (opt.engine != "local")
    fail<ConfigError>("unknown engine \"", opt.engine, "\" (local, parallel or slurm)");
  const int rc = run_points_of(dir, spec, ids, opt.quiet);
  if (rc >= 128) return rc;  // stopped: the points keep their checkpoints for --resume
  const int merged = finish(dir, spec, allow_mixed, /*quiet=*/true);
  return rc ? rc : merged;
}

}  // namespace gradlab::cli
