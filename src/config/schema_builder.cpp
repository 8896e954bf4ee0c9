// schema_builder.cpp — the out-of-line half of the schema tables' builder (schema_builder.h):
// one copy of the code that turns `const char*` lists into Json, shared by every key.
#include "gradlab/config_keys.h"

namespace gradlab::config::schema_tables {

std::vector<Json> names(Names list) {
  std::vector<Json> out;
  out.reserve(list.size());
  for (const char* name : list) out.emplace_back(std::string(name));
  return out;
}

KeyBuilder::KeyBuilder(const char* path, ValueType type, Json default_value, const char* doc) {
  spec_.path = path;
  spec_.type = type;
  spec_.default_value = std::move(default_value);
  spec_.doc = doc;
  // The block a kind must read for this key to apply: the first part of its path (optim.lr
  // → optim, loss → loss).
  const std::string full(path);
  spec_.block = full.substr(0, full.find('.'));
}

KeyBuilder&& KeyBuilder::one_of(Names choices) && {
  spec_.choices = names(choices);
  return std::move(*this);
}

KeyBuilder&& KeyBuilder::one_of(const std::vector<Json>& choices) && {
  spec_.choices = choices;
  return std::move(*this);
}

KeyBuilder&& KeyBuilder::in(double lo, double hi) && {
  spec_.min = lo;
  spec_.max = hi;
  return std::move(*this);
}

KeyBuilder&& KeyBuilder::at_least(double lo) && { return std::move(*this).in(lo, kInf); }

KeyBuilder&& KeyBuilder::items(std::size_t lo, std::size_t hi) && {
  spec_.min_items = lo;
  spec_.max_items = hi;
  return std::move(*this);
}

KeyBuilder&& KeyBuilder::when(const char* discriminator, Names values) && {
  spec_.when = {discriminator, names(values)};
  return std::move(*this);
}

KeyBuilder&& KeyBuilder::when(const char* discriminator, const std::vector<Json>& values) && {
  spec_.when = {discriminator, values};
  return std::move(*this);
}

KeyBuilder&& KeyBuilder::optional() && {
  spec_.optional = true;
  return std::move(*this);
}

KeyBuilder&& KeyBuilder::default_from(const char* path) && {
  spec_.default_from = path;
  return std::move(*this);
}

KeyBuilder&& KeyBuilder::any_kind() && {
  spec_.block.clear();
  return std::move(*this);
}

KeyBuilder::operator KeySpec() && { return std::move(spec_); }

KeyBuilder key(const char* path, ValueType type, Json default_value, const char* doc) {
  return KeyBuilder(path, type, std::move(default_value), doc);
}

KeyBuilder key_with_string_default(const char* path, ValueType type, const char* default_value,
                                   const char* doc) {
  return KeyBuilder(path, type, Json(std::string(default_value)), doc);
}

}  // namespace gradlab::config::schema_tables
