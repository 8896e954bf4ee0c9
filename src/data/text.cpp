// text.cpp — character-level language-model data from a UTF-8 text file.
//
// Tokens are Unicode code points; the vocabulary is the sorted set of distinct code
// points of the whole file (train and test part), so token ids are stable for a file.
// The first round((1 - test_fraction)·T) of the T tokens is the training text, the rest the test
// text (a split by position, as in char-rnn style experiments: no window crosses it).
// An example is a window starting every `stride` tokens:
//   x      = tokens[s, s + seq_len)          as doubles, input_shape {seq_len}
//   labels = tokens[s + 1, s + seq_len + 1)  the next token at each position, label_shape {seq_len}
// so a causal model's logits [n, seq_len, vocab] pair with labels [n, seq_len].
#include <algorithm>
#include <cmath>
#include <map>
#include <memory>

#include "data/data_internal.h"
#include "gradlab/error.h"

namespace gradlab::data {
namespace {

// Decodes UTF-8 into code points; IOError on malformed input. (4 bytes per character: a
// string per character would cost ~40 bytes each, 4 GB for a 100 MB corpus.)
std::vector<uint32_t> decode_utf8(const std::vector<uint8_t>& bytes, const std::string& path) {
  std::vector<uint32_t> chars;
  chars.reserve(bytes.size());
  size_t i = 0;
  if (bytes.size() >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF) i = 3;  // BOM
  while (i < bytes.size()) {
    const uint8_t lead = bytes[i];
    size_t length = 0;
    uint32_t code = 0, minimum = 0;
    if (lead < 0x80)
      length = 1, code = lead;
    else if ((lead & 0xE0) == 0xC0)
      length = 2, code = lead & 0x1F, minimum = 0x80;
    else if ((lead & 0xF0) == 0xE0)
      length = 3, code = lead & 0x0F, minimum = 0x800;
    else if ((lead & 0xF8) == 0xF0)
      length = 4, code = lead & 0x07, minimum = 0x10000;
    else
      fail<IOError>(path, " (data.path): invalid UTF-8 at byte ", i, " (byte 0x",
                    Hex{lead}, ")");
    if (i + length > bytes.size()) {
      fail<IOError>(path, " (data.path): invalid UTF-8 at byte ", i,
                    " (the file ends inside a character)");
    }
    for (size_t k = 1; k < length; ++k) {
      if ((bytes[i + k] & 0xC0) != 0x80) {
        fail<IOError>(path, " (data.path): invalid UTF-8 at byte ", i + k,
                      " (expected a continuation byte)");
      }
      code = (code << 6) | (bytes[i + k] & 0x3F);
    }
    if (code < minimum || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) {
      fail<IOError>(path, " (data.path): invalid UTF-8 at byte ", i,
                    " (overlong or out-of-range code point)");
    }
    chars.push_back(code);
    i += length;
  }
  return chars;
}

// The UTF-8 bytes of a code point that decode_utf8 accepted (overlong forms were rejected, so
// this gives back the file's own bytes for it).
std::string encode_utf8(uint32_t code) {
  std::string out;
  if (code < 0x80) {
    out += static_cast<char>(code);
  } else if (code < 0x800) {
    out += static_cast<char>(0xC0 | (code >> 6));
    out += static_cast<char>(0x80 | (code & 0x3F));
  } else if (code < 0x10000) {
    out += static_cast<char>(0xE0 | (code >> 12));
    out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (code >> 18));
    out += static_cast<char>(0x80 | ((code >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code & 0x3F));
  }
  return out;
}

// Windows of `seq_len` inputs + next tokens over tokens[begin, end), one every `stride`.
SourceSplit make_windows(const std::shared_ptr<std::vector<int64_t>>& tokens, int64_t begin,
                         int64_t end, int64_t seq_len, int64_t stride) {
  SourceSplit split;
  std::vector<int64_t> starts;
  for (int64_t s = begin; s + seq_len + 1 <= end; s += stride) starts.push_back(s);
  split.n = static_cast<int64_t>(starts.size());
  split.labels.reserve(static_cast<size_t>(split.n * seq_len));  // [n, seq_len]
  for (int64_t s : starts) {
    split.labels.insert(split.labels.end(), tokens->begin() + s + 1,
                        tokens->begin() + s + 1 + seq_len);
  }
  split.read_input = [tokens, starts = std::move(starts), seq_len](int64_t index, double* out) {
    const int64_t s = starts[static_cast<size_t>(index)];
    for (int64_t t = 0; t < seq_len; ++t) out[t] = static_cast<double>((*tokens)[s + t]);
  };
  return split;
}

}  // namespace

SourceData load_text(const DataConfig& config) {
  const std::string path = config.block.at("path").get<std::string>();
  return text_source(read_file_bytes(path, "data.path"), path,
                     config.block.at("seq_len").get<int64_t>(),
                     config.block.at("stride").get<int64_t>(),
                     config.block.at("test_fraction").get<double>());
}

SourceData text_source(const std::vector<uint8_t>& bytes, const std::string& path,
                       int64_t seq_len, int64_t stride, double test_fraction) {
  const auto chars = decode_utf8(bytes, path);
  std::map<uint32_t, int64_t> token_of;  // sorted by code point
  for (uint32_t code : chars) token_of.emplace(code, 0);
  SourceData source;
  source.name = "text";
  for (auto& [code, token] : token_of) {
    token = static_cast<int64_t>(source.vocabulary.size());
    source.vocabulary.push_back(encode_utf8(code));
  }
  auto tokens = std::make_shared<std::vector<int64_t>>();  // [T]
  tokens->reserve(chars.size());
  for (uint32_t code : chars) tokens->push_back(token_of[code]);

  const auto total = static_cast<int64_t>(tokens->size());
  // Rounded, not truncated: 10 · (1 - 0.3) is 6.999... in floating point.
  const auto train_end =
      static_cast<int64_t>(std::floor(static_cast<double>(total) * (1.0 - test_fraction) + 0.5));
  if (train_end < seq_len + 1) {
    fail<IOError>("text: ", path, " has ", total, " characters, ", train_end,
                  " of them for "
                  "training (data.test_fraction = ",
                  test_fraction, "), fewer than data.seq_len + 1 = ", seq_len + 1,
                  " needed for one training window");
  }
  source.train = make_windows(tokens, 0, train_end, seq_len, stride);
  source.test = make_windows(tokens, train_end, total, seq_len, stride);
  source.input_shape = {seq_len};
  source.label_shape = {seq_len};
  source.num_classes = static_cast<int64_t>(source.vocabulary.size());
  source.token_vocab = source.num_classes;
  source.details =
      std::to_string(total) + " characters, vocabulary " + std::to_string(source.vocabulary.size());
  return source;
}

}  // namespace gradlab::data
