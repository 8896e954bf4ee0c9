// gradlab run | sweep | validate | list (docs/design.md §2), and data (export the data set).
#include <csignal>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#ifdef __EMSCRIPTEN__
#include <emscripten.h>
#endif
#include <optional>
#include <fstream>
#include <iostream>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/sweep.h"
#include "cli/run_summary.h"
#include "gradlab/config.h"
#include "gradlab/config_views.h"
#include "gradlab/data.h"
#include "gradlab/experiment.h"
#include "gradlab/kind.h"
#include "gradlab/loss.h"
#include "gradlab/nn.h"
#include "gradlab/threads.h"

namespace gradlab::cli {

namespace {

struct Args {
  std::string config_path;
  ResolveOptions resolve;
  std::string out;
  bool resume = false;
  std::vector<int64_t> save_params;
  std::string shard;
  bool quiet = false;
  std::optional<std::string> threads;  // --threads N as given; unset = GRADLAB_THREADS or all cores
};

// Parses the options shared by run/sweep/validate; `allowed` names the flags that apply.
Args parse_args(const char* command, int argc, char** argv, const std::string& allowed) {
  Args a;
  auto need = [&](int& i, const char* flag) -> std::string {
    if (i + 1 >= argc) fail<ConfigError>(command, ": ", flag, " needs a value");
    return argv[++i];
  };
  auto check = [&](const std::string& flag) {
    if (allowed.find(flag) == std::string::npos)
      fail<ConfigError>(command, ": option ", flag, " does not apply (options: ", allowed, ")");
  };
  for (int i = 1; i < argc; ++i) {
    std::string s = argv[i];
    if (s.rfind("--", 0) == 0) check(s);
    if (s == "--set") a.resolve.sets.push_back(need(i, "--set"));
    else if (s == "--profile") a.resolve.profile = need(i, "--profile");
    else if (s == "--out") a.out = need(i, "--out");
    else if (s == "--resume") a.resume = true;
    else if (s == "--quiet") a.quiet = true;
    else if (s == "--shard") a.shard = need(i, "--shard");
    else if (s == "--threads") a.threads = need(i, "--threads");
    else if (s == "--save-params") {
      std::stringstream ss(need(i, "--save-params"));
      std::string item;
      while (std::getline(ss, item, ',')) {
        try {
          size_t used = 0;
          long long v = std::stoll(item, &used);
          if (used != item.size() || v < 0) throw std::invalid_argument(item);
          a.save_params.push_back(v);
        } catch (const std::exception&) {
          fail<ConfigError>(command, ": --save-params expects step numbers like 0,100,500; got \"",
                            item, "\"");
        }
      }
    } else if (s.rfind("--", 0) == 0) {
      fail<ConfigError>(command, ": unknown option ", s);
    } else if (a.config_path.empty()) {
      a.config_path = s;
    } else {
      fail<ConfigError>(command, ": unexpected argument \"", s, "\" (one config file expected)");
    }
  }
  if (a.config_path.empty()) fail<ConfigError>(command, ": a config file is required");
  return a;
}

void on_sigint(int) {
  request_stop();
  std::signal(SIGINT, SIG_DFL);  // a second Ctrl-C kills at once
}

bool file_exists(const std::string& p) {
  struct stat st;
  return ::stat(p.c_str(), &st) == 0;
}

void apply_threads(const Args& a) { apply_thread_option(a.threads); }

}  // namespace

std::string stem(const std::string& path) {
  size_t slash = path.find_last_of('/');
  std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  size_t dot = base.rfind('.');
  return dot == std::string::npos ? base : base.substr(0, dot);
}

std::string timestamp() {
  std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%d-%H%M%S", std::localtime(&t));
  return buf;
}

// A folder name for a sweep point: keep letters, digits and . _ - =, everything else '_'.
std::string safe_id(const std::string& id) {
  std::string out;
  for (char c : id)
    out.push_back((std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' ||
                   c == '-' || c == '=')
                      ? c
                      : '_');
  return out;
}

// CPU threads for this process (gradlab/threads.h): --threads N, else the environment variable
// GRADLAB_THREADS, else every core the process may use. Invalid values are errors, never
// silently replaced by a default. Results do not depend on the count except through
// OpenBLAS's own split of each GEMM (deterministic for a fixed count).
void apply_thread_option(const std::optional<std::string>& option) {
  int threads = 0;
  if (option) {
    threads = parse_thread_count(*option, "--threads");
  } else if (const char* env = std::getenv("GRADLAB_THREADS")) {
    threads = parse_thread_count(env, "environment variable GRADLAB_THREADS");
  } else {
    threads = available_cores();
  }
  set_cpu_threads(threads);
}

std::string shell_quote(const std::string& s) {
  if (!s.empty() && s.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                        "0123456789_-./=:,+@") == std::string::npos)
    return s;
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

std::string executable_path() {
  std::error_code ec;
  const std::filesystem::path p = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::string() : p.string();
}

namespace {

const char* const kRunUsage =
    "usage: gradlab run CONFIG.json [--set key.path=value]... [--profile NAME] [--out DIR]\n"
    "                   [--resume] [--save-params 0,100,...] [--quiet] [--threads N]\n"
    "  Runs one experiment into DIR (default runs/<config>-<time>/): config.json, metrics.jsonl,\n"
    "  summary.json, report.html, checkpoint/ (every train.checkpoint_seconds, default 60 s).\n"
    "  --resume continues a stopped run in DIR from its last checkpoint (docs/runner.md).\n\n";

// A path relative to the working folder when it lies inside it (shorter to read and copy).
std::string relative(const std::string& path) {
  char cwd[4096];
  if (path.empty() || path[0] != '/' || !::getcwd(cwd, sizeof cwd)) return path;
  const std::string base = std::string(cwd) + "/";
  return path.rfind(base, 0) == 0 ? path.substr(base.size()) : path;
}


#ifdef __EMSCRIPTEN__
// The script node runs (process.argv[1]), or "" outside node. EM_JS, not emscripten_run_script:
// the build sets DYNAMIC_EXECUTION=0 (no eval).
EM_JS(void, node_script_path, (char* out, int size), {
  const path = (typeof process !== "undefined" && process.argv && process.argv[1]) || "";
  stringToUTF8(path, out, size);
});
#endif

// The command that repeats this run exactly: the same config, profile and --set values, and the
// thread count (GEMM splits, hence the last bits, depend on it; gradlab/threads.h). Without
// --out: it writes a new folder rather than over this one.
std::string reproduce_command(const Args& a) {
  std::string cmd;
#ifdef __EMSCRIPTEN__
  // Under node /proc/self/exe is node itself: the command is node with this script (argv[1]),
  // with the flag README.md gives for the WASM CLI.
  char script[4096] = {0};
  node_script_path(script, sizeof script);
  cmd = *script ? "node --no-experimental-fetch " + shell_quote(relative(script)) : "gradlab";
#else
  cmd = executable_path();
  if (cmd.empty()) {
    cmd = "gradlab";  // no /proc: the command's name
  } else {
    cmd = relative(cmd);
    if (cmd.find('/') == std::string::npos) cmd = "./" + cmd;  // the binary in this folder
    cmd = shell_quote(cmd);
  }
#endif
  cmd += " run " + shell_quote(relative(a.config_path));
  if (!a.resolve.profile.empty()) cmd += " --profile " + shell_quote(a.resolve.profile);
  for (const std::string& set : a.resolve.sets) cmd += " --set " + shell_quote(set);
  cmd += " --threads " + std::to_string(cpu_threads());
  return cmd;
}

}  // namespace


int cmd_run(int argc, char** argv) {
  for (int i = 1; i < argc; ++i)
    if (std::string(argv[i]) == "--help" || std::string(argv[i]) == "-h") {
      std::cout << kRunUsage;
      print_example_configs(std::cout);
      return 0;
    }
  Args a = parse_args("run", argc, argv,
                      "--set --profile --out --resume --save-params --quiet --threads");
  apply_threads(a);
  Json user = load_config_file(a.config_path);
  if (user.contains("sweep"))
    std::cerr << "gradlab run: the config has a sweep block; running its base point (use "
                 "`gradlab sweep` for all points)\n";
  Json config = resolve_config(user, a.resolve);
  if (a.out.empty()) {
    if (a.resume) fail<ConfigError>("run: --resume needs --out DIR (the run to continue)");
    a.out = "runs/" + stem(a.config_path) + "-" + timestamp();
  }
  std::signal(SIGINT, on_sigint);
  RunOptions opt;
  opt.out_dir = a.out;
  opt.resume = a.resume;
  opt.save_params_steps = a.save_params;
  opt.progress = !a.quiet;
  // run_info.json: what ran where and when, and how it ended (docs/runner.md).
  std::filesystem::create_directories(a.out);
  Json info = run_info_start(a.out, config);
  Json summary;
  try {
    summary = run_experiment(config, opt);
  } catch (const Error& e) {
    run_info_end(a.out, info, "error", 2, e.what());
    throw;
  }
  // The report is a convenience: a failure to write it is said, and the run still counts.
  std::string report;
  try {
    report = write_report(a.out);
  } catch (const Error& e) {
    std::cerr << "gradlab run: report.html not written: " << e.what() << "\n";
  }
  print_run_summary(std::cout, config, summary, a.out, report, reproduce_command(a));
  std::string status = summary.value("status", "");
  const int rc = status == "interrupted" ? 130 : 0;
  run_info_end(a.out, info, status, rc,
               rc ? "stopped by SIGINT at step " + std::to_string(summary.value("steps_done", 0L)) +
                        "; --resume continues from its checkpoint"
                  : "");
  return rc;
}

int cmd_validate(int argc, char** argv) {
  Args a = parse_args("validate", argc, argv, "--set --profile");
  Json user = load_config_file(a.config_path);
  Json config = resolve_config(user, a.resolve);
  std::vector<SweepPoint> points = expand_sweep(user, a.resolve);
  std::cout << "ok: " << a.config_path << ": kind " << run_config(config).kind << ", "
            << points.size() << (points.size() == 1 ? " run" : " runs") << "\n";
  return 0;
}

// The data set a config's `data` block and seed give, exactly as the experiment loads it
// (before the runner casts it to the config's dtype), as safetensors: x_train [n, *input_shape]
// F64; y_train [n, *label_shape] I64 class / token ids, or [n, target_dim] F64 regression
// targets; x_test / y_test likewise when the test split is not empty. For debugging, export to
// NumPy/PyTorch, and the native-vs-WASM bit-identity test (tests/python/test_wasm_parity.py).
int cmd_data(int argc, char** argv) {
  Args a = parse_args("data", argc, argv, "--set --profile --out");
  if (a.out.empty()) fail<ConfigError>("data: --out FILE.safetensors is required");
  Json config = resolve_config(load_config_file(a.config_path), a.resolve);
  const RunConfig run = run_config(config);
  if (!config.contains("data"))
    fail<ConfigError>("data: the config (kind ", run.kind, ") has no data block");
  const Dataset d = load_dataset(config.at("data"), run.seed);
  NamedTensors out;
  auto add_split = [&](const char* suffix, const DataSplit& s) {
    Shape x_shape{s.n};
    x_shape.insert(x_shape.end(), d.input_shape.begin(), d.input_shape.end());
    out.emplace_back(std::string("x_") + suffix, from_vector(s.x, x_shape, DType::F64));
    if (d.is_regression()) {
      out.emplace_back(std::string("y_") + suffix,
                       from_vector(s.y, {s.n, d.target_dim}, DType::F64));
    } else {
      Shape y_shape{s.n};
      y_shape.insert(y_shape.end(), d.label_shape.begin(), d.label_shape.end());
      out.emplace_back(std::string("y_") + suffix, from_indices(s.labels, y_shape));
    }
  };
  add_split("train", d.train);
  if (d.test.n > 0) add_split("test", d.test);
  save_safetensors(
      a.out, out, {{"description", d.description}, {"num_classes", std::to_string(d.num_classes)}});
  std::cout << d.description << "\n";
  return 0;
}

int cmd_list(int, char**) {
  auto section = [](const char* title, const std::vector<std::pair<std::string, std::string>>& items) {
    std::cout << title << ":\n";
    for (const auto& [name, doc] : items) {
      std::string pad = name.size() < 20 ? std::string(20 - name.size(), ' ') : " ";
      std::cout << "  " << name << pad << doc << "\n";
    }
  };
  section("experiment kinds", experiment_kinds());
  section("models", model_types());
  section("data sources", data_sources());
  section("synthetic generators", synthetic_generators());
  section("losses", loss_names());
  return 0;
}

}  // namespace gradlab::cli
