// values.cpp — checking one value against its KeySpec: type, range, choices, list length,
// each list element; and the words that say what a key accepts ("an integer or \"full\"").
#include <algorithm>
#include <cmath>

#include "config/config_internal.h"
#include "gradlab/error.h"

namespace gradlab::config {
namespace {

bool is_integral(const Json& v) {
  if (v.is_number_integer()) return true;
  if (!v.is_number_float()) return false;
  const double x = v.get<double>();
  // 2^53: beyond it a double no longer holds every integer, so 1e300 is not "an integer".
  return std::isfinite(x) && x == std::floor(x) && std::fabs(x) <= 9007199254740992.0;
}

}  // namespace

// So readers of the resolved config can call get<int64_t>() on every integer key.
Json as_integer_json(const Json& v) {
  return v.is_number_float() ? Json(static_cast<int64_t>(v.get<double>())) : v;
}

namespace {

std::string quoted_choices(const std::vector<Json>& choices) {
  std::string out;
  for (size_t i = 0; i < choices.size(); ++i) out += (i ? " or " : "") + choices[i].dump();
  return out;
}

enum class Scalar { Int, Number, String };

std::string scalar_expected(Scalar kind, const KeySpec& spec) {
  switch (kind) {
    case Scalar::Int:
      return "an integer";
    case Scalar::Number:
      return "a number";
    case Scalar::String:
      return spec.choices.empty() ? "a string" : "one of " + join_values(spec.choices);
  }
  return "";
}

void check_range(const KeySpec& spec, double x, const std::string& text, const std::string& where) {
  if (x >= spec.min && x <= spec.max) return;
  if (std::isfinite(spec.min) && std::isfinite(spec.max)) {
    fail<ConfigError>(where, ": ", text, " is outside [", format_number(spec.min), ", ",
                      format_number(spec.max), "]");
  }
  if (x < spec.min)
    fail<ConfigError>(where, ": ", text, " is below the minimum ", format_number(spec.min));
  fail<ConfigError>(where, ": ", text, " is above the maximum ", format_number(spec.max));
}

void check_choice(const KeySpec& spec, const Json& v, const std::string& where) {
  if (spec.choices.empty() ||
      std::find(spec.choices.begin(), spec.choices.end(), v) != spec.choices.end()) {
    return;
  }
  std::vector<std::string> words;
  for (const Json& c : spec.choices)
    words.push_back(c.is_string() ? c.get<std::string>() : c.dump());
  const std::string* guess = closest_word(v.get<std::string>(), words);
  fail<ConfigError>(where, ": ", v.dump(), " is not one of ", join_words(words),
                    guess ? " — did you mean " + *guess + "?" : std::string());
}

// One scalar (a key's value, or one element of a list). `expected` is the whole key's
// description, so a wrong type reads "expected an integer or \"full\"".
void check_scalar(Scalar kind, const KeySpec& spec, const Json& v, const std::string& where,
                  const std::string& expected) {
  switch (kind) {
    case Scalar::Int:
      if (!is_integral(v))
        fail<ConfigError>(where, ": expected ", expected, ", got ", describe_value(v));
      check_range(spec, v.get<double>(), format_number(v.get<double>()), where);
      return;
    case Scalar::Number:
      if (!v.is_number())
        fail<ConfigError>(where, ": expected ", expected, ", got ", describe_value(v));
      check_range(spec, v.get<double>(), format_number(v.get<double>()), where);
      return;
    case Scalar::String:
      if (!v.is_string())
        fail<ConfigError>(where, ": expected ", expected, ", got ", describe_value(v));
      check_choice(spec, v, where);
      return;
  }
}

// v must be an array whose length is within [min_items, max_items].
void check_list_length(const KeySpec& spec, const Json& v, const std::string& where) {
  if (!v.is_array()) {
    fail<ConfigError>(where, ": expected ", expected_text(spec), ", got ", describe_value(v));
  }
  const size_t n = v.size();
  if (n < spec.min_items || n > spec.max_items) {
    const auto plural = [](size_t k) { return std::to_string(k) + (k == 1 ? " item" : " items"); };
    std::string want = spec.min_items == spec.max_items ? plural(spec.min_items)
                       : n < spec.min_items             ? "at least " + plural(spec.min_items)
                                                        : "at most " + plural(spec.max_items);
    fail<ConfigError>(where, ": expected ", want, ", got ", describe_value(v));
  }
}

void check_list(Scalar element, const KeySpec& spec, const Json& v, const std::string& where) {
  check_list_length(spec, v, where);
  const size_t n = v.size();
  for (size_t i = 0; i < n; ++i) {
    check_scalar(element, spec, v[i], where + "[" + std::to_string(i) + "]",
                 scalar_expected(element, spec));
  }
}

// A table of numbers: rows of one length (the first row's), each number in range.
void check_rows(const KeySpec& spec, const Json& v, const std::string& where) {
  check_list_length(spec, v, where);
  size_t width = 0;
  for (size_t i = 0; i < v.size(); ++i) {
    const std::string row_where = where + "[" + std::to_string(i) + "]";
    const Json& row = v[i];
    if (!row.is_array() || row.empty()) {
      fail<ConfigError>(row_where, ": expected a row of numbers such as [0.5, -1], got ",
                        describe_value(row));
    }
    if (i == 0) width = row.size();
    if (row.size() != width) {
      fail<ConfigError>(row_where, ": has ", row.size(), row.size() == 1 ? " number" : " numbers",
                        " but ", where, "[0] has ", width, " (every row needs the same length)");
    }
    for (size_t j = 0; j < row.size(); ++j) {
      check_scalar(Scalar::Number, spec, row[j], row_where + "[" + std::to_string(j) + "]",
                   "a number");
    }
  }
}

}  // namespace

std::string expected_text(const KeySpec& spec) {
  switch (spec.type) {
    case ValueType::Int:
      return "an integer";
    case ValueType::Number:
      return "a number";
    case ValueType::Bool:
      return "true or false";
    case ValueType::String:
      return spec.choices.empty() ? "a string" : "one of " + join_values(spec.choices);
    case ValueType::Path:
      return "a file path (a non-empty string)";
    case ValueType::IntList:
      return "a list of integers";
    case ValueType::NumberList:
      return "a list of numbers";
    case ValueType::StringList:
      return spec.choices.empty() ? "a list of strings"
                                  : "a list of names from " + join_values(spec.choices);
    case ValueType::IntOrString:
      return "an integer or " + quoted_choices(spec.choices);
    case ValueType::NumberOrString:
      return "a number or " + quoted_choices(spec.choices);
    case ValueType::IntListOrString:
      return "a list of integers or " + quoted_choices(spec.choices);
    case ValueType::Object:
      return "an object";
    case ValueType::NumberRows:
      return "a list of rows of numbers, all of one length ([[x1, x2], ...])";
  }
  return "";
}

void check_value(const KeySpec& spec, const Json& v, const std::string& where) {
  const std::string expected = expected_text(spec);
  const auto wrong_type = [&] {
    fail<ConfigError>(where, ": expected ", expected, ", got ", describe_value(v));
  };
  switch (spec.type) {
    case ValueType::Int:
      return check_scalar(Scalar::Int, spec, v, where, expected);
    case ValueType::Number:
      return check_scalar(Scalar::Number, spec, v, where, expected);
    case ValueType::String:
      return check_scalar(Scalar::String, spec, v, where, expected);
    case ValueType::Bool:
      if (!v.is_boolean()) wrong_type();
      return;
    case ValueType::Path:
      if (!v.is_string() || v.get<std::string>().empty()) wrong_type();
      return;
    case ValueType::Object:
      if (!v.is_object()) wrong_type();
      return;
    case ValueType::NumberRows:
      return check_rows(spec, v, where);
    case ValueType::IntList:
      return check_list(Scalar::Int, spec, v, where);
    case ValueType::NumberList:
      return check_list(Scalar::Number, spec, v, where);
    case ValueType::StringList:
      return check_list(Scalar::String, spec, v, where);
    case ValueType::IntOrString:
    case ValueType::NumberOrString:
      if (v.is_string()) {
        if (std::find(spec.choices.begin(), spec.choices.end(), v) == spec.choices.end()) {
          wrong_type();
        }
        return;
      }
      return check_scalar(spec.type == ValueType::IntOrString ? Scalar::Int : Scalar::Number, spec,
                          v, where, expected);
    case ValueType::IntListOrString:
      if (v.is_string()) {
        if (std::find(spec.choices.begin(), spec.choices.end(), v) == spec.choices.end()) {
          wrong_type();
        }
        return;
      }
      if (!v.is_array()) wrong_type();
      return check_list(Scalar::Int, spec, v, where);
  }
}

}  // namespace gradlab::config
