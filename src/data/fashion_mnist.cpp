// fashion_mnist.cpp — Fashion-MNIST (Xiao, Rasul & Vollgraf 2017) from its IDX files.
//
// IDX (LeCun's MNIST format): a big-endian header — magic 0x00000800 | (type << 8) | ndim,
// with type 0x08 = unsigned byte, then ndim big-endian uint32 dimensions — followed by
// the values in C order. Images are 0x00000803 [n, 28, 28], labels 0x00000801 [n].
// The Debian package dataset-fashion-mnist ships them gzipped in
// /usr/share/datasets/fashion-mnist; an uncompressed copy (same name without .gz, as
// `gunzip -k` leaves it) is preferred when present, and is the only form the WASM build
// reads. Pixels become doubles in [0, 1] (byte / 255), NCHW with C = 1.
#include <memory>

#include "data/data_internal.h"
#include "gradlab/error.h"

namespace gradlab::data {
namespace {

constexpr uint32_t kImagesMagic = 0x00000803;  // unsigned bytes, 3 dimensions
constexpr uint32_t kLabelsMagic = 0x00000801;  // unsigned bytes, 1 dimension
constexpr int64_t kNumClasses = 10;

struct IdxFile {
  std::string path;
  std::shared_ptr<std::vector<uint8_t>> bytes;  // the whole (decompressed) file
  std::vector<int64_t> dims;
  size_t data_offset = 0;  // first value, after the header
};

// Reads FOLDER/NAME (uncompressed) or FOLDER/NAME.gz and checks its header against the
// expected magic number, and its length against the header's dimensions.
IdxFile read_idx(const std::string& folder, const std::string& name, uint32_t magic) {
  IdxFile idx;
  const std::string plain = join_path(folder, name);
  const std::string gz = plain + ".gz";
  if (file_exists(plain)) {
    idx.path = plain;
    idx.bytes = std::make_shared<std::vector<uint8_t>>(read_file_bytes(plain, "fashion_mnist"));
  } else if (file_exists(gz)) {
    idx.path = gz;
    idx.bytes = std::make_shared<std::vector<uint8_t>>(read_gzip_file(gz, "fashion_mnist"));
  } else {
    fail<IOError>("fashion_mnist: cannot find ", name, ".gz or ", name, " in ", folder,
                  " (data.path; the Debian package dataset-fashion-mnist installs them in "
                  "/usr/share/datasets/fashion-mnist)");
  }
  const std::vector<uint8_t>& bytes = *idx.bytes;
  const auto ndim = static_cast<size_t>(magic & 0xff);
  const size_t header = 4 * (1 + ndim);
  if (bytes.size() < header) {
    fail<IOError>(idx.path, ": truncated IDX file: ", bytes.size(), " bytes, shorter than its ",
                  header, "-byte header");
  }
  const uint32_t found = read_be32(bytes, 0);
  if (found != magic) {
    fail<IOError>(idx.path, ": wrong IDX magic number 0x", Hex{found}, ", expected 0x", Hex{magic},
                  " (", (magic == kImagesMagic ? "images" : "labels"),
                  ": unsigned bytes, ", ndim, " dimensions)");
  }
  for (size_t d = 0; d < ndim; ++d) idx.dims.push_back(read_be32(bytes, 4 * (1 + d)));
  const int64_t count = header_element_count(idx.dims);
  idx.data_offset = header;
  const auto expected = static_cast<int64_t>(header) + count;
  if (static_cast<int64_t>(bytes.size()) != expected) {
    fail<IOError>(idx.path, ": ",
                  (static_cast<int64_t>(bytes.size()) < expected ? "truncated" : "oversized"),
                  " IDX file: its header says ", shape_str(idx.dims), " (", expected,
                  " bytes with the header) but it has ", bytes.size(), " bytes");
  }
  return idx;
}

SourceSplit read_split(const std::string& folder, const std::string& prefix,
                       std::vector<int64_t>& input_shape) {
  const IdxFile images = read_idx(folder, prefix + "-images-idx3-ubyte", kImagesMagic);
  const IdxFile labels = read_idx(folder, prefix + "-labels-idx1-ubyte", kLabelsMagic);
  if (images.dims[0] != labels.dims[0]) {
    fail<IOError>("fashion_mnist: ", images.path, " holds ", images.dims[0], " images but ",
                  labels.path, " holds ", labels.dims[0], " labels");
  }
  const std::vector<int64_t> shape = {1, images.dims[1], images.dims[2]};
  if (!input_shape.empty() && input_shape != shape) {
    fail<IOError>("fashion_mnist: ", images.path, " holds images of ", shape_str(shape),
                  " but the training images are ", shape_str(input_shape));
  }
  input_shape = shape;

  SourceSplit split;
  split.n = images.dims[0];
  split.labels.resize(static_cast<size_t>(split.n));  // [n]
  for (int64_t i = 0; i < split.n; ++i) {
    const uint8_t label = (*labels.bytes)[labels.data_offset + static_cast<size_t>(i)];
    if (label >= kNumClasses) {
      fail<IOError>(labels.path, ": label ", int{label}, " of example ", i,
                    " is not a class id 0..9");
    }
    split.labels[static_cast<size_t>(i)] = label;
  }
  const int64_t pixels = shape_numel(shape);
  split.read_input = [bytes = images.bytes, offset = images.data_offset, pixels](int64_t index,
                                                                                 double* out) {
    const uint8_t* image = bytes->data() + offset + static_cast<size_t>(index * pixels);
    for (int64_t p = 0; p < pixels; ++p) out[p] = image[p] / 255.0;
  };
  return split;
}

}  // namespace

SourceData load_fashion_mnist(const DataConfig& config) {
  const std::string folder = config.block.at("path").get<std::string>();
  SourceData source;
  source.name = "fashion_mnist";
  source.train = read_split(folder, "train", source.input_shape);
  source.test = read_split(folder, "t10k", source.input_shape);
  source.num_classes = kNumClasses;
  source.class_names = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                        "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
  return source;
}

}  // namespace gradlab::data
