// The run loop behind `gradlab run`: output folder, metrics streaming, checkpoints,
// resume, SIGINT, divergence (docs/design.md §2, §4).
//
// Files in out_dir:
//   config.json          the resolved config (written first)
//   metrics.jsonl        one row per logged step; flushed after every row
//   summary.json         status, wall time, build id + the experiment's figures (atomic)
//   checkpoint/state-{N}.safetensors + checkpoint/state.json (atomic + fsync, state.json
//                        last; every train.checkpoint_every steps, every
//                        train.checkpoint_seconds of wall time, at the end, on SIGINT)
//   params-step{N}.safetensors on request
// A checkpoint records how many metrics rows existed when it was taken (they are fsync'ed
// first); resuming truncates metrics.jsonl back to that many rows and continues from the
// saved state, so the final files equal those of an uninterrupted run (src/runner/run_files.h).
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <optional>

#include "gradlab/backend.h"
#include "gradlab/blas_info.h"
#include "gradlab/config_views.h"
#include "gradlab/experiment.h"
#include "gradlab/text.h"
#include "gradlab/threads.h"
#include "runner/progress.h"
#include "runner/run_files.h"

namespace gradlab {

namespace {
using namespace runner_detail;
std::atomic<bool> g_stop{false};

void write_json_atomic(const std::string& path, const Json& j) {
  write_file_atomic(path, j.dump(2) + "\n");
}

// How the progress line names the threshold: GD's is 2/η (Cohen et al. 2021).
std::string threshold_label(const Json& config) {
  try {
    // Kinds without an optimizer (svm, quadratic eigen runs) have no optim block to read.
    if (config.contains("optim") && optim_config(config).type == OptimizerType::Gd) return "2/η";
  } catch (const std::exception&) {
  }
  return "threshold";
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
  const RunnerConfig runner = runner_config(config);
  const bool log_time = runner.log_time;
  const int64_t checkpoint_every = runner.checkpoint_every;
  const double checkpoint_seconds = runner.checkpoint_seconds;

  bool resume = options.resume;
  if (resume && path_exists(out + "/config.json")) {
    Json saved_config;
    try {
      saved_config = Json::parse(read_file(out + "/config.json"));
    } catch (const Json::exception& e) {
      fail<IOError>("--resume: ", out, "/config.json is not valid JSON (", e.what(), ")");
    }
    const std::vector<std::string> diff = config_differences(config, saved_config);
    if (!diff.empty()) {
      std::string keys;
      for (const std::string& d : diff) keys += (keys.empty() ? "" : "; ") + d;
      fail<ConfigError>("--resume: the config differs from ", out, "/config.json in ", keys,
                        " — resume with the same config and --set values, or use another --out");
    }
  }
  if (resume && !path_exists(ckpt_dir + "/state.json")) {
    // Killed before its first checkpoint (or never started): nothing to continue from.
    std::cerr << "gradlab: --resume: no checkpoint in " << ckpt_dir
              << " yet; starting from step 0\n";
    resume = false;
  }
  int64_t kept_rows = 0;
  if (resume) {
    const CheckpointInfo info = load_checkpoint(*exp, ckpt_dir);
    wall_before = info.wall_time_s;
    rows = truncate_metrics(metrics_path, info.metrics_rows);
    kept_rows = info.metrics_rows;
  } else {
    write_json_atomic(out + "/config.json", config);
    write_file_atomic(metrics_path, "");
    if (path_exists(ckpt_dir + "/state.json")) std::remove((ckpt_dir + "/state.json").c_str());
  }

  MetricsFile metrics(metrics_path);
  metrics.set_rows(kept_rows);
  Progress progress(options.progress, exp->total_steps(), threshold_label(config));
  progress.set_first(exp->steps_done());
  for (const Json& r : rows) progress.remember(r);
  auto t0 = std::chrono::steady_clock::now();
  auto wall = [&] {
    return wall_before + std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  };
  auto last_checkpoint = t0;
  auto checkpoint = [&] {
    metrics.sync();  // the rows it counts are on disk before it is
    save_checkpoint(*exp, ckpt_dir, static_cast<int64_t>(rows.size()), wall());
    last_checkpoint = std::chrono::steady_clock::now();
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
      metrics.append(row->dump());
      rows.push_back(*row);
      if (options.on_row) options.on_row(*row);
    }
    progress.update(exp->steps_done(), row ? &*row : nullptr);
    if (exp->done()) continue;
    // Checkpoints by step count and by wall time; taking one reads the state and changes
    // nothing, so when they are taken does not change the run's numbers.
    const bool by_steps = checkpoint_every > 0 && exp->steps_done() % checkpoint_every == 0;
    const bool by_time =
        checkpoint_seconds > 0 &&
        std::chrono::duration<double>(std::chrono::steady_clock::now() - last_checkpoint).count() >=
            checkpoint_seconds;
    if (by_steps || by_time) checkpoint();
  }
  progress.update(exp->steps_done(), nullptr, true);
  progress.finish();
  if (exp->diverged()) status = "diverged";
  for (int64_t want : options.save_params_steps)
    if (want == exp->steps_done() && status == "completed")
      save_safetensors(out + "/params-step" + std::to_string(want) + ".safetensors",
                       exp->named_params(), exp->params_metadata());
  checkpoint();

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
  const std::optional<DevicePreference> device = run_config(config).device;
  if (device && *device != DevicePreference::Cpu && device_available(Device::CUDA)) {
    const int64_t peak = backend(Device::CUDA).peak_allocated_bytes();
    if (peak > 0) summary["peak_device_memory_bytes"] = peak;
  }
  write_json_atomic(out + "/summary.json", summary);
  return summary;
}

}  // namespace gradlab
