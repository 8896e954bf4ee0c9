// What `gradlab run` prints at the end (a few lines a person reads: what happened, with the
// numbers, where the files and the report are, how to run it again), and the list of example
// configs `gradlab run --help` shows. The raw figures stay in summary.json.
#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/cli.h"
#include "cli/run_summary.h"
#include "gradlab/config.h"
#include "gradlab/experiment.h"
#include "gradlab/kind.h"

namespace gradlab::cli {

namespace {

const Json* at_path(const Json& j, const std::string& dotted) {
  const Json* cur = &j;
  std::stringstream ss(dotted);
  for (std::string part; std::getline(ss, part, '.');) {
    if (!cur->is_object()) return nullptr;
    auto it = cur->find(part);
    if (it == cur->end()) return nullptr;
    cur = &*it;
  }
  return cur;
}

std::string num(double v, int digits = 4) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.*g", digits, v);
  return buf;
}

std::string ratio(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", v);
  return buf;
}

std::optional<double> number(const Json& j, const char* key) {
  const Json* v = at_path(j, key);
  if (!v || !v->is_number()) return std::nullopt;
  return v->get<double>();
}

std::vector<Json> read_rows(const std::string& path) {
  std::vector<Json> rows;
  std::ifstream f(path);
  for (std::string line; std::getline(f, line);)
    if (!line.empty()) rows.push_back(Json::parse(line, nullptr, false));
  return rows;
}

// The edge-of-stability story (docs/kinds/edge_of_stability.md): where the sharpness
// started, when it reached 2/η, how it sat after settling, and the loss along the way.
void eos_lines(std::ostream& os, const Json& s, const std::vector<Json>& rows,
               const std::string& label) {
  const auto thr = number(s, "threshold");
  const auto init = number(s, "initial_sharpness");
  if (!thr || !init) return;
  os << "  sharpness at step 0: " << num(*init) << " = " << num(*init / *thr, 2) << " × " << label
     << " (" << label << " = " << num(*thr) << ")\n";
  const auto eos = number(s, "eos_step");
  if (!eos) {
    const auto max = number(s, "max_sharpness");
    os << "  the sharpness did not reach " << label;
    if (max) os << " (largest " << num(*max) << " = " << num(*max / *thr, 2) << " × " << label << ")";
    os << ": no edge of stability in this run — more steps or a larger η would get there\n";
    return;
  }
  // First probe at or above the threshold itself (eos_step counts from 0.95 × threshold).
  std::string above;
  for (const Json& r : rows) {
    const auto sh = number(r, "sharpness");
    const auto t = number(r, "threshold");
    if (sh && t && *sh >= *t) {
      above = ", first above it at step " + std::to_string(r.at("step").get<int64_t>()) + " (" +
              num(*sh) + ")";
      break;
    }
  }
  os << "  progressive sharpening: it reached the edge (≥ 0.95 × " << label << ") at step "
     << static_cast<int64_t>(*eos) << above << "\n";
  const auto median = number(s, "post_eos_median_ratio");
  const auto mx = number(s, "post_eos_max_ratio");
  if (median) {
    os << "  after settling: median sharpness / " << label << " = " << ratio(*median);
    if (mx) os << " (max " << ratio(*mx) << ")";
    os << (std::fabs(*median - 1) <= 0.1 ? " — it hovers at the edge\n" : "\n");
  } else {
    os << "  (too few probes after eos_step + probe.settle_steps for the settled ratio)\n";
  }
}

}  // namespace

void print_run_summary(std::ostream& os, const Json& config, const Json& summary,
                       const std::string& out_dir, const std::string& report_path,
                       const std::string& reproduce) {
  const std::vector<Json> rows = read_rows(out_dir + "/metrics.jsonl");
  const std::string status = summary.contains("status") ? summary.at("status").get<std::string>() : "";
  const auto wall = number(summary, "wall_time_s");
  const Json* kind = at_path(config, "kind");
  os << "\n" << (status == "completed" ? "Done" : status == "diverged" ? "Diverged" : "Stopped")
     << ": " << (kind && kind->is_string() ? kind->get<std::string>() : "run") << ", "
     << summary.at("steps_done").get<int64_t>() << " steps"
     << (wall ? " in " + num(*wall, 3) + " s" : "") << "\n";
  const Json* optim = at_path(config, "optim.type");
  const std::string label = optim && optim->is_string() && optim->get<std::string>() == "gd"
                                ? "2/η"
                                : "threshold";
  eos_lines(os, summary, rows, label);
  // The loss: start, at the edge (when there is one), end.
  const auto final_loss = number(summary, "final_loss");
  if (final_loss && !rows.empty()) {
    os << "  training loss";
    if (const auto first = number(rows.front(), "loss")) os << " " << num(*first);
    if (const auto at_eos = number(summary, "loss_at_eos")) os << " → " << num(*at_eos) << " at the edge";
    os << " → " << num(*final_loss) << " at the end";
    if (const auto acc = number(summary, "final_train_acc")) os << " (train acc " << num(*acc * 100, 3) << " %";
    if (const auto acc = number(summary, "final_test_acc")) {
      os << (number(summary, "final_train_acc") ? ", " : " (") << "test acc " << num(*acc * 100, 3) << " %";
    }
    if (number(summary, "final_train_acc") || number(summary, "final_test_acc")) os << ")";
    os << "\n";
  }
  if (status == "diverged" && summary.contains("divergence_reason"))
    os << "  " << summary.at("divergence_reason").get<std::string>() << "\n";
  os << "Files:     " << out_dir << "/ (config.json, metrics.jsonl, summary.json)\n";
  if (!report_path.empty()) os << "Report:    " << report_path << "\n";
  if (status == "interrupted")
    os << "Continue:  " << reproduce << " --out " << out_dir << " --resume\n";
  else os << "Reproduce: " << reproduce << "\n";
}

// ---- gradlab run --help: the example configs ---------------------------------------------

namespace {

std::string experiments_dir() {
  std::vector<std::string> candidates;
  if (const char* root = std::getenv("GRADLAB_ROOT")) candidates.push_back(std::string(root) + "/experiments");
  candidates.push_back("experiments");
  if (std::string path = executable_path(); !path.empty()) {
    // build/native/gradlab → the checkout's experiments/
    for (int up = 0; up < 3 && path.find('/') != std::string::npos; ++up) path = path.substr(0, path.find_last_of('/'));
    candidates.push_back(path + "/experiments");
  }
  for (const std::string& c : candidates) {
    std::ifstream f(c + "/default.json");
    if (f) return c;
  }
  return {};
}

std::vector<std::string> list_json(const std::string& dir) {
  std::vector<std::string> names;
  DIR* d = ::opendir(dir.c_str());
  if (!d) return names;
  while (const dirent* e = ::readdir(d)) {
    const std::string name = e->d_name;
    if (name.size() > 5 && name.compare(name.size() - 5, 5, ".json") == 0) names.push_back(name);
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

// One line from the config itself: kind · model · data · optimizer · length · sweep.
std::string describe(const Json& c) {
  auto text = [&](const char* path) -> std::string {
    const Json* v = at_path(c, path);
    if (!v) return {};
    return v->is_string() ? v->get<std::string>() : v->dump();
  };
  std::vector<std::string> parts;
  parts.push_back(text("kind"));
  std::string model = text("model.type");
  if (!model.empty()) {
    if (!text("model.widths").empty()) model += " " + text("model.widths");
    if (!text("model.activation").empty()) model += " " + text("model.activation");
    parts.push_back(model);
  }
  std::string data = text("data.source");
  if (!data.empty()) {
    if (!text("data.generator").empty()) data += " " + text("data.generator");
    if (!text("data.n_train").empty()) data += ", " + text("data.n_train") + " examples";
    parts.push_back(data);
  }
  std::string optim = text("optim.type");
  if (!optim.empty()) {
    if (!text("optim.lr").empty()) optim += " η=" + text("optim.lr");
    parts.push_back(optim);
  }
  if (!text("train.steps").empty()) parts.push_back(text("train.steps") + " steps");
  else if (!text("train.epochs").empty()) parts.push_back(text("train.epochs") + " epochs");
  if (const Json* sweep = at_path(c, "sweep"); sweep && sweep->is_object()) {
    std::string keys;
    for (auto it = sweep->begin(); it != sweep->end(); ++it)
      keys += (keys.empty() ? "" : ", ") + it.key() +
              (it.value().is_array() ? " ×" + std::to_string(it.value().size()) : "");
    parts.push_back("sweep " + keys);
  }
  std::string out;
  for (const std::string& p : parts)
    if (!p.empty()) out += (out.empty() ? "" : " · ") + p;
  return out;
}

}  // namespace

void print_example_configs(std::ostream& os) {
  const std::string dir = experiments_dir();
  if (dir.empty()) {
    os << "(the example configs are in the checkout's experiments/ folder; set GRADLAB_ROOT to "
          "list them here)\n";
    return;
  }
  os << "example configs (" << dir << "/):\n";
  std::vector<std::string> files = {"default.json"};
  std::vector<std::string> subdirs;
  DIR* d = ::opendir(dir.c_str());
  if (d) {
    while (const dirent* e = ::readdir(d)) {
      const std::string name = e->d_name;
      if (name[0] != '.' && !list_json(dir + "/" + name).empty()) subdirs.push_back(name);
    }
    ::closedir(d);
  }
  std::sort(subdirs.begin(), subdirs.end());
  for (const std::string& s : subdirs)
    for (const std::string& f : list_json(dir + "/" + s)) files.push_back(s + "/" + f);
  size_t width = 0;
  for (const std::string& f : files) width = std::max(width, f.size());
  for (const std::string& f : files) {
    std::string line;
    try {
      line = describe(load_config_file(dir + "/" + f));
    } catch (const std::exception& e) {
      line = std::string("(not readable: ") + e.what() + ")";
    }
    os << "  " << f << std::string(width + 2 - f.size(), ' ') << line << "\n";
  }
}

}  // namespace gradlab::cli
