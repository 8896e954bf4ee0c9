// The run loop behind `gradlab run`: output folder, metrics streaming, checkpoints,
// resume, SIGINT, divergence (DESIGN.md §2, §4).
//
// Files in out_dir:
//   config.json          the resolved config (written first)
//   metrics.jsonl        one row per logged step; flushed after every row
//   summary.json         status, wall time, build id + the experiment's figures (atomic)
//   checkpoint/state.safetensors + checkpoint/state.json   (atomic, state.json last)
//   params-step{N}.safetensors on request
// A checkpoint records how many metrics rows existed when it was taken; resuming
// truncates metrics.jsonl back to that many rows and continues from the saved state,
// so the final files equal those of an uninterrupted run.
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

#include "gradlab/backend.h"
#include "gradlab/blas_info.h"
#include "gradlab/experiment.h"
#include "gradlab/text.h"
#include "gradlab/threads.h"

namespace gradlab {

namespace {
std::atomic<bool> g_stop{false};

bool exists(const std::string& path) {
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
    if (!exists(cur) && ::mkdir(cur.c_str(), 0755) != 0 && !exists(cur))
      fail<IOError>("cannot create folder ", cur);
  }
}

std::vector<std::string> read_lines(const std::string& path) {
  std::vector<std::string> lines;
  std::ifstream f(path);
  std::string line;
  while (std::getline(f, line))
    if (!line.empty()) lines.push_back(line);
  return lines;
}

// Progress on stderr: a redrawn bar on a terminal, a plain line every ~5 s otherwise.
class Progress {
 public:
  Progress(bool enabled, int64_t total) : enabled_(enabled), total_(total), tty_(::isatty(2)) {}
  void update(int64_t step, const Json* row, bool force = false) {
    if (!enabled_) return;
    if (row) remember(*row);
    auto now = std::chrono::steady_clock::now();
    double since = std::chrono::duration<double>(now - last_).count();
    if (!force && since < (tty_ ? 0.1 : 5.0)) return;
    last_ = now;
    double elapsed = std::chrono::duration<double>(now - start_).count();
    double rate = elapsed > 0 ? (step - first_) / elapsed : 0;
    double eta = rate > 0 ? (total_ - step) / rate : 0;
    // Before the first logged row (and on resume, before the kept rows were seen) the loss is
    // not known: say so, rather than print a NaN that reads like a diverged run.
    char loss[32] = "-";
    if (have_loss_) std::snprintf(loss, sizeof loss, "%.6g", loss_);
    char buf[256];
    if (tty_) {
      int width = 30;
      int filled = total_ > 0 ? static_cast<int>(width * step / total_) : width;
      std::string bar(filled, '#');
      bar += std::string(width - filled, '.');
      std::snprintf(buf, sizeof buf, "\r[%s] %lld/%lld  %.1f steps/s  ETA %.0fs  loss %s   ",
                    bar.c_str(), static_cast<long long>(step), static_cast<long long>(total_), rate,
                    eta, loss);
      std::cerr << buf << std::flush;
    } else {
      std::snprintf(buf, sizeof buf, "step %lld/%lld  %.1f steps/s  ETA %.0fs  loss %s\n",
                    static_cast<long long>(step), static_cast<long long>(total_), rate, eta, loss);
      std::cerr << buf << std::flush;
    }
  }
  void finish() {
    if (enabled_ && tty_) std::cerr << "\n";
  }
  void set_first(int64_t s) { first_ = s; }
  void remember(const Json& row) {
    auto it = row.find("loss");
    if (it == row.end()) return;
    loss_ = it->is_number() ? it->get<double>() : NAN;  // a NaN loss is written as null
    have_loss_ = true;
  }

 private:
  bool enabled_;
  int64_t total_;
  bool tty_;
  int64_t first_ = 0;
  double loss_ = 0;
  bool have_loss_ = false;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_{};
};

void write_json_atomic(const std::string& path, const Json& j) {
  write_file_atomic(path, j.dump(2) + "\n");
}

void save_checkpoint(const Experiment& exp, const std::string& dir, size_t rows,
                     double wall_before) {
  make_dirs(dir);
  NamedTensors tensors;
  Json state = Json::object();
  exp.save_state(tensors, state);
  save_safetensors(dir + "/state.safetensors", tensors);
  Json meta = {{"steps_done", exp.steps_done()},
               {"metrics_rows", rows},
               {"wall_time_s", wall_before},
               {"experiment", state}};
  // state.json last: a checkpoint is valid only once it points at a complete tensor file.
  write_json_atomic(dir + "/state.json", meta);
}
}  // namespace

void request_stop() { g_stop = true; }

std::string build_id() {
  TextBuilder os;  // linked into the browser module, which has no iostreams
  os << "gradlab-0.1";
#if defined(GRADLAB_WASM) && defined(__EMSCRIPTEN_PTHREADS__)
  os << "-wasm-pthreads";
#elif defined(GRADLAB_WASM)
  os << "-wasm";
#else
  os << "-native";
#endif
#if defined(__clang__)
  os << "-clang" << __clang_major__;
#elif defined(__GNUC__)
  os << "-gcc" << __GNUC__;
#endif
  return os.str();
}

Json run_experiment(const Json& config, const RunOptions& options) {
  if (options.out_dir.empty()) fail<ConfigError>("run: an output folder is required (--out DIR)");
  g_stop = false;
  const std::string& out = options.out_dir;
  const std::string metrics_path = out + "/metrics.jsonl";
  const std::string ckpt_dir = out + "/checkpoint";
  std::unique_ptr<Experiment> exp = make_experiment(config);
  make_dirs(out);
  if (options.progress) std::cerr << "gradlab: " << exp->description() << " -> " << out << "\n";
  std::vector<Json> rows;
  double wall_before = 0;
  // time_s is the only non-deterministic metric; train.log_time = false leaves it out so
  // two runs with the same seed write byte-identical metrics.jsonl files.
  const bool log_time = config.value("/train/log_time"_json_pointer, Json(true)).get<bool>();
  int64_t checkpoint_every = config.value("/train/checkpoint_every"_json_pointer, Json(0)).get<int64_t>();

  if (options.resume) {
    if (!exists(ckpt_dir + "/state.json"))
      fail<IOError>("--resume: no checkpoint in ", ckpt_dir,
                    " (the run never reached train.checkpoint_every, or the folder is wrong)");
    Json saved_config = Json::parse(read_file(out + "/config.json"));
    if (saved_config != config)
      fail<ConfigError>("--resume: the config differs from ", out,
                        "/config.json; resume with the same config and --set values");
    Json meta = Json::parse(read_file(ckpt_dir + "/state.json"));
    SafetensorsFile tensors = load_safetensors(ckpt_dir + "/state.safetensors");
    exp->load_state(tensors, meta["experiment"]);
    wall_before = meta["wall_time_s"].get<double>();
    size_t keep = meta["metrics_rows"].get<size_t>();
    std::vector<std::string> lines = read_lines(metrics_path);
    if (lines.size() < keep)
      fail<IOError>(metrics_path, " has ", lines.size(), " rows but the checkpoint expects ", keep);
    std::string kept;
    for (size_t i = 0; i < keep; ++i) {
      rows.push_back(Json::parse(lines[i]));
      kept += lines[i] + "\n";
    }
    write_file_atomic(metrics_path, kept);
  } else {
    write_json_atomic(out + "/config.json", config);
    write_file_atomic(metrics_path, "");
    if (exists(ckpt_dir + "/state.json")) std::remove((ckpt_dir + "/state.json").c_str());
  }

  std::ofstream metrics(metrics_path, std::ios::app);
  if (!metrics) fail<IOError>("cannot append to ", metrics_path);
  Progress progress(options.progress, exp->total_steps());
  progress.set_first(exp->steps_done());
  if (!rows.empty()) progress.remember(rows.back());
  auto t0 = std::chrono::steady_clock::now();
  auto wall = [&] {
    return wall_before + std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  };
  std::string status = "completed";
  while (!exp->done()) {
    if (g_stop) {
      status = "interrupted";
      break;
    }
    int64_t s = exp->steps_done();
    for (int64_t want : options.save_params_steps)
      if (want == s) {
        save_safetensors(out + "/params-step" + std::to_string(s) + ".safetensors",
                         exp->named_params(), exp->params_metadata());
      }
    std::optional<Json> row = exp->step();
    if (row && log_time) (*row)["time_s"] = wall();
    if (row) {
      metrics << row->dump() << "\n";
      metrics.flush();
      rows.push_back(*row);
      if (options.on_row) options.on_row(*row);
    }
    progress.update(exp->steps_done(), row ? &*row : nullptr);
    if (checkpoint_every > 0 && exp->steps_done() % checkpoint_every == 0 && !exp->done())
      save_checkpoint(*exp, ckpt_dir, rows.size(), wall());
  }
  progress.update(exp->steps_done(), nullptr, true);
  progress.finish();
  if (exp->diverged()) status = "diverged";
  for (int64_t want : options.save_params_steps)
    if (want == exp->steps_done() && status == "completed")
      save_safetensors(out + "/params-step" + std::to_string(want) + ".safetensors",
                       exp->named_params(), exp->params_metadata());
  save_checkpoint(*exp, ckpt_dir, rows.size(), wall());

  Json summary = exp->summary(rows);
  summary["status"] = status;
  summary["steps_done"] = exp->steps_done();
  if (status == "diverged") {
    summary["diverged_at_step"] = exp->steps_done();
    summary["divergence_reason"] = exp->divergence_reason();
  }
  summary["wall_time_s"] = wall();
  summary["build_id"] = build_id();
#if !defined(GRADLAB_WASM)
  summary["threads"] = cpu_threads();  // CPU threads (gradlab/threads.h): GEMM splits depend on it
  {
    // The BLAS kernels that ran (gradlab/blas_info.h): GEMM speed and rounding depend on them.
    const BlasInfo b = blas_info();
    Json blas = {{"library", b.library}, {"core", b.core}, {"chosen_by", b.chosen_by},
                 {"cpu_simd", b.cpu_simd}};
    if (!b.library_pick.empty()) blas["library_pick"] = b.library_pick;
    summary["blas"] = blas;
  }
#endif
  // Runs on a GPU report the most device memory their tensors held at once (CUDA backend).
  if (config.value("device", "cpu") != "cpu" && device_available(Device::CUDA)) {
    const int64_t peak = backend(Device::CUDA).peak_allocated_bytes();
    if (peak > 0) summary["peak_device_memory_bytes"] = peak;
  }
  write_json_atomic(out + "/summary.json", summary);
  return summary;
}

}  // namespace gradlab
