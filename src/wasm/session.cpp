// session.cpp — the Embind API of the browser lab (docs/design.md §5): one Session is one run.
//
// The web worker (web/src/worker.js) builds a Session from a config and calls step(n) in
// short slices, so the page can pause, step and reset without ever blocking. The Session
// drives the same Experiment::step() as the native runner (src/runner/runner.cpp), so the
// rows have the same keys and, for the same config and seed, the same numbers.
//
// The JS API (Module.Session, Module.schema(), ...; see src/wasm/session_api.js) is:
//   new Session(configJson, profile)   resolve (profile, validate, defaults) + build the run
//   step(n)        -> JSON array (string) of the rows logged during the next <= n steps
//   preview()      -> JSON row (string) of the losses before the next step, or "null": drawn
//                     while that step's row (which may wait on a sharpness probe) is computed
//   done()         -> true once the run completed or diverged
//   state()        -> JSON {steps_done, total_steps, status, diverged, reason, summary, ...}
//   config()       -> the resolved config (JSON), what `gradlab run` writes to config.json
//   exportParams() -> Uint8Array, a safetensors file of the current parameters
//   delete()       -> frees the run (Embind objects are not garbage collected)
// and free functions schema(), kinds(), resolveConfig(text, profile),
// sweepPoints(text, profile), sweepSummary(configJson, rowsJson), writeFile(path, bytes),
// fit(text, name, optionsJson) (`gradlab fit` on a sweep.jsonl or CSV in memory), buildId().
//
// Errors. A C++ exception that escapes into JS arrives as an opaque WebAssembly.Exception
// (the build uses native WebAssembly exceptions), and a JS exception thrown through C++
// frames skips their epilogues (the WASM stack pointer is never restored). So nothing
// throws across this boundary: every bound call
// catches, and returns an envelope {ok: true, value} or {ok: false, name, error} (name: the
// gradlab error type, error: the C++ message). session_api.js (linked with --post-js)
// turns {ok: false} into a thrown JS Error carrying that message and name.
#include <emscripten/bind.h>
#include <emscripten/emscripten.h>
#include <emscripten/val.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "gradlab/config.h"
#include "gradlab/config_views.h"
#include "gradlab/error.h"
#include "gradlab/experiment.h"
#include "gradlab/fit.h"
#include "gradlab/kind.h"
#include "gradlab/safetensors.h"
#include "gradlab/threads.h"

namespace gradlab {

namespace {

using emscripten::val;

// The most specific gradlab error type of e, for the JS Error's name.
const char* error_name(const std::exception& e) {
  if (dynamic_cast<const ConfigError*>(&e)) return "ConfigError";
  if (dynamic_cast<const IOError*>(&e)) return "IOError";
  if (dynamic_cast<const ShapeError*>(&e)) return "ShapeError";
  if (dynamic_cast<const DTypeError*>(&e)) return "DTypeError";
  if (dynamic_cast<const IndexError*>(&e)) return "IndexError";
  if (dynamic_cast<const ValueError*>(&e)) return "ValueError";
  if (dynamic_cast<const AutogradError*>(&e)) return "AutogradError";
  if (dynamic_cast<const DeviceError*>(&e)) return "DeviceError";
  if (dynamic_cast<const Error*>(&e)) return "GradlabError";
  if (dynamic_cast<const nlohmann::json::exception*>(&e)) return "JsonError";
  return "Error";
}

val failure(const std::string& name, const std::string& message) {
  val out = val::object();
  out.set("ok", false);
  out.set("name", name);
  out.set("error", message);
  return out;
}

// Runs f() and wraps its result: {ok: true, value: f()} or {ok: false, name, error}.
template <class F>
val guarded(const char* where, F&& f) {
  try {
    val out = val::object();
    out.set("value", f());
    out.set("ok", true);
    return out;
  } catch (const std::bad_alloc&) {
    return failure("RangeError",
                   std::string(where) + ": out of memory (try a smaller data.n_train or model)");
  } catch (const std::exception& e) {
    return failure(error_name(e), e.what());
  } catch (...) {
    return failure("Error", std::string(where) + ": unknown C++ exception");
  }
}

std::string status_of(const Experiment& exp) {
  if (exp.diverged()) return "diverged";
  return exp.done() ? "completed" : "running";
}

class Session {
 public:
  // Never throws: a config or data error is kept as the envelope init_error() returns, which
  // session_api.js checks right after construction (a constructor cannot return one).
  Session(const std::string& config_text, const std::string& profile) {
    init_error_ = guarded("Session", [&] {
      ResolveOptions options;
      options.profile = profile;
      config_ = resolve_config(parse_config_text(config_text, "config"), options);
      experiment_ = make_experiment(config_);
      log_time_ = runner_config(config_).log_time;
      return true;
    });
  }

  val init_error() const { return init_error_; }

  // Runs up to n more steps and returns the rows they logged, as a JSON array.
  val step(int n) {
    return guarded("Session.step", [&] {
      require_experiment();
      Json out = Json::array();
      const double start_ms = emscripten_get_now();
      for (int i = 0; i < n && !experiment_->done(); ++i) {
        std::optional<Json> row = experiment_->step();
        if (!row) continue;
        // time_s: seconds spent computing (a paused run's clock stops), what the native
        // runner's wall clock measures for a run that never pauses.
        if (log_time_) (*row)["time_s"] = compute_s_ + (emscripten_get_now() - start_ms) / 1000.0;
        rows_.push_back(*row);
        out.push_back(std::move(*row));
      }
      compute_s_ += (emscripten_get_now() - start_ms) / 1000.0;
      return out.dump();
    });
  }

  val preview() const {
    return guarded("Session.preview", [&] {
      require_experiment();
      const std::optional<Json> row = experiment_->preview();
      return row ? row->dump() : std::string("null");
    });
  }

  val done() const {
    return guarded("Session.done", [&] {
      require_experiment();
      return experiment_->done();
    });
  }

  // Progress, and the kind's summary figures over the rows so far (summary.json's keys).
  val state() const {
    return guarded("Session.state", [&] {
      require_experiment();
      const std::string status = status_of(*experiment_);
      Json s = {{"steps_done", experiment_->steps_done()},
                {"total_steps", experiment_->total_steps()},
                {"rows", rows_.size()},
                {"status", status},
                {"diverged", experiment_->diverged()},
                {"reason", experiment_->divergence_reason()},
                {"compute_s", compute_s_},
                {"description", experiment_->description()}};
      Json summary = experiment_->summary(rows_);
      summary["status"] = status;
      summary["steps_done"] = experiment_->steps_done();
      if (experiment_->diverged()) {
        summary["diverged_at_step"] = experiment_->steps_done();
        summary["divergence_reason"] = experiment_->divergence_reason();
      }
      summary["wall_time_s"] = compute_s_;
      summary["build_id"] = build_id();
      s["summary"] = std::move(summary);
      return s.dump();
    });
  }

  val config() const {
    return guarded("Session.config", [&] {
      require_experiment();
      return config_.dump();
    });
  }

  // The current parameters (PyTorch state_dict names) as the bytes of a safetensors file,
  // the same file `gradlab run --save-params N` writes before step N.
  val export_params() const {
    return guarded("Session.exportParams", [&] {
      require_experiment();
      const std::string path = "/tmp/gradlab-export-params.safetensors";
      save_safetensors(path, experiment_->named_params(), experiment_->params_metadata());
      const std::string bytes = read_file(path);
      std::remove(path.c_str());
      // Uint8Array.from copies out of the WASM heap: the view dies with `bytes`.
      return val::global("Uint8Array")
          .call<val>("from", val(emscripten::typed_memory_view(
                                 bytes.size(), reinterpret_cast<const uint8_t*>(bytes.data()))));
    });
  }

 private:
  void require_experiment() const {
    if (!experiment_) fail<Error>("Session: this run failed to start; create a new Session");
  }

  val init_error_ = val::null();
  Json config_;
  std::unique_ptr<Experiment> experiment_;
  std::vector<Json> rows_;  // every logged row, for summary()
  bool log_time_ = true;
  double compute_s_ = 0;
};

val schema() {
  return guarded("schema", [] { return schema_json().dump(); });
}

val kinds() {
  return guarded("kinds", [] {
    Json out = Json::array();
    for (const auto& [name, description] : experiment_kinds())
      out.push_back({{"kind", name}, {"description", description}});
    return out.dump();
  });
}

val resolve_config_text(const std::string& text, const std::string& profile) {
  return guarded("resolveConfig", [&] {
    ResolveOptions options;
    options.profile = profile;
    return resolve_config(parse_config_text(text, "config"), options).dump();
  });
}

// [{id, overrides, config}] — one run per point of the config's sweep block (one point,
// id "run", without one). The lab overlays these runs (e.g. three learning rates).
val sweep_points(const std::string& text, const std::string& profile) {
  return guarded("sweepPoints", [&] {
    ResolveOptions options;
    options.profile = profile;
    Json out = Json::array();
    for (const SweepPoint& p : expand_sweep(parse_config_text(text, "config"), options))
      out.push_back({{"id", p.id}, {"overrides", p.overrides}, {"config", p.config}});
    return out.dump();
  });
}

// The kind's sweep-level figures over the rows of a sweep (the rows `gradlab sweep` writes
// to sweep.jsonl: a point's id and overrides, then its run's summary), as the JSON text
// `gradlab sweep` writes to sweep_summary.json; "null" when the kind has none. The pages show
// these figures as they are, so the browser and the CLI cannot disagree about a peak.
val sweep_summary_text(const std::string& config_text, const std::string& rows_text) {
  return guarded("sweepSummary", [&] {
    const Json config = parse_config_text(config_text, "config");
    if (!config.is_object()) fail<ConfigError>("sweepSummary: the config must be a JSON object");
    const Json rows = Json::parse(rows_text, nullptr, /*allow_exceptions=*/false);
    if (rows.is_discarded()) fail<ConfigError>("sweepSummary: rows are not valid JSON");
    if (!rows.is_array())
      fail<ConfigError>("sweepSummary: rows must be a JSON array of sweep rows, got ",
                        rows.type_name());
    return sweep_summary(config, std::vector<Json>(rows.begin(), rows.end())).dump();
  });
}

// Writes bytes (a Uint8Array from JS; Embind passes its bytes unchanged into std::string)
// to path in the in-memory file system, creating its folders: the worker stages the
// Fashion-MNIST subset where data.path points.
val write_file(const std::string& path, const std::string& bytes) {
  return guarded("writeFile", [&] {
    if (path.empty() || path[0] != '/')
      fail<IOError>("writeFile: need an absolute path, got '", path, "'");
    for (size_t slash = path.find('/', 1); slash != std::string::npos;
         slash = path.find('/', slash + 1)) {
      const std::string folder = path.substr(0, slash);
      if (::mkdir(folder.c_str(), 0755) != 0 && errno != EEXIST)
        fail<IOError>("writeFile: cannot create folder ", folder, ": ", std::strerror(errno));
    }
    // <cstdio>: this module links no iostreams (their locale tables are ~45 KB gzipped).
    std::FILE* out = std::fopen(path.c_str(), "wb");
    if (!out) fail<IOError>("writeFile: cannot write ", path, ": ", std::strerror(errno));
    const bool written = std::fwrite(bytes.data(), 1, bytes.size(), out) == bytes.size();
    if (std::fclose(out) != 0 || !written) fail<IOError>("writeFile: cannot write ", path);
    return static_cast<double>(bytes.size());
  });
}

// `gradlab fit` on text in memory (src/cli/fit_command.cpp reads a file; the math is the same
// src/fit/ code): text is a sweep.jsonl or CSV, name is for messages, options a JSON object
// {form, x: [KEY...], y, where: {KEY: VALUE}, bootstrap, seed, interval, delta, bootstrap_starts,
// budget_tolerance, window, holdout: {key, min}, grid: {PARAM: [starts]}} with the CLI flags'
// meanings and defaults (grid: the JSON --grid FILE holds).
// Returns the JSON text `gradlab fit` prints.
val fit_text(const std::string& text, const std::string& name, const std::string& options_text) {
  return guarded("fit", [&] {
    const Json opt = Json::parse(options_text, nullptr, /*allow_exceptions=*/false);
    if (opt.is_discarded() || !opt.is_object())
      fail<ConfigError>("fit: the options must be a JSON object, e.g. {\"form\": \"kaplan\", "
                        "\"x\": [\"n_params\"], \"y\": \"final_validation_loss\"}");
    const std::vector<std::string> known = {"form", "x", "y", "where", "bootstrap", "seed",
                                            "interval", "delta", "bootstrap_starts",
                                            "budget_tolerance", "window", "holdout", "grid"};
    for (const auto& [k, v] : opt.items()) {
      (void)v;
      if (std::find(known.begin(), known.end(), k) == known.end())
        fail<ConfigError>("fit: unknown option \"", k, "\"");
    }
    if (!opt.contains("form") || !opt["form"].is_string())
      fail<ConfigError>("fit: options.form (chinchilla|power|kaplan|kaplan_nd|isoflop) is required");
    if (!opt.contains("x") || !opt["x"].is_array() || opt["x"].empty())
      fail<ConfigError>("fit: options.x must be a non-empty array of keys");
    if (!opt.contains("y") || !opt["y"].is_string())
      fail<ConfigError>("fit: options.y (a key) is required");
    std::vector<std::string> x;
    for (const Json& k : opt["x"]) {
      if (!k.is_string()) fail<ConfigError>("fit: options.x must hold keys (strings)");
      x.push_back(k.get<std::string>());
    }
    fit::FitOptions o;
    o.form = fit::parse_form(opt["form"].get<std::string>());
    auto number = [&](const char* key, double fallback) {
      if (!opt.contains(key)) return fallback;
      if (!opt[key].is_number()) fail<ConfigError>("fit: options.", key, " must be a number");
      return opt[key].get<double>();
    };
    o.bootstrap = static_cast<int>(number("bootstrap", o.bootstrap));
    o.seed = static_cast<uint64_t>(number("seed", static_cast<double>(o.seed)));
    o.interval = number("interval", o.interval);
    o.huber_delta = number("delta", o.huber_delta);
    o.bootstrap_starts = static_cast<int>(number("bootstrap_starts", o.bootstrap_starts));
    o.budget_tolerance = number("budget_tolerance", o.budget_tolerance);
    o.window = static_cast<int>(number("window", o.window));
    if (!(o.interval > 0 && o.interval < 1))
      fail<ConfigError>("fit: options.interval must lie in (0, 1), got ", o.interval);
    if (o.bootstrap < 0 || o.bootstrap > 100000)
      fail<ConfigError>("fit: options.bootstrap must lie in [0, 100000], got ", o.bootstrap);
    if (opt.contains("holdout")) {
      const Json& h = opt["holdout"];
      if (!h.is_object() || !h.contains("key") || !h["key"].is_string() || !h.contains("min") ||
          !h["min"].is_number())
        fail<ConfigError>("fit: options.holdout must be {\"key\": KEY, \"min\": NUMBER}");
      o.holdout_key = h["key"].get<std::string>();
      o.holdout_min = h["min"].get<double>();
    }
    if (opt.contains("grid")) o.grid = opt["grid"];
    fit::RowFilter where;
    if (opt.contains("where")) {
      if (!opt["where"].is_object()) fail<ConfigError>("fit: options.where must be an object");
      // The CLI's --where KEY=VALUE compares VALUE as the text the user typed.
      for (const auto& [k, v] : opt["where"].items())
        where.emplace_back(k, v.is_string() ? v.get<std::string>() : v.dump());
    }
    const fit::Table table = fit::parse_table(text, name, x, opt["y"].get<std::string>(), where);
    return fit::fit_table(table, o).dump();
  });
}

std::string build() { return build_id(); }

// Threads (gradlab/threads.h): 1 in the default module; in the threaded one (gradlab_web_mt,
// loaded on cross-origin-isolated pages) up to maxThreads(), its Web Worker pool + 1.
val set_threads(int threads) {
  return guarded("setThreads", [&] {
    set_cpu_threads(threads);
    return static_cast<double>(cpu_threads());
  });
}
int threads() { return cpu_threads(); }
int max_threads() { return available_cores(); }

}  // namespace
}  // namespace gradlab

EMSCRIPTEN_BINDINGS(gradlab_web) {
  using namespace emscripten;
  // Raw bindings; session_api.js wraps them into Module.Session & co. that throw JS Errors.
  class_<gradlab::Session>("RawSession")
      .constructor<const std::string&, const std::string&>()
      .function("initError", &gradlab::Session::init_error)
      .function("step", &gradlab::Session::step)
      .function("preview", &gradlab::Session::preview)
      .function("done", &gradlab::Session::done)
      .function("state", &gradlab::Session::state)
      .function("config", &gradlab::Session::config)
      .function("exportParams", &gradlab::Session::export_params);
  function("raw_schema", &gradlab::schema);
  function("raw_kinds", &gradlab::kinds);
  function("raw_resolveConfig", &gradlab::resolve_config_text);
  function("raw_sweepPoints", &gradlab::sweep_points);
  function("raw_sweepSummary", &gradlab::sweep_summary_text);
  function("raw_writeFile", &gradlab::write_file);
  function("raw_fit", &gradlab::fit_text);
  function("buildId", &gradlab::build);
  function("raw_setThreads", &gradlab::set_threads);
  function("threads", &gradlab::threads);
  function("maxThreads", &gradlab::max_threads);
}
