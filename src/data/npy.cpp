// npy.cpp — NumPy .npy files (the `npy` data source).
//
// Format (numpy.lib.format, versions 1.0, 2.0, 3.0):
//   bytes 0..5   "\x93NUMPY"
//   bytes 6, 7   major, minor version
//   then the header length: uint16 little-endian (1.0) or uint32 (2.0 and 3.0),
//   then the header: a Python dict literal such as
//     {'descr': '<f4', 'fortran_order': False, 'shape': (100, 784), }
//   padded with spaces and ended by '\n', then the raw C-order data.
// We read dtypes <f4 <f8 |u1 <i4 <i8, little-endian and C order only (every target
// gradlab runs on is little-endian, so the bytes are copied as they are).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>

#include "data/data_internal.h"
#include "gradlab/error.h"

namespace gradlab::data {
namespace {

const char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicBytes = 6;
// Integer class labels become one output per class (and a one-hot row per example): a corrupt
// or mistaken label such as 2^40 must not ask for that many (CIFAR-100 has 100, ImageNet-21k
// about 21,800).
constexpr int64_t kMaxClassId = (int64_t{1} << 20) - 1;

// Text from the file (the header, a key, a dtype) as one line of printable ASCII, at most 160
// characters: an error is one line, and the header ends with a newline and may hold any byte.
std::string printable(const std::string& text) {
  std::string out;
  for (size_t i = 0; i < text.size() && out.size() < 160; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '\n') {
      out += "\\n";
    } else if (c < 0x20 || c >= 0x7f) {
      const char* digits = "0123456789abcdef";
      out += "\\x";
      out += digits[c >> 4];
      out += digits[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  if (out.size() >= 160) out += "...";
  return out;
}

// A parser for the few Python literals an .npy header holds.
class HeaderParser {
 public:
  HeaderParser(std::string text, std::string where)
      : text_(std::move(text)), where_(std::move(where)) {}

  void parse(std::string& descr, bool& fortran_order, std::vector<int64_t>& shape) {
    bool has_descr = false, has_order = false, has_shape = false;
    expect('{');
    while (skip_spaces(), peek() != '}') {
      const std::string key = parse_string();
      expect(':');
      if (key == "descr") {
        descr = parse_string(), has_descr = true;
      } else if (key == "fortran_order") {
        fortran_order = parse_bool(), has_order = true;
      } else if (key == "shape") {
        shape = parse_tuple(), has_shape = true;
      } else {
        error("unexpected key '" + key + "'");
      }
      skip_spaces();
      if (peek() == ',') ++pos_;
    }
    if (!has_descr || !has_order || !has_shape) {
      error("the header must give 'descr', 'fortran_order' and 'shape'");
    }
  }

 private:
  [[noreturn]] void error(const std::string& what) const {
    fail<IOError>(where_, ": malformed .npy header (", printable(what), " at character ", pos_,
                  "): ", printable(text_));
  }
  void skip_spaces() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\n')) ++pos_;
  }
  char peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }
  void expect(char c) {
    skip_spaces();
    if (peek() != c) error(std::string("expected '") + c + "'");
    ++pos_;
  }
  std::string parse_string() {
    skip_spaces();
    const char quote = peek();
    if (quote != '\'' && quote != '"') error("expected a quoted string");
    const size_t end = text_.find(quote, pos_ + 1);
    if (end == std::string::npos) error("unterminated string");
    std::string s = text_.substr(pos_ + 1, end - pos_ - 1);
    pos_ = end + 1;
    return s;
  }
  bool parse_bool() {
    skip_spaces();
    if (text_.compare(pos_, 4, "True") == 0) return pos_ += 4, true;
    if (text_.compare(pos_, 5, "False") == 0) return pos_ += 5, false;
    error("expected True or False");
  }
  std::vector<int64_t> parse_tuple() {
    std::vector<int64_t> dims;
    expect('(');
    while (skip_spaces(), peek() != ')') {
      if (peek() < '0' || peek() > '9') error("expected a dimension");
      int64_t d = 0;
      while (peek() >= '0' && peek() <= '9') {
        d = d * 10 + (text_[pos_++] - '0');
        if (d > (int64_t{1} << 40)) error("dimension too large");
      }
      dims.push_back(d);
      skip_spaces();
      if (peek() == ',') ++pos_;
    }
    ++pos_;
    return dims;
  }

  std::string text_, where_;
  size_t pos_ = 0;
};

template <class T>
T load_little_endian(const uint8_t* p) {
  T value;
  std::memcpy(&value, p, sizeof value);  // host is little-endian (x86-64, aarch64, wasm32)
  return value;
}

}  // namespace

NpyArray parse_npy(const std::vector<uint8_t>& bytes, const std::string& path,
                   const std::string& key) {
  const std::string where = path + " (data." + key + ")";
  if (bytes.size() < kMagicBytes + 4 || std::memcmp(bytes.data(), kMagic, kMagicBytes) != 0) {
    fail<IOError>(where, ": not a NumPy .npy file (it does not start with \\x93NUMPY)");
  }
  const int major = bytes[6];
  size_t header_length = 0, header_start = 0;
  if (major == 1) {
    header_length = bytes[8] | (size_t{bytes[9]} << 8);
    header_start = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) fail<IOError>(where, ": truncated .npy header");
    header_length =
        bytes[8] | (size_t{bytes[9]} << 8) | (size_t{bytes[10]} << 16) | (size_t{bytes[11]} << 24);
    header_start = 12;
  } else {
    fail<IOError>(where, ": unsupported .npy format version ", major, ".", int{bytes[7]},
                  " (supported: 1.0, 2.0, 3.0)");
  }
  if (bytes.size() < header_start + header_length) {
    fail<IOError>(where, ": truncated .npy file: the header needs ", header_start + header_length,
                  " bytes, the file has ", bytes.size());
  }
  const std::string header(
      bytes.begin() + static_cast<std::ptrdiff_t>(header_start),
      bytes.begin() + static_cast<std::ptrdiff_t>(header_start + header_length));
  std::string descr;
  bool fortran_order = false;
  NpyArray array;
  HeaderParser(header, where).parse(descr, fortran_order, array.shape);

  size_t item_bytes = 0;
  if (descr == "<f4")
    array.dtype = NpyDType::f4, item_bytes = 4;
  else if (descr == "<f8")
    array.dtype = NpyDType::f8, item_bytes = 8;
  else if (descr == "|u1" || descr == "<u1")
    array.dtype = NpyDType::u1, item_bytes = 1;
  else if (descr == "<i4")
    array.dtype = NpyDType::i4, item_bytes = 4;
  else if (descr == "<i8")
    array.dtype = NpyDType::i8, item_bytes = 8;
  else if (!descr.empty() && descr[0] == '>') {
    fail<IOError>(where, ": dtype '", printable(descr),
                  "' is big-endian; save it little-endian "
                  "(a.astype(a.dtype.newbyteorder('<')))");
  } else {
    fail<IOError>(where, ": unsupported dtype '", printable(descr),
                  "' (supported: <f4, <f8, |u1, <i4, <i8; convert with a.astype(np.float32))");
  }
  if (fortran_order) {
    fail<IOError>(where,
                  ": the array is stored in Fortran order; save a C-order copy "
                  "(np.save(path, np.ascontiguousarray(a)))");
  }
  const int64_t count = header_element_count(array.shape);
  const size_t data_start = header_start + header_length;
  // 64-bit: size_t is 32 bits in wasm32 and a corrupt shape must not wrap around.
  const uint64_t expected = uint64_t{data_start} + static_cast<uint64_t>(count) * item_bytes;
  if (uint64_t{bytes.size()} != expected) {
    fail<IOError>(where, ": ", (uint64_t{bytes.size()} < expected ? "truncated" : "oversized"),
                  " .npy file: shape ", shape_str(array.shape), " of '", descr, "' needs ",
                  expected - data_start, " data bytes, the file has ", bytes.size() - data_start);
  }

  const uint8_t* p = bytes.data() + data_start;
  array.values.resize(static_cast<size_t>(count));  // [*shape]
  if (array.is_integer()) array.integers.resize(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i, p += item_bytes) {
    double value = 0.0;
    switch (array.dtype) {
      case NpyDType::f4:
        value = load_little_endian<float>(p);
        break;
      case NpyDType::f8:
        value = load_little_endian<double>(p);
        break;
      case NpyDType::u1:
        array.integers[i] = *p;
        break;
      case NpyDType::i4:
        array.integers[i] = load_little_endian<int32_t>(p);
        break;
      case NpyDType::i8:
        array.integers[i] = load_little_endian<int64_t>(p);
        break;
    }
    if (array.is_integer()) {
      value = static_cast<double>(array.integers[i]);
    } else if (!std::isfinite(value)) {
      fail<IOError>(where, ": element ", i, " is ", value, "; data must be finite");
    }
    array.values[i] = value;
  }
  return array;
}

NpyArray read_npy(const std::string& path, const std::string& key) {
  return parse_npy(read_file_bytes(path, "data." + key), path, key);
}

namespace {

// Checks an (x, y) pair and turns it into a split; `suffix` is "" or "_test".
SourceSplit make_split(const DataConfig& config, const std::string& suffix, SourceData& source) {
  const std::string x_key = "x" + suffix, y_key = "y" + suffix;
  const std::string x_path = config.block.at(x_key).get<std::string>();
  const std::string y_path = config.block.at(y_key).get<std::string>();
  auto x = std::make_shared<NpyArray>(read_npy(x_path, x_key));
  const NpyArray y = read_npy(y_path, y_key);
  if (x->shape.empty())
    fail<IOError>(x_path, " (data.", x_key, "): expected [n, ...], got a 0-d array");
  const int64_t n = x->shape[0];
  const std::vector<int64_t> input_shape =
      x->shape.size() == 1 ? std::vector<int64_t>{1}
                           : std::vector<int64_t>(x->shape.begin() + 1, x->shape.end());
  if (y.shape.empty() || y.shape[0] != n) {
    fail<IOError>("npy: data.", y_key, " (", y_path, ") has shape ", shape_str(y.shape),
                  " but data.", x_key, " has ", n, " examples (shape ", shape_str(x->shape), ")");
  }
  const bool first = suffix.empty();
  if (!first && input_shape != source.input_shape) {
    fail<IOError>("npy: data.", x_key, " has examples of shape ", shape_str(input_shape),
                  " but data.x has ", shape_str(source.input_shape));
  }
  source.input_shape = input_shape;

  SourceSplit split;
  split.n = n;
  if (y.is_integer()) {
    // Class labels: [n] or [n, 1].
    if (y.shape.size() > 2 || (y.shape.size() == 2 && y.shape[1] != 1)) {
      fail<IOError>("npy: integer data.", y_key,
                    " holds class labels and must be [n] or [n, 1], "
                    "got ",
                    shape_str(y.shape));
    }
    if (!first && source.num_classes == 0) {
      fail<IOError>("npy: data.y is float (regression targets) but data.", y_key, " is integer");
    }
    for (int64_t i = 0; i < n; ++i) {
      if (y.integers[i] < 0 && config.label_values == LabelValues::ClassIds) {
        fail<IOError>("npy: data.", y_key, " (", y_path, ") has label ", y.integers[i],
                      " at index ", i, "; class labels must be >= 0 (the SVM kinds "
                      "svm_margin and implicit_bias also take two values such as -1/+1)");
      }
      if (y.integers[i] > kMaxClassId || y.integers[i] < -kMaxClassId) {
        fail<IOError>("npy: data.", y_key, " (", y_path, ") has label ", y.integers[i],
                      " at index ", i, "; class labels must lie in 0..", kMaxClassId,
                      " (one output per class)");
      }
      source.num_classes = std::max(source.num_classes, y.integers[i] + 1);
    }
    split.labels = y.integers;
  } else {
    if (y.shape.size() > 2) {
      fail<IOError>("npy: float data.", y_key,
                    " holds regression targets and must be [n] or "
                    "[n, k], got ",
                    shape_str(y.shape));
    }
    const int64_t target_dim = y.shape.size() == 2 ? y.shape[1] : 1;
    if (!first && (source.num_classes != 0 || target_dim != source.target_dim)) {
      fail<IOError>("npy: data.", y_key, " holds float targets of shape ", shape_str(y.shape),
                    " but data.y is ",
                    source.num_classes ? "integer (class labels)"
                                       : "[n, " + std::to_string(source.target_dim) + "]");
    }
    source.target_dim = target_dim;
    split.y = y.values;
  }
  const int64_t size = shape_numel(input_shape);
  split.read_input = [x, size](int64_t index, double* out) {
    const double* row = x->values.data() + index * size;
    std::copy(row, row + size, out);
  };
  return split;
}

}  // namespace

SourceData load_npy_source(const DataConfig& config) {
  SourceData source;
  source.name = "npy";
  source.train = make_split(config, "", source);
  if (config.block.contains("x_test")) source.test = make_split(config, "_test", source);
  return source;
}

}  // namespace gradlab::data
