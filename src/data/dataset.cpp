// dataset.cpp — load_dataset: config → source → subset → randomisation → preprocessing.
//
// Order of operations (docs/data.md):
//   1. read the source (all of it: the subset is picked from the whole split);
//   2. keep the examples of `classes` (relabelled 0..k-1 in the order listed), then the
//      first n_train / n_test of them, or a seeded random sample (kept in file order);
//   3. label_noise or randomize: labels (training labels only; test stays clean);
//   4. randomize: shuffled_pixels / random_pixels / gaussian (train and test inputs);
//   5. the preprocess list, in order, with statistics from the training split.
// Random streams: Rng(seed, "data") split per purpose, so e.g. turning on label noise
// does not change which examples the subset picks.
#include <algorithm>

#include "data/data_internal.h"
#include "gradlab/error.h"
#include "gradlab/text.h"

namespace gradlab {

int64_t Dataset::input_size() const { return data::shape_numel(input_shape); }
int64_t Dataset::label_size() const { return data::shape_numel(label_shape); }

namespace data {
namespace {

constexpr uint64_t kDataStream = 0x64617461;  // "data": apart from the init / batch streams

enum RngPurpose : uint64_t { kGenerate = 1, kSubset = 2, kLabels = 3, kInputs = 4 };

std::string list_str(const std::vector<int64_t>& values) { return shape_str(values); }

// Checks that the block's requests make sense for what the source turned out to be
// (regression vs classification is only known after reading an npy y).
void check_against_source(const DataConfig& config, const SourceData& source) {
  const bool regression = source.num_classes == 0;
  if (regression) {
    const char* reason = "the targets are real-valued (regression)";
    if (!config.classes.empty()) fail<ConfigError>("data.classes: not available, ", reason);
    if (config.label_noise > 0) fail<ConfigError>("data.label_noise: not available, ", reason);
    if (config.randomize == Randomization::labels) {
      fail<ConfigError>("data.randomize = \"labels\": not available, ", reason);
    }
    if (config.targets == TargetEncoding::onehot) {
      fail<ConfigError>("data.targets = \"onehot\": not available, ", reason);
    }
  }
  for (int64_t c : config.classes) {
    if (c >= source.num_classes) {
      fail<ConfigError>("data.classes: class ", c, " does not exist in ", source.name,
                        " (class ids 0..", source.num_classes - 1, ")");
    }
  }
}

// Indices of the examples to keep, ascending. `key` is "n_train" or "n_test".
std::vector<int64_t> select_examples(const SourceSplit& split, const SourceData& source,
                                     const DataConfig& config, const std::string& key,
                                     const std::optional<int64_t>& wanted, Rng rng) {
  std::vector<int64_t> candidates;
  const bool by_class = !config.classes.empty();
  for (int64_t i = 0; i < split.n; ++i) {
    if (by_class && std::find(config.classes.begin(), config.classes.end(),
                              split.labels[static_cast<size_t>(i)]) == config.classes.end()) {
      continue;
    }
    candidates.push_back(i);
  }
  const auto available = static_cast<int64_t>(candidates.size());
  const int64_t n = wanted.value_or(available);
  if (n > available) {
    const bool train = key == "n_train";
    std::string hint;
    if (!train && source.name == "npy" && !config.block.contains("x_test")) {
      hint = " (no data.x_test / data.y_test given)";
    }
    fail<ConfigError>("data.", key, " = ", n, ", but ", source.name, " has only ", available,
                      train ? " training" : " test", " examples",
                      by_class ? " of classes " + list_str(config.classes) : std::string(), hint);
  }
  if (config.subset == SubsetMode::random && n < available) {
    const std::vector<int64_t> order = rng.permutation(available);
    std::vector<int64_t> chosen;
    for (int64_t k = 0; k < n; ++k) chosen.push_back(candidates[static_cast<size_t>(order[k])]);
    std::sort(chosen.begin(), chosen.end());
    return chosen;
  }
  candidates.resize(static_cast<size_t>(n));
  return candidates;
}

// Copies the chosen examples, relabelling classes to their index in `class_ids`.
DataSplit materialize(const SourceSplit& split, const std::vector<int64_t>& chosen,
                      const Dataset& dataset, const std::vector<int64_t>& label_of_class) {
  DataSplit out;
  out.n = static_cast<int64_t>(chosen.size());
  const int64_t in_size = dataset.input_size(), label_size = dataset.label_size();
  const int64_t target_dim = dataset.target_dim;
  out.x.resize(static_cast<size_t>(out.n * in_size));  // [n, *input_shape]
  for (int64_t k = 0; k < out.n; ++k) {
    const int64_t i = chosen[static_cast<size_t>(k)];
    split.read_input(i, out.x.data() + k * in_size);
    if (!split.labels.empty()) {
      for (int64_t j = 0; j < label_size; ++j) {
        const int64_t original = split.labels[static_cast<size_t>(i * label_size + j)];
        out.labels.push_back(
            label_of_class.empty() ? original : label_of_class[static_cast<size_t>(original)]);
      }
    }
    if (!split.y.empty()) {
      out.y.insert(out.y.end(), split.y.begin() + i * target_dim,
                   split.y.begin() + (i + 1) * target_dim);
    }
  }
  return out;
}

std::string describe(const Dataset& ds, const DataConfig& config, const SourceData& source) {
  TextBuilder os;
  os << source.name;
  if (!source.details.empty()) os << " (" << source.details << ")";
  os << ": " << ds.train.n << " train / " << ds.test.n << " test, ";
  if (ds.is_regression()) {
    os << "regression, " << ds.target_dim << (ds.target_dim == 1 ? " target" : " targets");
  } else if (!ds.vocabulary.empty()) {
    os << "vocabulary " << ds.num_classes;
  } else if (!config.classes.empty()) {
    os << "classes " << list_str(config.classes);
  } else {
    os << ds.num_classes << " classes";
  }
  os << ", input " << shape_str(ds.input_shape);
  if (config.subset == SubsetMode::random) os << ", random subset";
  if (config.label_noise > 0) {
    os << ", label_noise " << config.label_noise << " (" << ds.noisy_indices.size() << " labels)";
  }
  if (config.randomize != Randomization::none)
    os << ", randomize " << randomization_name(config.randomize);
  for (Preprocess p : config.preprocess) os << ", " << preprocess_name(p);
  if (config.targets == TargetEncoding::onehot) os << ", onehot targets";
  return os.str();
}

// LabelValues::AnyTwo (the SVM kinds): the npy / points labels as two classes, the smaller
// value class 0 (read as −1) and the larger class 1 (+1); 0/1 labels stay as they are. With a
// single value present (a page where only one class has been clicked so far), a value ≤ 0 is
// class 0 and a positive one class 1.
void two_values_as_classes(SourceData& source) {
  if (source.num_classes == 0 || (source.name != "npy" && source.name != "points")) return;
  std::vector<int64_t> values;
  for (const SourceSplit* split : {&source.train, &source.test})
    values.insert(values.end(), split->labels.begin(), split->labels.end());
  std::sort(values.begin(), values.end());
  values.erase(std::unique(values.begin(), values.end()), values.end());
  if (values.size() > 2) {
    std::string listed;
    for (size_t i = 0; i < values.size() && i < 6; ++i)
      listed += (i ? ", " : "") + std::to_string(values[i]);
    fail<ConfigError>("data: the labels take ", values.size(), " values (", listed,
                      values.size() > 6 ? ", ..." : "", "); a two-class margin problem needs two, "
                      "e.g. -1 and +1 (the smaller is read as -1)");
  }
  auto class_of = [&](int64_t v) -> int64_t {
    if (values.size() == 2) return v == values[0] ? 0 : 1;
    return v <= 0 ? 0 : 1;
  };
  for (SourceSplit* split : {&source.train, &source.test})
    for (int64_t& label : split->labels) label = class_of(label);
  source.num_classes = 2;
}

SourceData read_source(const DataConfig& config, Rng& rng) {
  if (config.source == "fashion_mnist") return load_fashion_mnist(config);
  if (config.source == "cifar10") return load_cifar10(config);
  if (config.source == "npy") return load_npy_source(config);
  if (config.source == "synthetic") return generate_synthetic(config, rng);
  if (config.source == "text") return load_text(config);
  if (config.source == "points") return load_points(config);
  if (config.source == "modular") return generate_modular(config, rng);
  if (config.source == "sparse_parity") return generate_sparse_parity(config, rng);
  if (config.source == "sorting") return generate_sorting(config, rng);
  fail<ConfigError>("data.source: unknown source \"", config.source, "\"");
}

}  // namespace
}  // namespace data

Dataset load_dataset(const nlohmann::json& data_block, uint64_t seed, LabelValues labels) {
  using namespace data;
  const DataConfig config = parse_data_config(data_block, labels);
  Rng root(config.seed.value_or(seed), kDataStream);
  Rng generator_rng = root.split(kGenerate);
  SourceData source = read_source(config, generator_rng);
  if (labels == LabelValues::AnyTwo) two_values_as_classes(source);
  check_against_source(config, source);

  Dataset ds;
  ds.input_shape = source.input_shape;
  ds.label_shape = source.label_shape;
  ds.target_dim = source.target_dim;
  ds.targets = config.targets;
  ds.vocabulary = source.vocabulary;
  ds.secret = source.secret;
  ds.token_vocab = source.token_vocab;
  std::vector<int64_t> label_of_class;  // original class id → label; empty = identity
  if (source.num_classes > 0) {
    if (config.classes.empty()) {
      for (int64_t c = 0; c < source.num_classes; ++c) ds.class_ids.push_back(c);
    } else {
      ds.class_ids = config.classes;
      label_of_class.assign(static_cast<size_t>(source.num_classes), -1);
      for (size_t k = 0; k < config.classes.size(); ++k) {
        label_of_class[static_cast<size_t>(config.classes[k])] = static_cast<int64_t>(k);
      }
    }
    ds.num_classes = static_cast<int64_t>(ds.class_ids.size());
    if (!source.class_names.empty()) {
      for (int64_t c : ds.class_ids)
        ds.class_names.push_back(source.class_names[static_cast<size_t>(c)]);
    }
  }

  Rng subset_rng = root.split(kSubset);
  const auto train_chosen =
      select_examples(source.train, source, config, "n_train", config.n_train, subset_rng.split(0));
  const auto test_chosen =
      select_examples(source.test, source, config, "n_test", config.n_test, subset_rng.split(1));
  ds.train = materialize(source.train, train_chosen, ds, label_of_class);
  ds.test = materialize(source.test, test_chosen, ds, label_of_class);

  Rng label_rng = root.split(kLabels);
  corrupt_labels(ds, config, label_rng);
  if (config.randomize != Randomization::none && config.randomize != Randomization::labels) {
    Rng input_rng = root.split(kInputs);
    randomize_inputs(ds, config.randomize, input_rng);
  }
  apply_preprocessing(ds, config.preprocess);
  ds.description = describe(ds, config, source);
  return ds;
}

}  // namespace gradlab
