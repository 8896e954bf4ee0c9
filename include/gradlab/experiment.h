// gradlab/experiment.h — experiments as steppers, and the runner that drives them.
//
// An Experiment is built from a resolved config (config.h) and advanced one step at a
// time. The native runner (gradlab run) and the browser Session call the same step(),
// so both produce the same metrics rows (docs/design.md §4). Checkpoints hold everything a
// step depends on (parameters, optimizer state, RNG states, counters), so a resumed run
// continues bit-for-bit as if it had never stopped.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "gradlab/safetensors.h"
#include "gradlab/tensor.h"

namespace gradlab {

using Json = nlohmann::json;
using NamedTensors = std::vector<std::pair<std::string, Tensor>>;

class Experiment {
 public:
  virtual ~Experiment() = default;
  // Steps planned in total, and steps completed so far.
  virtual int64_t total_steps() const = 0;
  virtual int64_t steps_done() const = 0;
  // Runs one step. Returns the metrics row when the step is logged. A NaN/Inf loss makes
  // diverged() true (the row that saw it is still returned).
  virtual std::optional<Json> step() = 0;
  // The losses at the current parameters, before step() runs (evaluation mode; no probes,
  // no update, no random draws): a provisional row the browser lab draws while the step's
  // own row, which may wait on a sharpness probe, is computed. std::nullopt when the kind
  // has none, or the run is done.
  virtual std::optional<Json> preview() const { return std::nullopt; }
  virtual bool diverged() const { return false; }
  virtual std::string divergence_reason() const { return {}; }
  bool done() const { return diverged() || steps_done() >= total_steps(); }
  // Kind-specific final figures, computed from every logged row of the run.
  virtual Json summary(const std::vector<Json>& rows) const = 0;
  // Checkpoint: tensors plus a JSON object; load_state restores exactly.
  virtual void save_state(NamedTensors& tensors, Json& state) const = 0;
  virtual void load_state(const SafetensorsFile& tensors, const Json& state) = 0;
  // Parameters with PyTorch state_dict names (for --save-params); empty if none.
  virtual NamedTensors named_params() const { return {}; }
  // Metadata written with them: for trained models `pytorch_definition` (the Python source of
  // `class Net`, docs/models.md) and `loss`, so PyTorch can load the file with strict names.
  virtual std::map<std::string, std::string> params_metadata() const { return {}; }
  // A one-line description for progress output.
  virtual std::string description() const { return {}; }
};

// Builds the experiment for config["kind"] (ConfigError for an unknown kind).
std::unique_ptr<Experiment> make_experiment(const Json& resolved_config);
// The kinds with a one-line description each (for `gradlab list`).
std::vector<std::pair<std::string, std::string>> experiment_kinds();

// ---- runner ---------------------------------------------------------------------------
struct RunOptions {
  std::string out_dir;                     // required
  bool resume = false;                     // continue from out_dir/checkpoint
  std::vector<int64_t> save_params_steps;  // write params-step{N}.safetensors before step N
  bool progress = true;                    // progress bar (tty) or periodic lines on stderr
  std::function<void(const Json& row)> on_row;
};

// Runs (or resumes) an experiment into out_dir: config.json, metrics.jsonl, summary.json,
// checkpoint/ (every train.checkpoint_every steps, at the end, and on SIGINT). Returns
// the summary. Status: completed | diverged | interrupted.
Json run_experiment(const Json& resolved_config, const RunOptions& options);

// Asks a running run_experiment to stop after the current step (SIGINT handler).
void request_stop();

// A build identifier (version + compiler + target) recorded in summary.json.
std::string build_id();

}  // namespace gradlab
