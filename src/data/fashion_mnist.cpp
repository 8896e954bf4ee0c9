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

constexpr int64_t kNumClasses = 10;
// deflate's best ratio is about 1032:1 (RFC 1951: a 258-byte match costs at least 2 bits), so a
// header that promises more than this many bytes per compressed byte cannot be backed by data.
constexpr uint64_t kMaxDeflateRatio = 1032;

// Reads FOLDER/NAME (uncompressed) or FOLDER/NAME.gz.
IdxFile read_idx(const std::string& folder, const std::string& name, uint32_t magic) {
  const std::string plain = join_path(folder, name);
  const std::string gz = plain + ".gz";
  if (file_exists(plain)) return parse_idx(read_file_bytes(plain, "fashion_mnist"), plain, magic, false);
  if (file_exists(gz)) return parse_idx(read_file_bytes(gz, "fashion_mnist"), gz, magic, true);
  fail<IOError>("fashion_mnist: cannot find ", name, ".gz or ", name, " in ", folder,
                " (data.path; the Debian package dataset-fashion-mnist installs them in "
                "/usr/share/datasets/fashion-mnist)");
}

}  // namespace

IdxFile parse_idx(std::vector<uint8_t> file_bytes, const std::string& path, uint32_t magic,
                  bool gzip) {
  IdxFile idx;
  idx.path = path;
  const auto ndim = static_cast<size_t>(magic & 0xff);
  const size_t header = 4 * (1 + ndim);
  // A gzip file is inflated twice: its header first, then exactly as many bytes as the header
  // promises (+ 1, to notice more), so the buffer never grows past what the header allows.
  std::vector<uint8_t> bytes =
      gzip ? gunzip_bytes(file_bytes, path, "fashion_mnist", header) : std::move(file_bytes);
  if (bytes.size() < header) {
    fail<IOError>(path, ": truncated IDX file: ", bytes.size(), " bytes, shorter than its ",
                  header, "-byte header");
  }
  const uint32_t found = read_be32(bytes, 0);
  if (found != magic) {
    fail<IOError>(path, ": wrong IDX magic number 0x", Hex{found}, ", expected 0x", Hex{magic},
                  " (", (magic == kIdxImagesMagic ? "images" : "labels"),
                  ": unsigned bytes, ", ndim, " dimensions)");
  }
  for (size_t d = 0; d < ndim; ++d) idx.dims.push_back(read_be32(bytes, 4 * (1 + d)));
  const int64_t count = header_element_count(idx.dims);
  idx.data_offset = header;
  const auto expected = static_cast<int64_t>(header) + count;
  if (gzip) {
    const uint64_t can_hold = kMaxDeflateRatio * file_bytes.size() + header;
    if (static_cast<uint64_t>(expected) > can_hold) {
      fail<IOError>(path, ": truncated IDX file: its header says ", shape_str(idx.dims), " (",
                    expected, " bytes with the header), more than ", file_bytes.size(),
                    " gzip bytes can hold");
    }
    bytes = gunzip_bytes(file_bytes, path, "fashion_mnist", static_cast<size_t>(expected));
  }
  if (static_cast<int64_t>(bytes.size()) != expected) {
    fail<IOError>(path, ": ",
                  (static_cast<int64_t>(bytes.size()) < expected ? "truncated" : "oversized"),
                  " IDX file: its header says ", shape_str(idx.dims), " (", expected,
                  " bytes with the header) but it has ",
                  static_cast<int64_t>(bytes.size()) > expected ? "more" : std::to_string(bytes.size()),
                  " bytes", gzip ? " decompressed" : "");
  }
  idx.bytes = std::make_shared<std::vector<uint8_t>>(std::move(bytes));
  return idx;
}

SourceSplit idx_split(const IdxFile& images, const IdxFile& labels,
                      std::vector<int64_t>& input_shape) {
  if (images.dims[0] != labels.dims[0]) {
    fail<IOError>("fashion_mnist: ", images.path, " holds ", images.dims[0], " images but ",
                  labels.path, " holds ", labels.dims[0], " labels");
  }
  if (images.dims[0] == 0 || images.dims[1] == 0 || images.dims[2] == 0) {
    fail<IOError>(images.path, ": holds ", images.dims[0] == 0 ? "no images" : "empty images",
                  " (its header says ", shape_str(images.dims), ")");
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

namespace {

SourceSplit read_split(const std::string& folder, const std::string& prefix,
                       std::vector<int64_t>& input_shape) {
  const IdxFile images = read_idx(folder, prefix + "-images-idx3-ubyte", kIdxImagesMagic);
  const IdxFile labels = read_idx(folder, prefix + "-labels-idx1-ubyte", kIdxLabelsMagic);
  return idx_split(images, labels, input_shape);
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
