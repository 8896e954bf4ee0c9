// data_internal.h — what the files of src/data/ share: the parsed `data` block, the
// shape in which every source hands over its examples, and the source readers.
//
// Pipeline (dataset.cpp): resolve + parse the block (config.cpp) → read the source
// (fashion_mnist.cpp, cifar10.cpp, npy.cpp, synthetic.cpp, text.cpp, points.cpp) → pick the
// subset → label noise / randomisation / preprocessing (transforms.cpp) → Dataset.
// Tests include this header to reach the readers directly (tests see src/).
#pragma once

#include <cstdint>
#include <memory>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "gradlab/data.h"
#include "gradlab/rng.h"

namespace gradlab::data {

// ---- the parsed block -------------------------------------------------------------------

enum class SubsetMode { first, random };
enum class Randomization { none, labels, shuffled_pixels, random_pixels, gaussian };
enum class Preprocess { standardize, center, downsample2, unit_norm };

struct DataConfig {
  nlohmann::json block;            // resolved: every default filled in (source keys read from here)
  std::string source;              // fashion_mnist | cifar10 | npy | synthetic | text | points
  std::optional<int64_t> n_train;  // nullopt = every available example
  std::optional<int64_t> n_test;
  std::vector<int64_t> classes;  // original class ids, in label order; empty = all
  SubsetMode subset = SubsetMode::first;
  double label_noise = 0.0;
  Randomization randomize = Randomization::none;
  std::vector<Preprocess> preprocess;
  TargetEncoding targets = TargetEncoding::index;
  std::optional<uint64_t> seed;  // data.seed, overrides the experiment seed
  LabelValues label_values = LabelValues::ClassIds;  // what npy / points labels may be
};

// Validates `data` (ConfigError naming the key) and returns it parsed.
DataConfig parse_data_config(const nlohmann::json& data,
                             LabelValues labels = LabelValues::ClassIds);
// The validated block with every default filled in (gradlab::resolve_data_config).
nlohmann::json resolve_data_config_impl(const nlohmann::json& data,
                                        LabelValues labels = LabelValues::ClassIds);

const char* randomization_name(Randomization r);
const char* preprocess_name(Preprocess p);

// ---- what a source delivers ----------------------------------------------------------------

// One split as the source has it, before subset selection. Inputs are read lazily, one
// example at a time, so picking 2000 of 60000 Fashion-MNIST images converts only those.
struct SourceSplit {
  int64_t n = 0;
  std::vector<int64_t> labels;  // [n, label_size] original class ids (empty for regression)
  std::vector<double> y;        // [n, target_dim] (empty for classification)
  // Writes example `index`'s input_size values to `out`.
  std::function<void(int64_t index, double* out)> read_input;
};

struct SourceData {
  std::string name;  // for messages and the description: "fashion_mnist", "npy"
  SourceSplit train, test;
  std::vector<int64_t> input_shape;
  std::vector<int64_t> label_shape;  // {} classification, {seq_len} text
  int64_t num_classes = 0;           // 0 = regression
  int64_t target_dim = 0;
  std::vector<std::string> class_names;  // indexed by original class id, may be empty
  std::vector<std::string> vocabulary;   // text only
  std::string details;                   // extra description text, e.g. "generator two_moons"
  std::vector<int64_t> secret;           // sparse_parity: the coordinates of the parity
  int64_t token_vocab = 0;               // token inputs: ids in [0, token_vocab); 0 = floats
};

// Sources. `rng` is the data generator stream (synthetic only).
SourceData load_fashion_mnist(const DataConfig& config);
SourceData load_cifar10(const DataConfig& config);
SourceData load_npy_source(const DataConfig& config);
SourceData generate_synthetic(const DataConfig& config, Rng& rng);
SourceData load_text(const DataConfig& config);
SourceData load_points(const DataConfig& config);
// algorithmic.cpp: the modular-arithmetic table, sparse parities and sorting (`rng`: the generator stream).
SourceData generate_modular(const DataConfig& config, Rng& rng);
SourceData generate_sparse_parity(const DataConfig& config, Rng& rng);
SourceData generate_sorting(const DataConfig& config, Rng& rng);

// ---- transforms (transforms.cpp) -------------------------------------------------------------

// Zhang et al. 2017 label corruption of the training labels; fills dataset.noisy_indices.
void corrupt_labels(Dataset& dataset, const DataConfig& config, Rng& rng);
// randomize: shuffled_pixels | random_pixels | gaussian (inputs of train and test).
void randomize_inputs(Dataset& dataset, Randomization mode, Rng& rng);
// The preprocess list, in order; statistics always from the training split.
void apply_preprocessing(Dataset& dataset, const std::vector<Preprocess>& steps);

// ---- files (file_io.cpp) ------------------------------------------------------------------------

// The whole file. IOError "cannot open FILE (what)" naming `what_for` (e.g. "data.x").
std::vector<uint8_t> read_file_bytes(const std::string& path, const std::string& what_for);
bool file_exists(const std::string& path);
std::string join_path(const std::string& folder, const std::string& name);
// The decompressed contents of gzip bytes (native build only: IOError under WASM); `path`
// names them in messages. Stops after max_bytes + 1 bytes, so a result longer than max_bytes
// means "more than the caller can use" (the caller names what it expected).
std::vector<uint8_t> gunzip_bytes(const std::vector<uint8_t>& compressed, const std::string& path,
                                  const std::string& what_for, size_t max_bytes = SIZE_MAX);
// The same for a gzip file.
std::vector<uint8_t> read_gzip_file(const std::string& path, const std::string& what_for,
                                    size_t max_bytes = SIZE_MAX);
// Big-endian 32-bit unsigned at bytes[offset] (IDX headers).
uint32_t read_be32(const std::vector<uint8_t>& bytes, size_t offset);

// ---- IDX (fashion_mnist.cpp) ----------------------------------------------------------------

constexpr uint32_t kIdxImagesMagic = 0x00000803;  // unsigned bytes, 3 dimensions
constexpr uint32_t kIdxLabelsMagic = 0x00000801;  // unsigned bytes, 1 dimension
struct IdxFile {
  std::string path;
  std::shared_ptr<std::vector<uint8_t>> bytes;  // the whole (decompressed) file
  std::vector<int64_t> dims;
  size_t data_offset = 0;  // first value, after the header
};
// An IDX file's bytes (`path` names them in messages; `gzip`: they are the .gz file's), checked
// against the expected magic number, and its length against the header's dimensions.
IdxFile parse_idx(std::vector<uint8_t> bytes, const std::string& path, uint32_t magic, bool gzip);
// One split of Fashion-MNIST from its images and labels files (labels 0..9, counts agree).
SourceSplit idx_split(const IdxFile& images, const IdxFile& labels,
                      std::vector<int64_t>& input_shape);

// ---- CIFAR-10 binary batches (cifar10.cpp) -------------------------------------------------------

// The records of the batch files (path, bytes), in order, as one split.
SourceSplit parse_cifar10_batches(std::vector<std::pair<std::string, std::vector<uint8_t>>> files);

// ---- text (text.cpp) ------------------------------------------------------------------------

// The UTF-8 text's tokens and vocabulary; the split into windows (data.seq_len, stride,
// test_fraction) as load_text makes it. `path` names the bytes in messages.
SourceData text_source(const std::vector<uint8_t>& bytes, const std::string& path,
                       int64_t seq_len, int64_t stride, double test_fraction);

// ---- NumPy .npy (npy.cpp) ---------------------------------------------------------------------

enum class NpyDType { f4, f8, u1, i4, i8 };
struct NpyArray {
  NpyDType dtype = NpyDType::f8;
  std::vector<int64_t> shape;
  std::vector<double> values;     // every element as a double, C order
  std::vector<int64_t> integers;  // the same elements, for integer dtypes (exact)
  bool is_integer() const {
    return dtype == NpyDType::u1 || dtype == NpyDType::i4 || dtype == NpyDType::i8;
  }
};
// Parses an .npy file (format 1.0/2.0/3.0, little-endian, C order). IOError on anything
// else, naming the file, the config key and what was expected.
NpyArray read_npy(const std::string& path, const std::string& key);
// The same, from bytes already in memory (`path` only names them in messages).
NpyArray parse_npy(const std::vector<uint8_t>& bytes, const std::string& path,
                   const std::string& key);

// ---- shapes -------------------------------------------------------------------------------------
int64_t shape_numel(const std::vector<int64_t>& shape);
// The product of dimensions read from a file header, capped at 2^50 so that a corrupt
// header cannot overflow it (such a count never matches the file's size anyway).
int64_t header_element_count(const std::vector<int64_t>& dims);

}  // namespace gradlab::data
