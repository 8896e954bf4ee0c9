// schema_builder.h — the small fluent builder the schema tables are written with
// (schema.cpp, schema_data.cpp), so that adding a config key is one line:
//
//   key("optim.lr", T::Number, required, "step size η").at_least(0),
//   key("optim.momentum", T::Number, 0.9, "...").in(0, 1).when("optim.type", {"momentum"}),
#pragma once

#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "gradlab/config.h"

namespace gradlab::config::schema_tables {

using T = ValueType;
inline const Json required;  // null default: the key must be given where it applies
constexpr double kInf = std::numeric_limits<double>::infinity();

// Fluent construction of one KeySpec (see key() below).
class KeyBuilder {
 public:
  KeyBuilder(std::string path, ValueType type, Json default_value, std::string doc) {
    spec_.path = std::move(path);
    spec_.type = type;
    spec_.default_value = std::move(default_value);
    spec_.doc = std::move(doc);
  }
  KeyBuilder& one_of(std::vector<Json> choices) {
    spec_.choices = std::move(choices);
    return *this;
  }
  KeyBuilder& in(double lo, double hi) {
    spec_.min = lo;
    spec_.max = hi;
    return *this;
  }
  KeyBuilder& at_least(double lo) { return in(lo, kInf); }
  KeyBuilder& items(std::size_t lo, std::size_t hi = std::numeric_limits<std::size_t>::max()) {
    spec_.min_items = lo;
    spec_.max_items = hi;
    return *this;
  }
  KeyBuilder& when(std::string discriminator, std::vector<Json> values) {
    spec_.when = {std::move(discriminator), std::move(values)};
    return *this;
  }
  KeyBuilder& optional() {
    spec_.optional = true;
    return *this;
  }
  KeyBuilder& default_from(std::string path) {
    spec_.default_from = std::move(path);
    return *this;
  }
  operator KeySpec() const { return spec_; }  // NOLINT: the builder's whole point

 private:
  KeySpec spec_;
};

// key(path, type, default or `required`, doc), then .one_of / .in / .at_least / .items /
// .when / .optional / .default_from as needed.
inline KeyBuilder key(std::string path, ValueType type, Json default_value, std::string doc) {
  return KeyBuilder(std::move(path), type, std::move(default_value), std::move(doc));
}

// The sections, one function each (schema.cpp; data keys in schema_data.cpp).
// data_keys() gates the data block on `kind` being one of model_kinds (every kind that
// trains a model on data, i.e. all but quadratic_gd).
std::vector<KeySpec> data_keys(const std::vector<Json>& model_kinds);

}  // namespace gradlab::config::schema_tables
