// util.cpp — helpers of the config layer: key paths, words for error messages, the
// "did you mean" search, and the index of the schema by path and section.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <set>

#include "config/config_internal.h"
#include "gradlab/error.h"

namespace gradlab::config {

// ---- paths
// ---------------------------------------------------------------------------------------

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    const size_t dot = path.find('.', start);
    const std::string part = path.substr(start, dot == std::string::npos ? dot : dot - start);
    if (part.empty()) fail<ConfigError>("invalid key path \"", path, "\" (an empty part)");
    parts.push_back(part);
    if (dot == std::string::npos) return parts;
    start = dot + 1;
  }
}

std::string parent_path(const std::string& path) {
  const size_t dot = path.rfind('.');
  return dot == std::string::npos ? "" : path.substr(0, dot);
}

std::string leaf_name(const std::string& path) {
  const size_t dot = path.rfind('.');
  return dot == std::string::npos ? path : path.substr(dot + 1);
}

const Json* find_path(const Json& config, const std::string& path) {
  const Json* node = &config;
  for (const std::string& part : split_path(path)) {
    if (!node->is_object()) return nullptr;
    const auto it = node->find(part);
    if (it == node->end()) return nullptr;
    node = &*it;
  }
  return node;
}

void set_path(Json& config, const std::string& path, const Json& value) {
  const std::vector<std::string> parts = split_path(path);
  Json* node = &config;
  std::string walked;
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    if (node->is_null()) *node = Json::object();
    walked += (i ? "." : "") + parts[i];
    Json& child = (*node)[parts[i]];
    if (child.is_null()) child = Json::object();
    if (!child.is_object()) {
      fail<ConfigError>("cannot set ", path, ": ", walked, " holds ", describe_value(child),
                        ", not a section");
    }
    node = &child;
  }
  if (node->is_null()) *node = Json::object();
  if (!node->is_object()) {
    fail<ConfigError>("cannot set ", path, ": the config is ", describe_value(*node));
  }
  if (value.is_null()) {
    node->erase(parts.back());
  } else {
    (*node)[parts.back()] = value;
  }
}

void erase_path(Json& config, const std::string& path) { set_path(config, path, nullptr); }

// ---- words -------------------------------------------------------------------------------------

std::string format_number(double x) {
  if (std::isfinite(x) && x == std::floor(x) && std::fabs(x) < 1e15) {
    return std::to_string(static_cast<long long>(x));
  }
  if (std::isinf(x)) return x > 0 ? "inf" : "-inf";
  return Json(x).dump();  // shortest text that reads back as x
}

std::string describe_value(const Json& value) {
  switch (value.type()) {
    case Json::value_t::string: {
      std::string text = value.get<std::string>();
      if (text.size() > 60) text = text.substr(0, 57) + "...";
      return "the string " + Json(text).dump();
    }
    case Json::value_t::boolean:
      return value.get<bool>() ? "true" : "false";
    case Json::value_t::null:
      return "null";
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
      return "the number " + value.dump();
    case Json::value_t::number_float:
      return "the number " + format_number(value.get<double>());
    case Json::value_t::array: {
      if (value.empty()) return "an empty list";
      std::string text = value.dump();
      if (text.size() > 40) text = text.substr(0, 37) + "...";
      return "the list " + text;
    }
    case Json::value_t::object:
      return "an object";
    default:
      return "a binary value";
  }
}

std::string join_words(const std::vector<std::string>& words, const char* separator) {
  std::string out;
  for (size_t i = 0; i < words.size(); ++i) out += (i ? separator : "") + words[i];
  return out;
}

std::string join_values(const std::vector<Json>& values) {
  std::vector<std::string> words;
  for (const Json& v : values) words.push_back(v.is_string() ? v.get<std::string>() : v.dump());
  return join_words(words);
}

std::size_t edit_distance(const std::string& a, const std::string& b) {
  // d[i][j] = distance between a[:i] and b[:j]; three rows suffice for the swap case.
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

const std::string* closest_word(const std::string& word,
                                const std::vector<std::string>& candidates) {
  const auto lower = [](std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  };
  const std::string w = lower(word);
  // About one edit per three letters: "lrr" → lr, "n_trian" → n_train, but not "x" → lr.
  const size_t limit = std::max<size_t>(1, w.size() / 3);
  const std::string* best = nullptr;
  size_t best_distance = limit + 1;
  for (const std::string& candidate : candidates) {
    const size_t d = edit_distance(w, lower(candidate));
    if (d < best_distance) best_distance = d, best = &candidate;
  }
  return best;
}

// ---- the schema index ------------------------------------------------------------------------

namespace {
SchemaIndex build_index() {
  SchemaIndex index;
  index.children[""];
  for (const KeySpec& spec : config_schema().keys) {
    if (!index.specs.count(spec.path)) index.paths.push_back(spec.path);
    index.specs[spec.path].push_back(&spec);
    const std::vector<std::string> parts = split_path(spec.path);
    std::string section;
    for (const std::string& part : parts) {
      std::vector<std::string>& names = index.children[section];
      if (std::find(names.begin(), names.end(), part) == names.end()) names.push_back(part);
      section += (section.empty() ? "" : ".") + part;
    }
  }
  return index;
}
}  // namespace

const SchemaIndex& schema_index() {
  static const SchemaIndex index = build_index();
  return index;
}

void unknown_key(const std::string& path, const std::string& prefix) {
  const SchemaIndex& index = schema_index();
  std::vector<std::string> parts;
  try {
    parts = split_path(path);
  } catch (const ConfigError& e) {
    fail<ConfigError>(prefix, e.what());
  }
  // The first part that is not a section is the unknown one: "optm.lr" → optm.
  std::string section;
  size_t bad = 0;
  while (bad + 1 < parts.size()) {
    const std::string next = section.empty() ? parts[bad] : section + "." + parts[bad];
    if (!index.is_section(next)) break;
    section = next;
    ++bad;
  }
  const std::string here = section.empty() ? parts[bad] : section + "." + parts[bad];
  if (index.is_key(here) && bad + 1 < parts.size()) {
    fail<ConfigError>(prefix, "unknown key ", path, " (", here, " is a value, not a section)");
  }
  const std::vector<std::string>& siblings = index.children.at(section);
  std::string rest;  // what followed the unknown part, kept in the suggestion
  for (size_t i = bad + 1; i < parts.size(); ++i) rest += "." + parts[i];
  const auto full = [&](const std::string& name) {
    return (section.empty() ? "" : section + ".") + name + rest;
  };

  std::string suggestion;
  if (const std::string* guess = closest_word(parts[bad], siblings)) {
    suggestion = full(*guess);
  } else if (rest.empty()) {
    // model.lr → optim.lr: the right name in the wrong section.
    std::vector<std::string> leaves;
    for (const std::string& p : index.paths) leaves.push_back(leaf_name(p));
    if (const std::string* guess = closest_word(parts[bad], leaves)) {
      suggestion = index.paths[static_cast<size_t>(guess - leaves.data())];
    }
  }
  if (!suggestion.empty()) {
    fail<ConfigError>(prefix, "unknown key ", path, " — did you mean ", suggestion, "?");
  }
  fail<ConfigError>(prefix, "unknown key ", path, " (valid keys ",
                    section.empty() ? "at the top level" : "in " + section, ": ",
                    join_words(siblings), ")");
}

}  // namespace gradlab::config
