// gradlab/json_text.h — JSON read from outside bytes (files a user hands the CLI, a dropped
// metrics file, a safetensors header), parsed with bounds.
//
// nlohmann::json parses any nesting depth iteratively, but copying, comparing and dumping a
// value recurse once per level, so "[[[[..." a million levels deep parses fine and then
// overflows the stack. Every reader of outside JSON goes through here (the config's own
// parser, src/config/resolve.cpp, applies the same bound in its callback).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace gradlab {

// Deeper than any file gradlab writes or reads (a config is about 5 levels, a metrics row 3).
constexpr int kMaxJsonDepth = 64;

// Parses `text`; IOError "NAME: not valid JSON (...)" on a syntax error, and
// "NAME: JSON nested deeper than 64 levels" past kMaxJsonDepth. `name` names the file (and
// line) in the message, which is always one line.
nlohmann::json parse_json_text(const std::string& text, const std::string& name);

// `text` from a file as it goes into a one-line message: control characters escaped (\n,
// \x1f), with `ascii_only` every byte past ASCII too (for text that may not be UTF-8), cut
// after `max_chars` characters with "...".
std::string one_line(const std::string& text, size_t max_chars = 120, bool ascii_only = false);

// The parse error's reason without nlohmann's "[json.exception.parse_error.101] parse error at
// line 1, column 5: " prefix (callers print their own position).
std::string json_error_reason(const std::string& what);

}  // namespace gradlab
