// gradlab/text.h — building messages and small generated text without iostreams.
//
// Any use of std::ostringstream links the whole iostream + locale machinery (every facet, for
// char and wchar_t, with their tables): about 45 KB of the browser module's gzipped download
// (docs/benchmarks.md, "Browser lab"). Error messages, descriptions and generated snippets only
// need a string that numbers and text are appended to, so that is what TextBuilder is:
//
//   TextBuilder os;  os << "matmul: " << n << " x " << 0.5;  os.str() == "matmul: 3 x 0.5"
//
// It prints what `std::ostream <<` prints with default flags, so messages read the same:
// integers in decimal, floating point like printf's %g (6 significant digits), bool as 1 / 0,
// char (and signed / unsigned char) as the character, unscoped enums as their number; and
// Hex{v} as `std::hex << v` prints v (lowercase digits, no prefix).
#pragma once

#include <cstdio>
#include <string>
#include <string_view>
#include <type_traits>

namespace gradlab {

// An unsigned integer to print in hexadecimal: fail<IOError>("magic 0x", Hex{magic}).
struct Hex {
  unsigned long long value;
};

class TextBuilder {
 public:
  TextBuilder& operator<<(std::string_view s) {
    text_.append(s.data(), s.size());
    return *this;
  }
  TextBuilder& operator<<(const char* s) {
    text_ += s;
    return *this;
  }
  TextBuilder& operator<<(char c) {
    text_ += c;
    return *this;
  }
  TextBuilder& operator<<(Hex h) {
    char buf[20];
    std::snprintf(buf, sizeof buf, "%llx", h.value);
    text_ += buf;
    return *this;
  }
  template <class T, std::enable_if_t<std::is_arithmetic_v<T> || std::is_enum_v<T>, int> = 0>
  TextBuilder& operator<<(T value) {
    if constexpr (std::is_enum_v<T>) {
      static_assert(std::is_convertible_v<T, std::underlying_type_t<T>>,
                    "a scoped enum has no default text: pass its name");
      *this << static_cast<std::underlying_type_t<T>>(value);
    } else if constexpr (std::is_same_v<T, bool>) {
      text_ += value ? '1' : '0';
    } else if constexpr (std::is_same_v<T, signed char> || std::is_same_v<T, unsigned char>) {
      text_ += static_cast<char>(value);
    } else if constexpr (std::is_floating_point_v<T>) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%g", static_cast<double>(value));
      text_ += buf;
    } else {
      text_ += std::to_string(value);
    }
    return *this;
  }

  const std::string& str() const { return text_; }

 private:
  std::string text_;
};

}  // namespace gradlab
