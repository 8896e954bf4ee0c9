// validate.cpp — checking a config against the schema, and filling its defaults.
//
// validate_config makes passes in a fixed order so the first error is the most useful one:
//   1. structure: every key known (else "unknown key optim.lrr — did you mean optim.lr?"),
//      every section an object;
//   2. keys in schema order: a present key must apply (its `when` holds) and hold a valid
//      value; an absent required key that applies is reported. Discriminators come first in
//      the schema, so a key's condition is only read once its discriminator is known good;
//   3. exactly-one-of groups (train.steps / train.epochs);
//   4. the data block's source-specific rules (the data loader's own check, no file read);
//   5. the profiles block's keys, and every point of the sweep block.
#include <algorithm>
#include <cctype>
#include <cmath>

#include "config/config_internal.h"
#include "gradlab/data.h"
#include "gradlab/error.h"
#include "gradlab/kind.h"

namespace gradlab::config {
namespace {

// The value's `when` discriminator in words: `model.type "cnn"`.
std::string discriminator_text(const std::string& key, const Json& value) {
  return value.is_null() ? "an unset " + key : key + " " + value.dump();
}

// ---- pass 1: structure ---------------------------------------------------------------------

void check_structure(const Json& object, const std::string& section) {
  const SchemaIndex& index = schema_index();
  for (const auto& item : object.items()) {
    const std::string& name = item.key();
    const std::string path = section.empty() ? name : section + "." + name;
    if (name.find('.') != std::string::npos) {
      if (index.is_key(path) || index.is_section(path)) {
        const size_t dot = name.find('.');
        fail<ConfigError>("unknown key \"", name, "\"", section.empty() ? "" : " in " + section,
                          " — write it nested, as \"", name.substr(0, dot), "\": {\"",
                          name.substr(dot + 1), "\": ...}");
      }
      unknown_key(path);
    }
    if (index.is_key(path)) continue;  // values: pass 2
    if (!index.is_section(path)) unknown_key(path);
    if (!item.value().is_object()) {
      fail<ConfigError>(path, ": expected an object (a section of keys), got ",
                        describe_value(item.value()));
    }
    check_structure(item.value(), path);
  }
}

// ---- pass 2: each key ------------------------------------------------------------------------

void check_keys(const Json& config) {
  const SchemaIndex& index = schema_index();
  for (const std::string& path : index.paths) {
    const Json* value = find_path(config, path);
    std::string why_not;
    const KeySpec* spec = applicable_spec(config, path, &why_not);
    if (value != nullptr) {
      if (spec == nullptr) fail<ConfigError>(path, " ", why_not);
      check_value(*spec, *value, path);
      continue;
    }
    if (spec == nullptr) continue;
    const std::string needed_for = spec->when.always() ? ""
                                                       : "; needed for " + spec->when.key + " " +
                                                             join_values(spec->when.values);
    if (spec->required()) {
      fail<ConfigError>("missing required key ", path, " (", expected_text(*spec), needed_for, ")");
    }
    if (!spec->default_from.empty() && !spec->optional &&
        effective_value(config, spec->default_from).is_null()) {
      fail<ConfigError>("missing required key ", path, " (", expected_text(*spec), "; there is no ",
                        spec->default_from, " to take it from)");
    }
  }
}

// ---- pass 3: exactly-one-of groups -------------------------------------------------------------

void check_groups(const Json& config) {
  for (const std::vector<std::string>& group : config_schema().exactly_one_of) {
    // A group of a block the kind does not read (train.steps for svm_margin) is not asked for.
    if (applicable_spec(config, group.front()) == nullptr) continue;
    std::vector<std::string> given;
    for (const std::string& path : group) {
      if (find_path(config, path) != nullptr) given.push_back(path);
    }
    if (given.size() == 1) continue;
    if (given.empty()) {
      fail<ConfigError>("missing required key: give one of ", join_words(group, " or "),
                        " (exactly one)");
    }
    fail<ConfigError>(join_words(given, " and "), " are both given; give exactly one of them");
  }
}

// ---- pass 5: profiles and sweep ----------------------------------------------------------------

void check_override_key(const std::string& path, const std::string& prefix) {
  const SchemaIndex& index = schema_index();
  if (path.rfind("sweep.", 0) == 0) {
    const std::string swept = path.substr(6);
    if (!index.is_key(swept)) unknown_key(swept, prefix + "sweep: ");
    return;
  }
  split_path(path);  // empty parts: ConfigError
  if (path == "profiles" || path.rfind("profiles.", 0) == 0) {
    fail<ConfigError>(prefix, "a profile cannot change profiles (", path, ")");
  }
  if (!index.is_key(path) && !index.is_section(path)) unknown_key(path, prefix);
}

void check_profiles(const Json& profiles) {
  for (const auto& profile : profiles.items()) {
    const std::string where = "profiles." + profile.key();
    if (!profile.value().is_object()) {
      fail<ConfigError>(where, ": expected an object of {\"key.path\": value}, got ",
                        describe_value(profile.value()));
    }
    for (const auto& entry : profile.value().items()) check_override_key(entry.key(), where + ": ");
  }
}

void validate_point(const Json& config);

// The most points one sweep block may have.
constexpr size_t kMaxSweepPoints = 10000;

void check_sweep(const Json& config) {
  const Json& sweep = config.at("sweep");
  const SchemaIndex& index = schema_index();
  if (sweep.empty()) {
    fail<ConfigError>("sweep: empty; give {\"key.path\": [value, ...]} or remove the block");
  }
  // Each point is validated (and later run): a product of long lists must fail at once, not
  // spend hours validating 10^10 points (or checking a 10^6-value list for repeats).
  size_t points = 1;
  for (const auto& item : sweep.items()) {
    const size_t values = item.value().is_array() ? item.value().size() : 1;
    if (values > 0 && points > kMaxSweepPoints / values) {
      fail<ConfigError>("sweep: more than ", kMaxSweepPoints, " points (", item.key(), " has ",
                        values, " values); split the sweep into several configs");
    }
    points *= std::max<size_t>(values, 1);
  }
  for (const auto& item : sweep.items()) {
    const std::string& path = item.key();
    if (path == "sweep" || path == "profiles") {
      fail<ConfigError>("sweep: ", path, " cannot be swept");
    }
    if (index.is_section(path)) {
      fail<ConfigError>("sweep: ", path, " is a section; sweep its keys (",
                        join_words(index.children.at(path)), ")");
    }
    if (!index.is_key(path)) unknown_key(path, "sweep: ");
    const Json& values = item.value();
    if (!values.is_array() || values.empty()) {
      fail<ConfigError>("sweep ", path, ": expected a non-empty list of values, got ",
                        describe_value(values));
    }
    for (size_t i = 0; i < values.size(); ++i) {
      for (size_t j = 0; j < i; ++j) {
        if (values[i] == values[j]) {
          fail<ConfigError>("sweep ", path, ": the value ", values[i].dump(), " is listed twice");
        }
      }
    }
  }
  Json base = config;
  base.erase("sweep");
  base.erase("profiles");  // already checked; points are plain configs
  for (const Json& overrides : sweep_combinations(sweep)) {
    Json point = base;
    for (const auto& item : overrides.items()) set_path(point, item.key(), item.value());
    try {
      validate_point(point);
    } catch (const ConfigError& e) {
      fail<ConfigError>("sweep point ", sweep_point_id(overrides), ": ", e.what());
    }
  }
}

// Rules between keys of different sections that the per-key schema cannot state.
void check_cross_keys(const Json& config) {
  const Json window = effective_value(config, "probe.average_window");
  if (window.is_number_integer() && window.get<int64_t>() > 0) {
    const Json every = effective_value(config, "probe.sharpness_every");
    const int64_t e = every.is_number_integer() ? every.get<int64_t>() : 0;
    if (e <= 0 || window.get<int64_t>() > e)
      fail<ConfigError>("probe.average_window: ", window.get<int64_t>(), " must be at most ",
                        "probe.sharpness_every (", e, "), and sharpness_every must be > 0: ",
                        "each probe averages the iterates since the previous one at most");
  }
}

// Passes 1–4: everything but the profiles and sweep blocks.
void validate_point(const Json& config) {
  if (!config.is_object()) {
    fail<ConfigError>("config: expected a JSON object, got ", describe_value(config));
  }
  check_structure(config, "");
  check_keys(config);
  check_groups(config);
  check_cross_keys(config);
  // The data loader's source-specific rules (x_test with y_test, no "all" for synthetic
  // sizes, ...), so `gradlab validate` rejects what load_dataset would. Reads no file.
  if (const Json* data = find_path(config, "data")) {
    const Kind* kind = kind_of(config);
    resolve_data_config(*data, kind != nullptr ? kind->labels : LabelValues::ClassIds);
  }
}

}  // namespace

namespace {
// "edge_of_stability, double_descent, random_labels": the kinds whose devices include cuda.
std::string cuda_kinds() {
  std::vector<std::string> names;
  for (const Kind& kind : experiment_kind_table())
    if (std::find(kind.devices.begin(), kind.devices.end(), "cuda") != kind.devices.end())
      names.push_back(kind.name);
  return join_words(names);
}
}  // namespace

const KeySpec* applicable_spec(const Json& config, const std::string& path, std::string* why_not) {
  const SchemaIndex& index = schema_index();
  const auto found = index.specs.find(path);
  if (found == index.specs.end()) {
    if (why_not) *why_not = "is not a config key";
    return nullptr;
  }
  // The kind must read the key's block (gradlab/kind.h). An absent or unknown kind is the
  // `kind` key's own error, reported first.
  const std::string& block = found->second.front()->block;
  if (!block.empty()) {
    const Kind* kind = kind_of(config);
    if (kind != nullptr && !kind_reads_block(*kind, block, config)) {
      if (why_not) {
        std::vector<std::string> reads;
        for (const KindBlock& b : kind->blocks)
          if (kind_reads_block(*kind, b.block, config)) reads.push_back(b.block);
        *why_not = "does not apply to kind \"" + kind->name + "\" (it reads " +
                   join_words(reads) + ", besides kind, seed, sweep and profiles)";
        // `device` in particular: the kind computes on the CPU only (gradlab/kind.h devices).
        if (block == "device")
          *why_not = "does not apply to kind \"" + kind->name + "\": it computes on the CPU "
                     "only (\"cuda\" is for the kinds that train networks: " +
                     cuda_kinds() + ")";
      }
      return nullptr;
    }
  }
  std::vector<Json> allowed;  // the discriminator values of every spec of this path
  std::string discriminator;
  for (const KeySpec* spec : found->second) {
    if (spec->when.always()) return spec;
    discriminator = spec->when.key;
    allowed.insert(allowed.end(), spec->when.values.begin(), spec->when.values.end());
  }
  // Every spec of one path is conditioned on the same discriminator (a schema invariant).
  std::string inner;
  if (applicable_spec(config, discriminator, &inner) == nullptr) {
    // data.noise under data.source "npy": the reason is data.generator's own.
    if (why_not) *why_not = inner;
    return nullptr;
  }
  const Json value = effective_value(config, discriminator);
  for (const KeySpec* spec : found->second) {
    const auto& values = spec->when.values;
    if (std::find(values.begin(), values.end(), value) != values.end()) return spec;
  }
  if (why_not) {
    *why_not = "does not apply to " + discriminator_text(discriminator, value) + " (it is for " +
               discriminator + " " + join_values(allowed) + ")";
  }
  return nullptr;
}

Json effective_value(const Json& config, const std::string& path) {
  if (const Json* value = find_path(config, path)) return *value;
  const KeySpec* spec = applicable_spec(config, path);
  if (spec == nullptr) return nullptr;
  if (!spec->default_value.is_null()) return spec->default_value;
  if (!spec->default_from.empty()) return effective_value(config, spec->default_from);
  return nullptr;
}

void fill_defaults(Json& config) {
  for (const std::string& path : schema_index().paths) {
    const KeySpec* spec = applicable_spec(config, path);
    if (spec == nullptr) continue;
    if (const Json* value = find_path(config, path)) {
      const ValueType t = spec->type;
      if (t == ValueType::Int || (t == ValueType::IntOrString && value->is_number())) {
        set_path(config, path, as_integer_json(*value));
      } else if ((t == ValueType::IntList || t == ValueType::IntListOrString) &&
                 value->is_array()) {
        Json list = Json::array();
        for (const Json& item : *value) list.push_back(as_integer_json(item));
        set_path(config, path, list);
      }
      continue;
    }
    // Discriminators come first, so `spec` was chosen with their defaults already filled.
    Json fill = spec->default_value;
    if (fill.is_null() && !spec->default_from.empty()) {
      if (const Json* source = find_path(config, spec->default_from)) fill = *source;
    }
    if (!fill.is_null()) set_path(config, path, fill);
  }
}

std::vector<Json> sweep_combinations(const Json& sweep) {
  std::vector<std::pair<std::string, const Json*>> axes;  // sorted by key (nlohmann::json order)
  size_t count = 1;
  constexpr size_t kMaxPoints = 1000000;  // a guard against a typo'd sweep hanging validation
  for (const auto& item : sweep.items()) {
    axes.emplace_back(item.key(), &item.value());
    count *= item.value().size();
    if (count > kMaxPoints) {
      fail<ConfigError>("sweep: more than ", kMaxPoints, " points; split it into smaller sweeps");
    }
  }
  std::vector<Json> points;
  points.reserve(count);
  for (size_t p = 0; p < count; ++p) {
    Json overrides = Json::object();
    size_t rest = p;  // mixed radix, the last key varying fastest
    for (size_t a = axes.size(); a-- > 0;) {
      const size_t n = axes[a].second->size();
      overrides[axes[a].first] = (*axes[a].second)[rest % n];
      rest /= n;
    }
    points.push_back(std::move(overrides));
  }
  return points;
}

}  // namespace gradlab::config

namespace gradlab {

// Declared in gradlab/kind.h; here, beside the key applicability it decides, so the dotted
// path lookup is config's own find_path.
bool kind_reads_block(const Kind& kind, const std::string& block, const Json& config) {
  for (const KindBlock& b : kind.blocks) {
    if (b.block != block) continue;
    if (b.unless_key.empty()) return true;
    const Json* value = config::find_path(config, b.unless_key);
    return value == nullptr || std::find(b.unless_values.begin(), b.unless_values.end(),
                                         *value) == b.unless_values.end();
  }
  return false;
}

void validate_config(const Json& config) {
  config::validate_point(config);
  if (const Json* profiles = config.is_object() ? config::find_path(config, "profiles") : nullptr) {
    config::check_profiles(*profiles);
  }
  if (config.contains("sweep")) config::check_sweep(config);
}

}  // namespace gradlab
