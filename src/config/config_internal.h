// config_internal.h — what the files of src/config/ share: path helpers, value
// descriptions for messages, the schema index and key applicability.
//
//   schema.cpp     the KeySpec table, one function per section
//   schema_data.cpp  the data block's keys; schema_builder.h the builder of both tables
//   values.cpp     one value against its KeySpec
//   validate.cpp   applicability, unknown keys, validate_config, defaults, sweep points
//   util.cpp       paths, message words, "did you mean", the schema index
//   resolve.cpp    parsing files, --set, profiles, resolve_config, sweeps, shards
//   schema_doc.cpp schema_json and schema_markdown
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "gradlab/config.h"

namespace gradlab::config {

// ---- paths ("optim.schedule.type") ---------------------------------------------------------

std::vector<std::string> split_path(const std::string& path);  // ConfigError on empty parts
std::string parent_path(const std::string& path);              // "optim.schedule" or ""
std::string leaf_name(const std::string& path);                // "type"
// The value at path, or nullptr when any part is absent (or not an object).
const Json* find_path(const Json& config, const std::string& path);
// Sets the value at path, creating sections; ConfigError if a part holds a non-object.
void set_path(Json& config, const std::string& path, const Json& value);
void erase_path(Json& config, const std::string& path);

// ---- words for messages ----------------------------------------------------------------------

// "the string \"fast\"", "the number 2.5", "true", "null", "the list [1,2]", "an object".
std::string describe_value(const Json& value);
// 1 → "1", 0.5 → "0.5", 1e-08 → "1e-08": numbers as a user would write them.
std::string format_number(double x);
// JSON values joined by ", ", strings unquoted: "gd, sgd, adam".
std::string join_values(const std::vector<Json>& values);
std::string join_words(const std::vector<std::string>& words, const char* separator = ", ");
// Optimal-string-alignment distance (Levenshtein plus adjacent swaps: "trian" → "train" is 1).
std::size_t edit_distance(const std::string& a, const std::string& b);
// The word of `candidates` closest to `word` if it is close enough to be a likely typo.
const std::string* closest_word(const std::string& word,
                                const std::vector<std::string>& candidates);

// ---- the schema, indexed ---------------------------------------------------------------------

struct SchemaIndex {
  std::vector<std::string> paths;                            // each key path once, in schema order
  std::map<std::string, std::vector<const KeySpec*>> specs;  // path → its specs
  // Section path ("" = top level, "optim", "optim.schedule") → the names directly inside.
  std::map<std::string, std::vector<std::string>> children;
  bool is_key(const std::string& path) const { return specs.count(path) > 0; }
  bool is_section(const std::string& path) const { return children.count(path) > 0; }
};
const SchemaIndex& schema_index();

// The spec of `path` that applies to config, or nullptr (then *why_not, if given, says why:
// "does not apply to model.type \"cnn\" (it is for model.type mlp)").
const KeySpec* applicable_spec(const Json& config, const std::string& path,
                               std::string* why_not = nullptr);
// The key's value in config, else its default where it applies, else null.
Json effective_value(const Json& config, const std::string& path);

// "an integer", "one of gd, sgd, ...", "a number or \"inf\"": what a spec accepts, for messages.
std::string expected_text(const KeySpec& spec);
// Integral floats (1e3) as integers (1000); anything else unchanged.
Json as_integer_json(const Json& value);
// Checks one present value against its spec; throws ConfigError naming `where`.
void check_value(const KeySpec& spec, const Json& value, const std::string& where);

// Fills every absent key that applies and has a default (or default_from), and stores
// integral numbers of Int keys as integers. Assumes a validated config.
void fill_defaults(Json& config);

// ---- sweeps ----------------------------------------------------------------------------------

// Every combination of a (checked) sweep block, as {"key.path": value} objects: keys in sorted
// order, the last varying fastest. ConfigError above a million points.
std::vector<Json> sweep_combinations(const Json& sweep);
// "model.widths=100x100,optim.lr=0.01": a folder-safe name for one combination.
std::string sweep_point_id(const Json& overrides);

// Throws "unknown key PATH — did you mean ...?" (the prefix names where it was found).
[[noreturn]] void unknown_key(const std::string& path, const std::string& prefix = "");

}  // namespace gradlab::config
