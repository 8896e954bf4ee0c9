// gradlab/data.h — datasets for experiments, host side (plain vectors, no tensors).
//
// One entry point, load_dataset(data_block, seed), turns the `data` block of an
// experiment config (docs/design.md §3, every key in docs/data.md) into train and test
// splits: it reads the source (Fashion-MNIST IDX files, CIFAR-10 binary batches, NumPy
// .npy files, a synthetic generator or a text file), picks the subset (classes,
// n_train / n_test, first or random), applies the randomisations of Zhang et al. 2017
// ("Understanding deep learning requires rethinking generalization": label noise,
// random labels, shuffled / random pixels, Gaussian inputs) and then the preprocessing
// list. Everything random comes from gradlab::Rng, so a seed gives bit-identical data
// natively and in WebAssembly. The runner turns the splits into tensors.
//
// Errors: a bad key or value throws ConfigError naming the key ("data.n_train"); a
// missing, truncated or malformed file throws IOError naming the file and what was
// expected. Nothing is silently defaulted except the documented defaults.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

namespace gradlab {

class Rng;

// One split. Example i's input is x[i * input_size, (i + 1) * input_size).
struct DataSplit {
  std::vector<double> x;        // [n, *input_shape] row-major
  std::vector<int64_t> labels;  // [n, *label_shape] class / token indices (empty for regression)
  std::vector<double> y;        // [n, target_dim] regression targets (empty for classification)
  int64_t n = 0;
};

// How the runner should present class labels to the loss: `index` (class ids, for
// cross-entropy) or `onehot` (rows of the identity, e.g. for MSE as in Cohen et al. 2021).
// The Dataset always stores indices; the runner builds the one-hot tensor.
enum class TargetEncoding { index, onehot };

struct Dataset {
  DataSplit train, test;
  // Per example: {1, 28, 28} fashion_mnist, {3, 32, 32} cifar10 (both NCHW, shrunk by
  // downsample2), {d} synthetic, x.shape[1:] for npy, {seq_len} for text.
  std::vector<int64_t> input_shape;
  // Per example shape of `labels`: {} for classification (one label per example),
  // {seq_len} for text (the next token at every position of the window).
  std::vector<int64_t> label_shape;
  int64_t num_classes = 0;  // 0 = regression; text: the vocabulary size
  int64_t target_dim = 0;   // regression: columns of y; 0 for classification
  TargetEncoding targets = TargetEncoding::index;
  // Original class id of each label index: with `classes: [3, 5]`, label 0 is class 3.
  std::vector<int64_t> class_ids;
  std::vector<std::string> class_names;  // one per label index, when the source names them
  // Training examples whose label was replaced (label_noise, or all of them for
  // randomize: labels), ascending; the new label may equal the old one (Zhang et al.).
  std::vector<int64_t> noisy_indices;
  // Text: one UTF-8 encoded character per token id (vocabulary[id]); empty otherwise.
  std::vector<std::string> vocabulary;
  // sparse_parity: the k secret coordinates (ascending) whose product is the label.
  std::vector<int64_t> secret;
  // Token inputs: x holds int64 ids in [0, token_vocab) (text: the vocabulary size; modular
  // with encoding tokens: p + 1, the p residues and "="); 0 = float inputs.
  int64_t token_vocab = 0;
  // One line for logs and the UI, e.g.
  // "fashion_mnist: 2000 train / 1000 test, classes [0, 1, 2, 3], input [1, 28, 28], standardize".
  std::string description;

  int64_t input_size() const;  // product of input_shape
  int64_t label_size() const;  // product of label_shape (1 for classification)
  bool is_regression() const { return num_classes == 0; }
};

// What integer class labels of the npy and points sources may be. ClassIds: class ids
// 0, 1, ... (K classes = the largest + 1). AnyTwo: any two distinct values, as the SVM
// convention writes them (−1/+1, also 0/1 or 1/2); the smaller becomes class 0 and the larger
// class 1 (svm_margin and implicit_bias read class 0 as −1, class 1 as +1), and more than two
// distinct values are an error.
enum class LabelValues { ClassIds, AnyTwo };

// Loads the dataset a `data` config block describes. `seed` is the experiment seed; a
// `data.seed` key in the block overrides it (fix the data while the init seed varies).
// Throws ConfigError / IOError as described above.
Dataset load_dataset(const nlohmann::json& data, uint64_t seed,
                     LabelValues labels = LabelValues::ClassIds);

// The block with every documented default filled in (for the resolved config.json).
// Checks keys, types and ranges as load_dataset does, but reads no file: what depends on
// the data itself (class ids that exist, regression vs classes) is checked on loading.
nlohmann::json resolve_data_config(const nlohmann::json& data,
                                   LabelValues labels = LabelValues::ClassIds);

// sparse_parity (src/data/algorithmic.cpp): the secret, the first k of a permutation of
// 0..n_bits−1 drawn from `rng`, sorted; and `count` examples x ∈ {−1, +1}^n_bits (uniform,
// one rng.below(2) per coordinate, row-major into x) with label 1 where ∏_{i∈secret} x_i = +1
// and 0 where it is −1. The data source and the kind's online batches share them.
std::vector<int64_t> sparse_parity_secret(int64_t n_bits, int64_t k, Rng& rng);
void sparse_parity_sample(int64_t n_bits, const std::vector<int64_t>& secret, int64_t count,
                          Rng& rng, std::vector<double>& x, std::vector<int64_t>& labels);

// (name, one-line description) of each data source and each synthetic generator, for
// `gradlab list` and the UI.
std::vector<std::pair<std::string, std::string>> data_sources();
std::vector<std::pair<std::string, std::string>> synthetic_generators();

}  // namespace gradlab
