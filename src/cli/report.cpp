// gradlab report RUN_DIR — a self-contained HTML page for a run folder (docs/design.md §2).
// (A sweep folder gets one page overlaying its runs: loss, sharpness with each run's 2/η.)
//
// Reads RUN_DIR/metrics.jsonl (required), summary.json and config.json (when present) and
// writes RUN_DIR/report.html: inline SVG charts (svg_chart.h) of the training loss (log
// scale), the sharpness with the stability threshold 2/η as a dashed line (Cohen et al.
// 2021's figure), the top-k Hessian eigenvalues, accuracy, and every other metric that
// changes over the run (a quadratic_gd run's eigen-coordinates, norms, margins, ...); then
// a table of summary.json and the resolved config. No JavaScript, no network: the page can
// be mailed or opened offline. Only series present in the rows are drawn, so it works for
// every experiment kind.
#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <optional>
#include <set>
#include <sstream>

#include "cli/cli.h"
#include "cli/report.h"
#include "cli/svg_chart.h"
#include "gradlab/config_views.h"
#include "gradlab/experiment.h"
#include "gradlab/json_text.h"
#include "gradlab/safetensors.h"

namespace gradlab::cli {

namespace {

using Points = std::vector<std::pair<double, double>>;

// Metrics drawn by their own charts (or never drawn: the x axis, wall time).
const std::set<std::string> kOwnCharts = {
    "step", "time_s",    "loss", "test_loss", "sharpness", "threshold", "eigs",
    "train_acc", "test_acc", "coords", "sharpness_avg", "loss_avg"};
// At most this many components of an array metric get a line each.
constexpr size_t kMaxComponents = 8;
// At most this many charts of the metrics without a chart of their own.
constexpr size_t kMaxOtherCharts = 64;

// probe.average_window as text ("W" when the config does not say).
// What the page says about the run's config.json, a resolved config read through the views
// (gradlab/config_views.h). A config.json that is missing, or was not written by gradlab run,
// leaves out of the page what cannot be read from it.
struct ConfigFacts {
  std::optional<RunConfig> run;
  std::optional<ModelConfig> model;
  std::optional<OptimConfig> optim;
  std::optional<ProbeConfig> probe;
};

template <class View>
std::optional<View> try_view(const Json& config, View (*read)(const Json&)) {
  if (!config.is_object()) return std::nullopt;
  try {
    return read(config);
  } catch (const ConfigError&) {
    return std::nullopt;
  }
}

ConfigFacts config_facts(const Json& config) {
  return {try_view(config, run_config), try_view(config, model_config),
          try_view(config, optim_config), try_view(config, probe_config)};
}

std::string window_label(const ConfigFacts& config) {
  return config.probe ? std::to_string(config.probe->average_window) : "W";
}

bool is_dir(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}
bool is_file(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

}  // namespace

std::vector<Json> parse_metrics_rows(const std::string& text, const std::string& path) {
  std::vector<Json> rows;
  size_t start = 0;
  for (int number = 1; start < text.size(); ++number) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    const std::string line = text.substr(start, end - start);
    start = end + 1;
    if (line.empty()) continue;
    const std::string where = path + ":" + std::to_string(number);
    try {
      rows.push_back(parse_json_text(line, where));
    } catch (const IOError&) {
      fail<IOError>(where, ": not a JSON object (a truncated row?)");
    }
    if (!rows.back().is_object()) fail<IOError>(where, ": expected a JSON object per line");
  }
  return rows;
}

namespace {

// A row's step, when it has a numeric one.
bool has_step(const Json& r) { return r.contains("step") && r["step"].is_number(); }

// (step, row[key]) for rows where key is a number; (step, row[key][i]) for arrays.
Points scalar_points(const std::vector<Json>& rows, const std::string& key) {
  Points p;
  for (const Json& r : rows)
    if (r.contains(key) && r[key].is_number() && has_step(r))
      p.emplace_back(r["step"].get<double>(), r[key].get<double>());
  return p;
}
Points component_points(const std::vector<Json>& rows, const std::string& key, size_t i) {
  Points p;
  for (const Json& r : rows)
    if (r.contains(key) && r[key].is_array() && r[key].size() > i && r[key][i].is_number() &&
        has_step(r))
      p.emplace_back(r["step"].get<double>(), r[key][i].get<double>());
  return p;
}
size_t max_components(const std::vector<Json>& rows, const std::string& key) {
  size_t n = 0;
  for (const Json& r : rows)
    if (r.contains(key) && r[key].is_array()) n = std::max(n, r[key].size());
  return n;
}
bool varies(const Points& p) {
  for (const auto& pt : p)
    if (pt.second != p.front().second) return true;
  return false;
}
size_t positive_count(const Points& p) {
  size_t n = 0;
  for (const auto& pt : p) n += pt.second > 0;
  return n;
}

// "2/η = 40" for plain GD; the heavy-ball / Nesterov threshold names itself otherwise.
std::string threshold_label(const ConfigFacts& config, const Points& threshold) {
  std::string formula = "2/η";
  if (config.optim && config.optim->momentum > 0)  // nesterov: the view sets it for that type
    formula = config.optim->nesterov ? "(2+2β)/(η(1+2β))" : "(2+2β)/η";
  if (!varies(threshold))
    return "threshold " + formula + " = " + format_number(threshold[0].second);
  return "threshold " + formula + " (varies with the schedule)";
}

struct Section {
  std::string title, note;
  ChartSpec chart;
};

std::vector<Section> build_charts(const std::vector<Json>& rows, const ConfigFacts& config) {
  std::vector<Section> out;
  // Loss, log scale (Cohen et al. plot it linearly, but a log axis shows both the early
  // drop and the late non-monotone wiggles at the edge of stability).
  {
    Section s{"Loss", "", {}};
    s.chart.y_label = "loss";
    Points train = scalar_points(rows, "loss"), test = scalar_points(rows, "test_loss");
    s.chart.log_y = positive_count(train) + positive_count(test) >= 2;
    if (!s.chart.log_y) s.note = "linear scale: fewer than two positive loss values";
    s.chart.series.push_back({"loss", "training loss", train});
    if (!test.empty()) s.chart.series.push_back({"test_loss", "test loss", test});
    Points averaged = scalar_points(rows, "loss_avg");
    if (!averaged.empty())
      s.chart.series.push_back({"loss_avg", "at the mean of the last " +
                                                window_label(config) + " iterates", averaged});
    if (!train.empty() || !test.empty()) out.push_back(s);
  }
  Points threshold = scalar_points(rows, "threshold");
  ChartSeries threshold_series{"threshold",
                               threshold.empty() ? "" : threshold_label(config, threshold),
                               threshold, true, 1.4};
  const bool flow = config.optim && config.optim->type == OptimizerType::GradientFlow;
  if (threshold.empty() && flow) {
    // Gradient flow has no threshold; GD's 2/η at the same lr is the reference to beat.
    Points lr = scalar_points(rows, "lr");
    for (auto& pt : lr) pt.second = 2 / pt.second;
    if (!lr.empty())
      threshold_series = {
          "reference_threshold",
          "2/η = " + format_number(lr[0].second) + " (GD's threshold; for reference)", lr, true,
          1.4};
  }
  Points sharpness = scalar_points(rows, "sharpness");
  if (!sharpness.empty()) {
    const bool quadratic = config.run && config.run->kind == "quadratic_gd";
    Section s{
        "Sharpness",
        quadratic ? "λmax of A (exact)" : "top Hessian eigenvalue of the training loss (Lanczos)",
        {}};
    s.chart.y_label = "sharpness";
    s.chart.include_zero = true;
    s.chart.series.push_back({"sharpness", "sharpness λ₁", sharpness});
    Points averaged = scalar_points(rows, "sharpness_avg");
    if (!averaged.empty()) {
      s.chart.series.push_back({"sharpness_avg", "λ₁ at the mean of the last " +
                                                     window_label(config) + " iterates",
                                averaged});
      s.note = "the averaged iterate follows the time-averaged path (Cohen et al. 2024)";
    }
    if (!threshold_series.points.empty()) s.chart.series.push_back(threshold_series);
    out.push_back(s);
  }
  if (size_t k = max_components(rows, "eigs"); k >= 2) {
    Section s{"Top Hessian eigenvalues", "", {}};
    s.chart.y_label = "eigenvalue";
    s.chart.include_zero = true;
    for (size_t i = 0; i < std::min(k, kMaxComponents); ++i)
      s.chart.series.push_back({"eigs." + std::to_string(i), "λ" + std::to_string(i + 1),
                                component_points(rows, "eigs", i), false, 1.3});
    if (k > kMaxComponents)
      s.note = "the first " + std::to_string(kMaxComponents) + " of " + std::to_string(k) +
               " eigenvalues";
    if (!threshold_series.points.empty()) s.chart.series.push_back(threshold_series);
    out.push_back(s);
  }
  {
    Section s{"Accuracy", "", {}};
    s.chart.y_label = "accuracy";
    s.chart.include_zero = true;
    for (const char* key : {"train_acc", "test_acc"}) {
      Points p = scalar_points(rows, key);
      if (!p.empty())
        s.chart.series.push_back(
            {key, key == std::string("train_acc") ? "training accuracy" : "test accuracy", p});
    }
    if (!s.chart.series.empty()) out.push_back(s);
  }
  if (size_t d = max_components(rows, "coords"); d > 0) {
    Section s{"Eigen-coordinates", "cᵢ = qᵢᵀx along each eigenvector of A", {}};
    s.chart.y_label = "coordinate";
    for (size_t i = 0; i < std::min(d, kMaxComponents); ++i)
      s.chart.series.push_back({"coords." + std::to_string(i), "c" + std::to_string(i + 1),
                                component_points(rows, "coords", i), false, 1.3});
    if (d > kMaxComponents)
      s.note += " (the first " + std::to_string(kMaxComponents) + " of " + std::to_string(d) + ")";
    out.push_back(s);
  }
  // Every other metric that changes: one chart each, in order of first appearance.
  std::vector<std::string> keys;
  std::set<std::string> seen;
  for (const Json& r : rows)
    for (auto it = r.begin(); it != r.end(); ++it)
      if (!kOwnCharts.count(it.key()) && seen.insert(it.key()).second) keys.push_back(it.key());
  // A file with thousands of distinct keys (not one gradlab wrote) must not take quadratic
  // time: the first kMaxOtherCharts keys get a chart each.
  if (keys.size() > kMaxOtherCharts) keys.resize(kMaxOtherCharts);
  for (const std::string& key : keys) {
    Section s{key, "", {}};
    s.chart.y_label = key;
    if (size_t n = max_components(rows, key); n > 0) {
      for (size_t i = 0; i < std::min(n, kMaxComponents); ++i) {
        Points p = component_points(rows, key, i);
        if (varies(p))
          s.chart.series.push_back(
              {key + "." + std::to_string(i), key + "[" + std::to_string(i) + "]", p});
      }
    } else {
      Points p = scalar_points(rows, key);
      if (varies(p)) s.chart.series.push_back({key, key, p});
    }
    if (!s.chart.series.empty()) out.push_back(s);
  }
  return out;
}

// summary.json as table rows: nested objects flattened to dotted keys.
void flatten(const Json& j, const std::string& prefix,
             std::vector<std::pair<std::string, std::string>>& out) {
  for (auto it = j.begin(); it != j.end(); ++it) {
    std::string key = prefix.empty() ? it.key() : prefix + "." + it.key();
    const Json& v = it.value();
    if (v.is_object()) {
      flatten(v, key, out);
    } else if (v.is_number_float()) {
      out.emplace_back(key, format_number(v.get<double>()));
    } else if (v.is_string()) {
      out.emplace_back(key, v.get<std::string>());
    } else if (v.is_null()) {
      out.emplace_back(key, "null");
    } else {
      std::string text = v.dump();
      if (text.size() > 300) text = text.substr(0, 300) + " …";
      out.emplace_back(key, text);
    }
  }
}

std::string html_head(const std::string& title) {
  return "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>" +
         escape_html(title) +
         "</title>\n<style>\nbody{font-family:sans-serif;max-width:780px;margin:24px auto;"
         "padding:0 12px;color:#222}\nh1{font-size:22px}h2{font-size:17px;margin:26px 0 4px}\n"
         "p.note{color:#666;font-size:13px;margin:2px 0 6px}\n"
         "table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ddd;"
         "padding:3px 8px;text-align:left}td.v{font-family:monospace}\n"
         "pre{background:#f6f6f6;padding:10px;font-size:12px;overflow:auto}\n"
         ".status{font-weight:bold}div.wide{overflow-x:auto}\n</style>\n</head>\n<body>\n";
}
std::string html_tail() {
  return "<p class=\"note\">written by gradlab report (" + escape_html(build_id()) +
         ")</p>\n</body>\n</html>\n";
}
void write_section(std::ostream& os, const Section& s) {
  os << "<section>\n<h2>" << escape_html(s.title) << "</h2>\n";
  if (!s.note.empty()) os << "<p class=\"note\">" << escape_html(s.note) << "</p>\n";
  os << svg_line_chart(s.chart) << "</section>\n";
}

std::string run_page(const std::string& dir, const std::vector<Json>& rows, const Json& summary,
                     const Json& config) {
  std::ostringstream os;
  os << html_head("gradlab report: " + dir);
  os << "<h1>gradlab report</h1>\n<p>run folder <code>" << escape_html(dir) << "</code>";
  const ConfigFacts facts = config_facts(config);
  if (facts.run) os << " · kind <b>" << escape_html(facts.run->kind) << "</b>";
  if (facts.model) os << " · model " << model_type_name(facts.model->type);
  if (facts.optim)
    os << " · " << optimizer_type_name(facts.optim->type)
       << ", η = " << format_number(facts.optim->lr);
  os << "<br>" << rows.size() << " metrics rows";
  if (summary.is_object()) {
    const bool has_status = summary.contains("status") && summary["status"].is_string();
    os << " · status <span class=\"status\">"
       << escape_html(has_status ? summary["status"].get<std::string>() : "?") << "</span>";
    if (summary.contains("divergence_reason") && summary["divergence_reason"].is_string())
      os << "<br>" << escape_html(summary["divergence_reason"].get<std::string>());
  } else {
    os << " · no summary.json (the run is unfinished or was killed)";
  }
  os << "</p>\n";
  for (const Section& s : build_charts(rows, facts)) write_section(os, s);
  if (summary.is_object()) {
    os << "<h2>Summary</h2>\n<table>\n";
    std::vector<std::pair<std::string, std::string>> items;
    flatten(summary, "", items);
    for (const auto& [k, v] : items)
      os << "<tr><th>" << escape_html(k) << "</th><td class=\"v\">" << escape_html(v)
         << "</td></tr>\n";
    os << "</table>\n";
  }
  if (config.is_object())
    os << "<h2>Config</h2>\n<pre>" << escape_html(config.dump(2)) << "</pre>\n";
  os << html_tail();
  return os.str();
}

using RunData = ReportRun;

Json optional_json(const std::string& path) {
  if (!is_file(path)) return Json();
  return parse_json_text(read_file(path), path);
}

RunData load_run(const std::string& dir, const std::string& id) {
  const std::string metrics = dir + "/metrics.jsonl";
  return {id, parse_metrics_rows(read_file(metrics), metrics), optional_json(dir + "/summary.json"),
          optional_json(dir + "/config.json")};
}

// A sweep folder (gradlab sweep --out DIR): every run overlaid, the lr-sweep figure of Cohen
// et al. 2021 (each run's sharpness settles at its own 2/η, drawn dashed in its colour).
std::string sweep_page(const std::string& dir, const std::vector<RunData>& runs) {
  std::ostringstream os;
  os << html_head("gradlab sweep report: " + dir);
  os << "<h1>gradlab sweep report</h1>\n<p>sweep folder <code>" << escape_html(dir) << "</code> · "
     << runs.size() << " runs</p>\n";
  Section loss{"Loss", "", {}}, sharp{"Sharpness", "dashed: each run's stability threshold", {}},
      acc{"Test accuracy", "", {}};
  loss.chart.y_label = "training loss";
  loss.chart.log_y = true;
  sharp.chart.y_label = "sharpness";
  sharp.chart.include_zero = true;
  acc.chart.y_label = "test accuracy";
  acc.chart.include_zero = true;
  for (size_t i = 0; i < runs.size(); ++i) {
    const RunData& r = runs[i];
    const int color = static_cast<int>(i);
    loss.chart.series.push_back(
        {"loss:" + r.id, r.id, scalar_points(r.rows, "loss"), false, 1.4, color});
    sharp.chart.series.push_back(
        {"sharpness:" + r.id, r.id, scalar_points(r.rows, "sharpness"), false, 1.6, color});
    sharp.chart.series.push_back(
        {"threshold:" + r.id, "", scalar_points(r.rows, "threshold"), true, 1.2, color});
    acc.chart.series.push_back(
        {"test_acc:" + r.id, r.id, scalar_points(r.rows, "test_acc"), false, 1.4, color});
  }
  for (const Section* s : {&loss, &sharp, &acc}) {
    bool any = false;
    for (const ChartSeries& series : s->chart.series) any = any || !series.points.empty();
    if (any) write_section(os, *s);
  }
  // One table row per run: the summary figures any run has.
  const std::vector<std::string> columns = {"status",
                                            "steps_done",
                                            "diverged_at_step",
                                            "threshold",
                                            "initial_sharpness",
                                            "eos_step",
                                            "post_eos_median_ratio",
                                            "post_eos_max_ratio",
                                            "post_eos_avg_median_ratio",
                                            "max_sharpness",
                                            "loss_at_eos",
                                            "final_loss",
                                            "final_test_acc",
                                            "regime"};
  std::vector<std::string> shown;
  for (const std::string& c : columns)
    for (const RunData& r : runs)
      if (r.summary.is_object() && r.summary.contains(c)) {
        shown.push_back(c);
        break;
      }
  os << "<h2>Runs</h2>\n<div class=\"wide\"><table>\n<tr><th>run</th>";
  for (const std::string& c : shown) os << "<th>" << escape_html(c) << "</th>";
  os << "</tr>\n";
  for (const RunData& r : runs) {
    os << "<tr><th>" << escape_html(r.id) << "</th>";
    for (const std::string& c : shown) {
      std::string text;
      if (r.summary.is_object() && r.summary.contains(c)) {
        std::vector<std::pair<std::string, std::string>> item;
        flatten(Json{{c, r.summary[c]}}, "", item);
        text = item.empty() ? "" : item[0].second;
      }
      os << "<td class=\"v\">" << escape_html(text) << "</td>";
    }
    os << "</tr>\n";
  }
  os << "</table></div>\n" << html_tail();
  return os.str();
}

// The run folders of a sweep (DIR/runs/<id>/metrics.jsonl), sorted by id.
std::vector<std::string> sweep_run_ids(const std::string& dir) {
  std::vector<std::string> ids;
  DIR* d = ::opendir((dir + "/runs").c_str());
  if (!d) return ids;
  while (const dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name != "." && name != ".." && is_file(dir + "/runs/" + name + "/metrics.jsonl"))
      ids.push_back(name);
  }
  ::closedir(d);
  std::sort(ids.begin(), ids.end());
  return ids;
}

}  // namespace

std::string run_report_page(const std::string& dir, const ReportRun& run) {
  return run_page(dir, run.rows, run.summary, run.config);
}
std::string sweep_report_page(const std::string& dir, const std::vector<ReportRun>& runs) {
  return sweep_page(dir, runs);
}

std::string write_report(std::string dir) {
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  if (!is_dir(dir))
    fail<IOError>(dir, " is not a folder (expected the --out folder of gradlab run or sweep)");
  const std::string out = dir + "/report.html";
  if (is_file(dir + "/metrics.jsonl")) {
    RunData run = load_run(dir, dir);
    write_file_atomic(out, run_report_page(dir, run));
  } else {
    std::vector<std::string> ids = sweep_run_ids(dir);
    if (ids.empty())
      fail<IOError>(dir, " has no metrics.jsonl (not a gradlab run folder, nor a sweep folder ",
                    "with runs/<id>/metrics.jsonl)");
    std::vector<RunData> runs;
    for (const std::string& id : ids) runs.push_back(load_run(dir + "/runs/" + id, id));
    write_file_atomic(out, sweep_report_page(dir, runs));
  }
  return out;
}

int cmd_report(int argc, char** argv) {
  if (argc != 2) fail<ConfigError>("expected one run folder: gradlab report RUN_DIR");
  std::cout << write_report(argv[1]) << "\n";
  return 0;
}

}  // namespace gradlab::cli
