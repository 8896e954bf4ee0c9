// JSON from outside bytes, parsed with a depth bound (see include/gradlab/json_text.h).
#include "gradlab/json_text.h"

#include "gradlab/error.h"

namespace gradlab {

std::string one_line(const std::string& text, size_t max_chars, bool ascii_only) {
  static const char digits[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (out.size() >= max_chars) return out + "...";
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '\n') {
      out += "\\n";
    } else if (c < 0x20 || c == 0x7f || (ascii_only && c >= 0x80)) {
      out += "\\x";
      out += digits[c >> 4];
      out += digits[c & 15];
    } else {
      out += static_cast<char>(c);  // UTF-8 passes through: names may be non-English
    }
  }
  return out;
}

std::string json_error_reason(const std::string& what) {
  const size_t column = what.find("column ");
  const size_t colon = what.find(": ", column == std::string::npos ? 0 : column);
  std::string reason = colon == std::string::npos ? what : what.substr(colon + 2);
  // nlohmann quotes the offending bytes ("last read: '...'"), which may be any bytes (invalid
  // UTF-8 included: the message would not even be text).
  return one_line(reason, 200, /*ascii_only=*/true);
}

nlohmann::json parse_json_text(const std::string& text, const std::string& name) {
  const nlohmann::json::parser_callback_t bound_depth = [&](int depth,
                                                            nlohmann::json::parse_event_t event,
                                                            nlohmann::json&) {
    if ((event == nlohmann::json::parse_event_t::object_start ||
         event == nlohmann::json::parse_event_t::array_start) &&
        depth >= kMaxJsonDepth) {
      fail<IOError>(name, ": JSON nested deeper than ", kMaxJsonDepth, " levels");
    }
    return true;
  };
  try {
    return nlohmann::json::parse(text, bound_depth);
  } catch (const nlohmann::json::parse_error& e) {
    fail<IOError>(name, ": not valid JSON (", json_error_reason(e.what()), ")");
  } catch (const nlohmann::json::out_of_range& e) {
    // A number past double's range (1e999): nlohmann throws out_of_range.406, not a parse
    // error (found by fuzz_safetensors).
    fail<IOError>(name, ": not valid JSON (", json_error_reason(e.what()), ")");
  }
}

}  // namespace gradlab
