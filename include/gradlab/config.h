// gradlab/config.h — the experiment config: its schema, validation, profiles, --set and sweeps.
//
// One table of KeySpecs (src/config/schema.cpp) is the single source of truth for every
// config key: it validates configs (natively and in WASM), fills the defaults written to
// the resolved config.json, is exported as JSON for the browser lab (schema_json) and
// generates the key reference in docs/config.md (schema_markdown).
//
// From a user's file to the config of one run:
//   load_config_file → resolve_config(user, {profile, sets})
//     1. the named profile's overrides,  2. each --set,  3. validate,  4. fill defaults,
//     5. drop `profiles` and `sweep` (the resolved config is what one run reads).
//   A config with a `sweep` block: expand_sweep(user, options) → one SweepPoint per point of
//   the Cartesian product, each resolved exactly as `gradlab run` with --set key=value would.
//
// Every problem throws ConfigError (IOError for a missing file) with one line that names the
// key path and what was expected ("unknown key optim.lrr — did you mean optim.lr?").
#pragma once

#include <cstddef>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

namespace gradlab {

using Json = nlohmann::json;

// ---- the schema -------------------------------------------------------------------------------

enum class ValueType {
  Int,              // an integer (an integral number such as 1e3 is accepted and stored as 1000)
  Number,           // any JSON number
  Bool,             // true or false (not 0/1)
  String,           // a string; `choices`, when given, lists the allowed ones
  Path,             // a non-empty string naming a file or folder
  IntList,          // a list of integers; min/max bound each element
  NumberList,       // a list of numbers
  StringList,       // a list of strings, each one of `choices`
  IntOrString,      // an integer, or one of the strings in `choices` (batch_size: 64 or "full")
  NumberOrString,   // a number, or one of the strings in `choices` (svm.C: 10 or "inf")
  IntListOrString,  // a list of integers, or one of the strings in `choices` (classes: "all")
  Object,           // a free-form JSON object (its contents are not checked here)
  NumberRows,       // a list of rows, each a non-empty list of numbers, all of one length
                    // (data.points: [[x1, x2], ...]); min/max bound each number,
                    // min_items/max_items the number of rows
};

// Where a key applies: only when the discriminator `key` has one of `values`. An empty key
// means always. Conditions chain: a key also needs its discriminator to apply itself, so
// data.noise (when data.generator is two_moons, ...) needs data.source = synthetic.
struct Condition {
  std::string key;
  std::vector<Json> values;
  bool always() const { return key.empty(); }
};

struct KeySpec {
  std::string path;  // "optim.lr": sections and key joined by dots
  ValueType type = ValueType::String;
  // The value filled in when the key is absent. null: no default — the key is required
  // where it applies, unless `optional` or `default_from` says otherwise.
  Json default_value;
  bool optional = false;      // may stay absent; `doc` says what absence means
  std::string default_from;   // absent: copy this key's value (data.stride ← data.seq_len)
  std::vector<Json> choices;  // allowed strings (String, StringList, the string of *OrString)
  double min = -std::numeric_limits<double>::infinity();  // bounds for numbers, inclusive;
  double max = std::numeric_limits<double>::infinity();   // each element of a numeric list
  std::size_t min_items = 0;                              // list lengths
  std::size_t max_items = std::numeric_limits<std::size_t>::max();
  std::string doc;  // one line for docs/config.md, `gradlab list` and the browser
  Condition when;
  // The config block the key belongs to (the first part of its path): it applies only to
  // kinds that read that block (gradlab/kind.h). Empty: it applies to every kind (kind,
  // seed, the runner's train.log_time, train.checkpoint_every and train.checkpoint_seconds,
  // sweep, profiles).
  std::string block;

  bool required() const { return default_value.is_null() && !optional && default_from.empty(); }
};

// The whole schema. A path may have several KeySpecs whose conditions are disjoint values
// of one discriminator, when the key's default or range depends on it (optim.momentum is
// 0 for sgd and 0.9 for momentum). Keys are ordered so a discriminator comes before the
// keys that depend on it.
struct ConfigSchema {
  std::vector<KeySpec> keys;
  // Groups of keys of which a config gives exactly one (train.steps / train.epochs).
  std::vector<std::vector<std::string>> exactly_one_of;
};
const ConfigSchema& config_schema();

// The schema as JSON, for the browser lab and tools:
// {"keys": [{"path", "type", "doc", "default"?, "required", "optional", "default_from"?,
//            "choices"?, "min"?, "max"?, "min_items"?, "max_items"?,
//            "when"?: {"key", "values"}, "block"?}, ...],
//  "kinds": [{"name", "description", "blocks", "blocks_unless", "devices", "row_keys",
//             "page"}, ...]   (gradlab/kind.h),
//  "sections": ["data", "model", ...], "exactly_one_of": [["train.steps", "train.epochs"]]}
// Infinite bounds and unbounded lengths are omitted.
Json schema_json();
// The key reference of docs/config.md (Markdown tables, one per section), generated so the
// docs cannot drift from the schema (tests/config/test_config.cpp compares them).
std::string schema_markdown();

// ---- files and checks -------------------------------------------------------------------------

// Reads and parses a config file. IOError if it cannot be read; ConfigError
// "FILE:LINE:COLUMN: invalid JSON: ..." on a syntax error, on a duplicate key, or when the
// top level is not an object.
Json load_config_file(const std::string& path);
// The same for text already in memory (the browser); `source_name` names it in messages.
Json parse_config_text(const std::string& text, const std::string& source_name = "config");

// Checks a config (a user's, or a resolved one): unknown keys (with "did you mean"), types,
// ranges, choices, keys that do not apply, missing required keys, exactly-one-of groups, the
// data block's source-specific rules (gradlab::resolve_data_config), the `profiles` block's
// keys, and every point of the `sweep` block. Throws ConfigError on the first problem.
void validate_config(const Json& config);

// ---- profiles, --set, resolving --------------------------------------------------------------

struct ResolveOptions {
  std::string profile;            // name of an entry of `profiles`; empty = none
  std::vector<std::string> sets;  // "key.path=value", applied in order after the profile
};

// profile, then the --set assignments, then validate, then fill defaults; drops `profiles`
// and `sweep`. A config with a sweep block resolves to its base point (the config with no
// swept key overridden); use expand_sweep for the points. Idempotent: resolving a resolved
// config returns it unchanged.
Json resolve_config(const Json& user, const ResolveOptions& options = {});

// Applies "key.path=value" to config. The value is parsed as JSON if it is valid JSON
// (0.1, true, [200, 200], "quoted"), else taken as a plain string (tanh, /data/x.npy).
// Missing sections are created; an object value replaces the key as a whole; null removes
// the key (its default applies again). "sweep.optim.lr=[0.1,0.2]" sets one sweep entry and
// "profiles.web.data.n_train=500" one profile entry (their keys contain dots).
// The key itself is checked later, by validate_config.
void apply_set(Json& config, const std::string& assignment);

// The profile's overrides ({"data.n_train": 500, ...}) applied to config, as --set would.
// ConfigError for an unknown profile name, listing the available ones.
void apply_profile(Json& config, const std::string& profile);

// ---- sweeps ----------------------------------------------------------------------------------

struct SweepPoint {
  std::string id;  // names the swept values: "model.widths=100x100,optim.lr=0.01"
  Json overrides;  // {"model.widths": [100, 100], "optim.lr": 0.01}
  Json config;     // the resolved config of this run (no sweep, no profiles)
};

// The points of config's sweep block: the Cartesian product of its value lists, keys in
// sorted order with the first key varying slowest (nested loops). Each point's config is
// resolve_config of the user config with the point's values applied after the profile and
// the --set values, so `gradlab sweep` and `gradlab run --set` agree. A --set of a swept key
// is an error (the sweep would silently override it). No sweep block: one point, id "run".
//
// Note: this takes the *user* config (as loaded), not a resolved one, so defaults that
// depend on a swept discriminator (optim.momentum under a sweep of optim.type) come out
// right for every point.
std::vector<SweepPoint> expand_sweep(const Json& user, const ResolveOptions& options = {});

// The points of shard `index` of `count` for `--shard I/N`: 1-based (1 <= index <= count),
// round robin — point p (0-based) goes to shard (p % count) + 1, so shards get similar
// mixes of cheap and costly points. The shards of 1..count partition the points.
std::vector<SweepPoint> shard(const std::vector<SweepPoint>& points, int index, int count);
// Parses "I/N" (e.g. "2/4") for shard(); ConfigError naming --shard otherwise.
std::pair<int, int> parse_shard(const std::string& spec);

}  // namespace gradlab
