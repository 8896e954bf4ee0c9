// test_config_defaults_scan.cpp — no config key is read with a default of its own outside
// src/config.
//
// Every default lives in the schema (src/config/schema.cpp, schema_data.cpp); code reads a
// resolved config through the typed views of gradlab/config_views.h. A read such as
// `cfg.value("momentum", 0.9)` writes a second default that can drift from the schema's, so
// this test scans src/ (outside src/config) for nlohmann::json `.value("key", ...)` and
// `.value("/a/b"_json_pointer, ...)` calls and fails listing file:line for each one not on
// the allow-list below. The allow-list holds only reads of JSON that is not a config
// (checkpoint state, summary.json, metrics and sweep rows), each file listed on its own with
// the reason.
// An allow-list entry that matches nothing fails too, so the list cannot go stale.
// Native only: the WASM test build reads the same sources and would check nothing new.
#if !defined(__EMSCRIPTEN__)
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

namespace {

struct KeyedRead {
  std::string file;  // relative to the repository root
  int line = 0;
  std::string text;  // the source line
};

// The `.value("...` / `->value("...` calls in `source`: a JSON lookup with a default. Calls
// spread over lines (`.value(\n "key", ...)`) count too; the line is the one of `value(`.
std::vector<KeyedRead> keyed_reads(const std::string& file, const std::string& source) {
  std::vector<KeyedRead> out;
  size_t pos = 0;
  while ((pos = source.find("value(", pos)) != std::string::npos) {
    const size_t call = pos;
    pos += 6;
    const bool member = (call >= 1 && source[call - 1] == '.') ||
                        (call >= 2 && source.compare(call - 2, 2, "->") == 0);
    if (!member) continue;
    size_t arg = pos;
    while (arg < source.size() && std::isspace(static_cast<unsigned char>(source[arg]))) ++arg;
    if (arg >= source.size() || source[arg] != '"') continue;  // value(x): not a keyed lookup
    const int line = 1 + static_cast<int>(std::count(source.begin(), source.begin() + call, '\n'));
    const size_t begin = source.rfind('\n', call) + 1;  // npos + 1 == 0 on the first line
    const size_t end = source.find('\n', call);
    out.push_back({file, line, source.substr(begin, end == std::string::npos ? end : end - begin)});
  }
  return out;
}

struct Allowed {
  std::string file;     // exact path, or a folder prefix ending in '/'
  std::string snippet;  // a substring of the line ("" = any line of the file or folder)
  std::string reason;
};

// Keep this list short: a config read belongs in a view (gradlab/config_views.h).
const std::vector<Allowed>& allowed_reads() {
  static const std::vector<Allowed> list = {
      {"src/optim/optimizers.cpp", "j.value(\"step\", int64_t{0})",
       "checkpoint state (state.json), not a config: a checkpoint written before the first "
       "Adam step has no step count"},
      {"src/cli/commands.cpp", "summary.value(\"status\", \"\")",
       "summary.json of a run, not a config"},
      {"src/cli/commands.cpp", "summary.value(\"steps_done\", 0L)",
       "summary.json of a run, not a config"},
      {"src/cli/sweep.cpp", "done.value(\"status\", \"\")",
       "summary.json of a sweep point, not a config"},
      {"src/cli/sweep.cpp", "summary.value(", "summary.json of a sweep point, not a config"},
      {"src/cli/sweep_track.cpp", "",
       "the sweep folder's own records (run_info.json, summary.json, sweep_spec.json), written by "
       "older or newer builds that may lack a key; never a config"},
      {"src/experiments/mode_connectivity.cpp", "r.value(\"phase\", \"\")",
       "the kind's own metrics rows (sweep summary over t), not a config"},
      {"src/bench/bench_double_descent.cpp", "row.value(\"test_error\", 0.0)",
       "a metrics row of the benchmark's own sweep, not a config"},
      // Checkpoint state (state.json) of each kind: written by the same build, but a flag
      // that was never set (diverged, solved, ...) may be absent.
      {"src/experiments/training.cpp", "state.value(", "checkpoint state, not a config"},
      {"src/experiments/quadratic.cpp", "state.value(", "checkpoint state, not a config"},
      {"src/experiments/implicit_bias.cpp", "state.value(", "checkpoint state, not a config"},
      {"src/experiments/svm_margin.cpp", "state.value(", "checkpoint state, not a config"},
      {"src/experiments/double_descent.cpp", "state.value(", "checkpoint state, not a config"},
      // Sweep figures read sweep.jsonl rows, which a sweep may have written without the key.
      {"src/experiments/double_descent.cpp", "r.value(\"ridge\", 0.0)",
       "a sweep.jsonl row, not a config: rows without ridge are unregularised fits"},
      {"src/experiments/double_descent_network.cpp", "->value(\"label_noise\", 0.0)",
       "a sweep.jsonl row, not a config"},
      {"src/experiments/double_descent_network.cpp", "->value(\"interpolation_tol\", 0.0)",
       "a sweep.jsonl row, not a config"},
  };
  return list;
}

bool matches(const Allowed& a, const KeyedRead& r) {
  const bool file_ok = a.file.back() == '/' ? r.file.rfind(a.file, 0) == 0 : r.file == a.file;
  return file_ok && r.text.find(a.snippet) != std::string::npos;
}

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

TEST_CASE("config scan: keyed_reads finds .value(\"key\", default) calls and nothing else") {
  const std::string source =
      "double m = c.value(\"momentum\", 0.9);\n"                             // line 1: found
      "auto p = cfg->value(\"pool\", \"max\");\n"                            // line 2: found
      "bool t = config.value(\"/train/log_time\"_json_pointer, Json(true));\n"  // line 3: found
      "int k = cfg.value(\n    \"kernel\", 3);\n"                            // line 4: found
      "double x = c.at(\"lr\").get<double>();\n"                             // not a default
      "auto v = opt.value();\n"                                            // std::optional
      "auto w = maybe.value(fallback);\n"                                  // not a keyed lookup
      "double y = default_value(\"x\", 1);\n";                             // not a member call
  const std::vector<KeyedRead> reads = keyed_reads("src/x.cpp", source);
  REQUIRE(reads.size() == 4);
  CHECK(reads[0].line == 1);
  CHECK(reads[1].line == 2);
  CHECK(reads[2].line == 3);
  CHECK(reads[3].line == 4);
  CHECK(reads[3].text == "int k = cfg.value(");
  // The allow-list works per file and snippet.
  const Allowed state{"src/optim/optimizers.cpp", "j.value(\"step\"", "checkpoint"};
  CHECK(matches(state, {"src/optim/optimizers.cpp", 1, "t_ = j.value(\"step\", int64_t{0});"}));
  CHECK_FALSE(matches(state, {"src/optim/optimizers.cpp", 9, "c.value(\"eps\", 1e-8)"}));
  CHECK_FALSE(matches(state, {"src/optim/other.cpp", 1, "t_ = j.value(\"step\", 0);"}));
  const Allowed folder{"src/x/", "", "a folder"};
  CHECK(matches(folder, {"src/x/a.cpp", 1, "c.value(\"k\", 1)"}));
  CHECK_FALSE(matches(folder, {"src/xy.cpp", 1, "c.value(\"k\", 1)"}));
}

TEST_CASE("config scan: no config key is read with a literal default outside src/config") {
  namespace fs = std::filesystem;
  const fs::path root(GRADLAB_SOURCE_DIR);
  std::vector<KeyedRead> reads;
  for (const auto& entry : fs::recursive_directory_iterator(root / "src")) {
    if (!entry.is_regular_file()) continue;
    const std::string ext = entry.path().extension().string();
    if (ext != ".cpp" && ext != ".h" && ext != ".cu") continue;
    const std::string rel = fs::relative(entry.path(), root).generic_string();
    if (rel.rfind("src/config/", 0) == 0) continue;  // the schema and the views live here
    for (KeyedRead& r : keyed_reads(rel, read_text(entry.path()))) reads.push_back(std::move(r));
  }
  REQUIRE(reads.size() > 0);  // the scan saw the sources (the allow-listed reads at least)

  std::vector<std::string> unexpected;
  std::vector<bool> used(allowed_reads().size(), false);
  for (const KeyedRead& r : reads) {
    bool ok = false;
    for (size_t i = 0; i < allowed_reads().size(); ++i) {
      if (matches(allowed_reads()[i], r)) used[i] = ok = true;
    }
    if (!ok) unexpected.push_back(r.file + ":" + std::to_string(r.line) + ": " + r.text);
  }
  std::sort(unexpected.begin(), unexpected.end());
  std::string report;
  for (const std::string& u : unexpected) report += "\n  " + u;
  INFO("config reads with a default of their own (read the resolved config through "
       "gradlab/config_views.h, or allow-list a non-config JSON read with its reason in "
       "tests/config/test_config_defaults_scan.cpp):"
       << report);
  CHECK(unexpected.empty());

  std::string stale;
  for (size_t i = 0; i < used.size(); ++i)
    if (!used[i]) stale += "\n  " + allowed_reads()[i].file + " " + allowed_reads()[i].snippet;
  INFO("allow-list entries that match no read any more (remove them):" << stale);
  CHECK(stale.empty());
}
#endif
