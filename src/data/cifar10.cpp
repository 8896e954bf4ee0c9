// cifar10.cpp — CIFAR-10 (Krizhevsky 2009) from the "binary version" of the dataset.
//
// The archive cifar-10-binary.tar.gz unpacks to cifar-10-batches-bin/ with
// data_batch_1.bin .. data_batch_5.bin (10000 training images each) and test_batch.bin.
// Each record is 3073 bytes: 1 label byte (0..9), then the 32x32 image as 1024 red,
// 1024 green and 1024 blue bytes, each channel row-major — already NCHW, so an example
// is the record's last 3072 bytes / 255. `data.path` may name the folder holding the
// .bin files or the folder that contains cifar-10-batches-bin/.
#include <memory>

#include "data/data_internal.h"
#include "gradlab/error.h"

namespace gradlab::data {
namespace {

constexpr int64_t kChannels = 3, kSide = 32;
constexpr int64_t kImageBytes = kChannels * kSide * kSide;  // 3072
constexpr int64_t kRecordBytes = 1 + kImageBytes;           // 3073
constexpr int64_t kNumClasses = 10;

}  // namespace

SourceSplit parse_cifar10_batches(std::vector<std::pair<std::string, std::vector<uint8_t>>> named) {
  auto files = std::make_shared<std::vector<std::vector<uint8_t>>>();
  std::vector<std::pair<size_t, int64_t>> where;  // example → (file, record)
  SourceSplit split;
  for (auto& [path, contents] : named) {
    files->push_back(std::move(contents));
    const std::vector<uint8_t>& bytes = files->back();
    if (bytes.empty() || bytes.size() % kRecordBytes != 0) {
      fail<IOError>(path, ": a CIFAR-10 binary batch is a whole number of ", kRecordBytes,
                    "-byte records (1 label byte + 3x32x32 pixels), but the file has ",
                    bytes.size(), " bytes (", bytes.size() / kRecordBytes, " records and ",
                    bytes.size() % kRecordBytes, " bytes left over: truncated or not CIFAR-10)");
    }
    const auto records = static_cast<int64_t>(bytes.size()) / kRecordBytes;
    for (int64_t r = 0; r < records; ++r) {
      const uint8_t label = bytes[static_cast<size_t>(r * kRecordBytes)];
      if (label >= kNumClasses) {
        fail<IOError>(path, ": record ", r, " has label byte ", int{label},
                      ", not a class id 0..9 (not the CIFAR-10 binary format; CIFAR-100's "
                      "records have 2 label bytes)");
      }
      split.labels.push_back(label);
      where.emplace_back(files->size() - 1, r);
    }
  }
  split.n = static_cast<int64_t>(split.labels.size());
  split.read_input = [files, where = std::move(where)](int64_t index, double* out) {
    const auto& [file, record] = where[static_cast<size_t>(index)];
    const uint8_t* image = (*files)[file].data() + record * kRecordBytes + 1;
    for (int64_t p = 0; p < kImageBytes; ++p) out[p] = image[p] / 255.0;
  };
  return split;
}

namespace {

// The records of several batch files, read whole and kept for lazy conversion.
SourceSplit read_batches(const std::string& folder, const std::vector<std::string>& names) {
  std::vector<std::pair<std::string, std::vector<uint8_t>>> files;
  for (const std::string& name : names) {
    const std::string path = join_path(folder, name);
    files.emplace_back(path, read_file_bytes(path, "cifar10 batch, data.path"));
  }
  return parse_cifar10_batches(std::move(files));
}

}  // namespace

SourceData load_cifar10(const DataConfig& config) {
  std::string folder = config.block.at("path").get<std::string>();
  if (!file_exists(join_path(folder, "test_batch.bin")) &&
      file_exists(join_path(join_path(folder, "cifar-10-batches-bin"), "test_batch.bin"))) {
    folder = join_path(folder, "cifar-10-batches-bin");
  }
  std::vector<std::string> train_names;
  for (int b = 1; b <= 5; ++b) train_names.push_back("data_batch_" + std::to_string(b) + ".bin");
  for (const std::string& name : train_names) {
    if (!file_exists(join_path(folder, name))) {
      fail<IOError>("cifar10: cannot find ", join_path(folder, name), " (data.path must hold the ",
                    "binary batches data_batch_1.bin .. data_batch_5.bin and test_batch.bin of ",
                    "cifar-10-binary.tar.gz)");
    }
  }
  SourceData source;
  source.name = "cifar10";
  source.train = read_batches(folder, train_names);
  source.test = read_batches(folder, {"test_batch.bin"});
  source.input_shape = {kChannels, kSide, kSide};
  source.num_classes = kNumClasses;
  source.class_names = {"airplane", "automobile", "bird",  "cat",  "deer",
                        "dog",      "frog",       "horse", "ship", "truck"};
  return source;
}

}  // namespace gradlab::data
