// The kind table (gradlab/kind.h): one row per experiment kind, each defined in its own file
// under src/experiments/kinds/. Adding a kind is one file there and one row here
// (docs/adding.md).
#include <algorithm>

#include "gradlab/error.h"
#include "gradlab/kind.h"

namespace gradlab {

// One function per kind file (a function, not a static registrar object: the core is a static
// library and the linker would drop an unreferenced registrar).
Kind double_descent_kind();
Kind edge_of_stability_kind();
Kind implicit_bias_kind();
Kind quadratic_gd_kind();
Kind random_labels_kind();
Kind svm_margin_kind();
Kind catapult_kind();
Kind mode_connectivity_kind();
Kind central_flow_kind();
Kind grokking_kind();
Kind sparse_parity_kind();
Kind scaling_kind();

const std::vector<Kind>& experiment_kind_table() {
  // In the order of the lecture: the quadratic picture and the edge of stability, margins,
  // then generalisation.
  static const std::vector<Kind> table = {
      edge_of_stability_kind(), quadratic_gd_kind(), svm_margin_kind(),
      implicit_bias_kind(),     double_descent_kind(), random_labels_kind(),
      catapult_kind(),          mode_connectivity_kind(),
      central_flow_kind(),      grokking_kind(),        sparse_parity_kind(),
      scaling_kind(),
  };
  return table;
}

const Kind* find_kind(const std::string& name) {
  for (const Kind& kind : experiment_kind_table())
    if (kind.name == name) return &kind;
  return nullptr;
}

const Kind* kind_of(const Json& config) {
  return config.is_object() && config.contains("kind") && config["kind"].is_string()
             ? find_kind(config["kind"].get<std::string>())
             : nullptr;
}

std::string implemented_kind_names() {
  std::string out;
  for (const Kind& kind : experiment_kind_table()) out += (out.empty() ? "" : ", ") + kind.name;
  return out;
}

std::unique_ptr<Experiment> make_experiment(const Json& config) {
  if (!config.contains("kind") || !config["kind"].is_string())
    fail<ConfigError>("kind: missing (expected one of ", implemented_kind_names(), ")");
  const std::string name = config["kind"].get<std::string>();
  const Kind* kind = find_kind(name);
  if (kind == nullptr)
    fail<ConfigError>("kind: \"", name, "\" is not implemented (implemented: ",
                      implemented_kind_names(), ")");
  // A kind that computes on the CPU does not read `device` (validation refuses it), so a
  // device other than cpu here can only be one the kind supports.
  if (config.contains("device") && config["device"].is_string()) {
    const std::string device = config["device"].get<std::string>();
    if (device != "auto" &&
        std::find(kind->devices.begin(), kind->devices.end(), device) == kind->devices.end())
      fail<ConfigError>("device: \"", device, "\" is not supported by kind ", name,
                        " (it computes on: ", kind->devices.front(), ")");
  }
  return kind->make(config);
}

std::vector<std::pair<std::string, std::string>> experiment_kinds() {
  std::vector<std::pair<std::string, std::string>> out;
  for (const Kind& kind : experiment_kind_table()) out.emplace_back(kind.name, kind.description);
  return out;
}

Json sweep_summary(const Json& config, const std::vector<Json>& rows) {
  const Kind* kind = kind_of(config);
  if (kind == nullptr || kind->sweep_summary == nullptr) return nullptr;
  return kind->sweep_summary(rows);
}

Json kinds_json() {
  Json out = Json::array();
  for (const Kind& kind : experiment_kind_table()) {
    Json blocks = Json::array(), unless = Json::object();
    for (const KindBlock& b : kind.blocks) {
      blocks.push_back(b.block);
      if (!b.unless_key.empty())
        unless[b.block] = {{"key", b.unless_key}, {"values", b.unless_values}};
    }
    Json row = {{"name", kind.name},
                {"description", kind.description},
                {"blocks", blocks},
                {"blocks_unless", unless},
                {"devices", kind.devices},
                {"row_keys", kind.row_keys},
                {"labels", kind.labels == LabelValues::AnyTwo ? "any_two" : "class_ids"},
                {"page", kind.page != nullptr ? Json::parse(kind.page) : Json(nullptr)}};
    out.push_back(std::move(row));
  }
  return out;
}

}  // namespace gradlab
