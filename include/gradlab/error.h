// gradlab/error.h — typed errors.
//
// Every error the core raises is a gradlab::Error (a std::runtime_error) whose
// message names the operation and the offending shapes / keys / files, so the
// CLI can print one clear line (exit 2) and the WASM boundary can turn it into
// a JS Error with the same text. Nothing in the core calls exit() or abort().
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "gradlab/text.h"

namespace gradlab {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};
// Incompatible or invalid shapes (matmul inner dims, broadcasting, reshape sizes).
class ShapeError : public Error {
 public:
  using Error::Error;
};
// Wrong or mixed dtypes.
class DTypeError : public Error {
 public:
  using Error::Error;
};
// An axis, index or other argument outside its valid range.
class IndexError : public Error {
 public:
  using Error::Error;
};
// Invalid value (negative probability, NaN where not allowed, ...).
class ValueError : public Error {
 public:
  using Error::Error;
};
// Misuse of the autograd engine (grad of a tensor that does not require grad, ...).
class AutogradError : public Error {
 public:
  using Error::Error;
};
// Config / CLI input problems (unknown key, wrong type).
class ConfigError : public Error {
 public:
  using Error::Error;
};
// Files: missing, truncated, wrong magic, wrong dtype.
class IOError : public Error {
 public:
  using Error::Error;
};
// A requested backend/device that is not available (e.g. CUDA without a GPU).
class DeviceError : public Error {
 public:
  using Error::Error;
};

// "[2, 3]" — how shapes appear in every error message.
inline std::string shape_str(const std::vector<int64_t>& s) {
  TextBuilder os;
  os << '[';
  for (size_t i = 0; i < s.size(); ++i) os << (i ? ", " : "") << s[i];
  os << ']';
  return os.str();
}

// Build a message from parts (text and numbers, as TextBuilder prints them):
// fail<ShapeError>("matmul: ", a, " vs ", b).
template <class E = Error, class... Parts>
[[noreturn]] void fail(const Parts&... parts) {
  TextBuilder os;
  (os << ... << parts);
  throw E(os.str());
}

}  // namespace gradlab
