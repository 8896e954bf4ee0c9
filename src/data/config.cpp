// config.cpp — the keys of the `data` block: which exist for each source and synthetic
// generator, their types, ranges and defaults, and the parse into DataConfig.
//
// One table (key_specs) is the single source of truth for validation, for the defaults
// written to the resolved config.json and for the "valid keys" list in error messages;
// docs/data.md documents the same table in prose.
#include <algorithm>
#include <cmath>

#include "data/data_internal.h"
#include "gradlab/error.h"
#include "gradlab/text.h"

namespace gradlab::data {
namespace {

using nlohmann::json;

enum class KeyKind {
  integer,       // JSON integer (or an integral number) >= min
  number,        // any number in [min, max]
  choice,        // one string of `choices`
  path,          // a non-empty string
  int_list,      // list of integers >= min
  choice_list,   // list of strings from `choices`
  count_or_all,  // integer >= 0 or "all"
  classes,       // list of distinct class ids >= 0, or "all"
  number_rows,   // non-empty list of rows of numbers, every row the same non-zero length
};

struct KeySpec {
  std::string name;
  KeyKind kind;
  json default_value;  // null: required (if `required`) or simply optional
  bool required = false;
  double min = 0.0;
  double max = 0.0;  // number only
  std::vector<std::string> choices;
};

const std::vector<std::string> kSources = {"fashion_mnist", "cifar10", "npy",     "synthetic",
                                           "text",          "points",  "modular", "sparse_parity",
                                           "sorting"};
const std::vector<std::string> kGenerators = {
    "gaussian_mixture", "linearly_separable", "two_moons", "circles", "xor",
    "spiral",           "teacher_mlp",        "gaussian_regression"};
const std::vector<std::string> kRandomizations = {"none", "labels", "shuffled_pixels",
                                                  "random_pixels", "gaussian"};
const std::vector<std::string> kPreprocess = {"standardize", "center", "downsample2", "unit_norm"};

constexpr double kInf = HUGE_VAL;

KeySpec integer_key(const char* name, json def, double min) {
  return {name, KeyKind::integer, std::move(def), false, min, 0.0, {}};
}
KeySpec number_key(const char* name, double def, double min, double max) {
  return {name, KeyKind::number, def, false, min, max, {}};
}

// Every key valid for this source (and generator), common keys first.
std::vector<KeySpec> key_specs(const std::string& source, const std::string& generator,
                               LabelValues labels = LabelValues::ClassIds) {
  // Drawn examples (no fixed size): n_train is required and n_test a number.
  const bool synthetic =
      source == "synthetic" || source == "sparse_parity" || source == "sorting";
  std::vector<KeySpec> specs = {
      {"source", KeyKind::choice, nullptr, true, 0, 0, kSources},
      {"seed", KeyKind::integer, nullptr, false, 0, 0, {}},
      // Synthetic data has no "all": the generator draws exactly n_train (+ n_test) examples.
      {"n_train", KeyKind::count_or_all, synthetic ? json() : json("all"), synthetic, 0, 0, {}},
      {"n_test", KeyKind::count_or_all, synthetic ? json(0) : json("all"), false, 0, 0, {}},
      {"classes", KeyKind::classes, "all", false, 0, 0, {}},
      {"subset", KeyKind::choice, "first", false, 0, 0, {"first", "random"}},
      number_key("label_noise", 0.0, 0.0, 1.0),
      {"randomize", KeyKind::choice, "none", false, 0, 0, kRandomizations},
      {"preprocess", KeyKind::choice_list, json::array(), false, 0, 0, kPreprocess},
      {"targets", KeyKind::choice, "index", false, 0, 0, {"index", "onehot"}},
  };
  auto add = [&specs](KeySpec spec) { specs.push_back(std::move(spec)); };
  if (source == "fashion_mnist") {
    add({"path", KeyKind::path, "/usr/share/datasets/fashion-mnist", false, 0, 0, {}});
  } else if (source == "cifar10") {
    add({"path", KeyKind::path, nullptr, true, 0, 0, {}});
  } else if (source == "npy") {
    add({"x", KeyKind::path, nullptr, true, 0, 0, {}});
    add({"y", KeyKind::path, nullptr, true, 0, 0, {}});
    add({"x_test", KeyKind::path, nullptr, false, 0, 0, {}});
    add({"y_test", KeyKind::path, nullptr, false, 0, 0, {}});
  } else if (source == "points") {
    add({"points", KeyKind::number_rows, nullptr, true, 0, 0, {}});
    // Class ids >= 0, or any two values for the SVM kinds (LabelValues::AnyTwo).
    add({"labels", KeyKind::int_list, nullptr, true,
         labels == LabelValues::AnyTwo ? -kInf : 0.0, 0, {}});
  } else if (source == "text") {
    add({"path", KeyKind::path, nullptr, true, 0, 0, {}});
    add({"seq_len", KeyKind::integer, nullptr, true, 1, 0, {}});
    add(integer_key("stride", nullptr, 1));  // default: seq_len (filled in by resolve)
    add(number_key("test_fraction", 0.1, 0.0, 0.9));
  } else if (source == "modular") {
    add(integer_key("p", 97, 2));
    add({"op", KeyKind::choice, "add", false, 0, 0, {"add", "sub", "mul", "div"}});
    add(number_key("train_fraction", 0.5, 0.0, 1.0));
    add({"encoding", KeyKind::choice, "onehot", false, 0, 0, {"onehot", "tokens"}});
  } else if (source == "sparse_parity") {
    add(integer_key("n_bits", 20, 1));
    add(integer_key("k", 3, 1));
  } else if (source == "sorting") {
    add(integer_key("length", 8, 2));
    add(integer_key("vocab", 4, 2));
  } else if (synthetic) {
    add({"generator", KeyKind::choice, nullptr, true, 0, 0, kGenerators});
    if (generator == "gaussian_mixture") {
      add(integer_key("num_classes", 2, 2));
      add(integer_key("dim", 2, 1));
      add(number_key("separation", 4.0, 0.0, kInf));
      add(number_key("std", 1.0, 0.0, kInf));
    } else if (generator == "linearly_separable") {
      add(integer_key("dim", 2, 1));
      // Rejection sampling keeps a fraction 2(1 - Φ(margin)) of draws: 0.27% at 3.
      add(number_key("margin", 0.1, 0.0, 3.0));
    } else if (generator == "two_moons") {
      add(number_key("noise", 0.1, 0.0, kInf));
    } else if (generator == "circles") {
      add(number_key("noise", 0.05, 0.0, kInf));
      add(number_key("factor", 0.5, 0.0, 1.0));
    } else if (generator == "xor") {
      add(number_key("noise", 0.2, 0.0, kInf));
    } else if (generator == "spiral") {
      add(integer_key("num_classes", 3, 2));
      add(number_key("noise", 0.05, 0.0, kInf));
      add(number_key("turns", 1.0, 0.0, 100.0));
    } else if (generator == "teacher_mlp") {
      add(integer_key("dim", 10, 1));
      add({"widths", KeyKind::int_list, json::array({32}), false, 1, 0, {}});
      add(integer_key("output_dim", 1, 1));
      add(number_key("noise", 0.0, 0.0, kInf));
    } else if (generator == "gaussian_regression") {
      add(integer_key("dim", 8, 1));
      add(integer_key("output_dim", 1, 1));
    }
  }
  return specs;
}

std::string join(const std::vector<std::string>& words) {
  std::string out;
  for (size_t i = 0; i < words.size(); ++i) out += (i ? ", " : "") + words[i];
  return out;
}

// Levenshtein distance, for "did you mean" on unknown keys.
size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

[[noreturn]] void bad_value(const std::string& key, const std::string& expected, const json& got) {
  fail<ConfigError>("data.", key, ": expected ", expected, ", got ", got.dump());
}

bool is_integral(const json& v) {
  if (v.is_number_integer()) return true;
  return v.is_number_float() && std::isfinite(v.get<double>()) &&
         v.get<double>() == std::floor(v.get<double>()) && std::fabs(v.get<double>()) < 9.0e15;
}

int64_t as_integer(const json& v) {
  return v.is_number_float() ? static_cast<int64_t>(v.get<double>()) : v.get<int64_t>();
}

// Checks one present value against its spec; returns it normalised (integral floats → ints).
json check_value(const KeySpec& spec, const json& v) {
  TextBuilder range;
  switch (spec.kind) {
    case KeyKind::integer:
      if (!is_integral(v) || as_integer(v) < spec.min) {
        bad_value(spec.name, "an integer >= " + std::to_string(static_cast<int64_t>(spec.min)), v);
      }
      return as_integer(v);
    case KeyKind::number:
      range << "a number in [" << spec.min << ", " << spec.max << "]";
      if (!v.is_number() || !(v.get<double>() >= spec.min && v.get<double>() <= spec.max)) {
        bad_value(spec.name, range.str(), v);
      }
      return v;
    case KeyKind::choice:
      if (!v.is_string() || std::find(spec.choices.begin(), spec.choices.end(),
                                      v.get<std::string>()) == spec.choices.end()) {
        bad_value(spec.name, "one of " + join(spec.choices), v);
      }
      return v;
    case KeyKind::path:
      if (!v.is_string() || v.get<std::string>().empty()) bad_value(spec.name, "a file path", v);
      return v;
    case KeyKind::int_list: {
      const std::string expected =
          std::isfinite(spec.min)
              ? "a list of integers >= " + std::to_string(static_cast<int64_t>(spec.min))
              : std::string("a list of integers");
      if (!v.is_array()) bad_value(spec.name, expected, v);
      json out = json::array();
      for (const json& item : v) {
        if (!is_integral(item) || as_integer(item) < spec.min) bad_value(spec.name, expected, v);
        out.push_back(as_integer(item));
      }
      return out;
    }
    case KeyKind::choice_list:
      if (!v.is_array()) bad_value(spec.name, "a list of names from " + join(spec.choices), v);
      for (const json& item : v) {
        if (!item.is_string() || std::find(spec.choices.begin(), spec.choices.end(),
                                           item.get<std::string>()) == spec.choices.end()) {
          fail<ConfigError>("data.", spec.name, ": unknown entry ", item.dump(),
                            " (valid: ", join(spec.choices), ")");
        }
      }
      return v;
    case KeyKind::count_or_all:
      if (v.is_string() && v.get<std::string>() == "all") return v;
      if (!is_integral(v) || as_integer(v) < 0) {
        bad_value(spec.name, "a non-negative integer or \"all\"", v);
      }
      return as_integer(v);
    case KeyKind::number_rows: {
      const char* expected = "a non-empty list of rows of numbers, all of one length";
      if (!v.is_array() || v.empty()) bad_value(spec.name, expected, v);
      for (size_t i = 0; i < v.size(); ++i) {
        const json& row = v[i];
        if (!row.is_array() || row.empty() || row.size() != v[0].size()) {
          fail<ConfigError>("data.", spec.name, "[", i, "]: expected a row of ",
                            v[0].is_array() ? v[0].size() : 1, " numbers like data.", spec.name,
                            "[0], got ", row.dump());
        }
        for (const json& x : row) {
          if (!x.is_number()) {
            fail<ConfigError>("data.", spec.name, "[", i, "]: expected numbers, got ", row.dump());
          }
        }
      }
      return v;
    }
    case KeyKind::classes: {
      if (v.is_string() && v.get<std::string>() == "all") return v;
      const char* expected = "\"all\" or a non-empty list of distinct class ids >= 0";
      if (!v.is_array() || v.empty()) bad_value(spec.name, expected, v);
      json out = json::array();
      for (const json& item : v) {
        if (!is_integral(item) || as_integer(item) < 0) bad_value(spec.name, expected, v);
        const int64_t id = as_integer(item);
        if (std::find(out.begin(), out.end(), json(id)) != out.end()) {
          fail<ConfigError>("data.classes: class ", id, " is listed twice in ", v.dump());
        }
        out.push_back(id);
      }
      return out;
    }
  }
  return v;
}

}  // namespace

json resolve_data_config_impl(const json& data, LabelValues labels) {
  if (!data.is_object()) fail<ConfigError>("data: expected an object, got ", data.dump());
  if (!data.contains("source")) {
    fail<ConfigError>("data.source is required (one of ", join(kSources), ")");
  }
  const KeySpec source_spec = key_specs("", "")[0];
  const std::string source = check_value(source_spec, data.at("source")).get<std::string>();
  std::string generator;
  if (source == "synthetic") {
    if (!data.contains("generator")) {
      fail<ConfigError>("data.generator is required for source synthetic (one of ",
                        join(kGenerators), ")");
    }
    generator = check_value({"generator", KeyKind::choice, nullptr, true, 0, 0, kGenerators},
                            data.at("generator"))
                    .get<std::string>();
  }
  const std::vector<KeySpec> specs = key_specs(source, generator, labels);
  const bool synthetic_source =
      source == "synthetic" || source == "sparse_parity" || source == "sorting";
  const std::string context =
      "source " + source + (generator.empty() ? "" : " (generator " + generator + ")");

  for (const auto& item : data.items()) {
    const bool known = std::any_of(specs.begin(), specs.end(),
                                   [&](const KeySpec& s) { return s.name == item.key(); });
    if (known) continue;
    std::vector<std::string> names;
    const KeySpec* closest = nullptr;
    size_t best = 3;  // suggest only close matches (two edits or fewer)
    for (const KeySpec& s : specs) {
      names.push_back(s.name);
      const size_t d = edit_distance(item.key(), s.name);
      if (d < best) best = d, closest = &s;
    }
    fail<ConfigError>("unknown key data.", item.key(), " for ", context,
                      closest ? " — did you mean data." + closest->name + "?" : std::string(),
                      " (valid keys: ", join(names), ")");
  }

  json resolved = json::object();
  for (const KeySpec& spec : specs) {
    if (data.contains(spec.name)) {
      resolved[spec.name] = check_value(spec, data.at(spec.name));
    } else if (spec.required) {
      fail<ConfigError>("data.", spec.name, " is required for ", context);
    } else if (!spec.default_value.is_null()) {
      resolved[spec.name] = spec.default_value;
    }
  }
  if (source == "text" && !resolved.contains("stride")) resolved["stride"] = resolved["seq_len"];
  if (source == "npy" && resolved.contains("x_test") != resolved.contains("y_test")) {
    fail<ConfigError>("data.x_test and data.y_test go together: give both or neither");
  }
  if (synthetic_source && resolved["n_test"].is_string()) {
    fail<ConfigError>("data.n_test: ", source, " data has no fixed size; give a number, got \"all\"");
  }
  if (synthetic_source && resolved["n_train"].is_string()) {
    fail<ConfigError>("data.n_train: ", source, " data has no fixed size; give a number, got \"all\"");
  }
  if (resolved["randomize"] == "labels" && resolved["label_noise"].get<double>() > 0.0) {
    fail<ConfigError>(
        "data.label_noise and data.randomize = \"labels\" together: with random "
        "labels every label is already noise; use one of them");
  }
  if (source == "points" && resolved["labels"].size() != resolved["points"].size()) {
    fail<ConfigError>("data.labels has ", resolved["labels"].size(),
                      " entries but data.points has ", resolved["points"].size(),
                      " rows: give one class id per point");
  }
  if (source == "sorting" && resolved["targets"] != "index")
    fail<ConfigError>("data.targets: source sorting has positions without a loss (the unsorted ",
                      "half), which one-hot targets cannot express; use \"index\" with loss ",
                      "cross_entropy, got ", resolved["targets"].dump());
  if (source == "modular" || source == "sparse_parity" || source == "sorting") {
    const char* fixed[] = {"classes", "label_noise", "randomize", "preprocess"};
    const json defaults[] = {"all", 0.0, "none", json::array()};
    for (int i = 0; i < 4; ++i)
      if (resolved[fixed[i]] != defaults[i])
        fail<ConfigError>("data.", fixed[i], ": not supported for source ", source,
                          " (an exact algorithmic data set), got ", resolved[fixed[i]].dump());
  }
  if (source == "synthetic" && resolved["classes"] != "all") {
    fail<ConfigError>(
        "data.classes: not supported for synthetic data; set the generator's "
        "num_classes instead");
  }
  if (source == "text") {
    const char* for_text[] = {"classes", "label_noise", "randomize", "preprocess"};
    const json defaults[] = {"all", 0.0, "none", json::array()};
    for (int i = 0; i < 4; ++i) {
      if (resolved[for_text[i]] != defaults[i]) {
        fail<ConfigError>("data.", for_text[i],
                          ": not supported for source text (inputs are "
                          "token ids and targets the next tokens), got ",
                          resolved[for_text[i]].dump());
      }
    }
  }
  return resolved;
}

DataConfig parse_data_config(const json& data, LabelValues labels) {
  DataConfig config;
  config.block = resolve_data_config_impl(data, labels);
  config.label_values = labels;
  const json& b = config.block;
  config.source = b["source"].get<std::string>();
  if (b.contains("seed")) config.seed = b["seed"].get<uint64_t>();
  if (!b["n_train"].is_string()) config.n_train = b["n_train"].get<int64_t>();
  if (!b["n_test"].is_string()) config.n_test = b["n_test"].get<int64_t>();
  if (b["classes"].is_array()) config.classes = b["classes"].get<std::vector<int64_t>>();
  config.subset = b["subset"] == "random" ? SubsetMode::random : SubsetMode::first;
  config.label_noise = b["label_noise"].get<double>();
  const std::string randomize = b["randomize"].get<std::string>();
  for (Randomization r :
       {Randomization::none, Randomization::labels, Randomization::shuffled_pixels,
        Randomization::random_pixels, Randomization::gaussian}) {
    if (randomize == randomization_name(r)) config.randomize = r;
  }
  for (const json& step : b["preprocess"]) {
    for (Preprocess p : {Preprocess::standardize, Preprocess::center, Preprocess::downsample2,
                         Preprocess::unit_norm}) {
      if (step == preprocess_name(p)) config.preprocess.push_back(p);
    }
  }
  config.targets = b["targets"] == "onehot" ? TargetEncoding::onehot : TargetEncoding::index;
  return config;
}

const char* randomization_name(Randomization r) {
  switch (r) {
    case Randomization::none:
      return "none";
    case Randomization::labels:
      return "labels";
    case Randomization::shuffled_pixels:
      return "shuffled_pixels";
    case Randomization::random_pixels:
      return "random_pixels";
    case Randomization::gaussian:
      return "gaussian";
  }
  return "?";
}

const char* preprocess_name(Preprocess p) {
  switch (p) {
    case Preprocess::standardize:
      return "standardize";
    case Preprocess::center:
      return "center";
    case Preprocess::downsample2:
      return "downsample2";
    case Preprocess::unit_norm:
      return "unit_norm";
  }
  return "?";
}

}  // namespace gradlab::data

namespace gradlab {

nlohmann::json resolve_data_config(const nlohmann::json& data, LabelValues labels) {
  return data::resolve_data_config_impl(data, labels);
}

std::vector<std::pair<std::string, std::string>> data_sources() {
  return {
      {"fashion_mnist", "Fashion-MNIST 28x28 grey images, 10 classes (IDX files; data.path)"},
      {"cifar10", "CIFAR-10 32x32 colour images, 10 classes (binary batches at data.path)"},
      {"npy", "NumPy .npy arrays data.x, data.y (+ x_test, y_test); integer y = classes"},
      {"synthetic", "a seeded generator (data.generator): mixtures, moons, spirals, teachers"},
      {"text", "a text file at data.path, character level, windows of data.seq_len tokens"},
      {"points", "inline inputs data.points ([[x1, x2], ...]) with class ids data.labels"},
      {"modular", "all pairs (a, b) mod a prime data.p labelled (a op b) mod p; one-hot or \"a b =\" tokens"},
      {"sparse_parity", "x uniform in {-1,+1}^n_bits, label the parity of k secret coordinates"},
      {"sorting", "token sequences followed by their sorted copy; next-token loss on the sorted half"},
  };
}

std::vector<std::pair<std::string, std::string>> synthetic_generators() {
  return {
      {"gaussian_mixture", "num_classes Gaussian blobs in dim dimensions, means separation apart"},
      {"linearly_separable", "N(0, I) points with |w.x| >= margin, label sign(w.x)"},
      {"two_moons", "two interleaved half circles in 2-D with Gaussian noise"},
      {"circles", "two concentric circles in 2-D (radii 1 and factor) with Gaussian noise"},
      {"xor", "four 2-D blobs at (+-1, +-1), label = the XOR of the signs"},
      {"spiral", "num_classes interleaved spiral arms in 2-D"},
      {"teacher_mlp", "regression on N(0, I) inputs labelled by a random tanh MLP teacher"},
      {"gaussian_regression", "regression on N(0, I) inputs with independent N(0, I) targets"},
  };
}

}  // namespace gradlab
