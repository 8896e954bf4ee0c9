// resolve.cpp — from a config file to the configs of runs: parsing (with line and column
// on a syntax error, and duplicate keys rejected), --set, profiles, resolve_config, sweep
// expansion into folder-safe point ids, and --shard I/N.
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <set>

#include "config/config_internal.h"
#include "gradlab/error.h"
#include "gradlab/json_text.h"

namespace gradlab {
namespace {

using config::describe_value;
using config::find_path;
using config::join_words;

// ---- parsing ----------------------------------------------------------------------------------

// One frame per open object/array while parsing: the keys seen so far in it, and its name.
struct ParseFrame {
  std::set<std::string> keys;
  std::string name;
};

// The assignment's key and value: "optim.lr=0.1" → {"optim.lr", 0.1}.
std::pair<std::string, Json> parse_assignment(const std::string& assignment) {
  const size_t eq = assignment.find('=');
  std::string key = assignment.substr(0, eq);
  while (!key.empty() && std::isspace(static_cast<unsigned char>(key.back()))) key.pop_back();
  while (!key.empty() && std::isspace(static_cast<unsigned char>(key.front()))) key.erase(0, 1);
  if (eq == std::string::npos || key.empty()) {
    fail<ConfigError>("--set expects key.path=value, got \"", assignment, "\"");
  }
  const std::string text = assignment.substr(eq + 1);
  Json value = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) value = text;  // tanh, /data/x.npy: plain words are strings
  return {key, value};
}

// Sets one key the way --set and profiles do; `sweep.` and `profiles.NAME.` entries keep the
// rest of the path as one key, since their keys are themselves dotted paths.
void assign(Json& config, const std::string& path, const Json& value) {
  const std::vector<std::string> parts = config::split_path(path);
  std::string block, entry;
  if (parts[0] == "sweep" && parts.size() > 1) {
    block = "sweep";
    entry = path.substr(6);
  } else if (parts[0] == "profiles" && parts.size() > 2) {
    block = "profiles." + parts[1];
    entry = path.substr(block.size() + 1);
  }
  if (block.empty()) return config::set_path(config, path, value);
  Json target = find_path(config, block) ? *find_path(config, block) : Json::object();
  if (!target.is_object()) {
    fail<ConfigError>("cannot set ", path, ": ", block, " holds ", describe_value(target),
                      ", not an object");
  }
  if (value.is_null()) {
    target.erase(entry);
  } else {
    target[entry] = value;
  }
  config::set_path(config, block, target);
}

// True when one path is the other or lies inside it (optim and optim.lr).
bool overlaps(const std::string& a, const std::string& b) {
  const auto inside = [](const std::string& x, const std::string& y) {
    return x.size() > y.size() && x.compare(0, y.size(), y) == 0 && x[y.size()] == '.';
  };
  return a == b || inside(a, b) || inside(b, a);
}

// The user's config with the profile and the --set values applied (not yet validated).
Json apply_options(const Json& user, const ResolveOptions& options) {
  if (!user.is_object())
    fail<ConfigError>("config: expected a JSON object, got ", describe_value(user));
  Json config = user;
  if (!options.profile.empty()) apply_profile(config, options.profile);
  for (const std::string& assignment : options.sets) apply_set(config, assignment);
  // A --set of a swept key would be overridden by every sweep point: refuse it.
  if (const Json* sweep = find_path(config, "sweep"); sweep && sweep->is_object()) {
    for (const std::string& assignment : options.sets) {
      const std::string key = parse_assignment(assignment).first;
      for (const auto& item : sweep->items()) {
        if (overlaps(key, item.key())) {
          fail<ConfigError>("--set ", key, ": ", item.key(),
                            " is swept by the sweep block; "
                            "change its values with --set 'sweep.",
                            item.key(), "=[...]'");
        }
      }
    }
  }
  return config;
}

// A sweep value as a folder-name fragment: 0.01, tanh, 100x100 (lists), true.
std::string value_id(const Json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_float()) return config::format_number(v.get<double>());
  if (v.is_array()) {
    std::string out;
    for (size_t i = 0; i < v.size(); ++i) out += (i ? "x" : "") + value_id(v[i]);
    return v.empty() ? "empty" : out;
  }
  return v.dump();
}

}  // namespace

// ---- public API ---------------------------------------------------------------------------------

Json parse_config_text(const std::string& text, const std::string& source_name) {
  std::vector<ParseFrame> frames;
  std::string last_key;
  const Json::parser_callback_t reject_duplicates = [&](int depth, Json::parse_event_t event,
                                                        Json& parsed) {
    switch (event) {
      case Json::parse_event_t::object_start:
      case Json::parse_event_t::array_start:
        // Copying and validating recurse once per level (gradlab/json_text.h).
        if (depth >= kMaxJsonDepth) {
          fail<ConfigError>(source_name, ": invalid JSON: nested deeper than ", kMaxJsonDepth,
                            " levels");
        }
        frames.push_back({{}, last_key});
        last_key.clear();
        break;
      case Json::parse_event_t::object_end:
      case Json::parse_event_t::array_end:
        if (!frames.empty()) frames.pop_back();
        break;
      case Json::parse_event_t::key: {
        last_key = parsed.get<std::string>();
        // No config key holds a control character; refusing it here keeps every later message
        // that names the key on one line.
        for (const char c : last_key) {
          if (static_cast<unsigned char>(c) < 0x20) {
            fail<ConfigError>(source_name, ": invalid JSON: the key \"", one_line(last_key),
                              "\" holds a control character");
          }
        }
        if (!frames.back().keys.insert(last_key).second) {
          std::string where;
          for (const ParseFrame& f : frames) where += f.name.empty() ? "" : f.name + ".";
          fail<ConfigError>(source_name, ": invalid JSON: duplicate key ", where, last_key);
        }
        break;
      }
      case Json::parse_event_t::value:
        break;
    }
    return true;
  };
  Json config;
  try {
    config = Json::parse(text, reject_duplicates);
  } catch (const Json::parse_error& e) {
    // e.byte is the 1-based offset of the character that broke the parse.
    const size_t end = std::min(text.size(), e.byte > 0 ? static_cast<size_t>(e.byte - 1) : 0);
    size_t line = 1, line_start = 0;
    for (size_t i = 0; i < end; ++i) {
      if (text[i] == '\n') ++line, line_start = i + 1;
    }
    fail<ConfigError>(source_name, ":", line, ":", end - line_start + 1,
                      ": invalid JSON: ", json_error_reason(e.what()));
  } catch (const Json::out_of_range& e) {
    // A number past double's range (1e999) is out_of_range.406, not a parse error.
    fail<ConfigError>(source_name, ": invalid JSON: ", json_error_reason(e.what()));
  }
  if (!config.is_object()) {
    fail<ConfigError>(source_name, ": expected a JSON object at the top level, got ",
                      describe_value(config));
  }
  return config;
}

Json load_config_file(const std::string& path) {
  // <cstdio>, not <fstream>: iostreams would weigh on the browser module (gradlab/text.h).
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (!file) fail<IOError>("config file ", path, ": cannot open (", std::strerror(errno), ")");
  std::string text;
  char buf[4096];
  size_t got = 0;
  while ((got = std::fread(buf, 1, sizeof buf, file)) > 0) text.append(buf, got);
  const bool failed = std::ferror(file) != 0;
  const int read_errno = errno;
  std::fclose(file);
  if (failed) fail<IOError>("config file ", path, ": cannot read (", std::strerror(read_errno), ")");
  return parse_config_text(text, path);
}

void apply_set(Json& config, const std::string& assignment) {
  const auto [key, value] = parse_assignment(assignment);
  assign(config, key, value);
}

void apply_profile(Json& config, const std::string& profile) {
  const Json* profiles = find_path(config, "profiles");
  if (profiles == nullptr || !profiles->is_object() || profiles->empty()) {
    fail<ConfigError>("unknown profile \"", profile, "\": the config has no profiles");
  }
  if (!profiles->contains(profile)) {
    std::vector<std::string> names;
    for (const auto& item : profiles->items()) names.push_back(item.key());
    const std::string* guess = config::closest_word(profile, names);
    fail<ConfigError>("unknown profile \"", profile, "\" (available: ", join_words(names), ")",
                      guess ? " — did you mean " + *guess + "?" : std::string());
  }
  const Json overrides = profiles->at(profile);  // a copy: assign() may touch `profiles`
  if (!overrides.is_object()) {
    fail<ConfigError>("profiles.", profile, ": expected an object of {\"key.path\": value}, got ",
                      describe_value(overrides));
  }
  for (const auto& item : overrides.items()) assign(config, item.key(), item.value());
}

Json resolve_config(const Json& user, const ResolveOptions& options) {
  Json config = apply_options(user, options);
  validate_config(config);
  config.erase("sweep");
  config.erase("profiles");
  config::fill_defaults(config);
  return config;
}

std::vector<SweepPoint> expand_sweep(const Json& user, const ResolveOptions& options) {
  Json base = apply_options(user, options);
  validate_config(base);  // checks every sweep point too
  const Json sweep = base.contains("sweep") ? base["sweep"] : Json();
  base.erase("sweep");
  base.erase("profiles");
  if (sweep.is_null()) {
    config::fill_defaults(base);
    return {SweepPoint{"run", Json::object(), base}};
  }
  std::vector<SweepPoint> points;
  std::set<std::string> ids;
  for (const Json& overrides : config::sweep_combinations(sweep)) {
    SweepPoint point;
    point.overrides = overrides;
    point.config = base;
    for (const auto& item : overrides.items()) assign(point.config, item.key(), item.value());
    config::fill_defaults(point.config);
    // Distinct values can still share a folder name ("a/b" and "a_b"): number the repeats.
    point.id = config::sweep_point_id(overrides);
    for (int k = 2; ids.count(point.id); ++k) {
      point.id = config::sweep_point_id(overrides) + "~" + std::to_string(k);
    }
    ids.insert(point.id);
    points.push_back(std::move(point));
  }
  return points;
}

std::vector<SweepPoint> shard(const std::vector<SweepPoint>& points, int index, int count) {
  if (count < 1 || index < 1 || index > count) {
    fail<ConfigError>("--shard ", index, "/", count, ": expected I/N with 1 <= I <= N");
  }
  std::vector<SweepPoint> mine;
  for (size_t p = static_cast<size_t>(index - 1); p < points.size();
       p += static_cast<size_t>(count)) {
    mine.push_back(points[p]);
  }
  return mine;
}

std::pair<int, int> parse_shard(const std::string& spec) {
  const auto bad = [&] {
    fail<ConfigError>("--shard expects I/N with 1 <= I <= N (e.g. 2/4), got \"", spec, "\"");
  };
  const size_t slash = spec.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == spec.size() || spec.size() > 20)
    bad();
  int parts[2] = {0, 0};
  const std::string texts[2] = {spec.substr(0, slash), spec.substr(slash + 1)};
  for (int i = 0; i < 2; ++i) {
    for (char c : texts[i]) {
      if (c < '0' || c > '9') bad();
    }
    if (texts[i].size() > 9) bad();
    parts[i] = std::stoi(texts[i]);
  }
  if (parts[1] < 1 || parts[0] < 1 || parts[0] > parts[1]) bad();
  return {parts[0], parts[1]};
}

namespace config {

std::string sweep_point_id(const Json& overrides) {
  std::string id;
  for (const auto& item : overrides.items()) {
    id += (id.empty() ? "" : ",") + item.key() + "=" + value_id(item.value());
  }
  // Folder-safe: letters, digits and . _ - + = , stay; anything else (/, spaces, quotes) → _.
  for (char& c : id) {
    const bool keep = std::isalnum(static_cast<unsigned char>(c)) ||
                      (c != '\0' && std::strchr("._-+=,", c) != nullptr);
    if (!keep) c = '_';
  }
  if (id.size() > 120) {
    // File names stop at 255 bytes: keep a readable head plus a hash of the whole (FNV-1a).
    uint64_t hash = 1469598103934665603ull;
    for (unsigned char c : id) hash = (hash ^ c) * 1099511628211ull;
    char hex[16];
    std::snprintf(hex, sizeof hex, "%llx", static_cast<unsigned long long>(hash & 0xffffffffull));
    id = id.substr(0, 110) + "~" + hex;
  }
  return id;
}

}  // namespace config
}  // namespace gradlab
