// schema_doc.cpp — the schema for readers: as JSON (the browser lab builds its forms and
// checks from it) and as the Markdown key reference of docs/config.md.
#include <algorithm>
#include <cmath>

#include "config/config_internal.h"
#include "gradlab/kind.h"
#include "gradlab/text.h"

namespace gradlab {
namespace {

const char* type_name(ValueType type) {
  switch (type) {
    case ValueType::Int:
      return "int";
    case ValueType::Number:
      return "number";
    case ValueType::Bool:
      return "bool";
    case ValueType::String:
      return "string";
    case ValueType::Path:
      return "path";
    case ValueType::IntList:
      return "int_list";
    case ValueType::NumberList:
      return "number_list";
    case ValueType::StringList:
      return "string_list";
    case ValueType::IntOrString:
      return "int_or_string";
    case ValueType::NumberOrString:
      return "number_or_string";
    case ValueType::IntListOrString:
      return "int_list_or_string";
    case ValueType::Object:
      return "object";
    case ValueType::NumberRows:
      return "number_rows";
  }
  return "?";
}

Json spec_json(const KeySpec& spec) {
  Json out = {{"path", spec.path},
              {"type", type_name(spec.type)},
              {"doc", spec.doc},
              {"required", spec.required()},
              {"optional", spec.optional}};
  if (!spec.default_value.is_null()) out["default"] = spec.default_value;
  if (!spec.default_from.empty()) out["default_from"] = spec.default_from;
  if (!spec.choices.empty()) out["choices"] = spec.choices;
  if (std::isfinite(spec.min)) out["min"] = spec.min;
  if (std::isfinite(spec.max)) out["max"] = spec.max;
  if (spec.min_items > 0) out["min_items"] = spec.min_items;
  if (spec.max_items != std::numeric_limits<std::size_t>::max()) out["max_items"] = spec.max_items;
  if (!spec.when.always()) out["when"] = {{"key", spec.when.key}, {"values", spec.when.values}};
  if (!spec.block.empty()) out["block"] = spec.block;
  return out;
}

// ---- Markdown -----------------------------------------------------------------------------------

std::string escape_cell(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '|') out += '\\';
    out += c;
  }
  return out;
}

std::string code_list(const std::vector<Json>& values, const char* separator = ", ") {
  std::string out;
  for (size_t i = 0; i < values.size(); ++i) {
    out += (i ? separator : "") + std::string("`") +
           (values[i].is_string() ? values[i].get<std::string>() : values[i].dump()) + "`";
  }
  return out;
}

// " ≥ 1", " in [0, 1]", " ≤ 3", or "".
std::string range_text(const KeySpec& spec) {
  using config::format_number;
  const bool lo = std::isfinite(spec.min), hi = std::isfinite(spec.max);
  if (lo && hi) return " in [" + format_number(spec.min) + ", " + format_number(spec.max) + "]";
  if (lo) return " ≥ " + format_number(spec.min);
  if (hi) return " ≤ " + format_number(spec.max);
  return "";
}

std::string items_text(const KeySpec& spec) {
  const bool bounded = spec.max_items != std::numeric_limits<std::size_t>::max();
  if (bounded && spec.min_items == spec.max_items)
    return " (" + std::to_string(spec.min_items) + " items)";
  std::string out;
  if (spec.min_items > 0) out += " (at least " + std::to_string(spec.min_items) + ")";
  if (bounded) out += " (at most " + std::to_string(spec.max_items) + ")";
  return out;
}

std::string accepts_text(const KeySpec& spec) {
  const std::string range = range_text(spec);
  std::string strings;  // the string alternatives of *OrString types, quoted as in JSON
  for (size_t i = 0; i < spec.choices.size(); ++i) {
    strings += (i ? " or `" : "`") + spec.choices[i].dump() + "`";
  }
  switch (spec.type) {
    case ValueType::Int:
      return "integer" + range;
    case ValueType::Number:
      return "number" + range;
    case ValueType::Bool:
      return "`true` or `false`";
    case ValueType::String:
      return spec.choices.empty() ? "string" : "one of " + code_list(spec.choices);
    case ValueType::Path:
      return "file path";
    case ValueType::IntList:
      return "list of integers" + range + items_text(spec);
    case ValueType::NumberList:
      return "list of numbers" + range + items_text(spec);
    case ValueType::StringList:
      return "list" + items_text(spec) + " of " + code_list(spec.choices);
    case ValueType::IntOrString:
      return "integer" + range + " or " + strings;
    case ValueType::NumberOrString:
      return "number" + range + " or " + strings;
    case ValueType::IntListOrString:
      return "list of integers" + range + items_text(spec) + " or " + strings;
    case ValueType::Object:
      return "object";
    case ValueType::NumberRows:
      return "list" + items_text(spec) + " of rows of numbers" + range + ", all of one length";
  }
  return "";
}

std::string default_text(const KeySpec& spec) {
  if (!spec.default_value.is_null()) return "`" + spec.default_value.dump() + "`";
  if (!spec.default_from.empty()) return "= `" + spec.default_from + "`";
  if (spec.optional) return "optional";
  return "**required**";
}

std::string when_text(const KeySpec& spec) {
  if (spec.when.always()) return "";
  return "`" + spec.when.key + "` = " + code_list(spec.when.values);
}

}  // namespace

Json schema_json() {
  Json keys = Json::array();
  for (const KeySpec& spec : config_schema().keys) keys.push_back(spec_json(spec));
  Json sections = Json::array();
  for (const auto& item : config::schema_index().children) {
    if (!item.first.empty()) sections.push_back(item.first);
  }
  return {{"keys", keys},
          {"sections", sections},
          {"exactly_one_of", config_schema().exactly_one_of},
          {"kinds", kinds_json()}};
}

std::string schema_markdown() {
  // One table per first path part, in schema order; top-level keys first.
  std::vector<std::string> groups;
  for (const KeySpec& spec : config_schema().keys) {
    const size_t dot = spec.path.find('.');
    const std::string group = dot == std::string::npos ? "" : spec.path.substr(0, dot);
    if (std::find(groups.begin(), groups.end(), group) == groups.end()) groups.push_back(group);
  }
  TextBuilder md;
  // Which blocks each kind reads: a key of any other block is an error for that kind.
  md << "### Kinds\n\n"
     << "| kind | reads | devices | what it shows |\n"
     << "|---|---|---|---|\n";
  for (const Kind& kind : experiment_kind_table()) {
    std::string reads;
    for (const KindBlock& b : kind.blocks) {
      reads += (reads.empty() ? "" : ", ") + std::string("`") + b.block + "`";
      if (!b.unless_key.empty())
        reads += " (unless `" + b.unless_key + "` = " + code_list(b.unless_values) + ")";
    }
    std::string devices;
    for (const std::string& d : kind.devices) devices += (devices.empty() ? "" : ", ") + d;
    md << "| `" << kind.name << "` | " << escape_cell(reads) << " | " << devices << " | "
       << escape_cell(kind.description) << " |\n";
  }
  md << "\nEvery kind also reads `kind`, `seed`, `sweep`, `profiles`, `train.log_time`, "
        "`train.checkpoint_every` and `train.checkpoint_seconds`.\n\n";
  for (const std::string& group : groups) {
    md << "### " << (group.empty() ? "Top level" : "`" + group + "`") << "\n\n"
       << "| key | accepts | default | applies when | meaning |\n"
       << "|---|---|---|---|---|\n";
    for (const KeySpec& spec : config_schema().keys) {
      const size_t dot = spec.path.find('.');
      if ((dot == std::string::npos ? "" : spec.path.substr(0, dot)) != group) continue;
      md << "| `" << spec.path << "` | " << escape_cell(accepts_text(spec)) << " | "
         << escape_cell(default_text(spec)) << " | " << escape_cell(when_text(spec)) << " | "
         << escape_cell(spec.doc) << " |\n";
    }
    md << "\n";
  }
  const auto& groups_of_one = config_schema().exactly_one_of;
  for (const std::vector<std::string>& paths : groups_of_one) {
    md << "Exactly one of " << code_list(std::vector<Json>(paths.begin(), paths.end()), " and ")
       << " must be given.\n";
  }
  return md.str();
}

}  // namespace gradlab
