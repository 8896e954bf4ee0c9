// gradlab/config_keys.h — the small fluent builder the schema tables are written with
// (src/config/schema.cpp, schema_data.cpp, and each kind's own keys in
// src/experiments/kinds/), so that adding a config key is one line:
//
//   key("optim.lr", T::Number, required, "step size η").at_least(0),
//   key("optim.momentum", T::Number, 0.9, "...").in(0, 1).when("optim.type", {"momentum"}),
#pragma once

#include <initializer_list>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "gradlab/config.h"

namespace gradlab::config::schema_tables {

using T = ValueType;
inline const Json required;  // null default: the key must be given where it applies
constexpr double kInf = std::numeric_limits<double>::infinity();

// Fluent construction of one KeySpec (see key() below). The members are defined out of line
// (schema_builder.cpp) and take string lists as `const char*` arrays: written inline with
// std::vector<Json> literals, every key cost a few hundred bytes of code (one nlohmann
// constructor instantiation per string length, vector copies), ~80 KB of the browser module
// for a table that is built once.
using Names = std::initializer_list<const char*>;

class KeyBuilder {
 public:
  KeyBuilder(const char* path, ValueType type, Json default_value, const char* doc);
  // Each step works on the temporary key(...) made and hands it on (rvalue-qualified: the
  // KeySpec is moved, never copied, into the section's list).
  KeyBuilder&& one_of(Names choices) &&;
  KeyBuilder&& one_of(const std::vector<Json>& choices) &&;
  KeyBuilder&& in(double lo, double hi) &&;
  KeyBuilder&& at_least(double lo) &&;
  KeyBuilder&& items(std::size_t lo, std::size_t hi = std::numeric_limits<std::size_t>::max()) &&;
  KeyBuilder&& when(const char* discriminator, Names values) &&;
  KeyBuilder&& when(const char* discriminator, const std::vector<Json>& values) &&;
  KeyBuilder&& optional() &&;
  KeyBuilder&& default_from(const char* path) &&;
  // The key is read by every kind (train.log_time: the runner's), not only by the kinds that
  // read its block (KeySpec::block).
  KeyBuilder&& any_kind() &&;
  operator KeySpec() &&;  // NOLINT: the builder's whole point

 private:
  KeySpec spec_;
};

// key(path, type, default or `required`, doc), then .one_of / .in / .at_least / .items /
// .when / .optional / .default_from as needed. A string default is passed as `const char*`
// (one Json constructor, not one per literal length).
KeyBuilder key(const char* path, ValueType type, Json default_value, const char* doc);
KeyBuilder key_with_string_default(const char* path, ValueType type, const char* default_value,
                                   const char* doc);
// (A template on the literal, not a `const char*` overload: a default of 0 would choose that.)
template <std::size_t N>
KeyBuilder key(const char* path, ValueType type, const char (&default_value)[N], const char* doc) {
  return key_with_string_default(path, type, default_value, doc);
}

// A list of names as Json strings (the shared choice lists: kinds, activations, ...).
std::vector<Json> names(Names list);

// The data block's keys (schema_data.cpp); the other shared sections are in schema.cpp and
// each kind's own keys in its kind file (gradlab/kind.h).
std::vector<KeySpec> data_keys();

}  // namespace gradlab::config::schema_tables
